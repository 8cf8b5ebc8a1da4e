/* mck-slurmd-script.c: see mck-slurmd-script.h. */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "mck-config.h"
#include "mck-jobrec.h"
#include "mck-options.h"
#include "lwk/mck-drain.h"
#include "lwk/mck-lwk.h"
#include "prologue/mck-slurmd-script.h"
#include "mck-util.h"

#define MAX_ID 0xfffffffeUL	/* Slurm ids and uids are 32-bit, NO_VAL excluded */

struct script {
	enum mck_script_kind kind;
	const char *name;		/* mck-prologue / mck-epilogue */
	unsigned long job;
	const char *state_dir;		/* NULL until the configuration is loaded */
};

/* One line to prolog.log (when the state dir is known). */
static void append_log(const struct script *s, const char *line)
{
	char path[PATH_MAX], stamp[64];
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;

	if (!s->state_dir)
		return;
	snprintf(path, sizeof(path), "%s/log", s->state_dir);
	if (mck_mkdir_p(path, 0755, NULL))
		return;
	snprintf(path, sizeof(path), "%s/log/prolog.log", s->state_dir);
	f = fopen(path, "ae");
	if (!f)
		return;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "%s pid=%ld %s\n", stamp, (long)getpid(), line);
	fclose(f);
}

