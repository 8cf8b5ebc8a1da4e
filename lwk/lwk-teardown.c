/*
 * lwk-teardown.c: removing instances the way real IHK survives it (never a
 * shutdown on its own, never a status query or destroy of an instance that
 * did not boot, kernel messages saved before the destroy, the job user's
 * holders of the device ended first), giving CPUs and memory back exactly
 * as IHK lists them, and the operations built on that: a job's teardown,
 * the recovery before a boot, the operator's clean. See lwk-internal.h.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lwk-internal.h"
#include "mck-budget.h"
#include "mck-metrics.h"
#include "mck-util.h"

#define MAX_SHOWN_HOLDERS 8

/* ihk_destroy_os, retried while the device is held, up to shutdown_timeout. */
static int destroy_retrying(struct lwk_ctx *c, int os, const struct lwk_owner *o,
			    struct mck_error *err)
{
	const struct mck_config *cfg = c->cfg;
	double deadline = mck_now_ms() + cfg->shutdown_timeout * 1000.0, t0;
	char dev[PATH_MAX], args[32], held[1024];
	struct lwk_holder h[MAX_SHOWN_HOLDERS];
	int rc, n;

	lwk_device_path(cfg, os, dev, sizeof(dev));
	snprintf(args, sizeof(args), "0, %d", os);
	for (;;) {
		t0 = mck_now_ms();
		rc = c->ihk.ihk_destroy_os(LWK_IHK_DEV, os);
		lwk_log_call(c, "ihk_destroy_os", args, rc, t0);
		if (rc >= 0 || rc == -EINVAL)	/* -EINVAL: no such instance (gone) */
			break;
		if (rc != -EBUSY)
			return mck_fail(err, rc, "teardown failed at ihk_destroy_os(%d): %s (%d)",
					os, strerror(-rc), rc);
		if (mck_now_ms() > deadline) {
			n = lwk_device_holders(dev, h, MAX_SHOWN_HOLDERS);
			lwk_holders_text(h, n < MAX_SHOWN_HOLDERS ? n : MAX_SHOWN_HOLDERS, held,
					 sizeof(held));
			return mck_fail(err, rc, "teardown stuck at ihk_destroy_os: %s held open by "
					"%s for %d s (shutdown_timeout)", dev,
					n ? held : "an unknown process", cfg->shutdown_timeout);
		}
		/* a holder of the job's user that came meanwhile goes too */
		if (o)
			lwk_device_end_holders(c, dev, o->uid, o->why);
		usleep(100 * 1000);
	}
	lwk_device_restore(c, dev);
	return 0;
}

int lwk_destroy_booted(struct lwk_ctx *c, int os, const struct lwk_owner *o,
		       struct mck_error *err)
{
	char dev[PATH_MAX], name[64];

	lwk_device_path(c->cfg, os, dev, sizeof(dev));
	/* first: whatever happens next, nobody else may open it */
	lwk_device_restore(c, dev);
	if (o->step >= 0)
		snprintf(name, sizeof(name), "%lu.step%ld", o->job, o->step);
	else
		snprintf(name, sizeof(name), "%lu", o->job);
	/* the buffer cannot be read once the instance is destroyed */
	lwk_kmsg_save(c, os, name, o->gid, o->saved, o->saved_len);
	lwk_device_end_holders(c, dev, o->uid, o->why);
	return destroy_retrying(c, os, o, err);
}

/* "1-3" for the pool, "0, 1-3" for instance 0: a release call's arguments in the log. */
static void call_args(char *buf, size_t len, int os, const char *list)
{
	if (os < 0)
		snprintf(buf, len, "%s", list ? list : "?");
	else
		snprintf(buf, len, "%d, %s", os, list ? list : "?");
}

enum holding { CPUS, MEMORY };

/*
 * Give back the CPUs (or memory) a holder has, exactly as IHK lists them:
 * os < 0, IHK's pool to Linux (ihk_release_cpu/mem); else instance os's to
 * the pool (ihk_os_release_cpu/mem). 0 or a negative errno.
 */
