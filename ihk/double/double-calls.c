/*
 * double-calls.c: how every libihk call of the double begins and ends
 * (root-only changes, device access, the crashed node, faults, events,
 * the latency model), and the device-wide calls on CPUs and memory:
 * reservation into IHK's pool and release back to Linux, exact-count
 * queries, physical chunks.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "double-internal.h"
#include "ihk-double.h"
#include "mck-util.h"

/* ------------------------------------------------------------- framework */

static int has_fault_for(const struct ihkd_ctx *c)
{
	for (int i = 0; i < c->conf.nfaults; i++)
		if (!strcmp(c->conf.faults[i].call, c->call))
			return 1;
	return 0;
}

/*
 * Start a call. writer: it changes the node, so it needs euid 0 (like
 * the real ioctls) and takes the lock exclusively. Once the node's IHK
 * has crashed every call fails at once. A query for which a fault is
 * configured is counted under the exclusive lock too, when root, so that
 * once/nth hold for queries as well.
 */
int ihkd_start(struct ihkd_ctx *c, const char *call, int writer)
{
	int rc;

	if (writer && geteuid() != 0) {
		memset(c, 0, sizeof(*c));
		c->lockfd = -1;
		return -EACCES;
	}
	if ((rc = ihkd_begin(c, call, writer)))
		return rc;
	if (c->st->crashed[0])
		return ihkd_end(c, 0, IHKD_CRASHED_ERR);
	if (!writer && geteuid() == 0 && has_fault_for(c)) {
		ihkd_end(c, 0, 0);
		if ((rc = ihkd_begin(c, call, 1)))
			return rc;
		c->writer = 2;	/* counts faults, logs no event */
	}
	return ihkd_fault(c);
}

/*
 * End a call started with ihkd_start(): save, log state-changing calls,
 * then, unlocked, take the time the real call takes when it succeeded.
 */
int ihkd_finish(struct ihkd_ctx *c, int os, int rc)
{
	unsigned gen = c->event_gen;
	int writer = c->writer;
	long latency = c->latency_ms;

	if (os >= 0 && os < IHK_MAX_NUM_OS && c->st && c->st->os[os].exists)
		gen = c->st->os[os].gen;
	if (c->st)
		rc = ihkd_end(c, 1, rc);
	if (writer == 1)
		ihkd_event(c, os, gen, rc, NULL);
	if (rc >= 0 && latency > 0)
		ihkd_sleep_ms(latency);
	return rc;
}

/*
 * End a call whose start (ihkd_start() or a begin_*()) failed: finished
 * like any call when the context is usable, else just rc.
 */
int ihkd_failed_start(struct ihkd_ctx *c, int os, int rc)
{
	c->latency_ms = 0;
	if (c->st)
		return ihkd_finish(c, os, rc);
	return rc;
}

/*
 * The driver's permission check at open: the device file's owner, group
 * and mode against the caller's effective IDs. From stat, not access(2):
 * in a container the device cgroup refuses access(2) on character
 * devices it does not list (EPERM) before any mode bit is read, and the
 * double's devices are in none.
 */
static int can_read(const char *path)
{
	struct stat sb;

	if (geteuid() == 0)
		return 0;
	if (stat(path, &sb))
		return errno == ENOENT ? -ENOENT : -EACCES;
	return ihkd_mode_allows(&sb, S_IRUSR) ? 0 : -EACCES;
}
struct ihkd_os *ihkd_get_os(struct ihkd_ctx *c, int os)
{
	if (os < 0 || os >= IHK_MAX_NUM_OS || !c->st->os[os].exists)
		return NULL;
	return &c->st->os[os];
}

/* A query on /dev/mcd0: needs read access to it. */
static int begin_dev_query(struct ihkd_ctx *c, const char *call, int dev)
{
	char path[PATH_MAX + 16];
	int rc = ihkd_start(c, call, 0);

	if (rc)
		return rc;
	if (dev != 0)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/dev/mcd0", c->dir);
	return can_read(path);
}

/* A state-changing call on /dev/mcd0: -EACCES, -ENOENT. */
int ihkd_begin_dev_change(struct ihkd_ctx *c, const char *call, int dev)
{
	int rc = ihkd_start(c, call, 1);

	if (rc)
		return rc;
	return dev != 0 ? -ENOENT : 0;
}

