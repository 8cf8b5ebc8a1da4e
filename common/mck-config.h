/*
 * mck-config.h: the operator configuration file (mckernel.conf).
 *
 * Format: "key = value" lines, '#' comments, global settings first and
 * then optional "[partition NAME]" sections that override them for jobs
 * of that Slurm partition. Every mistake is reported as FILE:LINE with
 * what was expected, and loading fails as a whole (fail closed).
 *
 * Where the file is: the explicit path given by the caller (plugstack.conf
 * argument config=, mckctl --config), else $SLURM_MCKERNEL_CONF, else
 * mckernel.conf beside $SLURM_CONF, else MCK_CONFDIR/mckernel.conf. A
 * missing file at a default location means built-in defaults; a missing
 * file that was named explicitly is an error.
 *
 * Section rules: every key may appear globally and in a partition section;
 * a partition's value replaces the global one. A key may be given once per
 * section, except env (repeatable). Of each group of alternatives
 * (linux_cores / linux_cores_per_package / linux_cpus, and mem_fraction /
 * mem_size / mem_keep) a section gives at most one; the one given last in
 * the lookup (partition over global over built-in) decides. env lines
 * EXTEND the list inherited so far (built-in PMIX_MCA_gds=hash, then the
 * global lines, then the partition's), an entry replacing one of the same
 * NAME; "env =" with nothing empties the list inherited so far.
 * Every partition section is checked, not only the one asked for.
 * The keys, their types, limits and built-in defaults are the rows of
 * common/mck-schema.c the operator may set (MCK_BY_OPERATOR); every value
 * is parsed there. doc/mckernel.conf.5 documents every key
 * (common/tests/test-schema checks it against the rows).
 */
#ifndef MCK_CONFIG_H
#define MCK_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mck-error.h"
#include "mck-lists.h"
#include "mck-schema.h"

/* When instances are booted. */
enum mck_reservation {
	MCK_RESERVATION_PER_JOB = 0,	/* CPUs and memory back to Linux after every job */
	MCK_RESERVATION_KEEP,		/* kept for the next job of the same plan */
};

enum mck_instance_policy {
	MCK_INSTANCE_PER_JOB = 0,	/* one instance for the whole job (prologue); reuse risks MPI crashes */
	MCK_INSTANCE_PER_STEP,		/* every step on a fresh instance: the prologue's for the
					   first, a new one for each step after it (default) */
};

#define MCK_CONFIG_MAX_ENV 64

struct mck_config {
	char *path;		/* file the settings came from, "" for defaults */
	char *partition;	/* partition applied, NULL for global only */
	int n_sections;		/* [partition] sections in the file: 0, every partition alike */

	char *libihk;		/* libihk.so to dlopen */
	char *mcexec;		/* mcexec launcher that wraps every rank */
	int mcexec_uti;		/* that mcexec is built with UTI (--enable-uti works) */
	char *mckctl;		/* node-side tool run by prologue/epilogue */
	char *image;		/* McKernel kernel image */
	char *kargs;		/* kernel arguments, must contain "hidos" */
	char *state_dir;	/* job records, topology cache, logs */
	char *device_dir;	/* where the IHK device files live (/dev) */
	char *topology;		/* hwloc XML of the node; "" = live machine (cached) */
	double mem_fraction;	/* share of each NUMA node's memory for McKernel */
	int boot_timeout;	/* seconds: boot until RUNNING */
	int shutdown_timeout;	/* seconds: shutdown and destroy */
	char *sysfs_dir;	/* where Linux's sysfs is (/sys): offline CPUs */
	int ihk_destroy_unbooted_safe; /* ihk_destroy_unbooted = safe: 1; crash (default): 0 */

