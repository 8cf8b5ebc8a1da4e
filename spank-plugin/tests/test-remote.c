/*
 * test-remote.c: remote.c (the slurmstepd side) driven by a fake SPANK
 * runtime: which tasks are left alone, the one-line failure without a job
 * record, and the exact command line the task runs (mcexec = a script
 * printing each word in brackets). The task path is the one this Slurm
 * has: Slurm 22.05, the plugin execs mcexec itself; Slurm 23.11+
 * (HAVE_SPANK_PREPEND_TASK_ARGV), the plugin prepends the mcexec words
 * and sets the environment through the runtime, and the fake runtime then
 * execs words + task argv as slurmstepd does.
 */
#include "config.h"
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <slurm/slurm.h>

#include "mck-jobrec.h"
#include "mck-spank.h"
#include "mck-test.h"
#include "mck-util.h"
#ifdef HAVE_JSONC
#include "oci.h"
#endif

/* ---------------------------------------------- the fake SPANK runtime */
static struct {
	int asked;		/* job used --mckernel */
	uint32_t job, step, ntasks, rank;
	char *optval;		/* --mckernel value, NULL: the option alone */
	int argc;
	char **argv;
	char **env;
	const char *debug_log;	/* slurm_debug lines are appended here */
#ifdef HAVE_SPANK_PREPEND_TASK_ARGV
	char **prepended;	/* what spank_prepend_task_argv got, NULL-terminated */
#endif
	const char *cwd;	/* the task's working directory, or NULL */
} fake;
static char last_error[2048];

spank_err_t spank_get_item(spank_t sp, spank_item_t item, ...)
{
	va_list ap;

	va_start(ap, item);
	switch (item) {
	case S_JOB_ID: *va_arg(ap, uint32_t *) = fake.job; break;
	case S_JOB_STEPID: *va_arg(ap, uint32_t *) = fake.step; break;
	case S_JOB_LOCAL_TASK_COUNT: *va_arg(ap, uint32_t *) = fake.ntasks; break;
	case S_JOB_ARGV:
		*va_arg(ap, int *) = fake.argc;
		*va_arg(ap, char ***) = fake.argv;
		break;
	case S_JOB_ENV: *va_arg(ap, char ***) = fake.env; break;
	case S_TASK_GLOBAL_ID: *va_arg(ap, uint32_t *) = fake.rank; break;
	default:
		va_end(ap);
		return ESPANK_BAD_ARG;
	}
	va_end(ap);
	return ESPANK_SUCCESS;
}

spank_err_t spank_option_getopt(spank_t sp, struct spank_option *opt, char **optarg)
{
	if (!fake.asked || strcmp(opt->name, "mckernel"))
		return ESPANK_ERROR;
	*optarg = fake.optval;
	return ESPANK_SUCCESS;
}

int spank_remote(spank_t sp) { return 1; }
#ifndef HAVE_SPANK_PREPEND_TASK_ARGV
/* report.c (the boot line) is linked in; these tests give no node report */
spank_err_t spank_setenv(spank_t sp, const char *var, const char *val, int overwrite)
{
	return ESPANK_ERROR;
}
#endif
const char *spank_strerror(spank_err_t err) { return "fake spank error"; }

#ifdef HAVE_SPANK_PREPEND_TASK_ARGV
/* The job environment Slurm execs the task with: set NAME=VALUE in fake.env. */
spank_err_t spank_setenv(spank_t sp, const char *var, const char *val, int overwrite)
{
	size_t len = strlen(var), n = 0;
	char **env, *entry;

	while (fake.env[n])
		n++;
	if (asprintf(&entry, "%s=%s", var, val) < 0)
		return ESPANK_ERROR;
	for (size_t i = 0; i < n; i++)
		if (!strncmp(fake.env[i], var, len) && fake.env[i][len] == '=') {
			if (overwrite)
				fake.env[i] = entry;
			return ESPANK_SUCCESS;
		}
	env = calloc(n + 2, sizeof(char *));
	if (!env)
		return ESPANK_ERROR;
	memcpy(env, fake.env, n * sizeof(char *));
	env[n] = entry;
	fake.env = env;
	return ESPANK_SUCCESS;
}

