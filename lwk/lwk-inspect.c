/*
 * lwk-inspect.c: what the node holds, decided from what is known without
 * asking IHK about an instance whose boot is not known to have started:
 * IHK's instance list and pool, the job records' stages, the device
 * files, and Linux's view of its CPUs. mckctl check, status and the
 * health check are built on it. See lwk-internal.h.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lwk-internal.h"
#include "mck-lists.h"
#include "mck-prereq.h"
#include "mck-util.h"

/* CPUs this node's lifecycle ever reserved (for lwk_lost_cpus). */
#define RESERVED_CPUS_FILE "lwk-cpus"

unsigned long lwk_job_of_os(struct lwk_ctx *c, int os, struct mck_jobrec *rec)
{
	unsigned long *jobs = NULL, found = 0;
	int n = 0;

	if (mck_jobrec_list(c->cfg->state_dir, &jobs, &n, NULL))
		return 0;
	for (int i = 0; i < n && !found; i++) {
		if (mck_jobrec_read(c->cfg->state_dir, jobs[i], rec, NULL))
			continue;
		if (rec->os == os && !mck_job_state_told(rec->state))
			found = jobs[i];
		else
			mck_jobrec_free(rec);
	}
	free(jobs);
	return found;
}

int lwk_may_probe(struct lwk_ctx *c, const struct mck_jobrec *rec)
{
	return c->cfg->ihk_destroy_unbooted_safe || (rec && mck_job_state_known_booted(rec->state));
}

/* A CPU list file ("1,3-5", empty or missing: none); malloc'd. */
static int read_cpu_file(const char *path, int **cpus, int *n, struct mck_error *err)
{
	char *text = NULL, *t;
	int rc;

	*cpus = NULL;
	*n = 0;
	rc = mck_read_file(path, &text, NULL, NULL);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return mck_fail(err, rc, "cannot read %s: %s", path, strerror(-rc));
	t = mck_trim(text);
	rc = *t ? mck_cpulist_parse(t, cpus, n, err) : 0;
	if (rc)
		mck_error_prefix(err, "%s: ", path);
	free(text);
	return rc;
}

void lwk_note_reserved_cpus(struct lwk_ctx *c, const int *cpus, int n)
{
	char path[PATH_MAX];
	int *old = NULL, nold = 0, *all;
	char *s;

	snprintf(path, sizeof(path), "%s/%s", c->cfg->state_dir, RESERVED_CPUS_FILE);
	if (read_cpu_file(path, &old, &nold, NULL))
		nold = 0;
	all = calloc(nold + n + 1, sizeof(int));
	if (!all) {
		free(old);
		return;
	}
	memcpy(all, old, nold * sizeof(int));
	memcpy(all + nold, cpus, n * sizeof(int));
	s = mck_cpulist_format(all, nold + n);
	if (s && mck_write_file_atomic(path, s, strlen(s), 0644, NULL))
		lwk_log(c, "cannot write %s", path);
	free(s);
	free(all);
	free(old);
}

/* Remove from set[0..*n) every CPU of cpus[0..m). */
static void cpus_minus(int *set, int *n, const int *cpus, int m)
{
	int k = 0;

	for (int i = 0; i < *n; i++) {
		int drop = 0;

		for (int j = 0; j < m && !drop; j++)
			drop = set[i] == cpus[j];
		if (!drop)
			set[k++] = set[i];
	}
	*n = k;
}

