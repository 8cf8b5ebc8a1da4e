/*
 * fixture.h: a node for the lifecycle's unit tests, in a temporary
 * directory: the IHK double as libihk (as strict as IHK 3114d9e: a status
 * query or destroy of an instance that did not boot kills the caller),
 * a McKernel-looking ELF image, the test topology, sysfs_dir, and a fake
 * scontrol on PATH that answers for the jobs the test declares.
 */
#ifndef LWK_TEST_FIXTURE_H
#define LWK_TEST_FIXTURE_H

#include <stdio.h>
#include <sys/types.h>

#include "mck-config.h"

struct fixture {
	char dir[512];		/* the temporary directory */
	char conf[600];		/* its mckernel.conf */
	char state[600];	/* state_dir */
	char ihk[600];		/* the double's state */
	char dev[700];		/* device_dir */
	char image[600];
	char base[8192];	/* the configuration's own lines */
	struct mck_config cfg;
};

/* Set up (exit 99 when the build is incomplete); extra: more config lines. */
void fx_setup(struct fixture *fx, const char *name, const char *extra);
/* The configuration becomes its own lines and then lines; fx->cfg reloaded. */
void fx_conf_set(struct fixture *fx, const char *lines);
/* The node rebooted: the double's state is gone (records stay). */
void fx_reboot(struct fixture *fx);
/* Remove the directory unless a test failed. */
void fx_done(struct fixture *fx, int failed);

/* What scontrol says about job: "RUNNING node1", "COMPLETED", NULL: unknown job. */
void fx_slurm_job(struct fixture *fx, unsigned long job, const char *state_nodes);
/* scontrol cannot reach slurmctld (1) or can (0). */
void fx_slurm_down(struct fixture *fx, int down);

void fx_write(const char *path, const char *text);
int fx_contains(const char *path, const char *needle);
/* Lines in the double's events.log for call (e.g. "os_boot") with " rc=0". */
int fx_events_ok(struct fixture *fx, const char *call);
/* The calls of the double's events.log from line `from` on, as "a b c " (at most len). */
void fx_event_calls(struct fixture *fx, int from, char *buf, size_t len);
/* How many lines events.log has. */
int fx_event_count(struct fixture *fx);
/* Did the double kill a caller for touching an unbooted instance? */
int fx_strict_killed(struct fixture *fx);

/* fn's output into a malloc'd string. */
char *fx_capture(int (*fn)(const struct mck_config *, FILE *, struct mck_error *),
		 const struct mck_config *cfg, int *rc);
int fx_node_clean(struct fixture *fx, const char *what);

/* A child of uid that holds path open (O_PATH when open gives ENXIO); its pid. */
pid_t fx_hold(const char *path, uid_t uid);
/* SIGKILL and reap a holder of fx_hold (nothing when it failed: pid <= 0). */
void fx_unhold(pid_t pid);
/* Exit status of child pid after at most ms: signal number + 128, or -1 alive. */
int fx_reap(pid_t pid, int ms);

#endif
