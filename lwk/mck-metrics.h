/*
 * mck-metrics.h: what the node's lifecycle counts, for Prometheus. The
 * samples live in STATE_DIR/metrics.state ("NAME{LABELS} VALUE" lines,
 * root, 0644, changed under STATE_DIR/metrics.lock by whoever counts:
 * mckctl boot and teardown, the prologue and epilogue when they drain,
 * the health check when it drains). mck_metrics_write turns them into a
 * text file in the format of node exporter's textfile collector (# HELP,
 * # TYPE, one sample a line, no timestamps), written atomically (a
 * temporary file in the same directory, then rename).
 *
 * Families (slurm_mckernel_...):
 *   boots_total, boot_failures_total{reason}, teardowns_total,
 *   teardown_failures_total, drains_total, reservations_reused_total
 *   (counters); last_boot_seconds{job}, last_teardown_seconds{job},
 *   kept_reservation_cpus, kept_reservation_bytes, instances (gauges).
 */
#ifndef MCK_METRICS_H
#define MCK_METRICS_H

#include "mck-error.h"

#define MCK_METRICS_PREFIX "slurm_mckernel_"

/* Add delta to the counter NAME{LABELS} (e.g. "boot_failures_total{reason=\"x\"}"). */
int mck_metrics_add(const char *state_dir, const char *sample, double delta);
/*
 * Set the gauge NAME{LABELS}; with only_one, the family keeps no other
 * sample (the last job's time replaces the one before).
 */
int mck_metrics_set(const char *state_dir, const char *sample, double value, int only_one);

/*
 * Write the node's samples, and the lines of extra (samples of the gauges
 * only IHK knows, "NAME VALUE\n" each, may be NULL), to path atomically.
 */
int mck_metrics_write(const char *state_dir, const char *path, const char *extra,
		      struct mck_error *err);

#endif
