/*
 * lwk-status.c: mckctl status, what the node holds now: each instance
 * (status, owner, holders, CPUs, memory, job: queried from IHK only when
 * its boot is known to have started, else from its job record), IHK's
 * pool, Linux's offline CPUs, the job records. See mck-lwk.h.
 */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lwk-internal.h"
#include "mck-lists.h"
#include "mck-metrics.h"
#include "mck-util.h"

/* ", cpus 1-3, memory 512M@0" from IHK; 0 or a negative errno. */
static void print_queried(struct lwk_ctx *c, int os, FILE *out)
{
	struct ihk_mem_chunk *mem = NULL;
	int *cpus = NULL, n = 0;
	char *s;

	if (lwk_os_cpus(c, os, &cpus, &n, NULL) == 0) {
		s = lwk_format_cpus(cpus, n);
		fprintf(out, ", cpus %s", s ? s : "?");
		free(s);
	}
	if (lwk_os_mem(c, os, &mem, &n, NULL) == 0) {
		s = lwk_format_mem(mem, n);
		fprintf(out, ", memory %s", s ? s : "?");
		free(s);
	}
	free(cpus);
	free(mem);
}

static void print_instance(struct lwk_ctx *c, int os, FILE *out)
{
	struct lwk_holder h[8];
	char dev[PATH_MAX], held[700];
	struct mck_jobrec rec;
	unsigned long job = lwk_job_of_os(c, os, &rec);
	int probe = lwk_may_probe(c, job ? &rec : NULL), st, n;
	struct stat sb;

	if (probe) {
		st = c->ihk.ihk_os_get_status(os);
		fprintf(out, "os %d: %s", os, st >= 0 ? mck_ihk_status_name(st) : strerror(-st));
	} else {
		fprintf(out, "os %d: not queried (boot not known to have started: %s%s%s)", os,
			job ? mck_job_state_name(rec.state) : "no job record",
			job && rec.failed_at ? " at " : "", job && rec.failed_at ? rec.failed_at : "");
	}
	lwk_device_path(c->cfg, os, dev, sizeof(dev));
	if (stat(dev, &sb) == 0) {
		n = lwk_device_holders(dev, h, 8);
		lwk_holders_text(h, n < 8 ? n : 8, held, sizeof(held));
		fprintf(out, ", owner uid %lu, device %s, processes %s", (unsigned long)sb.st_uid,
			dev, n ? held : "none");
	}
	if (probe)
		print_queried(c, os, out);
	else if (job)
		fprintf(out, ", cpus %s (planned), memory %s (planned)", rec.cpus ? rec.cpus : "?",
			rec.mem ? rec.mem : "?");
	if (job) {
		fprintf(out, ", job %lu", job);
		mck_jobrec_free(&rec);
	}
	fprintf(out, "\n");
}

/* The kept reservation (reservation = keep), and whether IHK matches it. */
static void print_kept(struct lwk_ctx *c, FILE *out)
{
	struct lwk_kept k;
	char why[300];

	if (lwk_kept_read(c->cfg, &k, NULL)) {
		fprintf(out, "kept reservation: %s\n", lwk_kept_exists(c->cfg) ? "record unreadable" :
			"none");
		return;
	}
	fprintf(out, "kept reservation: cpus %s, memory %s (%s), partition %s, after job %lu, "
		"%ld s ago%s%s\n", k.cpus, k.mem, k.chunks, k.partition && *k.partition ?
		k.partition : "-", k.job, (long)time(NULL) - k.since,
		lwk_kept_matches_ihk(c, &k, why, sizeof(why)) ? "" : "; NOT VALID: ",
		*why ? why : "");
	lwk_kept_free(&k);
}

static void print_jobs(const struct mck_config *cfg, FILE *out, const unsigned long *jobs,
		       int n)
{
	for (int i = 0; i < n; i++) {
		struct mck_jobrec r;

		if (mck_jobrec_read(cfg->state_dir, jobs[i], &r, NULL)) {
			fprintf(out, "job %lu: unreadable record\n", jobs[i]);
			continue;
		}
		fprintf(out, "job %lu: state %s, os %d, uid %lu, cpus %s, memory %s, boot %.0f ms%s%s"
			"%s%s\n", r.job, mck_job_state_name(r.state), r.os, (unsigned long)r.uid,
			r.cpus ? r.cpus : "", r.mem ? r.mem : "", r.boot_ms,
			r.partition && *r.partition ? ", partition " : "",
			r.partition && *r.partition ? r.partition : "",
			r.reason ? ", reason: " : "", r.reason ? r.reason : "");
		mck_jobrec_free(&r);
	}
	if (!n)
		fprintf(out, "jobs: none\n");
}

