/*
 * double-internal.h: the IHK double's node model, shared by its source
 * files. Nothing here is exported from libihk-double.so (it exports only
 * the ihk_* names).
 *
 *   double-locate.c   which node: state directory, hardware, ihk-double.conf
 *   double-conf.c     STATE/double.conf: latency model, faults, settings
 *   double-state.c    the state file, locking, fault counters, events.log
 *   double-linux.c    what Linux sees: STATE/sys, STATE/dmesg
 *   double-devices.c  device files, their holders, mcexec run records
 *   double-calls.c    call framework, CPU and memory calls
 *   double-os.c       instance set-up calls (create .. kargs, os_release_*)
 *   double-life.c     boot, status, shutdown, destroy, kmsg; fatal calls
 *   double-extras.c   the ihk_double_* functions of ihk-double.h
 */
#ifndef IHK_DOUBLE_INTERNAL_H
#define IHK_DOUBLE_INTERNAL_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "ihklib-abi.h"

#define IHKD_MAX_CPUS 4096	/* highest Linux CPU number + 1 we model */
#define IHKD_MAX_NODES 64
#define IHKD_MAX_FAULTS 32
#define IHKD_KARGS_MAX 1023	/* longer kernel arguments are cut */
#define IHKD_KMSG_BUF ((4 << 20) - 4096)
#define IHKD_MEM_UNIT (4UL << 20)
#define IHKD_NCHUNKS (IHK_MAX_NUM_MEM_CHUNKS * 2)

/* Errno of every call once the node's IHK has crashed (missing image). */
#define IHKD_CRASHED_ERR (-EIO)

/* Owner of a CPU or memory chunk. */
#define IHKD_LEAKED (-3)	/* kept by a destroyed, never-booted instance */
#define IHKD_LINUX (-2)		/* CPU online in Linux */
#define IHKD_RESERVED (-1)	/* in IHK's reserved pool */

/* Life of an instance, from which its status is derived with the clock. */
enum ihkd_phase {
	IHKD_CREATED,		/* never booted: no parameter block */
	IHKD_BOOTED,		/* BOOTING -> RUNNING (-> PANIC / HUNGUP) */
	IHKD_SHUTTING,		/* SHUTDOWN, while os_shutdown runs */
	IHKD_DOWN,		/* shut down: parameter block freed */
};

/* The node's hardware. */
struct ihkd_topo {
	char source[PATH_MAX];		/* XML path, "" = live machine */
	int ncpus;
	int cpus[IHKD_MAX_CPUS];	/* present CPUs, sorted */
	int cpu_node[IHKD_MAX_CPUS];	/* NUMA node of cpus[i], -1 unknown */
	int nnodes;
	int nodes[IHKD_MAX_NODES];	/* NUMA node numbers */
	uint64_t node_mem[IHKD_MAX_NODES];
};

struct ihkd_chunk {
	unsigned long size;
	int numa;
	int owner;		/* IHKD_RESERVED, IHKD_LEAKED or an OS index */
};

