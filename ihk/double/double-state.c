/*
 * double-state.c: the IHK double's node: where its state lives, its
 * hardware, its configuration and fault injection, and the state file
 * itself (STATE/ihk.state under flock(STATE/ihk.lock), replaced
 * atomically so that concurrent processes always see a whole state).
 */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <hwloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "double-internal.h"
#include "ihk-double.h"
#include "mck-config.h"
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

/* ---------------------------------------------------------------- paths */

static int copy_path(char *buf, size_t len, const char *src)
{
	if (snprintf(buf, len, "%s", src) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * The operator configuration's two settings for the double, read once per
 * process and again only when the file changes: every libihk call asks
 * for the state directory, and parsing mckernel.conf each time would
 * dominate short-lived callers such as mcexec.
 */
struct config_cache {
	int valid;
	char path[PATH_MAX];
	struct timespec mtime;
	off_t size;
	int found;		/* the file exists (else built-in defaults) */
	char state[PATH_MAX];
	char topology[PATH_MAX];
};

static int config_settings(const char **state, const char **topology)
{
	static struct config_cache cache;
	const char *path = mck_config_default_path(NULL);
	struct mck_config cfg;
	struct mck_error err;
	struct stat st;
	int exists = stat(path, &st) == 0;

	if (cache.valid && !strcmp(cache.path, path) && cache.found == exists &&
	    (!exists || (st.st_size == cache.size &&
			 st.st_mtim.tv_sec == cache.mtime.tv_sec &&
			 st.st_mtim.tv_nsec == cache.mtime.tv_nsec)))
		goto done;
	memset(&cache, 0, sizeof(cache));
	memset(&cfg, 0, sizeof(cfg));
	if (mck_config_load(NULL, NULL, &cfg, &err) == 0) {
		copy_path(cache.state, sizeof(cache.state),
			  cfg.ihk_double_state ? cfg.ihk_double_state : "");
		copy_path(cache.topology, sizeof(cache.topology),
			  cfg.ihk_double_topology ? cfg.ihk_double_topology : "");
		mck_config_free(&cfg);
		/* Cache only what was read whole; a bad file is read again. */
		copy_path(cache.path, sizeof(cache.path), path);
		cache.found = exists;
		if (exists) {
			cache.mtime = st.st_mtim;
			cache.size = st.st_size;
		}
		cache.valid = 1;
	}
done:
	*state = cache.state;
	*topology = cache.topology;
	return 0;
}

/* Environment, else the operator configuration (documented lookup). */
static int setting(const char *env, int want_state, char *buf, size_t len)
{
	const char *e = getenv(env);
	const char *state, *topology, *v;

	if (e && *e)
		return copy_path(buf, len, e);
	config_settings(&state, &topology);
	v = want_state ? state : topology;
	return *v ? copy_path(buf, len, v) : -ENOENT;
}

int ihkd_state_dir(char *buf, size_t len)
{
	int rc = setting("IHK_DOUBLE_STATE", 1, buf, len);

	if (rc == -ENOENT)
		rc = copy_path(buf, len, MCK_STATEDIR "/ihk-double");
	return rc;
}

int ihk_double_state_dir(char *buf, size_t len)
{
	return ihkd_state_dir(buf, len);
}

/* ------------------------------------------------------------- topology */

int ihkd_node_index(const struct ihkd_topo *t, int numa)
{
	for (int i = 0; i < t->nnodes; i++)
		if (t->nodes[i] == numa)
			return i;
	return -1;
}

int ihkd_cpu_present(const struct ihkd_topo *t, int cpu)
{
	for (int i = 0; i < t->ncpus; i++)
		if (t->cpus[i] == cpu)
			return 1;
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int topo_read(const char *xml, struct ihkd_topo *t)
{
	hwloc_topology_t topo;
	hwloc_obj_t obj = NULL;
	int rc = -EINVAL;

	memset(t, 0, sizeof(*t));
	mck_hwloc_skip_device_plugins();
	if (hwloc_topology_init(&topo))
		return -ENOMEM;
	if (xml && *xml) {
		if (hwloc_topology_set_xml(topo, xml))
			goto fail;
		copy_path(t->source, sizeof(t->source), xml);
	}
	if (hwloc_topology_load(topo))
		goto fail;
	while ((obj = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PU, obj)))
		if (t->ncpus < IHKD_MAX_CPUS && obj->os_index < IHKD_MAX_CPUS)
			t->cpus[t->ncpus++] = (int)obj->os_index;
	qsort(t->cpus, t->ncpus, sizeof(int), cmp_int);
	obj = NULL;
	while ((obj = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, obj))) {
		if (t->nnodes >= IHKD_MAX_NODES)
			break;
		t->nodes[t->nnodes] = (int)obj->os_index;
		t->node_mem[t->nnodes] = obj->attr ? obj->attr->numanode.local_memory : 0;
		t->nnodes++;
	}
	if (t->nnodes == 1 && t->node_mem[0] == 0) {
		/* Some machines report no per-node memory: use the total. */
		long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

		if (pages > 0 && psz > 0)
			t->node_mem[0] = (uint64_t)pages * (uint64_t)psz;
	}
	rc = t->ncpus > 0 ? 0 : -EINVAL;
fail:
	hwloc_topology_destroy(topo);
	return rc;
}

/* The node's hardware, cached for the process per source and mtime. */
static int topo_get(const char *dir, struct ihkd_topo **out)
{
	static struct ihkd_topo *cache;
	static char cached_src[PATH_MAX + 32] = "\1";
	static struct timespec cached_mtime;
	char src[PATH_MAX + 16];
	struct stat sb;
	int rc;

	if (setting("IHK_DOUBLE_TOPOLOGY", 0, src, sizeof(src))) {
		snprintf(src, sizeof(src), "%s/topology.xml", dir);
		if (access(src, R_OK))
			src[0] = '\0';
	}
	memset(&sb, 0, sizeof(sb));
	if (src[0] && stat(src, &sb))
		return -ENOENT;
	if (cache && !strcmp(cached_src, src) &&
	    sb.st_mtim.tv_sec == cached_mtime.tv_sec &&
	    sb.st_mtim.tv_nsec == cached_mtime.tv_nsec) {
		*out = cache;
		return 0;
	}
	if (!cache && !(cache = malloc(sizeof(*cache))))
		return -ENOMEM;
	rc = topo_read(src, cache);
	if (rc) {
		cached_src[0] = '\1';
		return rc;
	}
	strcpy(cached_src, src);
	cached_mtime = sb.st_mtim;
	*out = cache;
	return 0;
}

/* -------------------------------------------------------- configuration */

static const struct { const char *name; int err; } errnames[] = {
	{ "EPERM", EPERM }, { "ENOENT", ENOENT }, { "EINTR", EINTR },
	{ "EIO", EIO }, { "E2BIG", E2BIG }, { "EAGAIN", EAGAIN },
	{ "ENOMEM", ENOMEM }, { "EACCES", EACCES }, { "EFAULT", EFAULT },
	{ "EBUSY", EBUSY }, { "ENODEV", ENODEV }, { "EINVAL", EINVAL },
	{ "ENOSPC", ENOSPC }, { "ENOSYS", ENOSYS }, { "ETIMEDOUT", ETIMEDOUT },
	{ "ECANCELED", ECANCELED },
};

static int parse_errno(const char *s)
{
	long v;

	if (*s == '-')
		s++;
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (!strcasecmp(s, errnames[i].name))
			return -errnames[i].err;
	if (mck_parse_long(s, 1, 4095, &v) == 0)
		return -(int)v;
	return 0;
}

/*
 * "CALL:ERRNO[:once|:nth=N|:prob=P|:always[:LABEL]]". LABEL (letters,
 * digits, '_', '-', '.') only makes the spec distinct: once/nth counters
 * are kept per spec, so a new label arms a new "once".
 */
static int parse_fault(const char *spec, struct ihkd_fault *f)
{
	char buf[160], *call, *err, *mode, *label, *save = NULL;
	long n;

	memset(f, 0, sizeof(*f));
	if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf))
		return -1;
	strcpy(f->spec, buf);
	call = strtok_r(buf, ":", &save);
	err = strtok_r(NULL, ":", &save);
	mode = strtok_r(NULL, ":", &save);
	label = strtok_r(NULL, ":", &save);
	if (label && (strtok_r(NULL, ":", &save) ||
		      strspn(label, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			     "0123456789_-.") != strlen(label)))
		return -1;
	if (!call || !err || strncmp(call, "ihk_", 4) || strlen(call) >= sizeof(f->call))
		return -1;
	strcpy(f->call, call);
	if (!(f->err = parse_errno(err)))
		return -1;
	if (!mode || !strcmp(mode, "always")) {
		f->mode = IHKD_ALWAYS;
	} else if (!strcmp(mode, "once")) {
		f->mode = IHKD_ONCE;
	} else if (!strncmp(mode, "nth=", 4)) {
		if (mck_parse_long(mode + 4, 1, 1000000000, &n))
			return -1;
		f->mode = IHKD_NTH;
		f->nth = (unsigned)n;
	} else if (!strncmp(mode, "prob=", 5)) {
		char *end;

		f->mode = IHKD_PROB;
		errno = 0;
		f->prob = strtod(mode + 5, &end);
		if (errno || *end || end == mode + 5 || f->prob < 0 || f->prob > 1)
			return -1;
	} else {
		return -1;
	}
	return 0;
}

