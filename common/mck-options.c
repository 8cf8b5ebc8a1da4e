/* mck-options.c: see mck-options.h. */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mck-config.h"
#include "mck-lists.h"
#include "mck-options.h"
#include "mck-util.h"

static const struct {
	const char *name;
	const char *expected;	/* what a valid value looks like */
} opt_keys[MCK_OPT_NKEYS] = {
	[MCK_OPT_MEM] = { "mem",
		"a fraction of each NUMA node in (0, " MCK_MEM_FRACTION_MAX_TEXT "] with at most 6 decimals such as 0.6, "
		"or a size with a unit "
		"(k, M, G, T) that is a multiple of 4M such as 8G" },
	[MCK_OPT_LINUX_CORES] = { "linux_cores", "a core count from 1 to 1024" },
	[MCK_OPT_SMT] = { "smt", "all or one" },
	[MCK_OPT_PROCS] = { "procs", "a process count from 1 to 1024" },
	[MCK_OPT_MPOL_THRESHOLD] = { "mpol_threshold", "a size such as 1M, or 0 for mcexec's default" },
	[MCK_OPT_EXTEND_HEAP_BY] = { "extend_heap_by", "a size such as 8M, or 0 for mcexec's default" },
	[MCK_OPT_STACK_PREMAP] = { "stack_premap",
		"a size or SIZE:MAX such as 2M:1G, or 0 for mcexec's default" },
	[MCK_OPT_UTI] = { "uti", "yes or no" },
};

static const char help_text[] =
	"Run the step's tasks on a McKernel instance booted for the job. "
	"Alone: the partition's defaults. With KEY=VALUE[,KEY=VALUE...]: "
	"mem=F|SIZE (McKernel memory per NUMA node: fraction such as 0.6 or size such as 8G), "
	"linux_cores=N (cores kept for Linux per NUMA node), "
	"smt=all|one (hardware threads per McKernel core), "
	"procs=N (processes per node, must match the step's tasks per node), "
	"mpol_threshold=SIZE, extend_heap_by=SIZE, stack_premap=SIZE[:MAX], uti=yes|no "
	"(mcexec options). The partition decides which keys users may set and their limits "
	"(mckernel.conf(5)).";

const char *mck_options_help(void)
{
	return help_text;
}

const char *mck_option_key_name(enum mck_opt_key key)
{
	return (unsigned)key < MCK_OPT_NKEYS ? opt_keys[key].name : NULL;
}

int mck_option_key_find(const char *name, size_t len)
{
	for (int i = 0; i < MCK_OPT_NKEYS; i++)
		if (strlen(opt_keys[i].name) == len && !strncmp(opt_keys[i].name, name, len))
			return i;
	return -1;
}

void mck_option_keys_format(unsigned mask, char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return;
	buf[0] = '\0';
	if (!(mask & MCK_OPT_ALL)) {
		snprintf(buf, len, "none");
		return;
	}
	for (int i = 0; i < MCK_OPT_NKEYS && used < len; i++)
		if (mask & MCK_OPT_BIT(i))
			used += snprintf(buf + used, len - used, "%s%s",
					 used ? ", " : "", opt_keys[i].name);
}

const char *mck_quote(const char *s, char *buf, size_t len)
{
	char tmp[72];
	size_t i;
	int more;

	/* s may be buf itself: work on a copy. */
	for (i = 0; s[i] && i < 64; i++)
		tmp[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	tmp[i] = '\0';
	more = s[i] != '\0';
	snprintf(buf, len, "%s%s", tmp, more ? "..." : "");
	return buf;
}

int mck_fraction_parse(const char *s, double *out)
{
	const char *p = s;
	int whole = 0, decimals = 0;
	char *end;
	double d;

	while (isdigit((unsigned char)*p)) {
		p++;
		whole++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			p++;
			decimals++;
		}
	}
	if (!(whole + decimals) || *p || whole > 9 || decimals > MCK_FRACTION_DECIMALS)
		return -1;
	errno = 0;
	d = strtod(s, &end);
	if (errno || *end || !isfinite(d))
		return -1;
	*out = d;
	return 0;
}

