/*
 * mck-schema.h: the one table of every setting of slurm-mckernel.
 *
 * A key has one row: its name, type, parser, limits, built-in default,
 * what a valid value looks like, a documentation line, and who may set
 * it: the operator in mckernel.conf (common/mck-config.h), the user with
 * --mckernel=KEY=VALUE (common/mck-options.h), and mck-maps with the flag
 * of the same name, '-' for '_' (--linux-cores for linux_cores).
 * Everything that reads a value of a key parses it here, so that a limit
 * or a syntax is written once; the help texts are written from the rows,
 * and common/tests/test-schema checks the man pages against them.
 *
 * Also here: the limits the rows use, and the policy's modes (which
 * cores stay with Linux, how memory is given, ...), one enum each, shared
 * by the configuration, the options and the planner (hwloc-maps).
 */
#ifndef MCK_SCHEMA_H
#define MCK_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "mck-error.h"
#include "mck-lists.h"

#define MCK_STR_(x) #x
#define MCK_STR(x) MCK_STR_(x)

/* ------------------------------------------------------------ limits */

/*
 * The largest share of a NUMA node's memory McKernel can be given: real
 * IHK stops reserving at 95% of a node (its sources' cap says 98%). The
 * one owner of that limit: mem=F, mem_fraction, max_mem_fraction,
 * --mem-fraction and the planner's own check all use it.
 */
#define MCK_MEM_CAP_PERCENT 95
#define MCK_MEM_FRACTION_MAX (MCK_MEM_CAP_PERCENT / 100.0)
#define MCK_MEM_FRACTION_MAX_TEXT "0." MCK_STR(MCK_MEM_CAP_PERCENT)
#define MCK_MEM_FRACTION_WHY \
	"IHK reserves at most " MCK_STR(MCK_MEM_CAP_PERCENT) "% of a NUMA node's memory"

/* Largest count accepted for linux_cores (any form), the core limits and procs. */
#define MCK_OPT_MAX_COUNT 1024

/* Longest keep_idle: a week. */
#define MCK_KEEP_IDLE_MAX 604800

/* Decimals a fraction may have ("0.123456"). */
#define MCK_FRACTION_DECIMALS 6

/* ------------------------------------------------------- policy modes */

/* Which cores stay with Linux. */
enum mck_keep_mode {
	MCK_KEEP_PER_NUMA = 0,	/* the first linux_cores cores of every NUMA node with CPUs */
	MCK_KEEP_PER_PACKAGE,	/* the first linux_cores cores of every package */
	MCK_KEEP_CPULIST,	/* exactly the CPUs of a list */
};

/* How much memory of each used NUMA node goes to McKernel. */
enum mck_mem_mode {
	MCK_MEM_FRACTION = 0,	/* a fraction of the node */
	MCK_MEM_SIZE,		/* a size per node */
	MCK_MEM_ALL_BUT,	/* everything but a size per node */
};

/*
 * Which Linux CPU serves an LWK CPU's offloaded system calls. A NUMA node
 * without a Linux CPU of its own is served by the nearest Linux CPUs
 * (same package, then NUMA distance).
 */
enum mck_ikc_mode {
	MCK_IKC_PER_NUMA = 0,	/* the first Linux CPU of the LWK CPU's NUMA node */
	MCK_IKC_SPREAD,		/* round-robin over the Linux CPUs of that NUMA node (default) */
};

/* Which CPU kinds (hwloc_cpukinds_*) McKernel may get on hybrid parts. */
enum mck_cpu_kind_mode {
	MCK_CPU_KIND_ALL = 0,		/* every kind */
	MCK_CPU_KIND_PERFORMANCE,	/* only the most performant kind; the others stay with Linux */
	MCK_CPU_KIND_AUTO,		/* default: PERFORMANCE when hwloc ranks the kinds, else ALL */
};

/*
 * Assistant cores: cores outside the regular compute groups (A64FX's
 * assistant cores: an L2/group of one core beside groups of 12).
 */
enum mck_assistant_mode {
	MCK_ASSISTANT_LINUX = 0,	/* default: they stay with Linux and serve system calls */
	MCK_ASSISTANT_LWK,		/* treated like every other core */
};

