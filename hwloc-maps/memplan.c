/*
 * memplan.c: how much memory of each NUMA node McKernel gets. Every
 * allowed NUMA node with CPUs; memory-only nodes by kind (high-bandwidth
 * memory by default, CXL/NVDIMM/DAX when the operator says so, a GPU's
 * memory never); at most 95% of a node, in 4 MiB units. A NUMA node with
 * CPUs that gets nothing is a warning.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "plan-internal.h"

/* The memory McKernel gets on NUMA node n under the policy, in 4 MiB units. */
static int mem_for_node(const struct mck_model_numa *n, const struct mck_plan_policy *pol,
			uint64_t *size, struct mck_error *err)
{
	uint64_t s = 0;
	char a[32], b[32];

	switch (pol->mem) {
	case MCK_MEM_FRACTION:
		s = (uint64_t)((double)n->mem * pol->mem_fraction);
		break;
	case MCK_MEM_SIZE:
		s = pol->mem_size;
		if (s > n->mem) {
			mck_size_format(s, a, sizeof(a));
			mck_size_format(n->mem, b, sizeof(b));
			return mck_fail(err, -ENOMEM,
					"--mem-size %s is more than NUMA node %d has (%s); lower --mem-size",
					a, n->os, b);
		}
		break;
	case MCK_MEM_ALL_BUT:
		if (pol->mem_keep >= n->mem) {
			mck_size_format(pol->mem_keep, a, sizeof(a));
			mck_size_format(n->mem, b, sizeof(b));
			return mck_fail(err, -ENOMEM,
					"--mem-keep %s leaves nothing of NUMA node %d (%s) for McKernel; lower --mem-keep",
					a, n->os, b);
		}
		s = n->mem - pol->mem_keep;
		break;
	}
	s -= s % MCK_MEM_UNIT;
	if (s * 100 > n->mem * MCK_MEM_CAP_PERCENT) {
		mck_size_format(s, a, sizeof(a));
		mck_size_format(n->mem, b, sizeof(b));
		return mck_fail(err, -ENOMEM,
				"McKernel would get %s of NUMA node %d's %s, above IHK's %d%% cap; %s",
				a, n->os, b, MCK_MEM_CAP_PERCENT,
				pol->mem == MCK_MEM_ALL_BUT ? "raise --mem-keep" :
				pol->mem == MCK_MEM_SIZE ? "lower --mem-size" : "lower --mem-fraction");
	}
	*size = s;
	return 0;
}

/* "--mem-fraction 0.5" and the like, into buf. */
static const char *mem_option(const struct mck_plan_policy *pol, char *buf, size_t len)
{
	char s[32];

	if (pol->mem == MCK_MEM_FRACTION) {
		snprintf(buf, len, "--mem-fraction %g", pol->mem_fraction);
	} else {
		mck_size_format(pol->mem == MCK_MEM_SIZE ? pol->mem_size : pol->mem_keep, s, sizeof(s));
		snprintf(buf, len, "%s %s", pol->mem == MCK_MEM_SIZE ? "--mem-size" : "--mem-keep", s);
	}
	return buf;
}

/* Whether the policy gives McKernel memory-only node n; why says why (not). */
static int memonly_used(const struct mck_model_numa *n, const struct mck_plan_policy *pol,
			char *why, size_t len)
{
	char kinds[64];
	const char *name = mck_memkind_name(n->memkind), *what = mck_memkind_what(n->memkind);
	int dflt = pol->memonly_kinds == MCK_MEMKINDS_DEFAULT;

	mck_memonly_format(pol->memonly, pol->memonly_kinds, kinds, sizeof(kinds));
	if (n->memkind == MCK_MEMKIND_GPU) {
		snprintf(why, len, "never used: it belongs to the GPU");
		return 0;
	}
	if (pol->memonly == MCK_MEMONLY_EXCLUDE) {
		snprintf(why, len, "not used: --memory-only-nodes exclude");
		return 0;
	}
	if (pol->memonly == MCK_MEMONLY_INCLUDE) {
		snprintf(why, len, "every memory-only node but a GPU's is used (--memory-only-nodes include)");
		return 1;
	}
	if (pol->memonly_kinds & n->memkind) {
		snprintf(why, len, "%s is used%s (--memory-only-nodes %s)",
			 what, dflt ? " by default" : "", kinds);
		return 1;
	}
	snprintf(why, len, "not used: %s is used only when the operator says so (--memory-only-nodes %s,%s, or include)",
		 what, kinds, name);
	return 0;
}

