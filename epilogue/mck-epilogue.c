/*
 * mck-epilogue: slurmd's Epilog. For a job that asked for --mckernel:
 * mckctl teardown --job J [--partition P], bounded by the lifecycle's
 * budget (lwk/mck-budget.h). The teardown ends the job user's processes
 * that still hold the instance's device, destroys the instance, releases
 * everything and verifies the node; it also removes what a prologue that
 * failed halfway left. A node that cannot be made clean fails the
 * epilogue with the reason and is drained with it. See mck-epilogue(8).
 */
#include "config.h"
#include <stdio.h>

#include "mck-budget.h"
#include "mck-config.h"
#include "mck-script.h"
#include "mck-util.h"

int main(void)
{
	struct mck_script s = { .name = "mck-epilogue", .action = "teardown",
				.t0 = mck_now_ms() };
	char job_s[32];
	const char *words[] = { "teardown", "--job", job_s, NULL };
	const char *partition;
	struct mck_config cfg;
	struct mck_budget b;
	int rc;

	if (!mck_script_wanted())
		return 0;
	if (mck_script_env_id(&s, "SLURM_JOB_ID", &s.job) || mck_script_partition(&s, &partition))
		return 1;
	if (mck_script_load_config(&s, partition, &cfg))
		return 1;
	snprintf(job_s, sizeof(job_s), "%lu", s.job);
	mck_budget(&cfg, &b);
	rc = mck_script_run(&s, &cfg, partition, words, b.mckctl_teardown_s, 0);
	mck_config_free(&cfg);
	return rc;
}
