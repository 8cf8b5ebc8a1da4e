/*
 * lwk-keep.c: a kept reservation (reservation = keep). After a job's
 * instance is destroyed (the destroy returns its CPUs and memory to IHK's
 * pool), the pool stays reserved for the next --mckernel job of the same
 * plan, which then only creates, assigns, loads and boots. What is kept
 * is recorded by root in STATE_DIR/kept:
 *
 *   cpus=1-3,5-7            the plan's LWK CPUs
 *   mem=2G@0,2G@1           the plan's memory request (with cpus: the plan key)
 *   chunks=1G@0,1G@0,...    IHK's pool as ihk_query_mem lists it
 *   partition=mck           the partition whose policy kept it
 *   job=17                  the job after which it was kept
 *   since=1700000000        when (epoch seconds)
 *
 * A kept reservation is valid only while IHK lists no instance and its
 * pool holds exactly those CPUs and chunks; anything else is a leftover
 * as without keep. See lwk-internal.h.
 */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lwk-internal.h"
#include "mck-lists.h"
#include "mck-util.h"

static void kept_path(const struct mck_config *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", cfg->state_dir, MCK_LWK_KEPT_FILE);
}

void lwk_kept_free(struct lwk_kept *k)
{
	free(k->cpus);
	free(k->mem);
	free(k->chunks);
	free(k->partition);
	memset(k, 0, sizeof(*k));
}

int lwk_kept_exists(const struct mck_config *cfg)
{
	char path[PATH_MAX];

	kept_path(cfg, path, sizeof(path));
	return access(path, F_OK) == 0;
}

/* One "key=value" line of the record into k; 0 or -EINVAL. */
static int kept_line(struct lwk_kept *k, char *line)
{
	char *eq = strchr(line, '='), **field = NULL;
	unsigned long v;

	if (!eq)
		return -EINVAL;
	*eq++ = '\0';
	if (!strcmp(line, "cpus"))
		field = &k->cpus;
	else if (!strcmp(line, "mem"))
		field = &k->mem;
	else if (!strcmp(line, "chunks"))
		field = &k->chunks;
	else if (!strcmp(line, "partition"))
		field = &k->partition;
	if (field) {
		free(*field);
		*field = strdup(eq);
		return *field ? 0 : -ENOMEM;
	}
	if (mck_parse_ulong(eq, &v))
		return -EINVAL;
	if (!strcmp(line, "job"))
		k->job = v;
	else if (!strcmp(line, "since"))
		k->since = (long)v;
	return 0;	/* unknown keys: a newer writer's, ignored */
}

int lwk_kept_read(const struct mck_config *cfg, struct lwk_kept *k, struct mck_error *err)
{
	char path[PATH_MAX], *text = NULL, *line, *save;
	int rc;

	memset(k, 0, sizeof(*k));
	kept_path(cfg, path, sizeof(path));
	rc = mck_read_file(path, &text, NULL, NULL);
	if (rc == -ENOENT)
		return rc;
	if (rc)
		return mck_fail(err, rc, "cannot read %s: %s", path, strerror(-rc));
	for (line = strtok_r(text, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save))
		rc = kept_line(k, line);
	free(text);
	if (!rc && (!k->cpus || !k->mem || !k->chunks))
		rc = -EINVAL;
	if (rc) {
		lwk_kept_free(k);
		return mck_fail(err, rc, "%s: not a kept reservation record (cpus=, mem=, chunks= "
				"expected)", path);
	}
	return 0;
}

static int kept_write(struct lwk_ctx *c, const struct lwk_kept *k, struct mck_error *err)
{
	char path[PATH_MAX], *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	int rc;

	if (!m)
		return mck_fail(err, -ENOMEM, "out of memory");
	fprintf(m, "cpus=%s\nmem=%s\nchunks=%s\npartition=%s\njob=%lu\nsince=%ld\n", k->cpus,
		k->mem, k->chunks, k->partition ? k->partition : "", k->job, k->since);
	fclose(m);
	kept_path(c->cfg, path, sizeof(path));
	rc = text ? mck_write_file_atomic(path, text, len, 0644, err) : -ENOMEM;
	free(text);
	return rc;
}

static void kept_remove(struct lwk_ctx *c)
{
	char path[PATH_MAX];

	kept_path(c->cfg, path, sizeof(path));
	if (unlink(path) && errno != ENOENT)
		lwk_log(c, "cannot remove %s: %s", path, strerror(errno));
}

