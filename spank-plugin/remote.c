/*
 * remote.c: slurmstepd. Each task of a user step of a --mckernel job runs
 * as   MCEXEC -n <tasks of this step on this node> -- OS PROGRAM ARGS...
 * on the McKernel instance the prologue booted for the job (found through
 * the job record STATE_DIR/jobs/JOBID.job).
 *
 * The tasks use only the configuration the step's check loaded as root in
 * slurmstepd (ctx->step_cfg, for the partition root found for the job):
 * without it a task fails; it never guesses the partition from the job's
 * environment, which the user controls.
 *
 * Slurm 23.11+ (HAVE_SPANK_PREPEND_TASK_ARGV): the words are prepended
 * with spank_prepend_task_argv and Slurm execs the task as usual.
 * Slurm 22.05 cannot extend a task's argv: the plugin builds the command
 * line itself and execve()s it at the end of task_init, with the task's
 * environment; TaskProlog and the task_init of plugins listed after this
 * one are skipped, so list it last in plugstack.conf. For a --multi-prog
 * step it also picks the task's line of the configuration (argv.h).
 *
 * The words between MCEXEC and -n are the partition's mcexec defaults
 * changed by the user's --mckernel keys (mck_options_mcexec_args: each
 * value its own word, formatted from validated numbers).
 */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/slurm.h>

#include "mck-config.h"
#include "mck-jobrec.h"
#include "mck-lists.h"
#include "mck-spank.h"
#include "report.h"

/* Did this job ask for --mckernel? The option is forwarded to slurmstepd. */
int mck_spank_job_requested(spank_t sp, struct mck_spank_ctx *ctx)
{
	struct spank_option opt = { .name = "mckernel", .has_arg = 2 };
	char *value = NULL;

	if (ctx->opt_seen)
		return 1;
	return spank_option_getopt(sp, &opt, &value) == ESPANK_SUCCESS;
}

int mck_spank_job_options(spank_t sp, struct mck_spank_ctx *ctx, const char **text,
			  struct mck_options *opts, struct mck_error *err)
{
	struct spank_option opt = { .name = "mckernel", .has_arg = 2 };
	char *value = NULL;

	if (ctx->opt_seen)
		value = ctx->opt_value;
	else if (spank_option_getopt(sp, &opt, &value) != ESPANK_SUCCESS)
		value = NULL;
	*text = mck_spank_option_text(value);
	return mck_options_parse(*text, opts, err) < 0 ? -1 : 0;
}

int mck_spank_step_options(spank_t sp, struct mck_spank_ctx *ctx, unsigned long job,
			   uint32_t step)
{
	struct mck_error err = { 0 };
	const char *text;

	ctx->step_opts_ok = 0;
	if (mck_spank_job_options(sp, ctx, &text, &ctx->step_opts, &err) < 0 ||
	    mck_options_check(&ctx->step_opts, &ctx->step_cfg, &err) < 0) {
		snprintf(ctx->step_error, sizeof(ctx->step_error), "job %lu step %lu: %.900s", job,
			 (unsigned long)step, err.msg);
		slurm_error(MCK_SPANK_PREFIX "%s", ctx->step_error);
		return -1;
	}
	ctx->step_opts_ok = 1;
	return 0;
}

int mck_spank_is_user_step(uint32_t stepid)
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
	uint32_t job, step, ntasks, rank;
	int argc;
	char **argv;
	char **env;
};

/* A task's failure: its stderr (the job's error output) and slurmstepd's log. */
static void task_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void task_fail(const char *fmt, ...)
{
	char msg[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, MCK_SPANK_PREFIX "%s\n", msg);
	slurm_error(MCK_SPANK_PREFIX "%s", msg);
}

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
	what = "S_TASK_GLOBAL_ID";
	if ((rc = spank_get_item(sp, S_TASK_GLOBAL_ID, &t->rank)) != ESPANK_SUCCESS)
		goto fail;
	return 0;
