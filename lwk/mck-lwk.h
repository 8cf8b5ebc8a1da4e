/*
 * mck-lwk.h: the McKernel instance lifecycle of one job on one node.
 *
 *   boot:     plan -> reserve cpu -> reserve mem -> create -> assign cpu ->
 *             set IKC map -> assign mem -> load image -> kargs -> boot ->
 *             wait RUNNING -> chown device to the job's user -> job record
 *   teardown: (save kmsg) -> shutdown -> destroy -> release cpu -> release
 *             mem -> device back to root -> verify clean -> remove record
 *
 * Each step is logged with its duration. Any failure during boot unwinds
 * exactly what was done. Teardown is idempotent.
 */
#ifndef MCK_LWK_H
#define MCK_LWK_H

#include <stdio.h>
#include <sys/types.h>

#include "mck-config.h"
#include "mck-error.h"

/*
 * Job record states (common/mck-jobrec.h) that mean "this job has no
 * instance here, and the record's reason says why": the boot failed and
 * was unwound to a clean node, or the prologue refused the job. The SPANK
 * plugin prints the reason to every task of the job's steps; the epilogue
 * removes the record. A boot that failed and left the node unclean is
 * "boot-failed-unclean" (the prologue then fails and Slurm drains the node).
 */
#define MCK_LWK_STATE_BOOT_FAILED "boot-failed"
#define MCK_LWK_STATE_REFUSED "refused"

/* mckctl boot's exit status when the boot failed but the node is clean. */
#define MCK_LWK_EXIT_BOOT_FAILED_CLEAN 3

struct mck_options;

struct mck_lwk_job {
	unsigned long job;
	uid_t uid;
	gid_t gid;
	const char *partition;	/* may be NULL */
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

int mck_lwk_boot(const struct mck_config *cfg, const struct mck_lwk_job *job,
		 struct mck_error *err);
/*
 * After mck_lwk_boot failed: 1 when the failure was unwound to a clean
 * node and the job record holds the reason (state boot-failed, or
 * refused for the user's --mckernel keys), else 0.
 */
int mck_lwk_boot_failed_clean(const struct mck_config *cfg, unsigned long job);

int mck_lwk_teardown(const struct mck_config *cfg, unsigned long job,
		     struct mck_error *err);

/*
 * Is the node clean: no OS instance, no reserved CPU or memory, no job
 * record, no device owned by a user? Returns 0 when clean, 1 when not
 * (each leftover printed to out, one a line), negative errno on error.
 */
int mck_lwk_check(const struct mck_config *cfg, FILE *out, struct mck_error *err);

/*
 * The same for Slurm's HealthCheckProgram, which also runs while jobs
 * do: a RUNNING instance claimed by a job record (and that record) is a
 * job at work; anything else left is reported as by mck_lwk_check.
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
 * Tear down everything the node holds: every job record, every OS
 * instance and every reservation IHK reports (the operator's "clean by
 * hand", and recovery before a boot). Then verify; 0 when clean.
 */
int mck_lwk_clean(const struct mck_config *cfg, struct mck_error *err);

/*
 * The topology this node boots with: cfg->topology when set, else the
 * live machine through the cache STATE_DIR/topology.xml. Caller frees the
 * plan with mck_plan_free (hwloc-maps/mck-plan.h).
 */
struct mck_plan;
int mck_lwk_plan(const struct mck_config *cfg, struct mck_plan *plan,
		 struct mck_error *err);

/*
 * The same with the user's --mckernel keys over the partition's policy
 * (hwloc-maps/mck-policy.h: mck_config_plan_policy, then
 * mck_policy_check_plan); user NULL is mck_lwk_plan. *user_fault (may be
 * NULL) is set to 1 when the failure comes from the user's keys (refused
 * or an impossible plan), 0 when from the node or the configuration.
 */
int mck_lwk_plan_opts(const struct mck_config *cfg, const struct mck_options *user,
		      struct mck_plan *plan, int *user_fault, struct mck_error *err);

#endif
