/* test-plan.c: unit tests of the planner library (plan, check, print, cache). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mck-plan.h"
#include "mck-test.h"
#include "mck-util.h"

static char fixture_dir[4096];

static const char *fixture(const char *name)
{
	static char path[4200];

	snprintf(path, sizeof(path), "%s/%s", fixture_dir, name);
	return path;
}

static hwloc_topology_t load(const char *xml, const char *synthetic)
{
	struct mck_error err = { 0 };
	hwloc_topology_t t = NULL;

	if (mck_topo_load(xml, synthetic, &t, &err)) {
		printf("# load failed: %s\n", err.msg);
		return NULL;
	}
	return t;
}

static char *plan_text(const struct mck_plan *plan, enum mck_plan_format f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		return NULL;
	mck_plan_print(plan, f, out);
	fclose(out);
	return buf;
}

static int numa_of_pu(hwloc_topology_t t, int os)
{
	hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(t, os);
	hwloc_obj_t n = NULL, best = NULL;

	while (pu && (n = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_NUMANODE, n)))
		if (hwloc_bitmap_isset(n->cpuset, os) &&
		    (!best || hwloc_bitmap_weight(n->cpuset) < hwloc_bitmap_weight(best->cpuset)))
			best = n;
	return best ? (int)best->os_index : -1;
}

static void test_default_plan(void)
{
	hwloc_topology_t t = load(NULL, "pack:2 numa:2 core:8 pu:2");
	struct mck_plan_policy pol;
	struct mck_error err = { 0 };
	struct mck_plan plan;
	int same_numa = 1, rc;

	mck_plan_policy_init(&pol);
	ok(t != NULL, "synthetic pack:2 numa:2 core:8 pu:2 loads");
	if (!t)
		return;
	rc = mck_plan_compute(t, &pol, &plan, &err);
	is_int(rc, 0, "default plan computes (%s)", err.msg);
	if (rc) {
		hwloc_topology_destroy(t);
		return;
	}
	is_int(plan.n_lwk, 4 * 7 * 2, "all PUs of 7 of 8 cores per NUMA node go to McKernel");
	is_int(plan.n_linux, 4 * 2, "the first core (2 PUs) of each NUMA node stays with Linux");
	is_int(plan.n_mem, 4, "one memory chunk per NUMA node");
	for (int i = 0; i < plan.n_mem; i++) {
		hwloc_obj_t n = hwloc_get_numanode_obj_by_os_index(t, plan.mem[i].numa);
		uint64_t want = n ? n->attr->numanode.local_memory / 2 : 0;

		want -= want % MCK_MEM_UNIT;
		is_int(plan.mem[i].size, want, "NUMA %d gets half its memory in 4 MiB units", plan.mem[i].numa);
	}
	for (int i = 0; i < plan.n_lwk; i++) {
		if (plan.ikc[i].lwk_cpu != plan.lwk_cpus[i] ||
		    numa_of_pu(t, plan.ikc[i].lwk_cpu) != numa_of_pu(t, plan.ikc[i].linux_cpu))
			same_numa = 0;
		for (int j = 0; j < plan.n_lwk; j++)
			if (plan.lwk_cpus[j] == plan.ikc[i].linux_cpu)
				same_numa = 0;
	}
	ok(same_numa, "every LWK CPU is served by a Linux CPU of its NUMA node");
	is_int(mck_plan_check(t, &plan, &err), 0, "the plan passes IHK's rules");
	mck_plan_free(&plan);
	hwloc_topology_destroy(t);
}

static void test_print(void)
{
	hwloc_topology_t t = load(NULL, "numa:2 core:4 pu:1");
	struct mck_plan_policy pol;
	struct mck_error err = { 0 };
	struct mck_plan plan;
	char *s;

	mck_plan_policy_init(&pol);
	ok(pol.mem_fraction == 0.5 && pol.linux_cores == 1 && pol.keep == MCK_KEEP_PER_NUMA,
	   "policy defaults: fraction 0.5, one Linux core per NUMA node");
	if (!t || mck_plan_compute(t, &pol, &plan, &err)) {
		ok(0, "plan for numa:2 core:4 pu:1: %s", err.msg);
		return;
	}
	s = plan_text(&plan, MCK_PLAN_MCREBOOT);
	is_str(s, "-c 1-3,5-7 -m 512M@0,512M@1 -r 1-3:0+5-7:4\n", "mcreboot format");
	free(s);
	s = plan_text(&plan, MCK_PLAN_IHK_ENV);
	is_str(s, "IHK_CPUS=1-3,5-7\nIHK_MEM=512M@0,512M@1\nIHK_IKC_MAP=1-3:0+5-7:4\n", "ihk-env format");
	free(s);
	s = plan_text(&plan, MCK_PLAN_JSON);
	ok(s && strstr(s, "\"cpus\": \"1-3,5-7\"") && strstr(s, "{\"lwk_cpu\": 7, \"linux_cpu\": 4}"),
	   "json format holds the lists and the pairs");
	free(s);
	mck_plan_free(&plan);

	pol.mem_fraction = 0.3;
	if (!mck_plan_compute(t, &pol, &plan, &err)) {
		/* 0.3 GiB = 307.2 MiB -> 304 MiB */
		is_int(plan.mem[0].size, 304ULL << 20, "fraction rounds down to 4 MiB units");
		mck_plan_free(&plan);
	} else {
		ok(0, "fraction 0.3: %s", err.msg);
	}
	hwloc_topology_destroy(t);
}