fail:
	slurm_error(MCK_SPANK_PREFIX "cannot get %s from slurmstepd: %s",
		    what, spank_strerror(rc));
	return -1;
}

/* The job's record on this node, with an instance, or -1 (logged). */
static int read_job_instance(const struct mck_config *cfg, const struct task_info *t,
			     struct mck_jobrec *rec)
{
	struct mck_error err = { 0 };
	char node[256];
	int rc;

	node_name(t->env, node, sizeof(node));
	rc = mck_jobrec_read(cfg->state_dir, t->job, rec, &err);
	if (rc < 0 && rc != -ENOENT) {
		slurm_error(MCK_SPANK_PREFIX "job %lu on %s: %s (%s)", (unsigned long)t->job,
			    node, err.msg, strerror(-rc));
		return -1;
	}
	if (rc == 0 && rec->os < 0 && rec->reason && *rec->reason) {
		/*
		 * Issue 4: the boot failed (unwound, node clean) or the
		 * prologue refused the job; the record says why. The task's
		 * stderr is the job's error output.
		 */
		fprintf(stderr, MCK_SPANK_PREFIX "job %lu: no McKernel instance on %s: %s\n",
			(unsigned long)t->job, node, rec->reason);
		slurm_error(MCK_SPANK_PREFIX "job %lu: no McKernel instance on %s: %s",
			    (unsigned long)t->job, node, rec->reason);
		return -1;
	}
	if (rc == -ENOENT || rec->os < 0) {
		slurm_error(MCK_SPANK_PREFIX "job %lu has no McKernel instance on %s: "
			    "was the job submitted with --mckernel?", (unsigned long)t->job, node);
		return -1;
	}
	return 0;
}

/*
 * The rank's Linux-side process (the mcexec proxy) must run on the Linux
 * CPUs that serve the partition's offloaded system calls, never on an
 * LWK CPU (offline on a real node), whatever the task plugin computed
 * from the allocation. An empty list (old record) leaves the binding.
 */
static int bind_proxy_to_linux_cpus(const struct mck_jobrec *rec, const struct task_info *t)
{
	struct mck_error err = { 0 };
	int *cpus = NULL, n = 0, set_any = 0, rc = -1;
	cpu_set_t set;

	if (!rec->linux_cpus || !*rec->linux_cpus)
		return 0;
	if (mck_cpulist_parse(rec->linux_cpus, &cpus, &n, &err) < 0) {
		slurm_error(MCK_SPANK_PREFIX "job %lu: bad linux_cpus '%s' in the job record: %s",
			    (unsigned long)t->job, rec->linux_cpus, err.msg);
		goto fail;
	}
	CPU_ZERO(&set);
	for (int i = 0; i < n; i++)
		if (cpus[i] >= 0 && cpus[i] < CPU_SETSIZE) {
			CPU_SET(cpus[i], &set);
			set_any = 1;
		}
	if (set_any && sched_setaffinity(0, sizeof(set), &set) < 0) {
		slurm_error(MCK_SPANK_PREFIX "job %lu: cannot bind the mcexec proxy to the Linux "
			    "CPUs %s: %s; McKernel nodes need TaskPlugin=task/affinity without "
			    "cgroup cpusets confining tasks to LWK CPUs (doc/slurm-settings.md)",
			    (unsigned long)t->job, rec->linux_cpus, strerror(errno));
		goto fail;
	}
	rc = 0;
fail:
	free(cpus);
	return rc;
}

/* OMP_NUM_THREADS for a rank: its share of the LWK CPUs, at least 1. */
static void omp_default(const struct mck_jobrec *rec, uint32_t ntasks, char *buf, size_t len)
{
	struct mck_error err = { 0 };
	int *cpus = NULL, n = 0;

	buf[0] = '\0';
	if (!rec->cpus || mck_cpulist_parse(rec->cpus, &cpus, &n, &err) < 0 || n <= 0)
		goto out;
	snprintf(buf, len, "%d", mck_spank_omp_threads(n, ntasks));
out:
	free(cpus);
}

