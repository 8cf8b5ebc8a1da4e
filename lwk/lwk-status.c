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

#include "lwk-internal.h"
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
