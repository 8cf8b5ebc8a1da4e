/*
 * lwk-ctx.c: one lifecycle operation (configuration, libihk, the lock of
 * the node, the log) and IHK's device-wide lists. See lwk-internal.h.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lwk-internal.h"
#include "mck-budget.h"
#include "mck-lists.h"
#include "mck-logline.h"
#include "mck-util.h"

static FILE *log_out;

void mck_lwk_set_log(FILE *out)
{
	log_out = out;
}

void lwk_log(struct lwk_ctx *c, const char *fmt, ...)
{
	char line[1536];
	va_list ap;
	int n;

	if (c->job)
		n = snprintf(line, sizeof(line), "%s: job %lu: ",
			     program_invocation_short_name, c->job);
	else
		n = snprintf(line, sizeof(line), "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	fprintf(log_out ? log_out : stderr, "%s\n", line);
	fflush(log_out ? log_out : stderr);
	if (c->logfile)
		mck_log_line(c->logfile, line);
}

void lwk_log_call(struct lwk_ctx *c, const char *call, const char *args, int rc, double t0)
{
	double ms = mck_now_ms() - t0;

	if (rc < 0)
		lwk_log(c, "%s(%s) failed: %s (%d) %.2f ms", call, args ? args : "",
			strerror(-rc), rc, ms);
	else
		lwk_log(c, "%s(%s) ok %.2f ms", call, args ? args : "", ms);
}

int lwk_flock_wait(int fd, int op, int timeout_s)
{
	double deadline = mck_now_ms() + timeout_s * 1000.0;

	for (;;) {
		if (flock(fd, op | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (mck_now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(50 * 1000);
	}
}

/* STATE_DIR/lifecycle.lock, exclusive, within the budget's lock wait. */
static int lock_node(struct lwk_ctx *c, struct mck_error *err)
{
	const struct mck_config *cfg = c->cfg;
	struct mck_budget b;
	char path[PATH_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s/lifecycle.lock", cfg->state_dir);
	c->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (c->lock_fd < 0)
		return mck_fail(err, -errno, "cannot open %s: %s", path, strerror(errno));
	mck_budget(cfg, &b);
	rc = lwk_flock_wait(c->lock_fd, LOCK_EX, b.lock_wait_s);
	if (rc == -ETIMEDOUT)
		return mck_fail(err, rc, "another lifecycle operation held %s for %d s (the "
				"longest boot, from boot_timeout and shutdown_timeout): see "
				"%s/log/lifecycle.log", path, b.lock_wait_s, cfg->state_dir);
	if (rc)
		return mck_fail(err, rc, "cannot lock %s: %s", path, strerror(-rc));
	return 0;
}

int lwk_ctx_open(struct lwk_ctx *c, const struct mck_config *cfg, unsigned long job,
		 enum lwk_open how, struct mck_error *err)
{
	char path[PATH_MAX];
	int rc;

	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->job = job;
	c->lock_fd = -1;
	if (how == LWK_OPEN_CHANGE) {
		snprintf(path, sizeof(path), "%s/log", cfg->state_dir);
		rc = mck_mkdir_p(path, 0755, err);
		if (rc)
			return rc;
		snprintf(path, sizeof(path), "%s/log/lifecycle.log", cfg->state_dir);
		c->logfile = fopen(path, "ae");
		if (!c->logfile)
			return mck_fail(err, -errno, "cannot append to %s: %s", path,
					strerror(errno));
		rc = lock_node(c, err);
		if (rc)
			goto fail;
	}
	rc = mck_ihk_open(&c->ihk, cfg->libihk, err);
	if (rc)
		goto fail;
	return 0;
fail:
	lwk_ctx_close(c);
	return rc;
}

void lwk_ctx_close(struct lwk_ctx *c)
{
	if (c->ihk.handle)
		mck_ihk_close(&c->ihk);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	if (c->logfile)
		fclose(c->logfile);
	c->logfile = NULL;
	c->lock_fd = -1;
}

/* ------------------------------------------------------------ IHK's lists */

/* What one of IHK's counted lists is called and how big an entry is. */
struct ihk_list {
	const char *count, *query;
	size_t size;
};

/*
 * A list IHK gives as a count, then exactly that many entries: the count
 * is cnt (already asked), fill() the query. malloc'd, NULL when empty.
 */
static int counted_list(const struct ihk_list *l, int cnt, int (*fill)(struct lwk_ctx *, int,
			void *, int), struct lwk_ctx *c, int arg, void **out, int *n,
			struct mck_error *err)
{
	int rc;

	*out = NULL;
	*n = 0;
	if (cnt < 0)
		return mck_fail(err, cnt, "%s: %s (%d)", l->count, strerror(-cnt), cnt);
	if (cnt == 0)
		return 0;
	*out = calloc(cnt, l->size);
	if (!*out)
		return mck_fail(err, -ENOMEM, "out of memory");
	rc = fill(c, arg, *out, cnt);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		return mck_fail(err, rc, "%s: %s (%d)", l->query, strerror(-rc), rc);
	}
	*n = cnt;
	return 0;
}