/* The partition's and the user's mcexec options, as separate words. */
struct mcexec_opts {
	char **words;
	int n;
};

#ifdef HAVE_SPANK_PREPEND_TASK_ARGV
/* Slurm execs the task with its job environment: change it there. */
static int set_step_env(spank_t sp, const struct mck_config *cfg, const char *omp)
{
	for (int i = 0; i < cfg->n_env; i++) {
		char name[256];
		const char *eq = strchr(cfg->env[i], '=');

		if (!eq || (size_t)(eq - cfg->env[i]) >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(eq - cfg->env[i]), cfg->env[i]);
		if (spank_setenv(sp, name, eq + 1, 1) != ESPANK_SUCCESS) {
			slurm_error(MCK_SPANK_PREFIX "cannot set %s for the task", name);
			return -1;
		}
	}
	if (omp && *omp)
		spank_setenv(sp, "OMP_NUM_THREADS", omp, 0);
	return 0;
}

/*
 * Slurm 23.11+ gives each task of a --multi-prog step its own line
 * already: prepending the mcexec words is all there is to do.
 */
static int run_through_mcexec(spank_t sp, const struct mck_config *cfg,
			      const struct task_info *t, int os, const char *omp,
			      const struct mcexec_opts *mo)
{
	struct mck_error err = { 0 };
	char **words = NULL;
	spank_err_t src;
	int n, rc = -1;

	if (set_step_env(sp, cfg, omp) < 0)
		return -1;

	if (mck_spank_build_argv_ex(cfg->mcexec, mo->words, mo->n, t->ntasks, os, NULL, 0, NULL,
				    &words, &n, &err) < 0) {
		slurm_error(MCK_SPANK_PREFIX "%s (%s)", err.msg, strerror(-err.code));
		goto fail;
	}
	slurm_debug(MCK_SPANK_PREFIX "job %lu step %lu task %lu: task path "
		    "spank_prepend_task_argv (%s first)", (unsigned long)t->job,
		    (unsigned long)t->step, (unsigned long)t->rank, cfg->mcexec);
	src = spank_prepend_task_argv(sp, n, (const char **)words);
	if (src != ESPANK_SUCCESS) {
		slurm_error(MCK_SPANK_PREFIX "cannot prepend %s to the task: %s",
			    cfg->mcexec, spank_strerror(src));
		goto fail;
	}
	rc = 0;
fail:
	mck_argv_free(words);
	return rc;
}
#else
/* The file argv[0] as this task (the job's user) reads it, or NULL. */
static char *read_small_file(const char *path)
{
	char *buf = NULL;
	struct stat st;
	ssize_t got = 0, r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MCK_SPANK_MULTIPROG_MAX)
		goto out;
	buf = malloc(st.st_size + 1);
	if (!buf)
		goto out;
	while (got < st.st_size && (r = read(fd, buf + got, st.st_size - got)) > 0)
		got += r;
	buf[got] = '\0';
out:
	close(fd);
	return buf;
}

/*
 * Slurm 22.05 would pick a --multi-prog task's line in slurmstepd after
 * task_init; the plugin execs the task itself, so it picks the line (see
 * argv.h). argv and argc: the task's own program and arguments.
 */
static int task_command(const struct task_info *t, const char *cwd, char ***argv, int *argc,
			int *multi)
{
	struct mck_error err = { 0 };
	char *text = NULL, *resolved = NULL;
	int exe;

	*argv = NULL;
	*argc = 0;
	*multi = 0;
	if (t->argc >= 2) {
		exe = mck_spank_resolve_program(t->argv[0], mck_spank_env_get(t->env, "PATH"),
						cwd, &resolved, &err) == 0;
		text = read_small_file(resolved ? resolved : t->argv[0]);
		*multi = mck_spank_is_multiprog(t->argc, t->argv, text, exe, t->rank);
		free(text);
		free(resolved);
	}
	if (!*multi)
		return 0;
	if (mck_spank_multiprog_argv(t->argv[1], t->rank, t->argv + 2, t->argc - 2,
				     argv, argc, &err) < 0) {
		task_fail("job %lu step %lu task %lu: %s", (unsigned long)t->job,
			  (unsigned long)t->step, (unsigned long)t->rank, err.msg);
		return -1;
	}
	return 0;
}

