/*
 * double-calls.c: libihk's functions (ihk/ihklib-abi.h) over the node
 * model of double-state.c, with the semantics of the IHK interface
 * reference: every errno condition, exact-count queries, physical memory
 * chunks, the boot poll, shutdown into the reserved pool, destroy refused
 * while /dev/mcosN is held open, root-only state changes.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "double-internal.h"
#include "ihk-double.h"
#include "mck-util.h"

#define NCHUNKS_MAX ((int)(sizeof(((struct ihkd_state *)0)->chunks) / sizeof(struct ihkd_chunk)))

int ihkd_status(const struct ihkd_os *o, int64_t now)
{
	switch (o->phase) {
	case IHKD_CREATED:
	case IHKD_DOWN:
		return IHK_STATUS_INACTIVE;
	case IHKD_SHUTTING:
		return IHK_STATUS_SHUTDOWN;
	case IHKD_BOOTED:
		break;
	}
	if (o->panic_ms && now >= o->panic_ms)
		return IHK_STATUS_PANIC;
	if (o->hang_ms && now >= o->hang_ms)
		return IHK_STATUS_HUNGUP;
	if (!o->running_ms || now < o->running_ms)
		return IHK_STATUS_BOOTING;
	return IHK_STATUS_RUNNING;
}

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
 * the real ioctls) and takes the lock exclusively. A query for which a
 * fault is configured is counted under the exclusive lock too, when
 * root, so that once/nth hold for queries as well.
 */
static int start(struct ihkd_ctx *c, const char *call, int writer)
{
	int rc;

	if (writer && geteuid() != 0) {
		memset(c, 0, sizeof(*c));
		c->lockfd = -1;
		return -EACCES;
	}
	rc = ihkd_begin(c, call, writer);
	if (rc)
		return rc;
	if (!writer && geteuid() == 0 && has_fault_for(c)) {
		ihkd_end(c, 0, 0);
		if ((rc = ihkd_begin(c, call, 1)))
			return rc;
		c->writer = 2;	/* counts faults, logs no event */
	}
	return ihkd_fault(c);
}

/* End a call started with start(); logs state-changing calls. */
static int finish(struct ihkd_ctx *c, int os, int rc)
{
	unsigned gen = c->event_gen;
	int writer = c->writer;

	if (os >= 0 && os < IHK_MAX_NUM_OS && c->st && c->st->os[os].exists)
		gen = c->st->os[os].gen;
	if (c->st)
		rc = ihkd_end(c, 1, rc);
	if (writer == 1)
		ihkd_event(c, os, gen, rc);
	return rc;
}

/*
 * End a call whose start (start() or one of the begin_*() below) failed:
 * finished like any call when the context is usable, else just rc.
 */
static int failed_start(struct ihkd_ctx *c, int os, int rc)
{
	if (c->st)
		return finish(c, os, rc);
	return rc;
}

static int can_read(const char *path)
{
	if (geteuid() == 0)
		return 0;
	if (faccessat(AT_FDCWD, path, R_OK, AT_EACCESS))
		return errno == ENOENT ? -ENOENT : -EACCES;
	return 0;
}

/* Queries on /dev/mcd0 need read access to it. */
static int dev_query_access(const struct ihkd_ctx *c, int dev)
{
	char path[PATH_MAX + 16];

	if (dev != 0)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/dev/mcd0", c->dir);
	return can_read(path);
}

static struct ihkd_os *get_os(struct ihkd_ctx *c, int os)
{
	if (os < 0 || os >= IHK_MAX_NUM_OS || !c->st->os[os].exists)
		return NULL;
	return &c->st->os[os];
}

/* Queries on /dev/mcosN need the instance and read access to its device. */
static int os_query_access(struct ihkd_ctx *c, int os, struct ihkd_os **o)
{
	char path[PATH_MAX + 16];

	if (!(*o = get_os(c, os)))
		return -ENOENT;
	ihkd_dev_path(c->dir, os, path, sizeof(path));
	return can_read(path);
}

static int os_booted(const struct ihkd_os *o)
{
	return o->phase != IHKD_CREATED;
}

/*
 * The ways a call begins. Each returns 0 with the context usable, else
 * an error for failed_start().
 */

/* A query on /dev/mcd0. */
static int begin_dev_query(struct ihkd_ctx *c, const char *call, int dev)
{
	int rc = start(c, call, 0);

	return rc ? rc : dev_query_access(c, dev);
}

/* A state-changing call on /dev/mcd0: -EACCES, -ENOENT. */
static int begin_dev_change(struct ihkd_ctx *c, const char *call, int dev)
{
	int rc = start(c, call, 1);

	if (rc)
		return rc;
	return dev != 0 ? -ENOENT : 0;
}

