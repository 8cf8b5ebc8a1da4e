/*
 * lwk-step.c: what slurmstepd asks before a step of a --mckernel job
 * starts its tasks (mckctl step, run by the SPANK plugin as root). The
 * partition, owner and options come from the job record the prologue
 * wrote, never from the job's environment.
 *
 *   instance_policy = per-step: an instance an earlier step ran in is
 *     replaced by a fresh one (the job user's processes still holding it
 *     are ended); the prologue's instance, unused, serves the first step.
 *   then the instance must be RUNNING; when it is not, its kernel messages
 *     are saved (JOBID.stepS.kmsg) and the step fails with one line.
 *   the record notes the step, so that the next one knows the instance
 *     was used.
 * See mck-lwk.h.
 */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwk-internal.h"
#include "mck-drain.h"
#include "mck-lists.h"
#include "mck-options.h"
#include "mck-util.h"

/* A fresh instance for step: the job's is torn down and booted again. */
static int refresh_instance(struct lwk_ctx *c, struct mck_jobrec *rec, const struct mck_lwk_step_req *req,
			    const char *node, struct mck_error *err)
{
	struct mck_options opts;
	struct mck_lwk_job job = {
		.job = rec->job, .uid = rec->uid, .gid = rec->gid, .partition = rec->partition,
		.node = node,
	};
	const char *text = req->options ? req->options : rec->options;
	char why[300];
	int rc;

	if (text && *text && mck_options_parse(text, &opts, err))
		return err->code;
	job.options = text && *text ? &opts : NULL;
	lwk_log(c, "step %ld: instance %d already ran step %ld: a fresh one (instance_policy = "
		"per-step)", req->step, rec->os, rec->last_step);
	snprintf(why, sizeof(why), "job %lu step %ld replaces the McKernel instance of step %ld "
		 "(instance_policy = per-step): this process ends", rec->job, req->step,
		 rec->last_step);
	/* its kernel messages as JOB.stepN.kmsg, N the step that ran on it */
	rc = lwk_teardown_job(c, rec->job, rec->last_step, why, err);
	if (rc) {
		mck_error_prefix(err, "tearing down the previous McKernel instance for a fresh "
				 "one failed: ");
		return rc;
	}
	rc = lwk_boot_locked(c, &job, err);
	if (rc)
		mck_error_prefix(err, "booting a fresh McKernel instance failed: ");
	return rc;
}

/* The job's instance must be RUNNING; else the kmsg is saved and err says why. */
static int check_running(struct lwk_ctx *c, const struct mck_jobrec *rec, long step,
			 const char *node, struct mck_error *err)
{
	char kmsg[PATH_MAX + 64], name[64];
	int st;

	if (mck_job_state_told(rec->state))
		return mck_fail(err, -ENODEV, "job %lu: no McKernel instance on %s: %s", rec->job,
				node, rec->reason ? rec->reason : mck_job_state_name(rec->state));
	if (rec->os < 0 || !mck_job_state_known_booted(rec->state))
		return mck_fail(err, -ENODEV, "job %lu step %ld on %s: McKernel instance did not "
				"boot (job record: %s%s%s)", rec->job, step, node,
				mck_job_state_name(rec->state), rec->reason ? ": " : "",
				rec->reason ? rec->reason : "");
	st = c->ihk.ihk_os_get_status(rec->os);
	if (st == IHK_STATUS_RUNNING)
		return 0;
	if (st < 0)
		return mck_fail(err, st, "job %lu step %ld on %s: McKernel instance %d is gone (%s); "
				"the step cannot run, the epilogue cleans the node", rec->job, step,
				node, rec->os, strerror(-st));
	snprintf(name, sizeof(name), "%lu.step%ld", rec->job, step);
	lwk_kmsg_save(c, rec->os, name, rec->gid, kmsg, sizeof(kmsg));
	return mck_fail(err, -EIO, "job %lu step %ld on %s: McKernel instance %d is %s, not "
			"RUNNING; kernel messages %s%s; the step cannot run, the epilogue tears it "
			"down", rec->job, step, node, rec->os, mck_ihk_status_name(st),
			kmsg[0] ? "saved in " : "could not be saved", kmsg);
}

