/* mck-jobrec.c: see mck-jobrec.h. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mck-jobrec.h"
#include "mck-util.h"

/* The one table of state names (documented in mck-jobrec.h). */
static const char *const state_names[MCK_JOB_STATE_COUNT] = {
	[MCK_JOB_NONE] = "",
	[MCK_JOB_RESERVING] = "reserving",
	[MCK_JOB_CREATED] = "created",
	[MCK_JOB_BOOTING] = "booting",
	[MCK_JOB_BOOTED] = "booted",
	[MCK_JOB_RUNNING] = "running",
	[MCK_JOB_TEARING_DOWN] = "tearing-down",
	[MCK_JOB_BOOT_FAILED] = "boot-failed",
	[MCK_JOB_BOOT_FAILED_UNCLEAN] = "boot-failed-unclean",
	[MCK_JOB_STRANDED] = "stranded",
	[MCK_JOB_REFUSED] = "refused",
};

const char *mck_job_state_name(enum mck_job_state s)
{
	return (unsigned)s < MCK_JOB_STATE_COUNT ? state_names[s] : "?";
}

enum mck_job_state mck_job_state_parse(const char *name)
{
	for (int s = MCK_JOB_NONE + 1; s < MCK_JOB_STATE_COUNT; s++)
		if (name && !strcmp(name, state_names[s]))
			return s;
	return MCK_JOB_NONE;
}

int mck_job_state_known_booted(enum mck_job_state s)
{
	return s == MCK_JOB_BOOTED || s == MCK_JOB_RUNNING || s == MCK_JOB_TEARING_DOWN;
}

int mck_job_state_unbooted(enum mck_job_state s)
{
	return s == MCK_JOB_CREATED || s == MCK_JOB_BOOTING || s == MCK_JOB_STRANDED;
}

int mck_job_state_told(enum mck_job_state s)
{
	return s == MCK_JOB_BOOT_FAILED || s == MCK_JOB_REFUSED;
}

void mck_jobrec_init(struct mck_jobrec *r, unsigned long job, uid_t uid, gid_t gid)
{
	memset(r, 0, sizeof(*r));
	r->job = job;
	r->uid = uid;
	r->gid = gid;
	r->os = -1;
	r->last_step = -1;
	r->told_step = -1;
}