void mck_fraction_format(double d, char *buf, size_t len)
{
	char *e;

	/* Values parsed by mck_fraction_parse come back exactly. */
	snprintf(buf, len, "%.*f", MCK_FRACTION_DECIMALS, d);
	if (!strchr(buf, '.'))
		return;
	e = buf + strlen(buf);
	while (e > buf && e[-1] == '0')
		*--e = '\0';
	if (e > buf && e[-1] == '.')
		e[-1] = '\0';
}

int mck_premap_parse(const char *s, int comma, uint64_t *size, uint64_t *max)
{
	const char *sep = strchr(s, ':');
	char first[64];
	uint64_t a, b = 0;

	if (!sep && comma)
		sep = strchr(s, ',');
	if (sep) {
		size_t n = sep - s;

		if (n == 0 || n >= sizeof(first))
			return -1;
		memcpy(first, s, n);
		first[n] = '\0';
		if (mck_size_parse(first, &a) || mck_size_parse(sep + 1, &b) || b == 0 || b < a)
			return -1;
	} else if (mck_size_parse(s, &a)) {
		return -1;
	}
	if (a == 0 && b)
		return -1;
	*size = a;
	*max = b;
	return 0;
}

static int parse_count(const char *s, int *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s) || strlen(s) > 9)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > MCK_OPT_MAX_COUNT)
		return -1;
	*out = (int)v;
	return 0;
}

int mck_mem_fraction_parse(const char *s, double *out)
{
	double d;

	if (mck_fraction_parse(s, &d) || !(d > 0.0 && d <= 1.0))
		return -1;
	if (d > MCK_MEM_FRACTION_MAX)
		return -2;
	*out = d;
	return 0;
}

/* 0, -1 (malformed) or -2 (a fraction above MCK_MEM_FRACTION_MAX). */
static int parse_mem(const char *s, struct mck_options *o)
{
	size_t n = strlen(s);
	int rc;

	if (n && isalpha((unsigned char)s[n - 1])) {
		uint64_t v;

		if (mck_size_parse(s, &v) || v == 0 || v % MCK_MEM_UNIT)
			return -1;
		o->mem_is_size = 1;
		o->mem_size = v;
		return 0;
	}
	rc = mck_mem_fraction_parse(s, &o->mem_fraction);
	if (rc)
		return rc;
	o->mem_is_size = 0;
	return 0;
}

static int parse_value(enum mck_opt_key key, const char *v, struct mck_options *o)
{
	switch (key) {
	case MCK_OPT_MEM:
		return parse_mem(v, o);
	case MCK_OPT_LINUX_CORES:
		return parse_count(v, &o->linux_cores);
	case MCK_OPT_PROCS:
		return parse_count(v, &o->procs);
	case MCK_OPT_SMT:
		if (!strcmp(v, "all") || !strcmp(v, "one")) {
			o->smt_one = v[0] == 'o';
			return 0;
		}
		return -1;
	case MCK_OPT_UTI:
		if (!strcmp(v, "yes") || !strcmp(v, "no")) {
			o->uti = v[0] == 'y';
			return 0;
		}
		return -1;
	case MCK_OPT_MPOL_THRESHOLD:
		return mck_size_parse(v, &o->mpol_threshold);
	case MCK_OPT_EXTEND_HEAP_BY:
		return mck_size_parse(v, &o->extend_heap_by);
	case MCK_OPT_STACK_PREMAP:
		return mck_premap_parse(v, 0, &o->stack_premap, &o->stack_premap_max);
	case MCK_OPT_NKEYS:
		break;
	}
	return -1;
}

int mck_options_parse(const char *text, struct mck_options *opts,
		      struct mck_error *err)
{
	char buf[MCK_OPTIONS_MAX_LEN + 1], q[80], q2[80], all[256];
	struct mck_options o;
	char *item, *save = NULL;
	size_t len;
	int rc = -1;

