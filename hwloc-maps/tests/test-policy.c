/*
 * test-policy.c: mckernel.conf + --mckernel options -> planner policy ->
 * plan, end to end on a fixture topology (two sockets, 24 cores each,
 * two threads per core, 96 GiB per NUMA node).
 */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mck-policy.h"
#include "mck-test.h"

static hwloc_topology_t topo;

static const char conf[] =
	"user_keys = mem, linux_cores\n"
	"max_mem_fraction = 0.7\n"
	"[partition batch]\n"
	"linux_cores = 2\n"
	"mem_fraction = 0.25\n"
	"[partition open]\n"
	"user_keys = all\n"
	"ikc = spread\n"
	"smt = one\n"
	"[partition fixed]\n"
	"linux_cpus = 0,24\n"
	"mem_keep = 16G\n";

struct result {
	int rc;
	char msg[1024];
	char *cpus, *linux_cpus, *mem, *ikc;
	int n_lwk;
};

static void result_free(struct result *r)
{
	free(r->cpus);
	free(r->linux_cpus);
	free(r->mem);
	free(r->ikc);
	memset(r, 0, sizeof(*r));
}

/* Load conf for partition, apply the user's option text, plan. */
static struct result plan_for(const char *partition, const char *user_text)
{
	struct result r = { 0 };
	struct mck_config cfg;
	struct mck_options opts;
	struct mck_plan_policy policy;
	struct mck_plan plan;
	struct mck_error err = { 0 };

	memset(&policy, 0xa5, sizeof(policy));	/* must stay so when refused */
	r.rc = mck_config_load_buffer(conf, strlen(conf), "policy.conf", partition, &cfg, &err);
	if (r.rc) {
		snprintf(r.msg, sizeof(r.msg), "%s", err.msg);
		return r;
	}
	r.rc = mck_options_parse(user_text, &opts, &err);
	if (!r.rc && user_text)
		r.rc = mck_options_check(&opts, &cfg, &err);
	if (!r.rc)
		mck_config_plan_policy(&cfg, user_text ? &opts : NULL, &policy);
	if (r.rc) {
		struct mck_plan_policy untouched;

		memset(&untouched, 0xa5, sizeof(untouched));
		ok(!memcmp(&policy, &untouched, sizeof(policy)), "a refused option leaves the policy untouched");
		snprintf(r.msg, sizeof(r.msg), "%s", err.msg);
		mck_config_free(&cfg);
		return r;
	}
	r.rc = mck_plan_compute(topo, &policy, &plan, &err);
	if (!r.rc)
		r.rc = mck_policy_check_plan(&cfg, user_text ? &opts : NULL, &plan, &err);
	if (r.rc) {
		snprintf(r.msg, sizeof(r.msg), "%s", err.msg);
		if (plan.lwk_cpus)
			mck_plan_free(&plan);
		mck_config_free(&cfg);
		return r;
	}
	r.cpus = mck_cpulist_format(plan.lwk_cpus, plan.n_lwk);
	r.linux_cpus = mck_cpulist_format(plan.linux_cpus, plan.n_linux);
	r.mem = mck_memlist_format(plan.mem, plan.n_mem);
	r.ikc = mck_ikcmap_format(plan.ikc, plan.n_lwk);
	r.n_lwk = plan.n_lwk;
	mck_plan_free(&plan);
	mck_config_free(&cfg);
	return r;
}

static void same_plan(const struct result *a, const struct result *b, const char *what)
{
	ok(a->rc == 0 && b->rc == 0 && !strcmp(a->cpus, b->cpus) &&
	   !strcmp(a->linux_cpus, b->linux_cpus) && !strcmp(a->mem, b->mem) &&
	   !strcmp(a->ikc, b->ikc), "%s", what);
}

/* lwk_cpu_kind from mckernel.conf reaches the plan of a hybrid part. */
static void test_cpu_kind(const char *top)
{
	static const char text[] = "lwk_cpu_kind = performance\n[partition any]\nlwk_cpu_kind = all\n";
	const char *parts[] = { NULL, "any" };
	const char *want[] = { "0-15", "2-16,18,20,22,24,26,28,30" };
	hwloc_topology_t hybrid;
	struct mck_error err = { 0 };
	char xml[4200];

	snprintf(xml, sizeof(xml), "%s/hwloc-maps/tests/fixtures/hybrid.xml", top ? top : ".");
	if (mck_topo_load(xml, NULL, &hybrid, &err)) {
		ok(0, "hybrid fixture loads: %s", err.msg);
		return;
	}
	for (int i = 0; i < 2; i++) {
		struct mck_config cfg;
		struct mck_plan_policy pol;
		struct mck_plan plan;
		char *cpus = NULL;
		int rc;

		rc = mck_config_load_buffer(text, strlen(text), "kind.conf", parts[i], &cfg, &err);
		if (!rc)
			mck_config_plan_policy(&cfg, NULL, &pol);
		ok(rc == 0, "lwk_cpu_kind config loads (%s)", err.msg);
		if (rc)
			continue;
		is_int(pol.lwk_cpu_kind, i ? MCK_CPU_KIND_ALL : MCK_CPU_KIND_PERFORMANCE,
		       "lwk_cpu_kind = %s sets the policy", i ? "all" : "performance");
		rc = mck_plan_compute(hybrid, &pol, &plan, &err);
		if (!rc) {
			cpus = mck_cpulist_format(plan.lwk_cpus, plan.n_lwk);
			mck_plan_free(&plan);
		}
		is_str(cpus ? cpus : err.msg, want[i], "lwk_cpu_kind = %s: McKernel CPUs of the hybrid part",
		       i ? "all" : "performance");
		free(cpus);
		mck_config_free(&cfg);
	}
	hwloc_topology_destroy(hybrid);
}

