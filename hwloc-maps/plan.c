/*
 * plan.c: the partition planner, topology + policy -> plan. The steps
 * live beside it (roles.c, ikc.c, memplan.c); this file checks the
 * policy and the job's share, runs them, and notes what is left unused.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mck-policy.h"
#include "plan-internal.h"

void mck_plan_policy_init(struct mck_plan_policy *policy)
{
	struct mck_config cfg;

	/*
	 * The defaults are the built-in ones of mckernel.conf's policy keys
	 * (common/mck-schema.c). Out of memory: all zero, which the planner
	 * refuses (mem_fraction 0).
	 */
	memset(policy, 0, sizeof(*policy));
	if (mck_config_load_buffer("", 0, "", NULL, &cfg, NULL))
		return;
	mck_config_plan_policy(&cfg, NULL, policy);
	mck_config_free(&cfg);
}

void mck_plan_free(struct mck_plan *plan)
{
	if (!plan)
		return;
	free(plan->lwk_cpus);
	free(plan->linux_cpus);
	free(plan->idle_cpus);
	free(plan->mem);
	free(plan->ikc);
	free(plan->mem_total);
	mck_notes_free(plan);
	memset(plan, 0, sizeof(*plan));
}

/*
 * The job's share: McKernel takes whole nodes, so the job must be able to
 * use every allowed CPU of the node, and may name only CPUs of this node.
 */
static int check_job_share(const struct mck_model *m, const char *job_cpulist,
			   struct mck_error *err)
{
	int *cpus = NULL, n = 0, rc, n_missing = 0;
	unsigned char *in_job = NULL, *missing = NULL;
	char *list;

	rc = mck_cpulist_parse(job_cpulist, &cpus, &n, err);
	if (rc) {
		mck_error_prefix(err, "--job-cpus: ");
		return rc;
	}
	in_job = calloc(m->n_pus + 1, 1);
	missing = calloc(m->n_pus + 1, 1);
	rc = -ENOMEM;
	if (!in_job || !missing) {
		mck_fail(err, rc, "out of memory");
		goto fail;
	}
	rc = -EINVAL;
	for (int j = 0; j < n; j++) {
		if (cpus[j] < 0 || cpus[j] >= m->max_os || m->pu_by_os[cpus[j]] < 0) {
			mck_fail(err, rc,
				 "--job-cpus: CPU %d is not an online CPU of this node; give the CPUs Slurm allocated to the job on this node",
				 cpus[j]);
			goto fail;
		}
		in_job[m->pu_by_os[cpus[j]]] = 1;
	}
	for (int i = 0; i < m->n_pus; i++)
		n_missing += missing[i] = m->pus[i].allowed && !in_job[i];
	rc = 0;
	if (n_missing) {
		list = mck_pus_format(m, missing);
		rc = mck_fail(err, -EPERM,
			      "the job may not use %d of the node's CPUs (%.200s%s): McKernel takes whole nodes, submit the job with --exclusive",
			      n_missing, list ? list : "?", list && strlen(list) > 200 ? "..." : "");
		free(list);
	}
fail:
	free(cpus);
	free(in_job);
	free(missing);
	return rc;
}

static int validate_policy(const struct mck_plan_policy *pol, struct mck_error *err)
{
	char a[32];

	switch (pol->mem) {
	case MCK_MEM_FRACTION:
		if (!(pol->mem_fraction > 0 && pol->mem_fraction * 100 <= MCK_MEM_CAP_PERCENT))
			return mck_fail(err, -EINVAL,
					"--mem-fraction %g is outside (0, 0.%d]: IHK reserves at most %d%% of a NUMA node",
					pol->mem_fraction, MCK_MEM_CAP_PERCENT, MCK_MEM_CAP_PERCENT);
		break;
	case MCK_MEM_SIZE:
		if (!pol->mem_size || pol->mem_size % MCK_MEM_UNIT) {
			mck_size_format(pol->mem_size, a, sizeof(a));
			return mck_fail(err, -EINVAL,
					"--mem-size %s is not a positive multiple of 4M (IHK reserves memory in 4 MiB units)",
					a);
		}
		break;
	case MCK_MEM_ALL_BUT:
		break;
	default:
		return mck_fail(err, -EINVAL, "unknown memory policy %d", (int)pol->mem);
	}
	if (pol->keep > MCK_KEEP_CPULIST || (int)pol->keep < 0)
		return mck_fail(err, -EINVAL, "unknown Linux core policy %d", (int)pol->keep);
	if (pol->ikc > MCK_IKC_SPREAD || (int)pol->ikc < 0)
		return mck_fail(err, -EINVAL, "unknown IKC policy %d", (int)pol->ikc);
	if (pol->lwk_cpu_kind > MCK_CPU_KIND_AUTO || (int)pol->lwk_cpu_kind < 0)
		return mck_fail(err, -EINVAL, "unknown --lwk-cpu-kind policy %d", (int)pol->lwk_cpu_kind);
	if (pol->memonly > MCK_MEMONLY_INCLUDE || (int)pol->memonly < 0)
		return mck_fail(err, -EINVAL, "unknown --memory-only-nodes policy %d", (int)pol->memonly);
	if (pol->assistant > MCK_ASSISTANT_LWK || (int)pol->assistant < 0)
		return mck_fail(err, -EINVAL, "unknown --assistant-cores policy %d", (int)pol->assistant);
	return 0;
}

