/* mck-schema.c: see mck-schema.h. */
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
#include "mck-schema.h"
#include "mck-util.h"

/* Enum fields are stored as int (mck_key_store). */
_Static_assert(sizeof(enum mck_keep_mode) == sizeof(int) &&
	       sizeof(enum mck_mem_mode) == sizeof(int) &&
	       sizeof(enum mck_ikc_mode) == sizeof(int) &&
	       sizeof(enum mck_cpu_kind_mode) == sizeof(int) &&
	       sizeof(enum mck_assistant_mode) == sizeof(int) &&
	       sizeof(enum mck_memonly_mode) == sizeof(int) &&
	       sizeof(enum mck_instance_policy) == sizeof(int) &&
	       sizeof(enum mck_reservation) == sizeof(int), "enum fields are ints");

/* -------------------------------------------------------------- the rows */

static const char *const smt_names[] = { "all", "one", NULL };
static const char *const ikc_names[] = { "per-numa", "spread", NULL };
static const char *const kind_names[] = { "all", "performance", "auto", NULL };
static const char *const assistant_names[] = { "linux", "mckernel", NULL };
static const char *const instance_names[] = { "per-job", "per-step", NULL };
static const char *const bool_names[] = { "no", "yes", NULL };
static const char *const destroy_names[] = { "crash", "safe", NULL };
static const char *const reservation_names[] = { "per-job", "keep", NULL };

#define OP MCK_BY_OPERATOR
#define USER MCK_BY_USER
#define MAPS MCK_BY_MAPS
#define CFG(f) .cfg = { offsetof(struct mck_config, f) }
#define CFG2(f, g) .cfg = { offsetof(struct mck_config, f), offsetof(struct mck_config, g) }
#define OPT(k, f) .opt = k, .opts = { offsetof(struct mck_options, f) }
#define COUNT(lo, hi) .min = lo, .max = hi
#define MAXC MCK_OPT_MAX_COUNT
#define FRACTION_EXPECTED "a number in (0, " MCK_MEM_FRACTION_MAX_TEXT "] with at most 6 decimals"
#define YES_NO "yes or no"
#define MCEXEC_SIZE(opt) "a size such as " opt ", or 0 for mcexec's default"

