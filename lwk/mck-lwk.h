/*
 * mck-lwk.h: the McKernel instance lifecycle of jobs on one node, the only
 * door to IHK (lwk-internal.h lists the modules behind it).
 *
 *   boot:     recovery of what ended jobs left -> plan -> image, kargs and
 *             objdump checked -> reserve cpu -> reserve mem -> create ->
 *             assign cpu -> IKC map -> assign mem -> load -> kargs -> boot
 *             -> RUNNING -> device to the job's user -> record running
 *   step:     instance policy (a fresh instance per step by default),
 *             RUNNING checked, the record notes the step
 *   teardown: device back to root 0600 -> kmsg saved -> the job user's
 *             holders ended -> destroy -> release cpu and mem as IHK lists
 *             them -> verify clean (IHK and Linux) -> record removed
 *
 * Each step is logged with its duration (STATE_DIR/log/lifecycle.log). A
 * failed boot unwinds what it did, except that an instance created but
 * not booted is never queried nor destroyed (real IHK crashes): it stays,
 * the job record says "stranded" and the node needs a reboot, unless
 * ihk_destroy_unbooted = safe. Teardown is idempotent. Job record states:
 * common/mck-jobrec.h.
 */
#ifndef MCK_LWK_H
#define MCK_LWK_H

#include <stdio.h>
#include <sys/types.h>

#include "mck-config.h"
#include "mck-error.h"

/* STATE_DIR/KEPT: the record of a reservation kept for the next job (lwk-keep.c). */
#define MCK_LWK_KEPT_FILE "kept"

/* mckctl boot's exit status when the boot failed but the node is clean. */
#define MCK_LWK_EXIT_BOOT_FAILED_CLEAN 3

struct mck_options;

struct mck_lwk_job {
	unsigned long job;
	uid_t uid;
	gid_t gid;
	const char *partition;	/* as Slurm gave the prologue; may be NULL */
	const char *node;	/* this node's Slurm name; may be NULL */
	/*
	 * The user's --mckernel keys (common/mck-options.h), NULL: the
	 * partition's defaults. Keys the partition does not allow, values
	 * outside its limits or a plan they make impossible refuse the job:
	 * nothing is reserved, the record (state refused) says why and
	 * mck_lwk_boot_failed_clean() is 1.
	 */
	const struct mck_options *options;
};

/* Where step log lines go (besides the state_dir log); NULL = stderr. */
void mck_lwk_set_log(FILE *out);

/*
 * Boot job's instance. Another job's instance on the node that Slurm
 * still runs (or of which that cannot be told) refuses the boot ("McKernel
 * on NODE is in use by job N", record refused); one whose job has ended is
 * removed first.
 */
int mck_lwk_boot(const struct mck_config *cfg, const struct mck_lwk_job *job,
		 struct mck_error *err);
/*
 * After mck_lwk_boot failed: 1 when nothing of the job is left on the node
 * and the job record holds the reason (state boot-failed or refused).
 */
int mck_lwk_boot_failed_clean(const struct mck_config *cfg, unsigned long job);

int mck_lwk_teardown(const struct mck_config *cfg, unsigned long job,
		     struct mck_error *err);

/* What slurmstepd asks before a step (mckctl step). */
struct mck_lwk_step_req {
	unsigned long job;
	long step;
	const char *options;	/* the step's --mckernel keys (canonical), NULL: the job's */
};

/*
 * Apply the instance policy of the job's partition (from its record) and
 * check that its instance is RUNNING. 0: the step may run, and
 * "partition=P" and "os=N" lines went to out, and for the job's first
 * step that runs "report=boot_ms=MS;cpus=N;mem=LIST;kmsg=PATH" (what the
 * user is told once per job); else err is the one-line reason for the
 * step's tasks.
 */
int mck_lwk_step(const struct mck_config *cfg, const struct mck_lwk_step_req *req,
		 FILE *out, struct mck_error *err);

/*
 * Is the node clean: no OS instance, nothing in IHK's pool, no CPU that
 * IHK took from Linux and lost, no job record, no device owned by a user?
 * 0 when clean, 1 when not (each leftover printed to out, one a line),
 * negative errno on error. Instances whose boot is not known to have
 * started are reported from their record, never queried.
 */
int mck_lwk_check(const struct mck_config *cfg, FILE *out, struct mck_error *err);

/*
 * The same for Slurm's HealthCheckProgram, which also runs while jobs
 * do: a RUNNING instance claimed by a job record (and that record), and
 * the record of a job told why it has none, are jobs at work; objdump
 * missing (mcexec pollutes every rank's output then) is reported too.
 */
int mck_lwk_health(const struct mck_config *cfg, FILE *out, struct mck_error *err);

/*
 * mck_lwk_health under the lifecycle lock (shared), waiting for it at most
 * wait_s seconds: MCK_LWK_HEALTH_BUSY when a boot or teardown still holds
 * it (that operation reports its own failure), else as mck_lwk_health.
 */
#define MCK_LWK_HEALTH_BUSY 2
int mck_lwk_health_locked(const struct mck_config *cfg, FILE *out, int wait_s,
			  struct mck_error *err);

/* Print each instance with status, owner, CPUs, memory and jobs. */
int mck_lwk_status(const struct mck_config *cfg, FILE *out, struct mck_error *err);

/*
 * The same as one JSON object on one line: "instances" (os, status or
 * null with "not_queried" when its boot is not known to have started,
 * cpus, memory, device, owner_uid, holders, job), "reserved" (cpus,
 * memory), "lost_cpus", "kept" (the kept reservation or null) and "jobs"
 * (every job record's fields). Nothing is printed when a query fails.
 */
int mck_lwk_status_json(const struct mck_config *cfg, FILE *out, struct mck_error *err);

/*
 * Write what the node counted and holds to path (metrics_file, or mckctl
 * metrics --output) in node exporter's textfile format (lwk/mck-metrics.h).
 * Boots, teardowns and the health check rewrite metrics_file by
 * themselves when its directory exists.
 */
int mck_lwk_metrics(const struct mck_config *cfg, const char *path, struct mck_error *err);
/*
 * Rewrite metrics_file as boots and teardowns do: only where its
 * directory exists (a node exporter to feed); a failure goes to the
 * lifecycle log.
 */
void mck_lwk_metrics_auto(const struct mck_config *cfg);

/*
 * Tear down everything the node holds that can be removed safely: every
 * job record's instance (the jobs' users' holders ended) and IHK's pool.
 * Then verify; 0 when clean.
 */
int mck_lwk_clean(const struct mck_config *cfg, struct mck_error *err);

/*
 * Give a kept reservation (reservation = keep) back to Linux, logged with
 * why; 0 at once when none is kept (the prologue of every job without
 * --mckernel calls it). A record that IHK does not match is an error:
 * mckctl clean removes what is left.
 */
int mck_lwk_release(const struct mck_config *cfg, const char *why, struct mck_error *err);

/*
 * The health check's part: a kept reservation unused for keep_idle
 * seconds on a node without any job record goes back to Linux.
 */
int mck_lwk_kept_expire(const struct mck_config *cfg, struct mck_error *err);

#endif