/* The policy keys added for node families reach the policy and the plan. */
static void test_family_keys(const char *top)
{
	static const struct {
		const char *fixture, *conf, *what, *linux_cpus, *mem;
	} cases[] = {
		{ "knl-flat.xml", "", "MCDRAM is used by default", "0-3", "48G@0,8G@1" },
		{ "knl-flat.xml", "memory_only_nodes = exclude\n", "memory_only_nodes = exclude", "0-3", "48G@0" },
		{ "hetero-mem.xml", "", "CXL, NVDIMM, DAX not by default", "0,8,16,24", "32G@0,32G@2" },
		{ "hetero-mem.xml", "memory_only_nodes = cxl,nvdimm\n", "memory_only_nodes = cxl,nvdimm",
		  "0,8,16,24", "32G@0,128G@1,32G@2,128G@3,64G@4" },
		{ "power9-gpu.xml", "memory_only_nodes = include\n", "include never takes GPU memory",
		  "0-3,64-67", "128G@0,128G@8" },
		{ "a64fx-assist.xml", "", "assistant cores stay with Linux", "0-1", "4G@0,4G@1,4G@2,4G@3" },
		{ "a64fx-assist.xml", "assistant_cores = mckernel\n", "assistant_cores = mckernel",
		  "0-1,36,48", "4G@0,4G@1,4G@2,4G@3" },
		{ "hybrid.xml", "", "lwk_cpu_kind auto: the E cores stay with Linux",
		  "16,18,20,22,24,26,28,30", "16G@0" },
	};
	char xml[4200];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mck_config cfg;
		struct mck_plan_policy pol;
		struct mck_error err = { 0 };
		struct mck_plan plan;
		hwloc_topology_t t;
		char *lin = NULL, *mem = NULL;

		snprintf(xml, sizeof(xml), "%s/hwloc-maps/tests/fixtures/%s", top ? top : ".", cases[i].fixture);
		if (mck_topo_load(xml, NULL, &t, &err) ||
		    mck_config_load_buffer(cases[i].conf, strlen(cases[i].conf), "family.conf", NULL, &cfg, &err)) {
			ok(0, "%s: %s", cases[i].what, err.msg);
			continue;
		}
		mck_config_plan_policy(&cfg, NULL, &pol);
		if (!mck_plan_compute(t, &pol, &plan, &err)) {
			lin = mck_cpulist_format(plan.linux_cpus, plan.n_linux);
			mem = mck_memlist_format(plan.mem, plan.n_mem);
			mck_plan_free(&plan);
		}
		is_str(lin ? lin : err.msg, cases[i].linux_cpus, "%s: Linux CPUs", cases[i].what);
		is_str(mem ? mem : err.msg, cases[i].mem, "%s: memory", cases[i].what);
		free(lin);
		free(mem);
		mck_config_free(&cfg);
		hwloc_topology_destroy(t);
	}
}

/* Every new key maps to its policy field; the defaults are the planner's. */
static void test_key_mapping(void)
{
	static const char text[] = "memory_only_nodes = hbm,cxl\nassistant_cores = mckernel\n"
				   "ikc = per-numa\nlwk_cpu_kind = all\n";
	struct mck_plan_policy pol, dflt;
	struct mck_error err = { 0 };
	struct mck_config cfg;

	mck_plan_policy_init(&dflt);
	if (mck_config_load_buffer("", 0, "empty.conf", NULL, &cfg, &err)) {
		ok(0, "empty configuration: %s", err.msg);
		return;
	}
	mck_config_plan_policy(&cfg, NULL, &pol);
	ok(pol.memonly == dflt.memonly && pol.memonly_kinds == dflt.memonly_kinds &&
	   pol.ikc == dflt.ikc && pol.lwk_cpu_kind == dflt.lwk_cpu_kind && pol.assistant == dflt.assistant,
	   "an empty mckernel.conf gives the planner's defaults");
	mck_config_free(&cfg);
	if (mck_config_load_buffer(text, strlen(text), "keys.conf", NULL, &cfg, &err)) {
		ok(0, "new keys: %s", err.msg);
		return;
	}
	mck_config_plan_policy(&cfg, NULL, &pol);
	ok(pol.memonly == MCK_MEMONLY_KINDS && pol.memonly_kinds == (MCK_MEMKIND_HBM | MCK_MEMKIND_CXL),
	   "memory_only_nodes = hbm,cxl");
	is_int(pol.assistant, MCK_ASSISTANT_LWK, "assistant_cores = mckernel");
	is_int(pol.ikc, MCK_IKC_PER_NUMA, "ikc = per-numa");
	is_int(pol.lwk_cpu_kind, MCK_CPU_KIND_ALL, "lwk_cpu_kind = all");
	mck_config_free(&cfg);
}