static void add_fault(struct ihkd_conf *conf, const char *spec)
{
	if (conf->nfaults < IHKD_MAX_FAULTS &&
	    parse_fault(spec, &conf->faults[conf->nfaults]) == 0)
		conf->nfaults++;
	else
		fprintf(stderr, "ihk-double: ignoring fault '%s' (want CALL:ERRNO[:once|:nth=N|:prob=P|:always[:LABEL]])\n", spec);
}

static void apply_conf(struct ihkd_conf *conf, const char *key, char *value)
{
	long l;
	double d;
	char *end;

	if (!strcmp(key, "fault")) {
		/* several faults may be given, separated by ';' or ',' */
		char *save = NULL;

		for (char *tok = strtok_r(value, ";,", &save); tok; tok = strtok_r(NULL, ";,", &save))
			if (*mck_trim(tok))
				add_fault(conf, mck_trim(tok));
		return;
	}
	if (!strcmp(key, "panic_after_s") || !strcmp(key, "hang_after_s") ||
	    !strcmp(key, "mem_cap")) {
		errno = 0;
		d = strtod(value, &end);
		if (errno || *end || end == value || d < 0)
			goto bad;
		if (!strcmp(key, "panic_after_s"))
			conf->panic_after_s = d;
		else if (!strcmp(key, "hang_after_s"))
			conf->hang_after_s = d;
		else if (d > 0 && d <= 1)
			conf->mem_cap = d;
		else
			goto bad;
		return;
	}
	if (mck_parse_long(value, 0, 1L << 40, &l))
		goto bad;
	if (!strcmp(key, "boot_latency_ms"))
		conf->boot_latency_ms = l;
	else if (!strcmp(key, "shutdown_latency_ms"))
		conf->shutdown_latency_ms = l;
	else if (!strcmp(key, "boot_poll_count") && l > 0)
		conf->boot_poll_count = l;
	else if (!strcmp(key, "boot_poll_interval_ms"))
		conf->boot_poll_interval_ms = l;
	else if (!strcmp(key, "destroy_retries"))
		conf->destroy_retries = l;
	else if (!strcmp(key, "destroy_retry_interval_ms"))
		conf->destroy_retry_interval_ms = l;
	else if (!strcmp(key, "boot_hang"))
		conf->boot_hang = l != 0;
	else if (!strcmp(key, "chunk_split") && l >= 1 && l <= 64)
		conf->chunk_split = (int)l;
	else if (!strcmp(key, "image_max_bytes"))
		conf->image_max_bytes = (unsigned long)l;
	else
		goto bad;
	return;
bad:
	fprintf(stderr, "ihk-double: ignoring '%s = %s' (see ihk/double/README.md)\n", key, value);
}