static int release_list(struct lwk_ctx *c, int os, enum holding what, struct mck_error *err)
{
	static const char *const calls[2][2] = {
		[CPUS] = { "ihk_release_cpu", "ihk_os_release_cpu" },
		[MEMORY] = { "ihk_release_mem", "ihk_os_release_mem" },
	};
	const char *call = calls[what][os >= 0];
	char args[4200], *s;
	void *list = NULL;
	int n = 0, rc;
	double t0;

	if (what == CPUS)
		rc = os < 0 ? lwk_reserved_cpus(c, (int **)&list, &n, err) :
			      lwk_os_cpus(c, os, (int **)&list, &n, err);
	else
		rc = os < 0 ? lwk_reserved_mem(c, (struct ihk_mem_chunk **)&list, &n, err) :
			      lwk_os_mem(c, os, (struct ihk_mem_chunk **)&list, &n, err);
	if (rc || !n)
		goto out;
	s = what == CPUS ? lwk_format_cpus(list, n) : lwk_format_mem(list, n);
	call_args(args, sizeof(args), os, s);
	free(s);
	t0 = mck_now_ms();
	if (what == CPUS)
		rc = os < 0 ? c->ihk.ihk_release_cpu(LWK_IHK_DEV, list, n) :
			      c->ihk.ihk_os_release_cpu(os, list, n);
	else
		rc = os < 0 ? c->ihk.ihk_release_mem(LWK_IHK_DEV, list, n) :
			      c->ihk.ihk_os_release_mem(os, list, n);
	lwk_log_call(c, call, args, rc, t0);
	if (rc < 0)
		mck_fail(err, rc, "teardown failed at %s(%s): %s (%d)", call, args, strerror(-rc), rc);
out:
	free(list);
	return rc < 0 ? rc : 0;
}

/* The CPUs, then the memory (see release_list). */
static int give_back(struct lwk_ctx *c, int os, struct mck_error *err)
{
	int rc = release_list(c, os, CPUS, err);

	return rc ? rc : release_list(c, os, MEMORY, err);
}

int lwk_remove_unbooted_safe(struct lwk_ctx *c, int os, const struct lwk_owner *o,
			     struct mck_error *err)
{
	char args[32];
	double t0 = mck_now_ms();
	int st, rc;

	snprintf(args, sizeof(args), "%d", os);
	st = c->ihk.ihk_os_get_status(os);
	lwk_log_call(c, "ihk_os_get_status", args, st < 0 ? st : 0, t0);
	if (st > IHK_STATUS_INACTIVE) {
		lwk_log(c, "instance %d is %s: destroyed directly", os, mck_ihk_status_name(st));
		return lwk_destroy_booted(c, os, o, err);
	}
	lwk_log(c, "instance %d did not boot; ihk_destroy_unbooted = safe: its CPUs and memory "
		"go back to the pool, then it is destroyed", os);
	rc = give_back(c, os, err);
	return rc ? rc : destroy_retrying(c, os, NULL, err);
}

int lwk_release_pool(struct lwk_ctx *c, struct mck_error *err)
{
	return give_back(c, -1, err);
}

/* The whole pool back to Linux, and no reservation kept any more. */
static int release_all(struct lwk_ctx *c, struct mck_error *err)
{
	int rc = lwk_release_pool(c, err);

	if (!rc)
		lwk_kept_forget(c);
	return rc;
}

/* ----------------------------------------------------------- the teardown */

/* Is os in IHK's instance list? 1 yes, 0 no, negative errno. */
static int instance_listed(struct lwk_ctx *c, int os, struct mck_error *err)
{
	int *oses = NULL, n = 0, found = 0;
	int rc = lwk_instances(c, &oses, &n, err);

	if (rc)
		return rc;
	for (int i = 0; i < n; i++)
		found |= oses[i] == os;
	free(oses);
	return found;
}

/* The reason of a stranded instance (one line for the record and the drain). */
static int stranded_error(const struct mck_jobrec *rec, struct mck_error *err)
{
	return mck_fail(err, -EBUSY, "instance %d of job %lu is not known to have booted (failed "
			"at %s): IHK cannot remove it without crashing the node: reboot the node "
			"(or set ihk_destroy_unbooted = safe for an IHK that can)", rec->os,
			rec->job, rec->failed_at ? rec->failed_at : "?");
}

