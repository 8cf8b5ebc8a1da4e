/*
 * mck-jobrec.h: the per-job record a node keeps while a job's McKernel
 * instance exists: STATE_DIR/jobs/JOBID.job, "key=value" lines, written
 * atomically by root (mode 0644) at each lifecycle step and removed once
 * the node is clean again. The SPANK plugin reads it to find the
 * instance of the job; recovery reads it to find what a job left behind.
 */
#ifndef MCK_JOBREC_H
#define MCK_JOBREC_H

#include <stddef.h>
#include <sys/types.h>

#include "mck-error.h"

struct mck_jobrec {
	unsigned long job;
	uid_t uid;
	gid_t gid;
	int os;			/* IHK OS index, -1 before create */
	char *state;		/* reserving, created, booting, running, tearing-down,
				   boot-failed, refused */
	char *partition;
	char *device;		/* e.g. /dev/mcos0 */
	char *cpus;		/* LWK CPUs, CPU list */
	char *mem;		/* memory list asked for */
	char *ikc;		/* IKC map */
	char *linux_cpus;	/* Linux CPUs serving the partition */
	double boot_ms;		/* wall time of the boot sequence */
	char *reason;		/* why the job cannot use McKernel here (boot-failed, refused); one line */
};

int mck_jobrec_path(const char *state_dir, unsigned long job, char *buf, size_t len);
int mck_jobrec_write(const char *state_dir, const struct mck_jobrec *r, struct mck_error *err);
/* Returns -ENOENT (with a message) when the job has no record. */
int mck_jobrec_read(const char *state_dir, unsigned long job, struct mck_jobrec *r,
		    struct mck_error *err);
int mck_jobrec_remove(const char *state_dir, unsigned long job, struct mck_error *err);
/* Set a string field (copying value). */
int mck_jobrec_set(char **field, const char *value);
void mck_jobrec_free(struct mck_jobrec *r);

/* List job ids that have a record; malloc'd array. */
int mck_jobrec_list(const char *state_dir, unsigned long **jobs, int *n, struct mck_error *err);

#endif
