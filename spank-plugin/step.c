/*
 * step.c: slurmstepd, once per step and node, as root, before any task of
 * the step exists (remote slurm_spank_init_post_opt). For a user step of
 * a --mckernel job:
 *
 *   instance_policy = per-step: tear the job's instance down and boot a
 *     fresh one (mckctl teardown + mckctl boot, fork/execv, no shell),
 *     with the same unwind and verification as the prologue. All tasks of
 *     the step wait for it: slurmstepd forks them after this returns.
 *   always: the job's instance must be RUNNING (job record + libihk
 *     status). When it is not (PANIC, HUNGUP, gone), its kernel messages
 *     are saved to STATE_DIR/kmsg/JOBID.stepSTEP.kmsg before anything can
 *     shut it down, and the step fails with a one-line reason.
 *
 * A failure is kept in the context and reported by each task in
 * task_init (remote.c), where the message reaches the user's srun; the
 * step then fails without any rank starting.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <slurm/slurm.h>

#include "mck-config.h"
#include "mck-ihk.h"
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

/* Wait for pid up to limit_s seconds; kill it after that. Exit status or -1. */
static int wait_child(pid_t pid, int limit_s)
{
	int status;

	if (mck_wait_pid(pid, limit_s * 1000, &status) < 0) {
		kill(pid, SIGKILL);
		mck_wait_pid(pid, -1, &status);
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * Run mckctl [--config FILE] [--partition P] --quiet WORDS... with a
 * small fixed environment; its output goes to slurmstepd's log. Returns
 * its exit status, -1 when it could not run or was killed.
 */
static int run_mckctl(const struct mck_spank_ctx *ctx, const struct mck_config *cfg,
		      const char *partition, unsigned long job, uint32_t step,
		      const char *const words[], int limit_s)
{
	char env_job[64], env_step[64], env_conf[4200];
	const char *argv[24];
	char *envp[8];
	int a = 0, e = 0;
	const char *conf = getenv("SLURM_CONF");
	pid_t pid;

	argv[a++] = cfg->mckctl;
	if (ctx->config_path) {
		argv[a++] = "--config";
		argv[a++] = ctx->config_path;
	}
	if (partition && *partition) {
		argv[a++] = "--partition";
		argv[a++] = partition;
	}
	argv[a++] = "--quiet";
	for (int i = 0; words[i] && a < 23; i++)
		argv[a++] = words[i];
	argv[a] = NULL;

	snprintf(env_job, sizeof(env_job), "SLURM_JOB_ID=%lu", job);
	snprintf(env_step, sizeof(env_step), "SLURM_STEP_ID=%lu", (unsigned long)step);
	envp[e++] = env_job;
	envp[e++] = env_step;
	envp[e++] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	if (conf && *conf && strlen(conf) < sizeof(env_conf) - 16) {
		snprintf(env_conf, sizeof(env_conf), "SLURM_CONF=%s", conf);
		envp[e++] = env_conf;
	}
	envp[e] = NULL;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_RDONLY);

		if (fd >= 0) {
			dup2(fd, 0);
			close(fd);
		}
		execve(argv[0], (char *const *)argv, envp);
		_exit(127);
	}
	return wait_child(pid, limit_s);
}

/* Fresh instance for this step: teardown (idempotent), then boot. */
static int boot_fresh_instance(spank_t sp, struct mck_spank_ctx *ctx,
			       const struct mck_config *cfg, const char *partition,
			       unsigned long job, uint32_t step, const char *node)
{
	char sjob[32], suid[32], sgid[32], canon[MCK_OPTIONS_MAX_LEN + 1];
	const char *teardown[] = { "teardown", "--job", sjob, NULL };
	const char *boot[] = { "boot", "--job", sjob, "--uid", suid, "--gid", sgid,
			       NULL, NULL, NULL };
	struct mck_options opts;
	struct mck_error err = { 0 };
	const char *text;
	uint32_t uid, gid;
	int limit = cfg->boot_timeout + cfg->shutdown_timeout + 60, rc;

	/* the fresh instance follows the user's --mckernel keys, like the prologue's */
	if (mck_spank_job_options(sp, ctx, &text, &opts, &err) < 0 ||
	    mck_options_format(&opts, canon, sizeof(canon)) < 0) {
		step_fail(ctx, "job %lu step %lu: %s", job, (unsigned long)step, err.msg);
		return -1;
	}
	if (canon[0]) {
		boot[7] = "--options";
		boot[8] = canon;
	}

	if (!cfg->mckctl || cfg->mckctl[0] != '/') {
		step_fail(ctx, "instance_policy = per-step needs mckctl in mckernel.conf as an "
			  "absolute path (now '%s')", cfg->mckctl ? cfg->mckctl : "");
		return -1;
	}
	if (spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_GID, &gid) != ESPANK_SUCCESS) {
		step_fail(ctx, "job %lu step %lu: cannot get the job's uid/gid from slurmstepd",
			  job, (unsigned long)step);
		return -1;
	}
	snprintf(sjob, sizeof(sjob), "%lu", job);
	snprintf(suid, sizeof(suid), "%lu", (unsigned long)uid);
	snprintf(sgid, sizeof(sgid), "%lu", (unsigned long)gid);
	rc = run_mckctl(ctx, cfg, partition, job, step, teardown, limit);
	if (rc != 0) {
		step_fail(ctx, "job %lu step %lu on %s: tearing down the previous McKernel "
			  "instance for a fresh one failed (mckctl teardown: %s); see %s/log",
			  job, (unsigned long)step, node, rc < 0 ? "did not finish" : "exit status",
			  cfg->state_dir);
		return -1;
	}
	rc = run_mckctl(ctx, cfg, partition, job, step, boot, limit);
	if (rc != 0) {
		step_fail(ctx, "job %lu step %lu on %s: booting a fresh McKernel instance "
			  "failed (mckctl boot exit %d); see %s/log", job, (unsigned long)step,
			  node, rc, cfg->state_dir);
		return -1;
	}
	return 0;
}