/* A query on /dev/mcosN: -ENOENT, -EACCES without read access to it. */
int ihkd_begin_os_query(struct ihkd_ctx *c, const char *call, int os, struct ihkd_os **o)
{
	char path[PATH_MAX + 16];
	int rc = ihkd_start(c, call, 0);

	if (rc)
		return rc;
	if (!(*o = ihkd_get_os(c, os)))
		return -ENOENT;
	ihkd_dev_path(c->dir, os, path, sizeof(path));
	return can_read(path);
}

/* A state-changing call on an instance: -ENOENT, -EACCES. */
int ihkd_start_os(struct ihkd_ctx *c, const char *call, int os, struct ihkd_os **o)
{
	int rc = ihkd_start(c, call, 1);

	if (rc)
		return rc;
	if (!(*o = ihkd_get_os(c, os)))
		return -ENOENT;
	return 0;
}

/*
 * A state-changing call that needs the instance in its initial state:
 * also -EBUSY once booted or shut down, or when wedged by a fatal call.
 */
int ihkd_begin_unbooted_os(struct ihkd_ctx *c, const char *call, int os, struct ihkd_os **o)
{
	int rc = ihkd_start_os(c, call, os, o);

	if (rc)
		return rc;
	return (*o)->phase != IHKD_CREATED || (*o)->poisoned ? -EBUSY : 0;
}

/* The sum of n draws of a per-unit latency. */
static long per_unit(const struct ihkd_conf *conf, enum ihkd_step step, long n)
{
	long total = 0;

	for (long i = 0; i < n; i++)
		total += ihkd_latency(conf, step);
	return total;
}

/* ------------------------------------------------------------ resources */

void ihkd_move_os_resources(struct ihkd_state *st, int os, int to)
{
	struct ihkd_os *o = &st->os[os];

	for (int i = 0; i < IHKD_MAX_CPUS; i++)
		if (st->cpu_owner[i] == os)
			st->cpu_owner[i] = to;
	for (int i = 0; i < st->nchunks; i++)
		if (st->chunks[i].owner == os)
			st->chunks[i].owner = to;
	o->ncpus = 0;
	o->nikc = 0;
}

static void remove_chunk(struct ihkd_state *st, int i)
{
	memmove(&st->chunks[i], &st->chunks[i + 1],
		(st->nchunks - i - 1) * sizeof(st->chunks[0]));
	st->nchunks--;
}

int ihkd_count_owned_chunks(const struct ihkd_state *st, int owner)
{
	int n = 0;

	for (int i = 0; i < st->nchunks; i++)
		n += st->chunks[i].owner == owner;
	return n;
}

int ihkd_fill_owned_chunks(const struct ihkd_state *st, int owner,
			   struct ihk_mem_chunk *out, int n)
{
	int k = 0;

	if (n != ihkd_count_owned_chunks(st, owner) || (n > 0 && !out))
		return -EINVAL;
	for (int i = 0; i < st->nchunks; i++)
		if (st->chunks[i].owner == owner)
			out[k++] = (struct ihk_mem_chunk){ st->chunks[i].size, st->chunks[i].numa };
	return 0;
}

/*
 * Give back reserved chunks to Linux: each entry must match one chunk
 * exactly (size and node), size -1 takes all of a node (all nodes when
 * the node is negative). Nothing moves unless every entry matches.
 */
static int release_reserved_chunks(struct ihkd_state *st, const struct ihk_mem_chunk *req, int n)
{
	char *pick;
	int rc = -EINVAL;

	if (n < 0 || n > IHK_MAX_NUM_MEM_CHUNKS || (n > 0 && !req))
		return -EINVAL;
	if (!(pick = calloc(st->nchunks + 1, 1)))
		return -ENOMEM;
	for (int r = 0; r < n; r++) {
		int all = req[r].size == (unsigned long)-1, found = all;

		for (int i = 0; i < st->nchunks; i++) {
			struct ihkd_chunk *ch = &st->chunks[i];

			if (ch->owner != IHKD_RESERVED || pick[i])
				continue;
			if (all && (req[r].numa_node_number < 0 || ch->numa == req[r].numa_node_number)) {
				pick[i] = 1;
			} else if (!all && ch->size == req[r].size && ch->numa == req[r].numa_node_number) {
				pick[i] = found = 1;
				break;
			}
		}
		if (!found)
			goto fail;
	}
	for (int i = st->nchunks - 1; i >= 0; i--)
		if (pick[i])
			remove_chunk(st, i);
	rc = 0;
fail:
	free(pick);
	return rc;
}

/* ---------------------------------------------------------------- CPUs */