spank_err_t spank_prepend_task_argv(spank_t sp, int argc, const char *argv[])
{
	fake.prepended = calloc(argc + 1, sizeof(char *));
	for (int i = 0; fake.prepended && i < argc; i++)
		fake.prepended[i] = strdup(argv[i]);
	return fake.prepended ? ESPANK_SUCCESS : ESPANK_ERROR;
}

/* What slurmstepd does after task_init: exec the prepended words + the task's argv. */
static void exec_prepended(void)
{
	char *argv[64];
	int n = 0;

	for (int i = 0; fake.prepended[i] && n < 62; i++)
		argv[n++] = fake.prepended[i];
	for (int i = 0; i < fake.argc && n < 63; i++)
		argv[n++] = fake.argv[i];
	argv[n] = NULL;
	execve(argv[0], argv, fake.env);
	printf("FAILED: execve %s: %s\n", argv[0], strerror(errno));
}
#endif

void slurm_debug(const char *fmt, ...)
{
	FILE *f = fake.debug_log ? fopen(fake.debug_log, "a") : NULL;
	va_list ap;

	if (!f)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

void slurm_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------- helpers */

/* Run task_init in a child; its stdout (the fake mcexec run) into out. */
static int run_task_init(struct mck_spank_ctx *ctx, char *out, size_t len, int *rc_out)
{
	int fds[2], status;
	ssize_t got = 0, r;
	pid_t pid;

	fflush(stdout);
	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], 1);
		if (fake.cwd && chdir(fake.cwd) < 0)
			_exit(3);
		int rc = mck_spank_remote_task_init(NULL, ctx);
#ifdef HAVE_SPANK_PREPEND_TASK_ARGV
		if (rc == 0 && fake.prepended)
			exec_prepended();
#endif
		if (rc == 0)
			printf("NOT-WRAPPED\n");
		else
			printf("FAILED: %s\n", last_error);
		fflush(stdout);
		_exit(rc == 0 ? 0 : 1);
	}
	close(fds[1]);
	while (got < (ssize_t)len - 1 && (r = read(fds[0], out + got, len - 1 - got)) > 0)
		got += r;
	out[got] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	*rc_out = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	return 0;
}

/* Slurm 22.05's container path (container.c: MCK_SPOOLED_CONFIG) */
#if defined(HAVE_JSONC) && !defined(HAVE_SPANK_PREPEND_TASK_ARGV) && \
	SLURM_VERSION_NUMBER < SLURM_VERSION_NUM(23, 2, 0)
static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
	chmod(path, mode);
}

/*
 * srun --container on Slurm 22.05 (instance 2, 1 task): the task's argv is
 * Slurm's placeholder in a 4-slot array while argc still counts the user's
 * 5 words; its working directory is the spooled bundle. The plugin rewrites
 * the spooled config.json and returns without exec'ing anything.
 */
