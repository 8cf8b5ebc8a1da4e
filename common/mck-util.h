/* mck-util.h: small helpers shared by every part. */
#ifndef MCK_UTIL_H
#define MCK_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "mck-error.h"

/* Monotonic clock in milliseconds (double for sub-ms step timings). */
double mck_now_ms(void);

/* mkdir -p with mode for every directory created. */
int mck_mkdir_p(const char *path, mode_t mode, struct mck_error *err);

/* Write a file atomically (temporary file + rename) with the given mode. */
int mck_write_file_atomic(const char *path, const char *data, size_t len,
			  mode_t mode, struct mck_error *err);

/* Read a whole (small) file; malloc'd, NUL-terminated. */
int mck_read_file(const char *path, char **data, size_t *len, struct mck_error *err);

/* s without leading and trailing white space (the end cut in place). */
char *mck_trim(char *s);

/* Strict decimal parsers: whole string, range-checked. 0 or -1. */
int mck_parse_long(const char *s, long min, long max, long *out);
int mck_parse_ulong(const char *s, unsigned long *out);

/*
 * Wait up to timeout_ms (-1: forever) for child pid to end, waking as soon
 * as it does (pidfd where the kernel has it, short polls otherwise).
 * 0 with *status filled, -ETIMEDOUT when still running, or -errno.
 */
int mck_wait_pid(pid_t pid, int timeout_ms, int *status);

/* What mck_run_bounded() does besides collecting the child's stderr. */
#define MCK_RUN_STDOUT		1	/* stdin /dev/null, stdout collected too (else both stay ours) */
#define MCK_RUN_TAIL		2	/* keep the last len - 1 bytes (else the first) */
#define MCK_RUN_EXEC_ERROR	4	/* a failed execv says "cannot run ARGV0: ..." on stderr */

/*
 * Run argv[0] with argv (execv, no shell), its output collected as flags
 * say into out (bounded, NUL-terminated; may be NULL), killed after
 * timeout_s seconds (*timed_out then 1). Returns the wait status, or -1
 * (errno) when it could not run.
 */
int mck_run_bounded(char *const argv[], int flags, char *out, size_t len, int timeout_s,
		    int *timed_out);
/* The same with exactly the environment envp (NULL: this process's). */
int mck_run_bounded_env(char *const argv[], char *const envp[], int flags, char *out,
			size_t len, int timeout_s, int *timed_out);

/* "PROG: MESSAGE" (printf) and a newline on stderr; returns 1, an exit status. */
int mck_complain(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * A Slurm partition name we accept (names reach file paths and logs):
 * 1 to 64 of A-Z a-z 0-9 _ - .
 */
int mck_valid_partition(const char *s);

/* s as a JSON string ("..." with escapes; control characters as \uXXXX), NULL as null. */
void mck_json_string(FILE *out, const char *s);

/*
 * hwloc's plugins (GL, OpenCL, PCI, libxml2...) describe devices no plan
 * looks at, and loading them costs milliseconds in every short-lived
 * node-side process: blacklist them before hwloc_topology_init, unless the
 * operator has set HWLOC_PLUGINS_BLACKLIST. hwloc's built-in XML reader
 * and its CPU and NUMA discovery remain.
 */
void mck_hwloc_skip_device_plugins(void);

/* Free a NULL-terminated vector of malloc'd strings (NULL is fine). */
void mck_argv_free(char **argv);

#endif