/* Are the chunk lists a and b the same multiset (size and node)? */
static int same_chunks(const struct ihk_mem_chunk *a, int na, const struct mck_mem_chunk *b,
		       int nb)
{
	char used[MCK_MAX_MEM_CHUNKS] = { 0 };

	if (na != nb || na > MCK_MAX_MEM_CHUNKS)
		return 0;
	for (int i = 0; i < na; i++) {
		int found = 0;

		for (int j = 0; j < nb && !found; j++)
			if (!used[j] && (uint64_t)a[i].size == b[j].size &&
			    a[i].numa_node_number == b[j].numa)
				used[j] = found = 1;
		if (!found)
			return 0;
	}
	return 1;
}

int lwk_kept_matches_ihk(struct lwk_ctx *c, const struct lwk_kept *k, char *why, size_t len)
{
	struct ihk_mem_chunk *pool = NULL;
	struct mck_mem_chunk *want = NULL;
	int *cpus = NULL, *kcpus = NULL, *oses = NULL, ncpu = 0, nk = 0, nmem = 0, nwant = 0;
	int nos = 0, ok = 0;
	struct mck_error e = { 0 };

	why[0] = '\0';
	if (lwk_instances(c, &oses, &nos, &e) || lwk_reserved_cpus(c, &cpus, &ncpu, &e) ||
	    lwk_reserved_mem(c, &pool, &nmem, &e)) {
		snprintf(why, len, "%s", e.msg);
		goto out;
	}
	if (nos) {
		snprintf(why, len, "IHK lists %d instance(s)", nos);
		goto out;
	}
	if (mck_cpulist_parse(k->cpus, &kcpus, &nk, &e) ||
	    mck_memlist_parse(k->chunks, &want, &nwant, &e)) {
		snprintf(why, len, "the record: %s", e.msg);
		goto out;
	}
	/* both lists sorted (IHK's query and the parser sort) */
	ok = nk == ncpu && !memcmp(kcpus, cpus, ncpu * sizeof(int));
	if (!ok) {
		snprintf(why, len, "IHK's pool holds CPUs other than the kept %s", k->cpus);
		goto out;
	}
	ok = same_chunks(pool, nmem, want, nwant);
	if (!ok)
		snprintf(why, len, "IHK's pool holds memory other than the kept %s", k->chunks);
out:
	free(oses);
	free(cpus);
	free(kcpus);
	free(pool);
	free(want);
	return ok;
}

int lwk_kept_valid(struct lwk_ctx *c, struct lwk_kept *k)
{
	char why[300];

	if (lwk_kept_read(c->cfg, k, NULL))
		return 0;
	if (lwk_kept_matches_ihk(c, k, why, sizeof(why)))
		return 1;
	lwk_kept_free(k);
	return 0;
}

int lwk_kept_release(struct lwk_ctx *c, const char *why, struct mck_error *err)
{
	struct lwk_kept k;
	int rc;

	if (lwk_kept_read(c->cfg, &k, NULL))
		return 0;
	lwk_log(c, "kept reservation (cpus %s, memory %s, after job %lu) back to Linux: %s",
		k.cpus, k.mem, k.job, why);
	lwk_kept_free(&k);
	rc = lwk_release_pool(c, err);
	if (!rc)
		kept_remove(c);
	return rc;
}

void lwk_kept_forget(struct lwk_ctx *c)
{
	kept_remove(c);
}

/* Does job's partition keep reservations? From its record, never the job's environment. */
static int partition_keeps(struct lwk_ctx *c, const struct mck_jobrec *rec)
{
	struct mck_config pcfg;
	struct mck_error e = { 0 };
	int keep;

	if (!rec->partition || !*rec->partition)
		return c->cfg->reservation == MCK_RESERVATION_KEEP;
	if (mck_config_load(*c->cfg->path ? c->cfg->path : NULL, rec->partition, &pcfg, &e)) {
		lwk_log(c, "reservation policy of partition %s: %s: releasing", rec->partition, e.msg);
		return 0;
	}
	keep = pcfg.reservation == MCK_RESERVATION_KEEP;
	mck_config_free(&pcfg);
	return keep;
}

