/*
 * test-families.c: the plans of the node families an operator must sign
 * without editing (KNL, A64FX, cluster-on-die, POWER9 with GPUs, hybrid
 * cores, heterogeneous memory, old XMLs, cut topologies), their pictures
 * and their explanations. Each test says why the plan is the right one.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mck-plan.h"
#include "mck-test.h"

static char fixture_dir[4096];

static hwloc_topology_t load(const char *fixture, const char *synthetic)
{
	struct mck_error err = { 0 };
	hwloc_topology_t t = NULL;
	char path[4200];

	if (fixture)
		snprintf(path, sizeof(path), "%s/%s", fixture_dir, fixture);
	if (mck_topo_load(fixture ? path : NULL, synthetic, &t, &err)) {
		printf("# load failed: %s\n", err.msg);
		return NULL;
	}
	return t;
}

/* Plan fixture (or synthetic) under pol (NULL: defaults); 0 on success. */
static int plan_of(hwloc_topology_t t, const struct mck_plan_policy *pol, struct mck_plan *plan)
{
	struct mck_error err = { 0 };
	int rc = t ? mck_plan_compute(t, pol, plan, &err) : -1;

	if (rc)
		printf("# plan failed: %s\n", err.msg);
	return rc;
}

static char *list(const int *cpus, int n)
{
	return mck_cpulist_format(cpus, n);
}

/* The note of kind k whose text holds needle, or NULL. */
static const char *note_with(const struct mck_plan *p, enum mck_note_kind k, const char *needle)
{
	for (int i = 0; i < p->n_notes; i++)
		if (p->notes[i].kind == k && strstr(p->notes[i].text, needle))
			return p->notes[i].text;
	return NULL;
}

static int target_of(const struct mck_plan *p, int lwk)
{
	for (int i = 0; i < p->n_lwk; i++)
		if (p->ikc[i].lwk_cpu == lwk)
			return p->ikc[i].linux_cpu;
	return -1;
}

static uint64_t mem_on(const struct mck_plan *p, int numa)
{
	for (int i = 0; i < p->n_mem; i++)
		if (p->mem[i].numa == numa)
			return p->mem[i].size;
	return 0;
}

static char *text_of(hwloc_topology_t t, const struct mck_plan *p, int svg, unsigned flags)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (svg)
		mck_plan_svg_flags(t, p, flags, f);
	else
		mck_plan_picture_flags(t, p, flags, f);
	fclose(f);
	return buf;
}

/*
 * Item 1. Cluster-on-die without Group objects: two NUMA nodes of 32 GiB
 * share each package's cpuset. Each node gets its half of the cores (its
 * own Linux core, its own memory chunk), and the guess is a warning.
 */
static void test_cluster_on_die(void)
{
	hwloc_topology_t t = load("cod.xml", NULL);
	struct mck_plan p;
	char *s;

	if (plan_of(t, NULL, &p)) {
		ok(0, "cod.xml plans");
		goto out;
	}
	s = list(p.linux_cpus, p.n_linux);
	is_str(s, "0,6,12,18,24,30,36,42", "cod: the first core of each of the 4 NUMA nodes stays with Linux");
	free(s);
	is_int(p.n_mem, 4, "cod: every NUMA node with CPUs gets memory (none drawn as memory only)");
	ok(mem_on(&p, 1) == 16ULL << 30 && mem_on(&p, 3) == 16ULL << 30,
	   "cod: the second node of each package gets half its 32G");
	ok(target_of(&p, 7) == 6 || target_of(&p, 7) == 30, "cod: CPU 7 (NUMA node 1) offloads to node 1's Linux core");
	ok(note_with(&p, MCK_NOTE_WARNING, "NUMA nodes 0-1 share CPUs 0-11,24-35"),
	   "cod: the split is a warning naming the nodes and the CPUs");
	mck_plan_free(&p);
out:
	if (t)
		hwloc_topology_destroy(t);
}

