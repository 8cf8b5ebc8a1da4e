/*
 * plan-internal.h (internal): the planner's steps, one file each, and
 * what they share. mck_plan_compute (plan.c) runs them in order:
 * roles.c (which CPUs go where), ikc.c (who serves whom), memplan.c (how
 * much memory where); every step records its decisions as notes (notes.c).
 */
#ifndef MCK_MAPS_PLAN_INTERNAL_H
#define MCK_MAPS_PLAN_INTERNAL_H

#include "mck-plan.h"
#include "model.h"

enum pu_role {
	ROLE_LINUX_IDLE = 0,	/* stays with Linux, serves no LWK CPU (sibling, disallowed) */
	ROLE_LINUX,		/* kept for Linux, may serve LWK CPUs' system calls */
	ROLE_LWK,
};

/* notes.c: append a note to the plan; -ENOMEM on failure. */
int mck_note_add(struct mck_plan *plan, enum mck_note_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void mck_notes_free(struct mck_plan *plan);
/* The CPU list of the PUs i with sel[i] set (malloc'd), or NULL when out of memory. */
char *mck_pus_format(const struct mck_model *m, const unsigned char *sel);
/* The same for the PU indexes pis[0..n). */
char *mck_pus_format_list(const struct mck_model *m, const int *pis, int n);
/* 1 when a CPU list names a single CPU (for "CPU 3 stays" / "CPUs 3-5 stay"). */
int mck_list_single(const char *list);
#define CPUS_WORD(list) (mck_list_single(list) ? "CPU" : "CPUs")
#define VERB(list, one, many) (mck_list_single(list) ? (one) : (many))
/* "NUMA node 3", or "the CPUs in no NUMA node", into buf. */
const char *mck_numa_name(const struct mck_model *m, int ni, char *buf, size_t len);
/* The option naming the policy's Linux-core rule ("--linux-cores"...). */
const char *mck_keep_option(const struct mck_plan_policy *pol);

/* roles.c: role[] per PU (enum pu_role) under the policy, with notes. */
int mck_plan_roles(const struct mck_model *m, const struct mck_plan_policy *pol, int *role,
		   struct mck_plan *plan, struct mck_error *err);

/*
 * ikc.c: plan->ikc for the LWK CPUs in plan->lwk_cpus' order, with notes.
 * An idle CPU that must serve (its NUMA node keeps no Linux core) becomes
 * ROLE_LINUX in role[].
 */
int mck_plan_ikc(hwloc_topology_t topo, const struct mck_model *m,
		 const struct mck_plan_policy *pol, int *role, struct mck_plan *plan,
		 struct mck_error *err);

/* memplan.c: plan->mem and plan->mem_total, with notes and warnings. */
int mck_plan_memory(const struct mck_model *m, const struct mck_plan_policy *pol,
		    struct mck_plan *plan, struct mck_error *err);
/* The largest share of a NUMA node IHK reserves on a real node, in percent. */
#define MCK_MEM_CAP_PERCENT 95

#endif