/* A query on /dev/mcosN: -ENOENT, -EACCES. */
static int begin_os_query(struct ihkd_ctx *c, const char *call, int os, struct ihkd_os **o)
{
	int rc = start(c, call, 0);

	return rc ? rc : os_query_access(c, os, o);
}

/* Start a state-changing call on an instance: -ENOENT, -EACCES. */
static int start_os(struct ihkd_ctx *c, const char *call, int os, struct ihkd_os **o)
{
	int rc = start(c, call, 1);

	if (rc)
		return rc;
	if (!(*o = get_os(c, os)))
		return -ENOENT;
	return 0;
}

/* A state-changing call on an instance not booted yet: also -EBUSY. */
static int begin_unbooted_os(struct ihkd_ctx *c, const char *call, int os, struct ihkd_os **o)
{
	int rc = start_os(c, call, os, o);

	if (rc)
		return rc;
	return os_booted(*o) ? -EBUSY : 0;
}

static void return_resources(struct ihkd_state *st, int os)
{
	struct ihkd_os *o = &st->os[os];

	for (int i = 0; i < IHKD_MAX_CPUS; i++)
		if (st->cpu_owner[i] == os)
			st->cpu_owner[i] = IHKD_RESERVED;
	for (int i = 0; i < st->nchunks; i++)
		if (st->chunks[i].owner == os)
			st->chunks[i].owner = IHKD_RESERVED;
	o->ncpus = 0;
	o->nikc = 0;
}

static void remove_chunk(struct ihkd_state *st, int i)
{
	memmove(&st->chunks[i], &st->chunks[i + 1],
		(st->nchunks - i - 1) * sizeof(st->chunks[0]));
	st->nchunks--;
}

static int count_owned_chunks(const struct ihkd_state *st, int owner)
{
	int n = 0;

	for (int i = 0; i < st->nchunks; i++)
		n += st->chunks[i].owner == owner;
	return n;
}

static int fill_owned_chunks(const struct ihkd_state *st, int owner,
			     struct ihk_mem_chunk *out, int n)
{
	int k = 0;

	if (n != count_owned_chunks(st, owner) || (n > 0 && !out))
		return -EINVAL;
	for (int i = 0; i < st->nchunks; i++)
		if (st->chunks[i].owner == owner)
			out[k++] = (struct ihk_mem_chunk){ st->chunks[i].size, st->chunks[i].numa };
	return 0;
}

/*
 * Give chunks of owner `from` to `to`: each entry must match one chunk
 * exactly (size and node), size -1 takes all of a node (all nodes when
 * the node is negative). Nothing moves unless every entry matches.
 */
static int move_exact_chunks(struct ihkd_state *st, int from, int to,
			     const struct ihk_mem_chunk *req, int n)
{
	char *pick;
	int rc = -EINVAL;

	if (n < 0 || n > IHK_MAX_NUM_MEM_CHUNKS || (n > 0 && !req))
		return -EINVAL;
	if (!(pick = calloc(st->nchunks + 1, 1)))
		return -ENOMEM;
	for (int r = 0; r < n; r++) {
		int found = 0;

		for (int i = 0; i < st->nchunks; i++) {
			struct ihkd_chunk *ch = &st->chunks[i];

			if (ch->owner != from || pick[i])
				continue;
			if (req[r].size == (unsigned long)-1) {
				if (req[r].numa_node_number < 0 || ch->numa == req[r].numa_node_number) {
					pick[i] = 1;
					found = 1;
				}
			} else if (ch->size == req[r].size && ch->numa == req[r].numa_node_number) {
				pick[i] = 1;
				found = 1;
				break;
			}
		}
		if (!found && req[r].size != (unsigned long)-1)
			goto fail;
	}
	for (int i = st->nchunks - 1; i >= 0; i--) {
		if (!pick[i])
			continue;
		if (to == IHKD_LINUX)
			remove_chunk(st, i);
		else
			st->chunks[i].owner = to;
	}
	rc = 0;
fail:
	free(pick);
	return rc;
}

/* ---------------------------------------------------------------- CPUs */

static int check_cpu_list(const struct ihkd_ctx *c, const int *cpus, int n, int owner)
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
static int move_dev_cpus(const char *call, int dev, const int *cpus, int n, int from, int to)
{
	struct ihkd_ctx c;
	int rc = begin_dev_change(&c, call, dev);

	if (rc)
		return failed_start(&c, -1, rc);
	if (!(rc = check_cpu_list(&c, cpus, n, from)))
		for (int i = 0; i < n; i++)
			c.st->cpu_owner[cpus[i]] = to;
	return finish(&c, -1, rc);
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
	return move_dev_cpus(__func__, dev, cpus, n, IHKD_LINUX, IHKD_RESERVED);
}

