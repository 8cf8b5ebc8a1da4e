/*
 * mck-maps-cli.h: mck-maps's command line. The policy flags are the keys
 * of common/mck-schema.h that mck-maps may set (MCK_BY_MAPS), named as
 * in mckernel.conf with '-' for '_' (--linux-cores for linux_cores):
 * each value goes through mckernel.conf's own setter (mck_config_set)
 * into a configuration of built-in defaults, which mck_config_plan_policy
 * then translates for the planner. The same value means the same plan in
 * mckernel.conf and on mck-maps's command line.
 */
#ifndef MCK_MAPS_CLI_H
#define MCK_MAPS_CLI_H

#include <stdio.h>

#include "mck-config.h"
#include "mck-error.h"
#include "mck-plan.h"

struct mck_maps_cli {
	const char *xml, *synthetic, *cache;	/* the topology: at most one */
	const char *format;			/* mcreboot, json, ihk-env, picture, svg */
	unsigned flags;				/* MCK_PLAN_EXPLAIN */
	struct mck_config cfg;			/* built-in defaults and the policy flags */
	struct mck_plan_policy pol;		/* points into cfg (linux_cpus) */
};

/*
 * Parse argv. 0: go on (cli filled; free it with mck_maps_cli_free);
 * 1: --help printed, exit 0; -EINVAL: err says what is wrong (empty when
 * getopt has said it and the usage went to stderr), exit 1.
 */
int mck_maps_cli_parse(int argc, char **argv, struct mck_maps_cli *cli, struct mck_error *err);
void mck_maps_cli_free(struct mck_maps_cli *cli);

/* The --help text, the policy flags written from the schema. */
void mck_maps_usage(FILE *out);

#endif