static const struct mck_key keys[] = {
	{ "libihk", MCK_T_PATH, OP, "PATH", "an absolute path of libihk.so",
	  "libihk.so, loaded with dlopen", MCK_DEFAULT_LIBIHK, CFG(libihk) },
	{ "mcexec", MCK_T_PATH, OP, "PATH", "an absolute path of mcexec",
	  "the mcexec that runs every rank", "/usr/bin/mcexec", CFG(mcexec) },
	{ "mcexec_uti", MCK_T_BOOL, OP, "yes|no", "yes (mcexec is built with UTI) or no",
	  "whether that mcexec is built with UTI (takes --enable-uti)", "no", CFG(mcexec_uti) },
	{ "mckctl", MCK_T_PATH, OP, "PATH", "an absolute path of mckctl",
	  "the node-side tool the prologue and the epilogue run", MCK_SBINDIR "/mckctl", CFG(mckctl) },
	{ "image", MCK_T_PATH, OP, "PATH", "an absolute path of mckernel.img",
	  "the McKernel image", "/usr/share/mckernel/mckernel.img", CFG(image) },
	{ "kargs", MCK_T_STRING, OP, "ARGS", "kernel arguments containing hidos",
	  "McKernel's kernel arguments, with the word hidos", "hidos ksyslogd=0", CFG(kargs) },
	{ "state_dir", MCK_T_PATH, OP, "DIR", "an absolute directory for job records",
	  "job records, the topology cache and logs", MCK_STATEDIR, CFG(state_dir) },
	{ "device_dir", MCK_T_PATH, OP, "DIR", "an absolute directory of the mcosN devices",
	  "where the IHK device files are", "/dev", CFG(device_dir) },
	{ "topology", MCK_T_STRING, OP, "FILE", "hwloc XML file, or empty for the live machine",
	  "the node's hwloc XML; empty: the live machine, through a cache", "", CFG(topology) },
	{ "boot_timeout", MCK_T_COUNT, OP, "SECONDS", "whole seconds, 1 to 3600",
	  "seconds for booting until RUNNING", "60", CFG(boot_timeout), COUNT(1, 3600) },
	{ "shutdown_timeout", MCK_T_COUNT, OP, "SECONDS", "whole seconds, 1 to 3600",
	  "seconds for shutdown and destroy", "30", CFG(shutdown_timeout), COUNT(1, 3600) },
	{ "sysfs_dir", MCK_T_PATH, OP, "DIR", "an absolute directory where sysfs is mounted",
	  "where Linux's sysfs is (offline CPUs after a teardown)", "/sys", CFG(sysfs_dir) },
	{ "ihk_destroy_unbooted", MCK_T_CHOICE, OP, "crash|safe", "crash or safe",
	  "whether this IHK crashes or not on an instance created but not booted", "crash",
	  CFG(ihk_destroy_unbooted_safe), .choices = destroy_names },
	{ "metrics_file", MCK_T_PATH, OP, "FILE", "an absolute path of a .prom file, or nothing",
	  "the node's figures for a node exporter's textfile collector; nothing: none",
	  MCK_METRICS_FILE, CFG(metrics_file), .empty_ok = 1 },

	/* planner policy */
	{ "linux_cores", MCK_T_COUNT, OP | USER | MAPS, "N", "a core count from 1 to 1024",
	  "cores kept for Linux per NUMA node", "1", CFG(linux_cores),
	  OPT(MCK_OPT_LINUX_CORES, linux_cores), COUNT(1, MAXC),
	  .group = MCK_G_KEEP, .mode = MCK_KEEP_PER_NUMA },
	{ "linux_cores_per_package", MCK_T_COUNT, OP | MAPS, "N",
	  "cores kept for Linux per package, 1 to 1024",
	  "cores kept for Linux per package instead", NULL, CFG(linux_cores), COUNT(1, MAXC),
	  .group = MCK_G_KEEP, .mode = MCK_KEEP_PER_PACKAGE },
	{ "linux_cpus", MCK_T_CPULIST, OP | MAPS, "CPULIST",
	  "the CPUs kept for Linux as a CPU list such as 0,24-25",
	  "exactly these CPUs kept for Linux instead (OS indexes)", NULL, CFG(linux_cpus),
	  .group = MCK_G_KEEP, .mode = MCK_KEEP_CPULIST },
	{ "smt", MCK_T_CHOICE, OP | USER | MAPS, "all|one", "all or one",
	  "hardware threads per McKernel core: every one or only the first", "all",
	  CFG(smt_one), OPT(MCK_OPT_SMT, smt_one), .choices = smt_names },
	{ "lwk_cpu_kind", MCK_T_CHOICE, OP | MAPS, "auto|all|performance", "auto, all or performance",
	  "on hybrid parts McKernel gets every CPU kind, or the most performant only; "
	  "auto: the latter when hwloc ranks the kinds", "auto", CFG(lwk_cpu_kind), .choices = kind_names },
	{ "assistant_cores", MCK_T_CHOICE, OP | MAPS, "linux|mckernel", "linux or mckernel",
	  "cores outside the compute groups (A64FX assistant cores) stay with Linux and serve "
	  "system calls, or are like the others", "linux", CFG(assistant_cores),
	  .choices = assistant_names },
	{ "mem_fraction", MCK_T_FRACTION, OP | MAPS, "F", FRACTION_EXPECTED,
	  "McKernel's share of each used NUMA node's memory", "0.5", CFG(mem_fraction),
	  .group = MCK_G_MEM, .mode = MCK_MEM_FRACTION },
	{ "mem_size", MCK_T_SIZE4M, OP | MAPS, "SIZE", "a size per NUMA node, a multiple of 4M such as 8G",
	  "McKernel's memory per used NUMA node instead", NULL, CFG(mem_size),
	  .group = MCK_G_MEM, .mode = MCK_MEM_SIZE },
	{ "mem_keep", MCK_T_SIZE4M, OP | MAPS, "SIZE",
	  "the size per NUMA node left to Linux, a multiple of 4M such as 2G",
	  "all but SIZE of each used NUMA node instead", NULL, CFG(mem_keep),
	  .group = MCK_G_MEM, .mode = MCK_MEM_ALL_BUT },
	{ "memory_only_nodes", MCK_T_MEMONLY, OP | MAPS, "KINDS|include|exclude",
	  "include, exclude, or kinds of memory-only nodes from " MCK_MEMKINDS_NAMES " such as hbm,cxl",
	  "CPU-less NUMA nodes McKernel also gets memory on: of the KINDS (" MCK_MEMKINDS_NAMES
	  "), all but GPU memory, or none", "hbm", CFG2(memory_only_nodes, memory_only_kinds) },
	{ "ikc", MCK_T_CHOICE, OP | MAPS, "spread|per-numa", "per-numa or spread",
	  "a NUMA node's LWK CPUs offload system calls spread over its Linux CPUs, or to the first",
	  "spread", CFG(ikc), .choices = ikc_names },

	/* mcexec defaults */
	{ "mpol_threshold", MCK_T_SIZE, OP | USER, "SIZE", MCEXEC_SIZE("1M"),
	  "mcexec --mpol-threshold", "0", CFG(mpol_threshold),
	  OPT(MCK_OPT_MPOL_THRESHOLD, mpol_threshold) },
	{ "extend_heap_by", MCK_T_SIZE, OP | USER, "SIZE", MCEXEC_SIZE("8M"),
	  "mcexec --extend-heap-by", "0", CFG(extend_heap_by),
	  OPT(MCK_OPT_EXTEND_HEAP_BY, extend_heap_by) },
	{ "stack_premap", MCK_T_PREMAP, OP | USER, "SIZE[:MAX]",
	  "a size or SIZE:MAX such as 2M:1G, or 0 for mcexec's default",
	  "mcexec --stack-premap", "0", CFG2(stack_premap, stack_premap_max),
	  .opt = MCK_OPT_STACK_PREMAP,
	  .opts = { offsetof(struct mck_options, stack_premap),
		    offsetof(struct mck_options, stack_premap_max) } },
	{ "uti", MCK_T_BOOL, OP | USER, "yes|no", YES_NO,
	  "mcexec --enable-uti, where the partition's mcexec has UTI", "no", CFG(uti),
	  OPT(MCK_OPT_UTI, uti) },
	{ "disable_sched_yield", MCK_T_BOOL, OP, "yes|no", YES_NO,
	  "mcexec --disable-sched-yield", "no", CFG(disable_sched_yield) },
	{ "mpol_no_heap", MCK_T_BOOL, OP, "yes|no", YES_NO,
	  "mcexec --mpol-no-heap", "no", CFG(mpol_no_heap) },
	{ "mpol_no_stack", MCK_T_BOOL, OP, "yes|no", YES_NO,
	  "mcexec --mpol-no-stack", "no", CFG(mpol_no_stack) },
	{ "mpol_no_bss", MCK_T_BOOL, OP, "yes|no", YES_NO,
	  "mcexec --mpol-no-bss", "no", CFG(mpol_no_bss) },
	{ "mpol_shm_premap", MCK_T_BOOL, OP, "yes|no", YES_NO,
	  "mcexec --mpol-shm-premap", "no", CFG(mpol_shm_premap) },

	/* steps */
	{ "env", MCK_T_ENV, OP, "NAME=VALUE",
	  "NAME=VALUE with NAME of letters, digits and _, or nothing to empty the list",
	  "environment of every rank (repeatable)", "PMIX_MCA_gds=hash", CFG(env) },
	{ "instance_policy", MCK_T_CHOICE, OP, "per-job|per-step", "per-job or per-step",
	  "one instance for the whole job, or a fresh one for every step", "per-step",
	  CFG(instance_policy), .choices = instance_names },
	{ "require_exclusive", MCK_T_BOOL, OP, "yes|no", YES_NO,
	  "refuse jobs that do not hold whole nodes", "yes", CFG(require_exclusive) },
	{ "boot_report", MCK_T_BOOL, OP, "yes|no", YES_NO,
	  "one line per job on the first step's error output saying how McKernel was booted",
	  "yes", CFG(boot_report) },
	{ "reservation", MCK_T_CHOICE, OP, "per-job|keep", "per-job or keep",
	  "CPUs and memory go back to Linux after every job, or stay reserved for the next "
	  "job of the same plan", "per-job", CFG(reservation), .choices = reservation_names },
	{ "keep_idle", MCK_T_COUNT, OP, "SECONDS", "seconds from 0 to 604800",
	  "seconds a kept reservation may stay unused before it goes back to Linux", "300",
	  CFG(keep_idle), COUNT(0, MCK_KEEP_IDLE_MAX) },
	{ "container_mounts", MCK_T_MOUNTS, OP, "PATH[:ro|:rw],...",
	  "absolute paths, each with :ro or :rw (default), separated by commas, or nothing",
	  "more bind mounts for --mckernel container steps (libraries mcexec needs)", "",
	  CFG(container_mounts) },

	/* what users may change */
	{ "user_keys", MCK_T_USERKEYS, OP, "KEY[,KEY...]|all|none",
	  "a list of option keys, all, or none", "the --mckernel keys users may set", "all",
	  CFG(user_keys) },
	{ "max_mem_fraction", MCK_T_FRACTION, OP, "F", FRACTION_EXPECTED,
	  "largest mem=F; also the largest share of a node a mem=SIZE may come to", "0.9",
	  CFG(max_mem_fraction) },
	{ "max_mem_size", MCK_T_SIZE, OP, "SIZE", "a size such as 16G, or 0 for no limit",
	  "largest mem=SIZE, 0 for no limit", "0", CFG(max_mem_size) },
	{ "min_linux_cores", MCK_T_COUNT, OP, "N", "a core count from 1 to 1024",
	  "smallest linux_cores=N", "1", CFG(min_linux_cores), COUNT(1, MAXC) },
	{ "max_linux_cores", MCK_T_COUNT, OP, "N", "a core count from 1 to 1024, or 0 for no limit",
	  "largest linux_cores=N, 0 for no limit", "0", CFG(max_linux_cores), COUNT(0, MAXC) },
	{ "max_procs_per_node", MCK_T_COUNT, OP, "N",
	  "a process count from 1 to 1024, or 0 for no limit",
	  "largest procs=N, 0 for no limit", "0", CFG(max_procs_per_node), COUNT(0, MAXC) },

	/* what only users give */
	{ "mem", MCK_T_MEM, USER, "F|SIZE",
	  "a fraction of each NUMA node in (0, " MCK_MEM_FRACTION_MAX_TEXT "] with at most 6 "
	  "decimals such as 0.6, or a size with a unit (k, M, G, T) that is a multiple of 4M such as 8G",
	  "McKernel memory per NUMA node: fraction such as 0.6 or size such as 8G", NULL,
	  .opt = MCK_OPT_MEM,
	  .opts = { offsetof(struct mck_options, mem_mode), offsetof(struct mck_options, mem_fraction),
		    offsetof(struct mck_options, mem_size) } },
	{ "procs", MCK_T_COUNT, USER, "N", "a process count from 1 to 1024",
	  "processes per node, must match the step's tasks per node", NULL,
	  OPT(MCK_OPT_PROCS, procs), COUNT(1, MAXC) },
	{ "quiet", MCK_T_BOOL, USER, "yes|no", "yes or no (quiet alone: yes)",
	  "no line about the boot on the first step's error output; quiet alone is quiet=yes; "
	  "always allowed", NULL, OPT(MCK_OPT_QUIET, quiet) },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS <= MCK_SCHEMA_MAX_KEYS, "raise MCK_SCHEMA_MAX_KEYS");

