/*
 * mck-lists.h: the textual forms IHK's tools use for CPUs, memory and
 * IKC maps, and their parsed forms.
 *
 *   CPU list:    1,2,4-7                   (decimal, ascending ranges)
 *   memory list: 512M@0,1G@1 or "all"      (SIZE[k|m|g|t][@NUMA])
 *   IKC map:     1-3:0+5-7:4               (LWK CPUs : serving Linux CPU)
 *   memory-only NUMA nodes McKernel may use:
 *                include | exclude | hbm,cxl,nvdimm,dax,unknown (kinds)
 */
#ifndef MCK_LISTS_H
#define MCK_LISTS_H

#include <stddef.h>
#include <stdint.h>

#include "mck-error.h"

#define MCK_MAX_CPUS 1024
#define MCK_MAX_MEM_CHUNKS 2048
#define MCK_MEM_UNIT (4ULL << 20)	/* IHK reserves memory in 4 MiB units */

struct mck_mem_chunk {
	uint64_t size;		/* bytes; UINT64_MAX means "all" */
	int numa;		/* NUMA node, -1 when not given */
};

struct mck_ikc_pair {
	int lwk_cpu;		/* source: LWK CPU */
	int linux_cpu;		/* destination: Linux CPU */
};

/* Parse a CPU list into a sorted array without duplicates (malloc'd). */
int mck_cpulist_parse(const char *s, int **cpus, int *n, struct mck_error *err);
/* Format CPUs (any order) as a sorted list with ranges; malloc'd. */
char *mck_cpulist_format(const int *cpus, int n);

/* Parse "512M@0,1G@1" or "all"; sizes without suffix are bytes. */
int mck_memlist_parse(const char *s, struct mck_mem_chunk **chunks, int *n,
		      struct mck_error *err);
/* Format chunks in the largest exact unit (k, M, G, T); malloc'd. */
char *mck_memlist_format(const struct mck_mem_chunk *chunks, int n);
/* Parse one size "4G", "512m", "1048576". */
int mck_size_parse(const char *s, uint64_t *bytes);
/* Format a size in the largest exact unit into buf. */
void mck_size_format(uint64_t bytes, char *buf, size_t len);

/* Parse "1-3:0+5-7:4" into one pair per LWK CPU. */
int mck_ikcmap_parse(const char *s, struct mck_ikc_pair **pairs, int *n,
		     struct mck_error *err);
/* Format pairs, grouped by Linux CPU in order of first appearance; malloc'd. */
char *mck_ikcmap_format(const struct mck_ikc_pair *pairs, int n);

/*
 * Kinds of memory-only (CPU-less) NUMA nodes. The planner tells them
 * apart from hwloc's NUMA node subtypes (hwloc-maps/memkind.c); the
 * operator says which kinds McKernel may use.
 */
enum mck_memkind {
	MCK_MEMKIND_HBM = 1 << 0,	/* high-bandwidth memory: KNL MCDRAM, HBM */
	MCK_MEMKIND_CXL = 1 << 1,	/* CXL memory expanders */
	MCK_MEMKIND_NVDIMM = 1 << 2,	/* non-volatile memory used as RAM */
	MCK_MEMKIND_DAX = 1 << 3,	/* other DAX (kmem) memory, e.g. specific-purpose */
	MCK_MEMKIND_UNKNOWN = 1 << 4,	/* the topology does not say, and no guess */
	MCK_MEMKIND_GPU = 1 << 5,	/* a GPU's memory: never given to McKernel */
};
#define MCK_MEMKINDS_DEFAULT MCK_MEMKIND_HBM
#define MCK_MEMKINDS_NAMES "hbm, cxl, nvdimm, dax, unknown"

/* Which memory-only NUMA nodes McKernel gets memory on. */
enum mck_memonly_mode {
	MCK_MEMONLY_KINDS = 0,		/* those of the kinds given (default: hbm) */
	MCK_MEMONLY_EXCLUDE,		/* none */
	MCK_MEMONLY_INCLUDE,		/* every kind but GPU memory */
};

/* Parse "include", "exclude" or a list of kinds such as "hbm,cxl". */
int mck_memonly_parse(const char *s, enum mck_memonly_mode *mode, unsigned *kinds,
		      struct mck_error *err);
/* The text mck_memonly_parse reads back to the same values. */
void mck_memonly_format(enum mck_memonly_mode mode, unsigned kinds, char *buf, size_t len);
/* The name of one MCK_MEMKIND_* bit ("hbm", ..., "gpu"). */
const char *mck_memkind_name(unsigned kind);

#endif
