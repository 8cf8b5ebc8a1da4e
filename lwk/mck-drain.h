/*
 * mck-drain.h: drain this node in Slurm with a reason that names what is
 * stuck, for mck-healthcheck (HealthCheckProgram) and for mck-prologue /
 * mck-epilogue when they cannot make the node clean.
 *
 * slurmctld drains a node whose Prolog/Epilog failed with the fixed reason
 * "Prolog error"/"Epilog error" when the script has exited, replacing any
 * reason set before. So mck_drain_node_persist() drains now and leaves a
 * detached watcher (bounded) that puts our reason back once slurmctld has
 * written its own.
 *
 * scontrol is run with fork/execv (no shell), bounded by a timeout; it is
 * looked up in $PATH, then BINDIR, /usr/bin, /usr/local/bin.
 */
#ifndef MCK_DRAIN_H
#define MCK_DRAIN_H

#include <stddef.h>

/* Reasons start with this; the watcher knows its own reason by it. */
#define MCK_DRAIN_PREFIX "mckernel: "

/* Longest reason handed to Slurm (bytes, prefix included). */
#define MCK_DRAIN_REASON_MAX 256

/*
 * "mckernel: " + text made one line (newlines become "; ", other control
 * characters spaces), truncated to MCK_DRAIN_REASON_MAX - 1 bytes.
 */
void mck_drain_reason(const char *text, char *buf, size_t len);

/* scontrol's path: $PATH, then BINDIR, /usr/bin, /usr/local/bin. 0 or -1. */
int mck_scontrol_path(char *buf, size_t len);

/*
 * This node's Slurm name: $SLURMD_NODENAME, else the short host name.
 * 0, or -1 when neither is usable.
 */
int mck_drain_node_name(char *buf, size_t len);

/*
 * scontrol update NodeName=NODE State=DRAIN Reason=REASON (reason made
 * with mck_drain_reason from text). 0 on success, else -1 with a one-line
 * error in errbuf.
 */
int mck_drain_node(const char *node, const char *text, int timeout_s,
		   char *errbuf, size_t errlen);

/*
 * mck_drain_node, then a detached process that, for up to watch_s
 * seconds, re-applies the reason if slurmctld replaced it while the node
 * stays drained (and stops when the node is no longer drained).
 */
int mck_drain_node_persist(const char *node, const char *text, int timeout_s,
			   int watch_s, char *errbuf, size_t errlen);

#endif