int mck_lwk_status(const struct mck_config *cfg, FILE *out, struct mck_error *err)
{
	struct lwk_ctx c;
	struct ihk_mem_chunk *mem = NULL;
	int *oses = NULL, nos = 0, *cpus = NULL, ncpu = 0, nmem = 0, rc;
	unsigned long *jobs = NULL;
	int njobs = 0;
	char *s;

	rc = lwk_ctx_open(&c, cfg, 0, LWK_OPEN_QUERY, err);
	if (rc)
		return rc;
	rc = lwk_instances(&c, &oses, &nos, err);
	if (rc)
		goto out;
	if (!nos)
		fprintf(out, "instances: none\n");
	for (int i = 0; i < nos; i++)
		print_instance(&c, oses[i], out);
	rc = lwk_reserved_cpus(&c, &cpus, &ncpu, err);
	if (rc)
		goto out;
	s = lwk_format_cpus(cpus, ncpu);
	fprintf(out, "reserved cpus: %s\n", s ? s : "?");
	free(s);
	rc = lwk_reserved_mem(&c, &mem, &nmem, err);
	if (rc)
		goto out;
	s = lwk_format_mem(mem, nmem);
	fprintf(out, "reserved memory: %s\n", s ? s : "?");
	free(s);
	free(cpus);
	cpus = NULL;
	if (lwk_lost_cpus(&c, &cpus, &ncpu, NULL) == 0 && ncpu) {
		s = lwk_format_cpus(cpus, ncpu);
		fprintf(out, "lost cpus (offline to Linux, held by no IHK pool or instance): %s\n",
			s ? s : "?");
		free(s);
	}
	print_kept(&c, out);
	rc = mck_jobrec_list(cfg->state_dir, &jobs, &njobs, err);
	if (rc)
		goto out;
	print_jobs(cfg, out, jobs, njobs);
out:
	free(oses);
	free(cpus);
	free(mem);
	free(jobs);
	lwk_ctx_close(&c);
	return rc;
}

/* ------------------------------------------------------------------ JSON */

static void json_key(FILE *out, int *first, const char *key)
{
	fprintf(out, "%s\"%s\":", *first ? "" : ",", key);
	*first = 0;
}

static void json_str_field(FILE *out, int *first, const char *key, const char *value)
{
	json_key(out, first, key);
	mck_json_string(out, value);
}

static void json_long_field(FILE *out, int *first, const char *key, long value)
{
	json_key(out, first, key);
	fprintf(out, "%ld", value);
}

/* "cpus" or "memory" of IHK's answer as a list string, or null. */
static void json_list_field(FILE *out, int *first, const char *key, int rc, char *list)
{
	json_str_field(out, first, key, rc ? NULL : list);
	free(list);
}

static void json_instance(struct lwk_ctx *c, int os, FILE *out)
{
	struct lwk_holder h[8];
	struct ihk_mem_chunk *mem = NULL;
	struct mck_jobrec rec;
	unsigned long job = lwk_job_of_os(c, os, &rec);
	int probe = lwk_may_probe(c, job ? &rec : NULL), first = 1, *cpus = NULL, n = 0, rc;
	char dev[PATH_MAX];
	struct stat sb;

	fputc('{', out);
	json_long_field(out, &first, "os", os);
	if (probe) {
		int st = c->ihk.ihk_os_get_status(os);

		json_str_field(out, &first, "status", st >= 0 ? mck_ihk_status_name(st) : strerror(-st));
		rc = lwk_os_cpus(c, os, &cpus, &n, NULL);
		json_list_field(out, &first, "cpus", rc, rc ? NULL : n ? lwk_format_cpus(cpus, n) :
				strdup(""));
		rc = lwk_os_mem(c, os, &mem, &n, NULL);
		json_list_field(out, &first, "memory", rc, rc ? NULL : n ? lwk_format_mem(mem, n) :
				strdup(""));
	} else {
		/* never asked: its boot is not known to have started */
		json_key(out, &first, "status");
		fputs("null", out);
		json_str_field(out, &first, "not_queried", job ? mck_job_state_name(rec.state) :
			       "no job record");
		json_str_field(out, &first, "cpus", job ? rec.cpus : NULL);
		json_str_field(out, &first, "memory", job ? rec.mem : NULL);
	}
	lwk_device_path(c->cfg, os, dev, sizeof(dev));
	json_str_field(out, &first, "device", dev);
	if (stat(dev, &sb) == 0) {
		n = lwk_device_holders(dev, h, 8);
		json_long_field(out, &first, "owner_uid", (long)sb.st_uid);
		json_key(out, &first, "holders");
		fputc('[', out);
		for (int i = 0; i < n && i < 8; i++) {
			fprintf(out, "%s{\"pid\":%ld,\"uid\":%ld,\"comm\":", i ? "," : "",
				(long)h[i].pid, (long)h[i].uid);
			mck_json_string(out, h[i].comm);
			fputc('}', out);
		}
		fputc(']', out);
	}
	json_key(out, &first, "job");
	if (job)
		fprintf(out, "%lu", job);
	else
		fputs("null", out);
	fputc('}', out);
	free(cpus);
	free(mem);
	if (job)
		mck_jobrec_free(&rec);
}

