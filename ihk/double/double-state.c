/*
 * double-state.c: the IHK double's node state: STATE/ihk.state under
 * flock(STATE/ihk.lock), replaced atomically so that concurrent processes
 * always see a whole state; a node fresh from boot; fault counters;
 * STATE/events.log.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "double-internal.h"
#include "mck-util.h"

int64_t ihkd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ihkd_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void ihkd_dev_path(const char *dir, int os, char *buf, size_t len)
{
	snprintf(buf, len, "%s/dev/mcos%d", dir, os);
}

void ihkd_kmsg_path(const char *dir, int os, char *buf, size_t len)
{
	snprintf(buf, len, "%s/mcos%d.kmsg", dir, os);
}

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

/* ----------------------------------------------------------- state file */

void ihkd_state_init(struct ihkd_state *st)
{
	memset(st, 0, sizeof(*st));
	st->next_gen = 1;
	for (int i = 0; i < IHKD_MAX_CPUS; i++)
		st->cpu_owner[i] = IHKD_LINUX;
}

static int parse_os_line(const char *line, struct ihkd_state *st)
{
	struct ihkd_os o;
	long long bm, rm, pm, hm, cm;
	int a, ph, ld, poisoned = 0, n;

	memset(&o, 0, sizeof(o));
	n = sscanf(line, "os %d %u %d %d %lld %lld %lld %lld %lld %d", &a, &o.gen,
		   &ph, &ld, &bm, &rm, &pm, &hm, &cm, &poisoned);
	if (n < 9 || a < 0 || a >= IHK_MAX_NUM_OS || ph < IHKD_CREATED || ph > IHKD_DOWN)
		return -EIO;
	o.exists = 1;
	o.phase = (enum ihkd_phase)ph;
	o.poisoned = poisoned;
	o.loaded = ld;
	o.boot_ms = bm;
	o.running_ms = rm;
	o.panic_ms = pm;
	o.hang_ms = hm;
	o.kmsg_clear_ms = cm;
	st->os[a] = o;
	return 0;
}

/* "os_cpus N c c c" and "os_ikc N s:d s:d" */
static void parse_os_list(char *line, struct ihkd_state *st, int ikc)
{
	int a, off = 0, b, d;
	char *p;
	struct ihkd_os *o;

	if (sscanf(line, ikc ? "os_ikc %d%n" : "os_cpus %d%n", &a, &off) != 1 ||
	    a < 0 || a >= IHK_MAX_NUM_OS)
		return;
	o = &st->os[a];
	p = line + off;
	while (!ikc && o->ncpus < IHK_MAX_NUM_CPUS && sscanf(p, "%d%n", &b, &off) == 1) {
		o->cpus[o->ncpus++] = b;
		p += off;
	}
	while (ikc && o->nikc < IHK_MAX_NUM_CPUS && sscanf(p, " %d:%d%n", &b, &d, &off) == 2) {
		o->ikc[o->nikc++] = (struct ihk_ikc_cpu_map){ b, d };
		p += off;
	}
}

static void parse_os_text(const char *line, struct ihkd_state *st, int kargs)
{
	int a, off = 0;

	if (sscanf(line, kargs ? "os_kargs %d %n" : "os_image %d %n", &a, &off) != 1 ||
	    a < 0 || a >= IHK_MAX_NUM_OS)
		return;
	if (kargs)
		snprintf(st->os[a].kargs, sizeof(st->os[a].kargs), "%s", line + off);
	else
		snprintf(st->os[a].image, sizeof(st->os[a].image), "%s", line + off);
}

