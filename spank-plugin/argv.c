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
#include "mck-options.h"

const char *mck_spank_option_text(const char *value)
{
	if (!value || !*value || !strcmp(value, "(null)"))
		return NULL;
	return value;
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
	return mck_spank_build_argv_ex(mcexec, NULL, 0, ntasks, os, NULL, 0, NULL,
				       words, nwords, err);
}

int mck_spank_build_argv(const char *mcexec, uint32_t ntasks, int os,
			 const char *program, int argc, char *const args[],
			 char ***out, int *outc, struct mck_error *err)
{
	return mck_spank_build_argv_ex(mcexec, NULL, 0, ntasks, os, program, argc, args,
				       out, outc, err);
}

int mck_spank_build_argv_ex(const char *mcexec, char *const extra[], int nextra,
			    uint32_t ntasks, int os, const char *program, int argc,
			    char *const args[], char ***out, int *outc,
			    struct mck_error *err)
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
	if (argc < 0 || (argc > 0 && !args) || nextra < 0 || (nextra > 0 && !extra)) {
		rc = mck_fail(err, -EINVAL, "bad task argument vector");
		goto fail;
	}
	for (int i = 0; i < nextra; i++)
		if (!extra[i] || strncmp(extra[i], "--", 2) || !extra[i][2]) {
			rc = mck_fail(err, -EINVAL, "mcexec option '%s' is not of the form --NAME[=VALUE]",
				      extra[i] ? extra[i] : "");
			goto fail;
		}
	/*
	 * mcexec EXTRA... -n N -- OS program args[1..] NULL. The OS index is
	 * always given: mcexec takes a leading decimal word after its options
	 * (also right after "--") as the index, so a program named "3dfft"
	 * would otherwise open /dev/mcos3.
	 */
	v = calloc(argc + nextra + 8, sizeof(*v));
	if (!v)
		goto nomem;
	if (push_word(v, &n, mcexec))
		goto nomem;
	for (int i = 0; i < nextra; i++)
		if (push_word(v, &n, extra[i]))
			goto nomem;
	if (push_word(v, &n, "-n"))
		goto nomem;
	snprintf(num, sizeof(num), "%lu", (unsigned long)ntasks);
	if (push_word(v, &n, num) || push_word(v, &n, "--"))
		goto nomem;
	snprintf(num, sizeof(num), "%d", os);
	if (push_word(v, &n, num))
		goto nomem;
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
	mck_argv_free(v);
	return rc;
}

/* ------------------------------------------------------------ --multi-prog */

/* A growing NULL-terminated vector of malloc'd words. */
struct words {
	char **v;
	int n, cap;
};

static int words_push(struct words *w, char *word)
{
	if (w->n + 2 > w->cap) {
		int cap = w->cap ? 2 * w->cap : 16;
		char **nv = realloc(w->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		w->v = nv;
		w->cap = cap;
	}
	w->v[w->n++] = word;
	w->v[w->n] = NULL;
	return 0;
}

/*
 * Does spec ("*", "0-3,5") name rank? 1 yes (offset set), 0 no, -1
 * malformed.
 */
static int ranks_match(const char *spec, uint32_t rank, unsigned long *offset)
{
	unsigned long passed = 0;
	const char *p = spec;
	int found = 0;

	if (!strcmp(spec, "*")) {
		*offset = rank;
		return 1;
	}
	while (*p) {
		unsigned long lo, hi;
		char *end;

		if (*p < '0' || *p > '9')
			return -1;
		lo = strtoul(p, &end, 10);
		hi = lo;
		p = end;
		if (*p == '-') {
			p++;
			if (*p < '0' || *p > '9')
				return -1;
			hi = strtoul(p, &end, 10);
			p = end;
		}
		if (hi < lo || hi > 0xfffffffeUL)
			return -1;
		if (*p == ',') {
			p++;
			if (!*p)
				return -1;
		} else if (*p) {
			return -1;
		}
		if (!found && rank >= lo && rank <= hi) {
			*offset = passed + (rank - lo);
			found = 1;
		}
		passed += hi - lo + 1;
	}
	return found;
}

/* Append src[0..len-1] to the word in *buf (size *cap, used *used), expanding %t/%o. */
static int word_append(char **buf, size_t *used, size_t *cap, const char *src, size_t len,
		       uint32_t rank, unsigned long offset, int expand)
{
	for (size_t i = 0; i < len; i++) {
		char num[24];
		const char *add = src + i;
		size_t alen = 1;

		if (expand && src[i] == '%' && i + 1 < len && (src[i + 1] == 't' || src[i + 1] == 'o')) {
			snprintf(num, sizeof(num), "%lu",
				 src[i + 1] == 't' ? (unsigned long)rank : offset);
			add = num;
			alen = strlen(num);
			i++;
		}
		if (*used + alen + 1 > *cap) {
			size_t ncap = (*cap ? *cap * 2 : 64) + alen;
			char *nb = realloc(*buf, ncap);

			if (!nb)
				return -ENOMEM;
			*buf = nb;
			*cap = ncap;
		}
		memcpy(*buf + *used, add, alen);
		*used += alen;
		(*buf)[*used] = '\0';
	}
	return 0;
}

/*
 * Split one logical line into words (quotes, %t/%o). Returns 0, -EINVAL
 * (message) or -ENOMEM.
 */
static int split_line(const char *line, int lineno, uint32_t rank, unsigned long offset,
		      int expand, struct words *w, struct mck_error *err)
{
	const char *p = line;

	for (;;) {
		char *word = NULL;
		size_t used = 0, cap = 0;
		int have = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return 0;
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '\'') {
				/* As Slurm's parser: no %t/%o inside single quotes. */
				const char *close = strchr(p + 1, *p);

				if (!close) {
					free(word);
					return mck_fail(err, -EINVAL, "--multi-prog line %d: unterminated single quote",
							lineno);
				}
				if (word_append(&word, &used, &cap, p + 1, close - p - 1, rank, offset, 0))
					goto nomem;
				p = close + 1;
			} else if (*p == '\\') {
				/* A backslash keeps the next character as it is. */
				if (p[1] && word_append(&word, &used, &cap, p + 1, 1, rank, offset, 0))
					goto nomem;
				p += p[1] ? 2 : 1;
			} else {
				size_t n = strcspn(p, " \t'\\");

				if (word_append(&word, &used, &cap, p, n, rank, offset, expand))
					goto nomem;
				p += n;
			}
			have = 1;
		}
		if (have && !word) {
			word = strdup("");	/* '' is an empty argument */
			if (!word)
				goto nomem;
		}
		if (word && words_push(w, word)) {
			free(word);
			goto nomem;
		}
		continue;
nomem:
		free(word);
		return mck_fail(err, -ENOMEM, "out of memory parsing the --multi-prog file");
	}
}