const struct mck_key *mck_keys(size_t *n)
{
	*n = NKEYS;
	return keys;
}

/* name (len bytes) is k's name, read as a flag ('-' for '_') when as_flag. */
static int name_is(const struct mck_key *k, const char *name, size_t len, int as_flag)
{
	if (strlen(k->name) != len)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = as_flag && k->name[i] == '_' ? '-' : k->name[i];

		if (name[i] != c)
			return 0;
	}
	return 1;
}

const struct mck_key *mck_key_find(unsigned who, const char *name, size_t len)
{
	for (size_t i = 0; i < NKEYS; i++)
		if ((keys[i].who & who) && name_is(&keys[i], name, len, who == MCK_BY_MAPS))
			return &keys[i];
	return NULL;
}

const struct mck_key *mck_key_of_option(enum mck_opt_key key)
{
	for (size_t i = 0; i < NKEYS; i++)
		if ((keys[i].who & MCK_BY_USER) && keys[i].opt == key)
			return &keys[i];
	return NULL;
}

const char *mck_key_flag(const struct mck_key *k, char *buf, size_t len)
{
	size_t i = 0;

	snprintf(buf, len, "--%s", k->name);
	for (i = 2; buf[i]; i++)
		if (buf[i] == '_')
			buf[i] = '-';
	return buf;
}

