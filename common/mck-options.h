/*
 * mck-options.h: what a user may ask for with --mckernel[=KEY=VALUE,...].
 *
 *   --mckernel                     the partition's defaults (mckernel.conf)
 *   --mckernel=mem=0.6,smt=one     change only what mckernel.conf allows
 *
 * The keys (mem, linux_cores, smt, procs and the mcexec options) are the
 * rows of common/mck-schema.c that users may set (MCK_BY_USER): each
 * value is parsed there, and mck_options_help() is written from them.
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
#include "mck-schema.h"

struct mck_config;

/* Longest --mckernel value accepted. */
#define MCK_OPTIONS_MAX_LEN 1024

/* The parsed options; holds no allocated memory. */
struct mck_options {
	unsigned set;			/* MCK_OPT_BIT(key) for each key given */
	enum mck_mem_mode mem_mode;	/* mem: MCK_MEM_FRACTION or MCK_MEM_SIZE */
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
	int quiet;			/* quiet or quiet=yes: 1 (no boot line for the user) */
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

#endif
