/*
 * lwk-boot.c: the boot of a job's McKernel instance as a table of steps,
 * each with what undoes it, run by one loop that unwinds in reverse.
 *
 * The step that creates the instance declares that, until ihk_os_boot has
 * returned 0, a failure must not undo it by destroying the instance: real
 * IHK crashes the node on a status query or a destroy of an instance that
 * did not boot. Such an instance is left where it is ("stranded": the job
 * record names the step that failed and says that the node needs a
 * reboot), unless the operator declared ihk_destroy_unbooted = safe, in
 * which case its CPUs and memory are given back first and it is destroyed.
 * Everything that can fail between create and boot is checked before the
 * create (recovery, plan, image, kargs, reservations), so that this window
 * is as small as it can be. See mck-lwk.h.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lwk-internal.h"
#include "mck-drain.h"
#include "mck-lists.h"
#include "mck-metrics.h"
#include "mck-nodeplan.h"
#include "mck-options.h"
#include "mck-plan.h"
#include "mck-util.h"

#define POLL_MS 20

/* What the boot has done so far. */
struct boot {
	struct lwk_ctx *c;
	const struct mck_lwk_job *job;
	struct mck_jobrec rec;
	struct mck_plan plan;
	char *cpus_s, *mem_s, *ikc_s, *linux_s;
	struct ihk_mem_chunk *before;	/* IHK's memory pool before this boot */
	int n_before;
	struct ihk_mem_chunk *mem;	/* the chunks this boot reserved, as IHK lists them */
	int n_mem;
	int reused;			/* the CPUs and memory are a kept reservation */
	int os;				/* the created instance, -1 none */
	int boot_returned;		/* ihk_os_boot returned 0: may be probed, destroyed */
	int refused;			/* the job may not boot here: record refused */
	int node_fault;			/* the node is not fit: no record, the caller drains */
	char kmsg[PATH_MAX + 64];	/* kernel messages saved by the unwind */
	double t_start;
};

/* Steps in their order; the unwind runs the undo of every step done, in reverse. */
struct boot_step {
	const char *name;
	int (*run)(struct boot *b, struct mck_error *err);
	/* undo; returns 1 when it had to leave something on the node, else 0 */
	int (*undo)(struct boot *b);
	/*
	 * Until ihk_os_boot returned 0, a failure undoes this step with
	 * undo_unbooted instead (the instance must not be destroyed).
	 */
	int (*undo_unbooted)(struct boot *b);
};

int lwk_record(struct lwk_ctx *c, struct mck_jobrec *rec, enum mck_job_state state,
	       struct mck_error *err)
{
	struct mck_error e = { 0 };
	int rc;

	rec->state = state;
	rc = mck_jobrec_write(c->cfg->state_dir, rec, &e);
	if (rc) {
		lwk_log(c, "job record: %s", e.msg);
		if (err)
			mck_fail(err, rc, "job record: %s", e.msg);
	}
	return rc;
}

/* "boot failed at CALL: TEXT (RC)" for an IHK call that failed. */
static int call_failed(struct mck_error *err, const char *call, int rc)
{
	return mck_fail(err, rc, "boot failed at %s: %s (%d)", call, strerror(-rc), rc);
}

/* Log and return rc of one IHK call. */
static int ihk_call(struct boot *b, const char *call, const char *args, int rc, double t0,
		    struct mck_error *err)
{
	lwk_log_call(b->c, call, args, rc, t0);
	return rc < 0 ? call_failed(err, call, rc) : 0;
}

/* ------------------------------------------------------ before the create */

static int do_recover(struct boot *b, struct mck_error *err)
{
	int rc = lwk_recover(b->c, b->job->node, b->job->job, err);

	if (rc == LWK_REFUSED) {
		b->refused = 1;
		return -EBUSY;
	}
	if (rc)
		b->node_fault = 1;
	return rc;
}

