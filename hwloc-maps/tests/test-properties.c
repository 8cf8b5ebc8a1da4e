/*
 * test-properties.c: on every fixture under every policy combination the
 * planner either returns a plan that obeys IHK's rules (checked here with
 * hwloc directly, independently of mck_plan_check) or refuses with a
 * message naming a setting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mck-plan.h"
#include "mck-test.h"

static const char *const xml_fixtures[] = {
	"testnode.xml", "a64fx.xml", "knl-flat.xml", "xeon-2s-smt2.xml", "offline.xml",
	"restricted.xml", "cxl.xml", "hybrid.xml", "big1024.xml", "hybrid-unranked.xml",
};
static const char *const synthetic_fixtures[] = {
	"pack:2 numa:2 core:8 pu:2", "numa:2 core:4 pu:1", "core:2 pu:1",
	"pack:2 numa:1 core:6 pu:4", "numa:3 core:2 pu:1",
};

/* The NUMA node hwloc places a PU in: the smallest cpuset, ordinary before special. */
static hwloc_obj_t home_numa(hwloc_topology_t t, unsigned os)
{
	hwloc_obj_t n = NULL, best = NULL;

	while ((n = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_NUMANODE, n))) {
		if (!hwloc_bitmap_isset(n->cpuset, os))
			continue;
		if (!best || hwloc_bitmap_weight(n->cpuset) < hwloc_bitmap_weight(best->cpuset) ||
		    (hwloc_bitmap_weight(n->cpuset) == hwloc_bitmap_weight(best->cpuset) &&
		     !n->subtype && best->subtype))
			best = n;
	}
	return best;
}

static int is_cpuless(hwloc_topology_t t, hwloc_obj_t numa)
{
	hwloc_obj_t pu = NULL;

	while ((pu = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_PU, pu)))
		if (home_numa(t, pu->os_index) == numa)
			return 0;
	return 1;
}

/*
 * With --lwk-cpu-kind performance on a part with ranked CPU kinds, every
 * LWK CPU is of the last (most performant) kind; read with hwloc directly.
 */
static const char *kind_violation(hwloc_topology_t t, const struct mck_plan_policy *pol,
				  const struct mck_plan *p)
{
	int nr = hwloc_cpukinds_get_nr(t, 0), eff = -1;
	hwloc_bitmap_t perf;
	const char *why = NULL;

	if (pol->lwk_cpu_kind != MCK_CPU_KIND_PERFORMANCE || nr < 2)
		return NULL;
	perf = hwloc_bitmap_alloc();
	if (hwloc_cpukinds_get_info(t, nr - 1, perf, &eff, NULL, NULL, 0) < 0 || eff < 0)
		why = "performance-only plan on a part whose kinds hwloc does not rank";
	for (int i = 0; !why && i < p->n_lwk; i++)
		if (!hwloc_bitmap_isset(perf, p->lwk_cpus[i]))
			why = "LWK CPU of a non-performance kind with --lwk-cpu-kind performance";
	hwloc_bitmap_free(perf);
	return why;
}

static int same_plan(const struct mck_plan *a, const struct mck_plan *b)
{
	if (a->n_lwk != b->n_lwk || a->n_linux != b->n_linux || a->n_mem != b->n_mem)
		return 0;
	for (int i = 0; i < a->n_lwk; i++)
		if (a->lwk_cpus[i] != b->lwk_cpus[i] || a->ikc[i].linux_cpu != b->ikc[i].linux_cpu)
			return 0;
	for (int i = 0; i < a->n_mem; i++)
		if (a->mem[i].numa != b->mem[i].numa || a->mem[i].size != b->mem[i].size)
			return 0;
	return 1;
}

