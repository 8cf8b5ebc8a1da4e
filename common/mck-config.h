/*
 * mck-config.h: the operator configuration file (mckernel.conf).
 *
 * Format: "key = value" lines, '#' comments, global settings first and
 * then optional "[partition NAME]" sections that override them for jobs
 * of that Slurm partition. Every mistake is reported as FILE:LINE with
 * what was expected, and loading fails as a whole (fail closed).
 *
 * Where the file is: the explicit path given by the caller (plugstack.conf
 * argument config=, mckctl --config), else $SLURM_MCKERNEL_CONF, else
 * mckernel.conf beside $SLURM_CONF, else MCK_CONFDIR/mckernel.conf. A
 * missing file at a default location means built-in defaults; a missing
 * file that was named explicitly is an error.
 */
#ifndef MCK_CONFIG_H
#define MCK_CONFIG_H

#include <stdio.h>

#include "mck-error.h"

struct mck_config {
	char *path;		/* file the settings came from, "" for defaults */
	char *partition;	/* partition applied, NULL for global only */

	char *libihk;		/* libihk.so to dlopen */
	char *mcexec;		/* mcexec launcher that wraps every rank */
	char *mckctl;		/* node-side tool run by prologue/epilogue */
	char *image;		/* McKernel kernel image */
	char *kargs;		/* kernel arguments, must contain "hidos" */
	char *state_dir;	/* job records, topology cache, logs */
	char *device_dir;	/* where the IHK device files live (/dev) */
	char *topology;		/* hwloc XML of the node; "" = live machine (cached) */
	double mem_fraction;	/* share of each NUMA node's memory for McKernel */
	int boot_timeout;	/* seconds: boot until RUNNING */
	int shutdown_timeout;	/* seconds: shutdown and destroy */

	/* Read only by the IHK and mcexec doubles (see ihk/double). */
	char *ihk_double_state;
	char *ihk_double_topology;
};

/* The default path, following the lookup order above. */
const char *mck_config_default_path(int *explicit_env);

/*
 * Load settings. path NULL: default lookup. partition NULL or "": global
 * settings only; otherwise that partition's section is applied too.
 */
int mck_config_load(const char *path, const char *partition,
		    struct mck_config *cfg, struct mck_error *err);

void mck_config_free(struct mck_config *cfg);

/* Write the effective settings, one "key = value" a line. */
void mck_config_print(const struct mck_config *cfg, FILE *out);

#endif