	memset(opts, 0, sizeof(*opts));
	memset(&o, 0, sizeof(o));
	if (!text || !*text)
		return 0;
	mck_option_keys_format(MCK_OPT_ALL, all, sizeof(all));
	len = strlen(text);
	if (len > MCK_OPTIONS_MAX_LEN) {
		rc = mck_fail(err, -EINVAL,
			      "--mckernel: the value is %zu characters long; at most %d are allowed",
			      len, MCK_OPTIONS_MAX_LEN);
		goto fail;
	}
	memcpy(buf, text, len + 1);
	if (buf[0] == ',' || buf[len - 1] == ',' || strstr(buf, ",,")) {
		rc = mck_fail(err, -EINVAL,
			      "--mckernel: empty setting in '%s': write --mckernel=KEY=VALUE[,KEY=VALUE...] without empty items",
			      mck_quote(text, q, sizeof(q)));
		goto fail;
	}
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		const char *value;
		int key, vrc;

		if (!eq) {
			rc = mck_fail(err, -EINVAL,
				      "--mckernel: '%s' is not KEY=VALUE; keys are %s",
				      mck_quote(item, q, sizeof(q)), all);
			goto fail;
		}
		key = mck_option_key_find(item, eq - item);
		value = eq + 1;
		*eq = '\0';
		if (key < 0) {
			rc = mck_fail(err, -EINVAL,
				      "--mckernel: unknown key '%s' (in '%s=%s'): keys are %s",
				      mck_quote(item, q, sizeof(q)), q,
				      mck_quote(value, q2, sizeof(q2)), all);
			goto fail;
		}
		if (o.set & MCK_OPT_BIT(key)) {
			rc = mck_fail(err, -EINVAL,
				      "--mckernel: key '%s' is given twice ('%s=%s' again): give each key once",
				      opt_keys[key].name, opt_keys[key].name,
				      mck_quote(value, q, sizeof(q)));
			goto fail;
		}
		vrc = *value ? parse_value(key, value, &o) : -1;
		if (vrc == -2) {
			rc = mck_fail(err, -EINVAL,
				      "--mckernel: %s=%s is above " MCK_MEM_FRACTION_MAX_TEXT ": %s; "
				      "ask for at most %s=" MCK_MEM_FRACTION_MAX_TEXT,
				      opt_keys[key].name, mck_quote(value, q, sizeof(q)),
				      MCK_MEM_FRACTION_WHY, opt_keys[key].name);
			goto fail;
		}
		if (vrc) {
			rc = mck_fail(err, -EINVAL,
				      "--mckernel: %s='%s' is not valid: expected %s",
				      opt_keys[key].name, mck_quote(value, q, sizeof(q)),
				      opt_keys[key].expected);
			goto fail;
		}
		o.set |= MCK_OPT_BIT(key);
	}
	*opts = o;
	rc = 0;
fail:
	return rc;
}

/* "partition batch" or "the default settings" for messages. */
static const char *scope(const struct mck_config *cfg, char *buf, size_t len)
{
	if (cfg->partition && *cfg->partition)
		snprintf(buf, len, "partition %s", cfg->partition);
	else
		snprintf(buf, len, "this cluster (no partition section)");
	return buf;
}

