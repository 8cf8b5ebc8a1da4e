/*
 * remote.c: slurmstepd. Each task of a user step of a --mckernel job runs
 * as   MCEXEC -n <tasks of this step on this node> -- [OS] PROGRAM ARGS...
 * on the McKernel instance the prologue booted for the job (found through
 * the job record STATE_DIR/jobs/JOBID.job).
 *
 * Slurm 23.11+ (HAVE_SPANK_PREPEND_TASK_ARGV): the words are prepended
 * with spank_prepend_task_argv and Slurm execs the task as usual.
 * Slurm 22.05 cannot extend a task's argv: the plugin builds the command
 * line itself and execve()s it at the end of task_init, with the task's
 * environment; TaskProlog and the task_init of plugins listed after this
 * one are skipped, so list it last in plugstack.conf.
 */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/slurm.h>

#include "mck-config.h"
#include "mck-jobrec.h"
#include "mck-spank.h"

/* Did this job ask for --mckernel? The option is forwarded to slurmstepd. */
static int job_requested_mckernel(spank_t sp, struct mck_spank_ctx *ctx)
{
	struct spank_option opt = { .name = "mckernel", .has_arg = 2 };
	char *value = NULL;

	if (ctx->opt_seen)
		return 1;
	return spank_option_getopt(sp, &opt, &value) == ESPANK_SUCCESS;
}

static int is_user_step(uint32_t stepid)
{
	return stepid != SLURM_BATCH_SCRIPT && stepid != SLURM_EXTERN_CONT
#ifdef SLURM_INTERACTIVE_STEP
		&& stepid != SLURM_INTERACTIVE_STEP
#endif
		;
}

static void node_name(char *const env[], char *buf, size_t len)
{
	const char *n = mck_spank_env_get(env, "SLURMD_NODENAME");

	if (n && *n) {
		snprintf(buf, len, "%s", n);
		return;
	}
	if (gethostname(buf, len) < 0)
		snprintf(buf, len, "this node");
	buf[len - 1] = '\0';
}

/* What the task needs from slurmstepd. */
struct task_info {
	uint32_t job, step, ntasks;
	int argc;
	char **argv;
	char **env;
};

static int get_task_info(spank_t sp, struct task_info *t)
{
	spank_err_t rc;
	const char *what;

	what = "S_JOB_ID";
	if ((rc = spank_get_item(sp, S_JOB_ID, &t->job)) != ESPANK_SUCCESS)
		goto fail;
	what = "S_JOB_STEPID";
	if ((rc = spank_get_item(sp, S_JOB_STEPID, &t->step)) != ESPANK_SUCCESS)
		goto fail;
	what = "S_JOB_LOCAL_TASK_COUNT";
	if ((rc = spank_get_item(sp, S_JOB_LOCAL_TASK_COUNT, &t->ntasks)) != ESPANK_SUCCESS)
		goto fail;
	what = "S_JOB_ARGV";
	if ((rc = spank_get_item(sp, S_JOB_ARGV, &t->argc, &t->argv)) != ESPANK_SUCCESS)
		goto fail;
	what = "S_JOB_ENV";
	if ((rc = spank_get_item(sp, S_JOB_ENV, &t->env)) != ESPANK_SUCCESS)
		goto fail;
	return 0;
fail:
	slurm_error(MCK_SPANK_PREFIX "cannot get %s from slurmstepd: %s",
		    what, spank_strerror(rc));
	return -1;
}

/* The OS index of the job's instance on this node, or -1 (logged). */
static int job_os_index(const struct mck_config *cfg, const struct task_info *t)
{
	struct mck_jobrec rec;
	struct mck_error err = { 0 };
	char node[256];
	int os, rc;

	node_name(t->env, node, sizeof(node));
	rc = mck_jobrec_read(cfg->state_dir, t->job, &rec, &err);
	if (rc == -ENOENT) {
		slurm_error(MCK_SPANK_PREFIX "job %lu has no McKernel instance on %s: "
			    "was the job submitted with --mckernel?", (unsigned long)t->job, node);
		return -1;
	}
	if (rc < 0) {
		slurm_error(MCK_SPANK_PREFIX "job %lu on %s: %s (%s)", (unsigned long)t->job,
			    node, err.msg, strerror(-rc));
		return -1;
	}
	os = rec.os;
	mck_jobrec_free(&rec);
	if (os < 0) {
		slurm_error(MCK_SPANK_PREFIX "job %lu has no McKernel instance on %s: "
			    "was the job submitted with --mckernel?", (unsigned long)t->job, node);
		return -1;
	}
	return os;
}

