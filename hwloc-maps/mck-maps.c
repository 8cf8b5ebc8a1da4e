/*
 * mck-maps: print the McKernel partition plan of a node, computed from its
 * hwloc topology (live machine, XML file or synthetic description).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mck-maps-cli.h"
#include "mck-plan.h"
#include "mck-util.h"

/* "mck-maps: MESSAGE" on stderr; 1 */
#define die(...) mck_complain("mck-maps", __VA_ARGS__)

/* The plan in the format asked for, on stdout. */
static int print_plan(const struct mck_maps_cli *cli, hwloc_topology_t topo,
		      const struct mck_plan *plan)
{
	const char *f = cli->format;

	if (!strcmp(f, "picture"))
		return mck_plan_picture_flags(topo, plan, cli->flags, stdout);
	if (!strcmp(f, "svg"))
		return mck_plan_svg_flags(topo, plan, cli->flags, stdout);
	return mck_plan_print_flags(plan, !strcmp(f, "json") ? MCK_PLAN_JSON :
				    !strcmp(f, "ihk-env") ? MCK_PLAN_IHK_ENV : MCK_PLAN_MCREBOOT,
				    cli->flags, stdout);
}

int main(int argc, char **argv)
{
	struct mck_maps_cli cli;
	struct mck_error err = { 0 };
	struct mck_plan plan = { 0 };
	hwloc_topology_t topo = NULL;
	int rc, status = 1;

	rc = mck_maps_cli_parse(argc, argv, &cli, &err);
	if (rc)
		return rc > 0 ? 0 : err.msg[0] ? die("%s", err.msg) : 1;
	rc = cli.cache ? mck_topo_load_cached(cli.cache, &topo, &err)
		       : mck_topo_load(cli.xml, cli.synthetic, &topo, &err);
	if (!rc)
		rc = mck_plan_compute(topo, &cli.pol, &plan, &err);
	if (rc) {
		die("%s", err.msg);
		goto fail;
	}
	rc = print_plan(&cli, topo, &plan);
	if (!rc && fflush(stdout) == 0)
		status = 0;
	else
		fprintf(stderr, "mck-maps: cannot write the plan: %s\n",
			rc ? strerror(-rc) : strerror(errno));
	mck_plan_free(&plan);
fail:
	if (topo)
		hwloc_topology_destroy(topo);
	mck_maps_cli_free(&cli);
	return status;
}