/* Notes (and warnings) of node ni; size is McKernel's share, 0 for none. */
static int note_node(const struct mck_model *m, int ni, const struct mck_plan_policy *pol,
		     uint64_t size, const char *memonly_why, struct mck_plan *plan)
{
	const struct mck_model_numa *n = &m->numas[ni];
	char total[32], lwk[32], lin[32], opt[64], tie[96] = "";

	mck_size_format(n->mem, total, sizeof(total));
	mck_size_format(size, lwk, sizeof(lwk));
	mck_size_format(n->mem - size, lin, sizeof(lin));
	if (n->tied_with >= 0)
		snprintf(tie, sizeof(tie), "; it has NUMA node %d's CPUs in the topology but much less memory",
			 m->numas[n->tied_with].os);
	if (ni == m->no_numa)
		return mck_note_add(plan, MCK_NOTE_WARNING,
				    "some CPUs belong to no NUMA node in the topology: they are planned as a group of their own, with no McKernel memory near them; check the topology (lstopo --of xml on the node)");
	if (!n->n_pus && size)
		return mck_note_add(plan, MCK_NOTE_MEMORY,
				    "NUMA node %d (memory only, %s, %s%s): McKernel %s, Linux %s (%s): %s",
				    n->os, total, n->kind_why, tie, lwk, lin,
				    mem_option(pol, opt, sizeof(opt)), memonly_why);
	if (!n->n_pus)
		return mck_note_add(plan, MCK_NOTE_UNUSED, "NUMA node %d (memory only, %s, %s%s): %s",
				    n->os, total, n->kind_why, tie, memonly_why);
	if (size)
		return mck_note_add(plan, MCK_NOTE_MEMORY, "NUMA node %d (%s, with CPUs): McKernel %s, Linux %s (%s)",
				    n->os, total, lwk, lin, mem_option(pol, opt, sizeof(opt)));
	return mck_note_add(plan, MCK_NOTE_WARNING,
			    "NUMA node %d has CPUs but gets no McKernel memory: %s",
			    n->os, !n->allowed ? "it is outside the allowed nodeset (a cgroup's cpuset.mems?)" :
			    !n->mem ? "the topology reports no memory on it" :
			    "it has too little memory for one 4 MiB unit");
}

/* The refusal when no node gives McKernel memory. */
static int no_memory(const struct mck_model *m, const struct mck_plan_policy *pol,
		     struct mck_error *err)
{
	int any_mem = 0, any_allowed = 0;

	for (int i = 0; i < m->n_numas; i++) {
		any_mem |= m->numas[i].mem > 0;
		any_allowed |= m->numas[i].allowed && m->numas[i].mem > 0;
	}
	if (!any_mem)
		return mck_fail(err, -ENOMEM,
				"the topology reports no memory on any NUMA node: use a topology that does, written on the node by lstopo --of xml (hwloc 2.x, as root)");
	if (!any_allowed)
		return mck_fail(err, -ENOMEM,
				"no usable memory: every NUMA node with memory is outside the allowed nodeset; allow McKernel's NUMA nodes (cgroup cpuset.mems) or use the node's full topology");
	return mck_fail(err, -ENOMEM,
			"no usable memory: the allowed NUMA nodes %sreport too little memory for a 4 MiB unit; raise --mem-fraction or --mem-size",
			pol->memonly == MCK_MEMONLY_EXCLUDE ? "with CPUs " : "");
}

/* The NUMA node indexes in OS index order (hwloc's logical order may differ). */
static void os_order(const struct mck_model *m, int *order)
{
	for (int i = 0; i < m->n_numas; i++) {
		int j = i;

		while (j > 0 && (unsigned)m->numas[order[j - 1]].os > (unsigned)m->numas[i].os) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
}

int mck_plan_memory(const struct mck_model *m, const struct mck_plan_policy *pol,
		    struct mck_plan *plan, struct mck_error *err)
{
	int *order = calloc(m->n_numas + 1, sizeof(int)), rc = 0;

	plan->mem = calloc(m->n_numas, sizeof(*plan->mem));
	plan->mem_total = calloc(m->n_numas, sizeof(*plan->mem_total));
	if (!plan->mem || !plan->mem_total || !order) {
		free(order);
		return mck_fail(err, -ENOMEM, "out of memory");
	}
	os_order(m, order);
	for (int k = 0; k < m->n_numas && !rc; k++) {
		int i = order[k];
		const struct mck_model_numa *n = &m->numas[i];
		uint64_t size = 0;
		char why[256] = "";
		int use = n->allowed && n->obj;

		if (use && !n->n_pus)
			use = memonly_used(n, pol, why, sizeof(why));
		else if (!n->n_pus)
			snprintf(why, sizeof(why), "not used: outside the allowed nodeset");
		if (use && n->mem && n->n_pus) {
			rc = mem_for_node(n, pol, &size, err);
			if (rc)
				break;
		} else if (use && n->mem) {
			struct mck_error sub = { 0 };

			/* a memory-only node the size policy does not fit is left out, not refused */
			if (mem_for_node(n, pol, &size, &sub))
				snprintf(why, sizeof(why), "not used: %.200s", sub.msg);
		}
		if (use && n->mem && !size && !n->n_pus)
			snprintf(why, sizeof(why), "not used: too little memory for one 4 MiB unit");
		if (size) {
			plan->mem[plan->n_mem].numa = n->os;
			plan->mem[plan->n_mem].size = size;
			plan->mem_total[plan->n_mem] = n->mem;
			plan->n_mem++;
		}
		if (note_node(m, i, pol, size, why, plan))
			rc = mck_fail(err, -ENOMEM, "out of memory");
	}
	free(order);
	if (rc)
		return rc;
	return plan->n_mem ? 0 : no_memory(m, pol, err);
}
