/*
 * test-properties.c: on every fixture under every policy combination the
 * planner either returns a plan that obeys IHK's rules and the policy
 * (checked here with hwloc directly, independently of mck_plan_check) or
 * refuses with a message naming a setting. Dimensions that cannot change a
 * plan on a node (CPU kinds on a one-kind node, memory-only policies on a
 * node without memory-only nodes) are run once and compared where cheap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mck-plan.h"
#include "mck-test.h"

static const char *const xml_fixtures[] = {
	"testnode.xml", "a64fx.xml", "knl-flat.xml", "xeon-2s-smt2.xml", "offline.xml",
	"restricted.xml", "cxl.xml", "hybrid.xml", "big1024.xml", "hybrid-unranked.xml",
	"a64fx-assist.xml", "cod.xml", "hetero-mem.xml", "knl-v1.xml", "power9-gpu.xml",
	"power9-nosubtype.xml", "nonuma0.xml",
};
static const char *const synthetic_fixtures[] = {
	"pack:2 numa:2 core:8 pu:2", "numa:2 core:4 pu:1", "core:2 pu:1",
	"pack:2 numa:1 core:6 pu:4", "numa:3 core:2 pu:1",
	"pack:1 [numa(memory=64GiB)] [numa(memory=8GiB)] core:4 pu:2",
};

/* What the oracle knows of a node, read with hwloc only. */
struct oracle {
	hwloc_topology_t t;
	int max_os;
	hwloc_obj_t *home;	/* per PU os index: its NUMA node, NULL for none */
	int *core;		/* per PU os index: its core's logical index, -1 none; -2 no PU */
	int n_kinds, ranked;
};

static int ordinary(hwloc_obj_t n)
{
	return (!n->subtype || !strcmp(n->subtype, "DRAM")) &&
	       !hwloc_obj_get_info_by_name(n, "DAXDevice");
}

/*
 * A PU's NUMA node: of the nodes whose cpuset holds it, the smallest; when
 * several share that cpuset, those that can hold CPUs (ordinary memory at
 * least half as large as the largest) split its cores in order, evenly.
 */
static hwloc_obj_t oracle_home(hwloc_topology_t t, hwloc_obj_t pu)
{
	hwloc_obj_t n = NULL, best = NULL, bearers[64], c = NULL;
	hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_CORE, pu);
	int k = 0, any_ordinary = 0, rank = 0, n_cores = 0;
	hwloc_uint64_t max = 0;

	while ((n = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_NUMANODE, n)))
		if (hwloc_bitmap_isset(n->cpuset, pu->os_index) &&
		    (!best || hwloc_bitmap_weight(n->cpuset) < hwloc_bitmap_weight(best->cpuset)))
			best = n;
	if (!best)
		return NULL;
	while ((n = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_NUMANODE, n)))
		if (hwloc_bitmap_isequal(n->cpuset, best->cpuset))
			any_ordinary |= ordinary(n);
	while ((n = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_NUMANODE, n)))
		if (hwloc_bitmap_isequal(n->cpuset, best->cpuset) && (!any_ordinary || ordinary(n)) &&
		    n->attr->numanode.local_memory > max)
			max = n->attr->numanode.local_memory;
	/* bearers in OS index order */
	while ((n = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_NUMANODE, n)) && k < 64) {
		int j = k++;

		if (!hwloc_bitmap_isequal(n->cpuset, best->cpuset) || (any_ordinary && !ordinary(n)) ||
		    n->attr->numanode.local_memory * 2 < max) {
			k--;
			continue;
		}
		while (j > 0 && bearers[j - 1]->os_index > n->os_index) {
			bearers[j] = bearers[j - 1];
			j--;
		}
		bearers[j] = n;
	}
	if (k <= 1 || !core)
		return k ? bearers[0] : best;
	while ((c = hwloc_get_next_obj_inside_cpuset_by_type(t, best->cpuset, HWLOC_OBJ_CORE, c))) {
		if (c == core)
			rank = n_cores;
		n_cores++;
	}
	return bearers[rank * k / n_cores];
}

