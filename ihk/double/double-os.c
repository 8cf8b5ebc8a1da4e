/*
 * double-os.c: setting an instance up before its boot: create_os, CPUs
 * (assignment order = LWK numbering), the IKC map, memory (reserved
 * chunks split as needed), the image, kernel arguments, and giving CPUs
 * and memory back to the reserved pool before boot (os_release_*), with
 * the queries on them. Every change needs the instance in its initial
 * state (-EBUSY once booted, shut down, or wedged by a fatal call).
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "double-internal.h"
#include "mck-util.h"

int ihk_create_os(int dev)
{
	struct ihkd_ctx c;
	char path[PATH_MAX + 16];
	int rc = ihkd_begin_dev_change(&c, __func__, dev), os = -1;

	if (rc)
		return ihkd_failed_start(&c, -1, rc);
	for (int i = 0; i < IHK_MAX_NUM_OS && os < 0; i++)
		if (!c.st->os[i].exists)
			os = i;
	if (os < 0)
		return ihkd_finish(&c, -1, -ENOSPC);
	if ((rc = ihkd_make_device(c.dir, os, c.conf.device_files)) ||
	    (rc = ihkd_records_create(c.dir, os)))
		return ihkd_finish(&c, -1, rc);
	ihkd_kmsg_path(c.dir, os, path, sizeof(path));
	unlink(path);
	memset(&c.st->os[os], 0, sizeof(c.st->os[os]));
	c.st->os[os].exists = 1;
	c.st->os[os].gen = c.st->next_gen++;
	c.st->os[os].phase = IHKD_CREATED;
	c.latency_ms = ihkd_latency(&c.conf, IHKD_LAT_CREATE);
	return ihkd_finish(&c, os, os);
}

/* ------------------------------------------------------------------ CPUs */

int ihk_os_assign_cpu(int os, int *cpus, int n)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = ihkd_begin_unbooted_os(&c, __func__, os, &o);

	if (rc)
		return ihkd_failed_start(&c, os, rc);
	if ((rc = ihkd_check_cpu_list(&c, cpus, n, IHKD_RESERVED)))
		return ihkd_finish(&c, os, rc);
	if (o->ncpus + n > IHK_MAX_NUM_CPUS)
		return ihkd_finish(&c, os, -EINVAL);
	for (int i = 0; i < n; i++) {
		c.st->cpu_owner[cpus[i]] = os;
		o->cpus[o->ncpus++] = cpus[i];
	}
	c.latency_ms = ihkd_latency(&c.conf, IHKD_LAT_ASSIGN_CPU);
	return ihkd_finish(&c, os, 0);
}

int ihk_os_get_num_assigned_cpus(int os)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = ihkd_begin_os_query(&c, __func__, os, &o);

	if (rc)
		return ihkd_failed_start(&c, os, rc);
	return ihkd_finish(&c, os, o->ncpus);
}

int ihk_os_query_cpu(int os, int *cpus, int n)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = ihkd_begin_os_query(&c, __func__, os, &o);

	if (rc)
		return ihkd_failed_start(&c, os, rc);
	if (n != o->ncpus || (n > 0 && !cpus))
		return ihkd_finish(&c, os, -EINVAL);
	memcpy(cpus, o->cpus, n * sizeof(int));
	return ihkd_finish(&c, os, 0);
}

/* Take one CPU of os back into the reserved pool (LWK numbering shifts). */
static void unassign_cpu(struct ihkd_state *st, struct ihkd_os *o, int cpu)
{
	int k = 0;

	st->cpu_owner[cpu] = IHKD_RESERVED;
	while (k < o->ncpus && o->cpus[k] != cpu)
		k++;
	if (k == o->ncpus)
		return;
	memmove(&o->cpus[k], &o->cpus[k + 1], (o->ncpus - k - 1) * sizeof(int));
	o->ncpus--;
	for (k = 0; k < o->nikc; k++)
		if (o->ikc[k].src_cpu == cpu) {
			memmove(&o->ikc[k], &o->ikc[k + 1], (o->nikc - k - 1) * sizeof(o->ikc[0]));
			o->nikc--;
			break;
		}
}

/*
 * Like libihk + IHK-SMP: n outside 0..1024 -EINVAL (before the device is
 * opened), no such OS -ENOENT, cpus NULL -EFAULT, n 0 does nothing, not
 * in the initial state -EBUSY, a CPU out of range or not assigned to this
 * OS -EINVAL (nothing released). A CPU listed twice is released once.
 */