int ihk_get_num_reserved_cpus(int dev)
{
	struct ihkd_ctx c;
	int rc = begin_dev_query(&c, __func__, dev);

	if (rc)
		return failed_start(&c, -1, rc);
	return finish(&c, -1, count_indices(c.st, IHKD_MAX_CPUS, cpu_reserved));
}

int ihk_query_cpu(int dev, int *cpus, int n)
{
	struct ihkd_ctx c;
	int rc = begin_dev_query(&c, __func__, dev);

	if (rc)
		return failed_start(&c, -1, rc);
	return finish(&c, -1, fill_indices(c.st, IHKD_MAX_CPUS, cpu_reserved, cpus, n));
}

int ihk_release_cpu(int dev, int *cpus, int n)
{
	return move_dev_cpus(__func__, dev, cpus, n, IHKD_RESERVED, IHKD_LINUX);
}

/* -------------------------------------------------------------- memory */

static uint64_t node_used(const struct ihkd_state *st, int numa)
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
	if (c->st->nchunks + (int)parts > NCHUNKS_MAX)
		return -ENOMEM;
	for (unsigned long p = 0; p < parts; p++) {
		unsigned long u = units / parts + (p < units % parts ? 1 : 0);

		c->st->chunks[c->st->nchunks++] =
			(struct ihkd_chunk){ u * IHKD_MEM_UNIT, numa, IHKD_RESERVED };
	}
	return 0;
}

/* A request for new chunks: existing nodes, 4 MiB units or -1 (all). */
static int check_mem_request(const struct ihkd_ctx *c, const struct ihk_mem_chunk *req, int n)
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

int ihk_reserve_mem(int dev, struct ihk_mem_chunk *req, int n)
{
	struct ihkd_ctx c;
	int rc = begin_dev_change(&c, __func__, dev);

	if (rc)
		return failed_start(&c, -1, rc);
	if ((rc = check_mem_request(&c, req, n)))
		return finish(&c, -1, rc);
	/* Chunks reserved before a failing one stay reserved, like IHK. */
	for (int i = 0; i < n; i++) {
		int numa = req[i].numa_node_number;
		uint64_t cap = (uint64_t)(c.topo->node_mem[ihkd_node_index(c.topo, numa)] * c.conf.mem_cap);
		uint64_t used = node_used(c.st, numa);
		uint64_t size = req[i].size;

		if (size == (uint64_t)-1)
			size = used < cap ? (cap - used) / IHKD_MEM_UNIT * IHKD_MEM_UNIT : 0;
		if (size == 0 || used + size > cap) {
			rc = -ENOMEM;
			break;
		}
		if ((rc = add_physical_chunks(&c, size, numa)))
			break;
	}
	return finish(&c, -1, rc);
}

int ihk_get_num_reserved_mem_chunks(int dev)
{
	struct ihkd_ctx c;
	int rc = begin_dev_query(&c, __func__, dev);

	if (rc)
		return failed_start(&c, -1, rc);
	return finish(&c, -1, count_owned_chunks(c.st, IHKD_RESERVED));
}

int ihk_query_mem(int dev, struct ihk_mem_chunk *out, int n)
{
	struct ihkd_ctx c;
	int rc = begin_dev_query(&c, __func__, dev);

	if (rc)
		return failed_start(&c, -1, rc);
	return finish(&c, -1, fill_owned_chunks(c.st, IHKD_RESERVED, out, n));
}

int ihk_release_mem(int dev, struct ihk_mem_chunk *req, int n)
{
	struct ihkd_ctx c;
	int rc = begin_dev_change(&c, __func__, dev);

	if (rc)
		return failed_start(&c, -1, rc);
	return finish(&c, -1, move_exact_chunks(c.st, IHKD_RESERVED, IHKD_LINUX, req, n));
}

/* ----------------------------------------------------------- instances */

static int make_device(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	/* like udev's node for /dev/mcosN: crw------- root */
	if (fchown(fd, 0, 0) || fchmod(fd, 0600)) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	close(fd);
	return 0;
}