static void test_policies(void)
{
	hwloc_topology_t t = load(fixture("xeon-2s-smt2.xml"), NULL);
	struct mck_plan_policy pol;
	struct mck_error err = { 0 };
	struct mck_plan plan;
	int rc;

	if (!t) {
		ok(0, "xeon fixture loads");
		return;
	}
	mck_plan_policy_init(&pol);
	pol.smt_one = 1;
	pol.linux_cores = 2;
	rc = mck_plan_compute(t, &pol, &plan, &err);
	is_int(rc, 0, "smt one, 2 Linux cores (%s)", err.msg);
	if (!rc) {
		int sibling_pair = 0;

		is_int(plan.n_lwk, 2 * 22, "one PU of each of 22 cores per package");
		for (int i = 0; i < plan.n_lwk; i++)
			if (plan.lwk_cpus[i] >= 48)
				sibling_pair = 1;
		ok(!sibling_pair, "no second hardware thread (OS index >= 48) goes to McKernel");
		mck_plan_free(&plan);
	}

	mck_plan_policy_init(&pol);
	pol.ikc = MCK_IKC_SPREAD;
	pol.linux_cores = 2;
	rc = mck_plan_compute(t, &pol, &plan, &err);
	if (!rc) {
		int used[96] = { 0 }, n_targets = 0;

		for (int i = 0; i < plan.n_lwk; i++)
			used[plan.ikc[i].linux_cpu] = 1;
		for (int i = 0; i < 96; i++)
			n_targets += used[i];
		is_int(n_targets, 8, "spread uses all 4 Linux CPUs of each package's NUMA node");
		mck_plan_free(&plan);
	} else {
		ok(0, "spread: %s", err.msg);
	}

	mck_plan_policy_init(&pol);
	pol.mem = MCK_MEM_ALL_BUT;
	pol.mem_keep = 8ULL << 30;
	rc = mck_plan_compute(t, &pol, &plan, &err);
	is_int(rc, 0, "all but 8G (%s)", err.msg);
	if (!rc) {
		is_int(plan.mem[0].size, 88ULL << 30, "96G node keeps 8G for Linux");
		mck_plan_free(&plan);
	}

	mck_plan_policy_init(&pol);
	pol.keep = MCK_KEEP_CPULIST;
	pol.linux_cpulist = "0,48";
	rc = mck_plan_compute(t, &pol, &plan, &err);
	is_int(rc, 0, "explicit Linux CPUs 0,48 (%s)", err.msg);
	if (!rc) {
		is_int(plan.n_linux, 2, "only the listed CPUs stay with Linux");
		is_int(mck_plan_check(t, &plan, &err), 0, "package 1's LWK CPUs may be served across NUMA nodes");
		mck_plan_free(&plan);
	}
	hwloc_topology_destroy(t);
}