/* Remove the CPUs of every listed instance; -EAGAIN when one is unknown. */
static int minus_instance_cpus(struct lwk_ctx *c, int *lost, int *nlost, struct mck_error *err)
{
	int *oses = NULL, nos = 0, rc;

	rc = lwk_instances(c, &oses, &nos, err);
	for (int i = 0; !rc && i < nos && *nlost; i++) {
		struct mck_jobrec rec;
		int *cpus = NULL, n = 0;
		int have = lwk_job_of_os(c, oses[i], &rec) != 0;

		if (lwk_may_probe(c, have ? &rec : NULL))
			rc = lwk_os_cpus(c, oses[i], &cpus, &n, err);
		else if (have && rec.cpus)
			rc = mck_cpulist_parse(rec.cpus, &cpus, &n, err);
		else
			rc = -EAGAIN;	/* an instance nobody knows: it may hold any */
		if (!rc)
			cpus_minus(lost, nlost, cpus, n);
		free(cpus);
		if (have)
			mck_jobrec_free(&rec);
	}
	free(oses);
	return rc;
}

int lwk_lost_cpus(struct lwk_ctx *c, int **lost, int *nlost, struct mck_error *err)
{
	char path[PATH_MAX + 64];
	int *offline = NULL, noff = 0, *ours = NULL, nours = 0, *pool = NULL, npool = 0, rc;

	*lost = NULL;
	*nlost = 0;
	snprintf(path, sizeof(path), "%s/devices/system/cpu/offline", c->cfg->sysfs_dir);
	rc = read_cpu_file(path, &offline, &noff, err);
	if (!rc) {
		snprintf(path, sizeof(path), "%s/%s", c->cfg->state_dir, RESERVED_CPUS_FILE);
		rc = read_cpu_file(path, &ours, &nours, err);
	}
	if (!rc)
		rc = lwk_reserved_cpus(c, &pool, &npool, err);
	if (rc)
		goto out;
	/* offline and ours ... */
	{
		int k = 0;

		for (int i = 0; i < noff; i++)
			for (int j = 0; j < nours; j++)
				if (offline[i] == ours[j]) {
					offline[k++] = offline[i];
					break;
				}
		noff = k;
	}
	/* ... not in IHK's pool, not assigned to an instance */
	cpus_minus(offline, &noff, pool, npool);
	rc = noff ? minus_instance_cpus(c, offline, &noff, err) : 0;
	if (rc == -EAGAIN) {
		rc = 0;
		noff = 0;	/* the unknown instance is reported itself */
	}
	if (!rc && noff) {
		*lost = offline;
		*nlost = noff;
		offline = NULL;
	}
out:
	free(offline);
	free(ours);
	free(pool);
	return rc;
}

/* ------------------------------------------------------------- leftovers */

/* One instance as a leftover line (or not, when it is a job at work). */
static int instance_leftover(struct lwk_ctx *c, FILE *out, int os, int allow_live,
			     unsigned long *live)
{
	struct lwk_holder h[8];
	char dev[PATH_MAX], held[700];
	struct mck_jobrec rec;
	unsigned long job = lwk_job_of_os(c, os, &rec);
	int probe = lwk_may_probe(c, job ? &rec : NULL);
	int st = probe ? c->ihk.ihk_os_get_status(os) : -1;
	struct stat sb;
	int n;

	*live = 0;
	if (allow_live && job && rec.state == MCK_JOB_RUNNING && st == IHK_STATUS_RUNNING) {
		*live = job;
		mck_jobrec_free(&rec);
		return 0;
	}
	if (!out)
		goto out;
	lwk_device_path(c->cfg, os, dev, sizeof(dev));
	if (probe)
		fprintf(out, "os %d: %s", os, st >= 0 ? mck_ihk_status_name(st) : strerror(-st));
	else if (job)
		fprintf(out, "os %d: not queried: job %lu's record says %s%s%s, its boot is not "
			"known to have started (IHK cannot remove it without crashing the node: "
			"reboot the node)", os, job, mck_job_state_name(rec.state),
			rec.failed_at ? " at " : "", rec.failed_at ? rec.failed_at : "");
	else
		fprintf(out, "os %d: not queried: claimed by no job record, its boot state is "
			"unknown (IHK cannot remove it without crashing the node: reboot the node)",
			os);
	if (stat(dev, &sb) == 0) {
		fprintf(out, ", owner uid %lu", (unsigned long)sb.st_uid);
		n = lwk_device_holders(dev, h, 8);
		lwk_holders_text(h, n < 8 ? n : 8, held, sizeof(held));
		if (n)
			fprintf(out, ", %s held open by %s", dev, held);
	}
	if (probe && job)
		fprintf(out, ", job %lu", job);
	fprintf(out, "\n");
out:
	if (job)
		mck_jobrec_free(&rec);
	return 1;
}

