/*
 * double-conf.c: STATE/double.conf, the settings of one node of the IHK
 * double: the latency model (a preset, then one key per step), fault
 * injection, and what kind of IHK/McKernel the node has.
 *
 * Order: the preset (IHK_DOUBLE_LATENCY, else the file's "latency", else
 * observed), then the file's keys in order, then IHK_DOUBLE_<KEY> from
 * the environment (IHK_DOUBLE_FAULT replaces the file's faults). Unknown
 * keys and bad values are reported on stderr and ignored.
 */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "double-internal.h"
#include "mck-util.h"

#define MAX_LATENCY_MS 3600000L
#define MAX_LINES 256

/* ------------------------------------------------------ latency presets */

static const char *const step_keys[IHKD_LAT_NSTEPS] = {
	[IHKD_LAT_RESERVE_CPU] = "reserve_cpu_latency_ms",
	[IHKD_LAT_RESERVE_MEM] = "reserve_mem_latency_ms",
	[IHKD_LAT_RESERVE_MEM_GIB] = "reserve_mem_latency_ms_per_gib",
	[IHKD_LAT_CREATE] = "create_latency_ms",
	[IHKD_LAT_ASSIGN_CPU] = "assign_cpu_latency_ms",
	[IHKD_LAT_IKC_MAP] = "ikc_map_latency_ms",
	[IHKD_LAT_ASSIGN_MEM] = "assign_mem_latency_ms",
	[IHKD_LAT_LOAD] = "load_latency_ms",
	[IHKD_LAT_KARGS] = "kargs_latency_ms",
	[IHKD_LAT_BOOT] = "boot_latency_ms",
	[IHKD_LAT_SHUTDOWN] = "shutdown_latency_ms",
	[IHKD_LAT_RELEASE_CPU] = "release_cpu_latency_ms",
	[IHKD_LAT_RELEASE_MEM] = "release_mem_latency_ms",
	[IHKD_LAT_MCEXEC] = "mcexec_latency_ms",
};

/*
 * "observed": the real IHK 3114d9e / McKernel e597be0 node of the
 * reference (software emulation; README.md gives each figure's source).
 */
static const struct ihkd_range observed[IHKD_LAT_NSTEPS] = {
	[IHKD_LAT_RESERVE_CPU] = { 55, 85 },
	[IHKD_LAT_RESERVE_MEM] = { 800, 1000 },
	[IHKD_LAT_RESERVE_MEM_GIB] = { 700, 880 },
	[IHKD_LAT_CREATE] = { 140, 220 },
	[IHKD_LAT_ASSIGN_CPU] = { 90, 140 },
	[IHKD_LAT_IKC_MAP] = { 40, 70 },
	[IHKD_LAT_ASSIGN_MEM] = { 190, 260 },
	[IHKD_LAT_LOAD] = { 95, 120 },
	[IHKD_LAT_KARGS] = { 45, 70 },
	[IHKD_LAT_BOOT] = { 1100, 2200 },
	[IHKD_LAT_SHUTDOWN] = { 25, 40 },
	[IHKD_LAT_RELEASE_CPU] = { 30, 40 },
	[IHKD_LAT_RELEASE_MEM] = { 140, 180 },
	[IHKD_LAT_MCEXEC] = { 330, 560 },
};

static int apply_preset(struct ihkd_conf *conf, const char *name)
{
	if (!strcmp(name, "observed"))
		memcpy(conf->lat, observed, sizeof(conf->lat));
	else if (!strcmp(name, "zero"))
		memset(conf->lat, 0, sizeof(conf->lat));
	else
		return -1;
	return 0;
}

/* ------------------------------------------------------------ randomness */

/*
 * A stream of the PRNG: seeded from IHK_DOUBLE_SEED (else the clock and
 * the pid) at its first use, and again whenever IHK_DOUBLE_SEED changes.
 */
struct stream {
	unsigned short xsubi[3];
	char seed[32];		/* the IHK_DOUBLE_SEED it was seeded with */
	int seeded;
	long salt;
};

static double next(struct stream *s)
{
	const char *env = getenv("IHK_DOUBLE_SEED");
	long v;

	if (!env || mck_parse_long(env, 0, 0x7fffffff, &v))
		env = NULL;
	if (!s->seeded || strcmp(s->seed, env ? env : "")) {
		if (!env)
			v = (long)ihkd_now_ms() ^ (long)getpid() << 16;
		v ^= s->salt;
		s->xsubi[0] = 0x330e;
		s->xsubi[1] = (unsigned short)v;
		s->xsubi[2] = (unsigned short)(v >> 16);
		snprintf(s->seed, sizeof(s->seed), "%s", env ? env : "");
		s->seeded = 1;
	}
	return erand48(s->xsubi);
}

/* Faults and latencies draw from separate streams, each repeatable. */
double ihkd_random_unit(void)
{
	static struct stream faults = { .salt = 0 };

	return next(&faults);
}