/* The failure reason: stdout (slurmd logs it), syslog, prolog.log. */
static int script_fail(const struct script *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int script_fail(const struct script *s, const char *fmt, ...)
{
	char reason[1024], line[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (s->job)
		snprintf(line, sizeof(line), "%s: job %lu: %s", s->name, s->job, reason);
	else
		snprintf(line, sizeof(line), "%s: %s", s->name, reason);
	printf("%s\n", line);
	fflush(stdout);
	openlog("slurm-mckernel", LOG_PID, LOG_DAEMON);
	syslog(LOG_ERR, "%s", line);
	closelog();
	append_log(s, line);
	return 1;
}

/*
 * The node cannot be made clean: drain it now with our reason, which a
 * detached watcher re-applies after slurmctld has written its fixed
 * "Prolog error"/"Epilog error" (bounded; see lwk/mck-drain.h). The
 * script still exits non-zero, so Slurm drains the node even when
 * scontrol cannot reach slurmctld.
 */
#define DRAIN_SCONTROL_TIMEOUT_S 15
#define DRAIN_WATCH_S 90

static void drain_node(const struct script *s, const char *reason)
{
	char node[256], err[512], line[700];

	/* only as slurmd's Prolog/Epilog, which names the node */
	if (!getenv("SLURMD_NODENAME") || mck_drain_node_name(node, sizeof(node))) {
		append_log(s, "not draining with a reason: SLURMD_NODENAME is not set or not usable");
		return;
	}
	if (mck_drain_node_persist(node, reason, DRAIN_SCONTROL_TIMEOUT_S, DRAIN_WATCH_S,
				   err, sizeof(err))) {
		snprintf(line, sizeof(line), "%s: job %lu: %s", s->name, s->job, err);
		append_log(s, line);
		return;
	}
	snprintf(line, sizeof(line), "%s: job %lu: drained %s with the reason", s->name, s->job,
		 node);
	append_log(s, line);
}

static int env_id(const struct script *s, const char *var, unsigned long *out)
{
	const char *v = getenv(var);

	if (!v)
		return script_fail(s, "%s is not set: run me only as slurmd's Prolog/Epilog", var);
	if (mck_parse_ulong(v, out) || *out > MAX_ID)
		return script_fail(s, "%s='%s': expected a decimal id from 0 to %lu",
				   var, v, MAX_ID);
	return 0;
}

/*
 * Does the job hold whole nodes? slurmd gives a Prolog no CPU ids, only
 * SLURM_JOB_CPUS_PER_NODE ("8(x2),4"): every node of the job must have
 * all the CPUs this node has (its present CPUs, which McKernel's
 * offlining does not change). 0 when it does; else reason in buf.
 */
static int job_not_whole_node(char *buf, size_t len)
{
	const char *v = getenv("SLURM_JOB_CPUS_PER_NODE");
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	const char *p = v;

	if (!v || !*v) {
		snprintf(buf, len, "SLURM_JOB_CPUS_PER_NODE is not set: cannot tell whether the job "
			 "holds whole nodes, which McKernel jobs need");
		return 1;
	}
	while (*p) {
		char *end;
		long n = strtol(p, &end, 10);

		if (end == p || n <= 0) {
			snprintf(buf, len, "SLURM_JOB_CPUS_PER_NODE='%.64s': cannot read it", v);
			return 1;
		}
		if (n != ncpu) {
			snprintf(buf, len, "McKernel jobs need whole nodes, this job holds %ld of the %ld "
				 "CPUs of a node (SLURM_JOB_CPUS_PER_NODE=%.64s): submit with --exclusive or "
				 "to an OverSubscribe=EXCLUSIVE partition", n, ncpu, v);
			return 1;
		}
		p = end;
		if (*p == '(')
			p = strchrnul(p, ')');
		if (*p == ')')
			p++;
		if (*p == ',')
			p++;
		else if (*p) {
			snprintf(buf, len, "SLURM_JOB_CPUS_PER_NODE='%.64s': cannot read it", v);
			return 1;
		}
	}
	return 0;
}

/*
 * Refuse the job on this node without draining it (the node is fine):
 * a job record in state refused with the reason, which the SPANK plugin
 * prints to every task of the job's steps; the epilogue removes it.
 */
static int refuse_job(const struct script *s, uid_t uid, gid_t gid, const char *reason)
{
	struct mck_jobrec rec = { .job = s->job, .uid = uid, .gid = gid, .os = -1 };
	struct mck_error err = { 0 };
	char line[1200];
	int rc;

	if (mck_jobrec_set(&rec.state, MCK_LWK_STATE_REFUSED) ||
	    mck_jobrec_set(&rec.reason, reason))
		return script_fail(s, "out of memory");
	rc = mck_jobrec_write(s->state_dir, &rec, &err);
	mck_jobrec_free(&rec);
	if (rc)
		return script_fail(s, "%s", err.msg);
	snprintf(line, sizeof(line), "%s: job %lu: refused: %s", s->name, s->job, reason);
	append_log(s, line);
	return 0;
}

/* Last non-empty line of text (modified in place). */
static const char *last_line(char *text)
{
	char *end = text + strlen(text), *start;

	while (end > text && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	start = strrchr(text, '\n');
	return start ? start + 1 : text;
}

int mck_slurmd_script_main(enum mck_script_kind kind)
{
	struct script s = {
		.kind = kind,
		.name = kind == MCK_SCRIPT_PROLOG ? "mck-prologue" : "mck-epilogue",
	};
	struct mck_config cfg;
	struct mck_error err = { 0 };
	unsigned long uid = 0, gid = 0;
	const char *partition = getenv("SLURM_JOB_PARTITION");
	char job_s[32], uid_s[32], gid_s[32], out[4096], line[1200];
	char *argv[20];
	const char *opt_text = getenv(MCK_SPANK_OPTION_ENV);
	char canon[MCK_OPTIONS_MAX_LEN + 1];
	struct mck_options opts;
	int argc = 0, status, timeout_s, timed_out = 0;
	char why_not[512];
	double t0 = mck_now_ms();

	/* Only jobs that asked for --mckernel (any value, even empty). */
	if (!getenv(MCK_SPANK_OPTION_ENV))
		return 0;
	if (env_id(&s, "SLURM_JOB_ID", &s.job))
		return 1;
	if (kind == MCK_SCRIPT_PROLOG &&
	    (env_id(&s, "SLURM_JOB_UID", &uid) || env_id(&s, "SLURM_JOB_GID", &gid)))
		return 1;
	if (partition && !*partition)
		partition = NULL;
	if (partition && !mck_valid_partition(partition))
		return script_fail(&s, "SLURM_JOB_PARTITION='%s': not a partition name", partition);
	if (mck_config_load(NULL, partition, &cfg, &err))
		return script_fail(&s, "%s", err.msg);
	s.state_dir = cfg.state_dir;

	snprintf(job_s, sizeof(job_s), "%lu", s.job);
	snprintf(uid_s, sizeof(uid_s), "%lu", uid);
	snprintf(gid_s, sizeof(gid_s), "%lu", gid);
	argv[argc++] = cfg.mckctl;
	if (*cfg.path) {
		argv[argc++] = "--config";
		argv[argc++] = cfg.path;
	}
	if (partition) {
		argv[argc++] = "--partition";
		argv[argc++] = (char *)partition;
	}
	argv[argc++] = "--quiet";
	if (kind == MCK_SCRIPT_PROLOG) {
		argv[argc++] = "boot";
		argv[argc++] = "--job";
		argv[argc++] = job_s;
		argv[argc++] = "--uid";
		argv[argc++] = uid_s;
		argv[argc++] = "--gid";
		argv[argc++] = gid_s;
	} else {
		argv[argc++] = "teardown";
		argv[argc++] = "--job";
		argv[argc++] = job_s;
	}
	argv[argc] = NULL;

	if (kind == MCK_SCRIPT_PROLOG && cfg.require_exclusive &&
	    job_not_whole_node(why_not, sizeof(why_not))) {
		int rc = refuse_job(&s, uid, gid, why_not);

		mck_config_free(&cfg);
		return rc;
	}
	/*
	 * The user's --mckernel keys, checked again for the job's real
	 * partition (the submit side may not have known it). A refusal is
	 * the job's, not the node's: recorded for the steps, no drain. The
	 * boot gets the canonical text, one argv word, no shell.
	 */
	if (kind == MCK_SCRIPT_PROLOG) {
		if (!opt_text || !strcmp(opt_text, "(null)"))
			opt_text = "";
		if (mck_options_parse(opt_text, &opts, &err) ||
		    mck_options_check(&opts, &cfg, &err) ||
		    mck_options_format(&opts, canon, sizeof(canon))) {
			int rc = refuse_job(&s, uid, gid, err.msg);

			mck_config_free(&cfg);
			return rc;
		}
		if (canon[0]) {
			argv[argc++] = "--options";
			argv[argc++] = canon;
		}
	}
	argv[argc] = NULL;
	/*
	 * Bounded: a boot may first recover (shut down and destroy what an
	 * earlier job left) and then boot; a teardown shuts down. Both stay
	 * below PrologEpilogTimeout (mckctl config --check warns otherwise).
	 */
	timeout_s = cfg.boot_timeout + 2 * cfg.shutdown_timeout + 10;
	status = mck_run_bounded(argv, MCK_RUN_TAIL | MCK_RUN_EXEC_ERROR, out, sizeof(out),
				 timeout_s, &timed_out);
	if (timed_out) {
		int rc = script_fail(&s, "%s %s did not finish within %d s (boot_timeout + "
				     "2 x shutdown_timeout + 10): killed; see %s/log/lifecycle.log",
				     cfg.mckctl, kind == MCK_SCRIPT_PROLOG ? "boot" : "teardown",
				     timeout_s, cfg.state_dir);

		snprintf(line, sizeof(line), "%s %s did not finish within %d s: killed",
			 kind == MCK_SCRIPT_PROLOG ? "boot" : "teardown", s.name, timeout_s);
		drain_node(&s, line);
		mck_config_free(&cfg);
		return rc;
	}
	if (status < 0) {
		int rc = script_fail(&s, "cannot run %s: %s", cfg.mckctl, strerror(errno));

		mck_config_free(&cfg);
		return rc;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		const char *why = last_line(out);
		int rc;

		if (WIFSIGNALED(status)) {
			rc = script_fail(&s, "%s %s killed by signal %d%s%s", cfg.mckctl,
					 kind == MCK_SCRIPT_PROLOG ? "boot" : "teardown",
					 WTERMSIG(status), *why ? ": " : "", why);
			snprintf(line, sizeof(line), "mckctl %s killed by signal %d%s%.900s",
				 kind == MCK_SCRIPT_PROLOG ? "boot" : "teardown", WTERMSIG(status),
				 *why ? ": " : "", why);
			drain_node(&s, line);
		} else if (kind == MCK_SCRIPT_PROLOG &&
			 WEXITSTATUS(status) == MCK_LWK_EXIT_BOOT_FAILED_CLEAN) {
			/*
			 * The boot failed, was unwound and the node is clean:
			 * do not drain it. The job record holds the reason,
			 * which every step of the job prints (SPANK plugin).
			 */
			snprintf(line, sizeof(line), "%s: job %lu: %s (node clean, the job's steps "
				 "will report it)", s.name, s.job, *why ? why : "boot failed");
			append_log(&s, line);
			openlog("slurm-mckernel", LOG_PID, LOG_DAEMON);
			syslog(LOG_WARNING, "%s", line);
			closelog();
			printf("%s\n", line);
			rc = 0;
		} else {
			rc = script_fail(&s, "%s", *why ? why : "mckctl failed without a reason");
			if (!strncmp(why, "mckctl: ", 8))
				why += 8;
			drain_node(&s, *why ? why : "mckctl failed without a reason");
		}
		mck_config_free(&cfg);
		return rc;
	}
	snprintf(line, sizeof(line), "%s: job %lu: %s ok %.0f ms", s.name, s.job,
		 kind == MCK_SCRIPT_PROLOG ? "boot" : "teardown", mck_now_ms() - t0);
	append_log(&s, line);
	mck_config_free(&cfg);
	return 0;
}
