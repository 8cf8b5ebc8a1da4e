/*
 * step.c: slurmstepd, once per step and node, as root, before any task of
 * the step exists (remote slurm_spank_init_post_opt). For a user step of
 * a --mckernel job it asks the lifecycle (lwk, the only door to IHK):
 *
 *   mckctl --quiet step --job J --step S [--options TEXT]
 *
 * which applies the instance policy of the job's partition (a fresh
 * instance for every step after the first by default), checks that the
 * instance is RUNNING (saving its kernel messages when it is not) and
 * notes the step in the job record; it exits non-zero with a one-line
 * reason when the step cannot run. All tasks of the step wait for it:
 * slurmstepd forks them after this returns.
 *
 * The job's partition, which selects the configuration section (instance
 * policy, env list, mcexec defaults) for the step and its tasks, is taken
 * from the job record the prologue wrote as root, never from the job's
 * environment. ctx->step_cfg, loaded here, is the tasks' one source of it.
 *
 * A failure is kept in the context and reported by each task in
 * task_init (remote.c), where the message reaches the user's srun; the
 * step then fails without any rank starting.
 */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/slurm.h>

#include "mck-budget.h"
#include "mck-config.h"
#include "mck-ctlcmd.h"
#include "mck-jobrec.h"
#include "mck-spank.h"
#include "mck-util.h"

static void step_fail(struct mck_spank_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void step_fail(struct mck_spank_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->step_error, sizeof(ctx->step_error), fmt, ap);
	va_end(ap);
	slurm_error(MCK_SPANK_PREFIX "%s", ctx->step_error);
}

/*
 * mckernel.conf for the job's partition as the prologue recorded it (the
 * global settings when the job has no record: its step fails anyway).
 */
static int load_step_config(struct mck_spank_ctx *ctx, unsigned long job, char *partition,
			    size_t len)
{
	struct mck_config *cfg = &ctx->step_cfg;
	struct mck_jobrec rec;
	struct mck_error err = { 0 };
	int rc;

	partition[0] = '\0';
	if (ctx->step_cfg_loaded) {
		mck_config_free(cfg);
		ctx->step_cfg_loaded = 0;
	}
	rc = mck_config_load(ctx->config_path, NULL, cfg, &err);
	if (rc < 0)
		goto fail;
	if (mck_jobrec_read(cfg->state_dir, job, &rec, NULL) == 0) {
		if (rec.partition && *rec.partition)
			snprintf(partition, len, "%s", rec.partition);
		mck_jobrec_free(&rec);
	}
	if (*partition) {
		mck_config_free(cfg);
		rc = mck_config_load(ctx->config_path, partition, cfg, &err);
		if (rc < 0)
			goto fail;
	}
	ctx->step_cfg_loaded = 1;	/* kept for the step's tasks (remote.c) */
	return 0;
fail:
	step_fail(ctx, "%s (%s)", err.msg, strerror(-rc));
	return -1;
}

/* The value of KEY=... among the lines of text, or "" (into buf). */
static void answer_field(const char *text, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key);

	buf[0] = '\0';
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			snprintf(buf, len, "%.*s", (int)strcspn(p + kl + 1, "\n"), p + kl + 1);
			return;
		}
}

/* Ask mckctl step; 0 when the step may run, else ctx->step_error says why. */
static int ask_lifecycle(struct mck_spank_ctx *ctx, unsigned long job, uint32_t step,
			 const char *partition)
{
	const struct mck_config *cfg = &ctx->step_cfg;
	char sjob[32], sstep[32], canon[MCK_OPTIONS_MAX_LEN + 1], got[128], how[128];
	char env_job[64], env_step[64], env_conf[PATH_MAX + 16];
	const char *words[] = { "step", "--job", sjob, "--step", sstep, NULL, NULL, NULL };
	char *envp[] = { env_job, env_step, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL, NULL };
	const char *conf = getenv("SLURM_CONF");	/* slurmstepd's own, not the job's */
	struct mck_ctl_result res;
	struct mck_ctl_cmd cmd;
	struct mck_budget b;

	/* the step's own --mckernel keys, as accepted for the partition, for a fresh instance */
	if (mck_options_format(&ctx->step_opts, canon, sizeof(canon)) < 0) {
		step_fail(ctx, "job %lu step %lu: its --mckernel keys are too long", job,
			  (unsigned long)step);
		return -1;
	}
	if (canon[0]) {
		words[5] = "--options";
		words[6] = canon;
	}
	if (!cfg->mckctl || cfg->mckctl[0] != '/') {
		step_fail(ctx, "mckctl in mckernel.conf must be an absolute path (now '%s')",
			  cfg->mckctl ? cfg->mckctl : "");
		return -1;
	}
	snprintf(sjob, sizeof(sjob), "%lu", job);
	snprintf(sstep, sizeof(sstep), "%lu", (unsigned long)step);
	snprintf(env_job, sizeof(env_job), "SLURM_JOB_ID=%lu", job);
	snprintf(env_step, sizeof(env_step), "SLURM_STEP_ID=%lu", (unsigned long)step);
	if (conf && *conf && strlen(conf) < sizeof(env_conf) - 16) {
		snprintf(env_conf, sizeof(env_conf), "SLURM_CONF=%s", conf);
		envp[3] = env_conf;
	}
	mck_budget(cfg, &b);
	if (mck_ctl_cmd(&cmd, cfg, NULL, words) < 0) {
		step_fail(ctx, "mckctl command line too long");
		return -1;
	}
	if (mck_ctl_run(&cmd, envp, b.mckctl_step_s, 1, &res) < 0) {
		mck_ctl_describe(&res, b.mckctl_step_s, how, sizeof(how));
		step_fail(ctx, "%s", *res.reason && !res.timed_out ? res.reason : how);
		return -1;
	}
	/* the job's first step: this node's figures for the user's boot line */
	answer_field(res.out, "report", ctx->node_report, sizeof(ctx->node_report));
	answer_field(res.out, "partition", got, sizeof(got));
	if (strcmp(got, partition)) {
		step_fail(ctx, "job %lu step %lu: mckctl step answered partition '%s', the job "
			  "record '%s'", job, (unsigned long)step, got, partition);
		return -1;
	}
	return 0;
}

int mck_spank_remote_post_opt(spank_t sp, struct mck_spank_ctx *ctx)
{
	char partition[128];
	uint32_t job, step;

	ctx->step_error[0] = '\0';
	ctx->node_report[0] = '\0';
	if (!spank_remote(sp) || !mck_spank_job_requested(sp, ctx))
		return 0;
	if (spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS ||
	    !mck_spank_is_user_step(step))
		return 0;
	if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS) {
		step_fail(ctx, "cannot get the job id from slurmstepd");
		return 0;
	}
	/*
	 * The step's --mckernel keys are checked once, here, for all its tasks;
	 * a refused key fails the step before the lifecycle is asked, so the
	 * job's instance stays.
	 */
	if (load_step_config(ctx, job, partition, sizeof(partition)) == 0 &&
	    mck_spank_step_options(sp, ctx, job, step) == 0)
		ask_lifecycle(ctx, job, step, partition);
	return 0;	/* each task reports ctx->step_error and fails */
}