static void json_kept(struct lwk_ctx *c, FILE *out)
{
	struct lwk_kept k;
	char why[300];
	int first = 1, valid;

	if (lwk_kept_read(c->cfg, &k, NULL)) {
		fputs("null", out);
		return;
	}
	valid = lwk_kept_matches_ihk(c, &k, why, sizeof(why));
	fputc('{', out);
	json_str_field(out, &first, "cpus", k.cpus);
	json_str_field(out, &first, "memory", k.mem);
	json_str_field(out, &first, "chunks", k.chunks);
	json_str_field(out, &first, "partition", k.partition);
	json_long_field(out, &first, "job", (long)k.job);
	json_long_field(out, &first, "since", k.since);
	json_key(out, &first, "valid");
	fputs(valid ? "true" : "false", out);
	if (!valid)
		json_str_field(out, &first, "why", why);
	fputc('}', out);
	lwk_kept_free(&k);
}

static void json_job(const struct mck_config *cfg, unsigned long job, FILE *out)
{
	struct mck_jobrec r;
	int first = 1;

	fputc('{', out);
	json_long_field(out, &first, "job", (long)job);
	if (mck_jobrec_read(cfg->state_dir, job, &r, NULL)) {
		json_str_field(out, &first, "error", "unreadable record");
		fputc('}', out);
		return;
	}
	json_str_field(out, &first, "state", mck_job_state_name(r.state));
	json_long_field(out, &first, "os", r.os);
	json_long_field(out, &first, "uid", (long)r.uid);
	json_long_field(out, &first, "gid", (long)r.gid);
	json_str_field(out, &first, "partition", r.partition);
	json_str_field(out, &first, "node", r.node);
	json_str_field(out, &first, "options", r.options);
	json_str_field(out, &first, "device", r.device);
	json_str_field(out, &first, "cpus", r.cpus);
	json_str_field(out, &first, "memory", r.mem);
	json_str_field(out, &first, "ikc", r.ikc);
	json_str_field(out, &first, "linux_cpus", r.linux_cpus);
	json_long_field(out, &first, "last_step", r.last_step);
	json_key(out, &first, "boot_ms");
	fprintf(out, "%.2f", r.boot_ms);
	json_str_field(out, &first, "failed_at", r.failed_at);
	json_str_field(out, &first, "reason", r.reason);
	fputc('}', out);
	mck_jobrec_free(&r);
}

/* IHK's pool, lost CPUs: "reserved":{"cpus":..,"memory":..},"lost_cpus":.. */
static int json_pool(struct lwk_ctx *c, FILE *out, struct mck_error *err)
{
	struct ihk_mem_chunk *mem = NULL;
	int *cpus = NULL, ncpu = 0, nmem = 0, rc;
	char *s;

	rc = lwk_reserved_cpus(c, &cpus, &ncpu, err);
	if (!rc)
		rc = lwk_reserved_mem(c, &mem, &nmem, err);
	if (rc)
		goto out;
	fputs(",\"reserved\":{\"cpus\":", out);
	s = ncpu ? lwk_format_cpus(cpus, ncpu) : strdup("");
	mck_json_string(out, s);
	free(s);
	fputs(",\"memory\":", out);
	s = nmem ? lwk_format_mem(mem, nmem) : strdup("");
	mck_json_string(out, s);
	free(s);
	fputs("},\"lost_cpus\":", out);
	free(cpus);
	cpus = NULL;
	if (lwk_lost_cpus(c, &cpus, &ncpu, NULL) == 0) {
		s = ncpu ? lwk_format_cpus(cpus, ncpu) : strdup("");
		mck_json_string(out, s);
		free(s);
	} else {
		fputs("null", out);
	}
out:
	free(cpus);
	free(mem);
	return rc;
}