/* Item 1: a NUMA node with CPUs outside the allowed nodeset is a warning, also in JSON. */
static void test_node_without_memory(void)
{
	hwloc_topology_t t = load(NULL, "pack:1 numa:2(memory=16GiB) core:4 pu:2");
	hwloc_nodeset_t only1 = hwloc_bitmap_alloc();
	struct mck_plan p;
	char *json = NULL;
	size_t len = 0;
	FILE *f;

	hwloc_bitmap_only(only1, 1);
	if (!t || hwloc_topology_allow(t, NULL, only1, HWLOC_ALLOW_FLAG_CUSTOM) < 0 || plan_of(t, NULL, &p)) {
		ok(0, "a node whose NUMA node 0 is not allowed plans");
		goto out;
	}
	ok(p.n_mem == 1 && p.mem[0].numa == 1, "memory only on the allowed node 1");
	ok(note_with(&p, MCK_NOTE_WARNING, "NUMA node 0 has CPUs but gets no McKernel memory: it is outside the allowed nodeset") != NULL,
	   "NUMA node 0 without McKernel memory is a warning with the reason");
	f = open_memstream(&json, &len);
	if (f) {
		mck_plan_print(&p, MCK_PLAN_JSON, f);
		fclose(f);
	}
	ok(json && strstr(json, "\"warnings\": [\n    \"NUMA node 0 has CPUs but gets no McKernel memory"),
	   "and the JSON carries it in \"warnings\"");
	free(json);
	mck_plan_free(&p);
out:
	hwloc_bitmap_free(only1);
	if (t)
		hwloc_topology_destroy(t);
}

/* Item 2: memory-only nodes by kind, and what is said about them. */
static void test_memory_kinds(void)
{
	struct mck_plan_policy pol;
	hwloc_topology_t t;
	struct mck_plan p;

	t = load("knl-flat.xml", NULL);
	if (!plan_of(t, NULL, &p)) {
		ok(mem_on(&p, 1) == 8ULL << 30, "KNL flat: half the 16G MCDRAM by default");
		ok(note_with(&p, MCK_NOTE_MEMORY, "high-bandwidth memory is used by default") != NULL,
		   "KNL flat: said why");
		mck_plan_free(&p);
	}
	mck_plan_policy_init(&pol);
	pol.memonly = MCK_MEMONLY_EXCLUDE;
	if (!plan_of(t, &pol, &p)) {
		ok(!mem_on(&p, 1) && note_with(&p, MCK_NOTE_UNUSED, "--memory-only-nodes exclude"),
		   "KNL flat: exclude still leaves the MCDRAM out, and says so");
		mck_plan_free(&p);
	}
	hwloc_topology_destroy(t);

	t = load("power9-gpu.xml", NULL);
	pol.memonly = MCK_MEMONLY_INCLUDE;
	if (!plan_of(t, &pol, &p)) {
		ok(p.n_mem == 2 && !mem_on(&p, 252) && !mem_on(&p, 255),
		   "POWER9: include reserves the sockets' memory, never the GPUs'");
		ok(note_with(&p, MCK_NOTE_UNUSED, "NUMA node 253 (memory only, 16G, a GPU's memory, subtype GPUMemory): never used") != NULL,
		   "POWER9: the GPU nodes are named unused, with the reason");
		mck_plan_free(&p);
	}
	hwloc_topology_destroy(t);

	t = load("hetero-mem.xml", NULL);
	if (!plan_of(t, NULL, &p)) {
		ok(p.n_mem == 2 && mem_on(&p, 0) && mem_on(&p, 2), "hetero-mem: only the DRAM by default");
		ok(note_with(&p, MCK_NOTE_UNUSED, "NUMA node 1 (memory only, 256G, non-volatile memory (NVDIMM), subtype NVM): not used") &&
		   note_with(&p, MCK_NOTE_UNUSED, "NUMA node 4 (memory only, 128G, CXL memory, subtype CXL-DRAM): not used") &&
		   note_with(&p, MCK_NOTE_UNUSED, "NUMA node 5 (memory only, 16G, specific-purpose memory (DAX), subtype SPM): not used"),
		   "hetero-mem: NVDIMM, CXL and DAX nodes are each named with the option that uses them");
		mck_plan_free(&p);
	}
	mck_plan_policy_init(&pol);
	pol.memonly_kinds = MCK_MEMKIND_DAX;
	if (!plan_of(t, &pol, &p)) {
		ok(p.n_mem == 3 && mem_on(&p, 5) == 8ULL << 30, "hetero-mem: dax adds the SPM node only");
		mck_plan_free(&p);
	}
	hwloc_topology_destroy(t);

	/* Old XMLs: the guess is said. */
	t = load("knl-v1.xml", NULL);
	if (!plan_of(t, NULL, &p)) {
		ok(mem_on(&p, 1) == 8ULL << 30 && note_with(&p, MCK_NOTE_MEMORY, "guessed: no subtype in the topology, and the CPUs are Xeon Phi"),
		   "hwloc 1.x KNL XML: the CPU-less node is taken for MCDRAM, and the guess is said");
		mck_plan_free(&p);
	}
	hwloc_topology_destroy(t);
	t = load(NULL, "pack:1 [numa(memory=64GiB)] [numa(memory=8GiB)] core:4 pu:2");
	if (!plan_of(t, NULL, &p)) {
		ok(p.n_mem == 1 && note_with(&p, MCK_NOTE_UNUSED, "memory of unknown kind: no subtype in the topology") &&
		   note_with(&p, MCK_NOTE_UNUSED, "it has NUMA node 0's CPUs in the topology but much less memory"),
		   "no subtype, nothing to guess from: not used, and why");
		mck_plan_free(&p);
	}
	mck_plan_policy_init(&pol);
	pol.memonly_kinds = MCK_MEMKIND_HBM | MCK_MEMKIND_UNKNOWN;
	if (!plan_of(t, &pol, &p)) {
		ok(mem_on(&p, 1) == 4ULL << 30, "hbm,unknown uses it");
		mck_plan_free(&p);
	}
	hwloc_topology_destroy(t);
}

