/*
 * mck-prologue: slurmd's Prolog (PrologFlags=Alloc). For a job that asked
 * for --mckernel: the job must hold whole nodes (require_exclusive), else
 * it is refused here (a job record in state refused says why to every
 * step, the node is fine); then mckctl boot --job J --uid U --gid G
 * [--partition P] [--options TEXT], bounded by the lifecycle's budget
 * (lwk/mck-budget.h), which refuses the same way --mckernel keys its
 * partition does not allow.
 * A node that cannot boot cleanly is drained with the reason. See
 * mck-prologue(8).
 */
#include "config.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mck-budget.h"
#include "mck-config.h"
#include "mck-drain.h"
#include "mck-jobrec.h"
#include "mck-lwk.h"
#include "mck-options.h"
#include "mck-script.h"
#include "mck-util.h"

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
 * the record in state refused tells every step of the job why; the
 * epilogue removes it.
 */
static int refuse_job(struct mck_script *s, uid_t uid, gid_t gid, const char *partition,
		      const char *reason)
{
	struct mck_error err = { 0 };
	char node[256];

	if (mck_drain_node_name(node, sizeof(node)))
		node[0] = '\0';
	if (mck_jobrec_refuse(s->state_dir, s->job, uid, gid, partition, *node ? node : NULL,
			      reason, &err))
		return mck_script_fail(s, 0, "%s", err.msg);
	mck_script_log(s, "refused: %s", reason);
	return 0;
}

/*
 * A job without --mckernel: a reservation kept for --mckernel jobs
 * (reservation = keep) goes back to Linux before the job starts (mckctl
 * release); with none kept this ends at once. A node whose mckernel.conf
 * cannot be read is not drained for a job that does not use McKernel.
 */
static int release_kept(void)
{
	struct mck_script s = { .name = "mck-prologue", .action = "release", .t0 = mck_now_ms() };
	const char *words[] = { "release", "--job", NULL, NULL };
	char path[PATH_MAX], job_s[32];
	struct mck_error err = { 0 };
	struct mck_config cfg;
	struct mck_budget b;
	int rc = 0;

	if (mck_config_load(NULL, NULL, &cfg, &err))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", cfg.state_dir, MCK_LWK_KEPT_FILE);
	if (access(path, F_OK) == 0) {
		s.state_dir = cfg.state_dir;
		if (mck_script_env_id(&s, "SLURM_JOB_ID", &s.job)) {
			rc = 1;
			goto out;
		}
		snprintf(job_s, sizeof(job_s), "%lu", s.job);
		words[2] = job_s;
		mck_budget(&cfg, &b);
		rc = mck_script_run(&s, &cfg, NULL, words, b.mckctl_teardown_s, 0);
	}
out:
	mck_config_free(&cfg);
	return rc;
}

int main(void)
{
	struct mck_script s = { .name = "mck-prologue", .action = "boot", .t0 = mck_now_ms() };
	char job_s[32], uid_s[32], gid_s[32], why[512], canon[MCK_OPTIONS_MAX_LEN + 1];
	const char *words[12] = { "boot", "--job", job_s, "--uid", uid_s, "--gid", gid_s };
	const char *partition, *opt_text = getenv(MCK_SPANK_OPTION_ENV);
	unsigned long uid = 0, gid = 0;
	struct mck_error err = { 0 };
	struct mck_options opts;
	struct mck_config cfg;
	struct mck_budget b;
	int rc, w = 7;

	if (!mck_script_wanted())
		return release_kept();
	if (mck_script_env_id(&s, "SLURM_JOB_ID", &s.job) ||
	    mck_script_env_id(&s, "SLURM_JOB_UID", &uid) ||
	    mck_script_env_id(&s, "SLURM_JOB_GID", &gid) || mck_script_partition(&s, &partition))
		return 1;
	if (mck_script_load_config(&s, partition, &cfg))
		return 1;
	if (cfg.require_exclusive && job_not_whole_node(why, sizeof(why))) {
		rc = refuse_job(&s, uid, gid, partition, why);
		goto out;
	}
	/*
	 * The user's --mckernel keys as the boot gets them: their canonical
	 * text, one argv word, no shell. The boot checks them for the job's
	 * real partition (the submit side may not have known it) when it
	 * plans the node; a refusal there is the job's, not the node's, and
	 * its record says why, as here for keys that do not parse.
	 */
	if (!opt_text || !strcmp(opt_text, "(null)"))
		opt_text = "";
	if (mck_options_parse(opt_text, &opts, &err) ||
	    mck_options_format(&opts, canon, sizeof(canon))) {
		rc = refuse_job(&s, uid, gid, partition, err.msg);
		goto out;
	}
	if (canon[0]) {
		words[w++] = "--options";
		words[w++] = canon;
	}
	words[w] = NULL;
	snprintf(job_s, sizeof(job_s), "%lu", s.job);
	snprintf(uid_s, sizeof(uid_s), "%lu", uid);
	snprintf(gid_s, sizeof(gid_s), "%lu", gid);
	mck_budget(&cfg, &b);
	rc = mck_script_run(&s, &cfg, partition, words, b.mckctl_boot_s, 1);
out:
	mck_config_free(&cfg);
	return rc;
}