	/*
	 * Planner policy defaults (hwloc-maps/mck-policy.h), in the planner's
	 * own modes (mck-schema.h).
	 */
	enum mck_keep_mode keep; /* which of the three keys below is in force */
	int linux_cores;	/* linux_cores or linux_cores_per_package, >= 1 */
	char *linux_cpus;	/* linux_cpus: CPU list kept for Linux, "" unless keep is CPULIST */
	int smt_one;		/* smt = one: 1; all: 0 */
	enum mck_mem_mode mem_mode; /* mem_fraction above, or one of the two below */
	uint64_t mem_size;	/* mem_size: bytes per NUMA node */
	uint64_t mem_keep;	/* mem_keep: bytes per NUMA node left to Linux */
	enum mck_memonly_mode memory_only_nodes;
	unsigned memory_only_kinds; /* with MCK_MEMONLY_KINDS: MCK_MEMKIND_* bits (default hbm) */
	enum mck_ikc_mode ikc;
	enum mck_cpu_kind_mode lwk_cpu_kind;
	enum mck_assistant_mode assistant_cores;

	/* mcexec defaults for every rank (0 / no: option not passed). */
	uint64_t mpol_threshold;
	uint64_t extend_heap_by;
	uint64_t stack_premap;
	uint64_t stack_premap_max;
	int uti;		/* --enable-uti */
	int disable_sched_yield;
	int mpol_no_heap;
	int mpol_no_stack;
	int mpol_no_bss;
	int mpol_shm_premap;

	/* Environment of --mckernel steps: n_env "NAME=VALUE" strings. */
	int n_env;
	char **env;

	/* What users may change (mck-options.h) and within which limits. */
	unsigned user_keys;	/* MCK_OPT_BIT(key) per key users may set */
	double max_mem_fraction; /* mem=F at most this */
	uint64_t max_mem_size;	/* mem=SIZE at most this; 0: no limit */
	int min_linux_cores;	/* linux_cores=N at least this */
	int max_linux_cores;	/* linux_cores=N at most this; 0: no limit */
	int max_procs_per_node;	/* procs=N at most this; 0: no limit */

	enum mck_instance_policy instance_policy;
	int require_exclusive;	/* refuse jobs that do not hold whole nodes */
	enum mck_reservation reservation;
	int keep_idle;		/* seconds a kept reservation may stay unused */
	char *metrics_file;	/* node exporter textfile; "" none */
	int boot_report;	/* tell the user how the boot went (first step), unless quiet */

	/* More bind mounts for --mckernel container steps (mck_config_next_mount). */
	char *container_mounts;
};

/* The default path, following the lookup order above. */
const char *mck_config_default_path(int *explicit_env);

/*
 * Load settings. path NULL: default lookup. partition NULL or "": global
 * settings only; otherwise that partition's section is applied too.
 */
int mck_config_load(const char *path, const char *partition,
		    struct mck_config *cfg, struct mck_error *err);

/*
 * The same from text in memory (len bytes, need not be NUL-terminated);
 * name is used in messages as the file name ("FILE:LINE: ...").
 */
int mck_config_load_buffer(const char *text, size_t len, const char *name,
			   const char *partition, struct mck_config *cfg,
			   struct mck_error *err);

void mck_config_free(struct mck_config *cfg);

/*
 * Set one key of cfg as a line of the file would (its parser, its group
 * of alternatives), for settings from elsewhere than a file: mck-maps's
 * flags. k must be one the operator or mck-maps may set. 0; or what
 * mck_key_parse returns, with why for mck_key_fail; -ENOSPC (why says
 * it) for an env list already full; -ENOMEM.
 */
int mck_config_set(struct mck_config *cfg, const struct mck_key *k, const char *value,
		   struct mck_error *why);

/*
 * One entry of a container_mounts list "PATH[:ro|:rw], ...": *pos starts
 * at 0. 1 with *path (malloc'd, absolute) and *readonly set, 0 at the end,
 * -EINVAL for a malformed entry, -ENOMEM.
 */
int mck_config_next_mount(const char *list, size_t *pos, char **path, int *readonly);

/*
 * IHK's rule for kernel arguments: the word "hidos" and at most 1023
 * bytes. 0, or -EINVAL with what is wrong in why (no FILE:LINE).
 */
int mck_config_kargs_check(const char *kargs, char *why, size_t len);

/* The value of NAME in cfg's env list, or NULL. */
const char *mck_config_getenv(const struct mck_config *cfg, const char *name);

/*
 * Write the effective settings, one "key = value" a line (env once per
 * entry); the output loads back to the same settings.
 */
void mck_config_print(const struct mck_config *cfg, FILE *out);

#endif