static int oracle_init(struct oracle *o, hwloc_topology_t t)
{
	hwloc_obj_t pu = NULL;

	memset(o, 0, sizeof(*o));
	o->t = t;
	o->max_os = hwloc_bitmap_last(hwloc_topology_get_complete_cpuset(t)) + 1;
	o->home = calloc(o->max_os + 1, sizeof(*o->home));
	o->core = calloc(o->max_os + 1, sizeof(*o->core));
	if (!o->home || !o->core)
		return -1;
	for (int i = 0; i <= o->max_os; i++)
		o->core[i] = -2;
	while ((pu = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_PU, pu))) {
		hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_CORE, pu);

		o->home[pu->os_index] = oracle_home(t, pu);
		o->core[pu->os_index] = core ? (int)core->logical_index : -1;
	}
	o->n_kinds = hwloc_cpukinds_get_nr(t, 0);
	o->ranked = o->n_kinds >= 2;
	for (int k = 0; k < o->n_kinds; k++) {
		int eff = -1;

		if (hwloc_cpukinds_get_info(t, k, NULL, &eff, NULL, NULL, 0) < 0 || eff < 0)
			o->ranked = 0;
	}
	return 0;
}

/* An online PU with that OS index. */
static int present(const struct oracle *o, int os)
{
	return os >= 0 && os < o->max_os && o->core[os] != -2;
}

static int is_cpuless(const struct oracle *o, hwloc_obj_t numa)
{
	for (int i = 0; i < o->max_os; i++)
		if (o->home[i] == numa)
			return 0;
	return 1;
}

/* The kind of a CPU-less node, from its subtype, its DAX device, or the CPU model. */
static unsigned oracle_kind(const struct oracle *o, hwloc_obj_t n)
{
	static const struct { const char *s; unsigned kind; } st[] = {
		{ "MCDRAM", MCK_MEMKIND_HBM }, { "HBM", MCK_MEMKIND_HBM },
		{ "GPUMemory", MCK_MEMKIND_GPU }, { "CXL-DRAM", MCK_MEMKIND_CXL },
		{ "CXL-NVM", MCK_MEMKIND_CXL }, { "CXL", MCK_MEMKIND_CXL },
		{ "NVM", MCK_MEMKIND_NVDIMM }, { "SPM", MCK_MEMKIND_DAX },
	};
	const char *dax = hwloc_obj_get_info_by_name(n, "DAXType"), *model = NULL;
	hwloc_obj_t p = NULL;

	for (size_t i = 0; n->subtype && i < sizeof(st) / sizeof(st[0]); i++)
		if (!strcmp(n->subtype, st[i].s))
			return st[i].kind;
	if (hwloc_obj_get_info_by_name(n, "DAXDevice"))
		return dax && !strcmp(dax, "NVM") ? MCK_MEMKIND_NVDIMM : MCK_MEMKIND_DAX;
	if (n->subtype)
		return MCK_MEMKIND_UNKNOWN;
	while (!model && (p = hwloc_get_next_obj_by_type(o->t, HWLOC_OBJ_PACKAGE, p)))
		model = hwloc_obj_get_info_by_name(p, "CPUModel");
	if (model && strstr(model, "Xeon Phi"))
		return MCK_MEMKIND_HBM;
	if (model && strstr(model, "POWER9"))
		return MCK_MEMKIND_GPU;
	return MCK_MEMKIND_UNKNOWN;
}

static int memonly_allowed(const struct mck_plan_policy *pol, unsigned kind)
{
	if (kind == MCK_MEMKIND_GPU || pol->memonly == MCK_MEMONLY_EXCLUDE)
		return 0;
	return pol->memonly == MCK_MEMONLY_INCLUDE || (pol->memonly_kinds & kind);
}

/*
 * With the performance kind in force, every LWK CPU is of the last (most
 * performant) kind; read with hwloc directly.
 */