static int run_through_mcexec(spank_t sp, const struct mck_config *cfg,
			      const struct task_info *t, int os, const char *omp,
			      const struct mcexec_opts *mo)
{
	struct mck_error err = { 0 };
	char cwd[PATH_MAX];
	char *program = NULL, **argv = NULL, **env = NULL, **mp = NULL;
	char *const *targv = t->argv;
	int argc, targc = t->argc, mpc = 0, multi, rc = -1;

	(void)sp;
	if (t->argc < 1 || !t->argv || !t->argv[0]) {
		slurm_error(MCK_SPANK_PREFIX "task has no program to run");
		return -1;
	}
	if (!getcwd(cwd, sizeof(cwd))) {
		slurm_error(MCK_SPANK_PREFIX "getcwd: %s", strerror(errno));
		return -1;
	}
	if (task_command(t, cwd, &mp, &mpc, &multi) < 0)
		return -1;
	if (multi) {
		targv = mp;
		targc = mpc;
	}
	if (mck_spank_resolve_program(targv[0], mck_spank_env_get(t->env, "PATH"),
				      cwd, &program, &err) < 0) {
		task_fail("cannot run task %lu: %s (%s)", (unsigned long)t->rank, err.msg,
			  strerror(-err.code));
		goto fail;
	}
	if (mck_spank_build_argv_ex(cfg->mcexec, mo->words, mo->n, t->ntasks, os, program,
				    targc, targv, &argv, &argc, &err) < 0) {
		slurm_error(MCK_SPANK_PREFIX "%s (%s)", err.msg, strerror(-err.code));
		goto fail;
	}
	if (mck_spank_build_env(t->env, cfg->env, cfg->n_env, omp, &env, &err) < 0) {
		slurm_error(MCK_SPANK_PREFIX "%s (%s)", err.msg, strerror(-err.code));
		goto fail;
	}
	slurm_debug(MCK_SPANK_PREFIX "job %lu step %lu task %lu: task path exec (execve %s)",
		    (unsigned long)t->job, (unsigned long)t->step, (unsigned long)t->rank,
		    argv[0]);
	execve(argv[0], argv, env);
	slurm_error(MCK_SPANK_PREFIX "execve %s: %s: check mcexec in mckernel.conf",
		    argv[0], strerror(errno));
fail:
	free(program);
	mck_argv_free(mp);
	mck_argv_free(argv);
	mck_argv_free(env);
	return rc;
}
#endif

/*
 * The step's --mckernel keys for this task, as the step's check accepted
 * them for the partition (step.c: ctx->step_opts): procs=N must equal the
 * step's tasks on this node, and the mcexec words they give.
 */
static int task_options(const struct mck_spank_ctx *ctx, const struct mck_config *cfg,
			const struct task_info *t, struct mcexec_opts *mo)
{
	const struct mck_options *opts = &ctx->step_opts;
	struct mck_error err = { 0 };
	char node[256];

	mo->words = NULL;
	mo->n = 0;
	node_name(t->env, node, sizeof(node));
	if (!ctx->step_opts_ok) {
		task_fail("job %lu step %lu: the step's check in slurmstepd did not accept its "
			  "--mckernel keys, so this task cannot run", (unsigned long)t->job,
			  (unsigned long)t->step);
		return -1;
	}
	if ((opts->set & MCK_OPT_BIT(MCK_OPT_PROCS)) && (uint32_t)opts->procs != t->ntasks) {
		task_fail("job %lu step %lu on %s: --mckernel=procs=%d but the step has %lu task%s "
			  "on this node: procs must equal the step's tasks on every node "
			  "(srun -n/--ntasks-per-node), or leave procs out",
			  (unsigned long)t->job, (unsigned long)t->step, node, opts->procs,
			  (unsigned long)t->ntasks, t->ntasks == 1 ? "" : "s");
		return -1;
	}
	if (mck_options_mcexec_args(opts, cfg, &mo->words, &mo->n, &err) < 0) {
		task_fail("job %lu: %s", (unsigned long)t->job, err.msg);
		return -1;
	}
	return 0;
}

