/*
 * mck-budget.h: the one timeout budget of a node's McKernel lifecycle.
 * Every bound on a lifecycle operation comes from mck_budget(): the
 * lifecycle lock's wait, the prologue's and epilogue's kill of mckctl,
 * slurmstepd's kill of mckctl step, and the PrologEpilogTimeout and
 * BatchStartTimeout that mckctl check-slurm and config --check require.
 *
 * From mckernel.conf's boot_timeout (B) and shutdown_timeout (S):
 *
 *   teardown     = holder grace + S + release margin
 *                  (end the job user's holders, destroy while the device
 *                  is held, save kmsg, release and verify)
 *   boot         = teardown + B + reserve margin
 *                  (a boot may first remove an earlier job's instance;
 *                  reserving memory takes seconds per GiB)
 *   lock_wait    = boot (the longest operation that can hold the lock)
 *   mckctl_boot  = lock_wait + boot      (prologue, and mckctl step)
 *   mckctl_teardown = lock_wait + teardown   (epilogue)
 *   script       = mckctl_boot + drain   (the whole prologue or epilogue,
 *                  draining the node with its reason included)
 *   PrologEpilogTimeout must be at least script; BatchStartTimeout too
 *   (a batch job waits for the prologue's boot).
 */
#ifndef MCK_BUDGET_H
#define MCK_BUDGET_H

#include "mck-config.h"

/* Seconds the job user's processes get between TERM and KILL. */
#define MCK_HOLDER_GRACE_S 5
/* Saving kmsg, releasing CPUs and memory, verifying the node. */
#define MCK_RELEASE_MARGIN_S 10
/*
 * Reserving CPUs and memory, create, assign, load before the boot, and
 * asking Slurm whether the job of an instance found on the node still runs
 * (MCK_SLURM_QUERY_S).
 */
#define MCK_RESERVE_MARGIN_S 20
#define MCK_SLURM_QUERY_S 10
/* scontrol's bound when a script drains the node with its reason. */
#define MCK_DRAIN_SCONTROL_S 15
/* Everything else a prologue or epilogue does. */
#define MCK_SCRIPT_MARGIN_S 5

struct mck_budget {
	int teardown_s;
	int boot_s;
	int lock_wait_s;
	int mckctl_boot_s;
	int mckctl_teardown_s;
	int mckctl_step_s;
	int script_s;
};

void mck_budget(const struct mck_config *cfg, struct mck_budget *b);

#endif
