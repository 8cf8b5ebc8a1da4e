/*
 * lwk-internal.h: what the modules of the lifecycle package share.
 *
 *   lwk-ctx.c       one lifecycle operation: configuration, libihk, the
 *                   lock, the log, IHK's device-wide lists
 *   lwk-device.c    the instance's device: path, owner and mode, holders
 *   lwk-kmsg.c      saving an instance's kernel messages (one file mode)
 *   lwk-validate.c  everything that can fail between create and boot,
 *                   checked before ihk_create_os (image, kargs, objdump)
 *   lwk-boot.c      the boot: a table of steps with their undo
 *   lwk-teardown.c  destroying a booted instance, releasing, teardown, clean
 *   lwk-inspect.c   what the node holds: leftovers, check, health, status
 *   lwk-step.c      what slurmstepd asks before a step (mckctl step)
 *   lwk-slurm.c     whether Slurm still runs a job on this node
 *   lwk-keep.c      a reservation kept for the next job (reservation = keep)
 *
 * The rules of real IHK (shared/reference/ihk-interface.md) that every
 * module follows: never ihk_os_shutdown on its own; a status query or a
 * destroy only of an instance whose record says it booted (see
 * mck_job_state_known_booted), unless the operator declared
 * ihk_destroy_unbooted = safe; kernel messages saved before the destroy;
 * CPUs and memory released exactly as IHK lists them.
 */
#ifndef LWK_INTERNAL_H
#define LWK_INTERNAL_H

#include <stdio.h>
#include <sys/types.h>

#include "mck-config.h"
#include "mck-error.h"
#include "mck-ihk.h"
#include "mck-jobrec.h"
#include "mck-lwk.h"

#define LWK_IHK_DEV 0

/* ------------------------------------------------------------ lwk-ctx.c */

struct lwk_ctx {
	const struct mck_config *cfg;
	unsigned long job;		/* named in log lines; 0: none */
	struct mck_ihk ihk;
	FILE *logfile;			/* STATE_DIR/log/lifecycle.log, or NULL */
	int lock_fd;
};

enum lwk_open {
	LWK_OPEN_CHANGE,		/* log, exclusive lock (bounded wait), libihk */
	LWK_OPEN_QUERY,			/* libihk only */
};

int lwk_ctx_open(struct lwk_ctx *c, const struct mck_config *cfg, unsigned long job,
		 enum lwk_open how, struct mck_error *err);
void lwk_ctx_close(struct lwk_ctx *c);

/*
 * flock(fd, op) (LOCK_EX or LOCK_SH), waiting at most timeout_s seconds:
 * 0, -ETIMEDOUT, or another negative errno.
 */
int lwk_flock_wait(int fd, int op, int timeout_s);