int ihkd_check_cpu_list(const struct ihkd_ctx *c, const int *cpus, int n, int owner)
{
	if (n < 0 || n > IHK_MAX_NUM_CPUS || (n > 0 && !cpus))
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		if (cpus[i] < 0 || cpus[i] >= IHKD_MAX_CPUS ||
		    !ihkd_cpu_present(c->topo, cpus[i]) ||
		    c->st->cpu_owner[cpus[i]] != owner)
			return -EINVAL;
		for (int k = 0; k < i; k++)
			if (cpus[k] == cpus[i])
				return -EINVAL;
	}
	return 0;
}

/* reserve (Linux -> reserved) and release (reserved -> Linux) */
static int move_dev_cpus(const char *call, int dev, const int *cpus, int n, int from, int to,
			 enum ihkd_step step)
{
	struct ihkd_ctx c;
	int rc = ihkd_begin_dev_change(&c, call, dev);

	if (rc)
		return ihkd_failed_start(&c, -1, rc);
	if (!(rc = ihkd_check_cpu_list(&c, cpus, n, from))) {
		for (int i = 0; i < n; i++)
			c.st->cpu_owner[cpus[i]] = to;
		c.latency_ms = per_unit(&c.conf, step, n);
	}
	return ihkd_finish(&c, -1, rc);
}

static int cpu_reserved(const struct ihkd_state *st, int i)
{
	return st->cpu_owner[i] == IHKD_RESERVED;
}

static int os_exists(const struct ihkd_state *st, int i)
{
	return st->os[i].exists;
}

/* How many of the indices below max have(). */
static int count_indices(const struct ihkd_state *st, int max,
			 int (*have)(const struct ihkd_state *, int))
{
	int n = 0;

	for (int i = 0; i < max; i++)
		n += have(st, i);
	return n;
}

/* The indices below max that have(), in order; n must be their number. */
static int fill_indices(const struct ihkd_state *st, int max,
			int (*have)(const struct ihkd_state *, int), int *out, int n)
{
	int k = 0;

	if (n != count_indices(st, max, have) || (n > 0 && !out))
		return -EINVAL;
	for (int i = 0; i < max; i++)
		if (have(st, i))
			out[k++] = i;
	return 0;
}

int ihk_reserve_cpu(int dev, int *cpus, int n)
{
	return move_dev_cpus(__func__, dev, cpus, n, IHKD_LINUX, IHKD_RESERVED,
			     IHKD_LAT_RESERVE_CPU);
}

int ihk_get_num_reserved_cpus(int dev)
{
	struct ihkd_ctx c;
	int rc = begin_dev_query(&c, __func__, dev);

	if (rc)
		return ihkd_failed_start(&c, -1, rc);
	return ihkd_finish(&c, -1, count_indices(c.st, IHKD_MAX_CPUS, cpu_reserved));
}

int ihk_query_cpu(int dev, int *cpus, int n)
{
	struct ihkd_ctx c;
	int rc = begin_dev_query(&c, __func__, dev);

	if (rc)
		return ihkd_failed_start(&c, -1, rc);
	return ihkd_finish(&c, -1, fill_indices(c.st, IHKD_MAX_CPUS, cpu_reserved, cpus, n));
}

int ihk_release_cpu(int dev, int *cpus, int n)
{
	return move_dev_cpus(__func__, dev, cpus, n, IHKD_RESERVED, IHKD_LINUX,
			     IHKD_LAT_RELEASE_CPU);
}

/* -------------------------------------------------------------- memory */

/* Memory of a NUMA node IHK holds: in its pool, assigned, or leaked. */
uint64_t ihkd_node_held(const struct ihkd_state *st, int numa)
{
	uint64_t used = 0;

	for (int i = 0; i < st->nchunks; i++)
		if (st->chunks[i].numa == numa)
			used += st->chunks[i].size;
	return used;
}

/* One request comes back as chunk_split physical chunks (4 MiB units). */
static int add_physical_chunks(struct ihkd_ctx *c, unsigned long size, int numa)
{
	unsigned long units = size / IHKD_MEM_UNIT;
	unsigned long parts = (unsigned long)c->conf.chunk_split;

	if (parts > units)
		parts = units;
	if (c->st->nchunks + (int)parts > IHKD_NCHUNKS)
		return -ENOMEM;
	for (unsigned long p = 0; p < parts; p++) {
		unsigned long u = units / parts + (p < units % parts ? 1 : 0);

		c->st->chunks[c->st->nchunks++] =
			(struct ihkd_chunk){ u * IHKD_MEM_UNIT, numa, IHKD_RESERVED };
	}
	return 0;
}

