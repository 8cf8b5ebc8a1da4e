/*
 * mck-slurmcheck.c: the slurm.conf settings McKernel nodes need
 * (doc/slurm-settings.md); see mck-prereq.h.
 *
 * slurm.conf is read simply: '#' starts a comment, a line is KEY=VALUE
 * words, keys are case-insensitive, the last global setting of a key wins,
 * lines of nodes, partitions and the like are skipped. Include lines are
 * followed as Slurm does: "Include FILE" (any case) reads FILE in place,
 * a relative FILE is beside the including file, %c is the ClusterName set
 * so far (in lower case). plugstack.conf's "include PATTERN" lines read
 * every file PATTERN matches (glob, sorted; relative to the including
 * file's directory; no match is no plugin), in place.
 */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mck-budget.h"
#include "mck-prereq.h"
#include "mck-util.h"

enum {
	K_PROLOGFLAGS, K_PROLOG, K_EPILOG, K_PET, K_SLURMDPARAMS, K_TASKPLUGIN,
	K_PLUGSTACK, K_BATCHSTART, K_KILLONBADEXIT, K_CLUSTERNAME, K_NKEYS
};

static const char *const key_names[K_NKEYS] = {
	"PrologFlags", "Prolog", "Epilog", "PrologEpilogTimeout", "SlurmdParameters",
	"TaskPlugin", "PlugStackConfig", "BatchStartTimeout", "KillOnBadExit", "ClusterName",
};

/* Include files nested deeper than this are a loop (Slurm would not end). */
#define MCK_INCLUDE_DEPTH 16

/* Lines whose words describe an entity, not global settings. */
static const char *const entity_keys[] = {
	"NodeName", "PartitionName", "NodeSet", "FrontendName", "DownNodes", "SwitchName",
};

struct setting {
	char *value;	/* NULL: not set */
	int line;	/* where it was set: see struct check */
};

/* A line of slurm.conf or of a file it includes. */
struct place {
	char *file;
	int line;
};

/*
 * Findings about lines of slurm.conf name them as (c->file, N): N > 0 is
 * the place where[N - 1], which holds the real file (slurm.conf or an
 * included file) and line; finding() prints that.
 */
struct check {
	const char *file;	/* slurm.conf as named */
	FILE *out;
	int errors;
	struct setting set[K_NKEYS];
	struct place *where;
	int n_where;
};