static const char *kind_violation(const struct oracle *o, const struct mck_plan_policy *pol,
				  const struct mck_plan *p)
{
	hwloc_bitmap_t perf;
	const char *why = NULL;
	int perf_mode = pol->lwk_cpu_kind == MCK_CPU_KIND_PERFORMANCE ||
			(pol->lwk_cpu_kind == MCK_CPU_KIND_AUTO && o->ranked);

	if (!perf_mode || o->n_kinds < 2)
		return NULL;
	if (!o->ranked)
		return "performance-only plan on a part whose kinds hwloc does not rank";
	perf = hwloc_bitmap_alloc();
	hwloc_cpukinds_get_info(o->t, o->n_kinds - 1, perf, NULL, NULL, NULL, 0);
	for (int i = 0; !why && i < p->n_lwk; i++)
		if (!hwloc_bitmap_isset(perf, p->lwk_cpus[i]))
			why = "LWK CPU of a non-performance kind with the performance kind in force";
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

/* A warning of the plan names NUMA node os. */
static int warned(const struct mck_plan *p, int os)
{
	char needle[32];

	snprintf(needle, sizeof(needle), "NUMA node %d ", os);
	for (int i = 0; i < p->n_notes; i++)
		if (p->notes[i].kind == MCK_NOTE_WARNING && strstr(p->notes[i].text, needle))
			return 1;
	return 0;
}

static const char *cpu_violation(const struct oracle *o, const struct mck_plan_policy *pol,
				 const struct mck_plan *p, hwloc_bitmap_t lwk)
{
	hwloc_topology_t t = o->t;
	hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(t);
	hwloc_bitmap_t seen = hwloc_bitmap_alloc(), cores = hwloc_bitmap_alloc();
	const char *why = NULL;
	int linux_allowed = 0;

	if (p->n_lwk < 1 || p->n_lwk > MCK_MAX_CPUS)
		why = "LWK CPU count outside 1..1024";
	for (int i = 0; !why && i < p->n_lwk; i++) {
		int c = p->lwk_cpus[i], core = present(o, c) ? o->core[c] : -1;

		if (!present(o, c))
			why = "LWK CPU not present/online";
		else if (!hwloc_bitmap_isset(allowed, c))
			why = "LWK CPU not allowed";
		else if (hwloc_bitmap_isset(lwk, c))
			why = "LWK CPU twice";
		else if (pol->smt_one && core >= 0 && hwloc_bitmap_isset(cores, core))
			why = "two threads of one core with smt one";
		hwloc_bitmap_set(lwk, c);
		if (core >= 0)
			hwloc_bitmap_set(cores, core);
	}
	for (int i = 0; !why && i < p->n_linux + p->n_idle; i++) {
		int c = i < p->n_linux ? p->linux_cpus[i] : p->idle_cpus[i - p->n_linux];

		if (!present(o, c) || hwloc_bitmap_isset(lwk, c) ||
		    hwloc_bitmap_isset(seen, c))
			why = "Linux or idle CPU not present, also LWK, or listed twice";
		hwloc_bitmap_set(seen, c);
		linux_allowed += i < p->n_linux && hwloc_bitmap_isset(allowed, c);
	}
	for (int i = 0; !why && i < p->n_idle; i++)
		for (int k = 0; k < p->n_lwk && !why; k++)
			if (p->ikc[k].linux_cpu == p->idle_cpus[i])
				why = "an idle CPU serves system calls";
	if (!why && p->n_lwk + p->n_linux + p->n_idle != hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU))
		why = "LWK, Linux and idle CPUs do not cover the PUs exactly";
	if (!why && !linux_allowed)
		why = "no allowed Linux CPU left";
	hwloc_bitmap_free(seen);
	hwloc_bitmap_free(cores);
	return why;
}

static const char *ikc_violation(const struct oracle *o, const struct mck_plan *p,
				 hwloc_const_bitmap_t lwk)
{
	hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(o->t);

	for (int i = 0; i < p->n_lwk; i++) {
		int d = p->ikc[i].linux_cpu;
		hwloc_obj_t src;

		if (p->ikc[i].lwk_cpu != p->lwk_cpus[i])
			return "IKC entry out of order";
		if (!present(o, d) ||
		    hwloc_bitmap_isset(lwk, d) || !hwloc_bitmap_isset(allowed, d))
			return "IKC target not an online allowed Linux CPU";
		src = o->home[p->lwk_cpus[i]];
		if (o->home[d] == src)
			continue;
		for (int c = 0; c < o->max_os; c++)
			if (o->home[c] == src && present(o, c) &&
			    !hwloc_bitmap_isset(lwk, c) && hwloc_bitmap_isset(allowed, c))
				return "IKC target on another NUMA node though the node has a Linux CPU";
	}
	return NULL;
}

