/* mck-policy.c: see mck-policy.h. */
#include "config.h"
#include <errno.h>
#include <string.h>

#include "mck-policy.h"

int mck_config_plan_policy(const struct mck_config *cfg,
			   const struct mck_options *user,
			   struct mck_plan_policy *policy, struct mck_error *err)
{
	struct mck_plan_policy p;
	int rc = -1;

	if (user) {
		rc = mck_options_check(user, cfg, err);
		if (rc)
			goto fail;
	}
	mck_plan_policy_init(&p);
	switch (cfg->keep) {
	case MCK_CFG_KEEP_PER_NUMA: p.keep = MCK_KEEP_PER_NUMA; break;
	case MCK_CFG_KEEP_PER_PACKAGE: p.keep = MCK_KEEP_PER_PACKAGE; break;
	case MCK_CFG_KEEP_CPULIST: p.keep = MCK_KEEP_CPULIST; break;
	}
	p.linux_cores = cfg->linux_cores;
	p.linux_cpulist = cfg->keep == MCK_CFG_KEEP_CPULIST ? cfg->linux_cpus : NULL;
	p.smt_one = cfg->smt_one;
	switch (cfg->mem_mode) {
	case MCK_CFG_MEM_FRACTION: p.mem = MCK_MEM_FRACTION; break;
	case MCK_CFG_MEM_SIZE: p.mem = MCK_MEM_SIZE; break;
	case MCK_CFG_MEM_KEEP: p.mem = MCK_MEM_ALL_BUT; break;
	}
	p.mem_fraction = cfg->mem_fraction;
	p.mem_size = cfg->mem_size;
	p.mem_keep = cfg->mem_keep;
	p.memonly = (enum mck_memonly_mode)cfg->memory_only_nodes;
	p.memonly_kinds = cfg->memory_only_kinds;
	p.ikc = cfg->ikc_spread ? MCK_IKC_SPREAD : MCK_IKC_PER_NUMA;
	switch (cfg->lwk_cpu_kind_performance) {
	case 0: p.lwk_cpu_kind = MCK_CPU_KIND_ALL; break;
	case 1: p.lwk_cpu_kind = MCK_CPU_KIND_PERFORMANCE; break;
	default: p.lwk_cpu_kind = MCK_CPU_KIND_AUTO; break;
	}
	p.assistant = cfg->assistant_cores_lwk ? MCK_ASSISTANT_LWK : MCK_ASSISTANT_LINUX;

	if (user && (user->set & MCK_OPT_BIT(MCK_OPT_MEM))) {
		if (user->mem_is_size) {
			p.mem = MCK_MEM_SIZE;
			p.mem_size = user->mem_size;
		} else {
			p.mem = MCK_MEM_FRACTION;
			p.mem_fraction = user->mem_fraction;
		}
	}
	if (user && (user->set & MCK_OPT_BIT(MCK_OPT_LINUX_CORES)))
		p.linux_cores = user->linux_cores;	/* check refused it for CPU lists */
	if (user && (user->set & MCK_OPT_BIT(MCK_OPT_SMT)))
		p.smt_one = user->smt_one;
	*policy = p;
	rc = 0;
fail:
	return rc;
}

int mck_policy_check_plan(const struct mck_config *cfg,
			  const struct mck_options *user,
			  const struct mck_plan *plan, struct mck_error *err)
{
	if (!user)
		return 0;
	if ((user->set & MCK_OPT_BIT(MCK_OPT_PROCS)) && user->procs > plan->n_lwk)
		return mck_fail(err, -EINVAL,
				"--mckernel: procs=%d is more than the %d McKernel CPUs of this node's plan; "
				"mcexec gives each process at least one CPU",
				user->procs, plan->n_lwk);
	if ((user->set & MCK_OPT_BIT(MCK_OPT_MEM)) && user->mem_is_size && plan->mem_total)
		for (int i = 0; i < plan->n_mem; i++) {
			double share = plan->mem_total[i]
				? (double)plan->mem[i].size / (double)plan->mem_total[i] : 1.0;

			if (share > cfg->max_mem_fraction) {
				char a[32], lim[32];

				mck_size_format(user->mem_size, a, sizeof(a));
				mck_fraction_format(cfg->max_mem_fraction, lim, sizeof(lim));
				return mck_fail(err, -EPERM,
						"--mckernel: mem=%s is %.0f%% of NUMA node %d, above the limit max_mem_fraction = %s",
						a, share * 100.0, plan->mem[i].numa, lim);
			}
		}
	return 0;
}