int mck_options_check(const struct mck_options *opts,
		      const struct mck_config *cfg, struct mck_error *err)
{
	char where[300], a[64], b[64];
	unsigned refused = opts->set & ~cfg->user_keys;

	if (refused) {
		char allowed[256];
		int key = __builtin_ctz(refused);

		mck_option_keys_format(cfg->user_keys, allowed, sizeof(allowed));
		return mck_fail(err, -EPERM,
				"--mckernel: key '%s' may not be set by users on %s (allowed: %s)",
				opt_keys[key].name, scope(cfg, where, sizeof(where)), allowed);
	}
	scope(cfg, where, sizeof(where));
	if (opts->set & MCK_OPT_BIT(MCK_OPT_MEM)) {
		if (!opts->mem_is_size && opts->mem_fraction > cfg->max_mem_fraction) {
			mck_fraction_format(opts->mem_fraction, a, sizeof(a));
			mck_fraction_format(cfg->max_mem_fraction, b, sizeof(b));
			return mck_fail(err, -EPERM,
					"--mckernel: mem=%s is above the limit of %s: max_mem_fraction = %s",
					a, where, b);
		}
		if (opts->mem_is_size && cfg->max_mem_size && opts->mem_size > cfg->max_mem_size) {
			mck_size_format(opts->mem_size, a, sizeof(a));
			mck_size_format(cfg->max_mem_size, b, sizeof(b));
			return mck_fail(err, -EPERM,
					"--mckernel: mem=%s is above the limit of %s: max_mem_size = %s",
					a, where, b);
		}
	}
	if (opts->set & MCK_OPT_BIT(MCK_OPT_LINUX_CORES)) {
		if (cfg->keep == MCK_CFG_KEEP_CPULIST)
			return mck_fail(err, -EPERM,
					"--mckernel: linux_cores=%d cannot apply on %s: it keeps the CPUs linux_cpus = %s for Linux",
					opts->linux_cores, where, cfg->linux_cpus);
		if (opts->linux_cores < cfg->min_linux_cores)
			return mck_fail(err, -EPERM,
					"--mckernel: linux_cores=%d is below the limit of %s: min_linux_cores = %d",
					opts->linux_cores, where, cfg->min_linux_cores);
		if (cfg->max_linux_cores && opts->linux_cores > cfg->max_linux_cores)
			return mck_fail(err, -EPERM,
					"--mckernel: linux_cores=%d is above the limit of %s: max_linux_cores = %d",
					opts->linux_cores, where, cfg->max_linux_cores);
	}
	if ((opts->set & MCK_OPT_BIT(MCK_OPT_UTI)) && opts->uti && !cfg->mcexec_uti)
		return mck_fail(err, -EPERM,
				"--mckernel: uti=yes is not available on %s: its mcexec (%s) is not "
				"built with UTI support (mckernel.conf: mcexec_uti = no) and would refuse "
				"--enable-uti in every rank; leave uti out, or ask the operator for an "
				"mcexec built with UTI and mcexec_uti = yes", where,
				cfg->mcexec ? cfg->mcexec : "mcexec");
	if ((opts->set & MCK_OPT_BIT(MCK_OPT_PROCS)) && cfg->max_procs_per_node &&
	    opts->procs > cfg->max_procs_per_node)
		return mck_fail(err, -EPERM,
				"--mckernel: procs=%d is above the limit of %s: max_procs_per_node = %d",
				opts->procs, where, cfg->max_procs_per_node);
	return 0;
}

int mck_options_format(const struct mck_options *o, char *buf, size_t len)
{
	size_t used = 0;
	char v[160], m[64];

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	for (int key = 0; key < MCK_OPT_NKEYS; key++) {
		if (!(o->set & MCK_OPT_BIT(key)))
			continue;
		switch ((enum mck_opt_key)key) {
		case MCK_OPT_MEM:
			if (o->mem_is_size)
				mck_size_format(o->mem_size, v, sizeof(v));
			else
				mck_fraction_format(o->mem_fraction, v, sizeof(v));
			break;
		case MCK_OPT_LINUX_CORES: snprintf(v, sizeof(v), "%d", o->linux_cores); break;
		case MCK_OPT_PROCS: snprintf(v, sizeof(v), "%d", o->procs); break;
		case MCK_OPT_SMT: snprintf(v, sizeof(v), "%s", o->smt_one ? "one" : "all"); break;
		case MCK_OPT_UTI: snprintf(v, sizeof(v), "%s", o->uti ? "yes" : "no"); break;
		case MCK_OPT_MPOL_THRESHOLD: mck_size_format(o->mpol_threshold, v, sizeof(v)); break;
		case MCK_OPT_EXTEND_HEAP_BY: mck_size_format(o->extend_heap_by, v, sizeof(v)); break;
		case MCK_OPT_STACK_PREMAP:
			mck_size_format(o->stack_premap, v, sizeof(v));
			if (o->stack_premap_max) {
				mck_size_format(o->stack_premap_max, m, sizeof(m));
				snprintf(v + strlen(v), sizeof(v) - strlen(v), ":%s", m);
			}
			break;
		case MCK_OPT_NKEYS:
			break;
		}
		used += snprintf(buf + used, used < len ? len - used : 0, "%s%s=%s",
				 used ? "," : "", opt_keys[key].name, v);
		if (used >= len)
			return -ENOSPC;
	}
	return 0;
}