int mck_jobrec_path(const char *state_dir, unsigned long job, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/jobs/%lu.job", state_dir, job);

	return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

int mck_jobrec_set(char **field, const char *value)
{
	char *v = strdup(value ? value : "");

	if (!v)
		return -ENOMEM;
	free(*field);
	*field = v;
	return 0;
}

/* The record's keys, in the order they are written. */
enum field_type { F_ULONG, F_UID, F_GID, F_OS, F_STATE, F_STR, F_STEP, F_MS };

static const struct field {
	const char *key;
	enum field_type type;
	size_t off;
} fields[] = {
	{ "job", F_ULONG, offsetof(struct mck_jobrec, job) },
	{ "uid", F_UID, offsetof(struct mck_jobrec, uid) },
	{ "gid", F_GID, offsetof(struct mck_jobrec, gid) },
	{ "os", F_OS, offsetof(struct mck_jobrec, os) },
	{ "state", F_STATE, offsetof(struct mck_jobrec, state) },
	{ "partition", F_STR, offsetof(struct mck_jobrec, partition) },
	{ "node", F_STR, offsetof(struct mck_jobrec, node) },
	{ "options", F_STR, offsetof(struct mck_jobrec, options) },
	{ "device", F_STR, offsetof(struct mck_jobrec, device) },
	{ "cpus", F_STR, offsetof(struct mck_jobrec, cpus) },
	{ "mem", F_STR, offsetof(struct mck_jobrec, mem) },
	{ "ikc", F_STR, offsetof(struct mck_jobrec, ikc) },
	{ "linux_cpus", F_STR, offsetof(struct mck_jobrec, linux_cpus) },
	{ "failed_at", F_STR, offsetof(struct mck_jobrec, failed_at) },
	{ "last_step", F_STEP, offsetof(struct mck_jobrec, last_step) },
	{ "told_step", F_STEP, offsetof(struct mck_jobrec, told_step) },
	{ "boot_ms", F_MS, offsetof(struct mck_jobrec, boot_ms) },
	{ "reason", F_STR, offsetof(struct mck_jobrec, reason) },
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
#define AT(r, f, type) ((type *)((char *)(r) + (f)->off))
#define AT_C(r, f, type) ((const type *)((const char *)(r) + (f)->off))

/* One "key=value\n" line of r into m; strings absent when NULL. */
static void write_field(FILE *m, const struct mck_jobrec *r, const struct field *f)
{
	switch (f->type) {
	case F_ULONG:
		fprintf(m, "%s=%lu\n", f->key, *AT_C(r, f, unsigned long));
		break;
	case F_UID:
		fprintf(m, "%s=%lu\n", f->key, (unsigned long)*AT_C(r, f, uid_t));
		break;
	case F_GID:
		fprintf(m, "%s=%lu\n", f->key, (unsigned long)*AT_C(r, f, gid_t));
		break;
	case F_OS:
		fprintf(m, "%s=%d\n", f->key, *AT_C(r, f, int));
		break;
	case F_STATE:
		fprintf(m, "%s=%s\n", f->key, mck_job_state_name(*AT_C(r, f, enum mck_job_state)));
		break;
	case F_STR:
		if (*AT_C(r, f, char *))
			fprintf(m, "%s=%s\n", f->key, *AT_C(r, f, char *));
		break;
	case F_STEP:
		if (*AT_C(r, f, long) >= 0)
			fprintf(m, "%s=%ld\n", f->key, *AT_C(r, f, long));
		break;
	case F_MS:
		fprintf(m, "%s=%.3f\n", f->key, *AT_C(r, f, double));
		break;
	}
}

/* Parse one value into r; 0 or -EINVAL (-ENOMEM for strings). */
static int read_field(struct mck_jobrec *r, const struct field *f, const char *v)
{
	unsigned long ul;
	long l;
	char *end;

	switch (f->type) {
	case F_ULONG:
	case F_UID:
	case F_GID:
		if (mck_parse_ulong(v, &ul) || ul > 0xffffffffUL)
			return -EINVAL;
		if (f->type == F_ULONG)
			*AT(r, f, unsigned long) = ul;
		else if (f->type == F_UID)
			*AT(r, f, uid_t) = ul;
		else
			*AT(r, f, gid_t) = ul;
		return 0;
	case F_OS:
		if (mck_parse_long(v, -1, 63, &l))
			return -EINVAL;
		*AT(r, f, int) = (int)l;
		return 0;
	case F_STATE:
		*AT(r, f, enum mck_job_state) = mck_job_state_parse(v);
		return *AT(r, f, enum mck_job_state) == MCK_JOB_NONE ? -EINVAL : 0;
	case F_STR:
		return mck_jobrec_set(AT(r, f, char *), v);
	case F_STEP:
		if (mck_parse_long(v, 0, 0xffffffffL, &l))
			return -EINVAL;
		*AT(r, f, long) = l;
		return 0;
	case F_MS:
		*AT(r, f, double) = strtod(v, &end);
		return *end ? -EINVAL : 0;
	}
	return -EINVAL;
}

int mck_jobrec_write(const char *state_dir, const struct mck_jobrec *r, struct mck_error *err)
{
	char path[PATH_MAX], dir[PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	FILE *m;
	int rc;

	for (size_t i = 0; i < NFIELDS; i++) {
		const char *s = fields[i].type == F_STR ? *AT_C(r, &fields[i], char *) : NULL;

		if (s && strchr(s, '\n'))
			return mck_fail(err, -EINVAL, "job record: %s must be one line", fields[i].key);
	}
	snprintf(dir, sizeof(dir), "%s/jobs", state_dir);
	rc = mck_mkdir_p(dir, 0755, err);
	if (rc)
		return rc;
	if (mck_jobrec_path(state_dir, r->job, path, sizeof(path)))
		return mck_fail(err, -ENAMETOOLONG, "state_dir path too long");
	m = open_memstream(&text, &len);
	if (!m)
		return mck_fail(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < NFIELDS; i++)
		write_field(m, r, &fields[i]);
	if (fclose(m) || !text) {
		free(text);
		return mck_fail(err, -ENOMEM, "out of memory");
	}
	rc = mck_write_file_atomic(path, text, len, 0644, err);
	free(text);
	return rc;
}

int mck_jobrec_read(const char *state_dir, unsigned long job, struct mck_jobrec *r,
		    struct mck_error *err)
{
	char path[PATH_MAX];
	char *data, *line, *save = NULL;
	int rc;

	mck_jobrec_init(r, 0, 0, 0);
	if (mck_jobrec_path(state_dir, job, path, sizeof(path)))
		return mck_fail(err, -ENAMETOOLONG, "state_dir path too long");
	rc = mck_read_file(path, &data, NULL, err);
	if (rc == -ENOENT)
		return mck_fail(err, -ENOENT,
				"job %lu has no McKernel instance on this node (no record %s)",
				job, path);
	if (rc)
		return rc;
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (!eq)
			continue;
		*eq = '\0';
		rc = 0;
		for (size_t i = 0; i < NFIELDS; i++)
			if (!strcmp(line, fields[i].key))
				rc = read_field(r, &fields[i], eq + 1);
		if (rc) {
			rc = mck_fail(err, rc == -ENOMEM ? rc : -EINVAL,
				      "%s: bad value for %s: '%s'", path, line, eq + 1);
			free(data);
			mck_jobrec_free(r);
			return rc;
		}
	}
	free(data);
	if (r->job != job) {
		rc = mck_fail(err, -EINVAL, "%s: record is for job %lu, not %lu", path, r->job, job);
		mck_jobrec_free(r);
		return rc;
	}
	return 0;
}

int mck_jobrec_remove(const char *state_dir, unsigned long job, struct mck_error *err)
{
	char path[PATH_MAX];

	if (mck_jobrec_path(state_dir, job, path, sizeof(path)))
		return mck_fail(err, -ENAMETOOLONG, "state_dir path too long");
	if (unlink(path) && errno != ENOENT)
		return mck_fail(err, -errno, "cannot remove %s: %s", path, strerror(errno));
	return 0;
}

void mck_jobrec_free(struct mck_jobrec *r)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (fields[i].type == F_STR) {
			free(*AT(r, &fields[i], char *));
			*AT(r, &fields[i], char *) = NULL;
		}
}

int mck_jobrec_refuse(const char *state_dir, unsigned long job, uid_t uid, gid_t gid,
		      const char *partition, const char *node, const char *reason,
		      struct mck_error *err)
{
	struct mck_jobrec r;
	int rc;

	mck_jobrec_init(&r, job, uid, gid);
	r.state = MCK_JOB_REFUSED;
	if ((partition && mck_jobrec_set(&r.partition, partition)) ||
	    (node && mck_jobrec_set(&r.node, node)) || mck_jobrec_set(&r.reason, reason))
		rc = mck_fail(err, -ENOMEM, "out of memory");
	else
		rc = mck_jobrec_write(state_dir, &r, err);
	mck_jobrec_free(&r);
	return rc;
}

int mck_jobrec_list(const char *state_dir, unsigned long **jobs, int *n, struct mck_error *err)
{
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *e;
	unsigned long *v = NULL;
	int cnt = 0;

	*jobs = NULL;
	*n = 0;
	snprintf(dir, sizeof(dir), "%s/jobs", state_dir);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : mck_fail(err, -errno, "cannot list %s: %s",
						      dir, strerror(errno));
	while ((e = readdir(d))) {
		char name[256], *dot;
		unsigned long job;

		snprintf(name, sizeof(name), "%s", e->d_name);
		dot = strrchr(name, '.');
		if (!dot || strcmp(dot, ".job"))
			continue;
		*dot = '\0';
		if (mck_parse_ulong(name, &job))
			continue;
		unsigned long *nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv) {
			closedir(d);
			free(v);
			return mck_fail(err, -ENOMEM, "out of memory");
		}
		v = nv;
		v[cnt++] = job;
	}
	closedir(d);
	*jobs = v;
	*n = cnt;
	return 0;
}