static void container_step(struct mck_spank_ctx *ctx, const char *dir, const char *mcexec,
			   char **env)
{
	char spool[300], rootfs[300], path[400], out[4096];
	char **placeholder = calloc(4, sizeof(char *));
	char *cenv[8], want[600], joined[2048] = "";
	char *text = NULL, **args = NULL;
	struct mck_oci *doc = NULL;
	struct mck_error err = { 0 };
	int nargs = 0;
	char **saved = fake.argv;
	int rc, n = 0;

	placeholder[0] = "/bin/sh";
	placeholder[1] = "-c";
	placeholder[2] = "echo 'this should never execute with a container'; exit 1";
	for (int i = 0; env[i]; i++)
		cenv[n++] = env[i];
	cenv[n++] = "SLURM_CONTAINER=/shared/bundle";
	cenv[n] = NULL;
	snprintf(spool, sizeof(spool), "%s/spool", dir);
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
	mkdir(spool, 0700);
	snprintf(path, sizeof(path), "%s/config.json", spool);
	write_text(path, "{\"process\": {\"args\": [\"myprog\", \"-c\", \"3\"], \"env\": "
		   "[\"TERM=xterm\"]}, \"root\": {\"path\": \"../rootfs\"}}", 0640);
	/*
	 * The mount points; objdump in the task's PATH (DIR/bin), which the
	 * container sees through the mount of mcexec's directory (DIR).
	 */
	snprintf(path, sizeof(path), "%s%s", rootfs, dir);
	mck_mkdir_p(path, 0755, &err);
	snprintf(path, sizeof(path), "%s/bin/objdump", dir);
	write_text(path, "", 0755);
	snprintf(path, sizeof(path), "%s/mcos2", dir);
	write_text(path, "", 0600);

	fake.argv = placeholder;
	fake.argc = 5;
	fake.env = cenv;
	fake.cwd = spool;
	run_task_init(ctx, out, sizeof(out), &rc);
	is_str(out, "NOT-WRAPPED\n", "--container on 22.05: task_init returns, Slurm starts the container");
	snprintf(path, sizeof(path), "%s/config.json", spool);
	if (mck_oci_load(path, &doc, &err) == 0 && mck_oci_args(doc, &args, &nargs, &err) == 0) {
		for (int i = 0; i < nargs; i++)
			snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "[%s]", args[i]);
		mck_argv_free(args);
	}
	snprintf(want, sizeof(want), "[%s][-n][1][--][2][myprog][-c][3]", mcexec);
	is_str(joined, want, "the spooled config.json runs MCEXEC -n 1 -- 2 and the command");
	ok(doc && !strcmp(mck_oci_getenv(doc, "SLURMD_NODENAME"), "node7") &&
	   !strcmp(mck_oci_getenv(doc, "PMIX_MCA_gds"), "hash") &&
	   !strcmp(mck_oci_getenv(doc, "TERM"), "xterm"),
	   "with the task's environment, the operator's list and the bundle's own");
	if (doc)
		mck_oci_dump(doc, &text, &err);
	snprintf(want, sizeof(want), "\"destination\": \"%s/mcos2\"", dir);
	ok(text && strstr(text, want), "and the bind mounts (the device: %s)", want);
	free(text);
	mck_oci_free(doc);

	/* a bundle without objdump: one line, nothing written */
	snprintf(path, sizeof(path), "%s/bin/objdump", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/config.json", spool);
	write_text(path, "{\"process\": {\"args\": [\"a\"]}, \"root\": {\"path\": \"../rootfs\"}}", 0640);
	run_task_init(ctx, out, sizeof(out), &rc);
	ok(rc == 1 && strstr(out, "has no objdump in its PATH"), "a bundle without objdump: %s", out);

	/* SLURM_CONTAINER without the placeholder: no oci.conf here, Slurm runs it on Linux */
	fake.argv = saved;
	fake.cwd = NULL;
	run_task_init(ctx, out, sizeof(out), &rc);
	ok(rc == 0 && strstr(out, "][-c][3][--][x y]"), "a container Slurm ignores: wrapped as usual");
	fake.env = env;
	fake.argc = 5;
	free(placeholder);
	snprintf(path, sizeof(path), "%s/config.json", spool);
	unlink(path);
	rmdir(spool);
	snprintf(path, sizeof(path), "%s/mcos2", dir);
	unlink(path);
	nftw(rootfs, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
#elif defined(HAVE_JSONC) && defined(HAVE_SPANK_PREPEND_TASK_ARGV)
/*
 * Slurm 23.11+ never leaves 22.05's placeholder in a container task: one
 * that does is refused with the reason, nothing is exec'ed.
 */
static void container_step(struct mck_spank_ctx *ctx, const char *dir, const char *mcexec,
			   char **env)
{
	char *placeholder[] = { "/bin/sh", "-c",
				"echo 'this should never execute with a container'; exit 1", NULL };
	char *cenv[8], out[4096], **saved = fake.argv;
	int rc, n = 0;

	(void)dir, (void)mcexec;
	for (int i = 0; env[i] && n < 6; i++)
		cenv[n++] = env[i];
	cenv[n++] = "SLURM_CONTAINER=/shared/bundle";
	cenv[n] = NULL;
	fake.argv = placeholder;
	fake.argc = 5;
	fake.env = cenv;
	run_task_init(ctx, out, sizeof(out), &rc);
	ok(rc == 1 && strstr(out, "placeholder command") && !strstr(out, "never execute"),
	   "a 22.05 placeholder on this Slurm: the task fails with the reason (%s)", out);
	fake.argv = saved;
	fake.env = env;
	fake.argc = 5;
}
#else
static void container_step(struct mck_spank_ctx *ctx, const char *dir, const char *mcexec,
			   char **env)
{
	(void)ctx, (void)dir, (void)mcexec, (void)env;
}
#endif

int main(void)
{
	char dir[] = "/tmp/test-remote.XXXXXX", conf[256], bindir[300], prog[320], mcexec[320];
	char *argv[] = { "myprog", "-c", "3", "--", "x y", NULL };
	char env_path[400];
	/* the user controls the job's environment: a spoofed partition must not matter */
	char *env[] = { env_path, "SLURMD_NODENAME=node7", "SLURM_JOB_PARTITION=other", NULL };
	struct mck_spank_ctx ctx = { 0 };
	struct mck_jobrec rec = { 0 };
	struct mck_error err = { 0 };
	char out[4096], want[1024], debug_log[300], *log;
	FILE *f;
	int rc;
#ifdef HAVE_SPANK_PREPEND_TASK_ARGV
	const char *path_taken = "spank_prepend_task_argv";
	const char *run = "myprog";	/* mcexec finds the program */
#else
	const char *path_taken = "exec";
	const char *run = prog;		/* the plugin resolves it in the task's PATH */
#endif
/* What the fake mcexec prints after its words: the partition's environment. */
#define ENV_LINE "gds=hash omp=unset\n"

	ok(mkdtemp(dir) != NULL, "temp dir");
	snprintf(bindir, sizeof(bindir), "%s/bin", dir);
	mkdir(bindir, 0755);
	snprintf(prog, sizeof(prog), "%s/myprog", bindir);
	f = fopen(prog, "w");
	if (f) { fputs("#!/bin/sh\n", f); fclose(f); }
	chmod(prog, 0755);
	snprintf(mcexec, sizeof(mcexec), "%s/fake-mcexec", dir);
	f = fopen(mcexec, "w");
	if (f) {
		fputs("#!/bin/sh\nfor a; do printf '[%s]' \"$a\"; done; echo\n"
		      "echo \"gds=${PMIX_MCA_gds-unset} omp=${OMP_NUM_THREADS-unset}\"\n", f);
		fclose(f);
	}
	chmod(mcexec, 0755);
	snprintf(env_path, sizeof(env_path), "PATH=/nonexistent:%s", bindir);
	snprintf(conf, sizeof(conf), "%s/mckernel.conf", dir);
	f = fopen(conf, "w");
	if (f) {
		/* partition other: an mcexec that would show if the task used it */
		fprintf(f, "mcexec = %s\nstate_dir = %s\ndevice_dir = %s\n"
			"[partition other]\nmcexec = /bin/false\n", mcexec, dir, dir);
		fclose(f);
	}
	ctx.config_path = conf;
	snprintf(debug_log, sizeof(debug_log), "%s/debug.log", dir);
	fake.debug_log = debug_log;

	/*
	 * Issue 10 item 1: without the configuration the step's check loaded
	 * as root the task fails; it never loads one for the partition the
	 * job's environment names.
	 */
	fake.asked = 1;
	fake.job = 77;
	fake.step = 0;
	fake.ntasks = 3;
	fake.argc = 5;
	fake.argv = argv;
	fake.env = env;
	run_task_init(&ctx, out, sizeof(out), &rc);
	is_int(rc, 1, "no configuration from the step's check: the task fails");
	is_str(out, "FAILED: spank_mckernel: job 77 step 0: the step's check in slurmstepd did "
	       "not load mckernel.conf for the job's partition, so this task cannot run (it never "
	       "takes the partition from the job's environment)\n", "and says why");
	snprintf(ctx.step_error, sizeof(ctx.step_error), "job 77 step 0 on node7: instance gone");
	run_task_init(&ctx, out, sizeof(out), &rc);
	ok(rc == 1 && !strcmp(out, "FAILED: spank_mckernel: job 77 step 0 on node7: instance gone\n"),
	   "the step's failure is every task's: %s", out);
	ctx.step_error[0] = '\0';
	/*
	 * what step.c keeps for the tasks: the configuration of the job's real
	 * partition, and the step's --mckernel keys its check accepted
	 */
	ok(mck_config_load(conf, "mck", &ctx.step_cfg, &err) == 0, "step configuration (%s)", err.msg);
	ctx.step_cfg_loaded = 1;
	is_int(mck_spank_step_options(NULL, &ctx, 77, 0), 0, "the step's check accepts --mckernel alone");

	fake.asked = 0;
	run_task_init(&ctx, out, sizeof(out), &rc);
	is_str(out, "NOT-WRAPPED\n", "a job without --mckernel is left alone");

	fake.asked = 1;
	fake.step = SLURM_BATCH_SCRIPT;
	run_task_init(&ctx, out, sizeof(out), &rc);
	is_str(out, "NOT-WRAPPED\n", "the batch step is never wrapped");
	fake.step = SLURM_EXTERN_CONT;
	run_task_init(&ctx, out, sizeof(out), &rc);
	is_str(out, "NOT-WRAPPED\n", "the extern step is never wrapped");

	fake.step = 0;
	run_task_init(&ctx, out, sizeof(out), &rc);
	is_int(rc, 1, "no job record: the task fails");
	is_str(out, "FAILED: spank_mckernel: job 77 has no McKernel instance on node7: "
	       "was the job submitted with --mckernel?\n", "one-line reason");

	rec.job = 77;
	rec.os = 0;
	rec.state = MCK_JOB_RUNNING;
	is_int(mck_jobrec_write(dir, &rec, &err), 0, "job record written");
	run_task_init(&ctx, out, sizeof(out), &rc);
	is_int(rc, 0, "the task's command ran");
	snprintf(want, sizeof(want), "[-n][3][--][0][%s][-c][3][--][x y]\n" ENV_LINE, run);
	is_str(out, want, "the step configuration's MCEXEC -n NTASKS -- 0 PROGRAM ARGS, with the "
	       "partition's environment (task path: %s)", path_taken);
	log = NULL;
	mck_read_file(debug_log, &log, NULL, &err);
	snprintf(want, sizeof(want), "spank_mckernel: job 77 step 0 task 0: task path %s ", path_taken);
	ok(log && strstr(log, want), "the plugin logs the task path it took at debug level: %s",
	   log ? log : "(no debug log)");
	free(log);

	rec.os = 2;
	mck_jobrec_write(dir, &rec, &err);
	fake.ntasks = 1;
	run_task_init(&ctx, out, sizeof(out), &rc);
	snprintf(want, sizeof(want), "[-n][1][--][2][%s][-c][3][--][x y]\n" ENV_LINE, run);
	is_str(out, want, "OS index given when not 0");

#ifndef HAVE_SPANK_PREPEND_TASK_ARGV
	/* The exec path finds the program itself, and picks --multi-prog lines. */
	argv[0] = "no-such-prog";
	run_task_init(&ctx, out, sizeof(out), &rc);
	is_int(rc, 1, "missing program: the task fails");
	ok(strstr(out, "no-such-prog: command not found") != NULL, "reason: %s", out);
	argv[0] = "myprog";

	/* --multi-prog on 22.05: argv = [file name, file text] */
	{
		char *mp[] = { "mp.conf", "# two programs\n0 myprog first\n1-2 myprog 'r %t' o%o\n", NULL };
		char **saved = fake.argv;
		int saved_c = fake.argc;

		fake.argv = mp;
		fake.argc = 2;
		fake.ntasks = 3;
		fake.rank = 2;
		run_task_init(&ctx, out, sizeof(out), &rc);
		snprintf(want, sizeof(want), "[-n][3][--][2][%s][r %%t][o1]\n" ENV_LINE, prog);
		is_str(out, want, "--multi-prog: rank 2 runs its own line through mcexec (as Slurm: "
		       "nothing expanded inside single quotes)");
		fake.rank = 0;
		run_task_init(&ctx, out, sizeof(out), &rc);
		snprintf(want, sizeof(want), "[-n][3][--][2][%s][first]\n" ENV_LINE, prog);
		is_str(out, want, "--multi-prog: rank 0 runs its line");
		fake.rank = 7;
		run_task_init(&ctx, out, sizeof(out), &rc);
		ok(rc == 1 && strstr(out, "no line of the configuration names task rank 7"),
		   "--multi-prog: a rank without a line fails with the reason: %s", out);
		fake.argv = saved;
		fake.argc = saved_c;
		fake.rank = 0;
		fake.ntasks = 1;
	}
#endif

	/* user keys (through the step's check): mcexec options before -n, procs must match the tasks */
	fake.optval = "mpol_threshold=1M,extend_heap_by=8M";
	mck_spank_step_options(NULL, &ctx, 77, 0);
	run_task_init(&ctx, out, sizeof(out), &rc);
	snprintf(want, sizeof(want), "[--mpol-threshold=1048576][--extend-heap-by=8388608][-n][1][--][2]"
		 "[%s][-c][3][--][x y]\n" ENV_LINE, run);
	is_str(out, want, "--mckernel=mpol_threshold=1M,extend_heap_by=8M: mcexec options, one word each");
	fake.optval = "procs=4";
	mck_spank_step_options(NULL, &ctx, 77, 0);
	run_task_init(&ctx, out, sizeof(out), &rc);
	ok(rc == 1 && strstr(out, "procs=4 but the step has 1 task on this node"),
	   "procs=4 with 1 task on the node: the task fails: %s", out);
	fake.optval = "procs=1";
	mck_spank_step_options(NULL, &ctx, 77, 0);
	run_task_init(&ctx, out, sizeof(out), &rc);
	is_int(rc, 0, "procs=1 with 1 task on the node runs");
	/* uti=yes where the step's mcexec lacks UTI: refused by the step's check, every task says why */
	fake.optval = "uti=yes";
	is_int(mck_spank_step_options(NULL, &ctx, 77, 0), -1, "the step's check refuses uti=yes");
	run_task_init(&ctx, out, sizeof(out), &rc);
	ok(rc == 1 && strstr(out, "uti=yes is not available on partition mck"),
	   "uti=yes without mcexec_uti: the task fails with the reason: %s", out);
	fake.optval = NULL;
	ctx.step_error[0] = '\0';
	mck_spank_step_options(NULL, &ctx, 77, 0);
	/* a task whose step's check did not accept the keys does not run */
	ctx.step_opts_ok = 0;
	run_task_init(&ctx, out, sizeof(out), &rc);
	ok(rc == 1 && strstr(out, "did not accept its --mckernel keys"),
	   "without the step's accepted keys the task fails: %s", out);
	ctx.step_opts_ok = 1;


	container_step(&ctx, dir, mcexec, env);

	rec.os = -1;
	mck_jobrec_write(dir, &rec, &err);
	run_task_init(&ctx, out, sizeof(out), &rc);
	ok(rc == 1 && strstr(out, "has no McKernel instance on node7"), "record without OS: fails");

	mck_config_free(&ctx.step_cfg);
	mck_jobrec_free(&rec);
	mck_jobrec_remove(dir, 77, &err);
	unlink(debug_log);
	unlink(conf);
	unlink(prog);
	unlink(mcexec);
	snprintf(bindir, sizeof(bindir), "%s/jobs", dir);
	rmdir(bindir);
	snprintf(bindir, sizeof(bindir), "%s/bin", dir);
	rmdir(bindir);
	rmdir(dir);
	return done_testing();
}