int mck_lwk_status_json(const struct mck_config *cfg, FILE *out, struct mck_error *err)
{
	struct lwk_ctx c;
	unsigned long *jobs = NULL;
	int *oses = NULL, nos = 0, njobs = 0, rc;
	char *text = NULL;
	size_t len = 0;
	FILE *m;

	rc = lwk_ctx_open(&c, cfg, 0, LWK_OPEN_QUERY, err);
	if (rc)
		return rc;
	/* all of it first: nothing on out when a query fails half way */
	m = open_memstream(&text, &len);
	if (!m) {
		rc = mck_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	rc = lwk_instances(&c, &oses, &nos, err);
	if (!rc) {
		fputs("{\"instances\":[", m);
		for (int i = 0; i < nos; i++) {
			if (i)
				fputc(',', m);
			json_instance(&c, oses[i], m);
		}
		fputc(']', m);
		rc = json_pool(&c, m, err);
	}
	if (!rc) {
		fputs(",\"kept\":", m);
		json_kept(&c, m);
		rc = mck_jobrec_list(cfg->state_dir, &jobs, &njobs, err);
	}
	if (!rc) {
		fputs(",\"jobs\":[", m);
		for (int i = 0; i < njobs; i++) {
			if (i)
				fputc(',', m);
			json_job(cfg, jobs[i], m);
		}
		fputs("]}\n", m);
	}
	fclose(m);
	if (!rc)
		fwrite(text, 1, len, out);
out:
	free(text);
	free(oses);
	free(jobs);
	lwk_ctx_close(&c);
	return rc;
}

/* ------------------------------------------------------------- metrics */

/* The gauges only IHK knows: instances, the kept reservation. */
static char *metrics_extra(struct lwk_ctx *c)
{
	struct mck_mem_chunk *m = NULL;
	struct lwk_kept k;
	int *oses = NULL, *cpus = NULL, nos = 0, ncpu = 0, nm = 0;
	unsigned long long bytes = 0;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return NULL;
	if (lwk_instances(c, &oses, &nos, NULL) == 0)
		fprintf(out, "instances %d\n", nos);
	if (lwk_kept_valid(c, &k)) {
		if (mck_cpulist_parse(k.cpus, &cpus, &ncpu, NULL))
			ncpu = 0;
		if (mck_memlist_parse(k.chunks, &m, &nm, NULL) == 0)
			for (int i = 0; i < nm; i++)
				bytes += m[i].size;
		lwk_kept_free(&k);
	}
	fprintf(out, "kept_reservation_cpus %d\nkept_reservation_bytes %llu\n", ncpu, bytes);
	fclose(out);
	free(oses);
	free(cpus);
	free(m);
	return text;
}

int lwk_metrics_write(struct lwk_ctx *c, const char *path, struct mck_error *err)
{
	char *extra = metrics_extra(c);
	int rc = mck_metrics_write(c->cfg->state_dir, path, extra, err);

	free(extra);
	return rc;
}

void lwk_metrics_auto(struct lwk_ctx *c)
{
	const char *path = c->cfg->metrics_file;
	struct mck_error e = { 0 };
	char dir[PATH_MAX];
	char *slash;

	if (!path || !*path || strlen(path) >= sizeof(dir))
		return;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	/* the operator's node exporter directory; without it, nothing to feed */
	if (!slash || access(*dir ? dir : "/", W_OK))
		return;
	if (lwk_metrics_write(c, path, &e))
		lwk_log(c, "metrics: %s", e.msg);
}

int mck_lwk_metrics(const struct mck_config *cfg, const char *path, struct mck_error *err)
{
	struct lwk_ctx c;
	int rc;

	if (!path || !*path)
		return mck_fail(err, -EINVAL, "no metrics file: set metrics_file in mckernel.conf "
				"or give --output FILE");
	rc = lwk_ctx_open(&c, cfg, 0, LWK_OPEN_QUERY, err);
	if (rc)
		return rc;
	rc = lwk_metrics_write(&c, path, err);
	lwk_ctx_close(&c);
	return rc;
}

void mck_lwk_metrics_auto(const struct mck_config *cfg)
{
	struct mck_error err = { 0 };
	struct lwk_ctx c;

	if (lwk_ctx_open(&c, cfg, 0, LWK_OPEN_QUERY, &err))
		return;
	lwk_metrics_auto(&c);
	lwk_ctx_close(&c);
}
