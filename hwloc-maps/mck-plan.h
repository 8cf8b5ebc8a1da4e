/*
 * mck-plan.h: from a node's hwloc topology to a McKernel partition plan:
 * which CPUs go to McKernel (in assignment order), which stay with Linux,
 * how much memory of each NUMA node is reserved, and which Linux CPU
 * serves each LWK CPU's offloaded system calls (the IKC map).
 *
 * mck_plan_policy_init gives the defaults: keep the first core of every
 * NUMA node that has CPUs for Linux (the assistant cores instead, on parts
 * that have them), give all PUs of the other cores to McKernel (only cores
 * of the most performant kind on hybrid parts), reserve half of each NUMA
 * node's memory with CPUs and of each high-bandwidth memory-only node
 * (4 MiB units, at most 95% of a node) and spread each NUMA node's LWK
 * CPUs over the Linux CPUs of that node (the nearest ones when it has
 * none). Every decision is recorded with its reason in the plan's notes.
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

/*
 * Which Linux CPU serves an LWK CPU's offloaded system calls. A NUMA node
 * without a Linux CPU of its own is served by the nearest Linux CPUs
 * (same package, then NUMA distance).
 */
enum mck_ikc_mode {
	MCK_IKC_PER_NUMA = 0,	/* the first Linux CPU of the LWK CPU's NUMA node */
	MCK_IKC_SPREAD,		/* round-robin over the Linux CPUs of that NUMA node (default) */
};

/* Which CPU kinds (hwloc_cpukinds_*) McKernel may get on hybrid parts. */
enum mck_cpu_kind_mode {
	MCK_CPU_KIND_ALL = 0,		/* every kind */
	MCK_CPU_KIND_PERFORMANCE,	/* only the most performant kind; the others stay with Linux */
	MCK_CPU_KIND_AUTO,		/* default: PERFORMANCE when hwloc ranks the kinds, else ALL */
};

/*
 * Assistant cores: cores outside the regular compute groups (A64FX's
 * assistant cores: an L2/group of one core beside groups of 12).
 */
enum mck_assistant_mode {
	MCK_ASSISTANT_LINUX = 0,	/* default: they stay with Linux and serve system calls */
	MCK_ASSISTANT_LWK,		/* treated like every other core */
};

struct mck_plan_policy {
	double mem_fraction;	/* share of each used NUMA node's memory, (0, 0.95] */

	/* Added in phase 2: start from mck_plan_policy_init. */
	enum mck_keep_mode keep;
	int linux_cores;	/* cores kept per NUMA node / package; 0 means 1 */
	const char *linux_cpulist; /* MCK_KEEP_CPULIST: CPU list kept for Linux */
	int smt_one;		/* 1: only the first PU of every LWK core, siblings stay idle with Linux */
	enum mck_mem_mode mem;
	uint64_t mem_size;	/* MCK_MEM_SIZE: bytes per NUMA node */
	uint64_t mem_keep;	/* MCK_MEM_ALL_BUT: bytes per NUMA node left to Linux */
	enum mck_memonly_mode memonly;	/* which CPU-less (memory-only) NUMA nodes McKernel uses */
	unsigned memonly_kinds;	/* MCK_MEMONLY_KINDS: MCK_MEMKIND_* bits (default hbm) */
	enum mck_ikc_mode ikc;
	const char *job_cpulist; /* CPUs the job may use (NULL: whole node); must cover the node */

	/*
	 * Added: MCK_CPU_KIND_PERFORMANCE gives McKernel only PUs of the
	 * highest-ranked CPU kind; the cores of other kinds stay with Linux,
	 * count toward linux_cores (per NUMA node / package) and serve system
	 * calls. No effect with fewer than two kinds; refused when hwloc does
	 * not rank the kinds by efficiency. MCK_CPU_KIND_AUTO (the default)
	 * is PERFORMANCE on parts whose kinds hwloc ranks, else ALL.
	 */
	enum mck_cpu_kind_mode lwk_cpu_kind;

