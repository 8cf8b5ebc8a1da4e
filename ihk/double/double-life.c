/*
 * double-life.c: an instance's life after its set-up: boot (BOOTING for
 * the boot latency, then RUNNING; libihk's poll), status, shutdown into
 * the reserved pool, destroy (refused while /dev/mcosN is held), the
 * kernel message buffer; and what real IHK 3114d9e does wrong.
 *
 * The instance's parameter block exists only from os_boot until shutdown,
 * and the status query dereferences it: a status query, a shutdown or a
 * destroy (both run the shutdown path, which queries the status first) of
 * an instance that is not booted - created and never booted, or shut down
 * - oopses the node. The double kills the caller with SIGKILL and poisons
 * the instance: those calls kill every later caller too, until reset.
 * With destroy_unbooted = leak (an IHK with the dereference patched out)
 * they do not crash: status reads INACTIVE, shutdown does nothing, and a
 * destroy of a never-booted instance keeps its CPUs and memory assigned
 * to nobody (offline to Linux, outside IHK's pool) until the node is reset.
 */
#include "config.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "double-internal.h"
#include "mck-util.h"

/* ------------------------------------------------------------- the oops */

static void log_oops(const char *dir, int os, const char *where, const char *why)
{
	if (os < 0) {
		ihkd_dmesg(dir, "BUG: unable to handle kernel NULL pointer dereference in %s", where);
		ihkd_dmesg(dir, "%s: image '%s' does not exist; process %ld killed", where, why,
			   (long)getpid());
		ihkd_dmesg(dir, "ihk-double: IHK unusable until reset: every call fails with -EIO");
		return;
	}
	ihkd_dmesg(dir, "BUG: unable to handle kernel NULL pointer dereference at 0000000000000010");
	ihkd_dmesg(dir, "RIP: 0010:smp_ihk_os_query_status+0x2a/0x60 [ihk_smp_x86_64]");
	ihkd_dmesg(dir, "%s(%d): instance %d %s; process %ld killed", where, os, os, why,
		   (long)getpid());
}

void ihkd_oops(struct ihkd_ctx *c, int os, const char *where, const char *why)
{
	unsigned gen = os >= 0 && c->st && c->st->os[os].exists ? c->st->os[os].gen : 0;
	const char *call = c->call;

	/* What makes it permanent is saved under the exclusive lock (root). */
	if (c->st && c->writer == 0 && geteuid() == 0) {
		ihkd_end(c, 0, 0);
		ihkd_begin(c, call, 1);
	}
	if (c->st && c->writer && geteuid() == 0) {
		struct ihkd_os *o = os >= 0 ? ihkd_get_os(c, os) : NULL;

		if (o && o->gen == gen)
			o->poisoned = 1;
		if (os < 0)
			snprintf(c->st->crashed, sizeof(c->st->crashed), "%s of missing image %s",
				 where, why);
		log_oops(c->dir, os, where, why);
		ihkd_end(c, 1, 0);
		ihkd_event(c, os, gen, 0, "killed");
	} else if (c->st) {
		ihkd_end(c, 0, 0);
	}
	kill(getpid(), SIGKILL);
	for (;;)
		pause();
}

/* A fatal call on an instance that is not booted, unless IHK is patched. */
static int not_booted(struct ihkd_ctx *c, int os, struct ihkd_os *o, const char *where)
{
	if (o->poisoned)
		ihkd_oops(c, os, where, "was hit by a fatal call before");
	if (c->conf.destroy_unbooted == IHKD_UNBOOTED_CRASH)
		ihkd_oops(c, os, where, o->phase == IHKD_CREATED ? "was never booted" :
			  "is shut down");
	return 0;
}

/* ------------------------------------------------------------------ boot */

