/*
 * mck-slurmcheck.c: the slurm.conf settings McKernel nodes need
 * (doc/slurm-settings.md); see mck-prereq.h.
 *
 * slurm.conf is read simply: '#' starts a comment, a line is KEY=VALUE
 * words, keys are case-insensitive, the last global setting of a key wins,
 * lines of nodes, partitions and the like are skipped, Include lines are
 * not followed (a note says so).
 */
#include "config.h"
#include <errno.h>
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
	K_PLUGSTACK, K_BATCHSTART, K_KILLONBADEXIT, K_NKEYS
};

static const char *const key_names[K_NKEYS] = {
	"PrologFlags", "Prolog", "Epilog", "PrologEpilogTimeout", "SlurmdParameters",
	"TaskPlugin", "PlugStackConfig", "BatchStartTimeout", "KillOnBadExit",
};

/* Lines whose words describe an entity, not global settings. */
static const char *const entity_keys[] = {
	"NodeName", "PartitionName", "NodeSet", "FrontendName", "DownNodes", "SwitchName",
};

struct setting {
	char *value;	/* NULL: not set */
	int line;
};

struct check {
	const char *file;	/* slurm.conf as named */
	FILE *out;
	int errors;
	struct setting set[K_NKEYS];
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

static int parse_slurm_conf(struct check *c, char *text)
{
	char *line = text, *next;
	int lineno = 0;
	size_t i;

	for (; line; line = next) {
		char *p, *w;
		int k;

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
			if (!strcasecmp(w, "Include"))
				finding(c, c->file, lineno, "note", "Include %s not read: check the "
					"settings it holds by hand", *p ? p : "");
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
				if (!c->set[k].value)
					return -ENOMEM;
				c->set[k].line = lineno;
			}
		}
	}
	return 0;
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

static void check_plugstack(struct check *c, const char *path)
{
	char *text = NULL, *l, *next;
	size_t len;
	struct mck_error err = { 0 };
	int lineno = 0, mck_line = 0, mck_required = 0, after = 0;

	if (mck_read_file(path, &text, &len, &err)) {
		finding(c, path, 0, "error", "%s: create it with the line 'required "
			"%s/spank_mckernel.so' (PlugStackConfig names it)", err.msg, MCK_PKGLIBDIR);
		return;
	}
	for (l = text; l; l = next) {
		char *p, *kind, *plugin;

		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		strip_comment(l);
		p = l;
		kind = next_word(&p);
		if (!kind)
			continue;
		if (!strcasecmp(kind, "include")) {
			finding(c, path, lineno, "note", "include %s not read: plugins it lists "
				"must come before spank_mckernel.so", *p ? p : "");
			if (mck_line)
				after = lineno;
			continue;
		}
		plugin = next_word(&p);
		if (plugin && list_has_program(plugin, "spank_mckernel.so")) {
			mck_line = lineno;
			mck_required = !strcmp(kind, "required");
			after = 0;
		} else if (mck_line) {
			after = lineno;
		}
	}
	free(text);
	if (!mck_line) {
		finding(c, path, 0, "error", "no spank_mckernel.so line: add 'required "
			"%s/spank_mckernel.so' as the last line", MCK_PKGLIBDIR);
		return;
	}
	if (!mck_required)
		finding(c, path, mck_line, "error", "spank_mckernel.so is not 'required': make "
			"the line start with 'required' so that a failure of the plugin fails the step");
	if (after)
		finding(c, path, mck_line, "error", "spank_mckernel.so is not the last plugin "
			"(line %d follows): move its line to the end; with Slurm 22.05 it starts "
			"the rank itself, so plugins after it and TaskProlog are skipped", after);
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
	char *text = NULL;
	size_t len;
	int rc = -1, k;

	if (mck_read_file(slurm_conf, &text, &len, err)) {
		mck_fail(err, err->code, "cannot read slurm.conf %s: %s: give it with "
			 "--slurm-conf FILE", slurm_conf, strerror(-err->code));
		goto fail;
	}
	if (parse_slurm_conf(&c, text)) {
		mck_fail(err, -ENOMEM, "out of memory");
		goto fail;
	}
	check_settings(&c, cfg);
	rc = c.errors ? 1 : 0;
fail:
	for (k = 0; k < K_NKEYS; k++)
		free(c.set[k].value);
	free(text);
	return rc;
}

long mck_slurm_prolog_epilog_timeout(const char *slurm_conf)
{
	struct check c = { .file = slurm_conf, .out = NULL };
	struct mck_error err;
	char *text = NULL;
	long value = 0;
	int k;

	if (mck_read_file(slurm_conf, &text, NULL, &err))
		return -1;
	if (parse_slurm_conf(&c, text) == 0 && c.set[K_PET].value &&
	    mck_parse_long(c.set[K_PET].value, 0, LONG_MAX, &value))
		value = 0;		/* UNLIMITED, or not a number */
	if (value == 65534)
		value = 0;		/* Slurm's own "unlimited" */
	for (k = 0; k < K_NKEYS; k++)
		free(c.set[k].value);
	free(text);
	return value;
}
