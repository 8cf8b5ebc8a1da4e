/* nodeplan.c: see mck-nodeplan.h. */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "mck-nodeplan.h"
#include "mck-options.h"
#include "mck-policy.h"
#include "mck-util.h"

/* The node's topology: the configured XML, else the cached live machine. */
static int load_node_topology(const struct mck_config *cfg, hwloc_topology_t *topo,
			      struct mck_error *err)
{
	char cache[PATH_MAX];
	int rc;

	if (cfg->topology && *cfg->topology)
		return mck_topo_load(cfg->topology, NULL, topo, err);
	rc = mck_mkdir_p(cfg->state_dir, 0755, err);
	if (rc)
		return rc;
	if (snprintf(cache, sizeof(cache), "%s/topology.xml", cfg->state_dir) >= (int)sizeof(cache))
		return mck_fail(err, -ENAMETOOLONG, "state_dir %s: path too long", cfg->state_dir);
	return mck_topo_load_cached(cache, topo, err);
}

int mck_node_plan(const struct mck_config *cfg, const struct mck_options *user,
		  struct mck_plan *plan, int *user_fault, struct mck_error *err)
{
	hwloc_topology_t topo = NULL;
	struct mck_plan_policy policy;
	int rc, fault = 0;

	memset(plan, 0, sizeof(*plan));
	/* the partition's policy, changed by the user's keys (refused ones fail here) */
	rc = mck_config_plan_policy(cfg, user, &policy, err);
	if (rc) {
		fault = 1;
		goto out;
	}
	rc = load_node_topology(cfg, &topo, err);
	if (rc)
		goto out;
	rc = mck_plan_compute(topo, &policy, plan, err);
	hwloc_topology_destroy(topo);
	/* a plan the partition's defaults allow but the user's keys do not */
	fault = rc && user && user->set;
	if (!rc) {
		rc = mck_policy_check_plan(cfg, user, plan, err);
		fault = rc != 0;
		if (rc)
			mck_plan_free(plan);
	}
out:
	if (user_fault)
		*user_fault = fault;
	return rc;
}