int ihk_create_os(int dev)
{
	struct ihkd_ctx c;
	char path[PATH_MAX + 16];
	int rc = begin_dev_change(&c, __func__, dev), os = -1;

	if (rc)
		return failed_start(&c, -1, rc);
	for (int i = 0; i < IHK_MAX_NUM_OS && os < 0; i++)
		if (!c.st->os[i].exists)
			os = i;
	if (os < 0)
		return finish(&c, -1, -ENOSPC);
	ihkd_dev_path(c.dir, os, path, sizeof(path));
	if ((rc = make_device(path)))
		return finish(&c, -1, rc);
	ihkd_kmsg_path(c.dir, os, path, sizeof(path));
	unlink(path);
	memset(&c.st->os[os], 0, sizeof(c.st->os[os]));
	c.st->os[os].exists = 1;
	c.st->os[os].gen = c.st->next_gen++;
	c.st->os[os].phase = IHKD_CREATED;
	return finish(&c, os, os);
}

int ihk_get_num_os_instances(int dev)
{
	struct ihkd_ctx c;
	int rc = begin_dev_query(&c, __func__, dev);

	if (rc)
		return failed_start(&c, -1, rc);
	return finish(&c, -1, count_indices(c.st, IHK_MAX_NUM_OS, os_exists));
}

int ihk_get_os_instances(int dev, int *indices, int n)
{
	struct ihkd_ctx c;
	int rc = begin_dev_query(&c, __func__, dev);

	if (rc)
		return failed_start(&c, -1, rc);
	return finish(&c, -1, fill_indices(c.st, IHK_MAX_NUM_OS, os_exists, indices, n));
}

/* Does any process hold path open? Scans /proc/PID/fd like fuser. */
static int device_held(const char *path)
{
	struct stat target, sb;
	struct dirent *p, *f;
	DIR *proc, *fds;
	int held = 0;

	if (stat(path, &target))
		return 0;
	if (!(proc = opendir("/proc")))
		return 0;
	while (!held && (p = readdir(proc))) {
		char dir[300], link[600];

		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		snprintf(dir, sizeof(dir), "/proc/%s/fd", p->d_name);
		if (!(fds = opendir(dir)))
			continue;
		while ((f = readdir(fds))) {
			if (f->d_name[0] == '.')
				continue;
			snprintf(link, sizeof(link), "%s/%s", dir, f->d_name);
			if (stat(link, &sb) == 0 && sb.st_dev == target.st_dev &&
			    sb.st_ino == target.st_ino) {
				held = 1;
				break;
			}
		}
		closedir(fds);
	}
	closedir(proc);
	return held;
}

int ihk_destroy_os(int dev, int os)
{
	struct ihkd_ctx c;
	char path[PATH_MAX + 16];
	long retries, interval;
	unsigned gen;
	int rc = begin_dev_change(&c, __func__, dev);

	if (rc)
		return failed_start(&c, os, rc);
	if (!get_os(&c, os))
		return finish(&c, os, -EINVAL);
	gen = c.st->os[os].gen;
	retries = c.conf.destroy_retries;
	interval = c.conf.destroy_retry_interval_ms;
	ihkd_dev_path(c.dir, os, path, sizeof(path));
	ihkd_end(&c, 1, 0);

	/* Like libihk: retry while the device is busy, then give up. */
	for (long i = 0; device_held(path); i++) {
		if (i >= retries) {
			if ((rc = ihkd_begin(&c, "ihk_destroy_os", 1)))
				return rc;
			return finish(&c, os, -EBUSY);
		}
		ihkd_sleep_ms(interval);
	}
	if ((rc = ihkd_begin(&c, "ihk_destroy_os", 1)))
		return rc;
	if (!get_os(&c, os) || c.st->os[os].gen != gen)
		return finish(&c, os, -EINVAL);	/* destroyed meanwhile */
	if (device_held(path))
		return finish(&c, os, -EBUSY);
	/* A booted OS is shut down first; its resources go to the pool. */
	return_resources(c.st, os);
	c.event_gen = gen;
	memset(&c.st->os[os], 0, sizeof(c.st->os[os]));
	unlink(path);
	ihkd_kmsg_path(c.dir, os, path, sizeof(path));
	unlink(path);
	return finish(&c, os, 0);
}

/* ------------------------------------------------------- OS resources */

int ihk_os_assign_cpu(int os, int *cpus, int n)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = begin_unbooted_os(&c, __func__, os, &o);

	if (rc)
		return failed_start(&c, os, rc);
	if ((rc = check_cpu_list(&c, cpus, n, IHKD_RESERVED)))
		return finish(&c, os, rc);
	if (o->ncpus + n > IHK_MAX_NUM_CPUS)
		return finish(&c, os, -EINVAL);
	for (int i = 0; i < n; i++) {
		c.st->cpu_owner[cpus[i]] = os;
		o->cpus[o->ncpus++] = cpus[i];
	}
	return finish(&c, os, 0);
}

