/*
 * local.c: the submit side (srun, sbatch incl. #SBATCH lines, salloc).
 * Bad --mckernel values are refused here, before the job is queued:
 *   1. syntax (common/mck-options: unknown key, malformed value) in the
 *      option callback, as soon as Slurm hands the value over;
 *   2. the operator's rules in init_post_opt, once plugstack.conf's
 *      config= is known and the client has parsed all its options: which
 *      keys users may set, their limits and what the partition's mcexec
 *      supports, for the partition the job will get (job_partitions).
 *
 * SPANK tells a local or allocator plugin nothing about the partition (no
 * spank_get_item item; S_JOB_ID exists only once srun holds an
 * allocation, after queueing). So at init_post_opt, which srun, sbatch
 * and salloc call after parsing the command line, #SBATCH lines and
 * their environment, the plugin asks:
 *   - srun inside an allocation (SLURM_JOB_ID, --jobid): slurmctld, for
 *     the partition of that job;
 *   - otherwise the client's own parsed options (its global slurm_opt_t
 *     "opt", read with Slurm's slurm_option_get(): -p/--partition in any
 *     spelling, #SBATCH -p, SLURM_/SBATCH_/SALLOC_PARTITION);
 *   - none given: slurmctld, for the cluster's default partition.
 * A list "a,b" is checked for every partition in it. Where the client's
 * options cannot be read (a Slurm whose clients do not export them) only
 * the client's *_PARTITION variable is known. Whatever the submit side
 * decides, the prologue checks the options again for the job's real
 * partition and refuses a job that does not hold whole nodes.
 */
#include "config.h"
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <slurm/slurm.h>

#include "mck-config.h"
#include "mck-spank.h"

int mck_spank_local_option(struct mck_spank_ctx *ctx, const char *value)
{
	struct mck_error err = { 0 };

	if (mck_options_parse(mck_spank_option_text(value), &ctx->opts, &err) < 0) {
		slurm_error(MCK_SPANK_PREFIX "%s", err.msg);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------ the client's options */

/* Is addr inside the main program (the first object dl_iterate_phdr visits)? */
struct addr_probe {
	uintptr_t addr;
	int inside;
};

static int main_program_holds(struct dl_phdr_info *info, size_t size, void *data)
{
	struct addr_probe *p = data;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && p->addr >= start && p->addr < start + ph->p_memsz)
			p->inside = 1;
	}
	return 1;	/* only the main program */
}

/*
 * The value of the client's option name as Slurm parsed it: 1 and *value
 * (malloc'd) when set, 0 when not set, -1 when the client's options cannot
 * be read. srun, sbatch and salloc keep them in their global slurm_opt_t
 * "opt"; Slurm's slurm_option_get() (libslurmfull, also used by its
 * cli_filter plugins) returns an option's value by its long name.
 */
static int client_option(const char *name, char **value)
{
	char *(*option_get)(void *, const char *);
	void (*xfree_fn)(void **);
	struct addr_probe probe = { 0 };
	void *opt;
	char *v;

	*value = NULL;
	opt = dlsym(RTLD_DEFAULT, "opt");
	option_get = (char *(*)(void *, const char *))dlsym(RTLD_DEFAULT, "slurm_option_get");
	xfree_fn = (void (*)(void **))dlsym(RTLD_DEFAULT, "slurm_xfree");
	if (!opt || !option_get)
		return -1;
	/* a symbol "opt" of some library is not the client's options */
	probe.addr = (uintptr_t)opt;
	dl_iterate_phdr(main_program_holds, &probe);
	if (!probe.inside)
		return -1;
	v = option_get(opt, name);
	if (!v)
		return 0;
	if (*v)
		*value = strdup(v);
	if (xfree_fn)
		xfree_fn((void **)&v);	/* Slurm's allocator; else a few bytes stay */
	return *value ? 1 : 0;
}

/* ---------------------------------------------------- what slurmctld says */

/* The partition of job id, or NULL (slurmctld cannot tell). */
static char *existing_job_partition(uint32_t id)
{
	job_info_msg_t *jobs = NULL;
	char *part = NULL;

	if (slurm_load_job(&jobs, id, SHOW_ALL) != SLURM_SUCCESS || !jobs)
		return NULL;
	if (jobs->record_count > 0 && jobs->job_array[0].partition)
		part = strdup(jobs->job_array[0].partition);
	slurm_free_job_info_msg(jobs);
	return part;
}

/* The cluster's default partition, or NULL (none, or slurmctld cannot tell). */
static char *default_partition(void)
{
	partition_info_msg_t *parts = NULL;
	char *part = NULL;

	if (slurm_load_partitions((time_t)0, &parts, SHOW_ALL) != SLURM_SUCCESS || !parts)
		return NULL;
	for (uint32_t i = 0; i < parts->record_count && !part; i++)
		if ((parts->partition_array[i].flags & PART_FLAG_DEFAULT) &&
		    parts->partition_array[i].name)
			part = strdup(parts->partition_array[i].name);
	slurm_free_partition_info_msg(parts);
	return part;
}

