/*
 * mck-error.h: one error value carried up through every layer.
 *
 * Library functions of slurm-mckernel return 0 on success or a negative
 * errno, and describe what went wrong (and what to fix) in a mck_error.
 */
#ifndef MCK_ERROR_H
#define MCK_ERROR_H

#include <stddef.h>

struct mck_error {
	int code;		/* negative errno, 0 when unset */
	char msg[1024];		/* one line, no trailing newline */
};

/* Record an error; returns code (a negative errno) for `return mck_fail(...)`. */
int mck_fail(struct mck_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepend context ("boot: ") to an error already set. */
void mck_error_prefix(struct mck_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void mck_error_clear(struct mck_error *err);

#endif