/*
 * Item 3. A64FX with 2 assistant cores: exactly those stay with Linux and
 * serve every CMG; the CMGs without one spread over both.
 */
static void test_assistant_cores(void)
{
	hwloc_topology_t t = load("a64fx-assist.xml", NULL);
	struct mck_plan_policy pol;
	struct mck_plan p;
	int used[2] = { 0, 0 }, all_assist = 1;
	char *s;

	if (plan_of(t, NULL, &p)) {
		ok(0, "a64fx-assist plans");
		goto out;
	}
	s = list(p.linux_cpus, p.n_linux);
	is_str(s, "0-1", "A64FX: exactly the assistant cores stay with Linux");
	free(s);
	is_int(p.n_lwk, 48, "A64FX: McKernel gets all 48 compute cores");
	for (int c = 36; c < 60; c++) {
		int d = target_of(&p, c);

		all_assist &= d == 0 || d == 1;
		if (d == 0 || d == 1)
			used[d]++;
	}
	ok(all_assist && used[0] == 12 && used[1] == 12,
	   "A64FX: CMGs 2 and 3 (no Linux CPU) spread over both assistant cores (%d, %d)", used[0], used[1]);
	ok(target_of(&p, 12) == 0 && target_of(&p, 24) == 1, "A64FX: CMGs 0 and 1 use their own assistant core");
	ok(note_with(&p, MCK_NOTE_CPUS, "assistant cores, outside the regular compute groups (L2Cache objects of 12 cores)") != NULL,
	   "A64FX: the reason is said");
	mck_plan_free(&p);
	mck_plan_policy_init(&pol);
	pol.assistant = MCK_ASSISTANT_LWK;
	if (!plan_of(t, &pol, &p)) {
		s = list(p.linux_cpus, p.n_linux);
		is_str(s, "0-1,36,48", "--assistant-cores mckernel: the first core of every CMG instead");
		free(s);
		mck_plan_free(&p);
	}
out:
	if (t)
		hwloc_topology_destroy(t);
}

/* Item 3: Linux CPUs set by hand; the nodes without one spread over the nearest. */
static void test_hand_set_linux_cpus(void)
{
	hwloc_topology_t t = load("a64fx.xml", NULL);
	struct mck_plan_policy pol;
	struct mck_plan p;
	int to0 = 0, to13 = 0;

	mck_plan_policy_init(&pol);
	pol.keep = MCK_KEEP_CPULIST;
	pol.linux_cpulist = "0,13";
	if (plan_of(t, &pol, &p)) {
		ok(0, "a64fx with --linux-cpus 0,13 plans");
		goto out;
	}
	for (int c = 26; c < 52; c++) {
		to0 += target_of(&p, c) == 0;
		to13 += target_of(&p, c) == 13;
	}
	ok(to0 == 13 && to13 == 13, "--linux-cpus 0,13: NUMA nodes 2 and 3 spread over CPUs 0 and 13 (%d, %d), not all on CPU 0",
	   to0, to13);
	ok(note_with(&p, MCK_NOTE_IKC, "NUMA node 2 has no Linux CPU: LWK CPUs 26-38 spread over CPUs 0,13, the nearest Linux CPUs (same package)") != NULL,
	   "and the IKC note says so");
	mck_plan_free(&p);
out:
	if (t)
		hwloc_topology_destroy(t);
}