/* What McKernel prints while it boots (abridged). */
static void write_boot_kmsg(const struct ihkd_ctx *c, int os, const struct ihkd_os *o, int failed)
{
	char path[PATH_MAX + 16];
	unsigned long total = 0;
	FILE *f;

	ihkd_kmsg_path(c->dir, os, path, sizeof(path));
	if (!(f = fopen(path, "we")))
		return;
	fchmod(fileno(f), 0644);
	fprintf(f, "IHK/McKernel started.\n[  0]: ns_per_tsc: 416\nKCommand Line: %s\n", o->kargs);
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
	if (failed)
		fprintf(f, "[  0]: IHK/McKernel (mcos%d) did not come up\n", os);
	else
		fprintf(f, "[  0]: IHK/McKernel (mcos%d) booted: %d CPUs, %lu MiB\n",
			os, o->ncpus, total >> 20);
	fclose(f);
}

/* Can os boot now? -EBUSY (booted, wedged, another OS up), -EINVAL. */
static int bootable(struct ihkd_ctx *c, int os, const struct ihkd_os *o)
{
	if (o->phase != IHKD_CREATED || o->poisoned)
		return -EBUSY;
	for (int i = 0; i < IHK_MAX_NUM_OS; i++)
		if (i != os && c->st->os[i].exists &&
		    (c->st->os[i].phase == IHKD_BOOTED || c->st->os[i].phase == IHKD_SHUTTING))
			return -EBUSY;
	return o->loaded && o->ncpus > 0 ? 0 : -EINVAL;
}

/* The boot starts: the parameter block exists from here on. */
static void start_boot(struct ihkd_ctx *c, int os, struct ihkd_os *o, int failed)
{
	int64_t now = ihkd_now_ms();

	o->phase = IHKD_BOOTED;
	o->boot_ms = now;
	o->running_ms = failed || c->conf.boot_hang ? 0 : now + ihkd_latency(&c->conf, IHKD_LAT_BOOT);
	if (o->running_ms && c->conf.panic_after_s > 0)
		o->panic_ms = o->running_ms + (int64_t)(c->conf.panic_after_s * 1000);
	if (o->running_ms && c->conf.hang_after_s > 0)
		o->hang_ms = o->running_ms + (int64_t)(c->conf.hang_after_s * 1000);
	write_boot_kmsg(c, os, o, failed);
}

/* Like libihk: poll the status until RUNNING, then give up. */
static int wait_running(int os, unsigned gen, long polls, long interval)
{
	for (long i = 0; i < polls; i++) {
		struct ihkd_ctx q;
		int status = -1;

		if (ihkd_begin(&q, "ihk_os_boot", 0) == 0) {
			struct ihkd_os *qo = ihkd_get_os(&q, os);

			if (qo && qo->gen == gen)
				status = ihkd_status(qo, ihkd_now_ms());
			ihkd_end(&q, 0, 0);
		}
		if (status == IHK_STATUS_RUNNING)
			return 0;
		if (status != IHK_STATUS_BOOTING)
			break;	/* panicked, hung, shut down or gone */
		if (i + 1 < polls)
			ihkd_sleep_ms(interval);
	}
	return -EINVAL;
}

/*
 * An injected failure of os_boot is a boot that was tried and did not come
 * up (status stays BOOTING, like a boot that timed out): the instance is
 * booted as far as the fatal rules go, so it may be destroyed.
 */
int ihk_os_boot(int os)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	unsigned gen;
	long polls, interval;
	int rc = ihkd_begin_unbooted_os(&c, __func__, os, &o);

	if (rc && c.injected && c.st && (o = ihkd_get_os(&c, os)) && bootable(&c, os, o) == 0) {
		start_boot(&c, os, o, 1);
		return ihkd_finish(&c, os, rc);
	}
	if (rc)
		return ihkd_failed_start(&c, os, rc);
	if ((rc = bootable(&c, os, o)))
		return ihkd_finish(&c, os, rc);
	start_boot(&c, os, o, 0);
	gen = o->gen;
	polls = c.conf.boot_poll_count;
	interval = c.conf.boot_poll_interval_ms;
	ihkd_end(&c, 1, 0);
	rc = wait_running(os, gen, polls, interval);
	if (ihkd_begin(&c, __func__, 1))
		return rc;
	return ihkd_finish(&c, os, rc);
}