static void expect_error(const char *xml, const char *synthetic, const struct mck_plan_policy *pol,
			 const char *needle, const char *what)
{
	hwloc_topology_t t = load(xml, synthetic);
	struct mck_error err = { 0 };
	struct mck_plan plan;
	int rc;

	if (!t) {
		ok(0, "%s: topology loads", what);
		return;
	}
	rc = mck_plan_compute(t, pol, &plan, &err);
	ok(rc < 0 && strstr(err.msg, needle), "%s: refused naming \"%s\"", what, needle);
	if (rc >= 0 || !strstr(err.msg, needle))
		printf("#   rc %d, message: %s\n", rc, err.msg);
	if (!rc)
		mck_plan_free(&plan);
	ok(plan.lwk_cpus == NULL && plan.n_lwk == 0, "%s: nothing allocated", what);
	hwloc_topology_destroy(t);
}

static void test_errors(void)
{
	struct mck_plan_policy pol;

	mck_plan_policy_init(&pol);
	expect_error(NULL, "numa:2 core:1 pu:2", &pol, "--linux-cpus", "one core per NUMA node");
	pol.mem_fraction = 0;
	expect_error(NULL, "numa:2 core:4 pu:1", &pol, "--mem-fraction", "fraction 0");
	mck_plan_policy_init(&pol);
	expect_error(NULL, "numa:2(memory=3MiB) core:4 pu:1", &pol, "no usable memory", "3 MiB nodes");
	pol.mem = MCK_MEM_SIZE;
	pol.mem_size = 1ULL << 30;
	expect_error(NULL, "numa:2(memory=1GiB) core:4 pu:1", &pol, "95%", "all of a node");
	pol.mem_size = 6ULL << 20;
	expect_error(NULL, "numa:2 core:4 pu:1", &pol, "multiple of 4M", "6M");
	mck_plan_policy_init(&pol);
	pol.keep = MCK_KEEP_CPULIST;
	pol.linux_cpulist = "1";
	expect_error(fixture("offline.xml"), NULL, &pol, "CPU 1 is not an online CPU", "offline CPU for Linux");
	pol.linux_cpulist = "0-1";
	expect_error(fixture("restricted.xml"), NULL, &pol, "no allowed Linux CPU", "disallowed Linux CPUs");
	pol.linux_cpulist = "x";
	expect_error(NULL, "numa:2 core:4 pu:1", &pol, "--linux-cpus", "unparsable list");
	mck_plan_policy_init(&pol);
	pol.job_cpulist = "0-5";
	expect_error(NULL, "numa:2 core:4 pu:1", &pol, "--exclusive", "shared node");
	mck_plan_policy_init(&pol);
	pol.linux_cores = 5000;
	expect_error(NULL, "numa:2 core:4 pu:1", &pol, "--linux-cores", "absurd core count");

	/* The job's share: only a whole node, only this node's CPUs, a valid list. */
	mck_plan_policy_init(&pol);
	pol.job_cpulist = "0-2,4-7";
	expect_error(NULL, "numa:2 core:4 pu:1", &pol, "may not use 1 of the node's CPUs (3)",
		     "one CPU of the node missing from the job's share");
	pol.job_cpulist = "0-8";
	expect_error(NULL, "numa:2 core:4 pu:1", &pol, "--job-cpus: CPU 8 is not an online CPU",
		     "a job CPU the node does not have");
	pol.job_cpulist = "0-3,x";
	expect_error(NULL, "numa:2 core:4 pu:1", &pol, "--job-cpus: ", "unparsable job CPU list");
	pol.job_cpulist = "2-10,12-15";	/* restricted: 0,1,10 are outside the allowed cpuset */
	expect_error(fixture("restricted.xml"), NULL, &pol, "(11)",
		     "allowed CPU 11 missing from the job's share");
	pol.job_cpulist = "1";
	expect_error(fixture("offline.xml"), NULL, &pol, "CPU 1 is not an online CPU",
		     "an offline CPU in the job's share");

	/* Every remaining refusal of the planner. */
	mck_plan_policy_init(&pol);
	pol.keep = MCK_KEEP_CPULIST;
	pol.linux_cpulist = "";
	expect_error(NULL, "numa:2 core:4 pu:1", &pol, "--linux-cpus: give the CPUs", "empty --linux-cpus");
	mck_plan_policy_init(&pol);
	pol.linux_cores = 4;
	expect_error(NULL, "numa:2 core:4 pu:1", &pol, "--linux-cores 4 keeps every allowed core",
		     "every core kept");
	pol.keep = MCK_KEEP_PER_PACKAGE;
	pol.linux_cores = 1;
	expect_error(NULL, "pack:2 core:1 pu:2", &pol, "--linux-cores-per-package 1 keeps the only",
		     "one core per package");
	mck_plan_policy_init(&pol);
	pol.keep = (enum mck_keep_mode)7;
	expect_error(NULL, "numa:2 core:4 pu:1", &pol, "unknown Linux core policy", "bad keep mode");
	mck_plan_policy_init(&pol);
	pol.ikc = (enum mck_ikc_mode)7;
	expect_error(NULL, "numa:2 core:4 pu:1", &pol, "unknown IKC policy", "bad IKC mode");
	mck_plan_policy_init(&pol);
	pol.mem = (enum mck_mem_mode)7;
	expect_error(NULL, "numa:2 core:4 pu:1", &pol, "unknown memory policy", "bad memory mode");
	mck_plan_policy_init(&pol);
	pol.lwk_cpu_kind = (enum mck_cpu_kind_mode)7;
	expect_error(NULL, "numa:2 core:4 pu:1", &pol, "unknown --lwk-cpu-kind", "bad CPU kind mode");
	mck_plan_policy_init(&pol);
	pol.mem = MCK_MEM_ALL_BUT;
	pol.mem_keep = 4ULL << 30;
	expect_error(NULL, "numa:2(memory=4GiB) core:4 pu:1", &pol, "--mem-keep 4G leaves nothing",
		     "mem-keep of the whole node");
	pol.mem_keep = 4ULL << 20;
	expect_error(NULL, "numa:2(memory=4GiB) core:4 pu:1", &pol, "raise --mem-keep",
		     "mem-keep above the 98% cap");
	mck_plan_policy_init(&pol);
	pol.mem = MCK_MEM_SIZE;
	pol.mem_size = 8ULL << 30;
	expect_error(NULL, "numa:2(memory=4GiB) core:4 pu:1", &pol, "--mem-size 8G is more than NUMA node 0",
		     "mem-size above the node");
	mck_plan_policy_init(&pol);
	expect_error(NULL, "pack:4 numa:2 core:66 pu:2", &pol, "exceed IHK's limit of 1024",
		     "more than 1024 LWK CPUs");
}

