/* test-argv.c: the --mckernel parser and the rank command line builder. */
#include "config.h"
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "argv.h"
#include "mck-test.h"

static char *joined(char **v)
{
	static char buf[4096];
	size_t used = 0;

	buf[0] = '\0';
	for (; v && *v; v++)
		used += snprintf(buf + used, sizeof(buf) - used, "%s%s", used ? " " : "", *v);
	return buf;
}

static void test_options(void)
{
	struct mck_spank_opts o;
	struct mck_error err = { 0 };

	is_int(mck_spank_opts_parse(NULL, &o, &err), 0, "bare --mckernel is accepted");
	ok(o.requested, "bare --mckernel marks the job");
	is_int(mck_spank_opts_parse("", &o, &err), 0, "--mckernel= (empty) is accepted");
	is_int(mck_spank_opts_parse("(null)", &o, &err), 0, "bare --mckernel passed on by sbatch as (null) is accepted");

	mck_error_clear(&err);
	is_int(mck_spank_opts_parse("mem=0.5", &o, &err), -EINVAL, "an unknown key is refused");
	ok(strstr(err.msg, "'mem'") && strstr(err.msg, "mem=0.5"),
	   "the message names the key and the item: %s", err.msg);
	ok(strstr(err.msg, "--mckernel alone") != NULL,
	   "the message says what to do instead: %s", err.msg);

	mck_error_clear(&err);
	is_int(mck_spank_opts_parse("yes", &o, &err), -EINVAL, "a value without '=' is refused");
	ok(strstr(err.msg, "'yes' is not KEY=VALUE") != NULL, "message: %s", err.msg);

	mck_error_clear(&err);
	is_int(mck_spank_opts_parse(",", &o, &err), -EINVAL, "an empty item is refused");
	ok(strstr(err.msg, "empty setting") != NULL, "message: %s", err.msg);

	mck_error_clear(&err);
	is_int(mck_spank_opts_parse("a=1,b=2", &o, &err), -EINVAL, "a list with unknown keys is refused");
	ok(strstr(err.msg, "'a'") != NULL, "the first bad key is named: %s", err.msg);

	mck_error_clear(&err);
	is_int(mck_spank_opts_parse("x=$(reboot);`id`", &o, &err), -EINVAL,
	       "shell metacharacters are just refused text");
	is_str(mck_spank_opts_keys(), "", "no keys are accepted yet (issue 5 adds them)");
}

static void test_build(void)
{
	struct mck_error err = { 0 };
	char *args[] = { "./a.out", "-c", "3", "--", "-n", "x y", NULL };
	char **v = NULL;
	int n = -1;

	is_int(mck_spank_build_argv("/opt/mck/bin/mcexec", 4, 0, "/home/u/a.out", 6, args,
				    &v, &n, &err), 0, "build for OS 0");
	is_str(joined(v), "/opt/mck/bin/mcexec -n 4 -- /home/u/a.out -c 3 -- -n x y",
	       "OS 0 is implicit; program args starting with '-' come after --");
	is_int(n, 10, "word count");
	ok(v && v[n] == NULL, "vector is NULL-terminated");
	is_str(v ? v[9] : NULL, "x y", "an argument with a space stays one word");
	mck_spank_argv_free(v);

	is_int(mck_spank_build_argv("/usr/bin/mcexec", 2, 3, "/bin/true", 1, args,
				    &v, &n, &err), 0, "build for OS 3");
	is_str(joined(v), "/usr/bin/mcexec -n 2 -- 3 /bin/true", "OS index after --");
	is_int(n, 6, "word count with OS index");
	mck_spank_argv_free(v);

	is_int(mck_spank_prefix_words("/usr/bin/mcexec", 16, 1, &v, &n, &err), 0,
	       "prefix words (spank_prepend_task_argv)");
	is_str(joined(v), "/usr/bin/mcexec -n 16 -- 1", "prefix for OS 1");
	is_int(n, 5, "prefix word count");
	mck_spank_argv_free(v);
	is_int(mck_spank_prefix_words("/usr/bin/mcexec", 1, 0, &v, &n, &err), 0, "prefix OS 0");
	is_str(joined(v), "/usr/bin/mcexec -n 1 --", "prefix for OS 0 has no index");
	mck_spank_argv_free(v);

	mck_error_clear(&err);
	is_int(mck_spank_build_argv("mcexec", 1, 0, "/bin/true", 1, args, &v, &n, &err),
	       -EINVAL, "a relative mcexec path is refused");
	ok(strstr(err.msg, "mckernel.conf") != NULL, "message says where to fix: %s", err.msg);
	ok(v == NULL, "nothing returned on error");
	is_int(mck_spank_build_argv("/usr/bin/mcexec", 0, 0, "/bin/true", 1, args, &v, &n, &err),
	       -EINVAL, "zero tasks is refused");
	is_int(mck_spank_build_argv("/usr/bin/mcexec", 1, 64, "/bin/true", 1, args, &v, &n, &err),
	       -EINVAL, "OS index 64 is refused");
}

