/* test-argv.c: the --mckernel value, the rank command line builder, --multi-prog. */
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
#include "mck-options.h"
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
	struct mck_options o;
	struct mck_error err = { 0 };

	ok(mck_spank_option_text(NULL) == NULL, "bare --mckernel: no text");
	ok(mck_spank_option_text("") == NULL, "--mckernel= (empty): no text");
	ok(mck_spank_option_text("(null)") == NULL,
	   "bare --mckernel passed on by sbatch as (null): the option alone");
	is_str(mck_spank_option_text("mem=0.5"), "mem=0.5", "a value is passed on");

	/* the plugin parses with common/mck-options: the same checks as everywhere */
	is_int(mck_options_parse(mck_spank_option_text("(null)"), &o, &err), 0,
	       "(null) parses as the option alone");
	is_int(o.set, 0, "no key set");
	mck_error_clear(&err);
	ok(mck_options_parse("x=$(reboot);`id`", &o, &err) < 0,
	   "shell metacharacters are refused text: %s", err.msg);
	mck_error_clear(&err);
	ok(mck_options_parse("image=/tmp/evil.img", &o, &err) < 0 &&
	   strstr(err.msg, "unknown key 'image'"), "image is no user key: %s", err.msg);
}

static void test_build_extra(void)
{
	struct mck_error err = { 0 };
	char *args[] = { "./a.out", "-x", NULL };
	char *extra[] = { "--mpol-threshold=1048576", "--enable-uti", NULL };
	char *bad[] = { "/tmp/x", NULL };
	char **v = NULL;
	int n = -1;

	is_int(mck_spank_build_argv_ex("/usr/bin/mcexec", extra, 2, 3, 0, "/bin/a.out", 2, args,
				       &v, &n, &err), 0, "build with mcexec options");
	is_str(joined(v), "/usr/bin/mcexec --mpol-threshold=1048576 --enable-uti -n 3 -- 0 /bin/a.out -x",
	       "mcexec options before -n, the OS index and the program after --");
	mck_argv_free(v);
	v = NULL;
	mck_error_clear(&err);
	ok(mck_spank_build_argv_ex("/usr/bin/mcexec", bad, 1, 3, 0, "/bin/a.out", 2, args,
				   &v, &n, &err) < 0 && !v,
	   "a word that is not --NAME[=VALUE] is refused: %s", err.msg);
}

