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

enum key_type {
	K_PATH,		/* absolute path */
	K_STRING,	/* any text */
	K_FRACTION,	/* decimal in (0, MCK_MEM_FRACTION_MAX] */
	K_SECONDS,	/* whole seconds 1..3600 */
	K_COUNT,	/* integer min..max */
	K_SIZE,		/* size, 0 allowed */
	K_SIZE4M,	/* size > 0, multiple of 4 MiB */
	K_PREMAP,	/* SIZE[,MAX] */
	K_BOOL,		/* yes|no */
	K_CHOICE,	/* choice[0] -> 0, choice[1] -> 1, choice[2] -> 2 */
	K_MEMONLY,	/* include | exclude | memory kinds (mck-lists.h) */
	K_CPULIST,	/* CPU list */
	K_ENV,		/* NAME=VALUE, repeatable */
	K_USERKEYS,	/* option key names */
	K_MOUNTS,	/* PATH[:ro|:rw], ... (mck_config_next_mount) */
};

/* Groups of alternative keys: at most one per section. */
enum key_group { G_NONE = 0, G_KEEP, G_MEM, G_COUNT };

struct key_def {
	const char *name;
	enum key_type type;
	size_t offset;
	const char *help;		/* what is expected */
	enum key_group group;
	int mode;			/* value of cfg->keep / cfg->mem_mode it selects */
	long min, max;			/* K_COUNT */
	const char *choice[3];		/* K_CHOICE */
	int empty_ok;			/* K_PATH: "" allowed (unset) */
};

#define OFF(f) offsetof(struct mck_config, f)
#define FRACTION_HELP "a number in (0, " MCK_MEM_FRACTION_MAX_TEXT "] with at most 6 decimals"
#define KEY(n, t, f, h, ...) { .name = n, .type = t, .offset = OFF(f), .help = h, __VA_ARGS__ }

