/*
 * mck-slurmd-script.h: what mck-prologue and mck-epilogue share. slurmd
 * runs them as Prolog= / Epilog= with the job's environment; they act
 * only for jobs that asked for --mckernel and run the configured mckctl
 * (fork + execv, no shell). On failure the one-line reason goes to
 * stdout (slurmd 22.05 logs a failed prolog's output as
 * "prolog failed: rc:N output:..."), to syslog ("slurm-mckernel") and to
 * STATE_DIR/log/prolog.log, and the program exits non-zero so that Slurm
 * drains the node.
 */
#ifndef MCK_SLURMD_SCRIPT_H
#define MCK_SLURMD_SCRIPT_H

/* The variable slurmd sets for a job that gave --mckernel[=...]. */
#define MCK_SPANK_OPTION_ENV "SPANK__SLURM_SPANK_OPTION_mckernel_mckernel"

enum mck_script_kind { MCK_SCRIPT_PROLOG, MCK_SCRIPT_EPILOG };

/* The whole program: returns its exit status. */
int mck_slurmd_script_main(enum mck_script_kind kind);

#endif