static const char *mem_violation(const struct oracle *o, const struct mck_plan_policy *pol,
				 const struct mck_plan *p)
{
	hwloc_const_nodeset_t allowed = hwloc_topology_get_allowed_nodeset(o->t);
	hwloc_obj_t n = NULL;

	if (p->n_mem < 1 || p->n_mem > MCK_MAX_MEM_CHUNKS)
		return "memory chunk count outside 1..2048";
	for (int i = 0; i < p->n_mem; i++) {
		n = hwloc_get_numanode_obj_by_os_index(o->t, p->mem[i].numa);
		if (!n)
			return "memory on a missing NUMA node";
		if (!p->mem[i].size || p->mem[i].size % MCK_MEM_UNIT)
			return "memory not in 4 MiB units";
		if (p->mem[i].size * 100 > n->attr->numanode.local_memory * 95)
			return "memory above 95% of the node";
		if (is_cpuless(o, n) && !memonly_allowed(pol, oracle_kind(o, n)))
			return "memory on a CPU-less node of a kind the policy excludes";
		for (int j = 0; j < i; j++)
			if (p->mem[j].numa == p->mem[i].numa)
				return "two chunks on one NUMA node";
	}
	/* every allowed NUMA node with CPUs gets memory, or a warning names it */
	n = NULL;
	while ((n = hwloc_get_next_obj_by_type(o->t, HWLOC_OBJ_NUMANODE, n))) {
		int has = 0;

		if (is_cpuless(o, n) || !hwloc_bitmap_isset(allowed, n->os_index))
			continue;
		for (int i = 0; i < p->n_mem; i++)
			has |= p->mem[i].numa == (int)n->os_index;
		if (!has && !warned(p, (int)n->os_index))
			return "a NUMA node with CPUs gets no memory and no warning";
	}
	return NULL;
}

/* Returns NULL when the plan obeys every rule, else what is broken. */
static const char *violation(const struct oracle *o, const struct mck_plan_policy *pol,
			     const struct mck_plan *p)
{
	hwloc_bitmap_t lwk = hwloc_bitmap_alloc();
	const char *why = cpu_violation(o, pol, p, lwk);

	if (!why)
		why = ikc_violation(o, p, lwk);
	if (!why)
		why = mem_violation(o, pol, p);
	if (!why)
		why = kind_violation(o, pol, p);
	hwloc_bitmap_free(lwk);
	return why;
}

static int has_cpuless(const struct oracle *o)
{
	hwloc_obj_t n = NULL;

	while ((n = hwloc_get_next_obj_by_type(o->t, HWLOC_OBJ_NUMANODE, n)))
		if (is_cpuless(o, n))
			return 1;
	return 0;
}

static void set_policy(struct mck_plan_policy *pol, int keep, int smt, int mem, int memonly,
		       int ikc, int kind, int assist)
{
	static const char *const cpulists[] = { "0", "0-1" };

	mck_plan_policy_init(pol);
	pol->keep = keep < 2 ? MCK_KEEP_PER_NUMA : keep < 4 ? MCK_KEEP_PER_PACKAGE : MCK_KEEP_CPULIST;
	pol->linux_cores = keep % 2 ? 2 : 1;
	pol->linux_cpulist = cpulists[keep % 2];
	pol->smt_one = smt;
	pol->mem = mem < 2 ? MCK_MEM_FRACTION : mem < 4 ? MCK_MEM_SIZE : MCK_MEM_ALL_BUT;
	pol->mem_fraction = mem == 1 ? 0.95 : 0.5;
	pol->mem_size = mem == 2 ? 4ULL << 20 : 1ULL << 30;
	pol->mem_keep = 1ULL << 30;
	pol->memonly = memonly == 1 ? MCK_MEMONLY_EXCLUDE : memonly == 2 ? MCK_MEMONLY_INCLUDE
							  : MCK_MEMONLY_KINDS;
	pol->memonly_kinds = memonly == 3 ? MCK_MEMKIND_HBM | MCK_MEMKIND_CXL | MCK_MEMKIND_NVDIMM |
					    MCK_MEMKIND_DAX | MCK_MEMKIND_UNKNOWN
					  : MCK_MEMKINDS_DEFAULT;
	pol->ikc = ikc ? MCK_IKC_PER_NUMA : MCK_IKC_SPREAD;
	pol->lwk_cpu_kind = kind == 0 ? MCK_CPU_KIND_AUTO : kind == 1 ? MCK_CPU_KIND_ALL
							 : MCK_CPU_KIND_PERFORMANCE;
	pol->assistant = assist ? MCK_ASSISTANT_LWK : MCK_ASSISTANT_LINUX;
}

