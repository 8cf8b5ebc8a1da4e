/*
 * double-internal.h: the IHK double's node model, shared by its two
 * source files. Nothing here is exported from libihk-double.so.
 */
#ifndef IHK_DOUBLE_INTERNAL_H
#define IHK_DOUBLE_INTERNAL_H

#include <limits.h>
#include <stdint.h>

#include "ihklib-abi.h"

#define IHKD_MAX_CPUS 4096	/* highest Linux CPU number + 1 we model */
#define IHKD_MAX_NODES 64
#define IHKD_MAX_FAULTS 32
#define IHKD_KARGS_MAX 1023	/* longer kernel arguments are cut */
#define IHKD_KMSG_BUF ((4 << 20) - 4096)
#define IHKD_MEM_UNIT (4UL << 20)

/* Owner of a CPU or memory chunk. */
#define IHKD_LINUX (-2)		/* CPU online in Linux */
#define IHKD_RESERVED (-1)	/* in IHK's reserved pool */

/* Life of an instance, from which its status is derived with the clock. */
enum ihkd_phase {
	IHKD_CREATED,		/* INACTIVE, configurable */
	IHKD_BOOTED,		/* BOOTING -> RUNNING (-> PANIC / HUNGUP) */
	IHKD_SHUTTING,		/* SHUTDOWN, while os_shutdown runs */
	IHKD_DOWN,		/* INACTIVE after shutdown */
};

/* The node's hardware. */
struct ihkd_topo {
	char source[PATH_MAX];		/* XML path, "" = live machine */
	int ncpus;
	int cpus[IHKD_MAX_CPUS];	/* present CPUs, sorted */
	int nnodes;
	int nodes[IHKD_MAX_NODES];	/* NUMA node numbers */
	uint64_t node_mem[IHKD_MAX_NODES];
};

struct ihkd_chunk {
	unsigned long size;
	int numa;
	int owner;		/* IHKD_RESERVED or an OS index */
};

struct ihkd_os {
	int exists;
	unsigned gen;
	enum ihkd_phase phase;
	int ncpus;
	int cpus[IHK_MAX_NUM_CPUS];	/* assignment order = LWK numbering */
	int nikc;
	struct ihk_ikc_cpu_map ikc[IHK_MAX_NUM_CPUS];
	int loaded;
	char image[PATH_MAX];
	char kargs[IHKD_KARGS_MAX + 1];
	int64_t boot_ms;	/* CLOCK_REALTIME ms of boot start */
	int64_t running_ms;	/* when BOOTING turns RUNNING; 0 = never (hang) */
	int64_t panic_ms;	/* 0 = none */
	int64_t hang_ms;	/* 0 = none */
	int64_t kmsg_clear_ms;	/* last clear_kmsg */
};

struct ihkd_fault_count {
	char spec[160];
	unsigned seen, fired;
};

struct ihkd_state {
	unsigned next_gen;
	int cpu_owner[IHKD_MAX_CPUS];	/* IHKD_LINUX, IHKD_RESERVED or OS */
	int nchunks;
	struct ihkd_chunk chunks[IHK_MAX_NUM_MEM_CHUNKS * 2];
	struct ihkd_os os[IHK_MAX_NUM_OS];
	int nfaults;
	struct ihkd_fault_count faults[IHKD_MAX_FAULTS];
};

struct ihkd_fault {
	char spec[160];		/* as written, identifies its counters */
	char call[64];
	int err;		/* negative errno */
	enum { IHKD_ONCE, IHKD_NTH, IHKD_PROB, IHKD_ALWAYS } mode;
	unsigned nth;
	double prob;
};

/* STATE/double.conf with IHK_DOUBLE_* environment overrides. */
struct ihkd_conf {
	long boot_latency_ms;
	long shutdown_latency_ms;
	long boot_poll_count;
	long boot_poll_interval_ms;
	long destroy_retries;
	long destroy_retry_interval_ms;
	int boot_hang;
	double panic_after_s;	/* after RUNNING; 0 = never */
	double hang_after_s;
	int chunk_split;
	double mem_cap;		/* share of a NUMA node that can be reserved */
	unsigned long image_max_bytes;
	int nfaults;
	struct ihkd_fault faults[IHKD_MAX_FAULTS];
};

/* One call in progress: the node's paths, configuration and state. */
struct ihkd_ctx {
	const char *call;
	char dir[PATH_MAX];
	int lockfd;
	int writer;
	int injected;
	unsigned event_gen;	/* generation to log when the instance is gone */
	struct ihkd_conf conf;
	struct ihkd_topo *topo;
	struct ihkd_state *st;
};

/* Start a call: resolve the node, lock, load (writer: exclusive, may init). */
int ihkd_begin(struct ihkd_ctx *c, const char *call, int writer);
/* Save (when writer and save), unlock, free. Returns rc. */
int ihkd_end(struct ihkd_ctx *c, int save, int rc);
/* Evaluate the configured faults for c->call: 0 or the errno to return. */
int ihkd_fault(struct ihkd_ctx *c);
/* Append a line to STATE/events.log. */
void ihkd_event(const struct ihkd_ctx *c, int os, unsigned gen, int rc);
/* Resolve the state directory only. */
int ihkd_state_dir(char *buf, size_t len);
/* Load just the configuration of a state directory. */
void ihkd_conf_load(const char *dir, struct ihkd_conf *conf);
/* Wall clock in ms. */
int64_t ihkd_now_ms(void);
/* Status of an instance at time now. */
int ihkd_status(const struct ihkd_os *o, int64_t now);
/* Path of STATE/dev/mcosN or STATE/mcosN.kmsg. */
void ihkd_dev_path(const char *dir, int os, char *buf, size_t len);
void ihkd_kmsg_path(const char *dir, int os, char *buf, size_t len);
/* Is node present in the topology; index or -1. */
int ihkd_node_index(const struct ihkd_topo *t, int numa);
int ihkd_cpu_present(const struct ihkd_topo *t, int cpu);
void ihkd_sleep_ms(long ms);

#endif