/* The keys users may set; bit (1u << key) in mck_options.set and mck_config.user_keys. */
enum mck_opt_key {
	MCK_OPT_MEM = 0,
	MCK_OPT_LINUX_CORES,
	MCK_OPT_SMT,
	MCK_OPT_PROCS,
	MCK_OPT_MPOL_THRESHOLD,
	MCK_OPT_EXTEND_HEAP_BY,
	MCK_OPT_STACK_PREMAP,
	MCK_OPT_UTI,
	MCK_OPT_QUIET,		/* display only: always allowed (not subject to user_keys) */
	MCK_OPT_NKEYS
};

#define MCK_OPT_BIT(key) (1u << (key))
#define MCK_OPT_ALL ((1u << MCK_OPT_NKEYS) - 1)

/* --------------------------------------------------------------- keys */

/* Who may set a key (mck_key.who). */
#define MCK_BY_OPERATOR 0x1u	/* mckernel.conf: key = value */
#define MCK_BY_USER	0x2u	/* --mckernel=key=value */
#define MCK_BY_MAPS	0x4u	/* mck-maps --key-with-dashes value */

enum mck_type {
	MCK_T_PATH,	/* absolute path */
	MCK_T_STRING,	/* any text */
	MCK_T_FRACTION,	/* decimal in (0, MCK_MEM_FRACTION_MAX] */
	MCK_T_COUNT,	/* whole number min..max */
	MCK_T_SIZE,	/* size with optional unit (k, M, G, T), 0 allowed */
	MCK_T_SIZE4M,	/* size > 0, a multiple of 4 MiB */
	MCK_T_MEM,	/* a fraction as MCK_T_FRACTION, or a size with a unit as MCK_T_SIZE4M */
	MCK_T_PREMAP,	/* SIZE, SIZE:MAX or SIZE,MAX */
	MCK_T_BOOL,	/* yes | no */
	MCK_T_CHOICE,	/* one of choices[]: its index */
	MCK_T_MEMONLY,	/* include | exclude | memory kinds (mck-lists.h) */
	MCK_T_CPULIST,	/* CPU list */
	MCK_T_ENV,	/* NAME=VALUE, or nothing (mckernel.conf: empties the list) */
	MCK_T_USERKEYS,	/* user key names, all, none */
	MCK_T_MOUNTS,	/* PATH[:ro|:rw], ... or nothing (mck_config_next_mount) */
};

/* Groups of alternative keys: one of them decides. */
enum mck_group { MCK_G_NONE = 0, MCK_G_KEEP, MCK_G_MEM, MCK_G_COUNT };

struct mck_key {
	const char *name;
	enum mck_type type;
	unsigned who;			/* MCK_BY_* */
	const char *arg;		/* the value in help texts: "N", "all|one" */
	const char *expected;		/* what a valid value is, in error messages */
	const char *doc;		/* one line: what the key does */
	const char *def;		/* built-in default as text; NULL: zero / empty */
	long min, max;			/* MCK_T_COUNT */
	const char *const *choices;	/* MCK_T_CHOICE: names by value, NULL-terminated */
	enum mck_group group;		/* MCK_G_KEEP: sets keep; MCK_G_MEM: sets mem_mode */
	int mode;			/* the enum mck_keep_mode / mck_mem_mode it selects */
	enum mck_opt_key opt;		/* MCK_BY_USER: the user key */
	int empty_ok;			/* MCK_T_PATH: "" (nothing) is valid too */
	/*
	 * Where the value goes (mck_key_store): fields of struct mck_config
	 * (MCK_BY_OPERATOR, MCK_BY_MAPS) and of struct mck_options
	 * (MCK_BY_USER). One field, or: MCK_T_PREMAP size and maximum,
	 * MCK_T_MEMONLY mode and kinds, MCK_T_MEM mode, fraction and size.
	 */
	size_t cfg[3];
	size_t opts[3];
};

