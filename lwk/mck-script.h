/*
 * mck-script.h: what mck-prologue and mck-epilogue share. slurmd runs them
 * as Prolog= / Epilog= with the job's environment; they act only for jobs
 * that asked for --mckernel and run the configured mckctl (mck-ctlcmd.h:
 * fork + execve, no shell, bounded by mck-budget.h). On failure the
 * one-line reason goes to stdout (slurmd 22.05 logs a failed prolog's
 * output as "prolog failed: rc:N output:..."), to syslog ("slurm-mckernel")
 * and to STATE_DIR/log/prolog.log, the node is drained with that reason
 * (lwk/mck-drain.h) and the program exits non-zero so that Slurm drains it
 * even when scontrol cannot reach slurmctld.
 */
#ifndef MCK_SCRIPT_H
#define MCK_SCRIPT_H

#include "mck-config.h"

/* The variable slurmd sets for a job that gave --mckernel[=...]. */
#define MCK_SPANK_OPTION_ENV "SPANK__SLURM_SPANK_OPTION_mckernel_mckernel"

struct mck_script {
	const char *name;	/* mck-prologue / mck-epilogue */
	const char *action;	/* boot / teardown */
	unsigned long job;
	const char *state_dir;	/* NULL until the configuration is loaded */
	double t0;
};

/* Did the job ask for --mckernel (any value, even empty)? */
int mck_script_wanted(void);

/* An id slurmd gives in var: 0, or 1 (the reason reported). */
int mck_script_env_id(struct mck_script *s, const char *var, unsigned long *out);

/* The job's partition as slurmd gives it (NULL: none); 1 when not a name. */
int mck_script_partition(struct mck_script *s, const char **partition);

/* A line to prolog.log (once the state dir is known). */
void mck_script_log(const struct mck_script *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The reason to stdout, syslog, prolog.log; drains the node when drain. Returns 1. */
int mck_script_fail(const struct mck_script *s, int drain, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * mckernel.conf for partition; when it cannot be loaded the node is
 * drained with its FILE:LINE reason (the node cannot run McKernel jobs).
 * 0, or the script's exit status (1).
 */
int mck_script_load_config(struct mck_script *s, const char *partition,
			   struct mck_config *cfg);

/*
 * Run mckctl [--partition P] WORDS bounded by timeout_s. 0 when it
 * succeeded (logged with its time), or when clean_fail_ok and mckctl said
 * the boot failed but nothing is left (the job's steps report why);
 * otherwise the failure is reported, the node drained, and 1 returned.
 */
int mck_script_run(struct mck_script *s, const struct mck_config *cfg, const char *partition,
		   const char *const words[], int timeout_s, int clean_fail_ok);

#endif