/*
 * The job id srun's step goes into (--jobid or SLURM_JOB_ID, as srun
 * parsed them), 0 when srun makes a new allocation.
 */
static uint32_t srun_existing_job(void)
{
	const char *env = getenv("SLURM_JOB_ID");
	char *v = NULL, *end;
	unsigned long id = 0;
	int rc = client_option("jobid", &v);

	if (rc < 0 && env && *env)
		v = strdup(env);
	if (v) {
		id = strtoul(v, &end, 10);
		if (*end || id == 0 || id >= 0xfffffff0UL)
			id = 0;
	}
	free(v);
	return (uint32_t)id;
}

/* Without the client's options: its *_PARTITION variable, or NULL. */
static char *partition_from_environment(void)
{
	const char *var = "SLURM_PARTITION", *v;

	if (!strcmp(program_invocation_short_name, "sbatch"))
		var = "SBATCH_PARTITION";
	else if (!strcmp(program_invocation_short_name, "salloc"))
		var = "SALLOC_PARTITION";
	v = getenv(var);
	return v && *v ? strdup(v) : NULL;
}

/*
 * The partition (or comma-separated partitions) the job will get,
 * malloc'd, and where that came from (*source, for messages); NULL when
 * nobody can tell (then the global settings decide).
 */
static char *job_partitions(const struct mck_spank_ctx *ctx, const char **source)
{
	static char job_source[96];
	char *part = NULL;
	uint32_t job;
	int rc;

	if (ctx->context == S_CTX_LOCAL && (job = srun_existing_job())) {
		snprintf(job_source, sizeof(job_source),
			 "the partition of job %lu, which this srun runs in", (unsigned long)job);
		*source = job_source;
		return existing_job_partition(job);
	}
	rc = client_option("partition", &part);
	if (rc == 1) {
		*source = "asked for with -p/--partition, #SBATCH -p or *_PARTITION";
		return part;
	}
	if (rc == 0) {
		*source = "the cluster's default, no -p given";
		return default_partition();
	}
	*source = "named by *_PARTITION, the client's options being unreadable";
	return partition_from_environment();
}

/* ------------------------------------------------------------- the check */

/* Check opts against the settings for partition (NULL: global only). */
static int check_against(const struct mck_spank_ctx *ctx, const char *partition,
			 const char *source)
{
	struct mck_config cfg;
	struct mck_error err = { 0 };
	int rc = -1;

	if (mck_config_load(ctx->config_path, partition, &cfg, &err) < 0) {
		slurm_error(MCK_SPANK_PREFIX "%s", err.msg);
		return -1;
	}
	if (mck_options_check(&ctx->opts, &cfg, &err) < 0) {
		slurm_error(MCK_SPANK_PREFIX "%s", err.msg);
		if (partition)
			slurm_error(MCK_SPANK_PREFIX "checked for partition %s: %s", partition, source);
		goto fail;
	}
	if (partition)
		slurm_verbose(MCK_SPANK_PREFIX "--mckernel allowed on partition %s: %s",
			      partition, source);
	rc = 0;
fail:
	mck_config_free(&cfg);
	return rc;
}

/* Every partition of the comma-separated list must allow the options. */
static int check_partitions(const struct mck_spank_ctx *ctx, char *list, const char *source)
{
	char *save = NULL, *p;

	for (p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save))
		if (*p && check_against(ctx, p, source) < 0)
			return -1;
	return 0;
}

int mck_spank_local_post_opt(spank_t sp, struct mck_spank_ctx *ctx)
{
	struct mck_config cfg;
	struct mck_error err = { 0 };
	const char *source = "";
	char *list = NULL;
	int sections, rc;

	(void)sp;
	if (!ctx->opt_seen)
		return 0;
	/* The callback may have run before a later, overriding value: parse again. */
	if (mck_options_parse(mck_spank_option_text(ctx->opt_value), &ctx->opts, &err) < 0) {
		slurm_error(MCK_SPANK_PREFIX "%s", err.msg);
		return -1;
	}
	if (mck_config_load(ctx->config_path, NULL, &cfg, &err) < 0) {
		slurm_error(MCK_SPANK_PREFIX "%s", err.msg);
		return -1;
	}
	sections = cfg.n_sections;
	mck_config_free(&cfg);
	/* without partition sections every partition has the global rules */
	if (sections)
		list = job_partitions(ctx, &source);
	rc = list ? check_partitions(ctx, list, source) : check_against(ctx, NULL, source);
	free(list);
	return rc;
}