static void finding(struct check *c, const char *file, int line, const char *level,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void finding(struct check *c, const char *file, int line, const char *level,
		    const char *fmt, ...)
{
	va_list ap;

	if (!strcmp(level, "error"))
		c->errors++;
	if (!c->out)
		return;	/* reading settings only */
	if (file == c->file && line > 0 && line <= c->n_where) {
		file = c->where[line - 1].file;
		line = c->where[line - 1].line;
	}
	if (line > 0)
		fprintf(c->out, "%s:%d: %s: ", file, line, level);
	else
		fprintf(c->out, "%s: %s: ", file, level);
	va_start(ap, fmt);
	vfprintf(c->out, fmt, ap);
	va_end(ap);
	fputc('\n', c->out);
}

/* Cut a line at its comment ('#' not escaped as "\#"). */
static void strip_comment(char *s)
{
	char *p;

	for (p = s; *p; p++)
		if (*p == '#' && (p == s || p[-1] != '\\')) {
			*p = '\0';
			return;
		}
}

/* The next whitespace-separated word of *p (NUL-terminated in place), or NULL. */
static char *next_word(char **p)
{
	char *s = *p, *w;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	if (!*s)
		return NULL;
	w = s;
	while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

/* Is word (of a comma-separated list) in list, compared case-insensitively? */
static int list_has(const char *list, const char *word)
{
	size_t wl = strlen(word);
	const char *p = list;

	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == wl && !strncasecmp(p, word, wl))
			return 1;
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

/* Does any entry of the comma-separated list of paths have this base name? */
static int list_has_program(const char *list, const char *base)
{
	size_t bl = strlen(base);
	const char *p = list;

	while (p && *p) {
		const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
		const char *b = end;

		while (b > p && b[-1] != '/')
			b--;
		if ((size_t)(end - b) == bl && !strncmp(b, base, bl))
			return 1;
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

static char *unquote(char *v)
{
	size_t len = strlen(v);

	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		v[len - 1] = '\0';
		return v + 1;
	}
	return v;
}

/* The place (file, line) as an index for struct setting and finding(); 0: no memory. */
static int place(struct check *c, const char *file, int line)
{
	struct place *w = realloc(c->where, (c->n_where + 1) * sizeof(*w));

	if (!w)
		return 0;
	c->where = w;
	w[c->n_where].file = strdup(file);
	if (!w[c->n_where].file)
		return 0;
	w[c->n_where].line = line;
	return ++c->n_where;
}

static void free_check(struct check *c)
{
	int k;

	for (k = 0; k < K_NKEYS; k++)
		free(c->set[k].value);
	for (k = 0; k < c->n_where; k++)
		free(c->where[k].file);
	free(c->where);
}

/* PATH relative to the directory of FROM unless absolute; malloc'd. */
static char *relative_to(const char *from, const char *path)
{
	const char *slash = strrchr(from, '/');
	char *out = NULL;

	if (path[0] == '/' || !slash) {
		out = strdup(path);
	} else if (asprintf(&out, "%.*s/%s", (int)(slash - from), from, path) < 0) {
		out = NULL;
	}
	return out;
}

/*
 * *out: an Include name with %c replaced by the ClusterName set so far, in
 * lower case (malloc'd). 0, 1 when a finding says why not, -ENOMEM.
 */
static int include_name(struct check *c, const char *name, int at, char **out)
{
	const char *cluster = c->set[K_CLUSTERNAME].value;
	size_t len = strlen(name) + 1, i, o = 0;

	if (strstr(name, "%c") && !cluster) {
		finding(c, c->file, at, "error", "Include %s: %%c needs ClusterName set before "
			"this line (Slurm cannot read it): set ClusterName first", name);
		return 1;
	}
	for (i = 0; name[i]; i++)
		if (name[i] == '%' && name[i + 1] == 'c')
			len += strlen(cluster);
	*out = malloc(len);
	if (!*out)
		return -ENOMEM;
	for (i = 0; name[i]; i++) {
		if (name[i] == '%' && name[i + 1] == 'c') {
			for (const char *p = cluster; *p; p++)
				(*out)[o++] = (char)tolower((unsigned char)*p);
			i++;
		} else {
			(*out)[o++] = name[i];
		}
	}
	(*out)[o] = '\0';
	return 0;
}

static int parse_slurm_file(struct check *c, const char *file, int depth);

/* An Include line of FILE (its place AT): read the file it names, in place. */
static int parse_include(struct check *c, const char *file, int at, char *words, int depth)
{
	char *name = next_word(&words), *expanded, *path;
	int rc = 0;

	if (!name) {
		finding(c, c->file, at, "error", "Include names no file: remove the line or "
			"name the file");
		return 0;
	}
	if (depth >= MCK_INCLUDE_DEPTH) {
		finding(c, c->file, at, "error", "Include %s: files nested more than %d deep "
			"(a file that includes itself?): remove the loop", name,
			MCK_INCLUDE_DEPTH);
		return 0;
	}
	rc = include_name(c, name, at, &expanded);
	if (rc)
		return rc < 0 ? rc : 0;
	path = relative_to(file, expanded);
	free(expanded);
	if (!path)
		return -ENOMEM;
	rc = parse_slurm_file(c, path, depth + 1);
	if (rc > 0) {
		finding(c, c->file, at, "error", "Include %s: cannot read %s: %s (Slurm does "
			"not start without it): create it or fix the line", name, path,
			strerror(rc));
		rc = 0;
	}
	free(path);
	return rc;
}

/* The settings of TEXT, the contents of FILE. */
static int parse_slurm_conf(struct check *c, const char *file, char *text, int depth)
{
	char *line = text, *next;
	int lineno = 0, rc;
	size_t i;

	for (; line; line = next) {
		char *p, *w;
		int k, at;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		strip_comment(line);
		p = line;
		w = next_word(&p);
		if (!w)
			continue;
		if (!strchr(w, '=')) {
			if (strcasecmp(w, "Include"))
				continue;
			at = place(c, file, lineno);
			if (!at)
				return -ENOMEM;
			rc = parse_include(c, file, at, p, depth);
			if (rc < 0)
				return rc;
			continue;
		}
		for (i = 0; i < sizeof(entity_keys) / sizeof(entity_keys[0]); i++)
			if (!strncasecmp(w, entity_keys[i], strlen(entity_keys[i])) &&
			    w[strlen(entity_keys[i])] == '=')
				break;
		if (i < sizeof(entity_keys) / sizeof(entity_keys[0]))
			continue;
		for (; w; w = next_word(&p)) {
			char *eq = strchr(w, '=');

			if (!eq)
				continue;
			*eq = '\0';
			for (k = 0; k < K_NKEYS; k++) {
				if (strcasecmp(w, key_names[k]))
					continue;
				free(c->set[k].value);
				c->set[k].value = strdup(unquote(eq + 1));
				c->set[k].line = place(c, file, lineno);
				if (!c->set[k].value || !c->set[k].line)
					return -ENOMEM;
			}
		}
	}
	return 0;
}

/*
 * Read FILE's settings: 0, a positive errno when FILE cannot be read (the
 * caller says what that means), a negative errno when out of memory.
 */
static int parse_slurm_file(struct check *c, const char *file, int depth)
{
	struct mck_error err = { 0 };
	char *text = NULL;
	int rc;

	if (mck_read_file(file, &text, NULL, &err))
		return err.code < 0 ? -err.code : EIO;
	rc = parse_slurm_conf(c, file, text, depth);
	free(text);
	return rc;
}

/* A file beside slurm.conf (cgroup.conf, plugstack.conf). */
static void beside(const char *file, const char *name, char *buf, size_t len)
{
	const char *slash = strrchr(file, '/');

	if (slash)
		snprintf(buf, len, "%.*s/%s", (int)(slash - file), file, name);
	else
		snprintf(buf, len, "%s", name);
}

/* ConstrainCores=yes in cgroup.conf: 1 (line in *line), 0 no, -1 no file. */
static int constrain_cores(const char *path, int *line)
{
	char *text = NULL, *l, *next;
	size_t len;
	struct mck_error err = { 0 };
	int lineno = 0, yes = 0;

	if (mck_read_file(path, &text, &len, &err))
		return -1;
	for (l = text; l; l = next) {
		char *p, *w;

		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		strip_comment(l);
		p = l;
		while ((w = next_word(&p))) {
			char *eq = strchr(w, '=');

			if (!eq)
				continue;
			*eq = '\0';
			if (!strcasecmp(w, "ConstrainCores")) {
				yes = !strcasecmp(eq + 1, "yes");
				*line = lineno;
			}
		}
	}
	free(text);
	return yes;
}

/* Where spank_mckernel.so is in the plugin stack, and the first plugin after it. */
struct stack_walk {
	char *mck_file, *after_file;
	int mck_line, mck_required, after_line;
};

static void set_place(char **file, int *line, const char *f, int l)
{
	free(*file);
	*file = strdup(f);
	*line = *file ? l : 0;
}

static int walk_plugstack(struct check *c, struct stack_walk *w, const char *path, int depth);

/* An include line of FILE: every file PATTERN matches, in order, in place. */
static void walk_include(struct check *c, struct stack_walk *w, const char *file, int line,
			 const char *pattern, int depth)
{
	char *full;
	glob_t gl;
	size_t i;
	int rc;

	if (depth >= MCK_INCLUDE_DEPTH) {
		finding(c, file, line, "error", "include %s: files nested more than %d deep "
			"(a file that includes itself?): remove the loop", pattern,
			MCK_INCLUDE_DEPTH);
		return;
	}
	full = relative_to(file, pattern);
	if (!full)
		return;
	rc = glob(full, 0, NULL, &gl);
	if (rc == 0) {
		for (i = 0; i < gl.gl_pathc; i++)
			walk_plugstack(c, w, gl.gl_pathv[i], depth + 1);
	} else if (rc == GLOB_NOMATCH) {
		finding(c, file, line, "note", "include %s matches no file", full);
	} else {
		finding(c, file, line, "error", "include %s: cannot read the directory: "
			"check its permissions", full);
	}
	if (rc != GLOB_NOMATCH)
		globfree(&gl);
	free(full);
}

/* Plugins of PATH and the files it includes; -1 when PATH cannot be read. */
static int walk_plugstack(struct check *c, struct stack_walk *w, const char *path, int depth)
{
	char *text = NULL, *l, *next;
	struct mck_error err = { 0 };
	int lineno = 0;

	if (mck_read_file(path, &text, NULL, &err)) {
		if (depth == 0)
			finding(c, path, 0, "error", "%s: create it with the line 'required "
				"%s/spank_mckernel.so' (PlugStackConfig names it)", err.msg,
				MCK_PKGLIBDIR);
		else if (err.code != -ENOENT)	/* Slurm takes a missing file as empty */
			finding(c, path, 0, "error", "%s: Slurm cannot load its plugins",
				err.msg);
		return -1;
	}
	for (l = text; l; l = next) {
		char *p, *kind, *word;

		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		strip_comment(l);
		p = l;
		kind = next_word(&p);
		if (!kind)
			continue;
		word = next_word(&p);
		if (!strcmp(kind, "include")) {
			if (word)
				walk_include(c, w, path, lineno, word, depth);
			continue;
		}
		if (strcmp(kind, "required") && strcmp(kind, "optional")) {
			finding(c, path, lineno, "warning", "Slurm ignores this line: it must start "
				"with required, optional or include");
			continue;
		}
		if (word && list_has_program(word, "spank_mckernel.so")) {
			set_place(&w->mck_file, &w->mck_line, path, lineno);
			w->mck_required = !strcmp(kind, "required");
			w->after_line = 0;
		} else if (w->mck_line && !w->after_line) {
			set_place(&w->after_file, &w->after_line, path, lineno);
		}
	}
	free(text);
	return 0;
}

static void check_plugstack(struct check *c, const char *path)
{
	struct stack_walk w = { 0 };

	if (walk_plugstack(c, &w, path, 0) < 0)
		goto out;
	if (!w.mck_line) {
		finding(c, path, 0, "error", "no spank_mckernel.so line: add 'required "
			"%s/spank_mckernel.so' as the last line", MCK_PKGLIBDIR);
		goto out;
	}
	if (!w.mck_required)
		finding(c, w.mck_file, w.mck_line, "error", "spank_mckernel.so is not 'required': "
			"make the line start with 'required' so that a failure of the plugin "
			"fails the step");
	if (w.after_line)
		finding(c, w.mck_file, w.mck_line, "error", "spank_mckernel.so is not the last "
			"plugin (%s%s%d follows): move its line to the end; with Slurm 22.05 it "
			"starts the rank itself, so plugins after it and TaskProlog are skipped",
			strcmp(w.after_file, w.mck_file) ? w.after_file : "line",
			strcmp(w.after_file, w.mck_file) ? ":" : " ", w.after_line);
out:
	free(w.mck_file);
	free(w.after_file);
}

static void check_settings(struct check *c, const struct mck_config *cfg)
{
	const struct setting *s = c->set;
	struct mck_budget b;
	int want;
	char path[PATH_MAX];
	long v;
	int line = 0;

	mck_budget(cfg, &b);
	want = b.script_s + 30;
	if (!s[K_PROLOGFLAGS].value)
		finding(c, c->file, 0, "error", "PrologFlags not set: set PrologFlags=Alloc (or "
			"Contain) so that mck-prologue boots McKernel at allocation, before any rank");
	else if (!list_has(s[K_PROLOGFLAGS].value, "Alloc") &&
		 !list_has(s[K_PROLOGFLAGS].value, "Contain"))
		finding(c, c->file, s[K_PROLOGFLAGS].line, "error", "PrologFlags=%s lacks Alloc: "
			"add Alloc (or Contain) so that mck-prologue boots McKernel at allocation, "
			"before any rank", s[K_PROLOGFLAGS].value);

	if (!s[K_PROLOG].value || !list_has_program(s[K_PROLOG].value, "mck-prologue"))
		finding(c, c->file, s[K_PROLOG].line, "error", "%s%s does not run mck-prologue: "
			"set Prolog=%s/mck-prologue", s[K_PROLOG].value ? "Prolog=" : "Prolog",
			s[K_PROLOG].value ? s[K_PROLOG].value : " not set,", MCK_SBINDIR);
	if (!s[K_EPILOG].value || !list_has_program(s[K_EPILOG].value, "mck-epilogue"))
		finding(c, c->file, s[K_EPILOG].line, "error", "%s%s does not run mck-epilogue: "
			"set Epilog=%s/mck-epilogue", s[K_EPILOG].value ? "Epilog=" : "Epilog",
			s[K_EPILOG].value ? s[K_EPILOG].value : " not set,", MCK_SBINDIR);

	v = 0;
	if (s[K_PET].value && strcasecmp(s[K_PET].value, "UNLIMITED") &&
	    mck_parse_long(s[K_PET].value, 0, LONG_MAX, &v))
		finding(c, c->file, s[K_PET].line, "error", "PrologEpilogTimeout=%s: expected "
			"seconds; set PrologEpilogTimeout=%d", s[K_PET].value, want);
	else if (v == 0 || v == 65534)
		finding(c, c->file, s[K_PET].line, "warning", "PrologEpilogTimeout %s: a boot or "
			"teardown that hangs holds the node for ever; set PrologEpilogTimeout=%d "
			"(mck-prologue's budget of %d s, from boot_timeout and shutdown_timeout, "
			"and a margin)", s[K_PET].value ? "unlimited" : "not set (unlimited)", want,
			b.script_s);
	else if (v < b.script_s)
		finding(c, c->file, s[K_PET].line, "error", "PrologEpilogTimeout=%ld is shorter "
			"than the %d s mck-prologue may need (a boot waiting for the lifecycle lock, "
			"recovering and booting, then draining the node with its reason; from "
			"boot_timeout = %d and shutdown_timeout = %d of %s): Slurm would kill it "
			"first; set PrologEpilogTimeout=%d", v, b.script_s, cfg->boot_timeout,
			cfg->shutdown_timeout, cfg->path && *cfg->path ? cfg->path : "mckernel.conf",
			want);

	v = 10;	/* Slurm's default */
	if (s[K_BATCHSTART].value)
		mck_parse_long(s[K_BATCHSTART].value, 0, LONG_MAX, &v);
	if (v < b.script_s)
		finding(c, c->file, s[K_BATCHSTART].line, "warning", "BatchStartTimeout %ld s is "
			"shorter than the %d s mck-prologue may need: a batch job whose boot is slow "
			"fails to start; set BatchStartTimeout=%d", v, b.script_s, b.script_s);

	if (!s[K_KILLONBADEXIT].value || strcmp(s[K_KILLONBADEXIT].value, "1"))
		finding(c, c->file, s[K_KILLONBADEXIT].line, "warning", "KillOnBadExit %s: when "
			"McKernel panics or hangs on one node only its ranks end, and the job's "
			"ranks on other nodes wait for them until the time limit; set "
			"KillOnBadExit=1 (or tell users to run srun -K)",
			s[K_KILLONBADEXIT].value ? s[K_KILLONBADEXIT].value : "not set (0)");

	if (!s[K_SLURMDPARAMS].value || !list_has(s[K_SLURMDPARAMS].value, "config_overrides"))
		finding(c, c->file, s[K_SLURMDPARAMS].line, "error", "SlurmdParameters lacks "
			"config_overrides: add it (SlurmdParameters=config_overrides); reserved CPUs "
			"are offline for Linux and a slurmd restarted during a job would drain the "
			"node for \"Low CPUs\"");

	if (!s[K_TASKPLUGIN].value || !list_has(s[K_TASKPLUGIN].value, "task/affinity"))
		finding(c, c->file, s[K_TASKPLUGIN].line, "warning", "TaskPlugin=%s: add "
			"task/affinity so that each mcexec proxy can be bound to the Linux CPUs "
			"serving its partition", s[K_TASKPLUGIN].value ? s[K_TASKPLUGIN].value :
			"(not set)");
	if (s[K_TASKPLUGIN].value && list_has(s[K_TASKPLUGIN].value, "task/cgroup")) {
		beside(c->file, "cgroup.conf", path, sizeof(path));
		if (constrain_cores(path, &line) == 1)
			finding(c, path, line, "error", "ConstrainCores=yes with TaskPlugin=%s: "
				"the cgroup cpuset of a job may hold only LWK CPUs, which Linux no "
				"longer has; set ConstrainCores=no (or drop task/cgroup) on McKernel "
				"nodes", s[K_TASKPLUGIN].value);
	}

	if (s[K_PLUGSTACK].value)
		snprintf(path, sizeof(path), "%s", s[K_PLUGSTACK].value);
	else
		beside(c->file, "plugstack.conf", path, sizeof(path));
	check_plugstack(c, path);
}

int mck_check_slurm(const struct mck_config *cfg, const char *slurm_conf, FILE *out,
		    struct mck_error *err)
{
	struct check c = { .file = slurm_conf, .out = out };
	int rc;

	rc = parse_slurm_file(&c, slurm_conf, 0);
	if (rc > 0) {
		mck_fail(err, -rc, "cannot read slurm.conf %s: %s: give it with "
			 "--slurm-conf FILE", slurm_conf, strerror(rc));
		rc = -1;
		goto out;
	}
	if (rc < 0) {
		mck_fail(err, -ENOMEM, "out of memory");
		rc = -1;
		goto out;
	}
	check_settings(&c, cfg);
	rc = c.errors ? 1 : 0;
out:
	free_check(&c);
	return rc;
}

long mck_slurm_prolog_epilog_timeout(const char *slurm_conf)
{
	struct check c = { .file = slurm_conf, .out = NULL };
	long value = 0;
	int rc;

	rc = parse_slurm_file(&c, slurm_conf, 0);
	if (rc > 0)
		value = -1;
	else if (rc == 0 && c.set[K_PET].value &&
		 mck_parse_long(c.set[K_PET].value, 0, LONG_MAX, &value))
		value = 0;		/* UNLIMITED, or not a number */
	if (value == 65534)
		value = 0;		/* Slurm's own "unlimited" */
	free_check(&c);
	return value;
}