int ihk_os_get_num_assigned_cpus(int os)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = begin_os_query(&c, __func__, os, &o);

	if (rc)
		return failed_start(&c, os, rc);
	return finish(&c, os, o->ncpus);
}

int ihk_os_query_cpu(int os, int *cpus, int n)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = begin_os_query(&c, __func__, os, &o);

	if (rc)
		return failed_start(&c, os, rc);
	if (n != o->ncpus || (n > 0 && !cpus))
		return finish(&c, os, -EINVAL);
	memcpy(cpus, o->cpus, n * sizeof(int));
	return finish(&c, os, 0);
}

int ihk_os_release_cpu(int os, int *cpus, int n)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = begin_unbooted_os(&c, __func__, os, &o);

	if (rc)
		return failed_start(&c, os, rc);
	if ((rc = check_cpu_list(&c, cpus, n, os)))
		return finish(&c, os, rc);
	for (int i = 0; i < n; i++) {
		int k = 0;

		c.st->cpu_owner[cpus[i]] = IHKD_RESERVED;
		while (k < o->ncpus && o->cpus[k] != cpus[i])
			k++;
		memmove(&o->cpus[k], &o->cpus[k + 1], (o->ncpus - k - 1) * sizeof(int));
		o->ncpus--;
		for (k = 0; k < o->nikc; k++)
			if (o->ikc[k].src_cpu == cpus[i]) {
				memmove(&o->ikc[k], &o->ikc[k + 1], (o->nikc - k - 1) * sizeof(o->ikc[0]));
				o->nikc--;
				break;
			}
	}
	return finish(&c, os, 0);
}

int ihk_os_set_ikc_map(int os, struct ihk_ikc_cpu_map *map, int n)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = begin_unbooted_os(&c, __func__, os, &o);

	if (rc)
		return failed_start(&c, os, rc);
	if (n != o->ncpus || n <= 0 || !map)
		return finish(&c, os, -EINVAL);
	for (int i = 0; i < n; i++) {
		int s = map[i].src_cpu, d = map[i].dst_cpu;

		if (s < 0 || s >= IHKD_MAX_CPUS || c.st->cpu_owner[s] != os ||
		    d < 0 || d >= IHKD_MAX_CPUS || !ihkd_cpu_present(c.topo, d) ||
		    c.st->cpu_owner[d] != IHKD_LINUX)
			return finish(&c, os, -EINVAL);
		for (int k = 0; k < i; k++)
			if (map[k].src_cpu == s)
				return finish(&c, os, -EINVAL);
	}
	memcpy(o->ikc, map, n * sizeof(*map));
	o->nikc = n;
	return finish(&c, os, 0);
}

int ihk_os_get_ikc_map(int os, struct ihk_ikc_cpu_map *map, int n)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = begin_os_query(&c, __func__, os, &o);

	if (rc)
		return failed_start(&c, os, rc);
	if (n != o->ncpus || (n > 0 && !map))
		return finish(&c, os, -EINVAL);
	/* In LWK CPU order; without a map every CPU offloads to Linux CPU 0. */
	for (int i = 0; i < n; i++) {
		map[i] = (struct ihk_ikc_cpu_map){ o->cpus[i], 0 };
		for (int k = 0; k < o->nikc; k++)
			if (o->ikc[k].src_cpu == o->cpus[i])
				map[i].dst_cpu = o->ikc[k].dst_cpu;
	}
	return finish(&c, os, 0);
}

/* Take size bytes of node numa from the reserved pool, splitting a chunk. */
static int take_reserved(struct ihkd_state *st, int os, int numa, unsigned long size)
{
	int all = size == (unsigned long)-1, took = 0;

	for (int i = 0; i < st->nchunks && (all || size > 0); i++) {
		struct ihkd_chunk *ch = &st->chunks[i];

		if (ch->owner != IHKD_RESERVED || ch->numa != numa)
			continue;
		if (all || ch->size <= size) {
			if (!all)
				size -= ch->size;
			ch->owner = os;
			took = 1;
		} else {
			if (st->nchunks >= NCHUNKS_MAX)
				return -ENOMEM;
			ch->size -= size;
			st->chunks[st->nchunks++] = (struct ihkd_chunk){ size, numa, os };
			size = 0;
			took = 1;
		}
	}
	if (all)
		return took ? 0 : -ENOMEM;
	return size ? -ENOMEM : 0;
}