/*
 * The first step of the job carries this node's boot to the user (the
 * SPANK plugin's one line per job): "report=" boot time, LWK CPUs, the
 * memory asked per NUMA node, where the kernel messages are saved.
 */
static void print_report(const struct mck_config *cfg, const struct mck_jobrec *rec, FILE *out)
{
	int *cpus = NULL, n = 0;

	if (!rec->cpus || mck_cpulist_parse(rec->cpus, &cpus, &n, NULL))
		n = 0;
	free(cpus);
	fprintf(out, "report=boot_ms=%.0f;cpus=%d;mem=%s;kmsg=%s/kmsg/%lu.kmsg\n", rec->boot_ms,
		n, rec->mem ? rec->mem : "", cfg->state_dir, rec->job);
}

/* The partition's boot_report, unless the step's keys say quiet (or quiet=no). */
static int report_wanted(const struct mck_config *cfg, const struct mck_lwk_step_req *req)
{
	struct mck_options o;

	if (req->options && *req->options && mck_options_parse(req->options, &o, NULL) == 0 &&
	    (o.set & MCK_OPT_BIT(MCK_OPT_QUIET)))
		return !o.quiet;
	return cfg->boot_report;
}

int mck_lwk_step(const struct mck_config *base, const struct mck_lwk_step_req *req,
		 FILE *out, struct mck_error *err)
{
	struct mck_config cfg;
	struct mck_jobrec rec;
	struct lwk_ctx c;
	char host[256];
	const char *node;
	long told;
	int rc, have_cfg = 0;

	rc = lwk_ctx_open(&c, base, req->job, LWK_OPEN_CHANGE, err);
	if (rc)
		return rc;
	rc = mck_jobrec_read(base->state_dir, req->job, &rec, err);
	if (rc) {
		if (mck_drain_node_name(host, sizeof(host)))
			snprintf(host, sizeof(host), "this node");
		if (rc == -ENOENT)
			mck_fail(err, rc, "job %lu step %ld: no McKernel instance on %s: was the job "
				 "submitted with --mckernel, and did its prologue succeed?",
				 req->job, req->step, host);
		goto out_ctx;
	}
	node = rec.node && *rec.node ? rec.node : "this node";
	/* the job's partition as the prologue recorded it */
	rc = mck_config_load(*base->path ? base->path : NULL, rec.partition, &cfg, err);
	if (rc)
		goto out;
	have_cfg = 1;
	c.cfg = &cfg;
	told = rec.told_step;
	if (cfg.instance_policy == MCK_INSTANCE_PER_STEP && rec.state == MCK_JOB_RUNNING &&
	    rec.last_step >= 0 && rec.last_step != req->step) {
		rc = refresh_instance(&c, &rec, req, node, err);
		mck_jobrec_free(&rec);
		if (!rc)
			rc = mck_jobrec_read(base->state_dir, req->job, &rec, err);
		if (rc) {
			mck_error_prefix(err, "job %lu step %ld on %s: ", req->job, req->step, node);
			goto out_ctx;
		}
		rec.told_step = told;	/* the job was told once: a fresh instance is not news */
	}
	rc = check_running(&c, &rec, req->step, node, err);
	if (rc)
		goto out;
	rec.last_step = req->step;
	if (told < 0)
		rec.told_step = req->step;
	rc = lwk_record(&c, &rec, rec.state, err);
	if (rc)
		goto out;
	fprintf(out, "partition=%s\nos=%d\n", rec.partition ? rec.partition : "", rec.os);
	if (told < 0 && report_wanted(&cfg, req))
		print_report(base, &rec, out);
	lwk_log(&c, "step %ld: instance %d RUNNING", req->step, rec.os);
out:
	mck_jobrec_free(&rec);
out_ctx:
	if (rc)
		lwk_log(&c, "step %ld: %s", req->step, err->msg);
	c.cfg = base;
	lwk_ctx_close(&c);
	if (have_cfg)
		mck_config_free(&cfg);
	return rc;
}
