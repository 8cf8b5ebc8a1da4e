/* mck-config.c: see mck-config.h and doc/mckernel.conf.5. */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mck-config.h"
#include "mck-lists.h"
#include "mck-options.h"
#include "mck-util.h"

#define MAX_LINE 4096
#define MAX_FILE (1 << 20)
#define MAX_SECTIONS 256

/* The field of a key whose value is a string (cfg owns it). */
static char **str_field(struct mck_config *cfg, const struct mck_key *k)
{
	return (char **)((char *)cfg + k->cfg[0]);
}

static int is_string(const struct mck_key *k)
{
	return k->type == MCK_T_PATH || k->type == MCK_T_STRING || k->type == MCK_T_CPULIST ||
	       k->type == MCK_T_MOUNTS;
}

static const struct mck_key *find_key(const char *name)
{
	return mck_key_find(MCK_BY_OPERATOR, name, strlen(name));
}

/* The index of k among the rows (tables of struct build). */
static int key_index(const struct mck_key *k)
{
	size_t n;

	return (int)(k - mck_keys(&n));
}

static int set_string(char **field, const char *value)
{
	char *v = strdup(value);

	if (!v)
		return -ENOMEM;
	free(*field);
	*field = v;
	return 0;
}

const char *mck_config_default_path(int *explicit_env)
{
	static char buf[PATH_MAX];
	const char *env = getenv("SLURM_MCKERNEL_CONF");
	const char *slurm_conf = getenv("SLURM_CONF");

	if (explicit_env)
		*explicit_env = 0;
	if (env && *env) {
		if (explicit_env)
			*explicit_env = 1;
		return env;
	}
	if (slurm_conf && *slurm_conf) {
		const char *slash = strrchr(slurm_conf, '/');

		if (slash) {
			snprintf(buf, sizeof(buf), "%.*s/mckernel.conf",
				 (int)(slash - slurm_conf), slurm_conf);
			return buf;
		}
	}
	return MCK_CONFDIR "/mckernel.conf";
}

/* ------------------------------------------------------------ the file */

/* One "key = value" line, and which section it is in. */
struct entry {
	int section;			/* 0 global, i: sections[i - 1] */
	const struct mck_key *key;
	char *value;
	int line;
};

struct parsed {
	const char *file;
	struct entry *entries;
	int n_entries;
	char *sections[MAX_SECTIONS];
	int section_lines[MAX_SECTIONS];
	int n_sections;
};

static void parsed_free(struct parsed *p)
{
	for (int i = 0; i < p->n_entries; i++)
		free(p->entries[i].value);
	free(p->entries);
	for (int i = 0; i < p->n_sections; i++)
		free(p->sections[i]);
	memset(p, 0, sizeof(*p));
}

/* The names of the keys the operator may set, joined by ", ". */
static void list_keys(char *buf, size_t len)
{
	const struct mck_key *keys;
	size_t used = 0, n;

	buf[0] = '\0';
	keys = mck_keys(&n);
	for (size_t i = 0; i < n && used < len; i++)
		if (keys[i].who & MCK_BY_OPERATOR)
			used += snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
					 keys[i].name);
}

/* A "[partition NAME]" header in s (trimmed, starts with '['). */
static int parse_section(struct parsed *p, char *s, int line, struct mck_error *err)
{
	char *close = strchr(s, ']'), *name;
	char q[80];

	if (!close || close[1])
		return mck_fail(err, -EINVAL,
				"%s:%d: expected a section header '[partition NAME]'",
				p->file, line);
	*close = '\0';
	name = mck_trim(s + 1);
	if (strncmp(name, "partition", 9) || !isspace((unsigned char)name[9]))
		return mck_fail(err, -EINVAL,
				"%s:%d: unknown section '[%s]': expected '[partition NAME]'",
				p->file, line, mck_quote(name, q, sizeof(q)));
	name = mck_trim(name + 9);
	if (!*name || strpbrk(name, " \t"))
		return mck_fail(err, -EINVAL,
				"%s:%d: expected one partition name in '[partition NAME]'",
				p->file, line);
	for (int i = 0; i < p->n_sections; i++)
		if (!strcmp(p->sections[i], name))
			return mck_fail(err, -EINVAL,
					"%s:%d: partition '%s' has a second section (first at line %d); merge them",
					p->file, line, mck_quote(name, q, sizeof(q)), p->section_lines[i]);
	if (p->n_sections == MAX_SECTIONS)
		return mck_fail(err, -EINVAL, "%s:%d: more than %d partition sections",
				p->file, line, MAX_SECTIONS);
	p->sections[p->n_sections] = strdup(name);
	if (!p->sections[p->n_sections])
		return mck_fail(err, -ENOMEM, "out of memory");
	p->section_lines[p->n_sections++] = line;
	return 0;
}