/* Remove the instance rec names, as its state allows; 0 when it is gone. */
static int remove_instance_of(struct lwk_ctx *c, struct mck_jobrec *rec, long step,
			      const char *why, struct mck_error *err)
{
	struct lwk_owner o = { .job = rec->job, .step = step, .uid = rec->uid, .gid = rec->gid,
			       .why = why };
	unsigned long claimer;
	struct mck_jobrec other;
	int rc;

	if (rec->os < 0)
		return 0;
	if (rec->device)
		lwk_device_restore(c, rec->device);
	rc = instance_listed(c, rec->os, err);
	if (rc <= 0)
		return rc;
	claimer = lwk_job_of_os(c, rec->os, &other);
	if (claimer) {
		mck_jobrec_free(&other);
		if (claimer != rec->job) {
			lwk_log(c, "instance %d is job %lu's now: left to it", rec->os, claimer);
			return 0;
		}
	}
	if (mck_job_state_known_booted(rec->state)) {
		if (rec->state != MCK_JOB_TEARING_DOWN)
			lwk_record(c, rec, MCK_JOB_TEARING_DOWN, NULL);
		return lwk_destroy_booted(c, rec->os, &o, err);
	}
	if (c->cfg->ihk_destroy_unbooted_safe)
		return lwk_remove_unbooted_safe(c, rec->os, &o, err);
	/* never queried, never destroyed: the record keeps what is known */
	if (rec->state != MCK_JOB_STRANDED) {
		/* the boot was interrupted (its process killed) at this stage */
		if (!rec->failed_at)
			mck_jobrec_set(&rec->failed_at, rec->state == MCK_JOB_BOOTING ?
				       "ihk_os_boot (interrupted)" : "ihk_os_boot not called (interrupted)");
		stranded_error(rec, err);
		mck_jobrec_set(&rec->reason, err->msg);
		lwk_record(c, rec, MCK_JOB_STRANDED, NULL);
	}
	return stranded_error(rec, err);
}

/* How many job records besides job's; negative errno. */
static int other_records(struct lwk_ctx *c, unsigned long job, struct mck_error *err)
{
	unsigned long *jobs = NULL;
	int n = 0, others = 0;
	int rc = mck_jobrec_list(c->cfg->state_dir, &jobs, &n, err);

	if (rc)
		return rc;
	for (int i = 0; i < n; i++)
		others += jobs[i] != job;
	free(jobs);
	return others;
}

int lwk_teardown_job(struct lwk_ctx *c, unsigned long job, long step, const char *why,
		     struct mck_error *err)
{
	struct mck_jobrec rec;
	double t0 = mck_now_ms();
	char left[900];
	int have, others, rc, kept = 0;

	rc = mck_jobrec_read(c->cfg->state_dir, job, &rec, err);
	if (rc && rc != -ENOENT)
		return rc;
	have = rc == 0;
	mck_error_clear(err);
	others = other_records(c, job, err);
	if (others < 0) {
		rc = others;
		goto out;
	}
	if (!have)
		lwk_log(c, "teardown: no job record, nothing booted for this job");
	else if ((rc = remove_instance_of(c, &rec, step, why, err)))
		goto out;
	/* the pool: kept for the next job (reservation = keep) or back to Linux */
	if (!others) {
		kept = lwk_kept_keep(c, have ? &rec : NULL, err);
		if (kept < 0) {
			rc = kept;
			goto out;
		}
		if (!kept && (rc = release_all(c, err)))
			goto out;
	}
	/* with other jobs on the node, what is left may be theirs */
	if (!others) {
		rc = lwk_leftovers(c, NULL, job, 0, err);
		if (rc < 0)
			goto out;
		if (rc > 0) {
			lwk_leftovers_line(c, job, left, sizeof(left));
			rc = mck_fail(err, -EBUSY, "teardown left the node not clean: %s", left);
			goto out;
		}
	}
	rc = mck_jobrec_remove(c->cfg->state_dir, job, err);
	if (rc)
		goto out;
	lwk_log(c, "teardown ok%s%s %.2f ms", others ? " (other jobs' records remain)" : ", node clean",
		kept ? ", reservation kept" : "", mck_now_ms() - t0);
out:
	if (rc)
		lwk_log(c, "%s", err->msg);
	if (have)
		mck_jobrec_free(&rec);
	return rc;
}