const char *mck_group_names(enum mck_group g, unsigned who, char *buf, size_t len)
{
	size_t used = 0;
	char flag[64];

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < NKEYS && used < len; i++)
		if (keys[i].group == g && (keys[i].who & who))
			used += snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
					 who == MCK_BY_MAPS ? mck_key_flag(&keys[i], flag, sizeof(flag))
							    : keys[i].name);
	return buf;
}

/* ------------------------------------------------------ value syntax */

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

int mck_premap_parse(const char *s, uint64_t *size, uint64_t *max)
{
	const char *sep = strpbrk(s, ":,");
	char first[64];
	uint64_t a, b = 0;

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

/* A whole number min..max of digits only: no sign, no blank. */
static int parse_count(const char *s, long min, long max, long *out)
{
	if (!isdigit((unsigned char)*s))
		return -1;
	return mck_parse_long(s, min, max, out);
}

/* A size > 0 in IHK's 4 MiB units. */
static int parse_size4m(const char *s, uint64_t *out)
{
	if (mck_size_parse(s, out) || *out == 0 || *out % MCK_MEM_UNIT)
		return -1;
	return 0;
}

/* A memory fraction: 0, -EINVAL, or -ERANGE above IHK's cap. */
static int parse_fraction(const char *s, double *out)
{
	int rc = mck_mem_fraction_parse(s, out);

	return rc == -2 ? -ERANGE : rc ? -EINVAL : 0;
}

/* A fraction, or a size when the value ends in a unit. */
static int parse_mem(const char *s, struct mck_value *v)
{
	size_t n = strlen(s);

	if (n && isalpha((unsigned char)s[n - 1])) {
		v->n = MCK_MEM_SIZE;
		return parse_size4m(s, &v->size) ? -EINVAL : 0;
	}
	v->n = MCK_MEM_FRACTION;
	return parse_fraction(s, &v->fraction);
}

static int parse_choice(const char *const *names, const char *s, long *out)
{
	for (long i = 0; names[i]; i++)
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	return -1;
}

/*
 * NAME=VALUE: v->n is the length of NAME (spaces before '=' cut), v->size
 * the offset of VALUE (spaces after '=' skipped). "" (n 0) empties the list.
 */
static int parse_env(const char *s, struct mck_value *v)
{
	const char *eq = strchr(s, '=');
	size_t n;

	if (!*s)
		return 0;
	if (!eq)
		return -1;
	n = eq - s;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || n > MCK_ENV_NAME_MAX || isdigit((unsigned char)s[0]))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return -1;
	v->n = (long)n;
	for (eq++; isspace((unsigned char)*eq); eq++)
		;
	v->size = eq - s;
	return 0;
}

