/*
 * mck-policy.h: from the operator's configuration (mckernel.conf) and a
 * user's --mckernel options to the planner's policy.
 *
 * Kept apart from common/ because the planner's types come with hwloc:
 * libmckcommon does not depend on hwloc, libmckmaps does.
 */
#ifndef MCK_POLICY_H
#define MCK_POLICY_H

#include "mck-config.h"
#include "mck-error.h"
#include "mck-options.h"
#include "mck-plan.h"

/*
 * The partition's policy from cfg in the planner's terms, changed by the
 * user's options (user may be NULL: the partition's defaults). Only a
 * translation: the options must have been checked against cfg
 * (mck_options_check; mck_node_plan does). policy->linux_cpulist points
 * into cfg: keep cfg while the policy is used.
 */
void mck_config_plan_policy(const struct mck_config *cfg, const struct mck_options *user,
			    struct mck_plan_policy *policy);

/*
 * Rules that need the plan: procs=N at most the plan's LWK CPUs (mcexec
 * refuses more processes than CPUs), and a user's mem=SIZE at most
 * max_mem_fraction of every NUMA node it is reserved on.
 */
int mck_policy_check_plan(const struct mck_config *cfg,
			  const struct mck_options *user,
			  const struct mck_plan *plan, struct mck_error *err);

#endif
