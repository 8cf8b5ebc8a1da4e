/*
 * mck-plan.h: from a node's hwloc topology to a McKernel partition plan:
 * which CPUs go to McKernel (in assignment order), which stay with Linux,
 * how much memory of each NUMA node is reserved, and which Linux CPU
 * serves each LWK CPU's offloaded system calls (the IKC map).
 */
#ifndef MCK_PLAN_H
#define MCK_PLAN_H

#include <hwloc.h>
#include <stdio.h>

#include "mck-error.h"
#include "mck-lists.h"

struct mck_plan_policy {
	double mem_fraction;	/* share of each used NUMA node's memory, (0, 0.98] */
};

struct mck_plan {
	int n_lwk;
	int *lwk_cpus;			/* OS indexes, in the order given to IHK */
	int n_linux;
	int *linux_cpus;		/* OS indexes that stay with Linux */
	int n_mem;
	struct mck_mem_chunk *mem;	/* one chunk per NUMA node used */
	struct mck_ikc_pair *ikc;	/* n_lwk pairs, ikc[i].lwk_cpu == lwk_cpus[i] */
};

enum mck_plan_format {
	MCK_PLAN_MCREBOOT,	/* -c CPULIST -m MEMLIST -r IKCMAP */
	MCK_PLAN_JSON,
	MCK_PLAN_IHK_ENV,	/* IHK_CPUS= / IHK_MEM= / IHK_IKC_MAP= lines */
};

/*
 * Load a topology: xml_path an hwloc XML file, or synthetic an hwloc
 * synthetic description ("pack:2 numa:2 core:8 pu:2"), or both NULL for
 * the live machine. The caller destroys it with hwloc_topology_destroy.
 */
int mck_topo_load(const char *xml_path, const char *synthetic,
		  hwloc_topology_t *topo, struct mck_error *err);

/* Compute the plan; on error nothing is allocated and err says what to change. */
int mck_plan_compute(hwloc_topology_t topo, const struct mck_plan_policy *policy,
		     struct mck_plan *plan, struct mck_error *err);
void mck_plan_free(struct mck_plan *plan);

/* Print the plan in one of the formats. */
int mck_plan_print(const struct mck_plan *plan, enum mck_plan_format format, FILE *out);

#endif
