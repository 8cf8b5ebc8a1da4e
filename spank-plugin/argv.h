/*
 * argv.h: the parts of the SPANK plugin that need no Slurm: the rank
 * command line builder and the --multi-prog file parser. Kept apart
 * so that unit tests (spank-plugin/tests/test-argv) exercise the same code the
 * plugin runs.
 */
#ifndef MCK_SPANK_ARGV_H
#define MCK_SPANK_ARGV_H

#include <stdint.h>

#include "mck-error.h"
#include "mck-util.h"

/*
 * The value of --mckernel as the plugin receives it: NULL for the option
 * alone. A bare --mckernel given to sbatch/salloc reaches the job's steps
 * as the text "(null)" (Slurm 22.05 prints the missing argument with %s),
 * and "--mckernel=" as "": both mean the option alone. The value itself
 * is parsed by common/mck-options (mck_options_parse).
 */
const char *mck_spank_option_text(const char *value);

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
 *   MCEXEC -n NTASKS -- OS
 * OS, the instance index, is always given (also 0): real mcexec reads a
 * leading decimal word after its options, also right after "--", as the
 * index, so a program named "3dfft" must never come first.
 * *words is malloc'd, NULL-terminated, each word malloc'd; *nwords counts
 * them. Free with mck_argv_free.
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

/*
 * The same with the partition's and user's mcexec options (extra[0..
 * nextra-1], from mck_options_mcexec_args) between MCEXEC and -n:
 *   MCEXEC EXTRA... -n NTASKS -- OS [PROGRAM ARGS...]
 * program NULL: only the prefix words. Each extra word must start with
 * "--" (an mcexec option), so that none can be taken for the program.
 */
int mck_spank_build_argv_ex(const char *mcexec, char *const extra[], int nextra,
			    uint32_t ntasks, int os, const char *program, int argc,
			    char *const args[], char ***out, int *outc,
			    struct mck_error *err);


/*
 * --multi-prog (srun). Slurm 22.05 gives every task of such a step the
 * step's argv: [0] the configuration file's name, [1] its whole text (srun
 * read it), [2..] further srun arguments; slurmstepd would pick the task's
 * line itself. This does the same for global task rank `rank`:
 *   - one entry a line: RANKS PROGRAM [ARGS...]; RANKS is '*' or a list
 *     of ranks and ranges "0-3,5"; the first line naming the rank wins;
 *     every line is checked, so a bad file fails every rank alike;
 *   - '#' starts a comment line; blank lines are skipped; a line ending
 *     with '\' continues on the next;
 *   - words are separated by blanks; '...' quotes (nothing is expanded
 *     inside), a backslash keeps the next character ('a\ b' is one word),
 *     double quotes are ordinary characters: as slurmstepd reads the file
 *     without --mckernel (and on Slurm 23.11+, which picks the line itself);
 *   - %t in a word becomes the rank, %o its offset within the line's
 *     RANKS (rank - first rank of its range + ranks of earlier ranges;
 *     for '*' the rank itself);
 *   - extra[0..nextra-1] (step argv[2..]) are appended.
 * *out is the program and its arguments, NULL-terminated, malloc'd.
 * -ENOENT when no line names the rank, -EINVAL for a malformed file
 * (message with the line number).
 */
#define MCK_SPANK_MULTIPROG_MAX 65536
int mck_spank_multiprog_argv(const char *config, uint32_t rank, char *const extra[],
			     int nextra, char ***out, int *outc, struct mck_error *err);

/*
 * Is a step with this argv a --multi-prog step (see above)? file_text is
 * the content of the file argv[0] as the task reads it, or NULL when it
 * cannot be read. 1 when: argc >= 2 and argv[1] equals file_text, or the
 * file cannot be read by the task, argv[0] is not an executable program
 * and argv[1] parses as a multi-prog configuration (rank is only used
 * for that parse). An executable argv[0] whose text is not argv[1] is
 * always an ordinary program.
 */
int mck_spank_is_multiprog(int argc, char *const argv[], const char *file_text,
			   int argv0_executable, uint32_t rank);

/*
 * The environment a --mckernel rank gets: a copy of env, each "NAME=VALUE"
 * of set[0..nset-1] (the operator's env list of mckernel.conf) replacing
 * NAME or appended, and OMP_NUM_THREADS=omp appended when omp is a
 * non-empty string and the result has no OMP_NUM_THREADS (the user's
 * value wins). NULL-terminated, malloc'd; free with mck_argv_free.
 */
int mck_spank_build_env(char *const env[], char *const set[], int nset, const char *omp,
			char ***out, struct mck_error *err);

/* A rank's share of the LWK CPUs: lwk_cpus / ntasks, at least 1. */
int mck_spank_omp_threads(int lwk_cpus, uint32_t ntasks);

/* The value of NAME in a NULL-terminated environment, or NULL. */
const char *mck_spank_env_get(char *const env[], const char *name);

#endif