static int fill_reserved_cpus(struct lwk_ctx *c, int dev, void *buf, int n)
{
	return c->ihk.ihk_query_cpu(dev, buf, n);
}

static int fill_reserved_mem(struct lwk_ctx *c, int dev, void *buf, int n)
{
	return c->ihk.ihk_query_mem(dev, buf, n);
}

static int fill_instances(struct lwk_ctx *c, int dev, void *buf, int n)
{
	return c->ihk.ihk_get_os_instances(dev, buf, n);
}

static int fill_os_cpus(struct lwk_ctx *c, int os, void *buf, int n)
{
	return c->ihk.ihk_os_query_cpu(os, buf, n);
}

static int fill_os_mem(struct lwk_ctx *c, int os, void *buf, int n)
{
	return c->ihk.ihk_os_query_mem(os, buf, n);
}

int lwk_reserved_cpus(struct lwk_ctx *c, int **cpus, int *n, struct mck_error *err)
{
	static const struct ihk_list l = { "ihk_get_num_reserved_cpus", "ihk_query_cpu",
					   sizeof(int) };

	return counted_list(&l, c->ihk.ihk_get_num_reserved_cpus(LWK_IHK_DEV),
			    fill_reserved_cpus, c, LWK_IHK_DEV, (void **)cpus, n, err);
}

int lwk_reserved_mem(struct lwk_ctx *c, struct ihk_mem_chunk **m, int *n, struct mck_error *err)
{
	static const struct ihk_list l = { "ihk_get_num_reserved_mem_chunks", "ihk_query_mem",
					   sizeof(struct ihk_mem_chunk) };

	return counted_list(&l, c->ihk.ihk_get_num_reserved_mem_chunks(LWK_IHK_DEV),
			    fill_reserved_mem, c, LWK_IHK_DEV, (void **)m, n, err);
}

int lwk_instances(struct lwk_ctx *c, int **oses, int *n, struct mck_error *err)
{
	static const struct ihk_list l = { "ihk_get_num_os_instances", "ihk_get_os_instances",
					   sizeof(int) };

	return counted_list(&l, c->ihk.ihk_get_num_os_instances(LWK_IHK_DEV),
			    fill_instances, c, LWK_IHK_DEV, (void **)oses, n, err);
}

int lwk_os_cpus(struct lwk_ctx *c, int os, int **cpus, int *n, struct mck_error *err)
{
	static const struct ihk_list l = { "ihk_os_get_num_assigned_cpus", "ihk_os_query_cpu",
					   sizeof(int) };

	return counted_list(&l, c->ihk.ihk_os_get_num_assigned_cpus(os), fill_os_cpus, c, os,
			    (void **)cpus, n, err);
}

int lwk_os_mem(struct lwk_ctx *c, int os, struct ihk_mem_chunk **m, int *n,
	       struct mck_error *err)
{
	static const struct ihk_list l = { "ihk_os_get_num_assigned_mem_chunks",
					   "ihk_os_query_mem", sizeof(struct ihk_mem_chunk) };

	return counted_list(&l, c->ihk.ihk_os_get_num_assigned_mem_chunks(os), fill_os_mem,
			    c, os, (void **)m, n, err);
}

char *lwk_format_cpus(const int *cpus, int n)
{
	return n > 0 ? mck_cpulist_format(cpus, n) : strdup("none");
}

char *lwk_format_mem(const struct ihk_mem_chunk *chunks, int n)
{
	struct mck_mem_chunk *m;
	char *s;

	if (n <= 0)
		return strdup("none");
	m = calloc(n, sizeof(*m));
	if (!m)
		return NULL;
	for (int i = 0; i < n; i++) {
		m[i].size = chunks[i].size;
		m[i].numa = chunks[i].numa_node_number;
	}
	s = mck_memlist_format(m, n);
	free(m);
	return s;
}