/* Option key names separated by commas or blanks, all, none or nothing. */
static int parse_user_keys(const char *s, unsigned *mask, struct mck_error *why)
{
	char all[256], word[80];

	*mask = 0;
	if (!strcmp(s, "none") || !*s)
		return 0;
	if (!strcmp(s, "all")) {
		*mask = MCK_OPT_ALL;
		return 0;
	}
	mck_option_keys_format(MCK_OPT_ALL, all, sizeof(all));
	while (*s) {
		const struct mck_key *k;
		size_t n;

		while (*s == ',' || isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		n = strcspn(s, ", \t");
		k = mck_key_find(MCK_BY_USER, s, n);
		if (!k) {
			snprintf(word, sizeof(word), "%.*s", (int)(n > 64 ? 64 : n), s);
			return mck_fail(why, -EINVAL,
					"unknown option key '%s': expected a list of %s, or all, or none",
					mck_quote(word, word, sizeof(word)), all);
		}
		if (*mask & MCK_OPT_BIT(k->opt))
			return mck_fail(why, -EINVAL, "key '%s' is listed twice", k->name);
		*mask |= MCK_OPT_BIT(k->opt);
		s += n;
	}
	return 0;
}

/* Every entry of a container_mounts list. */
static int parse_mounts(const char *s)
{
	size_t pos = 0;
	char *path;
	int ro, rc;

	while ((rc = mck_config_next_mount(s, &pos, &path, &ro)) > 0)
		free(path);
	return rc;
}

static int parse_value(const struct mck_key *k, const char *s, struct mck_value *v,
		       struct mck_error *why)
{
	enum mck_memonly_mode mode;
	int *cpus = NULL, n = 0, rc;

	switch (k->type) {
	case MCK_T_PATH:
		return *s == '/' || (k->empty_ok && !*s) ? 0 : -1;
	case MCK_T_STRING:
		return 0;
	case MCK_T_FRACTION:
		return parse_fraction(s, &v->fraction);
	case MCK_T_COUNT:
		return parse_count(s, k->min, k->max, &v->n);
	case MCK_T_SIZE:
		return mck_size_parse(s, &v->size);
	case MCK_T_SIZE4M:
		return parse_size4m(s, &v->size);
	case MCK_T_MEM:
		return parse_mem(s, v);
	case MCK_T_PREMAP:
		return mck_premap_parse(s, &v->size, &v->max);
	case MCK_T_BOOL:
		return parse_choice(bool_names, s, &v->n);
	case MCK_T_CHOICE:
		return parse_choice(k->choices, s, &v->n);
	case MCK_T_MEMONLY:
		rc = mck_memonly_parse(s, &mode, &v->bits, why);
		v->n = mode;
		return rc;
	case MCK_T_CPULIST: {
		struct mck_error ignored = { 0 };

		rc = mck_cpulist_parse(s, &cpus, &n, &ignored);
		free(cpus);
		return rc == -ENOMEM ? rc : rc ? -1 : 0;
	}
	case MCK_T_ENV:
		return parse_env(s, v);
	case MCK_T_USERKEYS:
		return parse_user_keys(s, &v->bits, why);
	case MCK_T_MOUNTS:
		return parse_mounts(s);
	}
	return -1;
}

int mck_key_parse(const struct mck_key *k, const char *s, struct mck_value *v,
		  struct mck_error *why)
{
	int rc;

	memset(v, 0, sizeof(*v));
	mck_error_clear(why);
	v->text = s;
	rc = parse_value(k, s, v, why);
	if (rc == -ENOMEM || rc == -ERANGE || rc == 0)
		return rc;
	return -EINVAL;
}

int mck_key_fail(struct mck_error *err, const struct mck_key *k, unsigned who,
		 const char *value, int rc, const struct mck_error *why)
{
	const char *detail = why && why->msg[0] ? why->msg : NULL;
	char q[80], flag[64];

	if (rc == -ENOMEM)
		return mck_fail(err, -ENOMEM, "out of memory");
	mck_quote(value, q, sizeof(q));
	switch (who) {
	case MCK_BY_USER:
		if (rc == -ERANGE)
			return mck_fail(err, -EINVAL, "--mckernel: %s=%s is above "
					MCK_MEM_FRACTION_MAX_TEXT ": %s; ask for at most %s="
					MCK_MEM_FRACTION_MAX_TEXT, k->name, q, MCK_MEM_FRACTION_WHY,
					k->name);
		return mck_fail(err, -EINVAL, "--mckernel: %s='%s' is not valid: %s%s", k->name, q,
				detail ? "" : "expected ", detail ? detail : k->expected);
	case MCK_BY_MAPS:
		mck_key_flag(k, flag, sizeof(flag));
		if (rc == -ERANGE)
			return mck_fail(err, -EINVAL, "%s %s is above " MCK_MEM_FRACTION_MAX_TEXT
					": %s", flag, q, MCK_MEM_FRACTION_WHY);
		return mck_fail(err, -EINVAL, "%s \"%s\": %s%s", flag, q,
				detail ? "" : "give ", detail ? detail : k->expected);
	default:
		if (rc == -ERANGE)
			return mck_fail(err, -EINVAL, "%s = %s is above " MCK_MEM_FRACTION_MAX_TEXT
					": %s", k->name, q, MCK_MEM_FRACTION_WHY);
		return mck_fail(err, -EINVAL, "%s = '%s': %s%s", k->name, q,
				detail ? "" : "expected ", detail ? detail : k->expected);
	}
}

void mck_key_format(const struct mck_key *k, const struct mck_value *v, char *buf, size_t len)
{
	char a[32], b[32];

	switch (k->type) {
	case MCK_T_PATH:
	case MCK_T_STRING:
	case MCK_T_CPULIST:
	case MCK_T_MOUNTS:
	case MCK_T_ENV:
		snprintf(buf, len, "%s", v->text ? v->text : "");
		break;
	case MCK_T_FRACTION:
		mck_fraction_format(v->fraction, buf, len);
		break;
	case MCK_T_COUNT:
		snprintf(buf, len, "%ld", v->n);
		break;
	case MCK_T_SIZE:
	case MCK_T_SIZE4M:
		mck_size_format(v->size, buf, len);
		break;
	case MCK_T_MEM:
		if (v->n == MCK_MEM_SIZE)
			mck_size_format(v->size, buf, len);
		else
			mck_fraction_format(v->fraction, buf, len);
		break;
	case MCK_T_PREMAP:
		mck_size_format(v->size, a, sizeof(a));
		mck_size_format(v->max, b, sizeof(b));
		snprintf(buf, len, "%s%s%s", a, v->max ? ":" : "", v->max ? b : "");
		break;
	case MCK_T_BOOL:
		snprintf(buf, len, "%s", v->n ? "yes" : "no");
		break;
	case MCK_T_CHOICE:
		snprintf(buf, len, "%s", k->choices[v->n]);
		break;
	case MCK_T_MEMONLY:
		mck_memonly_format((enum mck_memonly_mode)v->n, v->bits, buf, len);
		break;
	case MCK_T_USERKEYS:
		mck_option_keys_format(v->bits, buf, len);
		break;
	}
}

#define AT(type, base, off) ((type *)((char *)(base) + (off)))

void mck_key_store(const struct mck_key *k, const struct mck_value *v, void *base,
		   const size_t off[3])
{
	switch (k->type) {
	case MCK_T_FRACTION:
		*AT(double, base, off[0]) = v->fraction;
		break;
	case MCK_T_COUNT:
	case MCK_T_BOOL:
	case MCK_T_CHOICE:
		*AT(int, base, off[0]) = (int)v->n;
		break;
	case MCK_T_SIZE:
	case MCK_T_SIZE4M:
		*AT(uint64_t, base, off[0]) = v->size;
		break;
	case MCK_T_MEM:
		*AT(int, base, off[0]) = (int)v->n;
		if (v->n == MCK_MEM_SIZE)
			*AT(uint64_t, base, off[2]) = v->size;
		else
			*AT(double, base, off[1]) = v->fraction;
		break;
	case MCK_T_PREMAP:
		*AT(uint64_t, base, off[0]) = v->size;
		*AT(uint64_t, base, off[1]) = v->max;
		break;
	case MCK_T_MEMONLY:
		*AT(int, base, off[0]) = (int)v->n;
		*AT(unsigned, base, off[1]) = v->bits;
		break;
	case MCK_T_USERKEYS:
		*AT(unsigned, base, off[0]) = v->bits;
		break;
	case MCK_T_PATH:
	case MCK_T_STRING:
	case MCK_T_CPULIST:
	case MCK_T_MOUNTS:
	case MCK_T_ENV:
		break;
	}
}

void mck_key_load(const struct mck_key *k, const void *base, const size_t off[3],
		  struct mck_value *v)
{
	void *b = (void *)base;

	memset(v, 0, sizeof(*v));
	switch (k->type) {
	case MCK_T_FRACTION:
		v->fraction = *AT(double, b, off[0]);
		break;
	case MCK_T_COUNT:
	case MCK_T_BOOL:
	case MCK_T_CHOICE:
		v->n = *AT(int, b, off[0]);
		break;
	case MCK_T_SIZE:
	case MCK_T_SIZE4M:
		v->size = *AT(uint64_t, b, off[0]);
		break;
	case MCK_T_MEM:
		v->n = *AT(int, b, off[0]);
		v->fraction = *AT(double, b, off[1]);
		v->size = *AT(uint64_t, b, off[2]);
		break;
	case MCK_T_PREMAP:
		v->size = *AT(uint64_t, b, off[0]);
		v->max = *AT(uint64_t, b, off[1]);
		break;
	case MCK_T_MEMONLY:
		v->n = *AT(int, b, off[0]);
		v->bits = *AT(unsigned, b, off[1]);
		break;
	case MCK_T_USERKEYS:
		v->bits = *AT(unsigned, b, off[0]);
		break;
	case MCK_T_PATH:
	case MCK_T_STRING:
	case MCK_T_CPULIST:
	case MCK_T_MOUNTS:
		v->text = *AT(char *, b, off[0]);
		break;
	case MCK_T_ENV:
		break;
	}
}