/* ---------------------------------------------------- status, shutdown */

int ihk_os_get_status(int os)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = ihkd_begin_os_query(&c, __func__, os, &o);

	if (rc)
		return ihkd_failed_start(&c, os, rc);
	if (o->poisoned || o->phase == IHKD_CREATED || o->phase == IHKD_DOWN)
		not_booted(&c, os, o, __func__);
	return ihkd_finish(&c, os, ihkd_status(o, ihkd_now_ms()));
}

/* The LWK stops; its CPUs and memory go back to IHK's reserved pool. */
int ihk_os_shutdown(int os)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	unsigned gen;
	long latency;
	int rc = ihkd_start_os(&c, __func__, os, &o);

	if (rc)
		return ihkd_failed_start(&c, os, rc);
	if (o->phase == IHKD_SHUTTING && !o->poisoned)
		return ihkd_finish(&c, os, -EBUSY);
	if (o->phase != IHKD_BOOTED || o->poisoned) {
		not_booted(&c, os, o, __func__);
		ihkd_dmesg(c.dir, "__ihk_os_shutdown: info: do nothing because os status is "
			   "IHK_OS_STATUS_NOT_BOOTED");
		return ihkd_finish(&c, os, 0);
	}
	latency = ihkd_latency(&c.conf, IHKD_LAT_SHUTDOWN);
	gen = o->gen;
	if (latency > 0) {
		/* SHUTDOWN is visible only while this call runs. */
		o->phase = IHKD_SHUTTING;
		ihkd_end(&c, 1, 0);
		ihkd_sleep_ms(latency);
		if ((rc = ihkd_begin(&c, __func__, 1)))
			return rc;
		if (!(o = ihkd_get_os(&c, os)) || o->gen != gen)
			return ihkd_finish(&c, os, 0);	/* destroyed meanwhile */
	}
	ihkd_move_os_resources(c.st, os, IHKD_RESERVED);
	o->phase = IHKD_DOWN;
	return ihkd_finish(&c, os, 0);
}

/* ---------------------------------------------------------------- destroy */

/* Like libihk: retry while the device is held, then -EBUSY. */
static int wait_unheld(const char *path, long retries, long interval)
{
	for (long i = 0; ihkd_device_held(path); i++) {
		if (i >= retries)
			return -EBUSY;
		ihkd_sleep_ms(interval);
	}
	return 0;
}

/* The instance is gone: device, kernel messages, run records. */
static void remove_instance(struct ihkd_ctx *c, int os)
{
	char path[PATH_MAX + 16];

	c->event_gen = c->st->os[os].gen;
	memset(&c->st->os[os], 0, sizeof(c->st->os[os]));
	ihkd_dev_path(c->dir, os, path, sizeof(path));
	unlink(path);
	ihkd_kmsg_path(c->dir, os, path, sizeof(path));
	unlink(path);
	ihkd_records_retire(c->dir, os);
}