int mck_lwk_teardown(const struct mck_config *cfg, unsigned long job, struct mck_error *err)
{
	struct lwk_ctx c;
	char why[200];
	double t0;
	int rc = lwk_ctx_open(&c, cfg, job, LWK_OPEN_CHANGE, err);

	if (rc)
		return rc;
	snprintf(why, sizeof(why), "job %lu ended: its McKernel instance is removed", job);
	t0 = mck_now_ms();
	rc = lwk_teardown_job(&c, job, -1, why, err);
	if (rc) {
		mck_metrics_add(cfg->state_dir, "teardown_failures_total", 1);
	} else {
		mck_metrics_add(cfg->state_dir, "teardowns_total", 1);
		snprintf(why, sizeof(why), "last_teardown_seconds{job=\"%lu\"}", job);
		mck_metrics_set(cfg->state_dir, why, (mck_now_ms() - t0) / 1000, 1);
	}
	lwk_metrics_auto(&c);
	lwk_ctx_close(&c);
	return rc;
}

/* ------------------------------------------------- recovery and clean */

/*
 * Instances no job record claims. Their boot state is unknown, so they are
 * left (the node needs a reboot) unless ihk_destroy_unbooted = safe, where
 * the status may be asked: a booted one is destroyed, another reclaimed.
 */
static int remove_unclaimed(struct lwk_ctx *c, struct mck_error *err)
{
	struct lwk_owner nobody = { .step = -1, .uid = (uid_t)-1 };
	struct mck_jobrec rec;
	int *oses = NULL, n = 0, rc;

	rc = lwk_instances(c, &oses, &n, err);
	for (int i = 0; !rc && i < n; i++) {
		if (lwk_job_of_os(c, oses[i], &rec)) {
			mck_jobrec_free(&rec);
			continue;
		}
		if (!c->cfg->ihk_destroy_unbooted_safe) {
			rc = mck_fail(err, -EBUSY, "instance %d is claimed by no job record, so whether "
				      "it booted is unknown: IHK cannot remove it without crashing the "
				      "node: reboot the node (or set ihk_destroy_unbooted = safe for "
				      "an IHK that can)", oses[i]);
			break;
		}
		rc = lwk_remove_unbooted_safe(c, oses[i], &nobody, err);
	}
	free(oses);
	return rc;
}

/* Device files of instances that are gone, still a user's: back to root. */
static void restore_stale_devices(struct lwk_ctx *c)
{
	DIR *d = opendir(c->cfg->device_dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;
		long idx;

		if (strncmp(e->d_name, "mcos", 4) ||
		    mck_parse_long(e->d_name + 4, 0, IHK_MAX_NUM_OS - 1, &idx))
			continue;
		snprintf(path, sizeof(path), "%s/%s", c->cfg->device_dir, e->d_name);
		if (lstat(path, &st) == 0 && st.st_uid != 0 &&
		    instance_listed(c, (int)idx, NULL) == 0)
			lwk_device_restore(c, path);
	}
	if (d)
		closedir(d);
}

/*
 * Verify the node is clean but for job's record; allow_live as
 * lwk_leftovers. Else "PREFIX: what is left".
 */
static int verify_clean(struct lwk_ctx *c, unsigned long job, int allow_live, const char *prefix,
			struct mck_error *err)
{
	char left[900];
	int rc = lwk_leftovers(c, NULL, job, allow_live, err);

	if (rc <= 0)
		return rc;
	lwk_leftovers_line(c, job, left, sizeof(left));
	return mck_fail(err, -EBUSY, "%s: %s", prefix, left);
}

