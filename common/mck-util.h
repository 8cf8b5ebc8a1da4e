/* mck-util.h: small helpers shared by every part. */
#ifndef MCK_UTIL_H
#define MCK_UTIL_H

#include <stddef.h>
#include <stdint.h>
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

/* Strict decimal parsers: whole string, range-checked. 0 or -1. */
int mck_parse_long(const char *s, long min, long max, long *out);
int mck_parse_ulong(const char *s, unsigned long *out);

/*
 * Wait up to timeout_ms (-1: forever) for child pid to end, waking as soon
 * as it does (pidfd where the kernel has it, short polls otherwise).
 * 0 with *status filled, -ETIMEDOUT when still running, or -errno.
 */
int mck_wait_pid(pid_t pid, int timeout_ms, int *status);

#endif
