/*
 * model.h (internal): a flat view of an hwloc topology that the planner,
 * the checker and the pictures share: PUs in logical order with their core,
 * home NUMA node and package; NUMA nodes with what they hold; cores with
 * their CPU kind and whether they are assistant cores.
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
	int assistant;		/* outside the regular compute groups (assist.c, describe) */
};

struct mck_model_numa {
	hwloc_obj_t obj;	/* NULL for the group of CPUs in no NUMA node */
	int os;			/* OS index, -1 for that group */
	int pkg;		/* package of its CPUs (or of the CPUs it is attached to), -1 machine-wide */
	uint64_t mem;
	int n_pus;		/* PUs whose home node this is; 0: a memory-only node */
	int allowed;		/* in the allowed nodeset */
	const char *subtype;	/* "MCDRAM", "HBM", "CXL"... or NULL */
	int shared_by;		/* >= 2: so many nodes share one cpuset with no finer locality, CPUs split */
	int tied_with;		/* memory-only, same cpuset as this CPU node (index), -1 */
	unsigned memkind;	/* memory-only nodes: one MCK_MEMKIND_* bit (memkind.c, describe) */
	char kind_why[192];	/* how memkind was found: subtype, DAX device, or a guess */
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
	int n_assistant;	/* assistant cores found (assist.c) */
	int group_cores;	/* with assistants: cores of a regular compute group */
	const char *group_type;	/* with assistants: hwloc type name of the groups ("L2") */
	int no_numa;		/* index of the group of CPUs in no NUMA node, -1 */
};

/* The view: PUs, cores, NUMA nodes and every CPU's home node (what the checker needs). */
int mck_model_build(hwloc_topology_t topo, struct mck_model *m, struct mck_error *err);
/* Then what the planner and the pictures also need: memory kinds, assistant cores. */
int mck_model_describe(hwloc_topology_t topo, struct mck_model *m, struct mck_error *err);
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
/* The CPU-kind mode in force: MCK_CPU_KIND_AUTO resolved for this node. */
int mck_model_kind_mode(const struct mck_model *m, int mode);

/* Index of the NUMA node with that os index, -1 when absent. */
int mck_model_numa_index(const struct mck_model *m, int numa_os);

/* memkind.c: the kind of every memory-only NUMA node. */
void mck_model_memkinds(hwloc_topology_t topo, struct mck_model *m);
/* "high-bandwidth memory", "CXL memory"... for one MCK_MEMKIND_* bit. */
const char *mck_memkind_what(unsigned kind);
/* assist.c: mark the assistant cores. */
int mck_model_assistants(hwloc_topology_t topo, struct mck_model *m);

#endif
