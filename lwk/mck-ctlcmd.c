/* mck-ctlcmd.c: see mck-ctlcmd.h. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "mck-ctlcmd.h"
#include "mck-util.h"

int mck_ctl_cmd(struct mck_ctl_cmd *cmd, const struct mck_config *cfg, const char *partition,
		const char *const words[])
{
	int a = 0;

	cmd->argv[a++] = cfg->mckctl;
	if (cfg->path && *cfg->path) {
		cmd->argv[a++] = "--config";
		cmd->argv[a++] = cfg->path;
	}
	if (partition && *partition) {
		cmd->argv[a++] = "--partition";
		cmd->argv[a++] = (char *)partition;
	}
	cmd->argv[a++] = "--quiet";
	for (int i = 0; words[i]; i++) {
		if (a >= MCK_CTL_MAX_ARGS)
			return -E2BIG;
		cmd->argv[a++] = (char *)words[i];
	}
	cmd->argv[a] = NULL;
	cmd->argc = a;
	return 0;
}

/* The last non-empty line of text (cut in place), without "mckctl: ". */
static const char *last_line(char *text)
{
	char *end = text + strlen(text), *start;

	while (end > text && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	start = strrchr(text, '\n');
	start = start ? start + 1 : text;
	if (!strncmp(start, "mckctl: ", 8))
		start += 8;
	return start;
}

int mck_ctl_run(const struct mck_ctl_cmd *cmd, char *const envp[], int timeout_s,
		int collect_stdout, struct mck_ctl_result *res)
{
	int flags = MCK_RUN_TAIL | MCK_RUN_EXEC_ERROR | (collect_stdout ? MCK_RUN_STDOUT : 0);
	memset(res, 0, sizeof(*res));
	res->status = mck_run_bounded_env(cmd->argv, envp, flags, res->out, sizeof(res->out),
					  timeout_s, &res->timed_out);
	res->reason = last_line(res->out);
	if (res->status >= 0 && !res->timed_out && WIFEXITED(res->status) &&
	    WEXITSTATUS(res->status) == 0)
		return 0;
	return -1;
}

void mck_ctl_describe(const struct mck_ctl_result *res, int timeout_s, char *buf, size_t len)
{
	if (res->timed_out)
		snprintf(buf, len, "did not finish within %d s: killed", timeout_s);
	else if (res->status < 0)
		snprintf(buf, len, "could not run: %s", strerror(errno));
	else if (WIFSIGNALED(res->status))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(res->status));
	else
		snprintf(buf, len, "exit status %d", WEXITSTATUS(res->status));
}
