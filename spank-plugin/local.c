/*
 * local.c: the submit side (srun, sbatch incl. #SBATCH lines, salloc).
 * Bad --mckernel values are refused here, before the job is queued:
 *   1. syntax (common/mck-options: unknown key, malformed value) in the
 *      option callback, as soon as Slurm hands the value over;
 *   2. the operator's rules in init_post_opt, once plugstack.conf's
 *      config= is known: which keys users may set and their limits, from
 *      the section of the partition the environment names
 *      (SLURM_JOB_PARTITION inside an allocation, SBATCH_PARTITION,
 *      SLURM_PARTITION), else from the global settings of mckernel.conf.
 * The submit side cannot know the partition a job without -p lands in,
 * nor whether the job asked for --exclusive: the prologue checks the
 * options again for the job's real partition and refuses a job that does
 * not hold whole nodes (require_exclusive); the job's steps print why.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

/* Check opts against the settings for partition (NULL: global only). */
static int check_against(const struct mck_spank_ctx *ctx, const char *partition)
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
		goto fail;
	}
	rc = 0;
fail:
	mck_config_free(&cfg);
	return rc;
}

/* The partition the environment names for this submission, or NULL. */
static const char *known_partition(void)
{
	static const char *const vars[] = {
		"SLURM_JOB_PARTITION", "SBATCH_PARTITION", "SLURM_PARTITION", NULL,
	};

	for (int i = 0; vars[i]; i++) {
		const char *v = getenv(vars[i]);

		/* a list ("a,b") leaves the choice to slurmctld: global rules only */
		if (v && *v && !strchr(v, ','))
			return v;
	}
	return NULL;
}

int mck_spank_local_post_opt(spank_t sp, struct mck_spank_ctx *ctx)
{
	struct mck_error err = { 0 };
	const char *partition;

	(void)sp;
	if (!ctx->opt_seen)
		return 0;
	/* The callback may have run before a later, overriding value: parse again. */
	if (mck_options_parse(mck_spank_option_text(ctx->opt_value), &ctx->opts, &err) < 0) {
		slurm_error(MCK_SPANK_PREFIX "%s", err.msg);
		return -1;
	}
	/* the partition's section when the environment names it, else the global rules */
	partition = known_partition();
	return check_against(ctx, partition);
}
