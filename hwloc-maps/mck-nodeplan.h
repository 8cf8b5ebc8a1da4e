/*
 * mck-nodeplan.h: the plan a node boots with, from the node's topology
 * (the configured XML, or the live machine through the cache
 * STATE_DIR/topology.xml) and the partition's policy changed by the
 * user's --mckernel keys. The lifecycle (lwk/), mckctl plan and the
 * benchmarks ask here; the planner itself is mck-plan.h.
 */
#ifndef MCK_NODEPLAN_H
#define MCK_NODEPLAN_H

#include "mck-config.h"
#include "mck-error.h"
#include "mck-plan.h"

struct mck_options;

/*
 * The plan of this node for cfg (its partition section applied) and the
 * user's keys (NULL: the partition's defaults): mck_config_plan_policy,
 * the topology, mck_plan_compute, mck_policy_check_plan. *user_fault (may
 * be NULL) is 1 when the failure comes from the user's keys (refused, or
 * a plan they make impossible), 0 when from the node or the configuration.
 * Free the plan with mck_plan_free.
 */
int mck_node_plan(const struct mck_config *cfg, const struct mck_options *user,
		  struct mck_plan *plan, int *user_fault, struct mck_error *err);

#endif