/*
 * A parsed value. Scalars: n (count, yes/no, choice index, memonly mode,
 * MCK_T_MEM's enum mck_mem_mode), bits (memory kinds, user keys), fraction,
 * size and max (MCK_T_PREMAP); text is the value as given. MCK_T_ENV: n
 * is the length of NAME (0: the empty value), size the offset of VALUE
 * in text.
 */
struct mck_value {
	long n;
	unsigned bits;
	double fraction;
	uint64_t size, max;
	const char *text;
};

/* At most this many rows (for tables indexed by row). */
#define MCK_SCHEMA_MAX_KEYS 64

/* Longest NAME of an env entry. */
#define MCK_ENV_NAME_MAX 128

/* Every row, in the order mckernel.conf prints them; *n gets the count. */
const struct mck_key *mck_keys(size_t *n);

/*
 * The key of name (len bytes) that who may set, or NULL. For MCK_BY_MAPS
 * name is the flag without "--" ("linux-cores").
 */
const struct mck_key *mck_key_find(unsigned who, const char *name, size_t len);

/* The row of a user key. */
const struct mck_key *mck_key_of_option(enum mck_opt_key key);

/*
 * Parse s as k's value. 0; -EINVAL when malformed (why may say more than
 * k->expected: a memory kind, a user key), -ERANGE for a fraction above
 * MCK_MEM_FRACTION_MAX; -ENOMEM.
 */
int mck_key_parse(const struct mck_key *k, const char *s, struct mck_value *v,
		  struct mck_error *why);

/*
 * The message for a value mck_key_parse refused (rc, why), in the words
 * of one interface (MCK_BY_*): "key = 'v': expected ..." (mckernel.conf,
 * the caller adds FILE:LINE), "--mckernel: key='v' is not valid: expected
 * ...", "--flag \"v\": give ...". Returns -EINVAL (-ENOMEM for rc -ENOMEM).
 */
int mck_key_fail(struct mck_error *err, const struct mck_key *k, unsigned who,
		 const char *value, int rc, const struct mck_error *why);

/* The canonical text of v, which parses back to the same value. */
void mck_key_format(const struct mck_key *k, const struct mck_value *v, char *buf, size_t len);

/*
 * Store v into / load it from base, a struct mck_config (off = k->cfg) or
 * a struct mck_options (off = k->opts). Scalar types only: not
 * MCK_T_PATH, MCK_T_STRING, MCK_T_CPULIST, MCK_T_MOUNTS, MCK_T_ENV
 * (mck-config owns their memory).
 */
void mck_key_store(const struct mck_key *k, const struct mck_value *v, void *base,
		   const size_t off[3]);
void mck_key_load(const struct mck_key *k, const void *base, const size_t off[3],
		  struct mck_value *v);

/* The mck-maps flag of k: "--linux-cores". */
const char *mck_key_flag(const struct mck_key *k, char *buf, size_t len);

/*
 * The keys of group g who may set, joined by ", ": "linux_cores,
 * linux_cores_per_package, linux_cpus" (as flags for MCK_BY_MAPS).
 */
const char *mck_group_names(enum mck_group g, unsigned who, char *buf, size_t len);

/* ------------------------------------------------------ value syntax */

/*
 * A plain decimal number ("0.6", "1", ".5"): at most 9 digits before and
 * MCK_FRACTION_DECIMALS after the point; no sign, exponent, nan or inf.
 */
int mck_fraction_parse(const char *s, double *out);
/*
 * A memory fraction: 0 when s is one in (0, MCK_MEM_FRACTION_MAX], -2
 * when it is in (MCK_MEM_FRACTION_MAX, 1] (IHK cannot give that much),
 * -1 for anything else.
 */
int mck_mem_fraction_parse(const char *s, double *out);
/* d with at most MCK_FRACTION_DECIMALS decimals, trailing zeros cut. */
void mck_fraction_format(double d, char *buf, size_t len);
/* "SIZE", "SIZE:MAX" or "SIZE,MAX"; sizes as mck_size_parse, MAX > 0 and >= SIZE. */
int mck_premap_parse(const char *s, uint64_t *size, uint64_t *max);
/* Copy s for a message: at most 64 characters, non-printable bytes as '?'. */
const char *mck_quote(const char *s, char *buf, size_t len);

#endif