/* Append "--NAME" or "--NAME=VALUE" to the list. */
static int push_word(char ***argv, int *argc, const char *name, const char *value)
{
	char **n = realloc(*argv, (*argc + 2) * sizeof(char *));
	char *w;

	if (!n)
		return -ENOMEM;
	*argv = n;
	if (value ? asprintf(&w, "--%s=%s", name, value) < 0 : asprintf(&w, "--%s", name) < 0)
		return -ENOMEM;
	n[(*argc)++] = w;
	n[*argc] = NULL;
	return 0;
}

static int push_size(char ***argv, int *argc, const char *name, uint64_t bytes)
{
	char v[32];

	if (!bytes)
		return 0;
	snprintf(v, sizeof(v), "%llu", (unsigned long long)bytes);
	return push_word(argv, argc, name, v);
}

int mck_options_mcexec_args(const struct mck_options *opts,
			    const struct mck_config *cfg, char ***argv,
			    int *argc, struct mck_error *err)
{
	static const struct mck_options none;
	const struct mck_options *o = opts ? opts : &none;
	uint64_t mpol = cfg->mpol_threshold, heap = cfg->extend_heap_by;
	uint64_t premap = cfg->stack_premap, premap_max = cfg->stack_premap_max;
	int uti = cfg->uti, rc = -1;
	char **words = NULL;
	int n = 0;

	*argv = NULL;
	*argc = 0;
	if (o->set & MCK_OPT_BIT(MCK_OPT_MPOL_THRESHOLD))
		mpol = o->mpol_threshold;
	if (o->set & MCK_OPT_BIT(MCK_OPT_EXTEND_HEAP_BY))
		heap = o->extend_heap_by;
	if (o->set & MCK_OPT_BIT(MCK_OPT_STACK_PREMAP)) {
		premap = o->stack_premap;
		premap_max = o->stack_premap_max;
	}
	if (o->set & MCK_OPT_BIT(MCK_OPT_UTI))
		uti = o->uti;

	words = calloc(1, sizeof(char *));
	if (!words)
		goto nomem;
	if (push_size(&words, &n, "mpol-threshold", mpol) ||
	    push_size(&words, &n, "extend-heap-by", heap))
		goto nomem;
	if (premap) {
		char v[48];

		if (premap_max)
			snprintf(v, sizeof(v), "%llu,%llu", (unsigned long long)premap,
				 (unsigned long long)premap_max);
		else
			snprintf(v, sizeof(v), "%llu", (unsigned long long)premap);
		if (push_word(&words, &n, "stack-premap", v))
			goto nomem;
	}
	if ((uti && push_word(&words, &n, "enable-uti", NULL)) ||
	    (cfg->disable_sched_yield && push_word(&words, &n, "disable-sched-yield", NULL)) ||
	    (cfg->mpol_no_heap && push_word(&words, &n, "mpol-no-heap", NULL)) ||
	    (cfg->mpol_no_stack && push_word(&words, &n, "mpol-no-stack", NULL)) ||
	    (cfg->mpol_no_bss && push_word(&words, &n, "mpol-no-bss", NULL)) ||
	    (cfg->mpol_shm_premap && push_word(&words, &n, "mpol-shm-premap", NULL)))
		goto nomem;
	*argv = words;
	*argc = n;
	return 0;
nomem:
	mck_argv_free(words);
	rc = mck_fail(err, -ENOMEM, "out of memory");
	return rc;
}
