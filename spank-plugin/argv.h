/*
 * argv.h: the parts of the SPANK plugin that need no Slurm: the
 * --mckernel value parser and the rank command line builder. Kept apart
 * so that unit tests (spank-plugin/test-argv) exercise the same code the
 * plugin runs.
 */
#ifndef MCK_SPANK_ARGV_H
#define MCK_SPANK_ARGV_H

#include <stdint.h>

#include "mck-error.h"

/* What the user asked for with --mckernel[=KEY=VALUE,...]. */
struct mck_spank_opts {
	int requested;		/* --mckernel was given */
	/* issue 5 adds one member per user-settable key here */
};

/*
 * Parse the value of --mckernel (NULL or "" for the bare option) into
 * opts. Every KEY=VALUE item is looked up in a key table; an unknown key
 * or a bad value fails with -EINVAL and a message naming the key, the
 * value and what is allowed.
 */
int mck_spank_opts_parse(const char *value, struct mck_spank_opts *opts,
			 struct mck_error *err);

/* The keys --mckernel accepts, comma separated ("" when none yet). */
const char *mck_spank_opts_keys(void);

/*
 * Resolve a program name the way execvp(3) would: a name containing '/'
 * is taken as is (relative to cwd when not absolute); otherwise each
 * entry of path_env (NULL: "/bin:/usr/bin"; an empty entry is cwd) is
 * tried for an executable regular file. *out is malloc'd and absolute.
 * -ENOENT or -EACCES when nothing fits.
 */
int mck_spank_resolve_program(const char *name, const char *path_env,
			      const char *cwd, char **out, struct mck_error *err);

/*
 * The words that go in front of a rank's program:
 *   MCEXEC -n NTASKS -- [OS]          (OS only when not 0)
 * *words is malloc'd, NULL-terminated, each word malloc'd; *nwords counts
 * them. Free with mck_spank_argv_free.
 */
int mck_spank_prefix_words(const char *mcexec, uint32_t ntasks, int os,
			   char ***words, int *nwords, struct mck_error *err);

/*
 * The whole rank command line: prefix words, then program (already
 * resolved), then args[1..argc-1]. NULL-terminated, malloc'd.
 */
int mck_spank_build_argv(const char *mcexec, uint32_t ntasks, int os,
			 const char *program, int argc, char *const args[],
			 char ***out, int *outc, struct mck_error *err);

void mck_spank_argv_free(char **argv);

/*
 * The environment a --mckernel rank gets: a copy of env, each "NAME=VALUE"
 * of set[0..nset-1] (the operator's env list of mckernel.conf) replacing
 * NAME or appended, and OMP_NUM_THREADS=omp appended when omp is a
 * non-empty string and the result has no OMP_NUM_THREADS (the user's
 * value wins). NULL-terminated, malloc'd; free with mck_spank_argv_free.
 */
int mck_spank_build_env(char *const env[], char *const set[], int nset, const char *omp,
			char ***out, struct mck_error *err);

/* A rank's share of the LWK CPUs: lwk_cpus / ntasks, at least 1. */
int mck_spank_omp_threads(int lwk_cpus, uint32_t ntasks);

/* The value of NAME in a NULL-terminated environment, or NULL. */
const char *mck_spank_env_get(char *const env[], const char *name);

#endif