static void test_multiprog(void)
{
	static const char conf[] =
		"# comment line\n"
		"\n"
		"0-1,5   ./a.out  rank=%t off=%o\n"
		"  # indented comment\n"
		"2       'my prog' a\\ b '' x%ty '%t' \"q r\"\n"
		"3 /bin/echo one \\\n"
		"    two\n"
		"*       /bin/true %t\n";
	struct mck_error err = { 0 };
	char *extra[] = { "-v", NULL };
	char **v = NULL;
	int n = -1;

	is_int(mck_spank_multiprog_argv(conf, 0, NULL, 0, &v, &n, &err), 0, "rank 0 found");
	is_str(joined(v), "./a.out rank=0 off=0", "rank 0: %%t and %%o");
	mck_argv_free(v);
	is_int(mck_spank_multiprog_argv(conf, 5, NULL, 0, &v, &n, &err), 0, "rank 5 found");
	is_str(joined(v), "./a.out rank=5 off=2", "rank 5: offset counts the earlier range");
	mck_argv_free(v);
	is_int(mck_spank_multiprog_argv(conf, 2, NULL, 0, &v, &n, &err), 0, "rank 2 found");
	is_int(n, 7, "rank 2: quoted words stay whole, '' is an empty word");
	is_str(v ? v[0] : NULL, "my prog", "single quotes");
	is_str(v ? v[1] : NULL, "a b", "a backslash keeps a blank in the word");
	is_str(v ? v[2] : NULL, "", "empty quoted word");
	is_str(v ? v[3] : NULL, "x2y", "%%t inside a word");
	is_str(v ? v[4] : NULL, "%t", "nothing expanded inside single quotes (as Slurm)");
	is_str(v ? v[5] : NULL, "\"q", "double quotes are ordinary characters (as Slurm)");
	is_str(v ? v[6] : NULL, "r\"", "... so \"q r\" is two words");
	mck_argv_free(v);
	is_int(mck_spank_multiprog_argv(conf, 3, extra, 1, &v, &n, &err), 0, "rank 3 found");
	is_str(joined(v), "/bin/echo one two -v", "continued line, srun's extra arguments appended");
	mck_argv_free(v);
	is_int(mck_spank_multiprog_argv(conf, 9, NULL, 0, &v, &n, &err), 0, "rank 9: '*'");
	is_str(joined(v), "/bin/true 9", "'*' line for any other rank");
	mck_argv_free(v);
	v = NULL;

	mck_error_clear(&err);
	is_int(mck_spank_multiprog_argv("0 a\n1 b\n", 4, NULL, 0, &v, &n, &err), -ENOENT,
	       "a rank without a line");
	ok(strstr(err.msg, "task rank 4") != NULL, "message names the rank: %s", err.msg);
	mck_error_clear(&err);
	is_int(mck_spank_multiprog_argv("0 a\n1-x b\n", 0, NULL, 0, &v, &n, &err), -EINVAL,
	       "a malformed rank list is refused even when another line matches");
	ok(strstr(err.msg, "line 2") != NULL, "message names the line: %s", err.msg);
	mck_error_clear(&err);
	is_int(mck_spank_multiprog_argv("0 'a\n", 0, NULL, 0, &v, &n, &err), -EINVAL,
	       "an unterminated quote is refused");
	mck_error_clear(&err);
	is_int(mck_spank_multiprog_argv("3-1 a\n", 2, NULL, 0, &v, &n, &err), -EINVAL,
	       "a descending range is refused");
	mck_error_clear(&err);
	is_int(mck_spank_multiprog_argv("0\n", 0, NULL, 0, &v, &n, &err), -EINVAL,
	       "ranks without a program are refused");
	mck_error_clear(&err);
	is_int(mck_spank_multiprog_argv("0 $(touch /tmp/pwned);`id`\n", 0, NULL, 0, &v, &n, &err), 0,
	       "shell text is only words");
	is_int(n, 2, "and never interpreted: two words");
	mck_argv_free(v);

	{
		char *argv_mp[] = { "mp.conf", "0 a\n1 b\n", NULL };
		char *argv_plain[] = { "/bin/echo", "0 a", NULL };

		is_int(mck_spank_is_multiprog(2, argv_mp, "0 a\n1 b\n", 0, 1), 1,
		       "argv[1] is the text of the file argv[0]: multi-prog");
		is_int(mck_spank_is_multiprog(2, argv_mp, NULL, 0, 1), 1,
		       "file not readable here, argv[0] not a program, argv[1] a valid config");
		is_int(mck_spank_is_multiprog(2, argv_plain, NULL, 1, 0), 0,
		       "an executable program is never a multi-prog config");
		is_int(mck_spank_is_multiprog(2, argv_plain, "other", 1, 0), 0,
		       "argv[1] differs from the file: not multi-prog");
		is_int(mck_spank_is_multiprog(1, argv_mp, NULL, 0, 0), 0, "one word: not multi-prog");
	}
}

