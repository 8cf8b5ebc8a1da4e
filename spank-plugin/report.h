/*
 * report.h: the one line per job that tells the user how McKernel booted
 * (see report.c for how the nodes' figures reach srun).
 */
#ifndef MCK_REPORT_H
#define MCK_REPORT_H

#include <stddef.h>

#include <slurm/spank.h>

/* What srun gives its tasks: "PORT:TOKEN" of its listener. */
#define MCK_REPORT_ENV "SLURM_MCKERNEL_REPORT"
/* In srun's environment, non-empty and not "0"/"no": no line (as --mckernel=quiet). */
#define MCK_REPORT_QUIET_ENV "SLURM_MCKERNEL_QUIET"

struct mck_spank_ctx;

/* srun, local_user_init: listen and tell the tasks where; 0 or -1 (no line then). */
int mck_report_listen(spank_t sp, struct mck_spank_ctx *ctx);
/* srun, exit: stop listening, print what came if not printed yet. */
void mck_report_finish(struct mck_spank_ctx *ctx);
/* A node's first task, as the user: send ctx->node_report to srun (never fails). */
void mck_report_send(const struct mck_spank_ctx *ctx, char **env);

/*
 * The lines for the user from the nodes' "NODE boot_ms=MS;cpus=N;mem=LIST;
 * kmsg=PATH" lines: one per distinct plan (CPUs and memory), with the
 * count of nodes and the longest boot; "(k of N nodes reported)" when
 * fewer than nnodes (> 0) came. Lines that do not parse are left out.
 * Returns how many lines (plans) went to out.
 */
int mck_report_summary(char *const *lines, int n, int nnodes, char *out, size_t len);

#endif