int mck_spank_multiprog_argv(const char *config, uint32_t rank, char *const extra[],
			     int nextra, char ***out, int *outc, struct mck_error *err)
{
	struct words w = { 0 };
	char *text = NULL, *line, *next;
	int lineno = 0, found = 0, rc = -1;
	size_t len;

	*out = NULL;
	*outc = 0;
	if (!config) {
		rc = mck_fail(err, -EINVAL, "--multi-prog: no configuration text");
		goto fail;
	}
	len = strlen(config);
	if (len > MCK_SPANK_MULTIPROG_MAX) {
		rc = mck_fail(err, -EINVAL, "--multi-prog: the configuration is %zu bytes; at most %d are allowed",
			      len, MCK_SPANK_MULTIPROG_MAX);
		goto fail;
	}
	text = strdup(config);
	if (!text)
		goto nomem;
	/* One logical line at a time; a trailing backslash glues the next one. */
	for (line = text; *line; line = next) {
		char *end = strchr(line, '\n');
		char *spec, *rest;
		unsigned long offset = 0;
		int first = ++lineno, m;
		struct words lw = { 0 };

		next = end ? end + 1 : line + strlen(line);
		if (end)
			*end = '\0';
		while (end && end > line && end[-1] == '\\') {
			/* continuation: glue the next physical line */
			char *e2;

			end[-1] = ' ';
			*end = ' ';
			lineno++;
			e2 = strchr(next, '\n');
			if (e2) {
				*e2 = '\0';
				end = e2;
				next = e2 + 1;
			} else {
				end = NULL;
				next = next + strlen(next);
			}
		}
		for (char *c = line; *c; c++)
			if (*c == '\r')
				*c = ' ';
		spec = line + strspn(line, " \t");
		if (!*spec || *spec == '#')
			continue;
		rest = spec + strcspn(spec, " \t");
		if (*rest)
			*rest++ = '\0';
		m = ranks_match(spec, rank, &offset);
		if (m < 0) {
			char q[80];

			rc = mck_fail(err, -EINVAL, "--multi-prog line %d: ranks '%s' are not '*' or a list "
				      "of ranks and ranges such as 0-3,5", first, mck_quote(spec, q, sizeof(q)));
			goto fail;
		}
		if (m == 0 || found) {
			/* every line is checked, so that all ranks agree on a bad file */
			rc = split_line(rest, first, rank, 0, 0, &lw, err);
			if (!rc && lw.n == 0)
				rc = mck_fail(err, -EINVAL, "--multi-prog line %d: ranks '%s' without a program",
					      first, spec);
			mck_argv_free(lw.v);
			if (rc)
				goto fail;
			rc = -1;
			continue;
		}
		rc = split_line(rest, first, rank, offset, 1, &w, err);
		if (rc)
			goto fail;
		rc = -1;
		if (w.n == 0) {
			rc = mck_fail(err, -EINVAL, "--multi-prog line %d: ranks '%s' without a program",
				      first, spec);
			goto fail;
		}
		found = 1;
	}
	if (found) {
		for (int i = 0; i < nextra; i++) {
			char *copy = strdup(extra[i] ? extra[i] : "");

			if (!copy || words_push(&w, copy)) {
				free(copy);
				goto nomem;
			}
		}
		*out = w.v;
		*outc = w.n;
		free(text);
		return 0;
	}
	rc = mck_fail(err, -ENOENT, "--multi-prog: no line of the configuration names task rank %lu",
		      (unsigned long)rank);
	goto fail;
nomem:
	rc = mck_fail(err, -ENOMEM, "out of memory parsing the --multi-prog file");
fail:
	mck_argv_free(w.v);
	free(text);
	return rc;
}

int mck_spank_is_multiprog(int argc, char *const argv[], const char *file_text,
			   int argv0_executable, uint32_t rank)
{
	struct mck_error err = { 0 };
	char **v = NULL;
	int n, rc;

	if (argc < 2 || !argv || !argv[0] || !argv[1])
		return 0;
	if (file_text)
		return !strcmp(file_text, argv[1]);
	if (argv0_executable)
		return 0;
	rc = mck_spank_multiprog_argv(argv[1], rank, NULL, 0, &v, &n, &err);
	mck_argv_free(v);
	return rc == 0 || rc == -ENOENT;	/* a valid configuration, whether or not it names rank */
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
	mck_argv_free(v);
	return rc;
}