static int do_plan(struct boot *b, struct mck_error *err)
{
	double t0 = mck_now_ms();
	int user_fault = 0, rc;

	rc = mck_node_plan(b->c->cfg, b->job->options, &b->plan, &user_fault, err);
	if (rc && user_fault) {
		/* the user's --mckernel keys: nothing reserved, the node is fine */
		b->refused = 1;
		return rc;
	}
	if (rc) {
		b->node_fault = 1;
		mck_error_prefix(err, "boot failed at plan: ");
		return rc;
	}
	b->cpus_s = mck_cpulist_format(b->plan.lwk_cpus, b->plan.n_lwk);
	b->linux_s = mck_cpulist_format(b->plan.linux_cpus, b->plan.n_linux);
	b->mem_s = mck_memlist_format(b->plan.mem, b->plan.n_mem);
	b->ikc_s = mck_ikcmap_format(b->plan.ikc, b->plan.n_lwk);
	if (!b->cpus_s || !b->linux_s || !b->mem_s || !b->ikc_s ||
	    mck_jobrec_set(&b->rec.cpus, b->cpus_s) || mck_jobrec_set(&b->rec.mem, b->mem_s) ||
	    mck_jobrec_set(&b->rec.ikc, b->ikc_s) ||
	    mck_jobrec_set(&b->rec.linux_cpus, b->linux_s)) {
		b->node_fault = 1;
		return mck_fail(err, -ENOMEM, "out of memory");
	}
	lwk_log(b->c, "plan: cpus %s mem %s ikc %s ok %.2f ms", b->cpus_s, b->mem_s, b->ikc_s,
		mck_now_ms() - t0);
	return 0;
}

static int do_checks(struct boot *b, struct mck_error *err)
{
	double t0 = mck_now_ms();
	int rc = lwk_check_before_create(b->c->cfg, err);

	lwk_log_call(b->c, "image and kargs check", b->c->cfg->image, rc, t0);
	return rc;
}

/* A node without objdump is the node's fault: drained, no record. */
static int do_node_ready(struct boot *b, struct mck_error *err)
{
	int rc = lwk_check_node_ready(err);

	b->node_fault = rc != 0;
	return rc;
}

/* A kept reservation of this plan is the job's; one of another plan goes back to Linux. */
static int do_kept(struct boot *b, struct mck_error *err)
{
	int rc = lwk_kept_reuse(b->c, b->cpus_s, b->mem_s, &b->mem, &b->n_mem, err);

	if (rc < 0) {
		b->node_fault = 1;
		mck_error_prefix(err, "boot failed at the kept reservation: ");
		return rc;
	}
	b->reused = rc;
	return 0;
}

static int do_reserve_cpu(struct boot *b, struct mck_error *err)
{
	double t0;
	int rc;

	rc = lwk_record(b->c, &b->rec, MCK_JOB_RESERVING, err);
	if (rc)
		return rc;
	if (b->reused) {
		/* b->before stays empty: an undo releases the whole kept pool */
		lwk_log(b->c, "ihk_reserve_cpu(%s) not called: kept reservation", b->cpus_s);
		return 0;
	}
	rc = lwk_reserved_mem(b->c, &b->before, &b->n_before, err);
	if (rc)
		return rc;
	lwk_note_reserved_cpus(b->c, b->plan.lwk_cpus, b->plan.n_lwk);
	t0 = mck_now_ms();
	rc = b->c->ihk.ihk_reserve_cpu(LWK_IHK_DEV, b->plan.lwk_cpus, b->plan.n_lwk);
	return ihk_call(b, "ihk_reserve_cpu", b->cpus_s, rc, t0, err);
}

static int undo_reserve_cpu(struct boot *b)
{
	int *pool = NULL, npool = 0, *mine, n = 0, rc;
	struct mck_error e = { 0 };
	double t0;
	char *s;

	/* the plan's CPUs that are in the pool (assigned ones stay with their instance) */
	if (lwk_reserved_cpus(b->c, &pool, &npool, &e)) {
		lwk_log(b->c, "%s", e.msg);
		return 1;
	}
	mine = calloc(b->plan.n_lwk > 0 ? b->plan.n_lwk : 1, sizeof(int));
	for (int i = 0; mine && i < b->plan.n_lwk; i++)
		for (int k = 0; k < npool; k++)
			if (pool[k] == b->plan.lwk_cpus[i])
				mine[n++] = pool[k];
	free(pool);
	if (!mine)
		return 1;
	rc = 0;
	if (n) {
		s = lwk_format_cpus(mine, n);
		t0 = mck_now_ms();
		rc = b->c->ihk.ihk_release_cpu(LWK_IHK_DEV, mine, n);
		lwk_log_call(b->c, "ihk_release_cpu", s, rc, t0);
		free(s);
	}
	free(mine);
	return rc < 0 || n < b->plan.n_lwk;
}