/*
 * A kept reservation (reservation = keep) is clean only when its record
 * matches IHK exactly (no instance, the pool holds just what it lists):
 * 1 such a one; 0 none; -1 a record IHK does not match (a leftover line).
 */
static int kept_state(struct lwk_ctx *c, FILE *out)
{
	struct lwk_kept k;
	char why[300];
	int rc;

	if (!lwk_kept_exists(c->cfg))
		return 0;
	if (lwk_kept_read(c->cfg, &k, NULL)) {
		if (out)
			fprintf(out, "kept reservation record: unreadable\n");
		return -1;
	}
	rc = lwk_kept_matches_ihk(c, &k, why, sizeof(why)) ? 1 : -1;
	if (rc < 0 && out)
		fprintf(out, "kept reservation record (cpus %s, memory %s): %s\n", k.cpus, k.mem,
			why);
	lwk_kept_free(&k);
	return rc;
}

/* IHK's pool and Linux's CPUs: one line each that is not empty. */
static int pool_leftovers(struct lwk_ctx *c, FILE *out, struct mck_error *err)
{
	struct ihk_mem_chunk *mem = NULL;
	int *cpus = NULL, ncpu = 0, nmem = 0, left = 0, rc, kept = kept_state(c, out);
	char *s;

	if (kept < 0)
		left++;
	rc = lwk_reserved_cpus(c, &cpus, &ncpu, err);
	if (kept > 0)
		ncpu = 0;	/* the pool is the kept reservation */
	if (!rc && ncpu) {
		s = lwk_format_cpus(cpus, ncpu);
		if (out)
			fprintf(out, "reserved cpus: %s\n", s ? s : "?");
		free(s);
		left++;
	}
	if (!rc)
		rc = lwk_reserved_mem(c, &mem, &nmem, err);
	if (kept > 0)
		nmem = 0;
	if (!rc && nmem) {
		s = lwk_format_mem(mem, nmem);
		if (out)
			fprintf(out, "reserved memory: %s\n", s ? s : "?");
		free(s);
		left++;
	}
	free(cpus);
	cpus = NULL;
	if (!rc)
		rc = lwk_lost_cpus(c, &cpus, &ncpu, err);
	if (!rc && ncpu) {
		s = lwk_format_cpus(cpus, ncpu);
		if (out)
			fprintf(out, "cpus %s: offline to Linux but held by no IHK pool or instance "
				"(lost by IHK: reboot the node)\n", s ? s : "?");
		free(s);
		left++;
	}
	free(cpus);
	free(mem);
	return rc ? rc : left;
}