long ihkd_latency(const struct ihkd_conf *conf, enum ihkd_step step)
{
	static struct stream latencies = { .salt = 0x5eed };
	const struct ihkd_range *r = &conf->lat[step];

	if (r->max <= r->min)
		return r->min;
	return r->min + (long)(next(&latencies) * (double)(r->max - r->min + 1));
}

/* ---------------------------------------------------------------- faults */

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

static int parse_mode(const char *mode, struct ihkd_fault *f)
{
	long n;
	char *end;

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

/*
 * "CALL:ERRNO[:once|:nth=N|:prob=P|:always[:LABEL]]". LABEL (letters,
 * digits, '_', '-', '.') only makes the spec distinct: once/nth counters
 * are kept per spec, so a new label arms a new "once".
 */
int ihkd_parse_fault(const char *spec, struct ihkd_fault *f)
{
	char buf[160], *call, *err, *mode, *label, *save = NULL;

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
	return parse_mode(mode, f);
}

static int add_faults(struct ihkd_conf *conf, char *value)
{
	char *save = NULL;
	int rc = 0;

	/* several faults may be given, separated by ';' or ',' */
	for (char *tok = strtok_r(value, ";,", &save); tok; tok = strtok_r(NULL, ";,", &save)) {
		tok = mck_trim(tok);
		if (!*tok)
			continue;
		if (conf->nfaults < IHKD_MAX_FAULTS &&
		    ihkd_parse_fault(tok, &conf->faults[conf->nfaults]) == 0) {
			conf->nfaults++;
			continue;
		}
		fprintf(stderr, "ihk-double: ignoring fault '%s' (want CALL:ERRNO[:once|:nth=N|"
			":prob=P|:always[:LABEL]])\n", tok);
		rc = -1;
	}
	return rc;
}

/* ------------------------------------------------------------- the keys */

enum key_type { K_RANGE, K_LONG, K_POSITIVE, K_BOOL, K_SECONDS, K_SHARE, K_ENUM, K_FAULT };

struct key {
	const char *name;
	enum key_type type;
	size_t off;		/* field in struct ihkd_conf */
	long max;		/* K_LONG, K_POSITIVE */
	const char *const *choices;	/* K_ENUM: index = value */
};

static const char *const unbooted_choices[] = { "crash", "leak", NULL };
static const char *const devkind_choices[] = { "regular", "char", NULL };
static const char *const yesno_choices[] = { "no", "yes", NULL };

#define F(field) offsetof(struct ihkd_conf, field)
static const struct key keys[] = {
	{ "boot_poll_count", K_POSITIVE, F(boot_poll_count), 100000, NULL },
	{ "boot_poll_interval_ms", K_LONG, F(boot_poll_interval_ms), MAX_LATENCY_MS, NULL },
	{ "destroy_retries", K_LONG, F(destroy_retries), 1000000, NULL },
	{ "destroy_retry_interval_ms", K_LONG, F(destroy_retry_interval_ms), MAX_LATENCY_MS, NULL },
	{ "boot_hang", K_BOOL, F(boot_hang), 0, NULL },
	{ "panic_after_s", K_SECONDS, F(panic_after_s), 0, NULL },
	{ "hang_after_s", K_SECONDS, F(hang_after_s), 0, NULL },
	{ "chunk_split", K_POSITIVE, F(chunk_split), 64, NULL },
	{ "mem_cap", K_SHARE, F(mem_cap), 0, NULL },
	{ "image_max_bytes", K_LONG, F(image_max_bytes), 1L << 40, NULL },
	{ "destroy_unbooted", K_ENUM, F(destroy_unbooted), 0, unbooted_choices },
	{ "device_files", K_ENUM, F(device_files), 0, devkind_choices },
	{ "uti", K_ENUM, F(uti), 0, yesno_choices },
	{ "fault", K_FAULT, 0, 0, NULL },
};
#undef F

static int parse_range(const char *value, struct ihkd_range *r)
{
	char buf[64], *dash;
	long lo, hi;

	if (snprintf(buf, sizeof(buf), "%s", value) >= (int)sizeof(buf))
		return -1;
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (mck_parse_long(mck_trim(buf), 0, MAX_LATENCY_MS, &lo))
		return -1;
	hi = lo;
	if (dash && (mck_parse_long(mck_trim(dash + 1), 0, MAX_LATENCY_MS, &hi) || hi < lo))
		return -1;
	r->min = lo;
	r->max = hi;
	return 0;
}

static int parse_double(const char *value, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(value, &end);
	return errno || *end || end == value || *out < 0 ? -1 : 0;
}

static int set_value(struct ihkd_conf *conf, const struct key *k, char *value)
{
	void *field = (char *)conf + k->off;
	double d;
	long l;

	switch (k->type) {
	case K_LONG:
	case K_POSITIVE:
		if (mck_parse_long(value, k->type == K_POSITIVE ? 1 : 0, k->max, &l))
			return -1;
		*(long *)field = l;
		return 0;
	case K_BOOL:
		if (mck_parse_long(value, 0, 1, &l))
			return -1;
		*(int *)field = (int)l;
		return 0;
	case K_SECONDS:
	case K_SHARE:
		if (parse_double(value, &d) || (k->type == K_SHARE && (d <= 0 || d > 1)))
			return -1;
		*(double *)field = d;
		return 0;
	case K_ENUM:
		for (int i = 0; k->choices[i]; i++)
			if (!strcmp(value, k->choices[i])) {
				*(int *)field = i;
				return 0;
			}
		return -1;
	case K_FAULT:
		return add_faults(conf, value);
	case K_RANGE:
		break;
	}
	return -1;
}

/* Apply one setting; -1 (reported) when the key or value is bad. */
static int apply(struct ihkd_conf *conf, const char *where, const char *key, char *value)
{
	for (int s = 0; s < IHKD_LAT_NSTEPS; s++)
		if (!strcmp(key, step_keys[s])) {
			if (parse_range(value, &conf->lat[s]) == 0)
				return 0;
			fprintf(stderr, "ihk-double: %s: %s = '%s': expected MS or MIN-MAX "
				"(0 to %ld), ignored\n", where, key, value, MAX_LATENCY_MS);
			return -1;
		}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(key, keys[i].name)) {
			if (set_value(conf, &keys[i], value) == 0)
				return 0;
			if (keys[i].type != K_FAULT)
				fprintf(stderr, "ihk-double: %s: bad value '%s' for %s (see ihk-double(7)), "
					"ignored\n", where, value, key);
			return -1;
		}
	fprintf(stderr, "ihk-double: %s: unknown key '%s' (see ihk-double(7)), ignored\n",
		where, key);
	return -1;
}

