/* mck-policy.c: see mck-policy.h. */
#include "config.h"
#include <errno.h>
#include <string.h>

#include "mck-policy.h"

void mck_config_plan_policy(const struct mck_config *cfg, const struct mck_options *user,
			    struct mck_plan_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->keep = cfg->keep;
	p->linux_cores = cfg->linux_cores;
	p->linux_cpulist = cfg->keep == MCK_KEEP_CPULIST ? cfg->linux_cpus : NULL;
	p->smt_one = cfg->smt_one;
	p->mem = cfg->mem_mode;
	p->mem_fraction = cfg->mem_fraction;
	p->mem_size = cfg->mem_size;
	p->mem_keep = cfg->mem_keep;
	p->memonly = cfg->memory_only_nodes;
	p->memonly_kinds = cfg->memory_only_kinds;
	p->ikc = cfg->ikc;
	p->lwk_cpu_kind = cfg->lwk_cpu_kind;
	p->assistant = cfg->assistant_cores;
	if (!user)
		return;
	if (user->set & MCK_OPT_BIT(MCK_OPT_MEM)) {
		p->mem = user->mem_mode;
		if (user->mem_mode == MCK_MEM_SIZE)
			p->mem_size = user->mem_size;
		else
			p->mem_fraction = user->mem_fraction;
	}
	if (user->set & MCK_OPT_BIT(MCK_OPT_LINUX_CORES))
		p->linux_cores = user->linux_cores;	/* refused for CPU lists by mck_options_check */
	if (user->set & MCK_OPT_BIT(MCK_OPT_SMT))
		p->smt_one = user->smt_one;
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
	if ((user->set & MCK_OPT_BIT(MCK_OPT_MEM)) && user->mem_mode == MCK_MEM_SIZE && plan->mem_total)
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