/* The node's first task tells srun how this node booted (first step only). */
static void report_boot(spank_t sp, const struct mck_spank_ctx *ctx, const struct task_info *t)
{
	int local = -1;

	if (ctx->node_report[0] && spank_get_item(sp, S_TASK_ID, &local) == ESPANK_SUCCESS &&
	    local == 0)
		mck_report_send(ctx, t->env);
}

/*
 * srun --container (container.c): the task is set up for its container
 * (Slurm 22.05: 0, Slurm starts it), or goes on through the usual path
 * (1: not in a container, or Slurm 23.11+, which takes the prepended argv
 * into the container itself).
 */
static int container_hook(spank_t sp, const struct mck_config *cfg, const struct task_info *t,
			  int os, const char *omp, const struct mcexec_opts *mo)
{
	struct mck_spank_container c = {
		.argv = t->argv, .env = t->env, .ntasks = t->ntasks, .os = os, .omp = omp,
		.words = mo->words, .nwords = mo->n,
	};
	struct mck_error err = { 0 };
	int rc = mck_spank_container_task(sp, cfg, &c, &err);

	if (rc < 0) {
		task_fail("job %lu step %lu: %s", (unsigned long)t->job, (unsigned long)t->step,
			  err.msg);
		return -1;
	}
	return rc;
}

int mck_spank_remote_task_init(spank_t sp, struct mck_spank_ctx *ctx)
{
	const struct mck_config *cfg = &ctx->step_cfg;
	struct mck_jobrec rec = { 0 };
	struct task_info t = { 0 };
	struct mcexec_opts mo = { 0 };
	char omp[16];
	uint32_t stepid;
	int rc;

	if (!spank_remote(sp) || !mck_spank_job_requested(sp, ctx))
		return 0;
	if (spank_get_item(sp, S_JOB_STEPID, &stepid) != ESPANK_SUCCESS)
		return 0;
	if (!mck_spank_is_user_step(stepid))
		return 0;
	if (ctx->step_error[0]) {
		/* step.c found the instance unusable: every task says why. */
		slurm_error(MCK_SPANK_PREFIX "%s", ctx->step_error);
		return -1;
	}
	if (get_task_info(sp, &t) < 0)
		return -1;
	if (!ctx->step_cfg_loaded) {
		/* The step's check as root loads it for every user step (step.c). */
		task_fail("job %lu step %lu: the step's check in slurmstepd did not load "
			  "mckernel.conf for the job's partition, so this task cannot run "
			  "(it never takes the partition from the job's environment)",
			  (unsigned long)t.job, (unsigned long)t.step);
		return -1;
	}
	rc = -1;
	if (read_job_instance(cfg, &t, &rec) < 0)
		goto out;
	if (task_options(ctx, cfg, &t, &mo) < 0)
		goto out;
	if (bind_proxy_to_linux_cpus(&rec, &t) < 0)
		goto out;
	omp_default(&rec, t.ntasks, omp, sizeof(omp));
	report_boot(sp, ctx, &t);
	rc = container_hook(sp, cfg, &t, rec.os, omp, &mo);
	if (rc > 0)
		rc = run_through_mcexec(sp, cfg, &t, rec.os, omp, &mo);
out:
	mck_argv_free(mo.words);
	mck_jobrec_free(&rec);
	return rc;
}