/* The refusal when the roles leave McKernel no CPU. */
static int no_lwk_cpu(const struct mck_model *m, const struct mck_plan_policy *pol,
		      struct mck_error *err)
{
	int per_pkg = pol->keep == MCK_KEEP_PER_PACKAGE;

	if (mck_model_kind_mode(m, pol->lwk_cpu_kind) == MCK_CPU_KIND_PERFORMANCE && m->n_kinds >= 2)
		return mck_fail(err, -EINVAL, "no CPU left for McKernel: --lwk-cpu-kind %s gives McKernel only the performance cores and %s keeps all of them for Linux; give --lwk-cpu-kind all or keep fewer cores",
				pol->lwk_cpu_kind == MCK_CPU_KIND_AUTO ? "auto" : "performance",
				mck_keep_option(pol));
	if (pol->keep == MCK_KEEP_CPULIST)
		return mck_fail(err, -EINVAL, "no CPU left for McKernel: --linux-cpus keeps every allowed CPU; list fewer CPUs");
	if (pol->linux_cores <= 1)
		return mck_fail(err, -EINVAL, "no CPU left for McKernel: %s 1 keeps the only allowed core of each %s; use --linux-cpus to keep fewer cores%s",
				mck_keep_option(pol), per_pkg ? "package" : "NUMA node",
				per_pkg ? "" : " or --linux-cores-per-package");
	return mck_fail(err, -EINVAL, "no CPU left for McKernel: %s %d keeps every allowed core of each %s; lower it",
			mck_keep_option(pol), pol->linux_cores, per_pkg ? "package" : "NUMA node");
}

/* The plan's three CPU lists from the roles. */
static void plan_lists(const struct mck_model *m, const int *role, struct mck_plan *plan)
{
	plan->n_lwk = plan->n_linux = plan->n_idle = 0;
	for (int i = 0; i < m->n_pus; i++) {
		int os = m->pus[i].os;

		if (role[i] == ROLE_LWK)
			plan->lwk_cpus[plan->n_lwk++] = os;
		else if (role[i] == ROLE_LINUX)
			plan->linux_cpus[plan->n_linux++] = os;
		else
			plan->idle_cpus[plan->n_idle++] = os;
	}
}

/* "unused:" notes on idle and offline CPUs. */
static int note_unused_cpus(hwloc_topology_t topo, const struct mck_model *m, const int *role,
			    const struct mck_plan_policy *pol, struct mck_plan *plan)
{
	unsigned char *sel = calloc(m->n_pus + 1, 1);
	hwloc_bitmap_t off = hwloc_bitmap_dup(hwloc_topology_get_complete_cpuset(topo));
	char *list = NULL, *offline = NULL;
	int rc = -ENOMEM, n = 0;

	if (!sel || !off)
		goto fail;
	for (int i = 0; i < m->n_pus; i++)
		n += sel[i] = role[i] == ROLE_LINUX_IDLE && m->pus[i].allowed;
	if (n && (!(list = mck_pus_format(m, sel)) ||
		  mck_note_add(plan, MCK_NOTE_UNUSED, "%s %s %s idle: the other hardware threads of McKernel's cores (--smt %s)",
			       CPUS_WORD(list), list, VERB(list, "stays", "stay"), pol->smt_one ? "one" : "all")))
		goto fail;
	free(list);
	list = NULL;
	n = 0;
	for (int i = 0; i < m->n_pus; i++)
		n += sel[i] = !m->pus[i].allowed;
	if (n && (!(list = mck_pus_format(m, sel)) ||
		  mck_note_add(plan, MCK_NOTE_UNUSED, "%s %s %s outside the allowed cpuset (a cgroup or cpuset restriction): neither McKernel nor Linux's kept cores use %s",
			       CPUS_WORD(list), list, VERB(list, "is", "are"), VERB(list, "it", "them"))))
		goto fail;
	hwloc_bitmap_andnot(off, off, hwloc_topology_get_topology_cpuset(topo));
	if (!hwloc_bitmap_iszero(off) &&
	    (hwloc_bitmap_list_asprintf(&offline, off) < 0 ||
	     mck_note_add(plan, MCK_NOTE_UNUSED, "%s %s %s offline: not in the plan",
			  CPUS_WORD(offline), offline, VERB(offline, "is", "are"))))
		goto fail;
	rc = 0;
fail:
	free(sel);
	free(list);
	free(offline);
	hwloc_bitmap_free(off);
	return rc;
}

