/*
 * local.c: the submit side (srun, sbatch, salloc). Bad --mckernel values
 * are refused here, before the job is queued.
 */
#include "config.h"
#include <string.h>

#include "mck-spank.h"

int mck_spank_local_option(struct mck_spank_ctx *ctx, const char *value)
{
	struct mck_error err = { 0 };

	if (mck_spank_opts_parse(value, &ctx->opts, &err) < 0) {
		slurm_error(MCK_SPANK_PREFIX "%s (%s)", err.msg, strerror(-err.code));
		return -1;
	}
	return 0;
}

int mck_spank_local_post_opt(spank_t sp, struct mck_spank_ctx *ctx)
{
	struct mck_error err = { 0 };

	if (!ctx->opt_seen)
		return 0;
	/* The callback may have run before a later, overriding value: check again. */
	if (mck_spank_opts_parse(ctx->opt_value, &ctx->opts, &err) < 0) {
		slurm_error(MCK_SPANK_PREFIX "%s (%s)", err.msg, strerror(-err.code));
		return -1;
	}
	return 0;
}
