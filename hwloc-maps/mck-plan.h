/*
 * mck-plan.h: from a node's hwloc topology to a McKernel partition plan:
 * which CPUs go to McKernel (in assignment order), which stay with Linux,
 * how much memory of each NUMA node is reserved, and which Linux CPU
 * serves each LWK CPU's offloaded system calls (the IKC map).
 *
 * A zero-initialised struct mck_plan_policy with only mem_fraction set
 * gives the first planner's behaviour: keep the first core of every NUMA
 * node that has CPUs for Linux, give all PUs of the other cores to
 * McKernel, reserve mem_fraction of each such node's memory (4 MiB units)
 * and let the first Linux CPU of each NUMA node serve its LWK CPUs.
 */
#ifndef MCK_PLAN_H
#define MCK_PLAN_H

#include <hwloc.h>
#include <stdint.h>
#include <stdio.h>

#include "mck-error.h"
#include "mck-lists.h"

/* Which cores stay with Linux. */
enum mck_keep_mode {
	MCK_KEEP_PER_NUMA = 0,	/* the first linux_cores cores of every NUMA node with CPUs */
	MCK_KEEP_PER_PACKAGE,	/* the first linux_cores cores of every package */
	MCK_KEEP_CPULIST,	/* exactly the CPUs in linux_cpulist */
};

/* How much memory of each used NUMA node goes to McKernel. */
enum mck_mem_mode {
	MCK_MEM_FRACTION = 0,	/* mem_fraction of the node */
	MCK_MEM_SIZE,		/* mem_size bytes of the node */
	MCK_MEM_ALL_BUT,	/* everything but mem_keep bytes of the node */
};

/* Which Linux CPU serves an LWK CPU's offloaded system calls. */
enum mck_ikc_mode {
	MCK_IKC_PER_NUMA = 0,	/* the first Linux CPU of the LWK CPU's NUMA node */
	MCK_IKC_SPREAD,		/* round-robin over the Linux CPUs of that NUMA node */
};

/* Which CPU kinds (hwloc_cpukinds_*) McKernel may get on hybrid parts. */
enum mck_cpu_kind_mode {
	MCK_CPU_KIND_ALL = 0,		/* every kind */
	MCK_CPU_KIND_PERFORMANCE,	/* only the most performant kind; the others stay with Linux */
};

struct mck_plan_policy {
	double mem_fraction;	/* share of each used NUMA node's memory, (0, 0.98] */

	/* Added in phase 2; zero values mean the first planner's behaviour. */
	enum mck_keep_mode keep;
	int linux_cores;	/* cores kept per NUMA node / package; 0 means 1 */
	const char *linux_cpulist; /* MCK_KEEP_CPULIST: CPU list kept for Linux */
	int smt_one;		/* 1: only the first PU of every LWK core, siblings stay idle with Linux */
	enum mck_mem_mode mem;
	uint64_t mem_size;	/* MCK_MEM_SIZE: bytes per NUMA node */
	uint64_t mem_keep;	/* MCK_MEM_ALL_BUT: bytes per NUMA node left to Linux */
	int mem_memonly;	/* 1: also reserve on CPU-less (memory-only) NUMA nodes */
	enum mck_ikc_mode ikc;
	const char *job_cpulist; /* CPUs the job may use (NULL: whole node); must cover the node */

	/*
	 * Added: MCK_CPU_KIND_PERFORMANCE gives McKernel only PUs of the
	 * highest-ranked CPU kind; the cores of other kinds stay with Linux,
	 * count toward linux_cores (per NUMA node / package) and serve system
	 * calls. No effect with fewer than two kinds; refused when hwloc does
	 * not rank the kinds by efficiency.
	 */
	enum mck_cpu_kind_mode lwk_cpu_kind;
};

struct mck_plan {
	int n_lwk;
	int *lwk_cpus;			/* OS indexes, in the order given to IHK */
	int n_linux;
	int *linux_cpus;		/* OS indexes that stay with Linux */
	int n_mem;
	struct mck_mem_chunk *mem;	/* one chunk per NUMA node used */
	struct mck_ikc_pair *ikc;	/* n_lwk pairs, ikc[i].lwk_cpu == lwk_cpus[i] */

	/* Added: per chunk, the NUMA node's total memory (for pictures and checks). */
	uint64_t *mem_total;
};

enum mck_plan_format {
	MCK_PLAN_MCREBOOT,	/* -c CPULIST -m MEMLIST -r IKCMAP */
	MCK_PLAN_JSON,
	MCK_PLAN_IHK_ENV,	/* IHK_CPUS= / IHK_MEM= / IHK_IKC_MAP= lines */
};

/* Set the defaults: phase-1 planner, mem_fraction 0.5. */
void mck_plan_policy_init(struct mck_plan_policy *policy);

/*
 * Load a topology: xml_path an hwloc XML file, or synthetic an hwloc
 * synthetic description ("pack:2 numa:2 core:8 pu:2"), or both NULL for
 * the live machine. The caller destroys it with hwloc_topology_destroy.
 * Disallowed CPUs are kept in the topology (and marked so), so that the
 * planner can refuse them.
 */
int mck_topo_load(const char *xml_path, const char *synthetic,
		  hwloc_topology_t *topo, struct mck_error *err);

/*
 * The node-side tool's loader: use cache_xml when it exists and its
 * fingerprint (cache_xml + ".fingerprint": /sys CPU present/possible,
 * NUMA possible, hwloc version) matches the machine; else discover the
 * live machine and rewrite both files atomically.
 */
int mck_topo_load_cached(const char *cache_xml, hwloc_topology_t *topo,
			 struct mck_error *err);
/* Same, reading the fingerprint files under sysfs_root instead of /sys. */
int mck_topo_load_cached_at(const char *cache_xml, const char *sysfs_root,
			    hwloc_topology_t *topo, int *from_cache,
			    struct mck_error *err);

/* Compute the plan; on error nothing is allocated and err says what to change. */
int mck_plan_compute(hwloc_topology_t topo, const struct mck_plan_policy *policy,
		     struct mck_plan *plan, struct mck_error *err);
void mck_plan_free(struct mck_plan *plan);

/*
 * Check a plan against IHK's rules on this topology: every LWK CPU present,
 * online and allowed, no duplicates; every IKC target an online allowed
 * Linux CPU, not an LWK CPU, on the LWK CPU's NUMA node when that node has
 * a Linux CPU; memory in 4 MiB units, below 98% of each node; at least one
 * Linux CPU left. mck_plan_compute runs it before returning a plan.
 */
int mck_plan_check(hwloc_topology_t topo, const struct mck_plan *plan,
		   struct mck_error *err);

/* Print the plan in one of the formats. */
int mck_plan_print(const struct mck_plan *plan, enum mck_plan_format format, FILE *out);

/* A picture per package, NUMA node and core: as text, or as an SVG document. */
int mck_plan_picture(hwloc_topology_t topo, const struct mck_plan *plan, FILE *out);
int mck_plan_svg(hwloc_topology_t topo, const struct mck_plan *plan, FILE *out);

#endif
