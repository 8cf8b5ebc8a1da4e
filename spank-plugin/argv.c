/* argv.c: see argv.h. No Slurm dependency. */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "argv.h"

/*
 * One entry per KEY the user may give as --mckernel=KEY=VALUE. Issue 5
 * fills this table; each entry validates its value and stores it.
 */
struct opt_key {
	const char *name;
	const char *allowed;	/* what a valid value looks like, for messages */
	int (*set)(struct mck_spank_opts *opts, const char *key, const char *value,
		   struct mck_error *err);
};

static const struct opt_key opt_keys[] = {
	{ NULL, NULL, NULL },
};

const char *mck_spank_opts_keys(void)
{
	static char buf[512];
	size_t used = 0;

	buf[0] = '\0';
	for (const struct opt_key *k = opt_keys; k->name; k++) {
		int n = snprintf(buf + used, sizeof(buf) - used, "%s%s",
				 used ? "," : "", k->name);
		if (n < 0 || (size_t)n >= sizeof(buf) - used)
			break;
		used += n;
	}
	return buf;
}

static const struct opt_key *find_opt_key(const char *name)
{
	for (const struct opt_key *k = opt_keys; k->name; k++)
		if (!strcmp(k->name, name))
			return k;
	return NULL;
}

static int fail_unknown_key(const char *item, const char *key, struct mck_error *err)
{
	const char *keys = mck_spank_opts_keys();

	if (!*keys)
		return mck_fail(err, -EINVAL,
				"--mckernel: unknown setting '%s' in '%s': this version "
				"accepts no settings, use --mckernel alone", key, item);
	return mck_fail(err, -EINVAL,
			"--mckernel: unknown setting '%s' in '%s': allowed keys are %s",
			key, item, keys);
}

static int parse_opt_item(char *item, struct mck_spank_opts *opts, struct mck_error *err)
{
	char *eq = strchr(item, '=');
	const struct opt_key *k;
	char whole[256];

	snprintf(whole, sizeof(whole), "%s", item);
	if (!*item)
		return mck_fail(err, -EINVAL,
				"--mckernel: empty setting in the list: write "
				"--mckernel=KEY=VALUE[,KEY=VALUE...] without empty items");
	if (!eq)
		return mck_fail(err, -EINVAL,
				"--mckernel: '%s' is not KEY=VALUE%s", whole,
				*mck_spank_opts_keys() ? "" :
				"; this version accepts no settings, use --mckernel alone");
	*eq = '\0';
	k = find_opt_key(item);
	if (!k)
		return fail_unknown_key(whole, item, err);
	return k->set(opts, k->name, eq + 1, err);
}

int mck_spank_opts_parse(const char *value, struct mck_spank_opts *opts,
			 struct mck_error *err)
{
	char *copy = NULL, *item, *next;
	int rc;

	memset(opts, 0, sizeof(*opts));
	opts->requested = 1;
	/*
	 * A bare --mckernel given to sbatch/salloc reaches the job's steps
	 * through the environment as the text "(null)" (Slurm 22.05 prints
	 * the missing argument with %s): it means the option alone.
	 */
	if (!value || !*value || !strcmp(value, "(null)"))
		return 0;
	rc = -1;
	copy = strdup(value);
	if (!copy) {
		rc = mck_fail(err, -ENOMEM, "--mckernel: out of memory");
		goto fail;
	}
	for (item = copy; item; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		rc = parse_opt_item(item, opts, err);
		if (rc)
			goto fail;
	}
	rc = 0;
fail:
	free(copy);
	return rc;
}

static int join_path(const char *dir, size_t dirlen, const char *name,
		     char *buf, size_t len)
{
	int n;

	if (dirlen == 0)
		n = snprintf(buf, len, "%s", name);
	else
		n = snprintf(buf, len, "%.*s%s%s", (int)dirlen, dir,
			     dir[dirlen - 1] == '/' ? "" : "/", name);
	return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

/* 0 when path is an executable regular file, else a negative errno. */
static int check_executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	if (access(path, X_OK) < 0)
		return -errno;
	return 0;
}

static int make_absolute(const char *path, const char *cwd, char **out)
{
	char buf[PATH_MAX];

	if (path[0] == '/')
		*out = strdup(path);
	else {
		if (!cwd || join_path(cwd, strlen(cwd), path, buf, sizeof(buf)))
			return -ENAMETOOLONG;
		*out = strdup(buf);
	}
	return *out ? 0 : -ENOMEM;
}

int mck_spank_resolve_program(const char *name, const char *path_env,
			      const char *cwd, char **out, struct mck_error *err)
{
	char buf[PATH_MAX];
	const char *p, *end;
	int rc, seen_eacces = 0;

	*out = NULL;
	if (!name || !*name)
		return mck_fail(err, -ENOENT, "empty program name");
	if (strchr(name, '/')) {
		rc = make_absolute(name, cwd, out);
		if (rc)
			return mck_fail(err, rc, "%s: cannot make an absolute path: %s",
					name, strerror(-rc));
		return 0;
	}
	if (!path_env)
		path_env = "/bin:/usr/bin";
	for (p = path_env; ; p = end + 1) {
		end = strchrnul(p, ':');
		if (join_path(p, end - p, name, buf, sizeof(buf)) == 0) {
			rc = check_executable(buf);
			if (rc == 0) {
				rc = make_absolute(buf, cwd, out);
				if (rc)
					return mck_fail(err, rc, "%s: %s", buf, strerror(-rc));
				return 0;
			}
			if (rc == -EACCES)
				seen_eacces = 1;
		}
		if (!*end)
			break;
	}
	if (seen_eacces)
		return mck_fail(err, -EACCES,
				"%s: found in PATH but not executable (Permission denied)", name);
	return mck_fail(err, -ENOENT, "%s: command not found in PATH=%s", name, path_env);
}