	/*
	 * MCK_ASSISTANT_LINUX: the assistant cores stay with Linux and take
	 * the place of the first core kept per NUMA node / package; ignored
	 * with MCK_KEEP_CPULIST (the list says exactly what Linux keeps).
	 */
	enum mck_assistant_mode assistant;
};

/* What a note of the plan is about. */
enum mck_note_kind {
	MCK_NOTE_CPUS = 0,	/* which cores stay with Linux, which go to McKernel */
	MCK_NOTE_MEMORY,	/* which memory nodes are used, how much */
	MCK_NOTE_IKC,		/* how the IKC map was chosen */
	MCK_NOTE_UNUSED,	/* what is left unused, and why */
	MCK_NOTE_WARNING,	/* what the operator should check (also in the picture and JSON) */
};

struct mck_plan_note {
	enum mck_note_kind kind;
	char *text;		/* one line, no newline */
};

struct mck_plan {
	int n_lwk;
	int *lwk_cpus;			/* OS indexes, in the order given to IHK */
	int n_linux;
	int *linux_cpus;		/* OS indexes Linux keeps in use (kept cores, serving CPUs) */
	int n_mem;
	struct mck_mem_chunk *mem;	/* one chunk per NUMA node used */
	struct mck_ikc_pair *ikc;	/* n_lwk pairs, ikc[i].lwk_cpu == lwk_cpus[i] */

	/* Added: per chunk, the NUMA node's total memory (for pictures and checks). */
	uint64_t *mem_total;

	/*
	 * Added: online CPUs that neither McKernel nor Linux's kept cores use:
	 * the other hardware threads of McKernel's cores with smt one, CPUs
	 * outside the allowed cpuset. lwk + linux + idle = every online CPU.
	 */
	int n_idle;
	int *idle_cpus;

	/* Added: every decision with its reason, in order (mck_plan_explain). */
	int n_notes;
	struct mck_plan_note *notes;
};

enum mck_plan_format {
	MCK_PLAN_MCREBOOT,	/* -c CPULIST -m MEMLIST -r IKCMAP */
	MCK_PLAN_JSON,
	MCK_PLAN_IHK_ENV,	/* IHK_CPUS= / IHK_MEM= / IHK_IKC_MAP= lines */
};

/* Set the defaults (see the top of this file), mem_fraction 0.5. */
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
 * a Linux CPU; memory in 4 MiB units, at most 95% of each node (IHK's cap
 * on a real node); at least one Linux CPU left. mck_plan_compute runs it
 * before returning a plan.
 */
int mck_plan_check(hwloc_topology_t topo, const struct mck_plan *plan,
		   struct mck_error *err);

/* Flags of the printers: also every decision with its reason. */
#define MCK_PLAN_EXPLAIN 0x1u

/*
 * Print the plan in one of the formats. With MCK_PLAN_EXPLAIN the notes
 * follow: as "# KIND: TEXT" lines (mcreboot, ihk-env), or an "explain"
 * array (json).
 */
int mck_plan_print(const struct mck_plan *plan, enum mck_plan_format format, FILE *out);
int mck_plan_print_flags(const struct mck_plan *plan, enum mck_plan_format format,
			 unsigned flags, FILE *out);

/* The notes, one "KIND: TEXT" line each (KIND: cpus, memory, ikc, unused, warning). */
int mck_plan_explain(const struct mck_plan *plan, const char *prefix, FILE *out);
/* The name of a note kind ("cpus", ..., "warning"). */
const char *mck_plan_note_kind_name(enum mck_note_kind kind);

/*
 * A picture per package, NUMA node and core: as text, or as an SVG
 * document. Warnings are always shown; with MCK_PLAN_EXPLAIN every note.
 */
int mck_plan_picture(hwloc_topology_t topo, const struct mck_plan *plan, FILE *out);
int mck_plan_svg(hwloc_topology_t topo, const struct mck_plan *plan, FILE *out);
int mck_plan_picture_flags(hwloc_topology_t topo, const struct mck_plan *plan,
			   unsigned flags, FILE *out);
int mck_plan_svg_flags(hwloc_topology_t topo, const struct mck_plan *plan,
		       unsigned flags, FILE *out);

#endif