static int parse_entry(struct parsed *p, char *s, int line, struct mck_error *err)
{
	char *eq = strchr(s, '='), *key, *value;
	const struct mck_key *k;
	struct entry *e;
	char q[80];

	if (!eq)
		return mck_fail(err, -EINVAL, "%s:%d: expected 'key = value', got '%s'",
				p->file, line, mck_quote(s, q, sizeof(q)));
	*eq = '\0';
	key = mck_trim(s);
	value = mck_trim(eq + 1);
	k = find_key(key);
	if (!k) {
		char list[1536];

		list_keys(list, sizeof(list));
		return mck_fail(err, -EINVAL, "%s:%d: unknown key '%s': expected one of %s",
				p->file, line, mck_quote(key, q, sizeof(q)), list);
	}
	e = realloc(p->entries, (p->n_entries + 1) * sizeof(*e));
	if (!e)
		return mck_fail(err, -ENOMEM, "out of memory");
	p->entries = e;
	e = &p->entries[p->n_entries];
	e->section = p->n_sections;
	e->key = k;
	e->line = line;
	e->value = strdup(value);
	if (!e->value)
		return mck_fail(err, -ENOMEM, "out of memory");
	p->n_entries++;
	return 0;
}

/* Split text into sections and entries; syntax only, values come later. */
static int parse_text(struct parsed *p, const char *text, size_t len,
		      struct mck_error *err)
{
	char raw[MAX_LINE];
	size_t pos = 0;
	int line = 0, rc;

	if (len > MAX_FILE)
		return mck_fail(err, -EFBIG, "%s: larger than %d bytes; is this mckernel.conf?",
				p->file, MAX_FILE);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = (nl ? (size_t)(nl - text) : len) - pos;
		char *s, *hash;