struct tally {
	int ok, refused, bad, default_ok, perf_ok;
};

static void check_one(const struct oracle *o, const char *name, const struct mck_plan_policy *pol,
		      const char *combo, int is_default, int is_perf, struct tally *ty)
{
	struct mck_error err = { 0 };
	struct mck_plan plan;
	const char *why;

	if (mck_plan_compute(o->t, pol, &plan, &err)) {
		ty->refused++;
		if (!err.msg[0] || (!strstr(err.msg, "--") && !strstr(err.msg, "topology"))) {
			ty->bad++;
			printf("# %s %s: refusal without a setting: %s\n", name, combo, err.msg);
		}
		if (is_perf && o->n_kinds >= 2 && !o->ranked && !strstr(err.msg, "--lwk-cpu-kind")) {
			ty->bad++;
			printf("# %s: unranked kinds refused without naming --lwk-cpu-kind: %s\n",
			       name, err.msg);
		}
		return;
	}
	ty->ok++;
	ty->default_ok |= is_default;
	ty->perf_ok |= is_perf;
	why = violation(o, pol, &plan);
	if (why) {
		ty->bad++;
		printf("# %s %s: %s\n", name, combo, why);
	}
	if (mck_plan_check(o->t, &plan, &err)) {
		ty->bad++;
		printf("# %s %s: mck_plan_check disagrees: %s\n", name, combo, err.msg);
	}
	mck_plan_free(&plan);
}

/* On a node with one CPU kind, every --lwk-cpu-kind gives the default plan. */
static void check_kinds_agree(const struct oracle *o, const char *name, struct tally *ty)
{
	struct mck_plan_policy pol;
	struct mck_error err = { 0 };
	struct mck_plan a, b;

	if (o->n_kinds >= 2)
		return;
	set_policy(&pol, 0, 0, 0, 0, 0, 0, 0);
	if (mck_plan_compute(o->t, &pol, &a, &err))
		return;
	for (int kind = 1; kind < 3; kind++) {
		set_policy(&pol, 0, 0, 0, 0, 0, kind, 0);
		if (mck_plan_compute(o->t, &pol, &b, &err)) {
			ty->bad++;
			printf("# %s: a single-kind node plans by default but not with kind %d\n", name, kind);
			continue;
		}
		if (!same_plan(&a, &b)) {
			ty->bad++;
			printf("# %s: kind %d differs from the default on a node with one CPU kind\n",
			       name, kind);
		}
		mck_plan_free(&b);
	}
	mck_plan_free(&a);
}

static void run_fixture(const char *name, hwloc_topology_t t)
{
	struct oracle o;
	struct tally ty = { 0 };
	int n_memonly, n_kind;

	if (oracle_init(&o, t)) {
		ok(0, "%s: oracle", name);
		return;
	}
	n_memonly = has_cpuless(&o) ? 4 : 1;
	n_kind = o.n_kinds >= 2 ? 3 : 1;
	for (int keep = 0; keep < 6; keep++)
	for (int smt = 0; smt < 2; smt++)
	for (int mem = 0; mem < 5; mem++)
	for (int memonly = 0; memonly < n_memonly; memonly++)
	for (int ikc = 0; ikc < 2; ikc++)
	for (int kind = 0; kind < n_kind; kind++)
	for (int assist = 0; assist < (smt || mem ? 1 : 2); assist++) {
		struct mck_plan_policy pol;
		char combo[96];
		int plain = keep == 0 && !smt && mem == 0 && !memonly && !ikc && !assist;

		set_policy(&pol, keep, smt, mem, memonly, ikc, kind, assist);
		snprintf(combo, sizeof(combo), "keep %d smt %d mem %d memonly %d ikc %d kind %d assist %d",
			 keep, smt, mem, memonly, ikc, kind, assist);
		check_one(&o, name, &pol, combo, plain && kind == 0, plain && kind == 2, &ty);
	}
	check_kinds_agree(&o, name, &ty);
	ok(!ty.bad, "%s: %d plans obey IHK's rules and the policy, %d refusals name a setting",
	   name, ty.ok, ty.refused);
	ok(ty.default_ok, "%s: the default policy gives a plan", name);
	if (o.n_kinds >= 2 && !o.ranked)
		ok(!ty.perf_ok, "%s: --lwk-cpu-kind performance is refused (kinds not ranked)", name);
	free(o.home);
	free(o.core);
}