/* Is a valid reservation kept? */
static int kept_valid(struct lwk_ctx *c)
{
	struct lwk_kept k;

	if (!lwk_kept_valid(c, &k))
		return 0;
	lwk_kept_free(&k);
	return 1;
}

/* What another job's record means for a boot on node: 0 gone, LWK_REFUSED, <0. */
static int recover_other(struct lwk_ctx *c, const char *node, unsigned long other,
			 struct mck_error *err)
{
	struct mck_jobrec rec;
	char why[600], msg[300];
	int alive, rc, told;

	rc = mck_jobrec_read(c->cfg->state_dir, other, &rec, err);
	if (rc)
		return rc;
	told = mck_job_state_told(rec.state);
	alive = lwk_slurm_job_on_node(other, node, MCK_SLURM_QUERY_S, why, sizeof(why));
	if (alive == 1 && !told)
		rc = mck_fail(err, -EBUSY, "McKernel on %s is in use by job %lu", node, other);
	else if (alive < 0 && !told)
		rc = mck_fail(err, -EBUSY, "McKernel on %s holds job %lu's instance and whether "
			      "that job still runs cannot be told (%s): refusing rather than "
			      "destroying it", node, other, why);
	mck_jobrec_free(&rec);
	if (rc)
		return LWK_REFUSED;
	if (alive != 0)
		return 0;	/* a live job told why it has nothing here: not in the way */
	lwk_log(c, "job %lu has ended (%s): removing what it left", other, why);
	snprintf(msg, sizeof(msg), "job %lu has ended: its McKernel instance is removed", other);
	return lwk_teardown_job(c, other, -1, msg, err);
}

int lwk_recover(struct lwk_ctx *c, const char *node, unsigned long job, struct mck_error *err)
{
	unsigned long *jobs = NULL;
	int n = 0, rc;

	rc = mck_jobrec_list(c->cfg->state_dir, &jobs, &n, err);
	for (int i = 0; !rc && i < n; i++) {
		if (jobs[i] == job)	/* this job's earlier attempt (a requeue) */
			rc = lwk_teardown_job(c, job, -1, NULL, err);
		else
			rc = recover_other(c, node ? node : "this node", jobs[i], err);
	}
	free(jobs);
	if (rc == LWK_REFUSED)
		return rc;
	if (!rc)
		rc = remove_unclaimed(c, err);
	/* a valid kept reservation is left to the boot (same plan: reused) */
	if (!rc && !kept_valid(c))
		rc = release_all(c, err);
	if (!rc) {
		restore_stale_devices(c);
		/* what remains of others are live jobs' records of refusals */
		rc = verify_clean(c, job, 1, "node not clean", err);
	}
	if (rc)
		mck_error_prefix(err, "boot refused: ");
	return rc;
}

int mck_lwk_clean(const struct mck_config *cfg, struct mck_error *err)
{
	struct lwk_ctx c;
	unsigned long *jobs = NULL;
	int n = 0, rc;

	rc = lwk_ctx_open(&c, cfg, 0, LWK_OPEN_CHANGE, err);
	if (rc)
		return rc;
	lwk_log(&c, "clean: tearing down everything on the node");
	rc = mck_jobrec_list(cfg->state_dir, &jobs, &n, err);
	for (int i = 0; !rc && i < n; i++) {
		char why[200];

		c.job = jobs[i];
		snprintf(why, sizeof(why), "the operator cleans the node (mckctl clean): job %lu's "
			 "McKernel instance is removed", jobs[i]);
		if (lwk_teardown_job(&c, jobs[i], -1, why, err))
			lwk_log(&c, "%s", err->msg);
	}
	c.job = 0;
	free(jobs);
	if (!rc)
		rc = remove_unclaimed(&c, err);
	if (!rc)
		rc = release_all(&c, err);
	if (!rc) {
		restore_stale_devices(&c);
		rc = verify_clean(&c, 0, 0, "node not clean after clean", err);
	}
	if (!rc)
		lwk_log(&c, "clean ok: node clean");
	lwk_ctx_close(&c);
	return rc;
}