int ihk_os_release_cpu(int os, int *cpus, int n)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc;

	if (n < 0 || n > IHK_MAX_NUM_CPUS)
		return -EINVAL;
	if ((rc = ihkd_start_os(&c, __func__, os, &o)))
		return ihkd_failed_start(&c, os, rc);
	if (n > 0 && !cpus)
		return ihkd_finish(&c, os, -EFAULT);
	if (n == 0)
		return ihkd_finish(&c, os, 0);
	if (o->phase != IHKD_CREATED || o->poisoned)
		return ihkd_finish(&c, os, -EBUSY);
	for (int i = 0; i < n; i++)
		if (cpus[i] < 0 || cpus[i] >= IHKD_MAX_CPUS || c.st->cpu_owner[cpus[i]] != os)
			return ihkd_finish(&c, os, -EINVAL);
	for (int i = 0; i < n; i++)
		unassign_cpu(c.st, o, cpus[i]);
	return ihkd_finish(&c, os, 0);
}

int ihk_os_set_ikc_map(int os, struct ihk_ikc_cpu_map *map, int n)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = ihkd_begin_unbooted_os(&c, __func__, os, &o);

	if (rc)
		return ihkd_failed_start(&c, os, rc);
	if (n != o->ncpus || n <= 0 || !map)
		return ihkd_finish(&c, os, -EINVAL);
	for (int i = 0; i < n; i++) {
		int s = map[i].src_cpu, d = map[i].dst_cpu;

		if (s < 0 || s >= IHKD_MAX_CPUS || c.st->cpu_owner[s] != os ||
		    d < 0 || d >= IHKD_MAX_CPUS || !ihkd_cpu_present(c.topo, d) ||
		    c.st->cpu_owner[d] != IHKD_LINUX)
			return ihkd_finish(&c, os, -EINVAL);
		for (int k = 0; k < i; k++)
			if (map[k].src_cpu == s)
				return ihkd_finish(&c, os, -EINVAL);
	}
	memcpy(o->ikc, map, n * sizeof(*map));
	o->nikc = n;
	c.latency_ms = ihkd_latency(&c.conf, IHKD_LAT_IKC_MAP);
	return ihkd_finish(&c, os, 0);
}

int ihk_os_get_ikc_map(int os, struct ihk_ikc_cpu_map *map, int n)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = ihkd_begin_os_query(&c, __func__, os, &o);

	if (rc)
		return ihkd_failed_start(&c, os, rc);
	if (n != o->ncpus || (n > 0 && !map))
		return ihkd_finish(&c, os, -EINVAL);
	/* In LWK CPU order; without a map every CPU offloads to Linux CPU 0. */
	for (int i = 0; i < n; i++) {
		map[i] = (struct ihk_ikc_cpu_map){ o->cpus[i], 0 };
		for (int k = 0; k < o->nikc; k++)
			if (o->ikc[k].src_cpu == o->cpus[i])
				map[i].dst_cpu = o->ikc[k].dst_cpu;
	}
	return ihkd_finish(&c, os, 0);
}

/* ---------------------------------------------------------------- memory */

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
			if (st->nchunks >= IHKD_NCHUNKS)
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
	int saved_n, rc = ihkd_begin_unbooted_os(&c, __func__, os, &o);

	if (rc)
		return ihkd_failed_start(&c, os, rc);
	if ((rc = ihkd_check_mem_request(&c, req, n)))
		return ihkd_finish(&c, os, rc);
	saved_n = c.st->nchunks;
	if (!(saved = malloc(sizeof(c.st->chunks))))
		return ihkd_finish(&c, os, -ENOMEM);
	memcpy(saved, c.st->chunks, sizeof(c.st->chunks));
	for (int i = 0; i < n && !rc; i++)
		rc = take_reserved(c.st, os, req[i].numa_node_number, req[i].size);
	if (rc) {	/* all or nothing */
		memcpy(c.st->chunks, saved, sizeof(c.st->chunks));
		c.st->nchunks = saved_n;
	} else {
		c.latency_ms = ihkd_latency(&c.conf, IHKD_LAT_ASSIGN_MEM);
	}
	free(saved);
	return ihkd_finish(&c, os, rc);
}

int ihk_os_get_num_assigned_mem_chunks(int os)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = ihkd_begin_os_query(&c, __func__, os, &o);

	if (rc)
		return ihkd_failed_start(&c, os, rc);
	return ihkd_finish(&c, os, ihkd_count_owned_chunks(c.st, os));
}