/*
 * Every rule of mck_plan_check, each broken once in an otherwise valid
 * plan (restricted.xml: CPUs 0, 1 and 10 are outside the allowed cpuset).
 */
static void test_check_every_rule(void)
{
	static const struct {
		const char *what, *needle;
	} rules[] = {
		{ "no LWK CPU", "IHK needs 1 to 1024" },
		{ "a disallowed LWK CPU", "LWK CPU 10 is outside the node's allowed cpuset" },
		{ "an LWK CPU twice", "is listed twice" },
		{ "an IKC entry for another CPU", "IKC entry 0 is for CPU" },
		{ "an offline IKC target", "IKC target 99 of LWK CPU" },
		{ "a disallowed IKC target", "IKC target 1 of LWK CPU" },
		{ "no memory chunk", "memory chunks, IHK needs 1 to" },
		{ "memory on a missing NUMA node", "NUMA node 5, which is not an allowed node" },
		{ "two chunks on one node", "has two memory chunks" },
		{ "no Linux CPU left", "leaves no allowed CPU to Linux" },
	};
	hwloc_topology_t t = load(fixture("restricted.xml"), NULL);
	struct mck_plan_policy pol;
	struct mck_error err = { 0 };
	struct mck_plan plan;

	mck_plan_policy_init(&pol);
	if (!t || mck_plan_compute(t, &pol, &plan, &err)) {
		ok(0, "restricted fixture plans: %s", err.msg);
		if (t)
			hwloc_topology_destroy(t);
		return;
	}
	is_int(mck_plan_check(t, &plan, &err), 0, "the restricted plan passes (%s)", err.msg);
	for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
		struct mck_plan bad = plan;
		struct mck_mem_chunk mem[2];
		struct mck_ikc_pair ikc[16];
		int lwk[16];

		memcpy(lwk, plan.lwk_cpus, plan.n_lwk * sizeof(int));
		memcpy(ikc, plan.ikc, plan.n_lwk * sizeof(*ikc));
		memcpy(mem, plan.mem, plan.n_mem * sizeof(*mem));
		bad.lwk_cpus = lwk;
		bad.ikc = ikc;
		bad.mem = mem;
		switch (r) {
		case 0: bad.n_lwk = 0; break;
		case 1: lwk[0] = ikc[0].lwk_cpu = 10; break;
		case 2: lwk[1] = ikc[1].lwk_cpu = lwk[0]; break;
		case 3: ikc[0].lwk_cpu = lwk[1]; break;
		case 4: ikc[0].linux_cpu = 99; break;
		case 5: ikc[0].linux_cpu = 1; break;
		case 6: bad.n_mem = 0; break;
		case 7: mem[0].numa = 5; break;
		case 8: mem[1] = mem[0]; bad.n_mem = 2; break;
		case 9:	/* every allowed CPU to McKernel: 2-9, 11-15 */
			bad.n_lwk = 0;
			for (int c = 2; c < 16; c++)
				if (c != 10) {
					lwk[bad.n_lwk] = ikc[bad.n_lwk].lwk_cpu = c;
					ikc[bad.n_lwk++].linux_cpu = 0;
				}
			break;
		}
		ok(mck_plan_check(t, &bad, &err) < 0 && strstr(err.msg, rules[r].needle),
		   "check catches %s: %s", rules[r].what, err.msg);
	}
	mck_plan_free(&plan);
	hwloc_topology_destroy(t);
}