		line++;
		if (n >= sizeof(raw) - 1)
			return mck_fail(err, -EINVAL, "%s:%d: line longer than %zu characters",
					p->file, line, sizeof(raw) - 2);
		memcpy(raw, text + pos, n);
		raw[n] = '\0';
		pos += n + (nl ? 1 : 0);
		for (size_t i = 0; i < n; i++) {
			unsigned char c = raw[i];

			if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
				return mck_fail(err, -EINVAL,
						"%s:%d: control character 0x%02x at column %zu: expected text",
						p->file, line, c, i + 1);
		}
		hash = strchr(raw, '#');
		if (hash)
			*hash = '\0';
		s = mck_trim(raw);
		if (!*s)
			continue;
		rc = *s == '[' ? parse_section(p, s, line, err) : parse_entry(p, s, line, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------ values */

/* While building one partition's settings: where each key was set. */
struct build {
	const struct parsed *p;
	int line_of[MCK_SCHEMA_MAX_KEYS]; /* line each key was last set, 0 = default */
	int given[MCK_SCHEMA_MAX_KEYS];	/* line in the current section, 0 = not */
	int group_key[MCK_G_COUNT];	/* key index given in the current section per group */
};

/* Add or replace the entry NAME=VALUE parsed in v; "" (v->n 0) empties the list. */
static int set_env(struct mck_config *cfg, const char *value, const struct mck_value *v,
		   struct mck_error *why)
{
	size_t nlen = (size_t)v->n;
	char *word;
	int i;

	if (!nlen) {	/* "env =": empty the list inherited so far */
		for (i = 0; i < cfg->n_env; i++) {
			free(cfg->env[i]);
			cfg->env[i] = NULL;
		}
		cfg->n_env = 0;
		return 0;
	}
	if (asprintf(&word, "%.*s=%s", (int)nlen, value, value + v->size) < 0)
		return mck_fail(why, -ENOMEM, "out of memory");
	for (i = 0; i < cfg->n_env; i++)
		if (!strncmp(cfg->env[i], word, nlen + 1))
			break;
	if (i == MCK_CONFIG_MAX_ENV) {
		free(word);
		return mck_fail(why, -ENOSPC, "env: more than %d entries", MCK_CONFIG_MAX_ENV);
	}
	free(cfg->env[i]);
	cfg->env[i] = word;
	if (i == cfg->n_env)
		cfg->n_env++;
	return 0;
}

/* Parse and store one value of k; selecting one of a group of alternatives. */
static int set_value(struct mck_config *cfg, const struct mck_key *k, const char *value,
		     struct mck_error *why)
{
	struct mck_value v;
	int rc = mck_key_parse(k, value, &v, why);

	if (rc)
		return rc;
	if (is_string(k)) {
		if (set_string(str_field(cfg, k), value))
			return mck_fail(why, -ENOMEM, "out of memory");
	} else if (k->type == MCK_T_ENV) {
		rc = set_env(cfg, value, &v, why);
		if (rc)
			return rc;
	} else {
		mck_key_store(k, &v, cfg, k->cfg);
	}
	if (k->group == MCK_G_KEEP) {
		cfg->keep = k->mode;
		if (k->mode != MCK_KEEP_CPULIST && set_string(&cfg->linux_cpus, ""))
			return mck_fail(why, -ENOMEM, "out of memory");
	} else if (k->group == MCK_G_MEM) {
		cfg->mem_mode = k->mode;
	}
	return 0;
}

int mck_config_set(struct mck_config *cfg, const struct mck_key *k, const char *value,
		   struct mck_error *why)
{
	if (!(k->who & (MCK_BY_OPERATOR | MCK_BY_MAPS)))
		return mck_fail(why, -EINVAL, "%s is not a key of mckernel.conf", k->name);
	return set_value(cfg, k, value, why);
}

/* The built-in settings: every key's default, parsed like a line of the file. */
static int set_defaults(struct mck_config *cfg, struct mck_error *err)
{
	const struct mck_key *keys;
	size_t n;

	memset(cfg, 0, sizeof(*cfg));
	keys = mck_keys(&n);
	cfg->path = strdup("");
	cfg->env = calloc(MCK_CONFIG_MAX_ENV + 1, sizeof(char *));
	if (!cfg->path || !cfg->env)
		return mck_fail(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if ((keys[i].who & MCK_BY_OPERATOR) && is_string(&keys[i]) &&
		    set_string(str_field(cfg, &keys[i]), ""))
			return mck_fail(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct mck_error why = { 0 };
		int rc;

		if (!(keys[i].who & MCK_BY_OPERATOR) || !keys[i].def)
			continue;
		rc = set_value(cfg, &keys[i], keys[i].def, &why);
		if (rc)
			return mck_fail(err, rc, "built-in default %s = %s: %s", keys[i].name,
					keys[i].def, why.msg[0] ? why.msg : keys[i].expected);
	}
	return 0;
}

/* One line's value into cfg; a refusal as FILE:LINE: with the key's message. */
static int apply_value(struct mck_config *cfg, const struct parsed *p,
		       const struct entry *e, struct mck_error *err)
{
	struct mck_error why = { 0 }, msg = { 0 };
	int rc = set_value(cfg, e->key, e->value, &why);

	if (rc == -EINVAL || rc == -ERANGE)
		mck_key_fail(&msg, e->key, MCK_BY_OPERATOR, e->value, rc, &why);
	else if (rc)
		msg = why;
	if (rc)
		return mck_fail(err, rc == -ENOMEM ? -ENOMEM : -EINVAL, "%s:%d: %s",
				p->file, e->line, msg.msg);
	return 0;
}

/* Apply the entries of one section, with the once-per-section rules. */
static int apply_section(struct mck_config *cfg, struct build *b, int section,
			 struct mck_error *err)
{
	const struct parsed *p = b->p;
	int rc;

	memset(b->given, 0, sizeof(b->given));
	for (int g = 0; g < MCK_G_COUNT; g++)
		b->group_key[g] = -1;
	for (int i = 0; i < p->n_entries; i++) {
		const struct entry *e = &p->entries[i];
		int ki = key_index(e->key);

		if (e->section != section)
			continue;
		if (b->given[ki] && e->key->type != MCK_T_ENV)
			return mck_fail(err, -EINVAL,
					"%s:%d: %s is given a second time in this section (first at line %d): keep one",
					p->file, e->line, e->key->name, b->given[ki]);
		if (e->key->group != MCK_G_NONE) {
			int other = b->group_key[e->key->group];
			char names[256];
			size_t n;

			if (other >= 0 && other != ki)
				return mck_fail(err, -EINVAL,
						"%s:%d: %s and %s (line %d) in the same section: give only one of %s",
						p->file, e->line, e->key->name, mck_keys(&n)[other].name,
						b->given[other],
						mck_group_names(e->key->group, MCK_BY_OPERATOR,
								names, sizeof(names)));
			b->group_key[e->key->group] = ki;
		}
		rc = apply_value(cfg, p, e, err);
		if (rc)
			return rc;
		b->given[ki] = e->line;
		b->line_of[ki] = e->line;
	}
	return 0;
}

/* "FILE:LINE" where a key was set, or "FILE" / "built-in defaults". */
static const char *where(const struct build *b, const char *key, char *buf, size_t len)
{
	int line = b ? b->line_of[key_index(find_key(key))] : 0;

	if (!b || !*b->p->file)
		snprintf(buf, len, "built-in defaults");
	else if (line)
		snprintf(buf, len, "%s:%d", b->p->file, line);
	else
		snprintf(buf, len, "%s", b->p->file);
	return buf;
}

/* A default (key = val) beyond what users may ask for (bound_key = bound). */
static int default_beyond(const struct build *b, const char *key, const char *val,
			  const char *beyond, const char *bound_key, const char *bound,
			  const char *part, struct mck_error *err)
{
	char w1[PATH_MAX + 16], w2[PATH_MAX + 16];

	return mck_fail(err, -EINVAL,
			"%s: %s = %s is %s %s = %s (%s): the default must be one users may ask for%s",
			where(b, key, w1, sizeof(w1)), key, val, beyond, bound_key, bound,
			where(b, bound_key, w2, sizeof(w2)), part);
}

int mck_config_kargs_check(const char *kargs, char *why, size_t len)
{
	const char *p = kargs;
	int found = 0;

	/* IHK refuses kernel arguments without the token "hidos". */
	while (p && *p) {
		size_t n;

		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, " \t");
		if (n == 5 && !strncmp(p, "hidos", 5))
			found = 1;
		p += n;
	}
	if (!found) {
		snprintf(why, len, "kargs = '%.256s': McKernel's kernel arguments must contain "
			 "the word 'hidos'", kargs ? kargs : "");
		return -EINVAL;
	}
	if (strlen(kargs) > 1023) {
		snprintf(why, len, "kargs is %zu bytes long; IHK keeps at most 1023", strlen(kargs));
		return -EINVAL;
	}
	return 0;
}

/* Rules between keys, on the settings of one partition. */
static int check_config(const struct mck_config *cfg, const struct build *b,
			struct mck_error *err)
{
	char w1[PATH_MAX + 16], w2[PATH_MAX + 16], part[300] = "", why[300];

	if (cfg->partition)
		snprintf(part, sizeof(part), " (partition %s)", cfg->partition);
	if (mck_config_kargs_check(cfg->kargs, why, sizeof(why)))
		return mck_fail(err, -EINVAL, "%s: %s%s", where(b, "kargs", w1, sizeof(w1)), why, part);
	if (cfg->max_linux_cores && cfg->min_linux_cores > cfg->max_linux_cores)
		return mck_fail(err, -EINVAL,
				"%s: min_linux_cores = %d is above max_linux_cores = %d (%s)%s",
				where(b, "min_linux_cores", w1, sizeof(w1)), cfg->min_linux_cores,
				cfg->max_linux_cores, where(b, "max_linux_cores", w2, sizeof(w2)), part);
	if (cfg->keep != MCK_KEEP_CPULIST) {
		const char *key = cfg->keep == MCK_KEEP_PER_NUMA ? "linux_cores"
								      : "linux_cores_per_package";
		char a[32], c[32];

		snprintf(a, sizeof(a), "%d", cfg->linux_cores);
		if (cfg->linux_cores < cfg->min_linux_cores) {
			snprintf(c, sizeof(c), "%d", cfg->min_linux_cores);
			return default_beyond(b, key, a, "below", "min_linux_cores", c, part, err);
		}
		if (cfg->max_linux_cores && cfg->linux_cores > cfg->max_linux_cores) {
			snprintf(c, sizeof(c), "%d", cfg->max_linux_cores);
			return default_beyond(b, key, a, "above", "max_linux_cores", c, part, err);
		}
	}
	if (cfg->mem_mode == MCK_MEM_FRACTION && cfg->mem_fraction > cfg->max_mem_fraction) {
		char a[32], c[32];

		mck_fraction_format(cfg->mem_fraction, a, sizeof(a));
		mck_fraction_format(cfg->max_mem_fraction, c, sizeof(c));
		return default_beyond(b, "mem_fraction", a, "above", "max_mem_fraction", c, part, err);
	}
	if (cfg->mem_mode == MCK_MEM_SIZE && cfg->max_mem_size &&
	    cfg->mem_size > cfg->max_mem_size) {
		char a[32], c[32];

		mck_size_format(cfg->mem_size, a, sizeof(a));
		mck_size_format(cfg->max_mem_size, c, sizeof(c));
		return default_beyond(b, "mem_size", a, "above", "max_mem_size", c, part, err);
	}
	if (cfg->stack_premap_max && cfg->stack_premap_max < cfg->stack_premap) {
		char a[32], c[32];

		mck_size_format(cfg->stack_premap, a, sizeof(a));
		mck_size_format(cfg->stack_premap_max, c, sizeof(c));
		return mck_fail(err, -EINVAL,
				"%s: stack_premap = %s:%s: the maximum is below the premapped size%s",
				where(b, "stack_premap", w1, sizeof(w1)), a, c, part);
	}
	if (cfg->uti && !cfg->mcexec_uti)
		return mck_fail(err, -EINVAL,
				"%s: uti = yes but mcexec_uti = no (%s)%s: mcexec %s would refuse "
				"--enable-uti and fail every rank; set uti = no, or mcexec_uti = yes "
				"if that mcexec is built with UTI (mckctl prereq checks the binary)",
				where(b, "uti", w1, sizeof(w1)), where(b, "mcexec_uti", w2, sizeof(w2)),
				part, cfg->mcexec);
	return 0;
}

/* The settings of section (0: global only) into cfg, checked. */
static int build_section(const struct parsed *p, int section, const char *name,
			 const char *partition, struct mck_config *cfg,
			 struct mck_error *err)
{
	struct build b;
	int rc = -1;

	memset(&b, 0, sizeof(b));
	b.p = p;
	rc = set_defaults(cfg, err);
	if (rc)
		goto fail;
	if (set_string(&cfg->path, name) ||
	    (partition && *partition && !(cfg->partition = strdup(partition)))) {
		rc = mck_fail(err, -ENOMEM, "out of memory");
		goto fail;
	}
	rc = apply_section(cfg, &b, 0, err);
	if (rc)
		goto fail;
	if (section) {
		rc = apply_section(cfg, &b, section, err);
		if (rc)
			goto fail;
	}
	rc = check_config(cfg, &b, err);
	if (rc)
		goto fail;
	rc = 0;
fail:
	if (rc)
		mck_config_free(cfg);
	return rc;
}

int mck_config_load_buffer(const char *text, size_t len, const char *name,
			   const char *partition, struct mck_config *cfg,
			   struct mck_error *err)
{
	struct parsed p;
	struct mck_config scratch;
	int rc = -1, wanted = 0;

	memset(&p, 0, sizeof(p));
	memset(cfg, 0, sizeof(*cfg));
	p.file = name ? name : "";
	rc = parse_text(&p, text, len, err);
	if (rc)
		goto fail;
	/* Fail closed: the global settings and every partition must be valid. */
	for (int s = 0; s <= p.n_sections; s++) {
		const char *part = s ? p.sections[s - 1] : NULL;

		if (part && partition && !strcmp(part, partition))
			wanted = s;
		rc = build_section(&p, s, p.file, part, &scratch, err);
		if (rc)
			goto fail;
		mck_config_free(&scratch);
	}
	rc = build_section(&p, wanted, p.file, partition, cfg, err);
	if (rc)
		goto fail;
	cfg->n_sections = p.n_sections;
	rc = 0;
fail:
	parsed_free(&p);
	return rc;
}

int mck_config_load(const char *path, const char *partition,
		    struct mck_config *cfg, struct mck_error *err)
{
	int explicit_path = path != NULL;
	char *text = NULL;
	size_t len = 0, cap = 0;
	FILE *f;
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	if (!path)
		path = mck_config_default_path(&explicit_path);
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT && !explicit_path)
			return mck_config_load_buffer("", 0, "", partition, cfg, err);
		return mck_fail(err, -errno, "cannot read configuration %s: %s",
				path, strerror(errno));
	}
	for (;;) {
		size_t got;

		if (len == cap) {
			char *n;

			if (cap > MAX_FILE) {
				rc = mck_fail(err, -EFBIG, "%s: larger than %d bytes; is this mckernel.conf?",
					      path, MAX_FILE);
				goto fail;
			}
			cap = cap ? cap * 2 : 8192;
			n = realloc(text, cap);
			if (!n) {
				rc = mck_fail(err, -ENOMEM, "out of memory");
				goto fail;
			}
			text = n;
		}
		got = fread(text + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		rc = mck_fail(err, -EIO, "%s: read error", path);
		goto fail;
	}
	/*
	 * Fail closed on an empty file: it is what a reader sees while the
	 * file is being rewritten in place, and booting with built-in
	 * defaults then would ignore the operator's settings. (No file at
	 * the default location still means built-in defaults.)
	 */
	if (len == 0) {
		rc = mck_fail(err, -EINVAL,
			      "%s is empty: it may be being rewritten (replace it atomically, "
			      "e.g. write a copy and rename it) or remove it to use built-in defaults",
			      path);
		goto fail;
	}
	rc = mck_config_load_buffer(text ? text : "", len, path, partition, cfg, err);
fail:
	fclose(f);
	free(text);
	return rc;
}

void mck_config_free(struct mck_config *cfg)
{
	const struct mck_key *keys;
	size_t n;

	if (!cfg)
		return;
	keys = mck_keys(&n);
	for (size_t i = 0; i < n; i++)
		if ((keys[i].who & MCK_BY_OPERATOR) && is_string(&keys[i])) {
			char **f = str_field(cfg, &keys[i]);

			free(*f);
			*f = NULL;
		}
	if (cfg->env)
		for (int i = 0; i < cfg->n_env; i++)
			free(cfg->env[i]);
	free(cfg->env);
	cfg->env = NULL;
	cfg->n_env = 0;
	free(cfg->path);
	free(cfg->partition);
	cfg->path = cfg->partition = NULL;
}

int mck_config_next_mount(const char *list, size_t *pos, char **path, int *readonly)
{
	const char *s = list + *pos, *end, *colon;
	size_t len;

	*path = NULL;
	*readonly = 0;
	s += strspn(s, " \t,");
	if (!*s) {
		*pos = s - list;
		return 0;
	}
	len = strcspn(s, ",");
	end = s + len;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	colon = memchr(s, ':', end - s);
	if (colon) {
		if (end - colon == 3 && !strncmp(colon, ":ro", 3))
			*readonly = 1;
		else if (end - colon != 3 || strncmp(colon, ":rw", 3))
			return -EINVAL;
	}
	len = (colon ? colon : end) - s;
	if (s[0] != '/' || len >= PATH_MAX || memchr(s, ' ', len) || memchr(s, '\t', len))
		return -EINVAL;
	*path = strndup(s, len);
	if (!*path)
		return -ENOMEM;
	*pos = (s - list) + strcspn(s, ",");
	return 1;
}

const char *mck_config_getenv(const struct mck_config *cfg, const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < cfg->n_env; i++)
		if (!strncmp(cfg->env[i], name, n) && cfg->env[i][n] == '=')
			return cfg->env[i] + n + 1;
	return NULL;
}