/*
 * Chunks in `after` that are not in `before` (multiset difference, exact
 * size and node): what reserve calls added to the pool.
 */
static int mem_diff(const struct ihk_mem_chunk *before, int nb,
		    const struct ihk_mem_chunk *after, int na,
		    struct ihk_mem_chunk **out, int *nout)
{
	char *used = calloc(nb > 0 ? nb : 1, 1);
	int k = 0;

	*out = calloc(na > 0 ? na : 1, sizeof(**out));
	if (!used || !*out) {
		free(used);
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	for (int i = 0; i < na; i++) {
		int found = 0;

		for (int j = 0; j < nb && !found; j++)
			if (!used[j] && before[j].size == after[i].size &&
			    before[j].numa_node_number == after[i].numa_node_number)
				used[j] = found = 1;
		if (!found)
			(*out)[k++] = after[i];
	}
	free(used);
	*nout = k;
	return 0;
}

/* b->mem: the pool's chunks that this boot added (pool now minus before). */
static int find_added_mem(struct boot *b, struct mck_error *err)
{
	struct ihk_mem_chunk *now = NULL;
	int n = 0, rc;

	rc = lwk_reserved_mem(b->c, &now, &n, err);
	if (rc)
		return rc;
	free(b->mem);
	b->mem = NULL;
	b->n_mem = 0;
	rc = mem_diff(b->before, b->n_before, now, n, &b->mem, &b->n_mem);
	free(now);
	return rc ? mck_fail(err, rc, "out of memory") : 0;
}

/* Release what this boot added to the memory pool, exactly as IHK lists it. */
static int undo_reserve_mem(struct boot *b)
{
	struct mck_error e = { 0 };
	double t0;
	char *s;
	int rc;

	if (find_added_mem(b, &e)) {
		lwk_log(b->c, "%s", e.msg);
		return 1;
	}
	if (!b->n_mem)
		return 0;
	s = lwk_format_mem(b->mem, b->n_mem);
	t0 = mck_now_ms();
	rc = b->c->ihk.ihk_release_mem(LWK_IHK_DEV, b->mem, b->n_mem);
	lwk_log_call(b->c, "ihk_release_mem", s, rc, t0);
	free(s);
	return rc < 0;
}

static int reserve_mem_once(struct boot *b)
{
	struct ihk_mem_chunk *req = calloc(b->plan.n_mem > 0 ? b->plan.n_mem : 1, sizeof(*req));
	struct mck_error qerr = { 0 };
	double t0;
	int rc, qrc;

	if (!req)
		return -ENOMEM;
	for (int i = 0; i < b->plan.n_mem; i++) {
		req[i].size = b->plan.mem[i].size;
		req[i].numa_node_number = b->plan.mem[i].numa;
	}
	t0 = mck_now_ms();
	rc = b->c->ihk.ihk_reserve_mem(LWK_IHK_DEV, req, b->plan.n_mem);
	lwk_log_call(b->c, "ihk_reserve_mem", b->mem_s, rc, t0);
	free(req);
	/* chunks reserved before a failure stay reserved: find them all */
	qrc = find_added_mem(b, &qerr);
	if (qrc)
		lwk_log(b->c, "%s", qerr.msg);
	return rc < 0 ? rc : qrc;
}

static int compact_memory(void)
{
	int fd = open("/proc/sys/vm/compact_memory", O_WRONLY | O_CLOEXEC);
	int rc = -1;

	if (fd >= 0) {
		rc = write(fd, "1\n", 2) == 2 ? 0 : -1;
		close(fd);
	}
	return rc;
}

/* Reserve the plan's memory; on -ENOMEM compact and try once more. */
static int do_reserve_mem(struct boot *b, struct mck_error *err)
{
	double t0;
	int rc;

	if (b->reused) {
		lwk_log(b->c, "ihk_reserve_mem(%s) not called: kept reservation", b->mem_s);
		return 0;
	}
	rc = reserve_mem_once(b);

	if (rc == -ENOMEM) {
		undo_reserve_mem(b);
		t0 = mck_now_ms();
		lwk_log(b->c, "compact memory %s %.2f ms",
			compact_memory() ? "not possible" : "ok", mck_now_ms() - t0);
		rc = reserve_mem_once(b);
	}
	if (rc < 0) {
		undo_reserve_mem(b);	/* a failed step undoes its own part */
		return call_failed(err, "ihk_reserve_mem", rc);
	}
	return 0;
}

/* ------------------------------------------- create .. boot: the window */

static int do_create(struct boot *b, struct mck_error *err)
{
	char dev[PATH_MAX];
	double t0 = mck_now_ms();
	int rc;

	rc = b->c->ihk.ihk_create_os(LWK_IHK_DEV);
	if (ihk_call(b, "ihk_create_os", "0", rc, t0, err))
		return err->code;
	b->os = rc;
	b->rec.os = rc;
	lwk_device_path(b->c->cfg, rc, dev, sizeof(dev));
	if (mck_jobrec_set(&b->rec.device, dev))
		return mck_fail(err, -ENOMEM, "out of memory");
	return lwk_record(b->c, &b->rec, MCK_JOB_CREATED, err);
}

/* The boot started: destroy the instance directly (it saves kmsg first). */
static int undo_create_booted(struct boot *b)
{
	struct lwk_owner o = { .job = b->job->job, .step = -1, .uid = b->job->uid,
			       .gid = b->job->gid, .saved = b->kmsg,
			       .saved_len = sizeof(b->kmsg) };
	struct mck_error e = { 0 };

	if (lwk_destroy_booted(b->c, b->os, &o, &e)) {
		lwk_log(b->c, "%s", e.msg);
		return 1;
	}
	b->os = -1;
	return 0;
}

/*
 * The boot did not start (or its fate is unknown): never query or destroy
 * the instance. ihk_destroy_unbooted = safe: give its CPUs and memory
 * back and destroy it; else leave it (stranded).
 */
static int undo_create_unbooted(struct boot *b)
{
	struct lwk_owner o = { .job = b->job->job, .step = -1, .uid = b->job->uid,
			       .gid = b->job->gid, .saved = b->kmsg,
			       .saved_len = sizeof(b->kmsg) };
	struct mck_error e = { 0 };

	if (!b->c->cfg->ihk_destroy_unbooted_safe) {
		lwk_log(b->c, "instance %d is not known to have booted: left as it is (querying "
			"or destroying it crashes IHK): the node needs a reboot", b->os);
		return 1;
	}
	if (lwk_remove_unbooted_safe(b->c, b->os, &o, &e)) {
		lwk_log(b->c, "%s", e.msg);
		return 1;
	}
	b->os = -1;
	return 0;
}

static int do_assign_cpu(struct boot *b, struct mck_error *err)
{
	char args[4200];
	double t0 = mck_now_ms();
	int rc;

	/* in plan order: it sets McKernel's CPU numbering */
	snprintf(args, sizeof(args), "%d, %s", b->os, b->cpus_s);
	rc = b->c->ihk.ihk_os_assign_cpu(b->os, b->plan.lwk_cpus, b->plan.n_lwk);
	return ihk_call(b, "ihk_os_assign_cpu", args, rc, t0, err);
}

static int do_ikc_map(struct boot *b, struct mck_error *err)
{
	struct ihk_ikc_cpu_map *map = calloc(b->plan.n_lwk > 0 ? b->plan.n_lwk : 1, sizeof(*map));
	char args[4200];
	double t0;
	int rc;

	if (!map)
		return mck_fail(err, -ENOMEM, "out of memory");
	for (int i = 0; i < b->plan.n_lwk; i++) {
		map[i].src_cpu = b->plan.ikc[i].lwk_cpu;
		map[i].dst_cpu = b->plan.ikc[i].linux_cpu;
	}
	snprintf(args, sizeof(args), "%d, %s", b->os, b->ikc_s);
	t0 = mck_now_ms();
	rc = b->c->ihk.ihk_os_set_ikc_map(b->os, map, b->plan.n_lwk);
	free(map);
	return ihk_call(b, "ihk_os_set_ikc_map", args, rc, t0, err);
}

static int do_assign_mem(struct boot *b, struct mck_error *err)
{
	char args[4200], *phys = lwk_format_mem(b->mem, b->n_mem);
	double t0;
	int rc;

	/* the physical chunks IHK reserved, not the request */
	snprintf(args, sizeof(args), "%d, %s", b->os, phys ? phys : "?");
	free(phys);
	t0 = mck_now_ms();
	rc = b->c->ihk.ihk_os_assign_mem(b->os, b->mem, b->n_mem);
	return ihk_call(b, "ihk_os_assign_mem", args, rc, t0, err);
}

static int do_load(struct boot *b, struct mck_error *err)
{
	char args[PATH_MAX + 32];
	double t0 = mck_now_ms();
	int rc;

	snprintf(args, sizeof(args), "%d, %s", b->os, b->c->cfg->image);
	rc = b->c->ihk.ihk_os_load(b->os, b->c->cfg->image);
	return ihk_call(b, "ihk_os_load", args, rc, t0, err);
}

static int do_kargs(struct boot *b, struct mck_error *err)
{
	char args[1200];
	double t0 = mck_now_ms();
	int rc;

	snprintf(args, sizeof(args), "%d, \"%s\"", b->os, b->c->cfg->kargs);
	rc = b->c->ihk.ihk_os_kargs(b->os, b->c->cfg->kargs);
	return ihk_call(b, "ihk_os_kargs", args, rc, t0, err);
}

/*
 * The record says "booting" before the call and "booted" once it returned
 * 0; a process killed in between leaves "booting": the boot's fate is
 * unknown, and recovery will not touch the instance. A failed call leaves
 * the fate unknown too (the library may or may not have started it).
 */
static int do_boot(struct boot *b, struct mck_error *err)
{
	char args[32];
	double t0;
	int rc;

	rc = lwk_record(b->c, &b->rec, MCK_JOB_BOOTING, err);
	if (rc)
		return rc;
	snprintf(args, sizeof(args), "%d", b->os);
	t0 = mck_now_ms();
	rc = b->c->ihk.ihk_os_boot(b->os);
	if (ihk_call(b, "ihk_os_boot", args, rc, t0, err))
		return err->code;
	b->boot_returned = 1;
	return lwk_record(b->c, &b->rec, MCK_JOB_BOOTED, err);
}

static int do_wait_running(struct boot *b, struct mck_error *err)
{
	double t0 = mck_now_ms(), deadline = t0 + b->c->cfg->boot_timeout * 1000.0;
	int st;

	for (;;) {
		st = b->c->ihk.ihk_os_get_status(b->os);
		if (st == IHK_STATUS_RUNNING || st < 0 || st == IHK_STATUS_PANIC ||
		    st == IHK_STATUS_HUNGUP || mck_now_ms() > deadline)
			break;
		usleep(POLL_MS * 1000);
	}
	if (st == IHK_STATUS_RUNNING) {
		lwk_log(b->c, "wait RUNNING ok %.2f ms", mck_now_ms() - t0);
		return 0;
	}
	lwk_log(b->c, "wait RUNNING failed: status %s %.2f ms",
		st >= 0 ? mck_ihk_status_name(st) : strerror(-st), mck_now_ms() - t0);
	if (st >= 0 && st != IHK_STATUS_PANIC && st != IHK_STATUS_HUNGUP)
		return mck_fail(err, -ETIMEDOUT, "boot failed at wait RUNNING: instance %d still "
				"%s after boot_timeout = %d s", b->os, mck_ihk_status_name(st),
				b->c->cfg->boot_timeout);
	return mck_fail(err, st < 0 ? st : -EIO, "boot failed at wait RUNNING: instance %d "
			"went to %s", b->os, st >= 0 ? mck_ihk_status_name(st) : strerror(-st));
}

/* ------------------------------------------------------- after the boot */

static int do_give_device(struct boot *b, struct mck_error *err)
{
	return lwk_device_give(b->c, b->rec.device, b->job->uid, b->job->gid, err);
}

static int undo_give_device(struct boot *b)
{
	return lwk_device_restore(b->c, b->rec.device) < 0;
}

static int do_record_running(struct boot *b, struct mck_error *err)
{
	b->rec.boot_ms = mck_now_ms() - b->t_start;
	b->rec.last_step = -1;
	if (lwk_record(b->c, &b->rec, MCK_JOB_RUNNING, err))
		return err->code;
	return 0;
}

static const struct boot_step steps[] = {
	{ "recovery", do_recover, NULL, NULL },
	{ "plan", do_plan, NULL, NULL },
	{ "node ready", do_node_ready, NULL, NULL },
	{ "checks", do_checks, NULL, NULL },
	{ "kept reservation", do_kept, NULL, NULL },
	{ "ihk_reserve_cpu", do_reserve_cpu, undo_reserve_cpu, NULL },
	{ "ihk_reserve_mem", do_reserve_mem, undo_reserve_mem, NULL },
	{ "ihk_create_os", do_create, undo_create_booted, undo_create_unbooted },
	{ "ihk_os_assign_cpu", do_assign_cpu, NULL, NULL },
	{ "ihk_os_set_ikc_map", do_ikc_map, NULL, NULL },
	{ "ihk_os_assign_mem", do_assign_mem, NULL, NULL },
	{ "ihk_os_load", do_load, NULL, NULL },
	{ "ihk_os_kargs", do_kargs, NULL, NULL },
	{ "ihk_os_boot", do_boot, NULL, NULL },
	{ "wait RUNNING", do_wait_running, NULL, NULL },
	{ "chown", do_give_device, undo_give_device, NULL },
	{ "running", do_record_running, NULL, NULL },
};

#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

/*
 * The one line per boot an operator greps: job, partition, plan, whether
 * the reservation was kept from an earlier job, every step's duration.
 */
static void log_boot_ok(struct boot *b, const double *ms)
{
	char line[1400];
	size_t n;

	n = snprintf(line, sizeof(line), "boot ok: instance %d RUNNING; job %lu; partition %s; "
		     "plan cpus %s mem %s ikc %s; reservation %s; steps", b->os, b->job->job,
		     b->job->partition ? b->job->partition : "-", b->cpus_s, b->mem_s, b->ikc_s,
		     b->reused ? "kept from an earlier job" : "reserved");
	for (size_t i = 0; i < NSTEPS && n < sizeof(line); i++)
		n += snprintf(line + n, sizeof(line) - n, "%s %s=%.2f", i ? "," : "", steps[i].name,
			      ms[i]);
	if (n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, "; total %.2f ms", b->rec.boot_ms);
	lwk_log(b->c, "%s", line);
}

/* Undo steps done[0..n) in reverse; 1 when something had to stay. */
static int unwind(struct boot *b, size_t n)
{
	int left = 0;

	lwk_log(b->c, "unwinding the boot");
	while (n-- > 0) {
		int (*undo)(struct boot *) = steps[n].undo;

		if (steps[n].undo_unbooted && !b->boot_returned)
			undo = steps[n].undo_unbooted;
		if (undo)
			left |= undo(b);
	}
	return left;
}

/* The record after a failed boot: what the job's steps and recovery read. */
static void record_failure(struct boot *b, size_t failed, int left, struct mck_error *err)
{
	struct mck_error keep = *err;
	char more[1200] = "";
	enum mck_job_state state;

	if (b->kmsg[0])
		snprintf(more, sizeof(more), "; kernel messages in %.900s", b->kmsg);
	mck_jobrec_set(&b->rec.failed_at, steps[failed].name);
	if (b->os >= 0 && !b->boot_returned) {
		/* left as it is: the node needs a reboot (or a safe IHK) */
		state = MCK_JOB_STRANDED;
		snprintf(more + strlen(more), sizeof(more) - strlen(more),
			 "; instance %d was created and its boot is not known to have started: "
			 "IHK cannot remove it without crashing the node: reboot the node (or set "
			 "ihk_destroy_unbooted = safe for an IHK that can)", b->os);
	} else if (!left && lwk_leftovers(b->c, NULL, b->job->job, 0, NULL) == 0) {
		state = MCK_JOB_BOOT_FAILED;
		b->rec.os = -1;
		mck_jobrec_set(&b->rec.device, NULL);
	} else {
		char what[900];

		state = MCK_JOB_BOOT_FAILED_UNCLEAN;
		lwk_leftovers_line(b->c, b->job->job, what, sizeof(what));
		snprintf(more + strlen(more), sizeof(more) - strlen(more), "; node not clean: %s",
			 *what ? what : "cannot query IHK");
	}
	if (strlen(keep.msg) + strlen(more) < sizeof(keep.msg))
		strcat(keep.msg, more);
	mck_jobrec_set(&b->rec.reason, keep.msg);
	lwk_record(b->c, &b->rec, state, NULL);
	*err = keep;
}

/* The user's keys or the node's use by another job: the record says why. */
static void record_refusal(struct boot *b, const struct mck_error *err)
{
	struct mck_error e = { 0 };

	if (mck_jobrec_refuse(b->c->cfg->state_dir, b->job->job, b->job->uid, b->job->gid,
			      b->job->partition, b->job->node, err->msg, &e))
		lwk_log(b->c, "job record: %s", e.msg);
	lwk_log(b->c, "refused: %s", err->msg);
}

/* The node's counts (mck-metrics.h): a boot, or a failure at step failed. */
static void count_boot(struct boot *b, const char *failed)
{
	const char *dir = b->c->cfg->state_dir;
	char sample[160];

	if (failed) {
		snprintf(sample, sizeof(sample), "boot_failures_total{reason=\"%.64s\"}", failed);
		mck_metrics_add(dir, sample, 1);
		return;
	}
	mck_metrics_add(dir, "boots_total", 1);
	if (b->reused)
		mck_metrics_add(dir, "reservations_reused_total", 1);
	snprintf(sample, sizeof(sample), "last_boot_seconds{job=\"%lu\"}", b->job->job);
	mck_metrics_set(dir, sample, b->rec.boot_ms / 1000, 1);
}

static int boot_init(struct boot *b, struct lwk_ctx *c, const struct mck_lwk_job *job,
		     struct mck_error *err)
{
	char opts[MCK_OPTIONS_MAX_LEN + 1] = "";