/* --lwk-cpu-kind on the hybrid fixture (P: CPUs 0-15, E: 16,18,...,30). */
static void test_cpu_kinds(void)
{
	hwloc_topology_t t = load(fixture("hybrid.xml"), NULL);
	struct mck_plan_policy pol;
	struct mck_error err = { 0 };
	struct mck_plan plan;
	char *s;

	if (!t) {
		ok(0, "hybrid fixture loads");
		return;
	}
	mck_plan_policy_init(&pol);
	pol.lwk_cpu_kind = MCK_CPU_KIND_PERFORMANCE;
	pol.ikc = MCK_IKC_PER_NUMA;
	if (mck_plan_compute(t, &pol, &plan, &err) == 0) {
		s = plan_text(&plan, MCK_PLAN_MCREBOOT);
		is_str(s, "-c 0-15 -m 16G@0 -r 0-15:16\n",
		       "performance: every P core to McKernel, the E cores count as the kept Linux core");
		free(s);
		mck_plan_free(&plan);
	} else {
		ok(0, "performance plan: %s", err.msg);
	}
	pol.linux_cores = 9;	/* 8 E cores and one P core */
	if (mck_plan_compute(t, &pol, &plan, &err) == 0) {
		s = plan_text(&plan, MCK_PLAN_MCREBOOT);
		is_str(s, "-c 2-15 -m 16G@0 -r 2-15:0\n", "linux_cores 9: the E cores and P core 0 stay");
		free(s);
		mck_plan_free(&plan);
	} else {
		ok(0, "performance plan, 9 Linux cores: %s", err.msg);
	}
	mck_plan_policy_init(&pol);
	pol.lwk_cpu_kind = MCK_CPU_KIND_PERFORMANCE;
	pol.keep = MCK_KEEP_CPULIST;
	pol.linux_cpulist = "0-1";
	pol.ikc = MCK_IKC_SPREAD;
	if (mck_plan_compute(t, &pol, &plan, &err) == 0) {
		int e_served = 0;

		for (int i = 0; i < plan.n_lwk; i++) {
			ok(plan.lwk_cpus[i] < 16, "LWK CPU %d is a P core", plan.lwk_cpus[i]);
			e_served += plan.ikc[i].linux_cpu >= 16;
		}
		ok(e_served > 0, "spread: the E cores serve system calls too (%d)", e_served);
		mck_plan_free(&plan);
	} else {
		ok(0, "performance plan with --linux-cpus 0-1: %s", err.msg);
	}
	pol.linux_cpulist = "0-15";
	hwloc_topology_destroy(t);
	expect_error(fixture("hybrid.xml"), NULL, &pol, "--lwk-cpu-kind performance gives McKernel only",
		     "P cores all kept for Linux");
	mck_plan_policy_init(&pol);
	pol.lwk_cpu_kind = MCK_CPU_KIND_PERFORMANCE;
	expect_error(fixture("hybrid-unranked.xml"), NULL, &pol, "does not rank them",
		     "unranked CPU kinds");
	pol.lwk_cpu_kind = MCK_CPU_KIND_ALL;
	t = load(fixture("hybrid-unranked.xml"), NULL);
	if (t && mck_plan_compute(t, &pol, &plan, &err) == 0) {
		is_int(plan.n_lwk, 22, "unranked kinds: all still plans over every kind");
		mck_plan_free(&plan);
	} else {
		ok(0, "unranked kinds with all: %s", err.msg);
	}
	if (t)
		hwloc_topology_destroy(t);
}

