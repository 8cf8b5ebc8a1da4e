/*
 * mck-logline.h: the node-side log line of slurm-mckernel, one format for
 * STATE_DIR/log/lifecycle.log (mckctl) and STATE_DIR/log/prolog.log
 * (mck-prologue, mck-epilogue):
 *
 *   2024-05-01T12:00:00 pid=4242 mckctl: job 17: ihk_os_boot(0) ok 2210.00 ms
 */
#ifndef MCK_LOGLINE_H
#define MCK_LOGLINE_H

#include <stdio.h>

/* The line with its time stamp and pid to f, flushed. */
void mck_log_line(FILE *f, const char *line);

/* The same appended to path (created 0644 with its directory); 0 or -errno. */
int mck_log_append(const char *path, const char *line);

#endif