static const struct key_def keys[] = {
	KEY("libihk", K_PATH, libihk, "an absolute path of libihk.so"),
	KEY("mcexec", K_PATH, mcexec, "an absolute path of mcexec"),
	KEY("mcexec_uti", K_BOOL, mcexec_uti, "yes (mcexec is built with UTI) or no"),
	KEY("mckctl", K_PATH, mckctl, "an absolute path of mckctl"),
	KEY("image", K_PATH, image, "an absolute path of mckernel.img"),
	KEY("kargs", K_STRING, kargs, "kernel arguments containing hidos"),
	KEY("state_dir", K_PATH, state_dir, "an absolute directory for job records"),
	KEY("device_dir", K_PATH, device_dir, "an absolute directory of the mcosN devices"),
	KEY("topology", K_STRING, topology, "hwloc XML file, or empty for the live machine"),
	KEY("mem_fraction", K_FRACTION, mem_fraction, FRACTION_HELP,
	    .group = G_MEM, .mode = MCK_CFG_MEM_FRACTION),
	KEY("boot_timeout", K_SECONDS, boot_timeout, "whole seconds, 1 to 3600"),
	KEY("shutdown_timeout", K_SECONDS, shutdown_timeout, "whole seconds, 1 to 3600"),
	KEY("sysfs_dir", K_PATH, sysfs_dir, "an absolute directory where sysfs is mounted"),
	KEY("metrics_file", K_PATH, metrics_file,
	  "an absolute path of a .prom file, or nothing", .empty_ok = 1),
	KEY("ihk_destroy_unbooted", K_CHOICE, ihk_destroy_unbooted_safe, "crash or safe",
	  .choice = { "crash", "safe" }),
	KEY("ihk_double_state", K_PATH, ihk_double_state,
	  "an absolute state directory of the IHK double, or nothing", .empty_ok = 1),
	KEY("ihk_double_topology", K_STRING, ihk_double_topology, "hwloc XML for the IHK double"),

	/* planner policy */
	KEY("linux_cores", K_COUNT, linux_cores,
	  "cores kept for Linux per NUMA node, 1 to 1024", .group = G_KEEP, .mode = MCK_CFG_KEEP_PER_NUMA, .min = 1, .max = MCK_OPT_MAX_COUNT),
	KEY("linux_cores_per_package", K_COUNT, linux_cores,
	  "cores kept for Linux per package, 1 to 1024", .group = G_KEEP, .mode = MCK_CFG_KEEP_PER_PACKAGE, .min = 1, .max = MCK_OPT_MAX_COUNT),
	KEY("linux_cpus", K_CPULIST, linux_cpus,
	  "the CPUs kept for Linux as a CPU list such as 0,24-25", .group = G_KEEP, .mode = MCK_CFG_KEEP_CPULIST),
	KEY("smt", K_CHOICE, smt_one, "all or one", .choice = { "all", "one" }),
	KEY("mem_size", K_SIZE4M, mem_size,
	  "a size per NUMA node, a multiple of 4M such as 8G", .group = G_MEM, .mode = MCK_CFG_MEM_SIZE),
	KEY("mem_keep", K_SIZE4M, mem_keep,
	  "the size per NUMA node left to Linux, a multiple of 4M such as 2G", .group = G_MEM, .mode = MCK_CFG_MEM_KEEP),
	KEY("memory_only_nodes", K_MEMONLY, memory_only_nodes,
	  "include, exclude, or kinds of memory-only nodes from " MCK_MEMKINDS_NAMES " such as hbm,cxl"),
	KEY("ikc", K_CHOICE, ikc_spread, "per-numa or spread", .choice = { "per-numa", "spread" }),
	KEY("lwk_cpu_kind", K_CHOICE, lwk_cpu_kind_performance, "auto, all or performance",
	  .choice = { "all", "performance", "auto" }),
	KEY("assistant_cores", K_CHOICE, assistant_cores_lwk, "linux or mckernel",
	  .choice = { "linux", "mckernel" }),

	/* mcexec defaults */
	KEY("mpol_threshold", K_SIZE, mpol_threshold, "a size such as 1M, or 0 for mcexec's default"),
	KEY("extend_heap_by", K_SIZE, extend_heap_by, "a size such as 8M, or 0 for mcexec's default"),
	KEY("stack_premap", K_PREMAP, stack_premap,
	  "SIZE or SIZE:MAX (SIZE,MAX) such as 2M:1G, or 0 for mcexec's default"),
	KEY("uti", K_BOOL, uti, "yes or no"),
	KEY("disable_sched_yield", K_BOOL, disable_sched_yield, "yes or no"),
	KEY("mpol_no_heap", K_BOOL, mpol_no_heap, "yes or no"),
	KEY("mpol_no_stack", K_BOOL, mpol_no_stack, "yes or no"),
	KEY("mpol_no_bss", K_BOOL, mpol_no_bss, "yes or no"),
	KEY("mpol_shm_premap", K_BOOL, mpol_shm_premap, "yes or no"),

	/* steps */
	KEY("env", K_ENV, env, "NAME=VALUE with NAME of letters, digits and _, or nothing to empty the list"),
	KEY("instance_policy", K_CHOICE, instance_policy, "per-job or per-step",
	  .choice = { "per-job", "per-step" }),
	KEY("require_exclusive", K_BOOL, require_exclusive, "yes or no"),
	KEY("boot_report", K_BOOL, boot_report, "yes or no"),
	KEY("reservation", K_CHOICE, reservation, "per-job or keep",
	  .choice = { "per-job", "keep" }),
	KEY("keep_idle", K_COUNT, keep_idle, "seconds from 0 to 604800",
	  .min = 0, .max = 604800),
	KEY("container_mounts", K_MOUNTS, container_mounts,
	  "absolute paths, each with :ro or :rw (default), separated by commas, or nothing"),

	/* what users may change */
	KEY("user_keys", K_USERKEYS, user_keys, "a list of option keys, all, or none"),
	KEY("max_mem_fraction", K_FRACTION, max_mem_fraction, FRACTION_HELP),
	KEY("max_mem_size", K_SIZE, max_mem_size, "a size such as 16G, or 0 for no limit"),
	KEY("min_linux_cores", K_COUNT, min_linux_cores, "a core count from 1 to 1024",
	  .min = 1, .max = MCK_OPT_MAX_COUNT),
	KEY("max_linux_cores", K_COUNT, max_linux_cores, "a core count from 1 to 1024, or 0 for no limit",
	  .min = 0, .max = MCK_OPT_MAX_COUNT),
	KEY("max_procs_per_node", K_COUNT, max_procs_per_node,
	  "a process count from 1 to 1024, or 0 for no limit", .min = 0, .max = MCK_OPT_MAX_COUNT),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))