/* A request for new chunks: existing nodes, 4 MiB units or -1 (all). */
int ihkd_check_mem_request(const struct ihkd_ctx *c, const struct ihk_mem_chunk *req, int n)
{
	if (n < 0 || n > IHK_MAX_NUM_MEM_CHUNKS || (n > 0 && !req))
		return -EINVAL;
	for (int i = 0; i < n; i++)
		if (ihkd_node_index(c->topo, req[i].numa_node_number) < 0 ||
		    (req[i].size != (unsigned long)-1 &&
		     (req[i].size == 0 || req[i].size % IHKD_MEM_UNIT)))
			return -EINVAL;
	return 0;
}

/* Take the time the reservation of `bytes` takes (a fixed part + per GiB). */
static void reserve_mem_latency(struct ihkd_ctx *c, uint64_t bytes)
{
	double gib = (double)bytes / (double)(1UL << 30);

	c->latency_ms = ihkd_latency(&c->conf, IHKD_LAT_RESERVE_MEM) +
			(long)(gib * (double)ihkd_latency(&c->conf, IHKD_LAT_RESERVE_MEM_GIB));
}

int ihk_reserve_mem(int dev, struct ihk_mem_chunk *req, int n)
{
	struct ihkd_ctx c;
	uint64_t total = 0;
	int rc = ihkd_begin_dev_change(&c, __func__, dev);

	if (rc)
		return ihkd_failed_start(&c, -1, rc);
	if ((rc = ihkd_check_mem_request(&c, req, n)))
		return ihkd_finish(&c, -1, rc);
	/* Chunks reserved before a failing one stay reserved, like IHK. */
	for (int i = 0; i < n; i++) {
		int numa = req[i].numa_node_number;
		uint64_t cap = (uint64_t)(c.topo->node_mem[ihkd_node_index(c.topo, numa)] * c.conf.mem_cap);
		uint64_t used = ihkd_node_held(c.st, numa);
		uint64_t size = req[i].size;

		if (size == (uint64_t)-1)
			size = used < cap ? (cap - used) / IHKD_MEM_UNIT * IHKD_MEM_UNIT : 0;
		if (size == 0 || used + size > cap) {
			rc = -ENOMEM;
			break;
		}
		if ((rc = add_physical_chunks(&c, size, numa)))
			break;
		total += size;
	}
	if (rc == 0)
		reserve_mem_latency(&c, total);
	return ihkd_finish(&c, -1, rc);
}

int ihk_get_num_reserved_mem_chunks(int dev)
{
	struct ihkd_ctx c;
	int rc = begin_dev_query(&c, __func__, dev);

	if (rc)
		return ihkd_failed_start(&c, -1, rc);
	return ihkd_finish(&c, -1, ihkd_count_owned_chunks(c.st, IHKD_RESERVED));
}

int ihk_query_mem(int dev, struct ihk_mem_chunk *out, int n)
{
	struct ihkd_ctx c;
	int rc = begin_dev_query(&c, __func__, dev);

	if (rc)
		return ihkd_failed_start(&c, -1, rc);
	return ihkd_finish(&c, -1, ihkd_fill_owned_chunks(c.st, IHKD_RESERVED, out, n));
}

int ihk_release_mem(int dev, struct ihk_mem_chunk *req, int n)
{
	struct ihkd_ctx c;
	int rc = ihkd_begin_dev_change(&c, __func__, dev);

	if (rc)
		return ihkd_failed_start(&c, -1, rc);
	if ((rc = release_reserved_chunks(c.st, req, n)) == 0)
		c.latency_ms = ihkd_latency(&c.conf, IHKD_LAT_RELEASE_MEM);
	return ihkd_finish(&c, -1, rc);
}

/* --------------------------------------------------- instance listing */

int ihk_get_num_os_instances(int dev)
{
	struct ihkd_ctx c;
	int rc = begin_dev_query(&c, __func__, dev);

	if (rc)
		return ihkd_failed_start(&c, -1, rc);
	return ihkd_finish(&c, -1, count_indices(c.st, IHK_MAX_NUM_OS, os_exists));
}

int ihk_get_os_instances(int dev, int *indices, int n)
{
	struct ihkd_ctx c;
	int rc = begin_dev_query(&c, __func__, dev);

	if (rc)
		return ihkd_failed_start(&c, -1, rc);
	return ihkd_finish(&c, -1, fill_indices(c.st, IHK_MAX_NUM_OS, os_exists, indices, n));
}