#ifdef HAVE_SPANK_PREPEND_TASK_ARGV
static int run_through_mcexec(spank_t sp, const struct mck_config *cfg,
			      const struct task_info *t, int os)
{
	struct mck_error err = { 0 };
	char **words = NULL;
	spank_err_t src;
	int n, rc = -1;

	if (mck_spank_prefix_words(cfg->mcexec, t->ntasks, os, &words, &n, &err) < 0) {
		slurm_error(MCK_SPANK_PREFIX "%s (%s)", err.msg, strerror(-err.code));
		goto fail;
	}
	src = spank_prepend_task_argv(sp, n, (const char **)words);
	if (src != ESPANK_SUCCESS) {
		slurm_error(MCK_SPANK_PREFIX "cannot prepend %s to the task: %s",
			    cfg->mcexec, spank_strerror(src));
		goto fail;
	}
	rc = 0;
fail:
	mck_spank_argv_free(words);
	return rc;
}
#else
static int run_through_mcexec(spank_t sp, const struct mck_config *cfg,
			      const struct task_info *t, int os)
{
	struct mck_error err = { 0 };
	char cwd[PATH_MAX];
	char *program = NULL, **argv = NULL;
	int argc;

	if (t->argc < 1 || !t->argv || !t->argv[0]) {
		slurm_error(MCK_SPANK_PREFIX "task has no program to run");
		return -1;
	}
	if (!getcwd(cwd, sizeof(cwd))) {
		slurm_error(MCK_SPANK_PREFIX "getcwd: %s", strerror(errno));
		return -1;
	}
	if (mck_spank_resolve_program(t->argv[0], mck_spank_env_get(t->env, "PATH"),
				      cwd, &program, &err) < 0) {
		slurm_error(MCK_SPANK_PREFIX "cannot run the task: %s (%s)", err.msg, strerror(-err.code));
		return -1;
	}
	if (mck_spank_build_argv(cfg->mcexec, t->ntasks, os, program, t->argc, t->argv,
				 &argv, &argc, &err) < 0) {
		slurm_error(MCK_SPANK_PREFIX "%s (%s)", err.msg, strerror(-err.code));
		free(program);
		return -1;
	}
	free(program);
	execve(argv[0], argv, t->env);
	slurm_error(MCK_SPANK_PREFIX "execve %s: %s: check mcexec in mckernel.conf",
		    argv[0], strerror(errno));
	mck_spank_argv_free(argv);
	return -1;
}
#endif

int mck_spank_remote_task_init(spank_t sp, struct mck_spank_ctx *ctx)
{
	struct mck_config cfg;
	struct mck_error err = { 0 };
	struct task_info t = { 0 };
	uint32_t stepid;
	int os, rc;

	if (!spank_remote(sp) || !job_requested_mckernel(sp, ctx))
		return 0;
	if (spank_get_item(sp, S_JOB_STEPID, &stepid) != ESPANK_SUCCESS)
		return 0;
	if (!is_user_step(stepid))
		return 0;
	if (get_task_info(sp, &t) < 0)
		return -1;
	rc = mck_config_load(ctx->config_path,
			     mck_spank_env_get(t.env, "SLURM_JOB_PARTITION"), &cfg, &err);
	if (rc < 0) {
		slurm_error(MCK_SPANK_PREFIX "%s (%s)", err.msg, strerror(-rc));
		return -1;
	}
	rc = -1;
	os = job_os_index(&cfg, &t);
	if (os < 0)
		goto out;
	rc = run_through_mcexec(sp, &cfg, &t, os);
out:
	mck_config_free(&cfg);
	return rc;
}