int lwk_kept_keep(struct lwk_ctx *c, const struct mck_jobrec *rec, struct mck_error *err)
{
	struct lwk_kept k = { 0 };
	struct ihk_mem_chunk *pool = NULL;
	int *cpus = NULL, ncpu = 0, nmem = 0, rc;
	char *chunks = NULL, why[300];

	if (!rec || !mck_job_state_known_booted(rec->state) || !rec->cpus || !rec->mem ||
	    !partition_keeps(c, rec))
		return 0;
	rc = lwk_reserved_cpus(c, &cpus, &ncpu, err);
	if (!rc)
		rc = lwk_reserved_mem(c, &pool, &nmem, err);
	if (rc)
		goto out;
	chunks = lwk_format_mem(pool, nmem);
	k.cpus = rec->cpus;
	k.mem = rec->mem;
	k.chunks = chunks;
	k.partition = rec->partition;
	k.job = rec->job;
	k.since = (long)time(NULL);
	/* only exactly the plan's CPUs, and some memory, no instance */
	if (!chunks || !nmem || !lwk_kept_matches_ihk(c, &k, why, sizeof(why))) {
		lwk_log(c, "reservation not kept: %s", chunks && nmem ? why : "no memory in the pool");
		goto out;
	}
	rc = kept_write(c, &k, err);
	if (!rc) {
		lwk_log(c, "reservation kept for the next job of the same plan: cpus %s, memory %s "
			"(%s)", k.cpus, k.mem, chunks);
		rc = 1;
	}
out:
	free(cpus);
	free(pool);
	free(chunks);
	return rc;
}

int lwk_kept_reuse(struct lwk_ctx *c, const char *cpus, const char *mem,
		   struct ihk_mem_chunk **chunks, int *n, struct mck_error *err)
{
	struct lwk_kept k;
	struct mck_mem_chunk *m = NULL;
	int nm = 0, rc;

	*chunks = NULL;
	*n = 0;
	if (!lwk_kept_exists(c->cfg))
		return 0;
	if (!lwk_kept_valid(c, &k)) {
		/* recovery released the pool of an invalid record; only the record is left */
		kept_remove(c);
		return 0;
	}
	if (strcmp(k.cpus, cpus) || strcmp(k.mem, mem)) {
		char why[600];

		snprintf(why, sizeof(why), "this job's plan differs (cpus %s, memory %s)", cpus, mem);
		lwk_kept_free(&k);
		rc = lwk_kept_release(c, why, err);
		return rc;
	}
	rc = mck_memlist_parse(k.chunks, &m, &nm, err);
	if (!rc && !(*chunks = calloc(nm, sizeof(**chunks))))
		rc = mck_fail(err, -ENOMEM, "out of memory");
	for (int i = 0; !rc && i < nm; i++) {
		(*chunks)[i].size = m[i].size;
		(*chunks)[i].numa_node_number = m[i].numa;
	}
	if (!rc) {
		*n = nm;
		lwk_log(c, "kept reservation of job %lu reused: cpus %s, memory %s (%s)", k.job,
			k.cpus, k.mem, k.chunks);
		kept_remove(c);	/* the job holds it now */
		rc = 1;
	}
	free(m);
	lwk_kept_free(&k);
	return rc;
}

int mck_lwk_release(const struct mck_config *cfg, const char *why, struct mck_error *err)
{
	struct lwk_ctx c;
	struct lwk_kept k;
	char mismatch[300];
	int rc;

	if (!lwk_kept_exists(cfg))
		return 0;	/* the prologue of every job without --mckernel: fast */
	rc = lwk_ctx_open(&c, cfg, 0, LWK_OPEN_CHANGE, err);
	if (rc)
		return rc;
	rc = lwk_kept_read(cfg, &k, err);
	if (rc == -ENOENT) {
		rc = 0;		/* released meanwhile */
		goto out;
	}
	if (rc)
		goto out;
	if (!lwk_kept_matches_ihk(&c, &k, mismatch, sizeof(mismatch))) {
		/* not a kept reservation any more: a leftover for clean, not ours to take */
		rc = mck_fail(err, -EBUSY, "the kept reservation record does not match IHK (%s): "
			      "see mckctl status; mckctl clean removes what is left", mismatch);
		lwk_kept_free(&k);
		goto out;
	}
	lwk_kept_free(&k);
	rc = lwk_kept_release(&c, why, err);
out:
	lwk_ctx_close(&c);
	return rc;
}

int mck_lwk_kept_expire(const struct mck_config *cfg, struct mck_error *err)
{
	struct lwk_kept k;
	unsigned long *jobs = NULL;
	long idle;
	int n = 0, rc;
	char why[128];

	if (lwk_kept_read(cfg, &k, NULL))
		return 0;
	idle = (long)time(NULL) - k.since;
	lwk_kept_free(&k);
	if (idle < cfg->keep_idle)
		return 0;
	/* only on an idle node: no job of ours on it */
	rc = mck_jobrec_list(cfg->state_dir, &jobs, &n, err);
	free(jobs);
	if (rc || n)
		return rc;
	snprintf(why, sizeof(why), "unused for %ld s (keep_idle = %d s)", idle, cfg->keep_idle);
	return mck_lwk_release(cfg, why, err);
}