int ihk_os_assign_mem(int os, struct ihk_mem_chunk *req, int n)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	struct ihkd_chunk *saved = NULL;
	int saved_n, rc = begin_unbooted_os(&c, __func__, os, &o);

	if (rc)
		return failed_start(&c, os, rc);
	if ((rc = check_mem_request(&c, req, n)))
		return finish(&c, os, rc);
	saved_n = c.st->nchunks;
	if (!(saved = malloc(sizeof(c.st->chunks))))
		return finish(&c, os, -ENOMEM);
	memcpy(saved, c.st->chunks, sizeof(c.st->chunks));
	for (int i = 0; i < n && !rc; i++)
		rc = take_reserved(c.st, os, req[i].numa_node_number, req[i].size);
	if (rc) {	/* all or nothing */
		memcpy(c.st->chunks, saved, sizeof(c.st->chunks));
		c.st->nchunks = saved_n;
	}
	free(saved);
	return finish(&c, os, rc);
}

int ihk_os_get_num_assigned_mem_chunks(int os)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = begin_os_query(&c, __func__, os, &o);

	if (rc)
		return failed_start(&c, os, rc);
	return finish(&c, os, count_owned_chunks(c.st, os));
}

int ihk_os_query_mem(int os, struct ihk_mem_chunk *out, int n)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = begin_os_query(&c, __func__, os, &o);

	if (rc)
		return failed_start(&c, os, rc);
	return finish(&c, os, fill_owned_chunks(c.st, os, out, n));
}

int ihk_os_release_mem(int os, struct ihk_mem_chunk *req, int n)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = begin_unbooted_os(&c, __func__, os, &o);

	if (rc)
		return failed_start(&c, os, rc);
	return finish(&c, os, move_exact_chunks(c.st, os, IHKD_RESERVED, req, n));
}

/* ----------------------------------------------------- load, kargs, boot */

int ihk_os_load(int os, char *image)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	struct stat sb;
	int rc;

	/* Checked first: the real module oopses on a missing image. */
	if (!image || stat(image, &sb) || !S_ISREG(sb.st_mode)) {
		if ((rc = ihkd_begin(&c, __func__, geteuid() == 0)))
			return rc;
		return finish(&c, os, -ENOENT);
	}
	if ((rc = begin_unbooted_os(&c, __func__, os, &o)))
		return failed_start(&c, os, rc);
	if (o->ncpus == 0 || count_owned_chunks(c.st, os) == 0)
		return finish(&c, os, -EINVAL);
	if ((unsigned long)sb.st_size > c.conf.image_max_bytes)
		return finish(&c, os, -E2BIG);
	snprintf(o->image, sizeof(o->image), "%s", image);
	o->loaded = 1;
	return finish(&c, os, 0);
}

static int has_token(const char *s, const char *tok)
{
	size_t len = strlen(tok);

	for (const char *p = s; (p = strstr(p, tok)); p += len)
		if ((p == s || p[-1] == ' ' || p[-1] == '\t') &&
		    (p[len] == '\0' || p[len] == ' ' || p[len] == '\t'))
			return 1;
	return 0;
}

int ihk_os_kargs(int os, char *kargs)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = begin_unbooted_os(&c, __func__, os, &o);

	if (rc)
		return failed_start(&c, os, rc);
	if (!kargs)
		return finish(&c, os, -EINVAL);
	snprintf(o->kargs, sizeof(o->kargs), "%s", kargs);	/* cut at 1023 */
	if (!has_token(o->kargs, "hidos")) {
		o->kargs[0] = '\0';
		return finish(&c, os, -EINVAL);
	}
	return finish(&c, os, 0);
}

/* What McKernel prints while it boots (abridged). */
static void write_boot_kmsg(const struct ihkd_ctx *c, int os, const struct ihkd_os *o)
{
	char path[PATH_MAX + 16];
	unsigned long total = 0;
	FILE *f;

	ihkd_kmsg_path(c->dir, os, path, sizeof(path));
	if (!(f = fopen(path, "we")))
		return;
	fchmod(fileno(f), 0644);
	fprintf(f, "IHK/McKernel started.\n");
	fprintf(f, "[  0]: ns_per_tsc: 416\n");
	fprintf(f, "KCommand Line: %s\n", o->kargs);
	for (int i = 0; i < c->st->nchunks; i++) {
		const struct ihkd_chunk *ch = &c->st->chunks[i];

		if (ch->owner != os)
			continue;
		fprintf(f, "[  0]: Physical memory: %lu bytes, %lu pages available @ NUMA: %d\n",
			ch->size, ch->size / 4096, ch->numa);
		total += ch->size;
	}
	for (int i = 0; i < o->ncpus; i++) {
		int dst = 0;

		for (int k = 0; k < o->nikc; k++)
			if (o->ikc[k].src_cpu == o->cpus[i])
				dst = o->ikc[k].dst_cpu;
		fprintf(f, "[%3d]: CPU %d (hw id %d) online, offloads to Linux CPU %d\n",
			i, i, o->cpus[i], dst);
	}
	fprintf(f, "[  0]: IHK/McKernel (mcos%d) booted: %d CPUs, %lu MiB\n",
		os, o->ncpus, total >> 20);
	fclose(f);
}

