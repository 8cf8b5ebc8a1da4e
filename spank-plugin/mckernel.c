/*
 * mckernel.c: the SPANK plugin spank_mckernel.so, plugin name "mckernel".
 *
 * Registers --mckernel[=VALUE] for srun, sbatch and salloc, reads the
 * plugstack.conf arguments, and hands the work of each context to
 * local.c (submit side) or remote.c (slurmstepd).
 *
 * plugstack.conf:  required /path/spank_mckernel.so [config=FILE]
 */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mck-spank.h"
#include "report.h"

SPANK_PLUGIN(mckernel, 1)

static struct mck_spank_ctx ctx;

static int option_mckernel_cb(int val, const char *optarg, int remote)
{
	char *copy = NULL;

	if (optarg && *optarg) {
		copy = strdup(optarg);
		if (!copy) {
			slurm_error(MCK_SPANK_PREFIX "--mckernel: %s", strerror(ENOMEM));
			return -1;
		}
	}
	free(ctx.opt_value);
	ctx.opt_value = copy;
	ctx.opt_seen = 1;
	return mck_spank_local_option(&ctx, optarg);
}

/* Filled at init: the keys come from common/mck-options (mck_options_help). */
static char option_usage[2048];

static struct spank_option option_mckernel = {
	.name = "mckernel",
	.arginfo = "[KEY=VALUE,...]",
	.usage = option_usage,
	.has_arg = 2,
	.val = 0,
	.cb = option_mckernel_cb,
};

static int parse_plugstack_args(int ac, char **av)
{
	for (int i = 0; i < ac; i++) {
		if (!strncmp(av[i], "config=", 7) && av[i][7]) {
			free(ctx.config_path);
			ctx.config_path = strdup(av[i] + 7);
			if (!ctx.config_path) {
				slurm_error(MCK_SPANK_PREFIX "plugstack.conf: %s", strerror(ENOMEM));
				return -1;
			}
			continue;
		}
		slurm_error(MCK_SPANK_PREFIX "plugstack.conf: unknown argument '%s': "
			    "the only argument is config=FILE (path of mckernel.conf)", av[i]);
		return -1;
	}
	return 0;
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	spank_err_t rc;

	ctx.context = spank_context();
	if (parse_plugstack_args(ac, av) < 0)
		return -1;
	switch (ctx.context) {
	case S_CTX_LOCAL:
	case S_CTX_ALLOCATOR:
	case S_CTX_REMOTE:
		break;
	default:
		return 0;	/* slurmd and job scripts have nothing to register */
	}
	snprintf(option_usage, sizeof(option_usage), "%s Whole nodes only. See spank_mckernel(8).",
		 mck_options_help());
	rc = spank_option_register(sp, &option_mckernel);
	if (rc != ESPANK_SUCCESS) {
		slurm_error(MCK_SPANK_PREFIX "cannot register --mckernel: %s",
			    spank_strerror(rc));
		return -1;
	}
	return 0;
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
	if (ctx.context == S_CTX_LOCAL || ctx.context == S_CTX_ALLOCATOR)
		return mck_spank_local_post_opt(sp, &ctx);
	if (ctx.context == S_CTX_REMOTE)
		return mck_spank_remote_post_opt(sp, &ctx);
	return 0;
}

/* srun, after the step exists: listen for the nodes' boot figures (report.c). */
int slurm_spank_local_user_init(spank_t sp, int ac, char **av)
{
	struct mck_options opts;
	struct mck_error err = { 0 };
	const char *text, *quiet = getenv(MCK_REPORT_QUIET_ENV);

	(void)ac;
	(void)av;
	if (ctx.context != S_CTX_LOCAL || !mck_spank_job_requested(sp, &ctx))
		return 0;
	if (quiet && *quiet && strcmp(quiet, "0") && strcmp(quiet, "no"))
		return 0;
	if (mck_spank_job_options(sp, &ctx, &text, &opts, &err) == 0 &&
	    (opts.set & MCK_OPT_BIT(MCK_OPT_QUIET)) && opts.quiet)
		return 0;
	mck_report_listen(sp, &ctx);
	return 0;	/* without the line the job runs all the same */
}

int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
	return mck_spank_remote_task_init(sp, &ctx);
}

int slurm_spank_exit(spank_t sp, int ac, char **av)
{
	mck_report_finish(&ctx);
	free(ctx.config_path);
	free(ctx.opt_value);
	if (ctx.step_cfg_loaded)
		mck_config_free(&ctx.step_cfg);
	memset(&ctx, 0, sizeof(ctx));
	return 0;
}