static const char *const conf_keys[] = {
	"boot_latency_ms", "shutdown_latency_ms", "boot_poll_count",
	"boot_poll_interval_ms", "destroy_retries", "destroy_retry_interval_ms",
	"boot_hang", "panic_after_s", "hang_after_s", "chunk_split", "mem_cap",
	"image_max_bytes", "fault",
};

void ihkd_conf_load(const char *dir, struct ihkd_conf *conf)
{
	char path[PATH_MAX + 16], line[1024];
	FILE *f;

	memset(conf, 0, sizeof(*conf));
	conf->boot_poll_count = 50;
	conf->boot_poll_interval_ms = 200;
	conf->destroy_retries = 100;
	conf->destroy_retry_interval_ms = 10;
	conf->chunk_split = 2;
	conf->mem_cap = 0.98;
	conf->image_max_bytes = 64UL << 20;

	snprintf(path, sizeof(path), "%s/double.conf", dir);
	if ((f = fopen(path, "re"))) {
		while (fgets(line, sizeof(line), f)) {
			char *s = mck_trim(line), *eq;

			if (!*s || *s == '#')
				continue;
			if (!(eq = strchr(s, '='))) {
				fprintf(stderr, "ihk-double: %s: ignoring '%s' (want key = value)\n", path, s);
				continue;
			}
			*eq = '\0';
			apply_conf(conf, mck_trim(s), mck_trim(eq + 1));
		}
		fclose(f);
	}
	/* IHK_DOUBLE_<KEY> overrides the file (IHK_DOUBLE_FAULT replaces its faults). */
	for (size_t i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++) {
		char env[64], val[1024];
		const char *e;

		snprintf(env, sizeof(env), "IHK_DOUBLE_%s", conf_keys[i]);
		for (char *p = env; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		if (!(e = getenv(env)))
			continue;
		snprintf(val, sizeof(val), "%s", e);
		if (!strcmp(conf_keys[i], "fault"))
			conf->nfaults = 0;
		apply_conf(conf, conf_keys[i], mck_trim(val));
	}
}

/* ----------------------------------------------------------- state file */

static void state_init(struct ihkd_state *st)
{
	memset(st, 0, sizeof(*st));
	st->next_gen = 1;
	for (int i = 0; i < IHKD_MAX_CPUS; i++)
		st->cpu_owner[i] = IHKD_LINUX;
}

static int parse_state(char *text, struct ihkd_state *st)
{
	char *save = NULL;

	state_init(st);
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int a, b, off = 0;
		unsigned long sz;
		unsigned u1, u2;

		if (sscanf(line, "next_gen %u", &u1) == 1) {
			st->next_gen = u1;
		} else if (sscanf(line, "cpu %d %d", &a, &b) == 2) {
			if (a >= 0 && a < IHKD_MAX_CPUS)
				st->cpu_owner[a] = b;
		} else if (sscanf(line, "chunk %lu %d %d", &sz, &a, &b) == 3) {
			if (st->nchunks < (int)(sizeof(st->chunks) / sizeof(st->chunks[0])))
				st->chunks[st->nchunks++] = (struct ihkd_chunk){ sz, a, b };
		} else if (!strncmp(line, "os ", 3)) {
			struct ihkd_os o;
			long long bm, rm, pm, hm, cm;
			int ph, ld;

			memset(&o, 0, sizeof(o));
			if (sscanf(line, "os %d %u %d %d %lld %lld %lld %lld %lld", &a, &o.gen,
				   &ph, &ld, &bm, &rm, &pm, &hm, &cm) != 9 ||
			    a < 0 || a >= IHK_MAX_NUM_OS)
				return -EIO;
			o.exists = 1;
			o.phase = (enum ihkd_phase)ph;
			o.loaded = ld;
			o.boot_ms = bm;
			o.running_ms = rm;
			o.panic_ms = pm;
			o.hang_ms = hm;
			o.kmsg_clear_ms = cm;
			st->os[a] = o;
		} else if (sscanf(line, "os_cpus %d%n", &a, &off) == 1 && a >= 0 && a < IHK_MAX_NUM_OS) {
			char *p = line + off;
			struct ihkd_os *o = &st->os[a];

			while (o->ncpus < IHK_MAX_NUM_CPUS && sscanf(p, "%d%n", &b, &off) == 1) {
				o->cpus[o->ncpus++] = b;
				p += off;
			}
		} else if (sscanf(line, "os_ikc %d%n", &a, &off) == 1 && a >= 0 && a < IHK_MAX_NUM_OS) {
			char *p = line + off;
			struct ihkd_os *o = &st->os[a];
			int s, d;

			while (o->nikc < IHK_MAX_NUM_CPUS && sscanf(p, " %d:%d%n", &s, &d, &off) == 2) {
				o->ikc[o->nikc++] = (struct ihk_ikc_cpu_map){ s, d };
				p += off;
			}
		} else if (sscanf(line, "os_image %d %n", &a, &off) == 1 && a >= 0 && a < IHK_MAX_NUM_OS) {
			snprintf(st->os[a].image, sizeof(st->os[a].image), "%s", line + off);
		} else if (sscanf(line, "os_kargs %d %n", &a, &off) == 1 && a >= 0 && a < IHK_MAX_NUM_OS) {
			snprintf(st->os[a].kargs, sizeof(st->os[a].kargs), "%s", line + off);
		} else if (sscanf(line, "fault %u %u %n", &u1, &u2, &off) == 2) {
			if (st->nfaults < IHKD_MAX_FAULTS) {
				struct ihkd_fault_count *fc = &st->faults[st->nfaults++];

				fc->seen = u1;
				fc->fired = u2;
				snprintf(fc->spec, sizeof(fc->spec), "%s", line + off);
			}
		}
	}
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
		char *np = realloc(b->p, b->cap * 2 + n);
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

static int format_state(const struct ihkd_state *st, struct sbuf *b)
{
	b->cap = 65536;
	b->len = 0;
	b->oom = 0;
	if (!(b->p = malloc(b->cap)))
		return -ENOMEM;
	b->p[0] = '\0';
	sb_printf(b, "ihk-double-state 1\nnext_gen %u\n", st->next_gen);
	for (int i = 0; i < IHKD_MAX_CPUS; i++)
		if (st->cpu_owner[i] != IHKD_LINUX)
			sb_printf(b, "cpu %d %d\n", i, st->cpu_owner[i]);
	for (int i = 0; i < st->nchunks; i++)
		sb_printf(b, "chunk %lu %d %d\n", st->chunks[i].size,
			  st->chunks[i].numa, st->chunks[i].owner);
	for (int i = 0; i < IHK_MAX_NUM_OS; i++) {
		const struct ihkd_os *o = &st->os[i];

		if (!o->exists)
			continue;
		sb_printf(b, "os %d %u %d %d %lld %lld %lld %lld %lld\n", i, o->gen,
			  (int)o->phase, o->loaded, (long long)o->boot_ms,
			  (long long)o->running_ms, (long long)o->panic_ms,
			  (long long)o->hang_ms, (long long)o->kmsg_clear_ms);
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

/* A missing or empty directory is a node fresh from boot. */
static int init_node(const char *dir)
{
	char path[PATH_MAX + 16];
	struct mck_error err;
	int fd;

	if (mck_mkdir_p(dir, 0755, &err))
		return err.code;
	snprintf(path, sizeof(path), "%s/dev", dir);
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/dev/mcd0", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		fchmod(fd, 0600);
		close(fd);
	} else if (errno != EEXIST) {
		return -errno;
	}
	/*
	 * Where the mcexec double records its runs and partitions: every
	 * user's mcexec writes there, like /tmp (root creates it here, when
	 * the node is first touched by a root caller).
	 */
	if (geteuid() == 0) {
		snprintf(path, sizeof(path), "%s/mcexec", dir);
		if (mkdir(path, 01777) && errno != EEXIST)
			return -errno;
		chmod(path, 01777);
	}
	return 0;
}

int ihkd_begin(struct ihkd_ctx *c, const char *call, int writer)
{
	char path[PATH_MAX + 16];
	char *text = NULL;
	struct mck_error err;
	int rc;

	memset(c, 0, sizeof(*c));
	c->call = call;
	c->lockfd = -1;
	c->writer = writer;
	if ((rc = ihkd_state_dir(c->dir, sizeof(c->dir))))
		return rc;
	if (writer && (rc = init_node(c->dir)))
		return rc;
	ihkd_conf_load(c->dir, &c->conf);
	if ((rc = topo_get(c->dir, &c->topo)))
		return rc;
	if (!(c->st = malloc(sizeof(*c->st))))
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/ihk.lock", c->dir);
	if (writer) {
		c->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	} else {
		c->lockfd = open(path, O_RDONLY | O_CLOEXEC);
		if (c->lockfd < 0 && errno == ENOENT) {
			/* Nothing ever changed on this node: fresh state. */
			state_init(c->st);
			return 0;
		}
	}
	if (c->lockfd < 0) {
		rc = -errno;
		goto fail;
	}
	if (flock(c->lockfd, writer ? LOCK_EX : LOCK_SH)) {
		rc = -errno;
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/ihk.state", c->dir);
	rc = mck_read_file(path, &text, NULL, &err);
	if (rc == -ENOENT) {
		state_init(c->st);
		return 0;
	}
	if (rc)
		goto fail;
	rc = parse_state(text, c->st);
	free(text);
	if (rc)
		goto fail;
	return 0;
fail:
	ihkd_end(c, 0, rc);
	return rc;
}

int ihkd_end(struct ihkd_ctx *c, int save, int rc)
{
	if (save && c->writer && c->st && c->lockfd >= 0) {
		char path[PATH_MAX + 16];
		struct mck_error err;
		struct sbuf b;

		snprintf(path, sizeof(path), "%s/ihk.state", c->dir);
		if (format_state(c->st, &b) ||
		    mck_write_file_atomic(path, b.p, b.len, 0644, &err)) {
			fprintf(stderr, "ihk-double: cannot save %s\n", path);
			if (rc >= 0)
				rc = -EIO;
		}
		free(b.p);
	}
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
	struct ihkd_fault_count *fc = &st->faults[st->nfaults++];

	memset(fc, 0, sizeof(*fc));
	snprintf(fc->spec, sizeof(fc->spec), "%s", spec);
	return fc;
}

static double random_unit(void)
{
	static int seeded;

	if (!seeded) {
		const char *s = getenv("IHK_DOUBLE_SEED");
		long v;

		if (s && mck_parse_long(s, 0, 0x7fffffff, &v) == 0)
			srand48(v);
		else
			srand48((long)ihkd_now_ms() ^ (long)getpid() << 16);
		seeded = 1;
	}
	return drand48();
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
			fire = random_unit() < f->prob;
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

void ihkd_event(const struct ihkd_ctx *c, int os, unsigned gen, int rc)
{
	char path[PATH_MAX + 16], line[512], osbuf[16] = "-", genbuf[16] = "-";
	const char *job = getenv("SLURM_JOB_ID");
	int64_t now = ihkd_now_ms();
	int fd, n;

	if (os >= 0)
		snprintf(osbuf, sizeof(osbuf), "%d", os);
	if (gen)
		snprintf(genbuf, sizeof(genbuf), "%u", gen);
	n = snprintf(line, sizeof(line), "t=%lld.%03lld pid=%ld job=%s call=%s os=%s gen=%s rc=%d%s\n",
		     (long long)(now / 1000), (long long)(now % 1000), (long)getpid(),
		     job && *job ? job : "-", c->call + 4, osbuf, genbuf, rc,
		     c->injected ? " injected=1" : "");
	snprintf(path, sizeof(path), "%s/events.log", c->dir);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, n) != n)
		fprintf(stderr, "ihk-double: cannot append to %s\n", path);
	close(fd);
}