static void defaults(struct ihkd_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->boot_poll_count = 50;
	conf->boot_poll_interval_ms = 200;
	conf->destroy_retries = 100;
	conf->destroy_retry_interval_ms = 10;
	conf->chunk_split = 2;
	conf->mem_cap = 0.95;
	conf->image_max_bytes = 64UL << 20;
	conf->destroy_unbooted = IHKD_UNBOOTED_CRASH;
	conf->device_files = IHKD_DEV_REGULAR;
	conf->uti = 0;
}

/* The file's "key = value" lines (malloc'd text, pointers into it). */
struct lines {
	char *text;
	int n;
	int lineno[MAX_LINES];
	char *key[MAX_LINES], *value[MAX_LINES];
};

static void read_lines(const char *path, struct lines *l)
{
	struct mck_error err;
	int lineno = 0;

	memset(l, 0, sizeof(*l));
	if (mck_read_file(path, &l->text, NULL, &err))
		return;
	for (char *p = l->text, *next; p && *p; p = next) {
		char *line, *eq;

		next = strchr(p, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		line = mck_trim(p);
		if (!*line || *line == '#')
			continue;
		if (!(eq = strchr(line, '=')) || l->n >= MAX_LINES) {
			fprintf(stderr, "ihk-double: %s:%d: ignoring '%s' (want key = value)\n",
				path, lineno, line);
			continue;
		}
		*eq = '\0';
		l->lineno[l->n] = lineno;
		l->key[l->n] = mck_trim(line);
		l->value[l->n] = mck_trim(eq + 1);
		l->n++;
	}
}

static void env_name(const char *key, char *buf, size_t len)
{
	snprintf(buf, len, "IHK_DOUBLE_%s", key);
	for (char *p = buf; *p; p++)
		*p = (char)toupper((unsigned char)*p);
}

/* IHK_DOUBLE_<KEY> overrides the file (IHK_DOUBLE_FAULT replaces its faults). */
static void apply_env(struct ihkd_conf *conf, const char *key)
{
	char env[96], val[1024];
	const char *e;

	env_name(key, env, sizeof(env));
	if (!(e = getenv(env)))
		return;
	snprintf(val, sizeof(val), "%s", e);
	if (!strcmp(key, "fault"))
		conf->nfaults = 0;
	apply(conf, env, key, mck_trim(val));
}

void ihkd_conf_load(const char *dir, struct ihkd_conf *conf)
{
	char path[PATH_MAX + 16], where[PATH_MAX + 32];
	const char *preset = getenv("IHK_DOUBLE_LATENCY");
	struct lines l;

	defaults(conf);
	snprintf(path, sizeof(path), "%s/double.conf", dir);
	read_lines(path, &l);
	for (int i = 0; (!preset || !*preset) && i < l.n; i++)
		if (!strcmp(l.key[i], "latency"))
			preset = l.value[i];
	if (!preset || !*preset)
		preset = "observed";
	if (apply_preset(conf, preset)) {
		fprintf(stderr, "ihk-double: latency = '%s': expected observed or zero; "
			"using observed\n", preset);
		apply_preset(conf, "observed");
	}
	for (int i = 0; i < l.n; i++) {
		if (!strcmp(l.key[i], "latency"))
			continue;
		snprintf(where, sizeof(where), "%s:%d", path, l.lineno[i]);
		apply(conf, where, l.key[i], l.value[i]);
	}
	free(l.text);
	for (int s = 0; s < IHKD_LAT_NSTEPS; s++)
		apply_env(conf, step_keys[s]);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		apply_env(conf, keys[i].name);
}