#define MAX_LINE 4096
#define MAX_FILE (1 << 20)
#define MAX_SECTIONS 256
#define MAX_ENV_NAME 128

static const char builtin_env[] = "PMIX_MCA_gds=hash";

static char **str_field(struct mck_config *cfg, const struct key_def *k)
{
	return (char **)((char *)cfg + k->offset);
}

static int *int_field(struct mck_config *cfg, const struct key_def *k)
{
	return (int *)((char *)cfg + k->offset);
}

static uint64_t *u64_field(struct mck_config *cfg, const struct key_def *k)
{
	return (uint64_t *)((char *)cfg + k->offset);
}

static const struct key_def *find_key(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
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

static int set_defaults(struct mck_config *cfg)
{
	static const struct { const char *key, *value; } defs[] = {
		{ "libihk", MCK_DEFAULT_LIBIHK },
		{ "mcexec", "/usr/bin/mcexec" },
		{ "mckctl", MCK_SBINDIR "/mckctl" },
		{ "image", "/usr/share/mckernel/mckernel.img" },
		{ "kargs", "hidos ksyslogd=0" },
		{ "state_dir", MCK_STATEDIR },
		{ "device_dir", "/dev" },
		{ "sysfs_dir", "/sys" },
		{ "metrics_file", MCK_METRICS_FILE },
		{ "topology", "" },
		{ "ihk_double_state", "" },
		{ "ihk_double_topology", "" },
		{ "linux_cpus", "" },
		{ "container_mounts", "" },
	};

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		if (set_string(str_field(cfg, find_key(defs[i].key)), defs[i].value))
			return -ENOMEM;
	cfg->path = strdup("");
	cfg->mem_fraction = 0.5;
	cfg->boot_timeout = 60;
	cfg->shutdown_timeout = 30;
	cfg->keep = MCK_CFG_KEEP_PER_NUMA;
	cfg->linux_cores = 1;
	cfg->mem_mode = MCK_CFG_MEM_FRACTION;
	cfg->memory_only_nodes = MCK_MEMONLY_KINDS;
	cfg->memory_only_kinds = MCK_MEMKINDS_DEFAULT;
	cfg->ikc_spread = 1;
	cfg->lwk_cpu_kind_performance = 2;
	cfg->env = calloc(MCK_CONFIG_MAX_ENV + 1, sizeof(char *));
	if (!cfg->path || !cfg->env)
		return -ENOMEM;
	cfg->env[0] = strdup(builtin_env);
	if (!cfg->env[0])
		return -ENOMEM;
	cfg->n_env = 1;
	cfg->user_keys = MCK_OPT_ALL;
	cfg->max_mem_fraction = 0.9;
	cfg->min_linux_cores = 1;
	cfg->instance_policy = MCK_INSTANCE_PER_STEP;
	cfg->reservation = MCK_RESERVATION_PER_JOB;
	cfg->keep_idle = 300;
	cfg->boot_report = 1;
	cfg->require_exclusive = 1;
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
	const struct key_def *key;
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

static void list_keys(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NKEYS && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? ", " : "", keys[i].name);
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
	const struct key_def *k;
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
	int line_of[NKEYS];		/* line each key was last set, 0 = default */
	int given[NKEYS];		/* line in the current section, 0 = not */
	int group_key[G_COUNT];		/* key index given in the current section per group */
};

static int fail_value(struct mck_error *err, const struct parsed *p,
		      const struct entry *e, const char *expected)
{
	char q[80];

	return mck_fail(err, -EINVAL, "%s:%d: %s = '%s': expected %s", p->file, e->line,
			e->key->name, mck_quote(e->value, q, sizeof(q)), expected);
}

static int valid_env_name(const char *s, size_t n)
{
	if (n == 0 || n > MAX_ENV_NAME || isdigit((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}

static int apply_env(struct mck_config *cfg, const struct parsed *p,
		     const struct entry *e, struct mck_error *err)
{
	const char *v = e->value, *eq = strchr(v, '=');
	size_t nlen;
	char *name, *val, *word;
	int i;

	if (!*v) {	/* "env =": empty the list inherited so far */
		for (i = 0; i < cfg->n_env; i++) {
			free(cfg->env[i]);
			cfg->env[i] = NULL;
		}
		cfg->n_env = 0;
		return 0;
	}
	if (!eq)
		return fail_value(err, p, e, e->key->help);
	name = strndup(v, eq - v);
	if (!name)
		return mck_fail(err, -ENOMEM, "out of memory");
	val = mck_trim(name);	/* reuse: trims the name in place */
	nlen = strlen(val);
	if (!valid_env_name(val, nlen)) {
		free(name);
		return fail_value(err, p, e, e->key->help);
	}
	{
		const char *value = eq + 1;

		while (isspace((unsigned char)*value))
			value++;
		if (asprintf(&word, "%s=%s", val, value) < 0) {
			free(name);
			return mck_fail(err, -ENOMEM, "out of memory");
		}
	}
	free(name);
	for (i = 0; i < cfg->n_env; i++)
		if (!strncmp(cfg->env[i], word, nlen + 1))
			break;
	if (i == MCK_CONFIG_MAX_ENV) {
		free(word);
		return mck_fail(err, -EINVAL, "%s:%d: env: more than %d entries",
				p->file, e->line, MCK_CONFIG_MAX_ENV);
	}
	free(cfg->env[i]);
	cfg->env[i] = word;
	if (i == cfg->n_env)
		cfg->n_env++;
	return 0;
}

static int apply_user_keys(struct mck_config *cfg, const struct parsed *p,
			   const struct entry *e, struct mck_error *err)
{
	const char *s = e->value;
	unsigned mask = 0;
	char q[80], all[256];

	mck_option_keys_format(MCK_OPT_ALL, all, sizeof(all));
	if (!strcmp(s, "none") || !*s) {
		cfg->user_keys = 0;
		return 0;
	}
	if (!strcmp(s, "all")) {
		cfg->user_keys = MCK_OPT_ALL;
		return 0;
	}
	while (*s) {
		size_t n;
		int key;

		while (*s == ',' || isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		n = strcspn(s, ", \t");
		key = mck_option_key_find(s, n);
		if (key < 0) {
			char word[80];

			snprintf(word, sizeof(word), "%.*s", (int)(n > 64 ? 64 : n), s);
			return mck_fail(err, -EINVAL,
					"%s:%d: user_keys = '%s': unknown option key '%s': expected a list of %s, or all, or none",
					p->file, e->line, mck_quote(e->value, q, sizeof(q)),
					mck_quote(word, word, sizeof(word)), all);
		}
		if (mask & MCK_OPT_BIT(key))
			return mck_fail(err, -EINVAL,
					"%s:%d: user_keys = '%s': key '%s' is listed twice",
					p->file, e->line, mck_quote(e->value, q, sizeof(q)),
					mck_option_key_name(key));
		mask |= MCK_OPT_BIT(key);
		s += n;
	}
	cfg->user_keys = mask;
	return 0;
}

/* mck_parse_long of digits only: no sign, no leading blank. */
static int parse_strict_long(const char *s, long min, long max, long *out)
{
	if (!isdigit((unsigned char)*s))
		return -1;
	return mck_parse_long(s, min, max, out);
}

/* Validate and store one value. */
static int apply_value(struct mck_config *cfg, const struct parsed *p,
		       const struct entry *e, struct mck_error *err)
{
	const struct key_def *k = e->key;
	const char *value = e->value;

	switch (k->type) {
	case K_PATH:
		if (value[0] != '/' && !(k->empty_ok && !*value))
			return fail_value(err, p, e, k->help);
		/* fall through */
	case K_STRING:
		if (set_string(str_field(cfg, k), value))
			return mck_fail(err, -ENOMEM, "out of memory");
		return 0;
	case K_FRACTION: {
		double d = 0;
		int rc = mck_mem_fraction_parse(value, &d);
		char q[80];

		if (rc == -2)
			return mck_fail(err, -EINVAL, "%s:%d: %s = %s is above "
					MCK_MEM_FRACTION_MAX_TEXT ": %s", p->file, e->line, k->name,
					mck_quote(value, q, sizeof(q)), MCK_MEM_FRACTION_WHY);
		if (rc)
			return fail_value(err, p, e, k->help);
		*(double *)((char *)cfg + k->offset) = d;
		break;
	}
	case K_SECONDS:
	case K_COUNT: {
		long v;

		if (parse_strict_long(value, k->type == K_SECONDS ? 1 : k->min,
				      k->type == K_SECONDS ? 3600 : k->max, &v))
			return fail_value(err, p, e, k->help);
		*int_field(cfg, k) = (int)v;
		break;
	}
	case K_SIZE:
	case K_SIZE4M: {
		uint64_t v;

		if (mck_size_parse(value, &v) ||
		    (k->type == K_SIZE4M && (v == 0 || v % MCK_MEM_UNIT)))
			return fail_value(err, p, e, k->help);
		*u64_field(cfg, k) = v;
		break;
	}
	case K_PREMAP:
		if (mck_premap_parse(value, 1, &cfg->stack_premap, &cfg->stack_premap_max))
			return fail_value(err, p, e, k->help);
		break;
	case K_BOOL:
		if (!strcmp(value, "yes"))
			*int_field(cfg, k) = 1;
		else if (!strcmp(value, "no"))
			*int_field(cfg, k) = 0;
		else
			return fail_value(err, p, e, k->help);
		break;
	case K_CHOICE: {
		int c = 0;

		while (c < 3 && k->choice[c] && strcmp(value, k->choice[c]))
			c++;
		if (c == 3 || !k->choice[c])
			return fail_value(err, p, e, k->help);
		*int_field(cfg, k) = c;
		break;
	}
	case K_MEMONLY: {
		struct mck_error sub = { 0 };
		enum mck_memonly_mode mode;

		if (mck_memonly_parse(value, &mode, &cfg->memory_only_kinds, &sub))
			return fail_value(err, p, e, k->help);
		*int_field(cfg, k) = mode;
		break;
	}
	case K_CPULIST: {
		struct mck_error sub = { 0 };
		int *cpus = NULL, n = 0;

		if (mck_cpulist_parse(value, &cpus, &n, &sub))
			return fail_value(err, p, e, k->help);
		free(cpus);
		if (set_string(str_field(cfg, k), value))
			return mck_fail(err, -ENOMEM, "out of memory");
		break;
	}
	case K_ENV:
		return apply_env(cfg, p, e, err);
	case K_USERKEYS:
		return apply_user_keys(cfg, p, e, err);
	case K_MOUNTS: {
		size_t pos = 0;
		char *path;
		int ro, rc;

		while ((rc = mck_config_next_mount(value, &pos, &path, &ro)) > 0)
			free(path);
		if (rc < 0)
			return rc == -ENOMEM ? mck_fail(err, rc, "out of memory")
					     : fail_value(err, p, e, k->help);
		if (set_string(str_field(cfg, k), value))
			return mck_fail(err, -ENOMEM, "out of memory");
		break;
	}
	}
	/* Selecting one of a group of alternatives. */
	if (k->group == G_KEEP) {
		cfg->keep = k->mode;
		if (k->mode != MCK_CFG_KEEP_CPULIST && set_string(&cfg->linux_cpus, ""))
			return mck_fail(err, -ENOMEM, "out of memory");
	} else if (k->group == G_MEM) {
		cfg->mem_mode = k->mode;
	}
	return 0;
}

static const char *group_names(enum key_group g)
{
	return g == G_KEEP ? "linux_cores, linux_cores_per_package, linux_cpus"
			   : "mem_fraction, mem_size, mem_keep";
}

/* Apply the entries of one section, with the once-per-section rules. */
static int apply_section(struct mck_config *cfg, struct build *b, int section,
			 struct mck_error *err)
{
	const struct parsed *p = b->p;
	int rc;

	memset(b->given, 0, sizeof(b->given));
	for (int g = 0; g < G_COUNT; g++)
		b->group_key[g] = -1;
	for (int i = 0; i < p->n_entries; i++) {
		const struct entry *e = &p->entries[i];
		int ki = (int)(e->key - keys);

		if (e->section != section)
			continue;
		if (b->given[ki] && e->key->type != K_ENV)
			return mck_fail(err, -EINVAL,
					"%s:%d: %s is given a second time in this section (first at line %d): keep one",
					p->file, e->line, e->key->name, b->given[ki]);
		if (e->key->group != G_NONE) {
			int other = b->group_key[e->key->group];

			if (other >= 0 && other != ki)
				return mck_fail(err, -EINVAL,
						"%s:%d: %s and %s (line %d) in the same section: give only one of %s",
						p->file, e->line, e->key->name, keys[other].name,
						b->given[other], group_names(e->key->group));
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
	const struct key_def *k = find_key(key);
	int line = b ? b->line_of[k - keys] : 0;

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
	if (cfg->keep != MCK_CFG_KEEP_CPULIST) {
		const char *key = cfg->keep == MCK_CFG_KEEP_PER_NUMA ? "linux_cores"
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
	if (cfg->mem_mode == MCK_CFG_MEM_FRACTION && cfg->mem_fraction > cfg->max_mem_fraction) {
		char a[32], c[32];

		mck_fraction_format(cfg->mem_fraction, a, sizeof(a));
		mck_fraction_format(cfg->max_mem_fraction, c, sizeof(c));
		return default_beyond(b, "mem_fraction", a, "above", "max_mem_fraction", c, part, err);
	}
	if (cfg->mem_mode == MCK_CFG_MEM_SIZE && cfg->max_mem_size &&
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
	if (set_defaults(cfg)) {
		rc = mck_fail(err, -ENOMEM, "out of memory");
		goto fail;
	}
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
	if (!cfg)
		return;
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].type == K_PATH || keys[i].type == K_STRING ||
		    keys[i].type == K_CPULIST || keys[i].type == K_MOUNTS) {
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
static int in_force(const struct mck_config *cfg, const struct key_def *k)
{
	if (k->group == G_KEEP)
		return (int)cfg->keep == k->mode;
	if (k->group == G_MEM)
		return (int)cfg->mem_mode == k->mode;
	return 1;
}

void mck_config_print(const struct mck_config *cfg, FILE *out)
{
	const char *base = (const char *)cfg;

	fprintf(out, "# configuration: %s%s%s\n",
		*cfg->path ? cfg->path : "built-in defaults",
		cfg->partition ? ", partition " : "",
		cfg->partition ? cfg->partition : "");
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key_def *k = &keys[i];
		char buf[64], buf2[64];

		if (!in_force(cfg, k))
			continue;
		switch (k->type) {
		case K_PATH:
		case K_STRING:
		case K_CPULIST:
		case K_MOUNTS:
			fprintf(out, "%s = %s\n", k->name, *(char *const *)(base + k->offset));
			break;
		case K_FRACTION:
			mck_fraction_format(*(const double *)(base + k->offset), buf, sizeof(buf));
			fprintf(out, "%s = %s\n", k->name, buf);
			break;
		case K_SECONDS:
		case K_COUNT:
			fprintf(out, "%s = %d\n", k->name, *(const int *)(base + k->offset));
			break;
		case K_SIZE:
		case K_SIZE4M:
			mck_size_format(*(const uint64_t *)(base + k->offset), buf, sizeof(buf));
			fprintf(out, "%s = %s\n", k->name, buf);
			break;
		case K_PREMAP:
			mck_size_format(cfg->stack_premap, buf, sizeof(buf));
			mck_size_format(cfg->stack_premap_max, buf2, sizeof(buf2));
			fprintf(out, "%s = %s%s%s\n", k->name, buf,
				cfg->stack_premap_max ? ":" : "",
				cfg->stack_premap_max ? buf2 : "");
			break;
		case K_BOOL:
			fprintf(out, "%s = %s\n", k->name,
				*(const int *)(base + k->offset) ? "yes" : "no");
			break;
		case K_CHOICE:
			fprintf(out, "%s = %s\n", k->name,
				k->choice[*(const int *)(base + k->offset)]);
			break;
		case K_MEMONLY:
			mck_memonly_format(cfg->memory_only_nodes, cfg->memory_only_kinds,
					   buf, sizeof(buf));
			fprintf(out, "%s = %s\n", k->name, buf);
			break;
		case K_ENV:
			/* Reloads to the same list: empty it unless the first entry replaces the built-in one. */
			if (!cfg->n_env || strncmp(cfg->env[0], "PMIX_MCA_gds=", 13))
				fprintf(out, "env =\n");
			for (int e = 0; e < cfg->n_env; e++)
				fprintf(out, "env = %s\n", cfg->env[e]);
			break;
		case K_USERKEYS: {
			char list[256];

			mck_option_keys_format(cfg->user_keys, list, sizeof(list));
			fprintf(out, "%s = %s\n", k->name, list);
			break;
		}
		}
	}
}
