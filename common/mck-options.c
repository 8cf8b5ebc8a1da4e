/* mck-options.c: see mck-options.h. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mck-config.h"
#include "mck-lists.h"
#include "mck-options.h"
#include "mck-util.h"

/* The name of user key i. */
static const char *key_name(int i)
{
	const struct mck_key *k = mck_key_of_option((enum mck_opt_key)i);

	return k ? k->name : NULL;
}

/*
 * The help of --mckernel, written from the user keys of the schema:
 * "mem=F|SIZE (McKernel memory per NUMA node: ...), ...".
 */
const char *mck_options_help(void)
{
	static char help[1536];
	size_t used;

	if (help[0])
		return help;
	used = snprintf(help, sizeof(help),
			"Run the step's tasks on a McKernel instance booted for the job. "
			"Alone: the partition's defaults. With KEY=VALUE[,KEY=VALUE...]: ");
	for (int i = 0; i < MCK_OPT_NKEYS && used < sizeof(help); i++) {
		const struct mck_key *k = mck_key_of_option((enum mck_opt_key)i);

		used += snprintf(help + used, sizeof(help) - used, "%s%s=%s (%s)",
				 i ? ", " : "", k->name, k->arg, k->doc);
	}
	if (used < sizeof(help))
		snprintf(help + used, sizeof(help) - used,
			 ". The partition decides which keys users may set and their limits "
			 "(mckernel.conf(5)).");
	return help;
}

const char *mck_option_key_name(enum mck_opt_key key)
{
	return (unsigned)key < MCK_OPT_NKEYS ? key_name(key) : NULL;
}

int mck_option_key_find(const char *name, size_t len)
{
	const struct mck_key *k = mck_key_find(MCK_BY_USER, name, len);

	return k ? (int)k->opt : -1;
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
					 used ? ", " : "", key_name(i));
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
		const struct mck_key *k;
		struct mck_error why = { 0 };
		struct mck_value v;
		const char *value;
		int vrc;

		if (!eq && !strcmp(item, "quiet")) {
			/* the one key that stands alone: quiet is quiet=yes */
			k = mck_key_of_option(MCK_OPT_QUIET);
			value = "yes";
		} else if (!eq) {
			rc = mck_fail(err, -EINVAL,
				      "--mckernel: '%s' is not KEY=VALUE; keys are %s",
				      mck_quote(item, q, sizeof(q)), all);
			goto fail;
		} else {
			k = mck_key_find(MCK_BY_USER, item, eq - item);
			value = eq + 1;
			*eq = '\0';
		}
		if (!k) {
			rc = mck_fail(err, -EINVAL,
				      "--mckernel: unknown key '%s' (in '%s=%s'): keys are %s",
				      mck_quote(item, q, sizeof(q)), q,
				      mck_quote(value, q2, sizeof(q2)), all);
			goto fail;
		}
		if (o.set & MCK_OPT_BIT(k->opt)) {
			rc = mck_fail(err, -EINVAL,
				      "--mckernel: key '%s' is given twice ('%s=%s' again): give each key once",
				      k->name, k->name, mck_quote(value, q, sizeof(q)));
			goto fail;
		}
		vrc = mck_key_parse(k, value, &v, &why);
		if (vrc) {
			rc = mck_key_fail(err, k, MCK_BY_USER, value, vrc, &why);
			goto fail;
		}
		mck_key_store(k, &v, &o, k->opts);
		o.set |= MCK_OPT_BIT(k->opt);
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
	/* quiet changes only what the user sees: always allowed */
	unsigned refused = opts->set & ~cfg->user_keys & ~MCK_OPT_BIT(MCK_OPT_QUIET);

	if (refused) {
		char allowed[256];
		int key = __builtin_ctz(refused);

		mck_option_keys_format(cfg->user_keys, allowed, sizeof(allowed));
		return mck_fail(err, -EPERM,
				"--mckernel: key '%s' may not be set by users on %s (allowed: %s)",
				key_name(key), scope(cfg, where, sizeof(where)), allowed);
	}
	scope(cfg, where, sizeof(where));
	if (opts->set & MCK_OPT_BIT(MCK_OPT_MEM)) {
		if (opts->mem_mode == MCK_MEM_FRACTION && opts->mem_fraction > cfg->max_mem_fraction) {
			mck_fraction_format(opts->mem_fraction, a, sizeof(a));
			mck_fraction_format(cfg->max_mem_fraction, b, sizeof(b));
			return mck_fail(err, -EPERM,
					"--mckernel: mem=%s is above the limit of %s: max_mem_fraction = %s",
					a, where, b);
		}
		if (opts->mem_mode == MCK_MEM_SIZE && cfg->max_mem_size &&
		    opts->mem_size > cfg->max_mem_size) {
			mck_size_format(opts->mem_size, a, sizeof(a));
			mck_size_format(cfg->max_mem_size, b, sizeof(b));
			return mck_fail(err, -EPERM,
					"--mckernel: mem=%s is above the limit of %s: max_mem_size = %s",
					a, where, b);
		}
	}
	if (opts->set & MCK_OPT_BIT(MCK_OPT_LINUX_CORES)) {
		if (cfg->keep == MCK_KEEP_CPULIST)
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
	char v[160];

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	for (int i = 0; i < MCK_OPT_NKEYS; i++) {
		const struct mck_key *k = mck_key_of_option((enum mck_opt_key)i);
		struct mck_value val;

		if (!(o->set & MCK_OPT_BIT(i)))
			continue;
		mck_key_load(k, o, k->opts, &val);
		mck_key_format(k, &val, v, sizeof(v));
		used += snprintf(buf + used, used < len ? len - used : 0, "%s%s=%s",
				 used ? "," : "", k->name, v);
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