int ihk_destroy_os(int dev, int os)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	char path[PATH_MAX + 16];
	unsigned gen;
	long retries, interval;
	int held, rc = ihkd_begin_dev_change(&c, __func__, dev);

	if (rc)
		return ihkd_failed_start(&c, os, rc);
	if (!(o = ihkd_get_os(&c, os)))
		return ihkd_finish(&c, os, -EINVAL);
	gen = o->gen;
	retries = c.conf.destroy_retries;
	interval = c.conf.destroy_retry_interval_ms;
	ihkd_dev_path(c.dir, os, path, sizeof(path));
	ihkd_end(&c, 0, 0);
	held = wait_unheld(path, retries, interval);
	if ((rc = ihkd_begin(&c, __func__, 1)))
		return rc;
	if (!(o = ihkd_get_os(&c, os)) || o->gen != gen)
		return ihkd_finish(&c, os, -EINVAL);	/* destroyed meanwhile */
	if (held || ihkd_device_held(path))
		return ihkd_finish(&c, os, -EBUSY);
	if (o->phase == IHKD_SHUTTING && !o->poisoned)
		return ihkd_finish(&c, os, -EBUSY);	/* a shutdown is under way */
	if (o->phase == IHKD_BOOTED && !o->poisoned) {
		/* shut down first: CPUs and memory back to the reserved pool */
		ihkd_move_os_resources(c.st, os, IHKD_RESERVED);
		c.latency_ms = ihkd_latency(&c.conf, IHKD_LAT_SHUTDOWN);
	} else {
		not_booted(&c, os, o, __func__);
		ihkd_dmesg(c.dir, "__ihk_os_shutdown: info: do nothing because os status is "
			   "IHK_OS_STATUS_NOT_BOOTED");
		ihkd_move_os_resources(c.st, os, IHKD_LEAKED);
	}
	remove_instance(&c, os);
	return ihkd_finish(&c, os, 0);
}

/* ------------------------------------------------------------------ kmsg */

/* The kernel messages exist from create until shutdown. */
static int begin_kmsg(struct ihkd_ctx *c, const char *call, int os, struct ihkd_os **o, int change)
{
	int rc = change ? ihkd_start_os(c, call, os, o) : ihkd_begin_os_query(c, call, os, o);

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
	int rc = begin_kmsg(&c, __func__, os, &o, 0);

	if (rc)
		return ihkd_failed_start(&c, os, rc);
	return ihkd_finish(&c, os, IHKD_KMSG_BUF);
}

/* Lines a panic or a hang adds to the buffer, until it is cleared. */
static void failure_lines(const struct ihkd_os *o, int os, char *buf, size_t len)
{
	int64_t now = ihkd_now_ms();
	int st = ihkd_status(o, now);

	buf[0] = '\0';
	if (st == IHK_STATUS_PANIC && o->panic_ms > o->kmsg_clear_ms)
		snprintf(buf, len, "[  0]: kernel panic: fatal exception in LWK (mcos%d)\n"
			 "[  0]: kernel: dumping core, dump_level=24\n", os);
	else if (st == IHK_STATUS_HUNGUP && o->hang_ms > o->kmsg_clear_ms)
		snprintf(buf, len, "[  0]: watchdog: LWK CPU 0 stuck, no heartbeat\n");
}

int ihk_os_kmsg(int os, char *buf, ssize_t size)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	char path[PATH_MAX + 16], extra[256];
	char *text = NULL;
	size_t len = 0, elen;
	struct mck_error err;
	int rc = begin_kmsg(&c, __func__, os, &o, 0);

	if (rc)
		return ihkd_failed_start(&c, os, rc);
	if (!buf || size <= 0)
		return ihkd_finish(&c, os, -EINVAL);
	ihkd_kmsg_path(c.dir, os, path, sizeof(path));
	if (mck_read_file(path, &text, &len, &err)) {
		text = NULL;
		len = 0;
	}
	failure_lines(o, os, extra, sizeof(extra));
	elen = strlen(extra);
	if (len > (size_t)size)
		len = (size_t)size;
	if (len)
		memcpy(buf, text, len);
	if (elen > (size_t)size - len)
		elen = (size_t)size - len;
	memcpy(buf + len, extra, elen);
	free(text);
	return ihkd_finish(&c, os, (int)(len + elen));
}

int ihk_os_clear_kmsg(int os)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	char path[PATH_MAX + 16];
	int rc = begin_kmsg(&c, __func__, os, &o, 1);

	if (rc)
		return ihkd_failed_start(&c, os, rc);
	ihkd_kmsg_path(c.dir, os, path, sizeof(path));
	if (truncate(path, 0) && errno != ENOENT)
		return ihkd_finish(&c, os, -errno);
	o->kmsg_clear_ms = ihkd_now_ms();
	return ihkd_finish(&c, os, 0);
}