	memset(b, 0, sizeof(*b));
	b->c = c;
	b->job = job;
	b->os = -1;
	b->t_start = mck_now_ms();
	mck_jobrec_init(&b->rec, job->job, job->uid, job->gid);
	if (job->options && mck_options_format(job->options, opts, sizeof(opts)) < 0)
		return mck_fail(err, -EINVAL, "the job's --mckernel keys do not fit a record");
	if (mck_jobrec_set(&b->rec.partition, job->partition) ||
	    mck_jobrec_set(&b->rec.node, job->node) ||
	    (*opts && mck_jobrec_set(&b->rec.options, opts)))
		return mck_fail(err, -ENOMEM, "out of memory");
	return 0;
}

static void boot_free(struct boot *b)
{
	free(b->cpus_s);
	free(b->mem_s);
	free(b->ikc_s);
	free(b->linux_s);
	free(b->mem);
	free(b->before);
	mck_jobrec_free(&b->rec);
	mck_plan_free(&b->plan);
}

int lwk_boot_locked(struct lwk_ctx *c, const struct mck_lwk_job *job, struct mck_error *err)
{
	struct boot b;
	double ms[NSTEPS] = { 0 };
	size_t i;
	int rc, left;

	rc = boot_init(&b, c, job, err);
	if (rc)
		goto out;
	lwk_log(c, "boot for uid %lu gid %lu%s%s on %s", (unsigned long)job->uid,
		(unsigned long)job->gid, job->partition ? ", partition " : "",
		job->partition ? job->partition : "", job->node ? job->node : "this node");
	for (i = 0; i < NSTEPS; i++) {
		double t0 = mck_now_ms();

		rc = steps[i].run(&b, err);
		ms[i] = mck_now_ms() - t0;
		if (rc)
			break;
	}
	if (!rc) {
		log_boot_ok(&b, ms);
		count_boot(&b, NULL);
		goto out;
	}
	count_boot(&b, b.refused ? "refused" : steps[i].name);
	if (b.refused) {
		record_refusal(&b, err);
		goto out;
	}
	if (b.node_fault) {
		lwk_log(c, "%s", err->msg);
		goto out;
	}
	left = unwind(&b, i);
	record_failure(&b, i, left, err);
	lwk_log(c, "%s", err->msg);
out:
	boot_free(&b);
	return rc;
}

int mck_lwk_boot(const struct mck_config *cfg, const struct mck_lwk_job *job,
		 struct mck_error *err)
{
	struct lwk_ctx c;
	int rc = lwk_ctx_open(&c, cfg, job->job, LWK_OPEN_CHANGE, err);

	if (rc)
		return rc;
	rc = lwk_boot_locked(&c, job, err);
	lwk_metrics_auto(&c);
	lwk_ctx_close(&c);
	return rc;
}

int mck_lwk_boot_failed_clean(const struct mck_config *cfg, unsigned long job)
{
	struct mck_jobrec rec;
	int yes;

	if (mck_jobrec_read(cfg->state_dir, job, &rec, NULL))
		return 0;
	yes = rec.os < 0 && mck_job_state_told(rec.state);
	mck_jobrec_free(&rec);
	return yes;
}
