/*
 * check.c: a plan checked against IHK's rules on a topology, independently
 * of how the planner made it (see mck_plan_check in mck-plan.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "plan-internal.h"

int mck_plan_check(hwloc_topology_t topo, const struct mck_plan *plan,
		   struct mck_error *err)
{
	struct mck_model m;
	char *is_lwk = NULL;
	int rc, n_linux_allowed = 0;

	rc = mck_model_build(topo, &m, err);
	if (rc)
		return rc;
	rc = -EINVAL;
	is_lwk = calloc(m.max_os, 1);
	if (!is_lwk) {
		rc = mck_fail(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if (plan->n_lwk <= 0 || plan->n_lwk > MCK_MAX_CPUS) {
		mck_fail(err, rc, "the plan has %d LWK CPUs, IHK needs 1 to %d", plan->n_lwk, MCK_MAX_CPUS);
		goto fail;
	}
	for (int i = 0; i < plan->n_lwk; i++) {
		int c = plan->lwk_cpus[i], pi = c >= 0 && c < m.max_os ? m.pu_by_os[c] : -1;

		if (pi < 0) {
			mck_fail(err, rc, "LWK CPU %d is not a present, online CPU of this node", c);
			goto fail;
		}
		if (!m.pus[pi].allowed) {
			mck_fail(err, rc, "LWK CPU %d is outside the node's allowed cpuset", c);
			goto fail;
		}
		if (is_lwk[c]) {
			mck_fail(err, rc, "LWK CPU %d is listed twice", c);
			goto fail;
		}
		is_lwk[c] = 1;
	}
	for (int i = 0; i < m.n_pus; i++)
		n_linux_allowed += !is_lwk[m.pus[i].os] && m.pus[i].allowed;
	if (!n_linux_allowed) {
		mck_fail(err, rc, "the plan leaves no allowed CPU to Linux");
		goto fail;
	}
	for (int i = 0; i < plan->n_lwk; i++) {
		const struct mck_ikc_pair *p = &plan->ikc[i];
		int d = p->linux_cpu, di = d >= 0 && d < m.max_os ? m.pu_by_os[d] : -1;
		int si = m.pu_by_os[plan->lwk_cpus[i]];

		if (p->lwk_cpu != plan->lwk_cpus[i]) {
			mck_fail(err, rc, "IKC entry %d is for CPU %d, expected LWK CPU %d", i,
				 p->lwk_cpu, plan->lwk_cpus[i]);
			goto fail;
		}
		if (di < 0 || is_lwk[d] || !m.pus[di].allowed) {
			mck_fail(err, rc, "IKC target %d of LWK CPU %d is not an online, allowed Linux CPU",
				 d, p->lwk_cpu);
			goto fail;
		}
		if (m.pus[di].numa != m.pus[si].numa) {
			int numa_has_linux = 0;

			for (int j = 0; j < m.n_pus && !numa_has_linux; j++)
				numa_has_linux = m.pus[j].numa == m.pus[si].numa &&
						 !is_lwk[m.pus[j].os] && m.pus[j].allowed;
			if (numa_has_linux) {
				mck_fail(err, rc, "IKC target %d of LWK CPU %d is on NUMA node %d, but NUMA node %d has a Linux CPU",
					 d, p->lwk_cpu, m.numas[m.pus[di].numa].os,
					 m.numas[m.pus[si].numa].os);
				goto fail;
			}
		}
	}
	if (plan->n_mem <= 0 || plan->n_mem > MCK_MAX_MEM_CHUNKS) {
		mck_fail(err, rc, "the plan has %d memory chunks, IHK needs 1 to %d", plan->n_mem,
			 MCK_MAX_MEM_CHUNKS);
		goto fail;
	}
	for (int i = 0; i < plan->n_mem; i++) {
		const struct mck_mem_chunk *c = &plan->mem[i];
		int ni = mck_model_numa_index(&m, c->numa);

		if (ni < 0 || !m.numas[ni].allowed) {
			mck_fail(err, rc, "memory chunk %d is on NUMA node %d, which is not an allowed node", i, c->numa);
			goto fail;
		}
		for (int j = 0; j < i; j++)
			if (plan->mem[j].numa == c->numa) {
				mck_fail(err, rc, "NUMA node %d has two memory chunks", c->numa);
				goto fail;
			}
		if (!c->size || c->size % MCK_MEM_UNIT) {
			mck_fail(err, rc, "memory chunk on NUMA node %d is %llu bytes, not a positive multiple of 4 MiB",
				 c->numa, (unsigned long long)c->size);
			goto fail;
		}
		if (c->size * 100 > m.numas[ni].mem * MCK_MEM_CAP_PERCENT) {
			mck_fail(err, rc, "memory chunk on NUMA node %d exceeds IHK's %d%% cap of the node",
				 c->numa, MCK_MEM_CAP_PERCENT);
			goto fail;
		}
	}
	rc = 0;
fail:
	free(is_lwk);
	mck_model_free(&m);
	return rc;
}