static void test_build(void)
{
	struct mck_error err = { 0 };
	char *args[] = { "./a.out", "-c", "3", "--", "-n", "x y", NULL };
	char **v = NULL;
	int n = -1;

	is_int(mck_spank_build_argv("/opt/mck/bin/mcexec", 4, 0, "/home/u/a.out", 6, args,
				    &v, &n, &err), 0, "build for OS 0");
	is_str(joined(v), "/opt/mck/bin/mcexec -n 4 -- 0 /home/u/a.out -c 3 -- -n x y",
	       "OS 0 given explicitly; program args starting with '-' come after the program");
	is_int(n, 11, "word count");
	ok(v && v[n] == NULL, "vector is NULL-terminated");
	is_str(v ? v[10] : NULL, "x y", "an argument with a space stays one word");
	mck_argv_free(v);

	is_int(mck_spank_build_argv("/usr/bin/mcexec", 2, 3, "/bin/true", 1, args,
				    &v, &n, &err), 0, "build for OS 3");
	is_str(joined(v), "/usr/bin/mcexec -n 2 -- 3 /bin/true", "OS index after --");
	is_int(n, 6, "word count with OS index");
	mck_argv_free(v);

	is_int(mck_spank_prefix_words("/usr/bin/mcexec", 16, 1, &v, &n, &err), 0,
	       "prefix words (spank_prepend_task_argv)");
	is_str(joined(v), "/usr/bin/mcexec -n 16 -- 1", "prefix for OS 1");
	is_int(n, 5, "prefix word count");
	mck_argv_free(v);
	is_int(mck_spank_prefix_words("/usr/bin/mcexec", 1, 0, &v, &n, &err), 0, "prefix OS 0");
	is_str(joined(v), "/usr/bin/mcexec -n 1 -- 0", "prefix for OS 0 gives the index too");
	mck_argv_free(v);
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

/*
 * Issue 16 item 3: the words as real mcexec reads them (getopt_long with
 * "+c:n:t:M:h:e:s:m:u:H:S:", then a leading decimal word is the OS index,
 * also right after "--"). The program is what follows; a program named
 * "3dfft" or one whose arguments start with "-c" must reach mcexec whole.
 */
static void mcexec_reads(char **v, int n, int *os, const char **prog, int *first_arg)
{
	int i = 1;

	*os = 0;
	*prog = NULL;
	*first_arg = n;
	while (i < n && v[i][0] == '-' && v[i][1]) {
		if (!strcmp(v[i], "--")) {
			i++;
			break;
		}
		/* short options with an argument in mcexec's option string */
		if (v[i][1] != '-' && !v[i][2] && strchr("cntMhesmuHS", v[i][1]))
			i++;
		i++;
	}
	if (i < n && v[i][0] >= '0' && v[i][0] <= '9')
		*os = atoi(v[i++]);
	if (i < n) {
		*prog = v[i];
		*first_arg = i + 1;
	}
}

static void test_os_index(void)
{
	struct mck_error err = { 0 };
	char *prepend_task[] = { "3dfft", "-c", "3", NULL };
	char *args[] = { "3dfft", "-c", "3", NULL };
	char **v = NULL;
	const char *prog;
	int n = -1, os, first;

	/* 22.05 path: the whole command line */
	is_int(mck_spank_build_argv("/usr/bin/mcexec", 2, 0, "3dfft", 3, args, &v, &n, &err), 0,
	       "build for a program named 3dfft");
	mcexec_reads(v, n, &os, &prog, &first);
	is_int(os, 0, "mcexec reads OS 0, not 3 from the program's name");
	is_str(prog, "3dfft", "mcexec runs the program 3dfft");
	ok(first + 1 < n && !strcmp(v[first], "-c") && !strcmp(v[first + 1], "3"),
	   "the program's own -c 3 stays its arguments");
	mck_argv_free(v);
	is_int(mck_spank_build_argv("/usr/bin/mcexec", 1, 5, "3dfft", 3, args, &v, &n, &err), 0,
	       "build for OS 5");
	mcexec_reads(v, n, &os, &prog, &first);
	ok(os == 5 && prog && !strcmp(prog, "3dfft"), "OS 5, program 3dfft");
	mck_argv_free(v);

	/* 23.11+ path: the prefix is prepended to the task's own argv */
	is_int(mck_spank_prefix_words("/usr/bin/mcexec", 4, 0, &v, &n, &err), 0, "prefix words");
	{
		char *whole[16];
		int k = 0;

		for (int i = 0; i < n; i++)
			whole[k++] = v[i];
		for (int i = 0; prepend_task[i]; i++)
			whole[k++] = prepend_task[i];
		whole[k] = NULL;
		mcexec_reads(whole, k, &os, &prog, &first);
		ok(os == 0 && prog && !strcmp(prog, "3dfft") && !strcmp(whole[first], "-c"),
		   "prepended prefix: OS 0, program 3dfft, its -c kept");
	}
	mck_argv_free(v);

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
	mck_argv_free(out);
	is_int(mck_spank_build_env(env2, set, 1, "3", &out, &err), 0, "build_env without OMP");
	is_str(mck_spank_env_get(out, "OMP_NUM_THREADS"), "3", "OMP_NUM_THREADS set by default");
	is_str(mck_spank_env_get(out, "PMIX_MCA_gds"), "hash", "gds=hash added");
	ok(mck_spank_env_get(out, "FOO") == NULL, "only the entries given");
	mck_argv_free(out);
	is_int(mck_spank_build_env(env2, NULL, 0, "", &out, &err), 0, "nothing to add");
	ok(mck_spank_env_get(out, "OMP_NUM_THREADS") == NULL, "no OMP default without LWK CPUs");
	mck_argv_free(out);
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
	test_os_index();
	test_build_extra();
	test_multiprog();
	test_resolve();
	test_env();
	test_build_env();
	return done_testing();
}