int ihk_os_boot(int os)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	unsigned gen;
	long polls, interval;
	int64_t now;
	int rc = begin_unbooted_os(&c, __func__, os, &o);

	if (rc)
		return failed_start(&c, os, rc);
	for (int i = 0; i < IHK_MAX_NUM_OS; i++)
		if (i != os && c.st->os[i].exists &&
		    (c.st->os[i].phase == IHKD_BOOTED || c.st->os[i].phase == IHKD_SHUTTING))
			return finish(&c, os, -EBUSY);
	if (!o->loaded || o->ncpus == 0)
		return finish(&c, os, -EINVAL);
	now = ihkd_now_ms();
	o->phase = IHKD_BOOTED;
	o->boot_ms = now;
	o->running_ms = c.conf.boot_hang ? 0 : now + c.conf.boot_latency_ms;
	if (o->running_ms && c.conf.panic_after_s > 0)
		o->panic_ms = o->running_ms + (int64_t)(c.conf.panic_after_s * 1000);
	if (o->running_ms && c.conf.hang_after_s > 0)
		o->hang_ms = o->running_ms + (int64_t)(c.conf.hang_after_s * 1000);
	write_boot_kmsg(&c, os, o);
	gen = o->gen;
	polls = c.conf.boot_poll_count;
	interval = c.conf.boot_poll_interval_ms;
	ihkd_end(&c, 1, 0);

	/* Like libihk: poll the status until RUNNING, then give up. */
	rc = -EINVAL;
	for (long i = 0; i < polls; i++) {
		struct ihkd_ctx q;
		int status = -1;

		if (ihkd_begin(&q, __func__, 0) == 0) {
			struct ihkd_os *qo = get_os(&q, os);

			if (qo && qo->gen == gen)
				status = ihkd_status(qo, ihkd_now_ms());
			ihkd_end(&q, 0, 0);
		}
		if (status == IHK_STATUS_RUNNING) {
			rc = 0;
			break;
		}
		if (status != IHK_STATUS_BOOTING)
			break;	/* panicked, hung, shut down or gone */
		if (i + 1 < polls)
			ihkd_sleep_ms(interval);
	}
	if (ihkd_begin(&c, __func__, 1))
		return rc;
	return finish(&c, os, rc);
}

int ihk_os_shutdown(int os)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	unsigned gen;
	long latency;
	int rc = start_os(&c, __func__, os, &o);

	if (rc)
		return failed_start(&c, os, rc);
	if (o->phase == IHKD_SHUTTING)
		return finish(&c, os, -EBUSY);
	if (o->phase != IHKD_BOOTED)	/* never booted, or already down */
		return finish(&c, os, 0);
	latency = c.conf.shutdown_latency_ms;
	gen = o->gen;
	if (latency > 0) {
		/* SHUTDOWN is visible only while this call runs. */
		o->phase = IHKD_SHUTTING;
		ihkd_end(&c, 1, 0);
		ihkd_sleep_ms(latency);
		if ((rc = ihkd_begin(&c, __func__, 1)))
			return rc;
		if (!(o = get_os(&c, os)) || o->gen != gen)
			return finish(&c, os, 0);	/* destroyed meanwhile */
	}
	return_resources(c.st, os);
	o->phase = IHKD_DOWN;
	return finish(&c, os, 0);
}

int ihk_os_get_status(int os)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = begin_os_query(&c, __func__, os, &o);

	if (rc)
		return failed_start(&c, os, rc);
	return finish(&c, os, ihkd_status(o, ihkd_now_ms()));
}

/* --------------------------------------------------------------- kmsg */

/* A query on the kernel messages: they exist from create until shutdown. */
static int begin_kmsg_query(struct ihkd_ctx *c, const char *call, int os, struct ihkd_os **o)
{
	int rc = begin_os_query(c, call, os, o);

	if (rc)
		return rc;
	if ((*o)->phase == IHKD_SHUTTING || (*o)->phase == IHKD_DOWN)
		return -EINVAL;	/* "error querying kmsg" */
	return 0;
}

int ihk_os_get_kmsg_size(int os)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = begin_kmsg_query(&c, __func__, os, &o);

	if (rc)
		return failed_start(&c, os, rc);
	return finish(&c, os, IHKD_KMSG_BUF);
}