int ihk_os_query_mem(int os, struct ihk_mem_chunk *out, int n)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = ihkd_begin_os_query(&c, __func__, os, &o);

	if (rc)
		return ihkd_failed_start(&c, os, rc);
	return ihkd_finish(&c, os, ihkd_fill_owned_chunks(c.st, os, out, n));
}

/* One assigned chunk of exactly this size and node back to the pool. */
static int unassign_chunk(struct ihkd_state *st, int os, const struct ihk_mem_chunk *r)
{
	for (int i = 0; i < st->nchunks; i++) {
		struct ihkd_chunk *ch = &st->chunks[i];

		if (ch->owner == os && ch->size == r->size && ch->numa == r->numa_node_number) {
			ch->owner = IHKD_RESERVED;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * Like libihk + IHK-SMP: n outside 0..2048 -EINVAL, no such OS -ENOENT,
 * NULL -EFAULT, not in the initial state -EBUSY, n 0 does nothing; each
 * entry must match a chunk assigned to this OS exactly (size and node,
 * as os_query_mem lists them; no "all"), else -EINVAL, and the entries
 * before it stay released.
 */
int ihk_os_release_mem(int os, struct ihk_mem_chunk *req, int n)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc;

	if (n < 0 || n > IHK_MAX_NUM_MEM_CHUNKS)
		return -EINVAL;
	if ((rc = ihkd_start_os(&c, __func__, os, &o)))
		return ihkd_failed_start(&c, os, rc);
	if (n > 0 && !req)
		return ihkd_finish(&c, os, -EFAULT);
	if (o->phase != IHKD_CREATED || o->poisoned)
		return ihkd_finish(&c, os, -EBUSY);
	for (int i = 0; i < n && rc == 0; i++)
		rc = unassign_chunk(c.st, os, &req[i]);
	return ihkd_finish(&c, os, rc);
}

/* ------------------------------------------------------- image, kargs */

/*
 * The image is read by the module: a path that does not exist oopses the
 * node (the double: every later call fails with -EIO until reset).
 */
int ihk_os_load(int os, char *image)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	struct stat sb;
	int rc = ihkd_begin_unbooted_os(&c, __func__, os, &o);

	if (rc)
		return ihkd_failed_start(&c, os, rc);
	if (!image)
		return ihkd_finish(&c, os, -EINVAL);
	if (stat(image, &sb)) {
		rc = -errno;
		if (rc == -ENOENT || rc == -ENOTDIR)
			ihkd_oops(&c, -1, "ihk_os_load", image);
		return ihkd_finish(&c, os, rc);
	}
	if (!S_ISREG(sb.st_mode))
		return ihkd_finish(&c, os, -EINVAL);
	if (o->ncpus == 0 || ihkd_count_owned_chunks(c.st, os) == 0)
		return ihkd_finish(&c, os, -EINVAL);
	if (sb.st_size > c.conf.image_max_bytes)
		return ihkd_finish(&c, os, -E2BIG);
	snprintf(o->image, sizeof(o->image), "%s", image);
	o->loaded = 1;
	c.latency_ms = ihkd_latency(&c.conf, IHKD_LAT_LOAD);
	return ihkd_finish(&c, os, 0);
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
	int rc = ihkd_begin_unbooted_os(&c, __func__, os, &o);

	if (rc)
		return ihkd_failed_start(&c, os, rc);
	if (!kargs)
		return ihkd_finish(&c, os, -EINVAL);
	snprintf(o->kargs, sizeof(o->kargs), "%s", kargs);	/* cut at 1023 */
	if (!has_token(o->kargs, "hidos")) {
		o->kargs[0] = '\0';
		return ihkd_finish(&c, os, -EINVAL);
	}
	c.latency_ms = ihkd_latency(&c.conf, IHKD_LAT_KARGS);
	return ihkd_finish(&c, os, 0);
}

int ihk_os_get_num_numa_nodes(int os)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = ihkd_begin_os_query(&c, __func__, os, &o), seen[IHKD_MAX_NODES], n = 0;

	if (rc)
		return ihkd_failed_start(&c, os, rc);
	if (o->phase != IHKD_BOOTED)
		return ihkd_finish(&c, os, -EINVAL);
	for (int i = 0; i < c.st->nchunks; i++) {
		int k = 0;

		if (c.st->chunks[i].owner != os)
			continue;
		while (k < n && seen[k] != c.st->chunks[i].numa)
			k++;
		if (k == n && n < IHKD_MAX_NODES)
			seen[n++] = c.st->chunks[i].numa;
	}
	return ihkd_finish(&c, os, n);
}
