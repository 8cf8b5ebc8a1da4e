/*
 * ihklib-abi.h: libihk's public types and functions as this project uses
 * them (IHK 2022), written from the documented interface. The loader
 * (mck-ihk.c) resolves these names with dlsym; the IHK double
 * (ihk/double) exports them with the same signatures.
 *
 * Every function returns 0 (or a count/index) on success and a negative
 * errno on failure.
 */
#ifndef MCK_IHKLIB_ABI_H
#define MCK_IHKLIB_ABI_H

#include <sys/types.h>

struct ihk_mem_chunk {
	unsigned long size;	/* bytes; (unsigned long)-1 means "all" */
	int numa_node_number;
};

struct ihk_ikc_cpu_map {
	int src_cpu;		/* LWK CPU */
	int dst_cpu;		/* Linux CPU serving its offloaded calls */
};

enum ihklib_os_status {
	IHK_STATUS_INACTIVE,
	IHK_STATUS_BOOTING,
	IHK_STATUS_RUNNING,
	IHK_STATUS_SHUTDOWN,
	IHK_STATUS_PANIC,
	IHK_STATUS_HUNGUP,
	IHK_STATUS_FREEZING,
	IHK_STATUS_FROZEN,
};

#define IHK_MAX_NUM_CPUS 1024
#define IHK_MAX_NUM_MEM_CHUNKS 2048
#define IHK_MAX_NUM_OS 64

/*
 * X(name, return, parameters, argument names): every libihk call the
 * project may use. REQUIRED ones must resolve in any libihk loaded.
 */
#define MCK_IHK_CALLS(X) \
	X(ihk_reserve_cpu, int, (int dev, int *cpus, int n)) \
	X(ihk_get_num_reserved_cpus, int, (int dev)) \
	X(ihk_query_cpu, int, (int dev, int *cpus, int n)) \
	X(ihk_release_cpu, int, (int dev, int *cpus, int n)) \
	X(ihk_reserve_mem, int, (int dev, struct ihk_mem_chunk *c, int n)) \
	X(ihk_get_num_reserved_mem_chunks, int, (int dev)) \
	X(ihk_query_mem, int, (int dev, struct ihk_mem_chunk *c, int n)) \
	X(ihk_release_mem, int, (int dev, struct ihk_mem_chunk *c, int n)) \
	X(ihk_create_os, int, (int dev)) \
	X(ihk_get_num_os_instances, int, (int dev)) \
	X(ihk_get_os_instances, int, (int dev, int *indices, int n)) \
	X(ihk_destroy_os, int, (int dev, int os)) \
	X(ihk_os_assign_cpu, int, (int os, int *cpus, int n)) \
	X(ihk_os_get_num_assigned_cpus, int, (int os)) \
	X(ihk_os_query_cpu, int, (int os, int *cpus, int n)) \
	X(ihk_os_release_cpu, int, (int os, int *cpus, int n)) \
	X(ihk_os_set_ikc_map, int, (int os, struct ihk_ikc_cpu_map *map, int n)) \
	X(ihk_os_get_ikc_map, int, (int os, struct ihk_ikc_cpu_map *map, int n)) \
	X(ihk_os_assign_mem, int, (int os, struct ihk_mem_chunk *c, int n)) \
	X(ihk_os_get_num_assigned_mem_chunks, int, (int os)) \
	X(ihk_os_query_mem, int, (int os, struct ihk_mem_chunk *c, int n)) \
	X(ihk_os_release_mem, int, (int os, struct ihk_mem_chunk *c, int n)) \
	X(ihk_os_load, int, (int os, char *image)) \
	X(ihk_os_kargs, int, (int os, char *kargs)) \
	X(ihk_os_boot, int, (int os)) \
	X(ihk_os_shutdown, int, (int os)) \
	X(ihk_os_get_status, int, (int os)) \
	X(ihk_os_get_kmsg_size, int, (int os)) \
	X(ihk_os_kmsg, int, (int os, char *buf, ssize_t size)) \
	X(ihk_os_clear_kmsg, int, (int os)) \
	X(ihk_os_get_num_numa_nodes, int, (int os))

#define MCK_IHK_DECLARE(name, ret, params) ret name params;
MCK_IHK_CALLS(MCK_IHK_DECLARE)
#undef MCK_IHK_DECLARE

#endif