int ihk_os_kmsg(int os, char *buf, ssize_t size)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	char path[PATH_MAX + 16], extra[256] = "";
	char *text = NULL;
	size_t len = 0, elen;
	struct mck_error err;
	int64_t now;
	int rc = begin_kmsg_query(&c, __func__, os, &o);

	if (rc)
		return failed_start(&c, os, rc);
	if (!buf || size <= 0)
		return finish(&c, os, -EINVAL);
	ihkd_kmsg_path(c.dir, os, path, sizeof(path));
	if (mck_read_file(path, &text, &len, &err)) {
		text = NULL;
		len = 0;
	}
	now = ihkd_now_ms();
	if (ihkd_status(o, now) == IHK_STATUS_PANIC && o->panic_ms > o->kmsg_clear_ms)
		snprintf(extra, sizeof(extra),
			 "[  0]: kernel panic: fatal exception in LWK (mcos%d)\n"
			 "[  0]: kernel: dumping core, dump_level=24\n", os);
	else if (ihkd_status(o, now) == IHK_STATUS_HUNGUP && o->hang_ms > o->kmsg_clear_ms)
		snprintf(extra, sizeof(extra), "[  0]: watchdog: LWK CPU 0 stuck, no heartbeat\n");
	elen = strlen(extra);
	if (len > (size_t)size)
		len = (size_t)size;
	if (len)
		memcpy(buf, text, len);
	if (elen > (size_t)size - len)
		elen = (size_t)size - len;
	memcpy(buf + len, extra, elen);
	free(text);
	return finish(&c, os, (int)(len + elen));
}

int ihk_os_clear_kmsg(int os)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	char path[PATH_MAX + 16];
	int rc = start_os(&c, __func__, os, &o);

	if (rc)
		return failed_start(&c, os, rc);
	if (o->phase == IHKD_SHUTTING || o->phase == IHKD_DOWN)
		return finish(&c, os, -EINVAL);
	ihkd_kmsg_path(c.dir, os, path, sizeof(path));
	if (truncate(path, 0) && errno != ENOENT)
		return finish(&c, os, -errno);
	o->kmsg_clear_ms = ihkd_now_ms();
	return finish(&c, os, 0);
}

int ihk_os_get_num_numa_nodes(int os)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = begin_os_query(&c, __func__, os, &o), seen[IHKD_MAX_NODES], n = 0;

	if (rc)
		return failed_start(&c, os, rc);
	if (o->phase != IHKD_BOOTED)
		return finish(&c, os, -EINVAL);
	for (int i = 0; i < c.st->nchunks; i++) {
		int k = 0;

		if (c.st->chunks[i].owner != os)
			continue;
		while (k < n && seen[k] != c.st->chunks[i].numa)
			k++;
		if (k == n && n < IHKD_MAX_NODES)
			seen[n++] = c.st->chunks[i].numa;
	}
	return finish(&c, os, n);
}

/* ----------------------------------------------------- double extras */

int ihk_double_os_generation(int os)
{
	struct ihkd_ctx c;
	int rc = ihkd_begin(&c, __func__, 0);

	if (rc)
		return rc;
	rc = get_os(&c, os) ? (int)c.st->os[os].gen : -ENOENT;
	return ihkd_end(&c, 0, rc);
}

int ihk_double_os_inject(int os, const char *what)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = start_os(&c, __func__, os, &o);

	if (rc)
		return failed_start(&c, os, rc);
	if (o->phase != IHKD_BOOTED || !what)
		return finish(&c, os, -EINVAL);
	if (!strcmp(what, "panic"))
		o->panic_ms = ihkd_now_ms();
	else if (!strcmp(what, "hang"))
		o->hang_ms = ihkd_now_ms();
	else
		return finish(&c, os, -EINVAL);
	return finish(&c, os, 0);
}

/*
 * Added for the ranks work (issue 7): the CPUs Linux still has, as on a
 * real node where reserved CPUs are offline. Present CPUs (the double's
 * topology) that are neither reserved nor assigned, sorted.
 */
int ihk_double_online_cpus(int *cpus, int max)
{
	struct ihkd_ctx c;
	int n = 0, rc = ihkd_begin(&c, __func__, 0);

	if (rc)
		return rc;
	for (int i = 0; i < c.topo->ncpus; i++) {
		int cpu = c.topo->cpus[i];

		if (cpu < 0 || cpu >= IHKD_MAX_CPUS || c.st->cpu_owner[cpu] != IHKD_LINUX)
			continue;
		if (n < max && cpus)
			cpus[n] = cpu;
		n++;
	}
	return ihkd_end(&c, 0, n);
}