int main(void)
{
	const char *top = getenv("top_srcdir");
	struct mck_error err = { 0 };
	struct result def, r, r2;
	char xml[4200];

	snprintf(xml, sizeof(xml), "%s/hwloc-maps/tests/fixtures/xeon-2s-smt2.xml", top ? top : ".");
	if (mck_topo_load(xml, NULL, &topo, &err)) {
		printf("# %s\n", err.msg);
		ok(0, "fixture topology loads");
		return done_testing();
	}

	/* The partition's defaults: 2 cores per NUMA node for Linux, a quarter of memory. */
	def = plan_for("batch", NULL);
	ok(def.rc == 0, "default plan of batch (%s)", def.msg);
	is_str(def.linux_cpus, "0-1,24-25,48-49,72-73", "batch keeps two cores per NUMA node");
	is_str(def.mem, "24G@0,24G@1", "batch reserves a quarter of each node");
	r = plan_for("batch", "");
	same_plan(&def, &r, "--mckernel alone is the partition's defaults");
	result_free(&r);

	/* Allowed user options change the plan. */
	r = plan_for("batch", "mem=0.5,linux_cores=1");
	ok(r.rc == 0, "mem=0.5,linux_cores=1 accepted (%s)", r.msg);
	is_str(r.mem, "48G@0,48G@1", "mem=0.5 doubles the memory");
	is_str(r.linux_cpus, "0,24,48,72", "linux_cores=1 keeps one core per node");
	ok(r.n_lwk == def.n_lwk + 4, "two more cores (4 PUs) go to McKernel");
	result_free(&r);
	r = plan_for("batch", "mem=8G");
	is_str(r.mem, "8G@0,8G@1", "mem=8G reserves 8G per node");
	is_str(r.linux_cpus, def.linux_cpus, "mem=8G leaves the CPUs alone");
	result_free(&r);

	/* Refused options change nothing. */
	r = plan_for("batch", "smt=one");
	ok(r.rc == -EPERM, "smt=one refused on batch");
	is_str(r.msg, "--mckernel: key 'smt' may not be set by users on partition batch (allowed: mem, linux_cores)",
	       "refusal names the key, partition and allowed keys");
	result_free(&r);
	r = plan_for("batch", "mem=0.8");
	ok(r.rc == -EPERM, "mem=0.8 above max_mem_fraction refused");
	is_str(r.msg, "--mckernel: mem=0.8 is above the limit of partition batch: max_mem_fraction = 0.7",
	       "refusal names the limit");
	result_free(&r);
	r = plan_for("batch", "mem=90G");
	ok(r.rc == -EPERM, "mem=90G refused once the plan shows 94%% of a node");
	is_str(r.msg, "--mckernel: mem=90G is 94% of NUMA node 0, above the limit max_mem_fraction = 0.7",
	       "refusal names the share and the limit");
	result_free(&r);
	r = plan_for("batch", NULL);
	same_plan(&def, &r, "after refusals the partition's plan is unchanged");
	result_free(&r);

	/* A partition's policy: spread IKC, one thread per core, user may set all. */
	r = plan_for("open", NULL);
	ok(r.rc == 0 && r.n_lwk == 46, "smt = one: one PU per McKernel core (%d)", r.n_lwk);
	ok(r.rc == 0 && strcmp(r.ikc, "1-23:0+25-47:24") != 0, "ikc = spread spreads the offload (%s)",
	   r.ikc ? r.ikc : "");
	r2 = plan_for("open", "smt=all");
	ok(r2.rc == 0 && r2.n_lwk == 92, "user smt=all on open gives every PU (%d)", r2.n_lwk);
	result_free(&r2);
	r2 = plan_for("open", "procs=47");
	ok(r2.rc == -EINVAL, "procs above the LWK CPUs refused");
	is_str(r2.msg, "--mckernel: procs=47 is more than the 46 McKernel CPUs of this node's plan; "
	       "mcexec gives each process at least one CPU", "procs refusal names the CPU count");
	result_free(&r2);
	r2 = plan_for("open", "procs=46");
	ok(r2.rc == 0, "procs equal to the LWK CPUs accepted");
	result_free(&r2);
	result_free(&r);

	/* Explicit CPU list and all-but memory from the configuration. */
	r = plan_for("fixed", NULL);
	is_str(r.linux_cpus, "0,24", "linux_cpus keeps exactly those CPUs");
	is_str(r.mem, "80G@0,80G@1", "mem_keep = 16G leaves 16G per node");
	result_free(&r);
	r = plan_for("fixed", "linux_cores=2");
	ok(r.rc == -EPERM, "linux_cores refused where the partition keeps a CPU list");
	result_free(&r);

	test_cpu_kind(top);
	test_family_keys(top);
	test_key_mapping();
	result_free(&def);
	hwloc_topology_destroy(topo);
	return done_testing();
}
