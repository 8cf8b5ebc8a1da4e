/*
 * mck-options.h: what a user may ask for with --mckernel[=KEY=VALUE,...].
 *
 *   --mckernel                     the partition's defaults (mckernel.conf)
 *   --mckernel=mem=0.6,smt=one     change only what mckernel.conf allows
 *
 * Keys (documented in mck_options_help() and spank_mckernel(8)):
 *   mem=F|SIZE          McKernel's memory per NUMA node: a fraction in
 *                       (0, MCK_MEM_FRACTION_MAX] such as 0.6, or a size
 *                       with a unit such as 8G
 *   linux_cores=N       cores kept for Linux per NUMA node (or per package,
 *                       following the partition's linux_cores_per_package)
 *   smt=all|one         McKernel uses every hardware thread of its cores, or one
 *   procs=N             processes per node sharing the instance (mcexec -n N);
 *                       must match the step's tasks on each node
 *   mpol_threshold=SIZE mcexec --mpol-threshold (0: mcexec's default)
 *   extend_heap_by=SIZE mcexec --extend-heap-by (0: mcexec's default)
 *   stack_premap=SIZE[:MAX]
 *                       mcexec --stack-premap=SIZE[,MAX] (0: mcexec's default)
 *   uti=yes|no          mcexec --enable-uti; only where the partition's mcexec
 *                       is built with UTI (mckernel.conf mcexec_uti = yes)
 *
 * The parser is strict: an unknown key, a malformed value or a key given
 * twice is refused with a message naming the key, the value and what is
 * allowed. mck_options_check then applies the operator's rules
 * (user_keys and the limits of mckernel.conf).
 */
#ifndef MCK_OPTIONS_H
#define MCK_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "mck-error.h"

struct mck_config;

/* Option keys; bit (1u << key) in mck_options.set and mck_config.user_keys. */
enum mck_opt_key {
	MCK_OPT_MEM = 0,
	MCK_OPT_LINUX_CORES,
	MCK_OPT_SMT,
	MCK_OPT_PROCS,
	MCK_OPT_MPOL_THRESHOLD,
	MCK_OPT_EXTEND_HEAP_BY,
	MCK_OPT_STACK_PREMAP,
	MCK_OPT_UTI,
	MCK_OPT_NKEYS
};

#define MCK_OPT_BIT(key) (1u << (key))
#define MCK_OPT_ALL ((1u << MCK_OPT_NKEYS) - 1)

/* Longest --mckernel value accepted. */
#define MCK_OPTIONS_MAX_LEN 1024

/* Largest count accepted for linux_cores and procs. */
#define MCK_OPT_MAX_COUNT 1024

#define MCK_STR_(x) #x
#define MCK_STR(x) MCK_STR_(x)

/*
 * The largest share of a NUMA node's memory McKernel can be given: real
 * IHK stops reserving at 95% of a node (its sources' cap says 98%). The
 * one owner of that limit: mem=F, mem_fraction and max_mem_fraction are
 * all checked against it (mck_mem_fraction_check).
 */
#define MCK_MEM_FRACTION_MAX 0.95
#define MCK_MEM_FRACTION_MAX_TEXT MCK_STR(MCK_MEM_FRACTION_MAX)
#define MCK_MEM_FRACTION_WHY \
	"IHK reserves at most 95% of a NUMA node's memory"

/* The parsed options; holds no allocated memory. */
struct mck_options {
	unsigned set;			/* MCK_OPT_BIT(key) for each key given */
	int mem_is_size;		/* mem: 1 size (mem_size), 0 fraction */
	double mem_fraction;		/* mem=F */
	uint64_t mem_size;		/* mem=SIZE, bytes per NUMA node */
	int linux_cores;		/* linux_cores=N */
	int smt_one;			/* smt=one: 1, smt=all: 0 */
	int procs;			/* procs=N */
	uint64_t mpol_threshold;	/* bytes, 0 = not passed */
	uint64_t extend_heap_by;	/* bytes, 0 = not passed */
	uint64_t stack_premap;		/* bytes, 0 = not passed */
	uint64_t stack_premap_max;	/* bytes, 0 = no maximum given */
	int uti;			/* uti=yes: 1 */
};

/* The key's name ("mem"), or NULL. */
const char *mck_option_key_name(enum mck_opt_key key);
/* The key of a name, or -1. */
int mck_option_key_find(const char *name, size_t len);
/* "mem, linux_cores" for the bits in mask, "none" for 0, into buf. */
void mck_option_keys_format(unsigned mask, char *buf, size_t len);

/*
 * Parse the value of --mckernel. NULL or "" is the option alone (no key
 * set). On error opts is left zeroed and err names the key, the value
 * and what is allowed.
 */
int mck_options_parse(const char *text, struct mck_options *opts,
		      struct mck_error *err);

/*
 * Apply the operator's rules of the partition cfg was loaded for: keys
 * not listed in user_keys and values outside the limits are refused.
 */
int mck_options_check(const struct mck_options *opts,
		      const struct mck_config *cfg, struct mck_error *err);

/* Canonical text of opts ("mem=0.6,smt=one"); parses back to the same. */
int mck_options_format(const struct mck_options *opts, char *buf, size_t len);

/* One text listing the keys, for --mckernel's help string. */
const char *mck_options_help(void);

/*
 * The mcexec options for these user options over the partition's
 * defaults in cfg: a NULL-terminated malloc'd array of malloc'd words
 * such as "--mpol-threshold=1048576" (each value its own word, formatted
 * from validated numbers), without the mcexec path, -n or "--". opts may
 * be NULL (partition defaults only). Free with mck_argv_free (mck-util.h).
 */
int mck_options_mcexec_args(const struct mck_options *opts,
			    const struct mck_config *cfg, char ***argv,
			    int *argc, struct mck_error *err);

/* Value syntax shared with mck-config.c. */
/*
 * A memory fraction: 0 when s is one in (0, MCK_MEM_FRACTION_MAX], -2
 * when it is in (MCK_MEM_FRACTION_MAX, 1] (IHK cannot give that much),
 * -1 for anything else (see mck_fraction_parse).
 */
int mck_mem_fraction_parse(const char *s, double *out);
/*
 * A plain decimal number ("0.6", "1", ".5"): at most 9 digits before and
 * MCK_FRACTION_DECIMALS after the point; no sign, exponent, nan or inf.
 */
#define MCK_FRACTION_DECIMALS 6
int mck_fraction_parse(const char *s, double *out);
/* d with at most MCK_FRACTION_DECIMALS decimals, trailing zeros cut. */
void mck_fraction_format(double d, char *buf, size_t len);
/* "SIZE" or "SIZE:MAX" (also "SIZE,MAX" when comma is true); sizes as mck_size_parse. */
int mck_premap_parse(const char *s, int comma, uint64_t *size, uint64_t *max);
/* Copy s for a message: at most 64 characters, non-printable bytes as '?'. */
const char *mck_quote(const char *s, char *buf, size_t len);

#endif