/* Item 4: hybrid P/E: McKernel on the P cores by default, stated in the picture. */
static void test_hybrid(void)
{
	hwloc_topology_t t = load("hybrid.xml", NULL);
	struct mck_plan p;
	char *s;

	if (plan_of(t, NULL, &p)) {
		ok(0, "hybrid plans");
		goto out;
	}
	s = list(p.lwk_cpus, p.n_lwk);
	is_str(s, "0-15", "hybrid: McKernel gets the P cores only by default");
	free(s);
	s = text_of(t, &p, 0, 0);
	ok(s && strstr(s, "[P] performance (IntelCore): CPUs 0-15, McKernel; [E] efficiency (IntelAtom): CPUs 16,18,20,22,24,26,28,30, Linux"),
	   "hybrid: the picture states which kind each side gets");
	free(s);
	mck_plan_free(&p);
	hwloc_topology_destroy(t);
	t = load("hybrid-unranked.xml", NULL);
	if (!plan_of(t, NULL, &p)) {
		ok(p.n_lwk == 22 && note_with(&p, MCK_NOTE_WARNING, "hwloc does not rank by efficiency"),
		   "unranked kinds: McKernel gets every kind, with a warning");
		mck_plan_free(&p);
	}
out:
	if (t)
		hwloc_topology_destroy(t);
}

/* Item 5: a KNL quadrant's LWK CPUs spread over all 4 threads of the Linux core. */
static void test_knl_ikc(void)
{
	hwloc_topology_t t = load("knl-flat.xml", NULL);
	struct mck_plan p;
	int served[4] = { 0 }, others = 0;

	if (plan_of(t, NULL, &p)) {
		ok(0, "knl plans");
		goto out;
	}
	for (int i = 0; i < p.n_lwk; i++) {
		if (p.ikc[i].linux_cpu >= 0 && p.ikc[i].linux_cpu < 4)
			served[p.ikc[i].linux_cpu]++;
		else
			others++;
	}
	ok(!others && served[0] == 67 && served[1] == 67 && served[2] == 67 && served[3] == 67,
	   "KNL: 268 LWK CPUs, 67 per hardware thread of core 0 (%d %d %d %d)",
	   served[0], served[1], served[2], served[3]);
	mck_plan_free(&p);
out:
	if (t)
		hwloc_topology_destroy(t);
}

/* Item 6: plan with what is usable; refuse a topology without memory with how to get one. */
static void test_usable(void)
{
	hwloc_topology_t t = load("nonuma0.xml", NULL);
	struct mck_error err = { 0 };
	struct mck_plan p;

	if (!plan_of(t, NULL, &p)) {
		ok(p.n_mem == 1 && p.mem[0].numa == 1 && p.n_lwk == 12,
		   "CPUs 0-7 in no NUMA node: planned with node 1's memory");
		ok(note_with(&p, MCK_NOTE_WARNING, "belong to no NUMA node") != NULL, "and warned");
		mck_plan_free(&p);
	} else {
		ok(0, "nonuma0.xml plans");
	}
	if (t)
		hwloc_topology_destroy(t);
	t = load("nomemory.xml", NULL);
	ok(t && mck_plan_compute(t, NULL, &p, &err) < 0 &&
	   strstr(err.msg, "the topology reports no memory on any NUMA node") &&
	   strstr(err.msg, "lstopo --of xml"), "no memory at all: says so and how to get a topology that does");
	if (t)
		hwloc_topology_destroy(t);
}

/* Item 7: smt one, one truth: idle in the plan, the JSON, the picture and its legend. */
static void test_smt_one(void)
{
	hwloc_topology_t t = load("xeon-2s-smt2.xml", NULL);
	struct mck_plan_policy pol;
	struct mck_plan p;
	char *s, *pic;

	mck_plan_policy_init(&pol);
	pol.smt_one = 1;
	if (plan_of(t, &pol, &p)) {
		ok(0, "xeon smt one plans");
		goto out;
	}
	s = list(p.idle_cpus, p.n_idle);
	is_str(s, "49-71,73-95", "smt one: the other threads of McKernel's cores are idle");
	free(s);
	s = list(p.linux_cpus, p.n_linux);
	is_str(s, "0,24,48,72", "smt one: linux_cpus holds only Linux's kept cores");
	free(s);
	pic = text_of(t, &p, 0, 0);
	ok(pic && strstr(pic, "M 1>0 - 49") && !strstr(pic, "L 49"), "smt one: the picture draws them idle");
	ok(pic && strstr(pic, "- n = idle (the other hardware threads of McKernel's cores with --smt one"),
	   "smt one: the legend says what idle means");
	free(pic);
	mck_plan_free(&p);
out:
	if (t)
		hwloc_topology_destroy(t);
}