/* Is k the key in force of its group? */
static int in_force(const struct mck_config *cfg, const struct mck_key *k)
{
	if (k->group == MCK_G_KEEP)
		return (int)cfg->keep == k->mode;
	if (k->group == MCK_G_MEM)
		return (int)cfg->mem_mode == k->mode;
	return 1;
}

void mck_config_print(const struct mck_config *cfg, FILE *out)
{
	const struct mck_key *keys;
	size_t n;

	fprintf(out, "# configuration: %s%s%s\n",
		*cfg->path ? cfg->path : "built-in defaults",
		cfg->partition ? ", partition " : "",
		cfg->partition ? cfg->partition : "");
	keys = mck_keys(&n);
	for (size_t i = 0; i < n; i++) {
		const struct mck_key *k = &keys[i];
		struct mck_value v;
		char buf[256];

		if (!(k->who & MCK_BY_OPERATOR) || !in_force(cfg, k))
			continue;
		if (k->type == MCK_T_ENV) {
			/* Reloads to the same list: empty it unless the first entry replaces the built-in one. */
			if (!cfg->n_env || strncmp(cfg->env[0], "PMIX_MCA_gds=", 13))
				fprintf(out, "env =\n");
			for (int e = 0; e < cfg->n_env; e++)
				fprintf(out, "env = %s\n", cfg->env[e]);
			continue;
		}
		mck_key_load(k, cfg, k->cfg, &v);
		if (is_string(k)) {
			fprintf(out, "%s = %s\n", k->name, v.text);
			continue;
		}
		mck_key_format(k, &v, buf, sizeof(buf));
		fprintf(out, "%s = %s\n", k->name, buf);
	}
}
