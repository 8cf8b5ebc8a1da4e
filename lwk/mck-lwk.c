/*
 * mck-lwk.c: the McKernel instance lifecycle of one job on one node
 * (see mck-lwk.h). IHK is reached only through ihk/mck-ihk.h, so the
 * same code drives the real libihk and the IHK double.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mck-ihk.h"
#include "mck-jobrec.h"
#include "mck-lists.h"
#include "mck-lwk.h"
#include "mck-options.h"
#include "mck-plan.h"
#include "mck-policy.h"
#include "mck-util.h"

#define IHK_DEV 0
#define POLL_MS 20

static FILE *log_out;

void mck_lwk_set_log(FILE *out)
{
	log_out = out;
}

/* One lifecycle operation: configuration, libihk, log, lock. */
struct lwk_ctx {
	const struct mck_config *cfg;
	unsigned long job;
	struct mck_ihk ihk;
	FILE *logfile;
	int lock_fd;
};

/* ---------------------------------------------------------------- logging */

static void lwk_log(struct lwk_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void lwk_log(struct lwk_ctx *c, const char *fmt, ...)
{
	char line[1536], stamp[64];
	va_list ap;
	time_t now = time(NULL);
	struct tm tm;
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
	if (c->logfile) {
		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(c->logfile, "%s pid=%ld %s\n", stamp, (long)getpid(), line);
		fflush(c->logfile);
	}
}

/* Log one IHK call: "ihk_reserve_cpu(1-3) ok 0.41 ms" or "... failed: ...". */
static void log_call(struct lwk_ctx *c, const char *call, const char *args,
		     int rc, double t0)
{
	double ms = mck_now_ms() - t0;

	if (rc < 0)
		lwk_log(c, "%s(%s) failed: %s (%d) %.2f ms", call, args ? args : "",
			strerror(-rc), rc, ms);
	else
		lwk_log(c, "%s(%s) ok %.2f ms", call, args ? args : "", ms);
}

/* ------------------------------------------------------- context set-up */

/* flock(LOCK_EX), giving up after timeout_s seconds (-ETIMEDOUT). */
static int lock_with_timeout(int fd, int timeout_s)
{
	double deadline = mck_now_ms() + timeout_s * 1000.0;

	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (mck_now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(50 * 1000);
	}
}

static int ctx_open(struct lwk_ctx *c, const struct mck_config *cfg,
		    unsigned long job, int need_ihk, struct mck_error *err)
{
	char path[PATH_MAX];
	int rc;

	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->job = job;
	c->lock_fd = -1;
	snprintf(path, sizeof(path), "%s/log", cfg->state_dir);
	rc = mck_mkdir_p(path, 0755, err);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/log/lifecycle.log", cfg->state_dir);
	c->logfile = fopen(path, "ae");
	if (!c->logfile)
		return mck_fail(err, -errno, "cannot append to %s: %s", path, strerror(errno));
	/* One lifecycle operation at a time on a node. */
	snprintf(path, sizeof(path), "%s/lifecycle.lock", cfg->state_dir);
	c->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (c->lock_fd < 0) {
		rc = mck_fail(err, -errno, "cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	rc = lock_with_timeout(c->lock_fd, cfg->boot_timeout + cfg->shutdown_timeout);
	if (rc) {
		if (rc == -ETIMEDOUT)
			rc = mck_fail(err, rc, "another lifecycle operation held %s for "
				      "boot_timeout + shutdown_timeout = %d s: see %s/log/lifecycle.log",
				      path, cfg->boot_timeout + cfg->shutdown_timeout, cfg->state_dir);
		else
			rc = mck_fail(err, rc, "cannot lock %s: %s", path, strerror(-rc));
		goto fail;
	}
	if (need_ihk) {
		rc = mck_ihk_open(&c->ihk, cfg->libihk, err);
		if (rc)
			goto fail;
	}
	return 0;
fail:
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	fclose(c->logfile);
	c->logfile = NULL;
	c->lock_fd = -1;
	return rc;
}

/* A context for queries only: libihk, no log, no lock. */
static int ctx_open_query(struct lwk_ctx *c, const struct mck_config *cfg, struct mck_error *err)
{
	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->lock_fd = -1;
	return mck_ihk_open(&c->ihk, cfg->libihk, err);
}

static void ctx_close(struct lwk_ctx *c)
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

/* ------------------------------------------------------ IHK query helpers */

/* The lists of /dev/mcd0 that IHK gives as a count, then exactly that many. */
enum ihk_list { RESERVED_CPUS, RESERVED_MEM, INSTANCES };

/* One such list; malloc'd (NULL when empty). */
static int query_list(struct lwk_ctx *c, enum ihk_list what, void **out, int *n,
		      struct mck_error *err)
{
	static const struct {
		const char *count, *query;
		size_t size;
	} calls[] = {
		[RESERVED_CPUS] = { "ihk_get_num_reserved_cpus", "ihk_query_cpu", sizeof(int) },
		[RESERVED_MEM] = { "ihk_get_num_reserved_mem_chunks", "ihk_query_mem",
				   sizeof(struct ihk_mem_chunk) },
		[INSTANCES] = { "ihk_get_num_os_instances", "ihk_get_os_instances", sizeof(int) },
	};
	int cnt, rc;

	*out = NULL;
	*n = 0;
	cnt = what == RESERVED_CPUS ? c->ihk.ihk_get_num_reserved_cpus(IHK_DEV) :
	      what == RESERVED_MEM ? c->ihk.ihk_get_num_reserved_mem_chunks(IHK_DEV) :
	      c->ihk.ihk_get_num_os_instances(IHK_DEV);
	if (cnt < 0)
		return mck_fail(err, cnt, "%s: %s (%d)", calls[what].count, strerror(-cnt), cnt);
	if (cnt == 0)
		return 0;
	*out = calloc(cnt, calls[what].size);
	if (!*out)
		return mck_fail(err, -ENOMEM, "out of memory");
	rc = what == RESERVED_CPUS ? c->ihk.ihk_query_cpu(IHK_DEV, *out, cnt) :
	     what == RESERVED_MEM ? c->ihk.ihk_query_mem(IHK_DEV, *out, cnt) :
	     c->ihk.ihk_get_os_instances(IHK_DEV, *out, cnt);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		return mck_fail(err, rc, "%s: %s (%d)", calls[what].query, strerror(-rc), rc);
	}
	*n = cnt;
	return 0;
}

/* Reserved-but-unassigned CPUs; malloc'd (NULL when none). */
static int query_reserved_cpus(struct lwk_ctx *c, int **cpus, int *n, struct mck_error *err)
{
	void *list;
	int rc = query_list(c, RESERVED_CPUS, &list, n, err);

	*cpus = list;
	return rc;
}

/* Reserved-but-unassigned memory chunks, as IHK reports them physically. */
static int query_reserved_mem(struct lwk_ctx *c, struct ihk_mem_chunk **chunks, int *n,
			      struct mck_error *err)
{
	void *list;
	int rc = query_list(c, RESERVED_MEM, &list, n, err);

	*chunks = list;
	return rc;
}

static int query_instances(struct lwk_ctx *c, int **oses, int *n, struct mck_error *err)
{
	void *list;
	int rc = query_list(c, INSTANCES, &list, n, err);

	*oses = list;
	return rc;
}

/* "512M@0,1G@1" of IHK chunks; malloc'd. */
static char *format_ihk_mem(const struct ihk_mem_chunk *chunks, int n)
{
	struct mck_mem_chunk *m = calloc(n > 0 ? n : 1, sizeof(*m));
	char *s;

	if (!m)
		return NULL;
	for (int i = 0; i < n; i++) {
		m[i].size = chunks[i].size;
		m[i].numa = chunks[i].numa_node_number;
	}
	s = n > 0 ? mck_memlist_format(m, n) : strdup("none");
	free(m);
	return s;
}

static char *format_cpus(const int *cpus, int n)
{
	return n > 0 ? mck_cpulist_format(cpus, n) : strdup("none");
}

/*
 * Chunks in `after` that are not in `before` (multiset difference, exact
 * size and node): what one reserve call added to the pool.
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

/* -------------------------------------------------------- device helpers */

static void device_path(const struct mck_config *cfg, int os, char *buf, size_t len)
{
	snprintf(buf, len, "%s/mcos%d", cfg->device_dir, os);
}

/*
 * Pids that hold path open, found through /proc/PID/fd; "" when none.
 * Compared by device and inode, not by name: a process in another mount
 * namespace may hold a different file under the same path.
 */
static void device_holders(const char *path, char *buf, size_t len)
{
	DIR *proc;
	struct dirent *p;
	struct stat want;
	size_t used = 0;

	buf[0] = '\0';
	if (stat(path, &want))
		return;
	proc = opendir("/proc");
	if (!proc)
		return;
	while ((p = readdir(proc))) {
		char fddir[300], link[600];
		unsigned long pid;
		DIR *fds;
		struct dirent *f;
		int holds = 0;

		if (mck_parse_ulong(p->d_name, &pid))
			continue;
		snprintf(fddir, sizeof(fddir), "/proc/%lu/fd", pid);
		fds = opendir(fddir);
		if (!fds)
			continue;
		while (!holds && (f = readdir(fds))) {
			struct stat st;

			if (f->d_name[0] == '.')
				continue;
			snprintf(link, sizeof(link), "%s/%s", fddir, f->d_name);
			if (stat(link, &st))
				continue;
			holds = st.st_dev == want.st_dev && st.st_ino == want.st_ino;
		}
		closedir(fds);
		if (holds && used + 24 < len)
			used += snprintf(buf + used, len - used, "%s%lu", used ? "," : "", pid);
	}
	closedir(proc);
}

/* --------------------------------------------------------- the topology */

int mck_lwk_plan(const struct mck_config *cfg, struct mck_plan *plan,
		 struct mck_error *err)
{
	return mck_lwk_plan_opts(cfg, NULL, plan, NULL, err);
}

int mck_lwk_plan_opts(const struct mck_config *cfg, const struct mck_options *user,
		      struct mck_plan *plan, int *user_fault, struct mck_error *err)
{
	hwloc_topology_t topo = NULL;
	struct mck_plan_policy policy;
	char cache[PATH_MAX];
	int rc, fault = 0;

	memset(plan, 0, sizeof(*plan));
	if (user_fault)
		*user_fault = 0;
	/* the partition's policy, changed by the user's keys (refused ones fail here) */
	rc = mck_config_plan_policy(cfg, user, &policy, err);
	if (rc) {
		fault = 1;
		goto out;
	}
	if (cfg->topology && *cfg->topology) {
		rc = mck_topo_load(cfg->topology, NULL, &topo, err);
	} else {
		snprintf(cache, sizeof(cache), "%s", cfg->state_dir);
		rc = mck_mkdir_p(cache, 0755, err);
		if (rc)
			return rc;
		snprintf(cache, sizeof(cache), "%s/topology.xml", cfg->state_dir);
		rc = mck_topo_load_cached(cache, &topo, err);
	}
	if (rc)
		goto out;
	rc = mck_plan_compute(topo, &policy, plan, err);
	hwloc_topology_destroy(topo);
	/* a plan the partition's defaults allow but the user's keys do not */
	fault = rc && user && user->set;
	if (!rc) {
		rc = mck_policy_check_plan(cfg, user, plan, err);
		fault = rc != 0;
		if (rc)
			mck_plan_free(plan);
	}
out:
	if (user_fault)
		*user_fault = fault;
	return rc;
}

/* ------------------------------------------------------------------ boot */

/* What boot has done so far, for an exact unwind. */
struct boot_state {
	int cpus_reserved;			/* plan's LWK CPUs are in the pool */
	struct ihk_mem_chunk *before;		/* the memory pool before this boot */
	int n_before;
	struct ihk_mem_chunk *mem;		/* chunks this boot reserved (physical) */
	int n_mem;
	int os;					/* created instance, -1 none */
	int chowned;
	uid_t uid;				/* the job's, for the saved kmsg */
	gid_t gid;
	char kmsg[PATH_MAX + 32];		/* kernel messages saved by the unwind */
};

static int record_stage(struct lwk_ctx *c, struct mck_jobrec *rec, const char *state,
			struct mck_error *err)
{
	int rc = mck_jobrec_set(&rec->state, state);

	if (rc)
		return mck_fail(err, rc, "out of memory");
	rc = mck_jobrec_write(c->cfg->state_dir, rec, err);
	if (rc)
		mck_error_prefix(err, "job record: ");
	return rc;
}

/* The pool's chunks that this boot added (pool now minus bs->before). */
static int boot_added_mem(struct lwk_ctx *c, struct boot_state *bs, struct mck_error *err)
{
	struct ihk_mem_chunk *now = NULL;
	int n = 0, rc;

	rc = query_reserved_mem(c, &now, &n, err);
	if (rc)
		return rc;
	free(bs->mem);
	bs->mem = NULL;
	bs->n_mem = 0;
	rc = mem_diff(bs->before, bs->n_before, now, n, &bs->mem, &bs->n_mem);
	free(now);
	return rc ? mck_fail(err, rc, "out of memory") : 0;
}

static int reserve_mem_once(struct lwk_ctx *c, const struct mck_plan *plan,
			    struct boot_state *bs, const char *args)
{
	struct ihk_mem_chunk *req = calloc(plan->n_mem, sizeof(*req));
	struct mck_error qerr = { 0 };
	double t0;
	int rc, qrc;

	if (!req)
		return -ENOMEM;
	for (int i = 0; i < plan->n_mem; i++) {
		req[i].size = plan->mem[i].size;
		req[i].numa_node_number = plan->mem[i].numa;
	}
	t0 = mck_now_ms();
	rc = c->ihk.ihk_reserve_mem(IHK_DEV, req, plan->n_mem);
	log_call(c, "ihk_reserve_mem", args, rc, t0);
	free(req);
	/* Chunks reserved before a failure stay reserved: find them all. */
	qrc = boot_added_mem(c, bs, &qerr);
	if (qrc)
		lwk_log(c, "%s", qerr.msg);
	return rc < 0 ? rc : qrc;
}

/* Release what this boot added to the memory pool, exactly as IHK reports it. */
static void release_boot_mem(struct lwk_ctx *c, struct boot_state *bs)
{
	struct mck_error qerr = { 0 };
	char *s;
	double t0;
	int rc;

	if (boot_added_mem(c, bs, &qerr)) {
		lwk_log(c, "%s", qerr.msg);
		return;
	}
	if (!bs->n_mem)
		return;
	s = format_ihk_mem(bs->mem, bs->n_mem);
	t0 = mck_now_ms();
	rc = c->ihk.ihk_release_mem(IHK_DEV, bs->mem, bs->n_mem);
	log_call(c, "ihk_release_mem", s, rc, t0);
	free(s);
	if (rc >= 0) {
		free(bs->mem);
		bs->mem = NULL;
		bs->n_mem = 0;
	}
}

/*
 * Poll the status until it is `want` (INACTIVE also accepts "no such
 * instance"). RUNNING gives up early on PANIC or HUNGUP (-EIO).
 */
static int wait_status(struct lwk_ctx *c, int os, int want, int timeout_s, int *last)
{
	double deadline = mck_now_ms() + timeout_s * 1000.0;
	int st;

	for (;;) {
		st = c->ihk.ihk_os_get_status(os);
		*last = st;
		if (st == want || (want == IHK_STATUS_INACTIVE && st == -ENOENT))
			return 0;
		if (st < 0)
			return st;
		if (want == IHK_STATUS_RUNNING &&
		    (st == IHK_STATUS_PANIC || st == IHK_STATUS_HUNGUP))
			return -EIO;
		if (mck_now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(POLL_MS * 1000);
	}
}

static int save_kmsg(struct lwk_ctx *c, int os, unsigned long job, uid_t uid, gid_t gid,
		     char *saved, size_t saved_len);

/*
 * Undo everything in reverse order; errors are logged, not returned.
 * The kernel messages of an instance that started to boot are saved
 * first (path in bs->kmsg): they cannot be read after shutdown.
 */
static void boot_unwind(struct lwk_ctx *c, struct boot_state *bs, const struct mck_plan *plan)
{
	char args[64];
	double t0;
	int rc;

	lwk_log(c, "unwinding the boot");
	if (bs->chowned) {
		char dev[PATH_MAX];

		device_path(c->cfg, bs->os, dev, sizeof(dev));
		if (chown(dev, 0, 0) && errno != ENOENT)
			lwk_log(c, "chown %s back to root failed: %s", dev, strerror(errno));
	}
	if (bs->os >= 0) {
		int st = c->ihk.ihk_os_get_status(bs->os);

		if (st > IHK_STATUS_INACTIVE) {
			int last;

			save_kmsg(c, bs->os, c->job, bs->uid, bs->gid, bs->kmsg, sizeof(bs->kmsg));
			snprintf(args, sizeof(args), "%d", bs->os);
			t0 = mck_now_ms();
			rc = c->ihk.ihk_os_shutdown(bs->os);
			log_call(c, "ihk_os_shutdown", args, rc, t0);
			wait_status(c, bs->os, IHK_STATUS_INACTIVE, c->cfg->shutdown_timeout, &last);
		}
		snprintf(args, sizeof(args), "0, %d", bs->os);
		t0 = mck_now_ms();
		rc = c->ihk.ihk_destroy_os(IHK_DEV, bs->os);
		log_call(c, "ihk_destroy_os", args, rc, t0);
		if (rc >= 0)
			bs->os = -1;
	}
	if (bs->cpus_reserved) {
		char *s = mck_cpulist_format(plan->lwk_cpus, plan->n_lwk);

		t0 = mck_now_ms();
		rc = c->ihk.ihk_release_cpu(IHK_DEV, plan->lwk_cpus, plan->n_lwk);
		log_call(c, "ihk_release_cpu", s, rc, t0);
		free(s);
		if (rc >= 0)
			bs->cpus_reserved = 0;
	}
	release_boot_mem(c, bs);
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

static int node_leftovers(struct lwk_ctx *c, FILE *out, unsigned long skip_job,
			  int allow_live, struct mck_error *err);
static int clean_node(struct lwk_ctx *c, struct mck_error *err);
static void leftovers_line(struct lwk_ctx *c, unsigned long skip_job, char *buf, size_t len);

#define STEP_FAIL(call) do { \
		failed_call = (call); \
		goto fail; \
	} while (0)

int mck_lwk_boot(const struct mck_config *cfg, const struct mck_lwk_job *job,
		 struct mck_error *err)
{
	struct lwk_ctx c;
	struct mck_plan plan;
	struct boot_state bs = { .os = -1, .uid = job->uid, .gid = job->gid };
	struct mck_jobrec rec;
	struct ihk_ikc_cpu_map *map = NULL;
	char *cpus_s = NULL, *mem_s = NULL, *ikc_s = NULL, *linux_s = NULL;
	char args[PATH_MAX + 2048], dev[PATH_MAX];
	const char *failed_call = NULL;
	int call_rc = 0, rc, last, user_fault = 0;
	double t0, tstart = mck_now_ms();
	struct stat st;

	memset(&plan, 0, sizeof(plan));
	memset(&rec, 0, sizeof(rec));
	rc = ctx_open(&c, cfg, job->job, 1, err);
	if (rc)
		return rc;
	lwk_log(&c, "boot for uid %lu gid %lu%s%s", (unsigned long)job->uid,
		(unsigned long)job->gid, job->partition ? ", partition " : "",
		job->partition ? job->partition : "");

	/* Recovery: whatever an earlier job left behind goes first. */
	rc = node_leftovers(&c, NULL, 0, 0, err);
	if (rc < 0)
		goto out;
	if (rc > 0) {
		lwk_log(&c, "node not clean before boot: cleaning what earlier jobs left");
		rc = clean_node(&c, err);
		if (rc) {
			mck_error_prefix(err, "boot refused, node not clean: ");
			goto out;
		}
	}

	rc = query_reserved_mem(&c, &bs.before, &bs.n_before, err);
	if (rc)
		goto out;

	t0 = mck_now_ms();
	rc = mck_lwk_plan_opts(cfg, job->options, &plan, &user_fault, err);
	if (rc && user_fault) {
		/*
		 * The user's --mckernel keys: nothing is reserved, the node is
		 * fine. The record tells the job's steps why (refused).
		 */
		rec.job = job->job;
		rec.uid = job->uid;
		rec.gid = job->gid;
		rec.os = -1;
		mck_jobrec_set(&rec.partition, job->partition);
		mck_jobrec_set(&rec.reason, err->msg);
		record_stage(&c, &rec, MCK_LWK_STATE_REFUSED, NULL);
		lwk_log(&c, "refused: %s", err->msg);
		goto out;
	}
	if (rc) {
		mck_error_prefix(err, "boot failed at plan: ");
		goto out;
	}
	cpus_s = mck_cpulist_format(plan.lwk_cpus, plan.n_lwk);
	linux_s = mck_cpulist_format(plan.linux_cpus, plan.n_linux);
	mem_s = mck_memlist_format(plan.mem, plan.n_mem);
	ikc_s = mck_ikcmap_format(plan.ikc, plan.n_lwk);
	if (!cpus_s || !linux_s || !mem_s || !ikc_s) {
		rc = mck_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	lwk_log(&c, "plan: cpus %s mem %s ikc %s ok %.2f ms", cpus_s, mem_s, ikc_s,
		mck_now_ms() - t0);

	rec.job = job->job;
	rec.uid = job->uid;
	rec.gid = job->gid;
	rec.os = -1;
	if (mck_jobrec_set(&rec.partition, job->partition) ||
	    mck_jobrec_set(&rec.cpus, cpus_s) || mck_jobrec_set(&rec.mem, mem_s) ||
	    mck_jobrec_set(&rec.ikc, ikc_s) || mck_jobrec_set(&rec.linux_cpus, linux_s)) {
		rc = mck_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	rc = record_stage(&c, &rec, "reserving", err);
	if (rc)
		goto out;

	/* reserve cpu */
	t0 = mck_now_ms();
	call_rc = c.ihk.ihk_reserve_cpu(IHK_DEV, plan.lwk_cpus, plan.n_lwk);
	log_call(&c, "ihk_reserve_cpu", cpus_s, call_rc, t0);
	if (call_rc < 0)
		STEP_FAIL("ihk_reserve_cpu");
	bs.cpus_reserved = 1;

	/* reserve mem; on -ENOMEM compact memory and try once more */
	call_rc = reserve_mem_once(&c, &plan, &bs, mem_s);
	if (call_rc == -ENOMEM) {
		release_boot_mem(&c, &bs);
		t0 = mck_now_ms();
		lwk_log(&c, "compact memory %s %.2f ms",
			compact_memory() ? "not possible" : "ok", mck_now_ms() - t0);
		call_rc = reserve_mem_once(&c, &plan, &bs, mem_s);
	}
	if (call_rc < 0)
		STEP_FAIL("ihk_reserve_mem");

	/* create */
	t0 = mck_now_ms();
	call_rc = c.ihk.ihk_create_os(IHK_DEV);
	log_call(&c, "ihk_create_os", "0", call_rc, t0);
	if (call_rc < 0)
		STEP_FAIL("ihk_create_os");
	bs.os = call_rc;
	device_path(cfg, bs.os, dev, sizeof(dev));
	rec.os = bs.os;
	if (mck_jobrec_set(&rec.device, dev)) {
		rc = mck_fail(err, -ENOMEM, "out of memory");
		goto unwind;
	}
	rc = record_stage(&c, &rec, "created", err);
	if (rc)
		goto unwind;

	/* assign cpu, in plan order (it sets McKernel's CPU numbering) */
	snprintf(args, sizeof(args), "%d, %s", bs.os, cpus_s);
	t0 = mck_now_ms();
	call_rc = c.ihk.ihk_os_assign_cpu(bs.os, plan.lwk_cpus, plan.n_lwk);
	log_call(&c, "ihk_os_assign_cpu", args, call_rc, t0);
	if (call_rc < 0)
		STEP_FAIL("ihk_os_assign_cpu");

	/* IKC map */
	map = calloc(plan.n_lwk, sizeof(*map));
	if (!map) {
		rc = mck_fail(err, -ENOMEM, "out of memory");
		goto unwind;
	}
	for (int i = 0; i < plan.n_lwk; i++) {
		map[i].src_cpu = plan.ikc[i].lwk_cpu;
		map[i].dst_cpu = plan.ikc[i].linux_cpu;
	}
	snprintf(args, sizeof(args), "%d, %s", bs.os, ikc_s);
	t0 = mck_now_ms();
	call_rc = c.ihk.ihk_os_set_ikc_map(bs.os, map, plan.n_lwk);
	log_call(&c, "ihk_os_set_ikc_map", args, call_rc, t0);
	if (call_rc < 0)
		STEP_FAIL("ihk_os_set_ikc_map");

	/* assign mem: the physical chunks IHK reserved, not the request */
	{
		char *phys = format_ihk_mem(bs.mem, bs.n_mem);

		snprintf(args, sizeof(args), "%d, %s", bs.os, phys ? phys : "?");
		free(phys);
	}
	t0 = mck_now_ms();
	call_rc = c.ihk.ihk_os_assign_mem(bs.os, bs.mem, bs.n_mem);
	log_call(&c, "ihk_os_assign_mem", args, call_rc, t0);
	if (call_rc < 0)
		STEP_FAIL("ihk_os_assign_mem");

	/* the image must exist: loading a missing path oopses a real kernel */
	t0 = mck_now_ms();
	call_rc = 0;
	if (stat(cfg->image, &st))
		call_rc = -errno;
	else if (!S_ISREG(st.st_mode))
		call_rc = -EINVAL;
	if (call_rc < 0) {
		log_call(&c, "image check", cfg->image, call_rc, t0);
		failed_call = "image check";
		rc = mck_fail(err, call_rc,
			      "boot failed at image check: %s: %s (%d); set 'image' in %s to McKernel's mckernel.img",
			      cfg->image, call_rc == -EINVAL ? "not a regular file" : strerror(-call_rc),
			      call_rc, *cfg->path ? cfg->path : "mckernel.conf");
		goto unwind;
	}
	log_call(&c, "image check", cfg->image, 0, t0);

	snprintf(args, sizeof(args), "%d, %s", bs.os, cfg->image);
	t0 = mck_now_ms();
	call_rc = c.ihk.ihk_os_load(bs.os, cfg->image);
	log_call(&c, "ihk_os_load", args, call_rc, t0);
	if (call_rc < 0)
		STEP_FAIL("ihk_os_load");

	snprintf(args, sizeof(args), "%d, \"%s\"", bs.os, cfg->kargs);
	t0 = mck_now_ms();
	call_rc = c.ihk.ihk_os_kargs(bs.os, cfg->kargs);
	log_call(&c, "ihk_os_kargs", args, call_rc, t0);
	if (call_rc < 0)
		STEP_FAIL("ihk_os_kargs");

	rc = record_stage(&c, &rec, "booting", err);
	if (rc)
		goto unwind;
	snprintf(args, sizeof(args), "%d", bs.os);
	t0 = mck_now_ms();
	call_rc = c.ihk.ihk_os_boot(bs.os);
	log_call(&c, "ihk_os_boot", args, call_rc, t0);
	if (call_rc < 0)
		STEP_FAIL("ihk_os_boot");

	t0 = mck_now_ms();
	call_rc = wait_status(&c, bs.os, IHK_STATUS_RUNNING, cfg->boot_timeout, &last);
	if (call_rc < 0) {
		lwk_log(&c, "wait RUNNING failed: status %s %.2f ms",
			last >= 0 ? mck_ihk_status_name(last) : strerror(-last), mck_now_ms() - t0);
		failed_call = "wait RUNNING";
		if (call_rc == -ETIMEDOUT)
			rc = mck_fail(err, call_rc,
				      "boot failed at wait RUNNING: instance %d still %s after boot_timeout = %d s",
				      bs.os, mck_ihk_status_name(last), cfg->boot_timeout);
		else
			rc = mck_fail(err, call_rc,
				      "boot failed at wait RUNNING: instance %d went to %s",
				      bs.os, last >= 0 ? mck_ihk_status_name(last) : strerror(-last));
		goto unwind;
	}
	lwk_log(&c, "wait RUNNING ok %.2f ms", mck_now_ms() - t0);

	/* the job's user gets the device */
	t0 = mck_now_ms();
	bs.chowned = 1;
	if (chown(dev, job->uid, job->gid) || chmod(dev, 0600)) {
		call_rc = -errno;
		snprintf(args, sizeof(args), "%s, %lu:%lu", dev, (unsigned long)job->uid,
			 (unsigned long)job->gid);
		log_call(&c, "chown", args, call_rc, t0);
		STEP_FAIL("chown");
	}
	snprintf(args, sizeof(args), "%s, %lu:%lu, 0600", dev, (unsigned long)job->uid,
		 (unsigned long)job->gid);
	log_call(&c, "chown", args, 0, t0);

	rec.boot_ms = mck_now_ms() - tstart;
	rc = record_stage(&c, &rec, "running", err);
	if (rc)
		goto unwind;
	lwk_log(&c, "boot ok: instance %d RUNNING %.2f ms", bs.os, rec.boot_ms);
	rc = 0;
	goto out;

fail:
	rc = mck_fail(err, call_rc, "boot failed at %s: %s (%d)", failed_call,
		      strerror(-call_rc), call_rc);
unwind:
	{
		struct mck_error keep = *err;

		char left[900];
		int nleft;

		boot_unwind(&c, &bs, &plan);
		if (bs.kmsg[0] && strlen(keep.msg) + strlen(bs.kmsg) + 24 < sizeof(keep.msg))
			snprintf(keep.msg + strlen(keep.msg), sizeof(keep.msg) - strlen(keep.msg),
				 "; kernel messages in %s", bs.kmsg);
		/* Is the node clean again (this job's record aside)? */
		nleft = node_leftovers(&c, NULL, job->job, 0, NULL);
		if (nleft == 0) {
			/*
			 * Nothing stays reserved: the record keeps the reason
			 * for the job's steps (the SPANK plugin prints it)
			 * until the epilogue removes it.
			 */
			rec.os = -1;
			mck_jobrec_set(&rec.device, NULL);
			mck_jobrec_set(&rec.reason, keep.msg);
			record_stage(&c, &rec, MCK_LWK_STATE_BOOT_FAILED, NULL);
		} else {
			leftovers_line(&c, job->job, left, sizeof(left));
			mck_jobrec_set(&rec.reason, keep.msg);
			record_stage(&c, &rec, "boot-failed-unclean", NULL);
			if (strlen(keep.msg) + strlen(left) + 32 < sizeof(keep.msg))
				snprintf(keep.msg + strlen(keep.msg),
					 sizeof(keep.msg) - strlen(keep.msg),
					 "; node not clean: %s", nleft < 0 ? "cannot query IHK" : left);
		}
		*err = keep;
	}
	lwk_log(&c, "%s", err->msg);
out:
	free(map);
	free(cpus_s);
	free(mem_s);
	free(ikc_s);
	free(linux_s);
	free(bs.mem);
	free(bs.before);
	mck_jobrec_free(&rec);
	mck_plan_free(&plan);
	ctx_close(&c);
	return rc;
}

int mck_lwk_boot_failed_clean(const struct mck_config *cfg, unsigned long job)
{
	struct mck_jobrec rec;
	int yes;

	if (mck_jobrec_read(cfg->state_dir, job, &rec, NULL))
		return 0;
	yes = rec.os < 0 && rec.state && (!strcmp(rec.state, MCK_LWK_STATE_BOOT_FAILED) ||
					  !strcmp(rec.state, MCK_LWK_STATE_REFUSED));
	mck_jobrec_free(&rec);
	return yes;
}

/* -------------------------------------------------------------- teardown */

/* Save the kernel message buffer; it cannot be read after shutdown. */
static int save_kmsg(struct lwk_ctx *c, int os, unsigned long job, uid_t uid, gid_t gid,
		     char *saved, size_t saved_len)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], args[64];
	char *buf = NULL;
	int size, rc;
	double t0 = mck_now_ms();
	struct mck_error e = { 0 };

	if (saved && saved_len)
		saved[0] = '\0';
	snprintf(args, sizeof(args), "%d", os);
	size = c->ihk.ihk_os_get_kmsg_size(os);
	if (size <= 0) {
		log_call(c, "ihk_os_get_kmsg_size", args, size < 0 ? size : 0, t0);
		return -ENODATA;
	}
	buf = calloc(1, size + 1);
	if (!buf)
		return -ENOMEM;
	rc = c->ihk.ihk_os_kmsg(os, buf, size);
	log_call(c, "ihk_os_kmsg", args, rc, t0);
	if (rc < 0)
		goto out;
	snprintf(dir, sizeof(dir), "%s/kmsg", c->cfg->state_dir);
	snprintf(path, sizeof(path), "%s/%lu.kmsg", dir, job);
	if (mck_mkdir_p(dir, 0755, &e) ||
	    mck_write_file_atomic(path, buf, strnlen(buf, size), 0640, &e)) {
		lwk_log(c, "saving kmsg failed: %s", e.msg);
		goto out;
	}
	/* The job's user may read the log of its own kernel. */
	if (chown(path, 0, gid))
		lwk_log(c, "chown %s failed: %s", path, strerror(errno));
	(void)uid;
	lwk_log(c, "kmsg saved to %s", path);
	if (saved && saved_len)
		snprintf(saved, saved_len, "%s", path);
	rc = 0;
out:
	free(buf);
	return rc < 0 ? rc : 0;
}

/* Shut down and destroy one instance; 0 when it is gone. */
static int destroy_instance(struct lwk_ctx *c, int os, unsigned long job, uid_t uid,
			    gid_t gid, struct mck_error *err)
{
	char dev[PATH_MAX], args[64], holders[512];
	double t0, deadline;
	int st, rc, last;

	device_path(c->cfg, os, dev, sizeof(dev));
	snprintf(args, sizeof(args), "%d", os);
	st = c->ihk.ihk_os_get_status(os);
	if (st == -ENOENT) {
		lwk_log(c, "instance %d does not exist", os);
		return 0;
	}
	/* Take the device away from the user first. */
	if (chown(dev, 0, 0) && errno != ENOENT)
		lwk_log(c, "chown %s to root failed: %s", dev, strerror(errno));
	if (st > IHK_STATUS_INACTIVE) {
		save_kmsg(c, os, job, uid, gid, NULL, 0);
		t0 = mck_now_ms();
		rc = c->ihk.ihk_os_shutdown(os);
		log_call(c, "ihk_os_shutdown", args, rc, t0);
		t0 = mck_now_ms();
		rc = wait_status(c, os, IHK_STATUS_INACTIVE, c->cfg->shutdown_timeout, &last);
		if (rc < 0)
			lwk_log(c, "wait INACTIVE failed: status %s %.2f ms",
				last >= 0 ? mck_ihk_status_name(last) : strerror(-last),
				mck_now_ms() - t0);
		else
			lwk_log(c, "wait INACTIVE ok %.2f ms", mck_now_ms() - t0);
	}
	snprintf(args, sizeof(args), "0, %d", os);
	deadline = mck_now_ms() + c->cfg->shutdown_timeout * 1000.0;
	for (;;) {
		t0 = mck_now_ms();
		rc = c->ihk.ihk_destroy_os(IHK_DEV, os);
		log_call(c, "ihk_destroy_os", args, rc, t0);
		if (rc >= 0 || rc == -EINVAL)	/* -EINVAL: no such instance (gone) */
			break;
		if (rc != -EBUSY || mck_now_ms() > deadline) {
			if (rc == -EBUSY) {
				device_holders(dev, holders, sizeof(holders));
				return mck_fail(err, rc,
						"teardown stuck at ihk_destroy_os: %s held open by %s%s for %d s (shutdown_timeout)",
						dev, *holders ? "pid " : "",
						*holders ? holders : "an unknown process",
						c->cfg->shutdown_timeout);
			}
			return mck_fail(err, rc, "teardown failed at ihk_destroy_os(%d): %s (%d)",
					os, strerror(-rc), rc);
		}
		usleep(100 * 1000);
	}
	if (chown(dev, 0, 0) == 0)
		lwk_log(c, "device %s back to root", dev);
	return 0;
}

/* Give every reserved CPU and memory chunk back to Linux. */
static int release_pool(struct lwk_ctx *c, struct mck_error *err)
{
	int *cpus = NULL, ncpu = 0, nmem = 0, rc;
	struct ihk_mem_chunk *mem = NULL;
	char *s;
	double t0;

	rc = query_reserved_cpus(c, &cpus, &ncpu, err);
	if (rc)
		return rc;
	if (ncpu) {
		s = format_cpus(cpus, ncpu);
		t0 = mck_now_ms();
		rc = c->ihk.ihk_release_cpu(IHK_DEV, cpus, ncpu);
		log_call(c, "ihk_release_cpu", s, rc, t0);
		if (rc < 0)
			mck_fail(err, rc, "teardown failed at ihk_release_cpu(%s): %s (%d)",
				 s, strerror(-rc), rc);
		free(s);
	}
	free(cpus);
	if (rc < 0)
		return rc;
	rc = query_reserved_mem(c, &mem, &nmem, err);
	if (rc)
		return rc;
	if (nmem) {
		s = format_ihk_mem(mem, nmem);
		t0 = mck_now_ms();
		rc = c->ihk.ihk_release_mem(IHK_DEV, mem, nmem);
		log_call(c, "ihk_release_mem", s, rc, t0);
		if (rc < 0)
			mck_fail(err, rc, "teardown failed at ihk_release_mem(%s): %s (%d)",
				 s, strerror(-rc), rc);
		free(s);
	}
	free(mem);
	return rc < 0 ? rc : 0;
}

/* Which job record names instance os; 0 when none. */
static unsigned long job_of_os(struct lwk_ctx *c, int os)
{
	unsigned long *jobs = NULL, found = 0;
	int n = 0;

	if (mck_jobrec_list(c->cfg->state_dir, &jobs, &n, NULL))
		return 0;
	for (int i = 0; i < n && !found; i++) {
		struct mck_jobrec r;

		if (mck_jobrec_read(c->cfg->state_dir, jobs[i], &r, NULL) == 0) {
			if (r.os == os)
				found = jobs[i];
			mck_jobrec_free(&r);
		}
	}
	free(jobs);
	return found;
}

/*
 * Print each leftover (one a line) to out (NULL: count only), ignoring
 * skip_job's record. allow_live: a RUNNING instance that a job record
 * claims, and that record, are a job at work, not leftovers. Returns the
 * number of leftovers or a negative errno.
 */
static int node_leftovers(struct lwk_ctx *c, FILE *out, unsigned long skip_job,
			  int allow_live, struct mck_error *err)
{
	unsigned long live[IHK_MAX_NUM_OS];
	int nlive = 0;
	int *oses = NULL, nos = 0, *cpus = NULL, ncpu = 0, nmem = 0, left = 0, rc;
	struct ihk_mem_chunk *mem = NULL;
	unsigned long *jobs = NULL;
	int njobs = 0;
	DIR *d;

	rc = query_instances(c, &oses, &nos, err);
	if (rc)
		goto out;
	for (int i = 0; i < nos; i++) {
		char dev[PATH_MAX];
		struct stat st;
		int s = c->ihk.ihk_os_get_status(oses[i]);
		unsigned long job = job_of_os(c, oses[i]);

		device_path(c->cfg, oses[i], dev, sizeof(dev));
		if (allow_live && job && s == IHK_STATUS_RUNNING && nlive < IHK_MAX_NUM_OS) {
			live[nlive++] = job;
			continue;
		}
		if (out) {
			fprintf(out, "os %d: %s", oses[i],
				s >= 0 ? mck_ihk_status_name(s) : strerror(-s));
			if (stat(dev, &st) == 0) {
				char holders[512];

				fprintf(out, ", owner uid %lu", (unsigned long)st.st_uid);
				device_holders(dev, holders, sizeof(holders));
				if (*holders)
					fprintf(out, ", %s held open by pid %s", dev, holders);
			}
			if (job)
				fprintf(out, ", job %lu", job);
			fprintf(out, "\n");
		}
		left++;
	}
	rc = query_reserved_cpus(c, &cpus, &ncpu, err);
	if (rc)
		goto out;
	if (ncpu) {
		char *s = format_cpus(cpus, ncpu);

		if (out)
			fprintf(out, "reserved cpus: %s\n", s ? s : "?");
		free(s);
		left++;
	}
	rc = query_reserved_mem(c, &mem, &nmem, err);
	if (rc)
		goto out;
	if (nmem) {
		char *s = format_ihk_mem(mem, nmem);

		if (out)
			fprintf(out, "reserved memory: %s\n", s ? s : "?");
		free(s);
		left++;
	}
	rc = mck_jobrec_list(c->cfg->state_dir, &jobs, &njobs, err);
	if (rc)
		goto out;
	for (int i = 0; i < njobs; i++) {
		int is_live = 0;

		for (int k = 0; k < nlive; k++)
			is_live |= live[k] == jobs[i];
		if (jobs[i] == skip_job || is_live)
			continue;
		/* a job told why it has no instance here is at work too */
		if (allow_live && mck_lwk_boot_failed_clean(c->cfg, jobs[i]))
			continue;
		if (out)
			fprintf(out, "job record: %lu\n", jobs[i]);
		left++;
	}
	/* A device file still owned by a user. */
	d = opendir(c->cfg->device_dir);
	if (d) {
		struct dirent *e;

		while ((e = readdir(d))) {
			char path[PATH_MAX];
			struct stat st;

			if (strncmp(e->d_name, "mcos", 4))
				continue;
			snprintf(path, sizeof(path), "%s/%s", c->cfg->device_dir, e->d_name);
			if (stat(path, &st) == 0 && st.st_uid != 0) {
				int known = 0;
				long idx;

				if (mck_parse_long(e->d_name + 4, 0, IHK_MAX_NUM_OS - 1, &idx) == 0)
					for (int i = 0; i < nos; i++)
						known |= oses[i] == idx;
				/* instances were already listed with their owner */
				if (!known) {
					if (out)
						fprintf(out, "device %s: owned by uid %lu\n", path,
							(unsigned long)st.st_uid);
					left++;
				}
			}
		}
		closedir(d);
	}
	rc = left;
out:
	free(oses);
	free(cpus);
	free(mem);
	free(jobs);
	return rc;
}

/* Leftovers as one line "os 0: RUNNING; reserved cpus: 1-3" for errors. */
static void leftovers_line(struct lwk_ctx *c, unsigned long skip_job, char *buf, size_t len)
{
	char *text = NULL;
	size_t tlen = 0;
	FILE *m = open_memstream(&text, &tlen);

	buf[0] = '\0';
	if (!m)
		return;
	node_leftovers(c, m, skip_job, 0, NULL);
	fclose(m);
	if (text) {
		size_t n = strlen(text);

		while (n && text[n - 1] == '\n')
			text[--n] = '\0';
		for (char *p = text; *p; p++)
			if (*p == '\n') {
				*p = ';';
			}
		snprintf(buf, len, "%s", text);
	}
	free(text);
}

static int teardown_locked(struct lwk_ctx *c, unsigned long job, struct mck_error *err)
{
	struct mck_jobrec rec;
	int have_rec, rc, others = 0, *oses = NULL, nos = 0;
	unsigned long *jobs = NULL;
	int njobs = 0;
	double tstart = mck_now_ms();
	char left[900];

	rc = mck_jobrec_read(c->cfg->state_dir, job, &rec, err);
	if (rc && rc != -ENOENT)
		return rc;
	have_rec = rc == 0;
	mck_error_clear(err);
	rc = mck_jobrec_list(c->cfg->state_dir, &jobs, &njobs, err);
	if (rc)
		goto out;
	for (int i = 0; i < njobs; i++)
		others += jobs[i] != job;
	if (!have_rec)
		lwk_log(c, "teardown: no job record, nothing booted for this job");
	if (have_rec) {
		mck_jobrec_set(&rec.state, "tearing-down");
		mck_jobrec_write(c->cfg->state_dir, &rec, NULL);
	}
	/*
	 * McKernel jobs own whole nodes: every instance not claimed by
	 * another job's record is this job's or an orphan, and goes.
	 */
	rc = query_instances(c, &oses, &nos, err);
	if (rc)
		goto out;
	for (int i = 0; i < nos; i++) {
		unsigned long owner = job_of_os(c, oses[i]);

		if (owner && owner != job)
			continue;
		if (!owner && !have_rec && others)
			continue;
		rc = destroy_instance(c, oses[i], job, have_rec ? rec.uid : 0,
				      have_rec ? rec.gid : 0, err);
		if (rc)
			goto out;
	}
	if (!others) {
		rc = release_pool(c, err);
		if (rc)
			goto out;
	}
	/* verify */
	rc = node_leftovers(c, NULL, job, 0, err);
	if (rc < 0)
		goto out;
	if (rc > 0 && !others) {
		leftovers_line(c, job, left, sizeof(left));
		rc = mck_fail(err, -EBUSY, "teardown left the node not clean: %s", left);
		goto out;
	}
	rc = mck_jobrec_remove(c->cfg->state_dir, job, err);
	if (rc)
		goto out;
	lwk_log(c, "teardown ok%s %.2f ms", others ? " (other jobs' records remain)" : ", node clean",
		mck_now_ms() - tstart);
out:
	if (rc)
		lwk_log(c, "%s", err->msg);
	if (have_rec)
		mck_jobrec_free(&rec);
	free(oses);
	free(jobs);
	return rc;
}

int mck_lwk_teardown(const struct mck_config *cfg, unsigned long job,
		     struct mck_error *err)
{
	struct lwk_ctx c;
	int rc = ctx_open(&c, cfg, job, 1, err);

	if (rc)
		return rc;
	rc = teardown_locked(&c, job, err);
	ctx_close(&c);
	return rc;
}

/* Tear down every job record and everything IHK reports. */
static int clean_node(struct lwk_ctx *c, struct mck_error *err)
{
	unsigned long *jobs = NULL, saved = c->job;
	int njobs = 0, rc, *oses = NULL, nos = 0;
	char left[900];

	rc = mck_jobrec_list(c->cfg->state_dir, &jobs, &njobs, err);
	if (rc)
		return rc;
	for (int i = 0; i < njobs; i++) {
		c->job = jobs[i];
		rc = teardown_locked(c, jobs[i], err);
		if (rc)
			lwk_log(c, "%s", err->msg);
	}
	c->job = saved;
	free(jobs);
	rc = query_instances(c, &oses, &nos, err);
	if (rc)
		return rc;
	for (int i = 0; i < nos; i++) {
		rc = destroy_instance(c, oses[i], c->job, 0, 0, err);
		if (rc) {
			free(oses);
			return rc;
		}
	}
	free(oses);
	rc = release_pool(c, err);
	if (rc)
		return rc;
	rc = node_leftovers(c, NULL, 0, 0, err);
	if (rc < 0)
		return rc;
	if (rc > 0) {
		leftovers_line(c, 0, left, sizeof(left));
		return mck_fail(err, -EBUSY, "node not clean after clean: %s", left);
	}
	return 0;
}

int mck_lwk_clean(const struct mck_config *cfg, struct mck_error *err)
{
	struct lwk_ctx c;
	int rc = ctx_open(&c, cfg, 0, 1, err);

	if (rc)
		return rc;
	lwk_log(&c, "clean: tearing down everything on the node");
	rc = clean_node(&c, err);
	if (rc == 0)
		lwk_log(&c, "clean ok: node clean");
	ctx_close(&c);
	return rc;
}

/* ------------------------------------------------------- check, status */

static int check_node(const struct mck_config *cfg, FILE *out, int allow_live,
		      struct mck_error *err)
{
	struct lwk_ctx c;
	int rc;

	rc = ctx_open_query(&c, cfg, err);
	if (rc)
		return rc;
	rc = node_leftovers(&c, out, 0, allow_live, err);
	mck_ihk_close(&c.ihk);
	return rc < 0 ? rc : rc > 0;
}

int mck_lwk_check(const struct mck_config *cfg, FILE *out, struct mck_error *err)
{
	return check_node(cfg, out, 0, err);
}

int mck_lwk_health(const struct mck_config *cfg, FILE *out, struct mck_error *err)
{
	return check_node(cfg, out, 1, err);
}

int mck_lwk_health_locked(const struct mck_config *cfg, FILE *out, int wait_s,
			  struct mck_error *err)
{
	double deadline = mck_now_ms() + wait_s * 1000.0;
	char path[PATH_MAX];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/lifecycle.lock", cfg->state_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		return mck_fail(err, -errno, "cannot open %s: %s", path, strerror(errno));
	/* shared: lifecycle operations (exclusive) are not in the middle of a change */
	while (fd >= 0 && flock(fd, LOCK_SH | LOCK_NB)) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			rc = mck_fail(err, -errno, "cannot lock %s: %s", path, strerror(errno));
			close(fd);
			return rc;
		}
		if (mck_now_ms() > deadline) {
			close(fd);
			return MCK_LWK_HEALTH_BUSY;
		}
		usleep(50 * 1000);
	}
	rc = check_node(cfg, out, 1, err);
	if (fd >= 0)
		close(fd);
	return rc;
}

static void print_instance(struct lwk_ctx *c, int os, FILE *out)
{
	char dev[PATH_MAX];
	struct stat st;
	int s = c->ihk.ihk_os_get_status(os);
	int n = c->ihk.ihk_os_get_num_assigned_cpus(os);
	unsigned long job = job_of_os(c, os);

	device_path(c->cfg, os, dev, sizeof(dev));
	fprintf(out, "os %d: %s", os, s >= 0 ? mck_ihk_status_name(s) : strerror(-s));
	if (stat(dev, &st) == 0) {
		char holders[512];

		fprintf(out, ", owner uid %lu, device %s", (unsigned long)st.st_uid, dev);
		device_holders(dev, holders, sizeof(holders));
		fprintf(out, ", processes %s", *holders ? holders : "none");
	}
	if (n > 0) {
		int *cpus = calloc(n, sizeof(int));

		if (cpus && c->ihk.ihk_os_query_cpu(os, cpus, n) >= 0) {
			char *t = mck_cpulist_format(cpus, n);

			fprintf(out, ", cpus %s", t ? t : "?");
			free(t);
		}
		free(cpus);
	} else {
		fprintf(out, ", cpus none");
	}
	n = c->ihk.ihk_os_get_num_assigned_mem_chunks(os);
	if (n > 0) {
		struct ihk_mem_chunk *m = calloc(n, sizeof(*m));

		if (m && c->ihk.ihk_os_query_mem(os, m, n) >= 0) {
			char *t = format_ihk_mem(m, n);

			fprintf(out, ", memory %s", t ? t : "?");
			free(t);
		}
		free(m);
	} else {
		fprintf(out, ", memory none");
	}
	if (job)
		fprintf(out, ", job %lu", job);
	fprintf(out, "\n");
}

int mck_lwk_status(const struct mck_config *cfg, FILE *out, struct mck_error *err)
{
	struct lwk_ctx c;
	int *oses = NULL, nos = 0, *cpus = NULL, ncpu = 0, nmem = 0, rc;
	struct ihk_mem_chunk *mem = NULL;
	unsigned long *jobs = NULL;
	int njobs = 0;
	char *s;

	rc = ctx_open_query(&c, cfg, err);
	if (rc)
		return rc;
	rc = query_instances(&c, &oses, &nos, err);
	if (rc)
		goto out;
	if (!nos)
		fprintf(out, "instances: none\n");
	for (int i = 0; i < nos; i++)
		print_instance(&c, oses[i], out);
	rc = query_reserved_cpus(&c, &cpus, &ncpu, err);
	if (rc)
		goto out;
	s = format_cpus(cpus, ncpu);
	fprintf(out, "reserved cpus: %s\n", s ? s : "?");
	free(s);
	rc = query_reserved_mem(&c, &mem, &nmem, err);
	if (rc)
		goto out;
	s = format_ihk_mem(mem, nmem);
	fprintf(out, "reserved memory: %s\n", s ? s : "?");
	free(s);
	rc = mck_jobrec_list(cfg->state_dir, &jobs, &njobs, err);
	if (rc)
		goto out;
	for (int i = 0; i < njobs; i++) {
		struct mck_jobrec r;

		if (mck_jobrec_read(cfg->state_dir, jobs[i], &r, NULL) == 0) {
			fprintf(out, "job %lu: state %s, os %d, uid %lu, cpus %s, memory %s, boot %.0f ms%s%s\n",
				r.job, r.state ? r.state : "?", r.os, (unsigned long)r.uid,
				r.cpus ? r.cpus : "", r.mem ? r.mem : "", r.boot_ms,
				r.reason ? ", reason: " : "", r.reason ? r.reason : "");
			mck_jobrec_free(&r);
		} else {
			fprintf(out, "job %lu: unreadable record\n", jobs[i]);
		}
	}
	if (!njobs)
		fprintf(out, "jobs: none\n");
	rc = 0;
out:
	free(oses);
	free(cpus);
	free(mem);
	free(jobs);
	mck_ihk_close(&c.ihk);
	return rc;
}