static int parse_line(char *line, struct ihkd_state *st)
{
	int a, b, off = 0;
	unsigned long sz;
	unsigned u1, u2;

	if (sscanf(line, "next_gen %u", &u1) == 1) {
		st->next_gen = u1;
	} else if (!strncmp(line, "crashed ", 8)) {
		snprintf(st->crashed, sizeof(st->crashed), "%s", line + 8);
	} else if (sscanf(line, "cpu %d %d", &a, &b) == 2) {
		if (a >= 0 && a < IHKD_MAX_CPUS)
			st->cpu_owner[a] = b;
	} else if (sscanf(line, "chunk %lu %d %d", &sz, &a, &b) == 3) {
		if (st->nchunks < IHKD_NCHUNKS)
			st->chunks[st->nchunks++] = (struct ihkd_chunk){ sz, a, b };
	} else if (!strncmp(line, "os ", 3)) {
		return parse_os_line(line, st);
	} else if (!strncmp(line, "os_cpus ", 8) || !strncmp(line, "os_ikc ", 7)) {
		parse_os_list(line, st, line[3] == 'i');
	} else if (!strncmp(line, "os_image ", 9) || !strncmp(line, "os_kargs ", 9)) {
		parse_os_text(line, st, line[3] == 'k');
	} else if (sscanf(line, "fault %u %u %n", &u1, &u2, &off) == 2 &&
		   st->nfaults < IHKD_MAX_FAULTS) {
		struct ihkd_fault_count *fc = &st->faults[st->nfaults++];

		fc->seen = u1;
		fc->fired = u2;
		snprintf(fc->spec, sizeof(fc->spec), "%s", line + off);
	}
	return 0;
}

static int parse_state(char *text, struct ihkd_state *st)
{
	char *save = NULL;

	ihkd_state_init(st);
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (parse_line(line, st))
			return -EIO;
	return 0;
}

struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		char *np;

		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if (b->len + n < b->cap) {
			b->len += n;
			return;
		}
		np = realloc(b->p, b->cap * 2 + n);
		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = b->cap * 2 + n;
	}
}

/* Kernel arguments and paths are stored on one line. */
static void sb_line_text(struct sbuf *b, const char *s)
{
	for (; *s; s++)
		sb_printf(b, "%c", (*s == '\n' || *s == '\r') ? ' ' : *s);
	sb_printf(b, "\n");
}

static void format_os(const struct ihkd_os *o, int i, struct sbuf *b)
{
	sb_printf(b, "os %d %u %d %d %lld %lld %lld %lld %lld %d\n", i, o->gen,
		  (int)o->phase, o->loaded, (long long)o->boot_ms,
		  (long long)o->running_ms, (long long)o->panic_ms,
		  (long long)o->hang_ms, (long long)o->kmsg_clear_ms, o->poisoned);
	sb_printf(b, "os_cpus %d", i);
	for (int k = 0; k < o->ncpus; k++)
		sb_printf(b, " %d", o->cpus[k]);
	sb_printf(b, "\nos_ikc %d", i);
	for (int k = 0; k < o->nikc; k++)
		sb_printf(b, " %d:%d", o->ikc[k].src_cpu, o->ikc[k].dst_cpu);
	sb_printf(b, "\n");
	if (o->image[0]) {
		sb_printf(b, "os_image %d ", i);
		sb_line_text(b, o->image);
	}
	if (o->kargs[0]) {
		sb_printf(b, "os_kargs %d ", i);
		sb_line_text(b, o->kargs);
	}
}