/* Warnings on what the topology leaves to a guess: NUMA nodes sharing one cpuset. */
static int note_shared_numas(const struct mck_model *m, struct mck_plan *plan)
{
	unsigned char *sel = calloc(m->n_pus + 1, 1);
	int *nodes = calloc(m->n_numas + 1, sizeof(int));
	char *all = NULL, *names = NULL;
	int rc = sel && nodes ? 0 : -ENOMEM;

	for (int i = 0; i < m->n_numas && !rc; i++) {
		const struct mck_model_numa *n = &m->numas[i];
		int first = 1, k = 0;

		if (n->shared_by < 2)
			continue;
		for (int j = 0; j < i && first; j++)
			first = !(m->numas[j].shared_by >= 2 &&
				  hwloc_bitmap_isequal(m->numas[j].obj->cpuset, n->obj->cpuset));
		if (!first)
			continue;
		for (int p = 0; p < m->n_pus; p++)
			sel[p] = m->numas[m->pus[p].numa].shared_by >= 2 &&
				 hwloc_bitmap_isequal(m->numas[m->pus[p].numa].obj->cpuset, n->obj->cpuset);
		for (int j = i; j < m->n_numas; j++)
			if (m->numas[j].shared_by >= 2 &&
			    hwloc_bitmap_isequal(m->numas[j].obj->cpuset, n->obj->cpuset))
				nodes[k++] = m->numas[j].os;
		all = mck_pus_format(m, sel);
		names = mck_cpulist_format(nodes, k);
		rc = !all || !names ? -ENOMEM :
		     mck_note_add(plan, MCK_NOTE_WARNING,
				  "NUMA nodes %s share CPUs %s in the topology with no finer locality (no Group objects, as Intel cluster-on-die/SNC may be described): each gets an equal share of the cores, in order; check with numactl -H on the node",
				  names, all);
		free(all);
		free(names);
	}
	free(sel);
	free(nodes);
	return rc;
}

int mck_plan_compute(hwloc_topology_t topo, const struct mck_plan_policy *policy,
		     struct mck_plan *plan, struct mck_error *err)
{
	struct mck_model m;
	struct mck_plan_policy defaults;
	int *role = NULL, rc, n_serving = 0, n_lwk = 0;

	memset(plan, 0, sizeof(*plan));
	if (!policy) {
		mck_plan_policy_init(&defaults);
		policy = &defaults;
	}
	rc = validate_policy(policy, err);
	if (rc)
		return rc;
	rc = mck_model_build(topo, &m, err);
	if (rc)
		return rc;
	rc = mck_model_describe(topo, &m, err);
	if (rc) {
		mck_model_free(&m);
		return rc;
	}
	rc = -ENOMEM;
	role = calloc(m.n_pus, sizeof(*role));
	plan->lwk_cpus = calloc(m.n_pus, sizeof(int));
	plan->linux_cpus = calloc(m.n_pus, sizeof(int));
	plan->idle_cpus = calloc(m.n_pus, sizeof(int));
	plan->ikc = calloc(m.n_pus, sizeof(*plan->ikc));
	if (!role || !plan->lwk_cpus || !plan->linux_cpus || !plan->idle_cpus || !plan->ikc) {
		mck_fail(err, rc, "out of memory");
		goto fail;
	}
	if (policy->job_cpulist && *policy->job_cpulist) {
		rc = check_job_share(&m, policy->job_cpulist, err);
		if (rc)
			goto fail;
	}
	rc = mck_plan_roles(&m, policy, role, plan, err);
	if (rc)
		goto fail;
	for (int i = 0; i < m.n_pus; i++) {
		n_lwk += role[i] == ROLE_LWK;
		n_serving += role[i] == ROLE_LINUX;
	}
	rc = -EINVAL;
	if (!n_lwk) {
		no_lwk_cpu(&m, policy, err);
		goto fail;
	}
	if (!n_serving) {
		mck_fail(err, rc, "no allowed Linux CPU left to serve McKernel's system calls; %s",
			 policy->keep == MCK_KEEP_CPULIST ? "list at least one allowed CPU in --linux-cpus"
							  : "the node's allowed cpuset excludes every kept core: name allowed CPUs with --linux-cpus");
		goto fail;
	}
	if (n_lwk > MCK_MAX_CPUS) {
		mck_fail(err, rc, "%d LWK CPUs exceed IHK's limit of %d per call; keep more cores for Linux or use --smt one",
			 n_lwk, MCK_MAX_CPUS);
		goto fail;
	}
	rc = mck_plan_ikc(topo, &m, policy, role, plan, err);
	if (rc)
		goto fail;
	plan_lists(&m, role, plan);
	rc = mck_plan_memory(&m, policy, plan, err);
	if (rc)
		goto fail;
	if (note_unused_cpus(topo, &m, role, policy, plan) || note_shared_numas(&m, plan)) {
		rc = mck_fail(err, -ENOMEM, "out of memory");
		goto fail;
	}
	rc = mck_plan_check(topo, plan, err);
	if (rc) {
		mck_error_prefix(err, "internal planner error, please report: ");
		goto fail;
	}
	rc = 0;
fail:
	free(role);
	mck_model_free(&m);
	if (rc)
		mck_plan_free(plan);
	return rc;
}