struct ihkd_os {
	int exists;
	unsigned gen;
	enum ihkd_phase phase;
	int poisoned;		/* a fatal call hit it: fatal forever */
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
	char crashed[160];	/* "" or why the node's IHK is unusable */
	int cpu_owner[IHKD_MAX_CPUS];	/* IHKD_LINUX, _RESERVED, _LEAKED or OS */
	int nchunks;
	struct ihkd_chunk chunks[IHKD_NCHUNKS];
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

/* A latency: uniform between min and max ms (the jitter). */
struct ihkd_range {
	long min, max;
};

/* The steps of the latency model (double-conf.c has the keys). */
enum ihkd_step {
	IHKD_LAT_RESERVE_CPU,		/* per CPU */
	IHKD_LAT_RESERVE_MEM,		/* per call */
	IHKD_LAT_RESERVE_MEM_GIB,	/* per GiB reserved */
	IHKD_LAT_CREATE,
	IHKD_LAT_ASSIGN_CPU,
	IHKD_LAT_IKC_MAP,
	IHKD_LAT_ASSIGN_MEM,
	IHKD_LAT_LOAD,
	IHKD_LAT_KARGS,
	IHKD_LAT_BOOT,			/* BOOTING window before RUNNING */
	IHKD_LAT_SHUTDOWN,		/* shutdown, or destroy of a booted OS */
	IHKD_LAT_RELEASE_CPU,		/* per CPU */
	IHKD_LAT_RELEASE_MEM,		/* per call */
	IHKD_LAT_MCEXEC,		/* mcexec start-up (the mcexec double) */
	IHKD_LAT_NSTEPS
};

enum ihkd_unbooted { IHKD_UNBOOTED_CRASH, IHKD_UNBOOTED_LEAK };
enum ihkd_devkind { IHKD_DEV_REGULAR, IHKD_DEV_CHAR };

/* STATE/double.conf with IHK_DOUBLE_* environment overrides. */
struct ihkd_conf {
	struct ihkd_range lat[IHKD_LAT_NSTEPS];
	long boot_poll_count;
	long boot_poll_interval_ms;
	long destroy_retries;
	long destroy_retry_interval_ms;
	int boot_hang;
	double panic_after_s;	/* after RUNNING; 0 = never */
	double hang_after_s;
	long chunk_split;
	double mem_cap;		/* share of a NUMA node that can be reserved */
	long image_max_bytes;
	enum ihkd_unbooted destroy_unbooted;
	enum ihkd_devkind device_files;
	int uti;		/* the McKernel build has UTI (mcexec double) */
	int nfaults;
	struct ihkd_fault faults[IHKD_MAX_FAULTS];
};

/* One call in progress: the node's paths, configuration and state. */
struct ihkd_ctx {
	const char *call;
	char dir[PATH_MAX];
	int lockfd;
	int writer;		/* 1: logs an event; 2: counts faults only */
	int injected;
	unsigned event_gen;	/* generation to log when the instance is gone */
	long latency_ms;	/* slept after a successful call, unlocked */
	struct ihkd_conf conf;
	struct ihkd_topo *topo;
	struct ihkd_state *st;
};

/* --- double-locate.c */
int ihkd_state_dir(char *buf, size_t len);
/* The hardware of the node in dir (cached per process). */
int ihkd_topo_get(const char *dir, struct ihkd_topo **out);
int ihkd_node_index(const struct ihkd_topo *t, int numa);
int ihkd_cpu_present(const struct ihkd_topo *t, int cpu);

/* --- double-conf.c */
void ihkd_conf_load(const char *dir, struct ihkd_conf *conf);
/* A latency of the model, with its jitter (IHK_DOUBLE_SEED: repeatable). */
long ihkd_latency(const struct ihkd_conf *conf, enum ihkd_step step);
/* Uniform [0,1) for prob= faults (IHK_DOUBLE_SEED: repeatable). */
double ihkd_random_unit(void);
/* Parse CALL:ERRNO[:MODE[:LABEL]]; 0 or -1. */
int ihkd_parse_fault(const char *spec, struct ihkd_fault *f);

/* --- double-state.c */
/* Start a call: resolve the node, lock, load (writer: exclusive, may init). */
int ihkd_begin(struct ihkd_ctx *c, const char *call, int writer);
/* Save (when writer and save), unlock, free. Returns rc. */
int ihkd_end(struct ihkd_ctx *c, int save, int rc);
/* Create a node fresh from boot in dir if needed (root only). */
int ihkd_init_node(const char *dir, const struct ihkd_conf *conf);
void ihkd_state_init(struct ihkd_state *st);
/* Evaluate the configured faults for c->call: 0 or the errno to return. */
int ihkd_fault(struct ihkd_ctx *c);
/* Append a line to STATE/events.log; rc_text overrides rc when not NULL. */
void ihkd_event(const struct ihkd_ctx *c, int os, unsigned gen, int rc, const char *rc_text);
/* Append n bytes to STATE/name (0644, created if needed). */
void ihkd_append(const char *dir, const char *name, const char *line, int n);
int64_t ihkd_now_ms(void);
void ihkd_sleep_ms(long ms);
/* Status of an instance at time now (INACTIVE when not booted). */
int ihkd_status(const struct ihkd_os *o, int64_t now);
void ihkd_dev_path(const char *dir, int os, char *buf, size_t len);
void ihkd_kmsg_path(const char *dir, int os, char *buf, size_t len);

/* --- double-linux.c */
/* Rewrite STATE/sys from the state (under the writer's lock). */
int ihkd_linux_view(const char *dir, const struct ihkd_topo *t, const struct ihkd_state *st);
/* Append a kernel log line to STATE/dmesg. */
void ihkd_dmesg(const char *dir, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --- double-devices.c */
/* Create STATE/dev/mcd0 (minor 0) or mcosN (os >= 0) as configured. */
int ihkd_make_device(const char *dir, int os, enum ihkd_devkind kind);
/*
 * The device file's owner, group and mode let the caller (effective IDs,
 * supplementary groups; root always) have want_user (S_IRUSR, S_IWUSR)
 * at the user, group or others' level: the driver's check at open.
 */
struct stat;
int ihkd_mode_allows(const struct stat *sb, unsigned want_user);
/* Does any process hold path open (also O_PATH)? Scans /proc like fuser. */
int ihkd_device_held(const char *path);
/* The run records of instance os: a directory owned by its device's owner. */
int ihkd_records_create(const char *dir, int os);
void ihkd_records_sync(const char *dir, const struct ihkd_state *st);
/* Fold the records of os into STATE/mcexec.log and remove them (root). */
void ihkd_records_retire(const char *dir, int os);
/* Remove a directory tree (or a file) without following links. */
void ihkd_remove_tree(const char *path);

/* --- double-calls.c: the framework of every call */
int ihkd_start(struct ihkd_ctx *c, const char *call, int writer);
int ihkd_finish(struct ihkd_ctx *c, int os, int rc);
int ihkd_failed_start(struct ihkd_ctx *c, int os, int rc);
struct ihkd_os *ihkd_get_os(struct ihkd_ctx *c, int os);
int ihkd_begin_os_query(struct ihkd_ctx *c, const char *call, int os, struct ihkd_os **o);
int ihkd_start_os(struct ihkd_ctx *c, const char *call, int os, struct ihkd_os **o);
int ihkd_begin_unbooted_os(struct ihkd_ctx *c, const char *call, int os, struct ihkd_os **o);
int ihkd_begin_dev_change(struct ihkd_ctx *c, const char *call, int dev);
int ihkd_check_cpu_list(const struct ihkd_ctx *c, const int *cpus, int n, int owner);
int ihkd_check_mem_request(const struct ihkd_ctx *c, const struct ihk_mem_chunk *req, int n);
int ihkd_count_owned_chunks(const struct ihkd_state *st, int owner);
uint64_t ihkd_node_held(const struct ihkd_state *st, int numa);
int ihkd_fill_owned_chunks(const struct ihkd_state *st, int owner,
			   struct ihk_mem_chunk *out, int n);
/* Give everything an instance holds to owner `to` (reserved pool, leaked). */
void ihkd_move_os_resources(struct ihkd_state *st, int os, int to);

/* --- double-life.c */
/*
 * The real module oopses: persist what makes it permanent (poison the
 * instance, or the whole node when os < 0), log it, kill the caller.
 */
void ihkd_oops(struct ihkd_ctx *c, int os, const char *where, const char *why)
	__attribute__((noreturn));

#endif
