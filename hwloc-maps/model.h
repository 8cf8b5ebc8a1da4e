/*
 * model.h (internal): a flat view of an hwloc topology that the planner,
 * the checker and the pictures share: PUs in logical order with their core,
 * home NUMA node and package.
 */
#ifndef MCK_MAPS_MODEL_H
#define MCK_MAPS_MODEL_H

#include <hwloc.h>
#include <stddef.h>
#include <stdint.h>

#include "mck-error.h"

struct mck_model_pu {
	int os;			/* OS index */
	int core;		/* index into cores */
	int numa;		/* index into numas of the home NUMA node */
	int pkg;		/* package logical index, 0 without packages */
	int allowed;		/* in the topology's allowed cpuset */
	int kind;		/* hwloc CPU kind index, -1 when unknown */
};

struct mck_model_core {
	int first_pu, n_pu;	/* PUs [first_pu, first_pu + n_pu) */
	int numa, pkg;
	int os;			/* core os_index, or -1 */
	int n_allowed;
};

struct mck_model_numa {
	hwloc_obj_t obj;
	int os;
	int pkg;		/* package logical index of its CPUs, -1 machine-wide */
	uint64_t mem;
	int n_pus;		/* PUs whose home node this is */
	int allowed;
	const char *subtype;	/* "MCDRAM", "HBM", "CXL"... or NULL */
};

struct mck_model {
	int n_pus, n_cores, n_numas, n_pkgs, n_kinds;
	struct mck_model_pu *pus;
	struct mck_model_core *cores;
	struct mck_model_numa *numas;
	int kinds_ranked;	/* every CPU kind has a known efficiency rank */
	const char **kind_type;	/* n_kinds: CoreType info of each kind, or NULL (owned by hwloc) */
	int max_os;		/* largest PU os index + 1 */
	int *pu_by_os;		/* os index -> index into pus, -1 when absent (offline) */
};

int mck_model_build(hwloc_topology_t topo, struct mck_model *m, struct mck_error *err);
void mck_model_free(struct mck_model *m);
/*
 * The CPU kind mark of a kind index, for pictures: "" when the node has
 * fewer than two kinds; "P" for the most performant kind and "E" for the
 * most efficient one when hwloc ranks them, "K<index>" otherwise, "?" for
 * a PU in no kind.
 */
void mck_model_kind_mark(const struct mck_model *m, int kind, char *buf, size_t len);
/* 1 when PU index pi may go to McKernel under the CPU-kind policy (mode, see mck-plan.h). */
int mck_model_kind_ok(const struct mck_model *m, int mode, int pi);

/* Index of the NUMA node with that os index, -1 when absent. */
int mck_model_numa_index(const struct mck_model *m, int numa_os);

#endif