static int format_state(const struct ihkd_state *st, struct sbuf *b)
{
	b->cap = 65536;
	b->len = 0;
	b->oom = 0;
	if (!(b->p = malloc(b->cap)))
		return -ENOMEM;
	b->p[0] = '\0';
	sb_printf(b, "ihk-double-state 2\nnext_gen %u\n", st->next_gen);
	if (st->crashed[0]) {
		sb_printf(b, "crashed ");
		sb_line_text(b, st->crashed);
	}
	for (int i = 0; i < IHKD_MAX_CPUS; i++)
		if (st->cpu_owner[i] != IHKD_LINUX)
			sb_printf(b, "cpu %d %d\n", i, st->cpu_owner[i]);
	for (int i = 0; i < st->nchunks; i++)
		sb_printf(b, "chunk %lu %d %d\n", st->chunks[i].size,
			  st->chunks[i].numa, st->chunks[i].owner);
	for (int i = 0; i < IHK_MAX_NUM_OS; i++)
		if (st->os[i].exists)
			format_os(&st->os[i], i, b);
	for (int i = 0; i < st->nfaults; i++)
		sb_printf(b, "fault %u %u %s\n", st->faults[i].seen,
			  st->faults[i].fired, st->faults[i].spec);
	if (b->oom) {
		free(b->p);
		b->p = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* ------------------------------------------------------------ the node */

static int make_dir(const char *dir, const char *rel, mode_t mode)
{
	char path[PATH_MAX + 32];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (mkdir(path, mode) && errno != EEXIST)
		return -errno;
	/* umask, or an older node's world-writable STATE/mcexec */
	if (stat(path, &sb) == 0 && (sb.st_mode & 07777) != mode)
		chmod(path, mode);
	return 0;
}

/*
 * A missing or empty directory is a node fresh from boot, with the IHK
 * modules loaded: dev/mcd0 (made once: a device removed later stays
 * removed, as when the module is unloaded), and the root-only directory
 * of the mcexec run records. Made by the first state-changing call.
 */
int ihkd_init_node(const char *dir, const struct ihkd_conf *conf)
{
	char path[PATH_MAX + 32];
	struct mck_error err;
	int rc, fresh;

	if (geteuid() != 0)
		return 0;
	if (mck_mkdir_p(dir, 0755, &err))
		return err.code;
	snprintf(path, sizeof(path), "%s/dev", dir);
	fresh = access(path, F_OK) != 0;
	if ((rc = make_dir(dir, "dev", 0755)) || (rc = make_dir(dir, "mcexec", 0755)))
		return rc;
	if (fresh && (rc = ihkd_make_device(dir, -1, conf->device_files)))
		return rc;
	return 0;
}

/* Linux's view of a node that has none yet (any call made as root). */
static void ensure_linux_view(const struct ihkd_ctx *c)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/sys/devices/system/cpu/offline", c->dir);
	if (access(path, F_OK))
		ihkd_linux_view(c->dir, c->topo, c->st);
}

static int load_state(struct ihkd_ctx *c)
{
	char path[PATH_MAX + 16];
	char *text = NULL;
	struct mck_error err;
	int rc;

	snprintf(path, sizeof(path), "%s/ihk.state", c->dir);
	rc = mck_read_file(path, &text, NULL, &err);
	if (rc == -ENOENT) {
		ihkd_state_init(c->st);
		return 0;
	}
	if (rc)
		return rc;
	rc = parse_state(text, c->st);
	free(text);
	return rc;
}

int ihkd_begin(struct ihkd_ctx *c, const char *call, int writer)
{
	char path[PATH_MAX + 16];
	int rc;

	memset(c, 0, sizeof(*c));
	c->call = call;
	c->lockfd = -1;
	c->writer = writer;
	if ((rc = ihkd_state_dir(c->dir, sizeof(c->dir))))
		return rc;
	ihkd_conf_load(c->dir, &c->conf);
	if (writer && (rc = ihkd_init_node(c->dir, &c->conf)))
		return rc;
	if ((rc = ihkd_topo_get(c->dir, &c->topo)))
		return rc;
	if (!(c->st = malloc(sizeof(*c->st))))
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/ihk.lock", c->dir);
	c->lockfd = open(path, writer ? O_RDWR | O_CREAT | O_CLOEXEC : O_RDONLY | O_CLOEXEC, 0644);
	if (c->lockfd < 0 && errno == ENOENT && !writer) {
		/* Nothing ever changed on this node: fresh state. */
		ihkd_state_init(c->st);
	} else if (c->lockfd < 0) {
		rc = -errno;
		goto fail;
	} else if (flock(c->lockfd, writer ? LOCK_EX : LOCK_SH)) {
		rc = -errno;
		goto fail;
	} else if ((rc = load_state(c))) {
		goto fail;
	}
	if (geteuid() == 0) {
		ensure_linux_view(c);
		ihkd_records_sync(c->dir, c->st);
	}
	return 0;
fail:
	ihkd_end(c, 0, rc);
	return rc;
}

static int save_state(struct ihkd_ctx *c)
{
	char path[PATH_MAX + 16];
	struct mck_error err;
	struct sbuf b;
	int rc;

	snprintf(path, sizeof(path), "%s/ihk.state", c->dir);
	rc = format_state(c->st, &b);
	if (rc == 0)
		rc = mck_write_file_atomic(path, b.p, b.len, 0644, &err);
	free(b.p);
	if (rc == 0)
		rc = ihkd_linux_view(c->dir, c->topo, c->st);
	if (rc)
		fprintf(stderr, "ihk-double: cannot save %s: %s\n", path, strerror(-rc));
	return rc;
}

int ihkd_end(struct ihkd_ctx *c, int save, int rc)
{
	if (save && c->writer && c->st && c->lockfd >= 0 && save_state(c) && rc >= 0)
		rc = -EIO;
	if (c->lockfd >= 0)
		close(c->lockfd);	/* releases the flock */
	c->lockfd = -1;
	free(c->st);
	c->st = NULL;
	return rc;
}

/* ---------------------------------------------------------------- faults */

/*
 * The counter of a configured fault. When the table is full, counters of
 * faults no longer configured are forgotten first (tests that arm a new
 * labelled "once" per job would fill it otherwise).
 */
static struct ihkd_fault_count *fault_count(struct ihkd_state *st,
					    const struct ihkd_conf *conf, const char *spec)
{
	struct ihkd_fault_count *fc;

	for (int i = 0; i < st->nfaults; i++)
		if (!strcmp(st->faults[i].spec, spec))
			return &st->faults[i];
	if (st->nfaults >= IHKD_MAX_FAULTS) {
		int k = 0;

		for (int i = 0; i < st->nfaults; i++) {
			int configured = 0;

			for (int j = 0; j < conf->nfaults && !configured; j++)
				configured = !strcmp(conf->faults[j].spec, st->faults[i].spec);
			if (configured)
				st->faults[k++] = st->faults[i];
		}
		st->nfaults = k;
	}
	if (st->nfaults >= IHKD_MAX_FAULTS)
		return NULL;
	fc = &st->faults[st->nfaults++];
	memset(fc, 0, sizeof(*fc));
	snprintf(fc->spec, sizeof(fc->spec), "%s", spec);
	return fc;
}

/*
 * Counters live in the state so that once/nth hold across processes;
 * they are counted only by calls that hold the lock for writing.
 */
int ihkd_fault(struct ihkd_ctx *c)
{
	int rc = 0;

	for (int i = 0; i < c->conf.nfaults; i++) {
		const struct ihkd_fault *f = &c->conf.faults[i];
		struct ihkd_fault_count *fc;
		int fire = 0;

		if (strcmp(f->call, c->call))
			continue;
		fc = c->writer ? fault_count(c->st, &c->conf, f->spec) : NULL;
		if (fc)
			fc->seen++;
		switch (f->mode) {
		case IHKD_ALWAYS:
			fire = 1;
			break;
		case IHKD_ONCE:
			fire = fc && fc->fired == 0;
			break;
		case IHKD_NTH:
			fire = fc && fc->seen == f->nth;
			break;
		case IHKD_PROB:
			fire = ihkd_random_unit() < f->prob;
			break;
		}
		if (fire && !rc) {
			if (fc)
				fc->fired++;
			rc = f->err;
		}
	}
	if (rc)
		c->injected = 1;
	return rc;
}

void ihkd_event(const struct ihkd_ctx *c, int os, unsigned gen, int rc, const char *rc_text)
{
	char line[512], osbuf[16] = "-", genbuf[16] = "-", rcbuf[32];
	const char *job = getenv("SLURM_JOB_ID");
	int64_t now = ihkd_now_ms();
	int n;

	if (os >= 0)
		snprintf(osbuf, sizeof(osbuf), "%d", os);
	if (gen)
		snprintf(genbuf, sizeof(genbuf), "%u", gen);
	snprintf(rcbuf, sizeof(rcbuf), "%d", rc);
	n = snprintf(line, sizeof(line), "t=%lld.%03lld pid=%ld job=%s call=%s os=%s gen=%s rc=%s%s\n",
		     (long long)(now / 1000), (long long)(now % 1000), (long)getpid(),
		     job && *job ? job : "-", c->call + 4, osbuf, genbuf,
		     rc_text ? rc_text : rcbuf, c->injected ? " injected=1" : "");
	ihkd_append(c->dir, "events.log", line, n);
}

void ihkd_append(const char *dir, const char *name, const char *line, int n)
{
	char path[PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, n) != n)
		fprintf(stderr, "ihk-double: cannot append to %s\n", path);
	close(fd);
}
