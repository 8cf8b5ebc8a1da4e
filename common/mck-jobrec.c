/* mck-jobrec.c: see mck-jobrec.h. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mck-jobrec.h"
#include "mck-util.h"

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

#define S(x) ((x) ? (x) : "")

int mck_jobrec_write(const char *state_dir, const struct mck_jobrec *r, struct mck_error *err)
{
	char path[PATH_MAX], dir[PATH_MAX];
	char *text = NULL;
	int len, rc;

	snprintf(dir, sizeof(dir), "%s/jobs", state_dir);
	rc = mck_mkdir_p(dir, 0755, err);
	if (rc)
		return rc;
	if (mck_jobrec_path(state_dir, r->job, path, sizeof(path)))
		return mck_fail(err, -ENAMETOOLONG, "state_dir path too long");
	len = asprintf(&text,
		       "job=%lu\nuid=%lu\ngid=%lu\nos=%d\nstate=%s\npartition=%s\n"
		       "device=%s\ncpus=%s\nmem=%s\nikc=%s\nlinux_cpus=%s\nboot_ms=%.3f\n%s%s%s",
		       r->job, (unsigned long)r->uid, (unsigned long)r->gid, r->os,
		       S(r->state), S(r->partition), S(r->device), S(r->cpus),
		       S(r->mem), S(r->ikc), S(r->linux_cpus), r->boot_ms,
		       r->reason ? "reason=" : "", r->reason ? r->reason : "",
		       r->reason ? "\n" : "");
	if (len < 0)
		return mck_fail(err, -ENOMEM, "out of memory");
	if (r->reason && strchr(r->reason, '\n')) {
		free(text);
		return mck_fail(err, -EINVAL, "job record: the reason must be one line");
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

	memset(r, 0, sizeof(*r));
	r->os = -1;
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
		const char *k, *v;
		long l;
		unsigned long ul;

		if (!eq)
			continue;
		*eq = '\0';
		k = line;
		v = eq + 1;
		rc = 0;
		if (!strcmp(k, "job")) {
			if (mck_parse_ulong(v, &ul) == 0) r->job = ul; else rc = -EINVAL;
		} else if (!strcmp(k, "uid")) {
			if (mck_parse_ulong(v, &ul) == 0) r->uid = ul; else rc = -EINVAL;
		} else if (!strcmp(k, "gid")) {
			if (mck_parse_ulong(v, &ul) == 0) r->gid = ul; else rc = -EINVAL;
		} else if (!strcmp(k, "os")) {
			if (mck_parse_long(v, -1, 63, &l) == 0) r->os = (int)l; else rc = -EINVAL;
		} else if (!strcmp(k, "state")) rc = mck_jobrec_set(&r->state, v);
		else if (!strcmp(k, "partition")) rc = mck_jobrec_set(&r->partition, v);
		else if (!strcmp(k, "device")) rc = mck_jobrec_set(&r->device, v);
		else if (!strcmp(k, "cpus")) rc = mck_jobrec_set(&r->cpus, v);
		else if (!strcmp(k, "mem")) rc = mck_jobrec_set(&r->mem, v);
		else if (!strcmp(k, "ikc")) rc = mck_jobrec_set(&r->ikc, v);
		else if (!strcmp(k, "linux_cpus")) rc = mck_jobrec_set(&r->linux_cpus, v);
		else if (!strcmp(k, "boot_ms")) r->boot_ms = strtod(v, NULL);
		else if (!strcmp(k, "reason")) rc = mck_jobrec_set(&r->reason, v);
		if (rc) {
			free(data);
			mck_jobrec_free(r);
			return mck_fail(err, -EINVAL, "%s: bad value for %s: '%s'", path, k, v);
		}
	}
	free(data);
	if (r->job != job) {
		mck_jobrec_free(r);
		return mck_fail(err, -EINVAL, "%s: record is for job %lu, not %lu",
				path, r->job, job);
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
	free(r->state);
	free(r->partition);
	free(r->device);
	free(r->cpus);
	free(r->mem);
	free(r->ikc);
	free(r->linux_cpus);
	free(r->reason);
	r->reason = NULL;
	r->state = r->partition = r->device = r->cpus = r->mem = r->ikc = r->linux_cpus = NULL;
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
