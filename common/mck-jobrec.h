/*
 * mck-jobrec.h: the per-job record a node keeps while a job's McKernel
 * instance exists: STATE_DIR/jobs/JOBID.job, "key=value" lines, written
 * atomically by root (mode 0644) at each lifecycle stage and removed once
 * the node is clean again. Only root writes it; every root-side decision
 * about a job's instance (its partition, its stage, its owner) is taken
 * from it, never from the job's environment. The SPANK plugin reads it to
 * find the instance of the job; recovery reads it to find what a job left.
 *
 * The states, in the order a boot goes through them, and what each one
 * tells a later reader (recovery, check, health check, status) about the
 * instance named by os= without asking IHK for its status (asking for the
 * status of an instance whose boot did not start crashes real IHK):
 *
 *   reserving            CPUs and memory are being reserved; no instance
 *                        was created for the job (yet).
 *   created              the instance exists and is being prepared
 *                        (assign, IKC map, load, kargs); not booted.
 *   booting              ihk_os_boot is being called; whether the boot
 *                        started is not known until it returns.
 *   booted               ihk_os_boot returned 0: the instance booted and
 *                        may be queried and destroyed.
 *   running              booted, RUNNING and the device is the job user's.
 *   tearing-down         the teardown of a booted instance is under way.
 *   boot-failed          the boot failed and was unwound: nothing of the
 *                        job is left; reason= says why (for its steps).
 *   boot-failed-unclean  the boot failed and the unwind could not make the
 *                        node clean; reason= says what is left.
 *   stranded             a step between create and boot failed (or the
 *                        boot's fate is unknown): the instance must be
 *                        neither queried nor destroyed (that crashes real
 *                        IHK), failed_at= names the step, reason= says
 *                        that the node needs a reboot.
 *   refused              the job may not have McKernel here (its options,
 *                        not whole nodes, the node in use by another
 *                        job); nothing was reserved; reason= says why.
 *
 * "Known booted" (may be queried and destroyed): booted, running and
 * tearing-down. "Not known booted" (never queried nor destroyed unless
 * the operator declares ihk_destroy_unbooted = safe): created, booting,
 * stranded.
 */
#ifndef MCK_JOBREC_H
#define MCK_JOBREC_H

#include <stddef.h>
#include <sys/types.h>

#include "mck-error.h"

enum mck_job_state {
	MCK_JOB_NONE = 0,		/* not set / unknown text */
	MCK_JOB_RESERVING,
	MCK_JOB_CREATED,
	MCK_JOB_BOOTING,
	MCK_JOB_BOOTED,
	MCK_JOB_RUNNING,
	MCK_JOB_TEARING_DOWN,
	MCK_JOB_BOOT_FAILED,
	MCK_JOB_BOOT_FAILED_UNCLEAN,
	MCK_JOB_STRANDED,
	MCK_JOB_REFUSED,
	MCK_JOB_STATE_COUNT
};

/* "running" for MCK_JOB_RUNNING; "?" for values outside the enum. */
const char *mck_job_state_name(enum mck_job_state s);
/* The state of a name; MCK_JOB_NONE when the name is not one. */
enum mck_job_state mck_job_state_parse(const char *name);
/* booted, running, tearing-down: the instance may be queried and destroyed. */
int mck_job_state_known_booted(enum mck_job_state s);
/* created, booting, stranded: an instance whose boot is not known to have started. */
int mck_job_state_unbooted(enum mck_job_state s);
/* boot-failed, refused: the job has nothing here and reason= says why. */
int mck_job_state_told(enum mck_job_state s);

struct mck_jobrec {
	unsigned long job;
	uid_t uid;
	gid_t gid;
	int os;			/* IHK OS index, -1 before create */
	enum mck_job_state state;
	char *partition;	/* the partition Slurm gave the prologue */
	char *node;		/* the Slurm node name the prologue ran on */
	char *options;		/* the job's --mckernel keys, canonical text */
	char *device;		/* e.g. /dev/mcos0 */
	char *cpus;		/* LWK CPUs, CPU list */
	char *mem;		/* memory list asked for */
	char *ikc;		/* IKC map */
	char *linux_cpus;	/* Linux CPUs serving the partition */
	char *failed_at;	/* the boot step that failed (stranded, boot-failed) */
	long last_step;		/* step that ran on the current instance, -1 none (fresh) */
	long told_step;		/* step whose user was told how the boot went, -1 none */
	double boot_ms;		/* wall time of the boot sequence */
	char *reason;		/* why the job cannot use McKernel here; one line */
};

/* An empty record of job: os -1, last_step -1, no strings. */
void mck_jobrec_init(struct mck_jobrec *r, unsigned long job, uid_t uid, gid_t gid);
int mck_jobrec_path(const char *state_dir, unsigned long job, char *buf, size_t len);
int mck_jobrec_write(const char *state_dir, const struct mck_jobrec *r, struct mck_error *err);
/* Returns -ENOENT (with a message) when the job has no record. */
int mck_jobrec_read(const char *state_dir, unsigned long job, struct mck_jobrec *r,
		    struct mck_error *err);
int mck_jobrec_remove(const char *state_dir, unsigned long job, struct mck_error *err);
/* Set a string field (copying value). */
int mck_jobrec_set(char **field, const char *value);
void mck_jobrec_free(struct mck_jobrec *r);

/*
 * The record of a job that may not have McKernel here (state refused, os
 * -1, reason one line): nothing was reserved; the job's steps print why.
 */
int mck_jobrec_refuse(const char *state_dir, unsigned long job, uid_t uid, gid_t gid,
		      const char *partition, const char *node, const char *reason,
		      struct mck_error *err);

/* List job ids that have a record; malloc'd array. */
int mck_jobrec_list(const char *state_dir, unsigned long **jobs, int *n, struct mck_error *err);

#endif