/* The oracle can fail: plans broken on purpose are caught, each for its reason. */
static void oracle_catches(const char *dir)
{
	static const struct { const char *fixture, *what, *needle; } cases[] = {
		{ "power9-gpu.xml", "memory on a GPU's node", "kind the policy excludes" },
		{ "cod.xml", "NUMA node 1's LWK CPU served by node 0's CPU 0", "another NUMA node" },
		{ "cod.xml", "NUMA node 1 without memory or warning", "no memory and no warning" },
		{ "a64fx-assist.xml", "an idle CPU serving", "idle CPU serves" },
		{ "knl-flat.xml", "96% of the MCDRAM", "above 95%" },
	};
	char path[4200];

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct mck_plan_policy pol;
		struct mck_error err = { 0 };
		struct mck_plan plan;
		struct oracle o;
		hwloc_topology_t t;
		const char *why = NULL;
		int idle = 0;

		snprintf(path, sizeof(path), "%s/%s", dir, cases[c].fixture);
		if (mck_topo_load(path, NULL, &t, &err) || oracle_init(&o, t)) {
			ok(0, "%s loads", cases[c].fixture);
			continue;
		}
		mck_plan_policy_init(&pol);
		if (mck_plan_compute(t, &pol, &plan, &err)) {
			ok(0, "%s plans: %s", cases[c].fixture, err.msg);
			hwloc_topology_destroy(t);
			continue;
		}
		switch (c) {
		case 0: plan.mem[1].numa = 252; plan.mem_total[1] = 16ULL << 30; plan.mem[1].size = 4ULL << 30; break;
		case 1:
			for (int i = 0; i < plan.n_lwk; i++)
				if (plan.lwk_cpus[i] == 7)
					plan.ikc[i].linux_cpu = 0;
			break;
		case 2: plan.mem[1] = plan.mem[3]; plan.n_mem = 3; break;
		case 3:	/* CPU 0 serves NUMA node 0; call it idle */
			plan.linux_cpus[0] = plan.linux_cpus[--plan.n_linux];
			plan.idle_cpus = &idle;
			plan.n_idle = 1;
			break;
		case 4: plan.mem[1].size = (16ULL << 30) / 100 * 96; plan.mem[1].size -= plan.mem[1].size % MCK_MEM_UNIT; break;
		}
		why = violation(&o, &pol, &plan);
		ok(why && strstr(why, cases[c].needle), "the oracle catches %s (%s)", cases[c].what,
		   why ? why : "nothing");
		if (c == 3) {
			plan.idle_cpus = NULL;
			plan.n_idle = 0;
		}
		mck_plan_free(&plan);
		free(o.home);
		free(o.core);
		hwloc_topology_destroy(t);
	}
}

static void refuses_everything(const char *path, const char *needle)
{
	struct mck_error err = { 0 };
	struct mck_plan_policy pol;
	struct mck_plan plan;
	hwloc_topology_t t;
	int n_ok = 0, n_bad = 0;

	if (mck_topo_load(path, NULL, &t, &err)) {
		ok(0, "%s loads: %s", path, err.msg);
		return;
	}
	for (int keep = 0; keep < 6; keep++)
	for (int mem = 0; mem < 5; mem++)
	for (int memonly = 0; memonly < 4; memonly++) {
		set_policy(&pol, keep, 0, mem, memonly, 0, 0, 0);
		if (mck_plan_compute(t, &pol, &plan, &err) == 0) {
			n_ok++;
			mck_plan_free(&plan);
		} else if (!strstr(err.msg, needle) && !strstr(err.msg, "--")) {
			n_bad++;
			printf("# refusal without \"%s\": %s\n", needle, err.msg);
		}
	}
	ok(!n_ok && !n_bad, "nomemory.xml: every policy refused, naming \"%s\" or a setting", needle);
	hwloc_topology_destroy(t);
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
	snprintf(path, sizeof(path), "%s/hwloc-maps/tests/fixtures/nomemory.xml", top ? top : ".");
	refuses_everything(path, "lstopo --of xml");
	snprintf(path, sizeof(path), "%s/hwloc-maps/tests/fixtures", top ? top : ".");
	oracle_catches(path);
	return done_testing();
}