/* Save the instance's kernel messages; the path saved to, or "" (logged). */
static void save_kmsg(struct mck_ihk *ihk, const struct mck_config *cfg, int os,
		      unsigned long job, uint32_t step, char *path, size_t len)
{
	struct mck_error err = { 0 };
	char dir[4200];
	char *buf = NULL;
	int size, got;

	path[0] = '\0';
	size = ihk->ihk_os_get_kmsg_size(os);
	if (size <= 0)
		size = 4 * 1024 * 1024 - 4096;
	buf = calloc(1, size + 1);
	if (!buf)
		return;
	got = ihk->ihk_os_kmsg(os, buf, size);
	if (got < 0) {
		slurm_error(MCK_SPANK_PREFIX "job %lu: cannot read the kernel messages of "
			    "McKernel instance %d: %s", job, os, strerror(-got));
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s/kmsg", cfg->state_dir);
	if (mck_mkdir_p(dir, 0755, &err) < 0)
		goto out;
	if ((size_t)snprintf(path, len, "%s/%lu.step%lu.kmsg", dir, job,
			     (unsigned long)step) >= len) {
		path[0] = '\0';
		goto out;
	}
	if (mck_write_file_atomic(path, buf, strnlen(buf, got), 0644, &err) < 0) {
		slurm_error(MCK_SPANK_PREFIX "%s", err.msg);
		path[0] = '\0';
	}
out:
	free(buf);
}

/* The job's instance must be RUNNING before any task of the step starts. */
static int check_running(struct mck_spank_ctx *ctx, const struct mck_config *cfg,
			 unsigned long job, uint32_t step, const char *node)
{
	struct mck_jobrec rec = { 0 };
	struct mck_error err = { 0 };
	struct mck_ihk ihk = { 0 };
	char kmsg[4300];
	int rc, status;

	rc = mck_jobrec_read(cfg->state_dir, job, &rec, &err);
	if (rc == 0 && rec.os < 0 && rec.reason && *rec.reason) {
		/* issue 4: the boot failed (unwound) or the job was refused: say why */
		step_fail(ctx, "job %lu: no McKernel instance on %s: %s", job, node, rec.reason);
		mck_jobrec_free(&rec);
		return -1;
	}
	if (rc < 0 || rec.os < 0) {
		step_fail(ctx, "job %lu step %lu: no McKernel instance on %s (%s): was the job "
			  "submitted with --mckernel, and did its prologue succeed?", job,
			  (unsigned long)step, node, rc < 0 ? err.msg : "record without instance");
		mck_jobrec_free(&rec);
		return -1;
	}
	rc = mck_ihk_open(&ihk, cfg->libihk, &err);
	if (rc < 0) {
		step_fail(ctx, "job %lu step %lu on %s: %s", job, (unsigned long)step, node,
			  err.msg);
		mck_jobrec_free(&rec);
		return -1;
	}
	status = ihk.ihk_os_get_status(rec.os);
	if (status == IHK_STATUS_RUNNING) {
		rc = 0;
		goto out;
	}
	rc = -1;
	if (status < 0) {
		step_fail(ctx, "job %lu step %lu on %s: McKernel instance %d is gone (%s); "
			  "the step cannot run, the epilogue cleans the node", job,
			  (unsigned long)step, node, rec.os, strerror(-status));
		goto out;
	}
	save_kmsg(&ihk, cfg, rec.os, job, step, kmsg, sizeof(kmsg));
	step_fail(ctx, "job %lu step %lu on %s: McKernel instance %d is %s, not RUNNING; "
		  "kernel messages %s%s; the step cannot run, the epilogue tears it down",
		  job, (unsigned long)step, node, rec.os, mck_ihk_status_name(status),
		  kmsg[0] ? "saved in " : "could not be saved", kmsg);
out:
	mck_ihk_close(&ihk);
	mck_jobrec_free(&rec);
	return rc;
}

int mck_spank_remote_post_opt(spank_t sp, struct mck_spank_ctx *ctx)
{
	struct mck_config *cfg = &ctx->step_cfg;
	struct mck_error err = { 0 };
	char **env = NULL;
	const char *partition, *node;
	uint32_t job, step;
	int rc;

	ctx->step_error[0] = '\0';
	if (!spank_remote(sp) || !mck_spank_job_requested(sp, ctx))
		return 0;
	if (spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS ||
	    !mck_spank_is_user_step(step))
		return 0;
	if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_ENV, &env) != ESPANK_SUCCESS) {
		step_fail(ctx, "cannot get the job id and environment from slurmstepd");
		return 0;
	}
	partition = mck_spank_env_get(env, "SLURM_JOB_PARTITION");
	node = mck_spank_env_get(env, "SLURMD_NODENAME");
	if (!node || !*node)
		node = "this node";
	if (ctx->step_cfg_loaded) {
		mck_config_free(cfg);
		ctx->step_cfg_loaded = 0;
	}
	rc = mck_config_load(ctx->config_path, partition, cfg, &err);
	if (rc < 0) {
		step_fail(ctx, "%s (%s)", err.msg, strerror(-rc));
		return 0;
	}
	ctx->step_cfg_loaded = 1;	/* kept for the step's tasks (remote.c) */
	if (cfg->instance_policy == MCK_INSTANCE_PER_STEP &&
	    boot_fresh_instance(sp, ctx, cfg, partition, job, step, node) < 0)
		return 0;
	check_running(ctx, cfg, job, step, node);
	return 0;	/* each task reports ctx->step_error and fails */
}