/* Device files of no listed instance still owned by a user. */
static int device_leftovers(struct lwk_ctx *c, FILE *out, const int *oses, int nos)
{
	DIR *d = opendir(c->cfg->device_dir);
	struct dirent *e;
	int left = 0;

	while (d && (e = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;
		int known = 0;
		long idx;

		if (strncmp(e->d_name, "mcos", 4))
			continue;
		snprintf(path, sizeof(path), "%s/%s", c->cfg->device_dir, e->d_name);
		if (stat(path, &st) || st.st_uid == 0)
			continue;
		if (mck_parse_long(e->d_name + 4, 0, IHK_MAX_NUM_OS - 1, &idx) == 0)
			for (int i = 0; i < nos; i++)
				known |= oses[i] == idx;
		if (known)
			continue;	/* listed with its instance */
		if (out)
			fprintf(out, "device %s: owned by uid %lu\n", path, (unsigned long)st.st_uid);
		left++;
	}
	if (d)
		closedir(d);
	return left;
}

int lwk_leftovers(struct lwk_ctx *c, FILE *out, unsigned long skip_job, int allow_live,
		  struct mck_error *err)
{
	unsigned long live[IHK_MAX_NUM_OS], *jobs = NULL;
	int *oses = NULL, nos = 0, nlive = 0, njobs = 0, left = 0, rc;

	rc = lwk_instances(c, &oses, &nos, err);
	for (int i = 0; !rc && i < nos; i++) {
		unsigned long job;

		left += instance_leftover(c, out, oses[i], allow_live, &job);
		if (job && nlive < IHK_MAX_NUM_OS)
			live[nlive++] = job;
	}
	if (!rc) {
		rc = pool_leftovers(c, out, err);
		if (rc >= 0) {
			left += rc;
			rc = 0;
		}
	}
	if (!rc)
		rc = mck_jobrec_list(c->cfg->state_dir, &jobs, &njobs, err);
	for (int i = 0; !rc && i < njobs; i++) {
		int at_work = jobs[i] == skip_job;

		for (int k = 0; k < nlive; k++)
			at_work |= live[k] == jobs[i];
		/* a job told why it has no instance here is at work too */
		if (!at_work && allow_live && mck_lwk_boot_failed_clean(c->cfg, jobs[i]))
			at_work = 1;
		if (at_work)
			continue;
		if (out)
			fprintf(out, "job record: %lu\n", jobs[i]);
		left++;
	}
	if (!rc)
		left += device_leftovers(c, out, oses, nos);
	free(oses);
	free(jobs);
	return rc ? rc : left;
}

void lwk_leftovers_line(struct lwk_ctx *c, unsigned long skip_job, char *buf, size_t len)
{
	char *text = NULL;
	size_t tlen = 0;
	FILE *m = open_memstream(&text, &tlen);

	buf[0] = '\0';
	if (!m)
		return;
	lwk_leftovers(c, m, skip_job, 0, NULL);
	fclose(m);
	if (text) {
		size_t n = strlen(text);

		while (n && text[n - 1] == '\n')
			text[--n] = '\0';
		for (char *p = text; *p; p++)
			if (*p == '\n')
				*p = ';';
		snprintf(buf, len, "%s", text);
	}
	free(text);
}

/* --------------------------------------------------- check, health, status */

static int check_node(const struct mck_config *cfg, FILE *out, int health,
		      struct mck_error *err)
{
	struct lwk_ctx c;
	char why[PATH_MAX + 300];
	int rc;

	rc = lwk_ctx_open(&c, cfg, 0, LWK_OPEN_QUERY, err);
	if (rc)
		return rc;
	rc = lwk_leftovers(&c, out, 0, health, err);
	lwk_ctx_close(&c);
	/* a node whose ranks' output mcexec would pollute is not healthy */
	if (rc >= 0 && health && mck_prereq_objdump(getenv("PATH"), why, sizeof(why))) {
		if (out)
			fprintf(out, "%s\n", why);
		rc++;
	}
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
	char path[PATH_MAX];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/lifecycle.lock", cfg->state_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		return mck_fail(err, -errno, "cannot open %s: %s", path, strerror(errno));
	/* shared: no lifecycle operation (exclusive) is in the middle of a change */
	rc = fd >= 0 ? lwk_flock_wait(fd, LOCK_SH, wait_s) : 0;
	if (rc == -ETIMEDOUT) {
		close(fd);
		return MCK_LWK_HEALTH_BUSY;
	}
	if (rc) {
		close(fd);
		return mck_fail(err, rc, "cannot lock %s: %s", path, strerror(-rc));
	}
	rc = check_node(cfg, out, 1, err);
	if (fd >= 0)
		close(fd);
	return rc;
}
