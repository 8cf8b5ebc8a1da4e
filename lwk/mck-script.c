/* mck-script.c: see mck-script.h. */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>

#include "mck-budget.h"
#include "mck-ctlcmd.h"
#include "mck-drain.h"
#include "mck-logline.h"
#include "mck-lwk.h"
#include "mck-metrics.h"
#include "mck-script.h"
#include "mck-util.h"

#define MAX_ID 0xfffffffeUL	/* Slurm ids and uids are 32-bit, NO_VAL excluded */
/* How long a detached watcher keeps our drain reason over slurmctld's own. */
#define DRAIN_WATCH_S 90

int mck_script_wanted(void)
{
	return getenv(MCK_SPANK_OPTION_ENV) != NULL;
}

static void vlog_line(const struct mck_script *s, int prio, int out, const char *fmt,
		      va_list ap)
{
	char text[1024], line[1200], path[PATH_MAX];

	vsnprintf(text, sizeof(text), fmt, ap);
	if (s->job)
		snprintf(line, sizeof(line), "%s: job %lu: %s", s->name, s->job, text);
	else
		snprintf(line, sizeof(line), "%s: %s", s->name, text);
	if (out) {
		printf("%s\n", line);
		fflush(stdout);
	}
	if (prio >= 0) {
		openlog("slurm-mckernel", LOG_PID, LOG_DAEMON);
		syslog(prio, "%s", line);
		closelog();
	}
	if (s->state_dir) {
		snprintf(path, sizeof(path), "%s/log/prolog.log", s->state_dir);
		mck_log_append(path, line);
	}
}

/* A line to stdout, syslog (prio) and prolog.log. */
static void report(const struct mck_script *s, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(const struct mck_script *s, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_line(s, prio, 1, fmt, ap);
	va_end(ap);
}

void mck_script_log(const struct mck_script *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_line(s, -1, 0, fmt, ap);
	va_end(ap);
}

/*
 * Drain now with our reason, which a detached watcher re-applies after
 * slurmctld has written its fixed "Prolog error"/"Epilog error".
 */
static void drain(const struct mck_script *s, const char *reason)
{
	char node[256], err[512];

	/* only as slurmd's Prolog/Epilog, which names the node */
	if (!getenv("SLURMD_NODENAME") || mck_drain_node_name(node, sizeof(node))) {
		mck_script_log(s, "not draining with a reason: SLURMD_NODENAME is not set or "
			       "not usable");
		return;
	}
	if (mck_drain_node_persist(node, reason, MCK_DRAIN_SCONTROL_S, DRAIN_WATCH_S,
				   err, sizeof(err))) {
		mck_script_log(s, "%s", err);
		return;
	}
	mck_script_log(s, "drained %s with the reason", node);
	if (s->state_dir)
		mck_metrics_add(s->state_dir, "drains_total", 1);
}

int mck_script_fail(const struct mck_script *s, int drain_node, const char *fmt, ...)
{
	char reason[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	report(s, LOG_ERR, "%s", reason);
	if (drain_node)
		drain(s, reason);
	return 1;
}

int mck_script_env_id(struct mck_script *s, const char *var, unsigned long *out)
{
	const char *v = getenv(var);

	if (!v)
		return mck_script_fail(s, 0, "%s is not set: run me only as slurmd's Prolog/Epilog",
				       var);
	if (mck_parse_ulong(v, out) || *out > MAX_ID)
		return mck_script_fail(s, 0, "%s='%s': expected a decimal id from 0 to %lu", var,
				       v, MAX_ID);
	return 0;
}

int mck_script_partition(struct mck_script *s, const char **partition)
{
	const char *p = getenv("SLURM_JOB_PARTITION");

	*partition = p && *p ? p : NULL;
	if (*partition && !mck_valid_partition(*partition))
		return mck_script_fail(s, 0, "SLURM_JOB_PARTITION='%s': not a partition name", p);
	return 0;
}

int mck_script_load_config(struct mck_script *s, const char *partition,
			   struct mck_config *cfg)
{
	struct mck_error err = { 0 };

	if (mck_config_load(NULL, partition, cfg, &err) == 0) {
		s->state_dir = cfg->state_dir;
		return 0;
	}
	/* a node that cannot read its configuration cannot run McKernel jobs */
	return mck_script_fail(s, 1, "%s", err.msg);
}

int mck_script_run(struct mck_script *s, const struct mck_config *cfg, const char *partition,
		   const char *const words[], int timeout_s, int clean_fail_ok)
{
	struct mck_ctl_cmd cmd;
	struct mck_ctl_result res;
	char how[128];

	if (mck_ctl_cmd(&cmd, cfg, partition, words))
		return mck_script_fail(s, 0, "mckctl command line too long");
	if (mck_ctl_run(&cmd, NULL, timeout_s, 0, &res) == 0) {
		mck_script_log(s, "%s ok %.0f ms", s->action, mck_now_ms() - s->t0);
		return 0;
	}
	if (clean_fail_ok && !res.timed_out && res.status >= 0 && WIFEXITED(res.status) &&
	    WEXITSTATUS(res.status) == MCK_LWK_EXIT_BOOT_FAILED_CLEAN) {
		/* unwound, node clean, the job record tells the job's steps why */
		report(s, LOG_WARNING, "%s (node clean, the job's steps will report it)",
		       *res.reason ? res.reason : "boot failed");
		return 0;
	}
	mck_ctl_describe(&res, timeout_s, how, sizeof(how));
	if (res.status >= 0 && !res.timed_out && WIFEXITED(res.status))
		return mck_script_fail(s, 1, "%s", *res.reason ? res.reason :
				       "mckctl failed without a reason");
	return mck_script_fail(s, 1, "mckctl %s %s%s%s; see %s/log/lifecycle.log", s->action,
			       how, *res.reason ? ": " : "", res.reason, cfg->state_dir);
}
