/*
 * mck-ctlcmd.h: running mckctl from the programs Slurm starts as root
 * (mck-prologue, mck-epilogue, and the SPANK plugin in slurmstepd): one
 * builder of its command line, one bounded run (fork/execve, no shell,
 * killed past its budget, see mck-budget.h), one reading of its answer.
 */
#ifndef MCK_CTLCMD_H
#define MCK_CTLCMD_H

#include <stddef.h>

#include "mck-config.h"

#define MCK_CTL_MAX_ARGS 24

struct mck_ctl_cmd {
	char *argv[MCK_CTL_MAX_ARGS + 1];
	int argc;
};

/*
 * cfg->mckctl [--config cfg->path] [--partition P] --quiet WORD...
 * (words NULL-terminated; partition NULL or "": none). The strings are
 * borrowed: they must outlive the command. 0, or -E2BIG.
 */
int mck_ctl_cmd(struct mck_ctl_cmd *cmd, const struct mck_config *cfg, const char *partition,
		const char *const words[]);

/* What a run of mckctl ended with. */
struct mck_ctl_result {
	int status;		/* wait status; -1 when it could not run */
	int timed_out;		/* killed past its budget */
	char out[4096];		/* its output (the end of it) */
	const char *reason;	/* its last line without "mckctl: ", "" when none */
};

/*
 * Run cmd with envp (NULL: this process's environment), killed after
 * timeout_s. collect_stdout: stdin /dev/null and stdout collected with
 * stderr (else stdout stays this process's). 0 when mckctl exited 0,
 * else -1 with res saying how it ended.
 */
int mck_ctl_run(const struct mck_ctl_cmd *cmd, char *const envp[], int timeout_s,
		int collect_stdout, struct mck_ctl_result *res);

/* "killed by signal 9", "exit status 3", "did not finish within 250 s", ... */
void mck_ctl_describe(const struct mck_ctl_result *res, int timeout_s, char *buf, size_t len);

#endif