static void make_file(const char *path, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs("#!/bin/sh\n", f);
		fclose(f);
	}
	chmod(path, mode);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void test_resolve(void)
{
	struct mck_error err = { 0 };
	char dir[] = "/tmp/test-argv.XXXXXX", a[PATH_MAX], b[PATH_MAX], path[2 * PATH_MAX];
	char want[PATH_MAX + 64];
	char *out = NULL;

	ok(mkdtemp(dir) != NULL, "temp dir");
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	mkdir(a, 0755);
	mkdir(b, 0755);
	snprintf(path, sizeof(path), "%s/a/prog", dir);
	make_file(path, 0644);			/* first in PATH, not executable */
	snprintf(path, sizeof(path), "%s/b/prog", dir);
	make_file(path, 0755);
	snprintf(path, sizeof(path), "%s/b/dir.d", dir);
	mkdir(path, 0755);			/* a directory is not a program */
	snprintf(path, sizeof(path), "%s/a/only-noexec", dir);
	make_file(path, 0644);

	snprintf(path, sizeof(path), "%s:%s", a, b);
	is_int(mck_spank_resolve_program("prog", path, "/", &out, &err), 0, "found in PATH");
	snprintf(want, sizeof(want), "%s/prog", b);
	is_str(out, want, "skips a non-executable file, like execvp");
	free(out);

	is_int(mck_spank_resolve_program("dir.d", path, "/", &out, &err), -EACCES,
	       "a directory in PATH is not a program (EACCES, like execvp)");
	is_int(mck_spank_resolve_program("only-noexec", path, "/", &out, &err), -EACCES,
	       "only a non-executable match: EACCES");
	mck_error_clear(&err);
	is_int(mck_spank_resolve_program("no-such-prog", path, "/", &out, &err), -ENOENT,
	       "missing program");
	ok(strstr(err.msg, "no-such-prog") != NULL, "message names it: %s", err.msg);

	/* An empty PATH entry means the current directory (resolved against cwd). */
	snprintf(path, sizeof(path), "/nonexistent:");
	if (chdir(dir) == 0)
		is_int(mck_spank_resolve_program("prog", path, dir, &out, &err), -ENOENT,
		       "empty entry is the cwd: no prog there");
	if (chdir(b) == 0) {
		is_int(mck_spank_resolve_program("prog", path, b, &out, &err), 0,
		       "empty PATH entry finds ./prog");
		snprintf(want, sizeof(want), "%s/prog", b);
		is_str(out, want, "made absolute against cwd");
		free(out);
		if (chdir("/")) {}
	}

	is_int(mck_spank_resolve_program("./x/y", "/bin", "/home/u", &out, &err), 0,
	       "a name with '/' is not searched");
	is_str(out, "/home/u/./x/y", "relative to cwd");
	free(out);
	is_int(mck_spank_resolve_program("/bin/sh", "", "/home/u", &out, &err), 0, "absolute");
	is_str(out, "/bin/sh", "absolute stays");
	free(out);
	is_int(mck_spank_resolve_program("sh", NULL, "/", &out, &err), 0,
	       "no PATH: /bin:/usr/bin like execvp");
	ok(out && (!strcmp(out, "/bin/sh") || !strcmp(out, "/usr/bin/sh")), "sh found: %s", out);
	free(out);

	nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void test_env(void)
{
	char *env[] = { "PATH=/a:/b", "PATHX=no", "SLURM_JOB_PARTITION=mck", "EMPTY=", NULL };

	is_str(mck_spank_env_get(env, "PATH"), "/a:/b", "env lookup");
	is_str(mck_spank_env_get(env, "EMPTY"), "", "empty value");
	ok(mck_spank_env_get(env, "PAT") == NULL, "a prefix is not a match");
	ok(mck_spank_env_get(NULL, "PATH") == NULL, "no environment");
}

/* The rank environment: operator entries replace, OMP_NUM_THREADS only by default. */
static void test_build_env(void)
{
	char *env[] = { "PATH=/bin", "PMIX_MCA_gds=ds21", "OMP_NUM_THREADS=5", NULL };
	char *env2[] = { "PATH=/bin", NULL };
	char *set[] = { "PMIX_MCA_gds=hash", "FOO=a=b", NULL };
	char *bad[] = { "=x", NULL };
	struct mck_error err = { 0 };
	char **out = NULL;

	is_int(mck_spank_build_env(env, set, 2, "3", &out, &err), 0, "build_env");
	is_str(mck_spank_env_get(out, "PMIX_MCA_gds"), "hash", "operator entry replaces the user's");
	is_str(mck_spank_env_get(out, "FOO"), "a=b", "new entry appended, value with '='");
	is_str(mck_spank_env_get(out, "OMP_NUM_THREADS"), "5", "the user's OMP_NUM_THREADS wins");
	is_str(mck_spank_env_get(out, "PATH"), "/bin", "the rest is kept");
	mck_spank_argv_free(out);
	is_int(mck_spank_build_env(env2, set, 1, "3", &out, &err), 0, "build_env without OMP");
	is_str(mck_spank_env_get(out, "OMP_NUM_THREADS"), "3", "OMP_NUM_THREADS set by default");
	is_str(mck_spank_env_get(out, "PMIX_MCA_gds"), "hash", "gds=hash added");
	ok(mck_spank_env_get(out, "FOO") == NULL, "only the entries given");
	mck_spank_argv_free(out);
	is_int(mck_spank_build_env(env2, NULL, 0, "", &out, &err), 0, "nothing to add");
	ok(mck_spank_env_get(out, "OMP_NUM_THREADS") == NULL, "no OMP default without LWK CPUs");
	mck_spank_argv_free(out);
	is_int(mck_spank_build_env(env2, bad, 1, NULL, &out, &err), -EINVAL, "bad entry refused");
	ok(strstr(err.msg, "NAME=VALUE") != NULL, "message: %s", err.msg);
	is_int(mck_spank_omp_threads(6, 2), 3, "6 LWK CPUs, 2 tasks: 3 threads");
	is_int(mck_spank_omp_threads(6, 4), 1, "6 LWK CPUs, 4 tasks: 1 thread");
	is_int(mck_spank_omp_threads(6, 8), 1, "more tasks than CPUs: 1");
	is_int(mck_spank_omp_threads(7, 1), 7, "one task: all LWK CPUs");
}

int main(void)
{
	test_options();
	test_build();
	test_resolve();
	test_env();
	test_build_env();
	return done_testing();
}