/* Returns NULL when the plan obeys every rule, else what is broken. */
static const char *violation(hwloc_topology_t t, const struct mck_plan_policy *pol,
			     const struct mck_plan *p)
{
	hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(t);
	hwloc_bitmap_t lwk = hwloc_bitmap_alloc(), lin = hwloc_bitmap_alloc();
	hwloc_bitmap_t cores = hwloc_bitmap_alloc();
	const char *why = NULL;
	int n_pus = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU), linux_allowed = 0;

	if (p->n_lwk < 1 || p->n_lwk > MCK_MAX_CPUS)
		why = "LWK CPU count outside 1..1024";
	for (int i = 0; !why && i < p->n_lwk; i++) {
		hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(t, p->lwk_cpus[i]);
		hwloc_obj_t core = pu ? hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_CORE, pu) : NULL;

		if (!pu)
			why = "LWK CPU not present/online";
		else if (!hwloc_bitmap_isset(allowed, pu->os_index))
			why = "LWK CPU not allowed";
		else if (hwloc_bitmap_isset(lwk, pu->os_index))
			why = "LWK CPU twice";
		else if (pol->smt_one && core && hwloc_bitmap_isset(cores, core->logical_index))
			why = "two threads of one core with smt one";
		hwloc_bitmap_set(lwk, p->lwk_cpus[i]);
		if (core)
			hwloc_bitmap_set(cores, core->logical_index);
	}
	for (int i = 0; !why && i < p->n_linux; i++) {
		if (!hwloc_get_pu_obj_by_os_index(t, p->linux_cpus[i]) ||
		    hwloc_bitmap_isset(lwk, p->linux_cpus[i]))
			why = "Linux CPU not present or also LWK";
		hwloc_bitmap_set(lin, p->linux_cpus[i]);
		linux_allowed += hwloc_bitmap_isset(allowed, p->linux_cpus[i]);
	}
	if (!why && p->n_lwk + p->n_linux != n_pus)
		why = "LWK and Linux CPUs do not cover the PUs exactly";
	if (!why && !linux_allowed)
		why = "no allowed Linux CPU left";
	for (int i = 0; !why && i < p->n_lwk; i++) {
		int d = p->ikc[i].linux_cpu;
		hwloc_obj_t src, dst;

		if (p->ikc[i].lwk_cpu != p->lwk_cpus[i]) {
			why = "IKC entry out of order";
			break;
		}
		dst = hwloc_get_pu_obj_by_os_index(t, d);
		if (!dst || hwloc_bitmap_isset(lwk, d) || !hwloc_bitmap_isset(allowed, d)) {
			why = "IKC target not an online allowed Linux CPU";
			break;
		}
		src = home_numa(t, p->lwk_cpus[i]);
		if (home_numa(t, d) != src) {
			hwloc_obj_t pu = NULL;

			while ((pu = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_PU, pu)))
				if (home_numa(t, pu->os_index) == src && !hwloc_bitmap_isset(lwk, pu->os_index) &&
				    hwloc_bitmap_isset(allowed, pu->os_index))
					why = "IKC target on another NUMA node though the node has a Linux CPU";
		}
	}
	if (!why && (p->n_mem < 1 || p->n_mem > MCK_MAX_MEM_CHUNKS))
		why = "memory chunk count outside 1..2048";
	for (int i = 0; !why && i < p->n_mem; i++) {
		hwloc_obj_t n = hwloc_get_numanode_obj_by_os_index(t, p->mem[i].numa);

		if (!n)
			why = "memory on a missing NUMA node";
		else if (!p->mem[i].size || p->mem[i].size % MCK_MEM_UNIT)
			why = "memory not in 4 MiB units";
		else if (p->mem[i].size * 50 > n->attr->numanode.local_memory * 49)
			why = "memory above 98% of the node";
		else if (!pol->mem_memonly && is_cpuless(t, n))
			why = "memory on a CPU-less node though memory-only nodes are excluded";
		for (int j = 0; !why && j < i; j++)
			if (p->mem[j].numa == p->mem[i].numa)
				why = "two chunks on one NUMA node";
	}
	hwloc_bitmap_free(lwk);
	hwloc_bitmap_free(lin);
	hwloc_bitmap_free(cores);
	return why;
}

