/*
 * double-linux.c: what Linux itself shows of the double's node, in the
 * shape of the real files, rewritten (atomically, under the writer's lock)
 * by every call that moves CPUs or memory between Linux and IHK:
 *
 *   STATE/sys/devices/system/cpu/{possible,present,online,offline}
 *   STATE/sys/devices/system/node/{possible,online}
 *   STATE/sys/devices/system/node/nodeN/{cpulist,meminfo}
 *
 * A CPU reserved, assigned or leaked is offline; memory IHK holds (in its
 * pool, assigned, or leaked by a destroyed never-booted instance) is not
 * free. STATE/dmesg is the node's kernel log (oopses, IHK's notes).
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "double-internal.h"
#include "mck-lists.h"
#include "mck-util.h"

static int write_text(const char *dir, const char *rel, const char *text)
{
	char path[PATH_MAX + 128];
	struct mck_error err;

	snprintf(path, sizeof(path), "%s/sys/devices/system/%s", dir, rel);
	return mck_write_file_atomic(path, text, strlen(text), 0444, &err);
}

/* A CPU or node list in Linux's format: "1,3-5\n", "\n" when empty. */
static int write_list(const char *dir, const char *rel, const int *v, int n)
{
	char *list = mck_cpulist_format(v, n), *text = NULL;
	int rc = -ENOMEM;

	if (list && asprintf(&text, "%s\n", list) >= 0)
		rc = write_text(dir, rel, text);
	free(list);
	free(text);
	return rc;
}

static int write_cpus(const char *dir, const struct ihkd_topo *t, const struct ihkd_state *st)
{
	int *online = calloc(t->ncpus + 1, sizeof(int));
	int *offline = calloc(t->ncpus + 1, sizeof(int));
	int non = 0, noff = 0, rc = -ENOMEM;

	if (!online || !offline)
		goto out;
	for (int i = 0; i < t->ncpus; i++) {
		if (st->cpu_owner[t->cpus[i]] == IHKD_LINUX)
			online[non++] = t->cpus[i];
		else
			offline[noff++] = t->cpus[i];
	}
	if ((rc = write_list(dir, "cpu/possible", t->cpus, t->ncpus)) ||
	    (rc = write_list(dir, "cpu/present", t->cpus, t->ncpus)) ||
	    (rc = write_list(dir, "cpu/online", online, non)))
		goto out;
	rc = write_list(dir, "cpu/offline", offline, noff);
out:
	free(online);
	free(offline);
	return rc;
}

static int write_node(const char *dir, const struct ihkd_topo *t,
		      const struct ihkd_state *st, int idx)
{
	int node = t->nodes[idx], n = 0, rc;
	int *cpus = calloc(t->ncpus + 1, sizeof(int));
	uint64_t total = t->node_mem[idx] >> 10, held = ihkd_node_held(st, node) >> 10;
	uint64_t free_kb = held < total ? total - held : 0;
	char rel[64], text[256], path[PATH_MAX + 64];
	struct mck_error err;

	if (!cpus)
		return -ENOMEM;
	for (int i = 0; i < t->ncpus; i++)
		if (t->cpu_node[i] == node && st->cpu_owner[t->cpus[i]] == IHKD_LINUX)
			cpus[n++] = t->cpus[i];
	snprintf(path, sizeof(path), "%s/sys/devices/system/node/node%d", dir, node);
	rc = mck_mkdir_p(path, 0755, &err);
	snprintf(rel, sizeof(rel), "node/node%d/cpulist", node);
	if (rc == 0)
		rc = write_list(dir, rel, cpus, n);
	free(cpus);
	snprintf(text, sizeof(text),
		 "Node %d MemTotal:       %8llu kB\nNode %d MemFree:        %8llu kB\n"
		 "Node %d MemUsed:        %8llu kB\n", node, (unsigned long long)total,
		 node, (unsigned long long)free_kb, node, (unsigned long long)(total - free_kb));
	snprintf(rel, sizeof(rel), "node/node%d/meminfo", node);
	return rc ? rc : write_text(dir, rel, text);
}

int ihkd_linux_view(const char *dir, const struct ihkd_topo *t, const struct ihkd_state *st)
{
	char path[PATH_MAX + 64];
	struct mck_error err;
	int rc;

	if (geteuid() != 0)
		return 0;
	snprintf(path, sizeof(path), "%s/sys/devices/system/cpu", dir);
	if ((rc = mck_mkdir_p(path, 0755, &err)))
		return rc;
	snprintf(path, sizeof(path), "%s/sys/devices/system/node", dir);
	if ((rc = mck_mkdir_p(path, 0755, &err)))
		return rc;
	if ((rc = write_cpus(dir, t, st)))
		return rc;
	if ((rc = write_list(dir, "node/possible", t->nodes, t->nnodes)) ||
	    (rc = write_list(dir, "node/online", t->nodes, t->nnodes)))
		return rc;
	for (int i = 0; i < t->nnodes; i++)
		if ((rc = write_node(dir, t, st, i)))
			return rc;
	return 0;
}

void ihkd_dmesg(const char *dir, const char *fmt, ...)
{
	char line[1024];
	struct timespec ts;
	va_list ap;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(line, sizeof(line), "[%5ld.%06ld] ", (long)ts.tv_sec, ts.tv_nsec / 1000);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	ihkd_append(dir, "dmesg", line, n);
}