void lwk_log(struct lwk_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "CALL(ARGS) ok 0.41 ms" or "CALL(ARGS) failed: TEXT (RC) 0.41 ms". */
void lwk_log_call(struct lwk_ctx *c, const char *call, const char *args, int rc, double t0);

/* IHK's device-wide lists, malloc'd (NULL when empty). */
int lwk_reserved_cpus(struct lwk_ctx *c, int **cpus, int *n, struct mck_error *err);
int lwk_reserved_mem(struct lwk_ctx *c, struct ihk_mem_chunk **m, int *n, struct mck_error *err);
int lwk_instances(struct lwk_ctx *c, int **oses, int *n, struct mck_error *err);
/* An instance's assigned CPUs and memory: only for one that may be queried. */
int lwk_os_cpus(struct lwk_ctx *c, int os, int **cpus, int *n, struct mck_error *err);
int lwk_os_mem(struct lwk_ctx *c, int os, struct ihk_mem_chunk **m, int *n,
	       struct mck_error *err);

/* "1-3" / "512M@0,512M@1", "none" when empty; malloc'd. */
char *lwk_format_cpus(const int *cpus, int n);
char *lwk_format_mem(const struct ihk_mem_chunk *m, int n);

/* ---------------------------------------------------------- lwk-device.c */

void lwk_device_path(const struct mck_config *cfg, int os, char *buf, size_t len);

/* The device back to root:root mode 0600 (first thing of every teardown). */
int lwk_device_restore(struct lwk_ctx *c, const char *path);
/* The device to the job's user, mode 0600. */
int lwk_device_give(struct lwk_ctx *c, const char *path, uid_t uid, gid_t gid,
		    struct mck_error *err);

struct lwk_holder {
	pid_t pid;
	uid_t uid;		/* effective */
	uid_t ruid;		/* real */
	char comm[32];
};

/*
 * Processes holding path open (/proc/PID/fd; a character device matches
 * by device number, a file by device and inode): up to max in h; returns
 * how many there are.
 */
int lwk_device_holders(const char *path, struct lwk_holder *h, int max);
/* "pid 12 (sleep, uid 1001), pid 13 (...)" */
void lwk_holders_text(const struct lwk_holder *h, int n, char *buf, size_t len);

/*
 * End the processes of uid (never root's, never another user's) that hold
 * path: each is told why on its standard error (one line), TERM, a grace
 * period, KILL. Logged by pid and name. Returns how many were ended.
 */
int lwk_device_end_holders(struct lwk_ctx *c, const char *path, uid_t uid, const char *why);

/* ------------------------------------------------------------ lwk-kmsg.c */

/*
 * Save the kernel messages of instance os (one that may be queried) to
 * STATE_DIR/kmsg/NAME.kmsg, mode 0640, root and the job's group. The path
 * goes to saved (may be NULL). 0 or a negative errno (logged).
 */
int lwk_kmsg_save(struct lwk_ctx *c, int os, const char *name, gid_t gid,
		  char *saved, size_t saved_len);

/* -------------------------------------------------------- lwk-validate.c */

/* Largest kernel image accepted (real images are a few MiB). */
#define LWK_IMAGE_MAX_BYTES (64L << 20)

/*
 * image is a regular file of at most LWK_IMAGE_MAX_BYTES holding an ELF
 * executable for this machine (magic, 64-bit class, byte order, machine,
 * executable type, program headers). 0, or -errno with why.
 */
int lwk_check_image(const char *image, char *why, size_t len);

/*
 * What of the configuration ihk_os_load and ihk_os_kargs would otherwise
 * find out after ihk_create_os: the image and the kernel arguments. 0, or
 * a negative errno with what to fix in err.
 */
int lwk_check_before_create(const struct mck_config *cfg, struct mck_error *err);

/* The node's own prerequisite for McKernel jobs: objdump (mck-prereq.h). */
int lwk_check_node_ready(struct mck_error *err);

/* ---------------------------------------------------------- lwk-teardown.c */

/* Whose instance: for the kmsg file name, its group and its holders. */
struct lwk_owner {
	unsigned long job;
	long step;			/* -1: the job's kmsg, else JOB.stepS */
	uid_t uid;
	gid_t gid;
	const char *why;		/* told to the holders that are ended */
	char *saved;			/* where the kmsg went ("" none); may be NULL */
	size_t saved_len;
};

/*
 * Remove instance os, whose boot is known to have started: device back to
 * root 0600, kernel messages saved, the owner's holders ended, destroy
 * (retried while the device is held, up to shutdown_timeout). Its CPUs
 * and memory go back to IHK's pool. 0 when it is gone.
 */
int lwk_destroy_booted(struct lwk_ctx *c, int os, const struct lwk_owner *o,
		       struct mck_error *err);

/*
 * ihk_destroy_unbooted = safe only (an IHK on which asking and destroying
 * are safe): an instance whose boot is not known to have started is asked
 * for its status; a booted one is destroyed as lwk_destroy_booted does,
 * another first gives its CPUs and memory back to the pool
 * (ihk_os_release_cpu/mem, which such an IHK needs), then is destroyed.
 */
int lwk_remove_unbooted_safe(struct lwk_ctx *c, int os, const struct lwk_owner *o,
			     struct mck_error *err);

/* Release everything IHK's pool holds (reserved, unassigned) to Linux. */
int lwk_release_pool(struct lwk_ctx *c, struct mck_error *err);

/* The teardown of one job under the lock of c (see mck_lwk_teardown). */
int lwk_teardown_job(struct lwk_ctx *c, unsigned long job, long step, const char *why,
		     struct mck_error *err);

/*
 * Remove what earlier jobs left before job's boot on node (under the lock
 * of c): 0 when the node is clean; LWK_REFUSED when another job's instance
 * is in use (or whether it is cannot be told), err saying so; a negative
 * errno when the node cannot be made clean (err: what is left).
 */
#define LWK_REFUSED 1
int lwk_recover(struct lwk_ctx *c, const char *node, unsigned long job, struct mck_error *err);

/* ----------------------------------------------------------- lwk-inspect.c */

/*
 * What the node holds that a job at work does not explain: each leftover
 * one line to out (NULL: count only). skip_job's record is not a leftover;
 * allow_live: a job's booted instance and the record of a job told why it
 * has none are a job at work. Returns the count or a negative errno.
 */
int lwk_leftovers(struct lwk_ctx *c, FILE *out, unsigned long skip_job, int allow_live,
		  struct mck_error *err);
/* The same as one line "os 0: ...; reserved cpus: 1-3" into buf. */
void lwk_leftovers_line(struct lwk_ctx *c, unsigned long skip_job, char *buf, size_t len);

/* Which job record names instance os (0 when none); its record in *rec. */
unsigned long lwk_job_of_os(struct lwk_ctx *c, int os, struct mck_jobrec *rec);

/* May instance os be queried and destroyed (record known booted, or safe mode)? */
int lwk_may_probe(struct lwk_ctx *c, const struct mck_jobrec *rec);

/*
 * CPUs Linux has offline (SYSFS/devices/system/cpu/offline) that this
 * node's lifecycle reserved at some time and that IHK does not hold now
 * (not in its pool, not assigned to a listed instance): CPUs lost.
 */
int lwk_lost_cpus(struct lwk_ctx *c, int **cpus, int *n, struct mck_error *err);
/* Remember cpus as reserved by this node's lifecycle (for lwk_lost_cpus). */
void lwk_note_reserved_cpus(struct lwk_ctx *c, const int *cpus, int n);

/* ------------------------------------------------------------- lwk-boot.c */

/* The boot of job under the lock of c (see mck_lwk_boot). */
int lwk_boot_locked(struct lwk_ctx *c, const struct mck_lwk_job *job, struct mck_error *err);

/* Write rec with state (logged on failure). */
int lwk_record(struct lwk_ctx *c, struct mck_jobrec *rec, enum mck_job_state state,
	       struct mck_error *err);

/* ------------------------------------------------------------- lwk-keep.c */

/* STATE_DIR/kept: what a teardown kept reserved (see lwk-keep.c). */
struct lwk_kept {
	char *cpus;		/* the plan's LWK CPUs */
	char *mem;		/* the plan's memory request */
	char *chunks;		/* IHK's pool as it listed it */
	char *partition;
	unsigned long job;	/* kept after this job */
	long since;		/* epoch seconds */
};

void lwk_kept_free(struct lwk_kept *k);
/* Is there a record (valid or not)? */
int lwk_kept_exists(const struct mck_config *cfg);
/* Read the record: 0, -ENOENT when none, else an error (err). */
int lwk_kept_read(const struct mck_config *cfg, struct lwk_kept *k, struct mck_error *err);
/* Does IHK hold exactly what k says, and no instance? 1 yes; 0 no (why). */
int lwk_kept_matches_ihk(struct lwk_ctx *c, const struct lwk_kept *k, char *why, size_t len);
/* A record that IHK matches: 1 and k filled (free it), else 0. */
int lwk_kept_valid(struct lwk_ctx *c, struct lwk_kept *k);
/* The kept reservation back to Linux (the whole pool), record removed; logged with why. */
int lwk_kept_release(struct lwk_ctx *c, const char *why, struct mck_error *err);
/* Remove the record only (its pool was released otherwise). */
void lwk_kept_forget(struct lwk_ctx *c);
/*
 * After rec's instance is destroyed and no other job has a record: when
 * rec's partition says reservation = keep and the pool holds exactly its
 * plan's CPUs, keep the pool: 1 kept, 0 not (release it), <0 error.
 */
int lwk_kept_keep(struct lwk_ctx *c, const struct mck_jobrec *rec, struct mck_error *err);
/*
 * At a boot of plan (cpus, mem): a valid kept reservation of the same plan
 * becomes the job's (1, chunks as IHK listed them, malloc'd); one of
 * another plan is released (0); none: 0. <0 error.
 */
int lwk_kept_reuse(struct lwk_ctx *c, const char *cpus, const char *mem,
		   struct ihk_mem_chunk **chunks, int *n, struct mck_error *err);

/* ----------------------------------------------------- lwk-status.c: metrics */

/* The textfile of mck-metrics.h at path, with IHK's gauges. */
int lwk_metrics_write(struct lwk_ctx *c, const char *path, struct mck_error *err);
/* Rewrite metrics_file when its directory exists (errors only logged). */
void lwk_metrics_auto(struct lwk_ctx *c);

/* ------------------------------------------------------------ lwk-slurm.c */

/*
 * Does Slurm still run job on node (running, completing, suspended,
 * configuring)? 1 yes, 0 no (ended, unknown to slurmctld, elsewhere),
 * -1 cannot tell (why says so). Asks slurmctld through scontrol, all of it
 * within timeout_s (MCK_SLURM_QUERY_S, part of the budget's boot margin).
 */
int lwk_slurm_job_on_node(unsigned long job, const char *node, int timeout_s,
			  char *why, size_t len);

#endif