static void test_check_catches(void)
{
	hwloc_topology_t t = load(fixture("offline.xml"), NULL);
	struct mck_plan_policy pol;
	struct mck_error err = { 0 };
	struct mck_plan plan;

	mck_plan_policy_init(&pol);
	if (!t || mck_plan_compute(t, &pol, &plan, &err)) {
		ok(0, "offline fixture plans: %s", err.msg);
		return;
	}
	plan.lwk_cpus[0] = 1;
	plan.ikc[0].lwk_cpu = 1;
	ok(mck_plan_check(t, &plan, &err) < 0 && strstr(err.msg, "LWK CPU 1"), "offline LWK CPU caught: %s", err.msg);
	plan.lwk_cpus[0] = plan.ikc[0].lwk_cpu = 2;
	plan.ikc[0].linux_cpu = 3;
	ok(mck_plan_check(t, &plan, &err) < 0 && strstr(err.msg, "IKC target 3"), "IKC to an LWK CPU caught: %s", err.msg);
	plan.ikc[0].linux_cpu = 16;
	ok(mck_plan_check(t, &plan, &err) < 0 && strstr(err.msg, "NUMA node"), "IKC across NUMA nodes caught: %s", err.msg);
	plan.ikc[0].linux_cpu = 0;
	is_int(mck_plan_check(t, &plan, &err), 0, "restored plan passes");
	plan.mem[0].size += 4096;
	ok(mck_plan_check(t, &plan, &err) < 0 && strstr(err.msg, "4 MiB"), "memory not in 4 MiB units caught");
	plan.mem[0].size = 16ULL << 30;
	ok(mck_plan_check(t, &plan, &err) < 0 && strstr(err.msg, "95%"), "memory above 95%% caught");
	plan.mem[0].size = (16ULL << 30) / 100 * 95;
	plan.mem[0].size -= plan.mem[0].size % MCK_MEM_UNIT;
	is_int(mck_plan_check(t, &plan, &err), 0, "95%% of a node passes (%s)", err.msg);
	mck_plan_free(&plan);
	hwloc_topology_destroy(t);
}

static int write_text(const char *path, const char *text)
{
	struct mck_error err = { 0 };

	return mck_write_file_atomic(path, text, strlen(text), 0644, &err);
}