void mck_spank_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

/* Append a copy of word to a NULL-terminated vector with room for it. */
static int push_word(char **v, int *n, const char *word)
{
	v[*n] = strdup(word);
	if (!v[*n])
		return -ENOMEM;
	(*n)++;
	v[*n] = NULL;
	return 0;
}

int mck_spank_prefix_words(const char *mcexec, uint32_t ntasks, int os,
			   char ***words, int *nwords, struct mck_error *err)
{
	return mck_spank_build_argv(mcexec, ntasks, os, NULL, 0, NULL, words, nwords, err);
}

int mck_spank_build_argv(const char *mcexec, uint32_t ntasks, int os,
			 const char *program, int argc, char *const args[],
			 char ***out, int *outc, struct mck_error *err)
{
	char **v = NULL;
	char num[16];
	int n = 0, rc;

	*out = NULL;
	*outc = 0;
	rc = -1;
	if (!mcexec || mcexec[0] != '/') {
		rc = mck_fail(err, -EINVAL, "mcexec path '%s' is not absolute: set mcexec "
			      "in mckernel.conf to an absolute path", mcexec ? mcexec : "");
		goto fail;
	}
	if (ntasks == 0) {
		rc = mck_fail(err, -EINVAL, "no tasks on this node for mcexec -n");
		goto fail;
	}
	if (os < 0 || os > 63) {
		rc = mck_fail(err, -EINVAL, "McKernel OS index %d outside 0..63", os);
		goto fail;
	}
	if (argc < 0 || (argc > 0 && !args)) {
		rc = mck_fail(err, -EINVAL, "bad task argument vector");
		goto fail;
	}
	/* mcexec -n N -- [OS] program args[1..] NULL */
	v = calloc(argc + 8, sizeof(*v));
	if (!v)
		goto nomem;
	if (push_word(v, &n, mcexec) || push_word(v, &n, "-n"))
		goto nomem;
	snprintf(num, sizeof(num), "%lu", (unsigned long)ntasks);
	if (push_word(v, &n, num) || push_word(v, &n, "--"))
		goto nomem;
	if (os != 0) {
		snprintf(num, sizeof(num), "%d", os);
		if (push_word(v, &n, num))
			goto nomem;
	}
	if (program) {
		if (push_word(v, &n, program))
			goto nomem;
		for (int i = 1; i < argc; i++)
			if (push_word(v, &n, args[i]))
				goto nomem;
	}
	*out = v;
	*outc = n;
	return 0;
nomem:
	rc = mck_fail(err, -ENOMEM, "out of memory building the mcexec command line");
fail:
	mck_spank_argv_free(v);
	return rc;
}

const char *mck_spank_env_get(char *const env[], const char *name)
{
	size_t len = strlen(name);

	if (!env)
		return NULL;
	for (char *const *e = env; *e; e++)
		if (!strncmp(*e, name, len) && (*e)[len] == '=')
			return *e + len + 1;
	return NULL;
}

int mck_spank_omp_threads(int lwk_cpus, uint32_t ntasks)
{
	if (lwk_cpus <= 0)
		return 1;
	if (ntasks == 0 || ntasks >= (uint32_t)lwk_cpus)
		return ntasks == 0 ? lwk_cpus : 1;
	return lwk_cpus / (int)ntasks;
}

/* Index of the entry NAME=... in v[0..n-1], or -1. */
static int env_index(char *const v[], int n, const char *entry)
{
	size_t len = strcspn(entry, "=");

	for (int i = 0; i < n; i++)
		if (!strncmp(v[i], entry, len) && v[i][len] == '=')
			return i;
	return -1;
}

int mck_spank_build_env(char *const env[], char *const set[], int nset, const char *omp,
			char ***out, struct mck_error *err)
{
	char **v = NULL;
	int n = 0, nenv = 0, rc;

	*out = NULL;
	for (; env && env[nenv]; nenv++)
		;
	rc = -1;
	v = calloc(nenv + (nset > 0 ? nset : 0) + 2, sizeof(*v));
	if (!v)
		goto nomem;
	for (int i = 0; i < nenv; i++)
		if (push_word(v, &n, env[i]))
			goto nomem;
	for (int i = 0; i < nset; i++) {
		int at;

		if (!set[i] || !strchr(set[i], '=') || set[i][0] == '=') {
			rc = mck_fail(err, -EINVAL, "environment entry '%s' of mckernel.conf is "
				      "not NAME=VALUE: fix the env line", set[i] ? set[i] : "");
			goto fail;
		}
		at = env_index(v, n, set[i]);
		if (at >= 0) {
			char *copy = strdup(set[i]);

			if (!copy)
				goto nomem;
			free(v[at]);
			v[at] = copy;
		} else if (push_word(v, &n, set[i])) {
			goto nomem;
		}
	}
	if (omp && *omp && env_index(v, n, "OMP_NUM_THREADS=") < 0) {
		char entry[64];

		snprintf(entry, sizeof(entry), "OMP_NUM_THREADS=%s", omp);
		if (push_word(v, &n, entry))
			goto nomem;
	}
	*out = v;
	return 0;
nomem:
	rc = mck_fail(err, -ENOMEM, "out of memory building the task environment");
fail:
	mck_spank_argv_free(v);
	return rc;
}