/* Item 8: one memory unit per picture, a labelled bar, memory-only boxes, singular/plural. */
static void test_pictures(void)
{
	hwloc_topology_t t = load(NULL, "numa:2(memory=24000000000) core:2 pu:1");
	struct mck_plan p;
	char *pic, *svg;

	if (!plan_of(t, NULL, &p)) {
		pic = text_of(t, &p, 0, 0);
		ok(pic && strstr(pic, "NUMA 0: 22.35G, McKernel 11.18G, Linux 11.18G") && !strstr(pic, "k,"),
		   "a 23437500k node is drawn in G like every other size");
		ok(pic && strstr(pic, "4 PUs, 2 NUMA nodes: 2 to McKernel, 2 stay with Linux"), "plural");
		free(pic);
		mck_plan_free(&p);
	}
	if (t)
		hwloc_topology_destroy(t);
	t = load(NULL, "core:2 pu:1");
	if (!plan_of(t, NULL, &p)) {
		pic = text_of(t, &p, 0, 0);
		ok(pic && strstr(pic, "2 PUs, 1 NUMA node: 1 to McKernel, 1 stays with Linux, 0 idle"), "singular");
		free(pic);
		mck_plan_free(&p);
	}
	if (t)
		hwloc_topology_destroy(t);
	t = load("knl-flat.xml", NULL);
	if (!plan_of(t, NULL, &p)) {
		svg = text_of(t, &p, 1, MCK_PLAN_EXPLAIN);
		ok(svg && strstr(svg, "class=\"numa memory-only\"") &&
		   strstr(svg, "NUMA 1 (memory only, MCDRAM, used): 16G</text>"),
		   "SVG: the MCDRAM is a box of its own");
		ok(svg && strstr(svg, "class=\"membar-label\"") && strstr(svg, "memory: McKernel 8G (blue), Linux 8G (green)"),
		   "SVG: the memory bar is labelled");
		ok(svg && strstr(svg, "class=\"explain\""), "SVG: --explain draws the decisions");
		free(svg);
		mck_plan_free(&p);
	}
	if (t)
		hwloc_topology_destroy(t);
}

/* Item 9: every decision with its reason, one line each, and what each kind covers. */
static void test_explain(void)
{
	hwloc_topology_t t = load("xeon-2s-smt2.xml", NULL);
	struct mck_plan_policy pol;
	struct mck_plan p;
	char *buf = NULL;
	size_t len = 0;
	int lines = 0, kinds[5] = { 0 }, oneline = 1;
	FILE *f;

	mck_plan_policy_init(&pol);
	pol.smt_one = 1;
	if (plan_of(t, &pol, &p)) {
		ok(0, "xeon plans");
		goto out;
	}
	for (int i = 0; i < p.n_notes; i++) {
		kinds[p.notes[i].kind]++;
		oneline &= !strchr(p.notes[i].text, '\n');
	}
	ok(oneline, "every note is one line");
	ok(kinds[MCK_NOTE_CPUS] == 3 && kinds[MCK_NOTE_IKC] == 2 && kinds[MCK_NOTE_MEMORY] == 2 &&
	   kinds[MCK_NOTE_UNUSED] == 1,
	   "a Linux core per NUMA node and McKernel's CPUs, an IKC and a memory line per node, the idle threads (%d %d %d %d)",
	   kinds[0], kinds[1], kinds[2], kinds[3]);
	f = open_memstream(&buf, &len);
	if (f) {
		mck_plan_explain(&p, "", f);
		fclose(f);
	}
	for (size_t i = 0; buf && i < len; i++)
		lines += buf[i] == '\n';
	is_int(lines, p.n_notes, "mck_plan_explain prints one line per note");
	ok(buf && strstr(buf, "cpus: NUMA node 0: CPUs 0,48 stay with Linux: the first core of every NUMA node with CPUs (--linux-cores 1)\n"),
	   "a kept core is explained with the option that keeps it");
	ok(buf && strstr(buf, "unused: CPUs 49-71,73-95 stay idle: the other hardware threads of McKernel's cores (--smt one)\n"),
	   "the idle threads are explained");
	free(buf);
	mck_plan_free(&p);
out:
	if (t)
		hwloc_topology_destroy(t);
}

int main(void)
{
	const char *top = getenv("top_srcdir");

	snprintf(fixture_dir, sizeof(fixture_dir), "%s/hwloc-maps/tests/fixtures", top ? top : ".");
	test_cluster_on_die();
	test_node_without_memory();
	test_memory_kinds();
	test_assistant_cores();
	test_hand_set_linux_cpus();
	test_hybrid();
	test_knl_ikc();
	test_usable();
	test_smt_one();
	test_pictures();
	test_explain();
	return done_testing();
}
