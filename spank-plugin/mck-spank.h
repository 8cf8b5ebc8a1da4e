/*
 * mck-spank.h: internals shared by the files of the SPANK plugin
 * spank_mckernel.so, one file per context (pyxis style):
 *   mckernel.c  init / init_post_opt / exit, option and plugstack arguments
 *   local.c     srun, sbatch, salloc: validate --mckernel at submit time
 *               (syntax, then the operator's rules of mckernel.conf)
 *   remote.c    slurmstepd: run each task of a user step through mcexec
 *   report.c    the one line per job telling the user how McKernel booted
 *               (srun listens, each node's first task reports)
 *   step.c      slurmstepd, once per step as root: asks the lifecycle
 *               (mckctl step) for the instance policy and a RUNNING
 *               instance, loads the configuration of the job's recorded
 *               partition for the tasks
 * Nothing here is exported: the version script keeps only slurm_spank_*
 * and the plugin_* data visible.
 */
#ifndef MCK_SPANK_H
#define MCK_SPANK_H

#include <slurm/spank.h>

#include "argv.h"
#include "mck-config.h"
#include "mck-options.h"

#define MCK_SPANK_PREFIX "spank_mckernel: "

struct mck_report;

/* The plugin's whole state: one per process that loads it. */
struct mck_spank_ctx {
	spank_context_t context;
	char *config_path;		/* plugstack.conf config=FILE, or NULL */
	int opt_seen;			/* the option callback ran */
	char *opt_value;		/* its argument, NULL for bare --mckernel */
	struct mck_options opts;	/* parsed value (common/mck-options.h) */
	char step_error[1024];		/* why this step cannot run, "" if it can */
	/*
	 * mckernel.conf as the step's check in slurmstepd loaded it, for the
	 * job's partition: the tasks are forked afterwards and use it rather
	 * than each parsing the file again.
	 */
	struct mck_config step_cfg;
	int step_cfg_loaded;
	/*
	 * The step's --mckernel keys, parsed and checked against step_cfg
	 * once by the step's check (step.c); the tasks only turn them into
	 * mcexec words.
	 */
	struct mck_options step_opts;
	int step_opts_ok;
	/* this node's figures for the user's boot line (first step only), "" none */
	char node_report[256];
	struct mck_report *report;	/* srun: the listener (report.c), or NULL */
};

/* Option callback work, per side. 0 or -1 (message already logged). */
int mck_spank_local_option(struct mck_spank_ctx *ctx, const char *value);
int mck_spank_local_post_opt(spank_t sp, struct mck_spank_ctx *ctx);

int mck_spank_remote_task_init(spank_t sp, struct mck_spank_ctx *ctx);
int mck_spank_remote_post_opt(spank_t sp, struct mck_spank_ctx *ctx);

/*
 * The job's --mckernel value in slurmstepd (NULL: the option alone; see
 * mck_spank_option_text), parsed into *opts. -1 when it does not parse
 * (message in err).
 */
int mck_spank_job_options(spank_t sp, struct mck_spank_ctx *ctx, const char **text,
			  struct mck_options *opts, struct mck_error *err);

/*
 * The step's check, once for all its tasks: the step's --mckernel keys
 * parsed and checked against ctx->step_cfg into ctx->step_opts (and
 * step_opts_ok); -1 with ctx->step_error saying why.
 */
int mck_spank_step_options(spank_t sp, struct mck_spank_ctx *ctx, unsigned long job,
			   uint32_t step);

/* A task of a --mckernel step as container.c needs it (remote.c fills it). */
struct mck_spank_container {
	char *const *argv;	/* S_JOB_ARGV: never read past its first NULL */
	char *const *env;	/* S_JOB_ENV */
	uint32_t ntasks;	/* tasks of the step on this node */
	int os;			/* the job's McKernel instance */
	const char *omp;	/* OMP_NUM_THREADS default, "" for none */
	char *const *words;	/* mcexec option words (mck_options_mcexec_args) */
	int nwords;
};

/*
 * container.c: a task of a container step (srun --container). 1: not in
 * a container, or the usual path does the rest (Slurm 23.11+: prepend);
 * 0: ready, Slurm starts the container (Slurm 22.05: the spooled
 * config.json runs mcexec); -1: cannot run, why in err.
 */
int mck_spank_container_task(spank_t sp, const struct mck_config *cfg,
			     const struct mck_spank_container *c, struct mck_error *err);

/* Is argv the placeholder Slurm 22.05 leaves in a container task? */
int mck_spank_container_placeholder(char *const argv[]);

/* remote.c: did this job ask for --mckernel; is stepid a user step. */
int mck_spank_job_requested(spank_t sp, struct mck_spank_ctx *ctx);
int mck_spank_is_user_step(uint32_t stepid);

#endif