static void run_fixture(const char *name, hwloc_topology_t t)
{
	static const char *const cpulists[] = { "0", "0-1" };
	int n_ok = 0, n_refused = 0, bad = 0, default_ok = 0, perf_ok = 0;
	int nr = hwloc_cpukinds_get_nr(t, 0), ranked = nr >= 2;

	for (int k = 0; k < nr; k++) {
		int eff = -1;

		if (hwloc_cpukinds_get_info(t, k, NULL, &eff, NULL, NULL, 0) < 0 || eff < 0)
			ranked = 0;
	}

	for (int keep = 0; keep < 6; keep++)
	for (int smt = 0; smt < 2; smt++)
	for (int mem = 0; mem < 5; mem++)
	for (int memonly = 0; memonly < 2; memonly++)
	for (int ikc = 0; ikc < 2; ikc++)
	for (int kind = 0; kind < 2; kind++) {
		struct mck_plan_policy pol;
		struct mck_error err = { 0 };
		struct mck_plan plan;
		const char *why;
		int rc;

		mck_plan_policy_init(&pol);
		pol.keep = keep < 2 ? MCK_KEEP_PER_NUMA : keep < 4 ? MCK_KEEP_PER_PACKAGE : MCK_KEEP_CPULIST;
		pol.linux_cores = keep % 2 ? 2 : 1;
		pol.linux_cpulist = cpulists[keep % 2];
		pol.smt_one = smt;
		pol.mem = mem < 2 ? MCK_MEM_FRACTION : mem < 4 ? MCK_MEM_SIZE : MCK_MEM_ALL_BUT;
		pol.mem_fraction = mem == 1 ? 0.98 : 0.5;
		pol.mem_size = mem == 2 ? 4ULL << 20 : 1ULL << 30;
		pol.mem_keep = 1ULL << 30;
		pol.mem_memonly = memonly;
		pol.ikc = ikc ? MCK_IKC_SPREAD : MCK_IKC_PER_NUMA;
		pol.lwk_cpu_kind = kind ? MCK_CPU_KIND_PERFORMANCE : MCK_CPU_KIND_ALL;

		rc = mck_plan_compute(t, &pol, &plan, &err);
		if (rc && kind && nr >= 2 && !ranked && !strstr(err.msg, "--lwk-cpu-kind")) {
			bad++;
			printf("# %s: unranked kinds refused without naming --lwk-cpu-kind: %s\n",
			       name, err.msg);
		}
		if (rc) {
			n_refused++;
			if (!err.msg[0] || (!strstr(err.msg, "--") && !strstr(err.msg, "topology"))) {
				bad++;
				printf("# %s keep %d smt %d mem %d: refusal without a setting: %s\n",
				       name, keep, smt, mem, err.msg);
			}
			continue;
		}
		n_ok++;
		if (keep == 0 && !smt && mem == 0 && !memonly && !ikc)
			*(kind ? &perf_ok : &default_ok) = 1;
		why = violation(t, &pol, &plan);
		if (!why)
			why = kind_violation(t, &pol, &plan);
		if (!why && kind && nr < 2) {
			struct mck_plan all;

			pol.lwk_cpu_kind = MCK_CPU_KIND_ALL;
			if (mck_plan_compute(t, &pol, &all, &err))
				why = "a single-kind node plans with performance but not with all";
			else {
				if (!same_plan(&plan, &all))
					why = "performance and all differ on a node with one CPU kind";
				mck_plan_free(&all);
			}
		}
		if (why) {
			bad++;
			printf("# %s keep %d smt %d mem %d memonly %d ikc %d kind %d: %s\n",
			       name, keep, smt, mem, memonly, ikc, kind, why);
		}
		if (mck_plan_check(t, &plan, &err)) {
			bad++;
			printf("# %s: mck_plan_check disagrees: %s\n", name, err.msg);
		}
		mck_plan_free(&plan);
	}
	ok(!bad, "%s: %d plans obey IHK's rules, %d refusals name a setting", name, n_ok, n_refused);
	ok(default_ok, "%s: the default policy gives a plan", name);
	if (nr < 2 || ranked)
		ok(perf_ok, "%s: --lwk-cpu-kind performance with the defaults gives a plan", name);
	else
		ok(!perf_ok, "%s: --lwk-cpu-kind performance is refused (kinds not ranked)", name);
}

int main(void)
{
	const char *top = getenv("top_srcdir");
	char path[4096];

	for (size_t i = 0; i < sizeof(xml_fixtures) / sizeof(*xml_fixtures); i++) {
		struct mck_error err = { 0 };
		hwloc_topology_t t;

		snprintf(path, sizeof(path), "%s/hwloc-maps/tests/fixtures/%s", top ? top : ".",
			 xml_fixtures[i]);
		if (mck_topo_load(path, NULL, &t, &err)) {
			ok(0, "%s loads: %s", xml_fixtures[i], err.msg);
			continue;
		}
		run_fixture(xml_fixtures[i], t);
		hwloc_topology_destroy(t);
	}
	for (size_t i = 0; i < sizeof(synthetic_fixtures) / sizeof(*synthetic_fixtures); i++) {
		struct mck_error err = { 0 };
		hwloc_topology_t t;

		if (mck_topo_load(NULL, synthetic_fixtures[i], &t, &err)) {
			ok(0, "%s loads: %s", synthetic_fixtures[i], err.msg);
			continue;
		}
		run_fixture(synthetic_fixtures[i], t);
		hwloc_topology_destroy(t);
	}
	return done_testing();
}