static void test_cache(void)
{
	char dir[] = "/tmp/test-plan-cache.XXXXXX", sys[4200], cache[4200], path[4300];
	struct mck_error err = { 0 };
	hwloc_topology_t t = NULL, live = NULL;
	int from_cache = -1, live_pus, rc;
	char *xml = NULL;
	size_t len;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(sys, sizeof(sys), "%s/sys", dir);
	snprintf(cache, sizeof(cache), "%s/topology.xml", dir);
	snprintf(path, sizeof(path), "%s/devices/system/cpu", sys);
	mck_mkdir_p(path, 0755, &err);
	snprintf(path, sizeof(path), "%s/devices/system/node", sys);
	mck_mkdir_p(path, 0755, &err);
	snprintf(path, sizeof(path), "%s/devices/system/cpu/present", sys);
	write_text(path, "0-1\n");
	snprintf(path, sizeof(path), "%s/devices/system/cpu/possible", sys);
	write_text(path, "0-1\n");
	snprintf(path, sizeof(path), "%s/devices/system/node/possible", sys);
	write_text(path, "0\n");

	live = load(NULL, NULL);
	live_pus = live ? hwloc_get_nbobjs_by_type(live, HWLOC_OBJ_PU) : -1;
	if (live)
		hwloc_topology_destroy(live);

	rc = mck_topo_load_cached_at(cache, sys, &t, &from_cache, &err);
	ok(rc == 0 && from_cache == 0, "no cache yet: live discovery (%s)", err.msg);
	ok(access(cache, R_OK) == 0, "cache XML written");
	snprintf(path, sizeof(path), "%s.fingerprint", cache);
	ok(access(path, R_OK) == 0, "fingerprint written beside it");
	if (!rc)
		hwloc_topology_destroy(t);

	rc = mck_topo_load_cached_at(cache, sys, &t, &from_cache, &err);
	ok(rc == 0 && from_cache == 1, "same hardware: the cache is used");
	if (!rc)
		hwloc_topology_destroy(t);

	/* Put another machine in the cache: a used cache shows its 52 PUs. */
	if (mck_read_file(fixture("a64fx.xml"), &xml, &len, &err) == 0) {
		mck_write_file_atomic(cache, xml, len, 0644, &err);
		free(xml);
	}
	rc = mck_topo_load_cached_at(cache, sys, &t, &from_cache, &err);
	ok(rc == 0 && from_cache == 1 && hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU) == 52,
	   "the topology comes from the cache file, not from discovery");
	if (!rc)
		hwloc_topology_destroy(t);

	/* Hardware changed (a CPU appeared): rediscover and rewrite. */
	snprintf(path, sizeof(path), "%s/devices/system/cpu/present", sys);
	write_text(path, "0-2\n");
	rc = mck_topo_load_cached_at(cache, sys, &t, &from_cache, &err);
	ok(rc == 0 && from_cache == 0 && hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU) == live_pus,
	   "changed fingerprint: live discovery again");
	if (!rc)
		hwloc_topology_destroy(t);
	rc = mck_topo_load_cached_at(cache, sys, &t, &from_cache, &err);
	ok(rc == 0 && from_cache == 1, "and the refreshed cache is used next time");
	if (!rc)
		hwloc_topology_destroy(t);

	/* A damaged cache with a matching fingerprint is rediscovered. */
	write_text(cache, "<not hwloc>");
	rc = mck_topo_load_cached_at(cache, sys, &t, &from_cache, &err);
	ok(rc == 0 && from_cache == 0, "damaged cache: rediscovered (%s)", err.msg);
	if (!rc)
		hwloc_topology_destroy(t);

	rc = mck_topo_load_cached("/nonexistent-dir/topology.xml", &t, &err);
	ok(rc < 0 && strstr(err.msg, "topology cache"), "unwritable cache location is an error: %s", err.msg);

	snprintf(path, sizeof(path), "%s.fingerprint", cache);
	unlink(path);
	unlink(cache);
	snprintf(path, sizeof(path), "%s/devices/system/cpu/present", sys);
	unlink(path);
	snprintf(path, sizeof(path), "%s/devices/system/cpu/possible", sys);
	unlink(path);
	snprintf(path, sizeof(path), "%s/devices/system/node/possible", sys);
	unlink(path);
	snprintf(path, sizeof(path), "%s/devices/system/cpu", sys); rmdir(path);
	snprintf(path, sizeof(path), "%s/devices/system/node", sys); rmdir(path);
	snprintf(path, sizeof(path), "%s/devices/system", sys); rmdir(path);
	snprintf(path, sizeof(path), "%s/devices", sys); rmdir(path);
	rmdir(sys);
	rmdir(dir);
}

int main(void)
{
	const char *top = getenv("top_srcdir");

	snprintf(fixture_dir, sizeof(fixture_dir), "%s/hwloc-maps/tests/fixtures", top ? top : ".");
	test_default_plan();
	test_print();
	test_policies();
	test_errors();
	test_check_catches();
	test_check_every_rule();
	test_cpu_kinds();
	test_cache();
	return done_testing();
}
