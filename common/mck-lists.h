/*
 * mck-lists.h: the textual forms IHK's tools use for CPUs, memory and
 * IKC maps, and their parsed forms.
 *
 *   CPU list:    1,2,4-7                   (decimal, ascending ranges)
 *   memory list: 512M@0,1G@1 or "all"      (SIZE[k|m|g|t][@NUMA])
 *   IKC map:     1-3:0+5-7:4               (LWK CPUs : serving Linux CPU)
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

#endif
