/*
 * plan.c: the partition planner (topology + policy -> plan) and the
 * checker of IHK's rules.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mck-plan.h"
#include "model.h"

enum pu_role {
	ROLE_LINUX_IDLE = 0,	/* stays with Linux, serves no LWK CPU (sibling, disallowed) */
	ROLE_LINUX,		/* kept for Linux, may serve LWK CPUs' system calls */
	ROLE_LWK,
};

void mck_plan_policy_init(struct mck_plan_policy *policy)
{
	memset(policy, 0, sizeof(*policy));
	policy->mem_fraction = 0.5;
	policy->linux_cores = 1;
}

void mck_plan_free(struct mck_plan *plan)
{
	if (!plan)
		return;
	free(plan->lwk_cpus);
	free(plan->linux_cpus);
	free(plan->mem);
	free(plan->ikc);
	free(plan->mem_total);
	memset(plan, 0, sizeof(*plan));
}

/*
 * The job's share: McKernel takes whole nodes, so the job must be able to
 * use every allowed CPU of the node, and may name only CPUs of this node.
 */
static int check_job_share(const struct mck_model *m, const char *job_cpulist,
			   struct mck_error *err)
{
	int *cpus = NULL, n = 0, rc, *missing = NULL, n_missing = 0;
	char *list;

	rc = mck_cpulist_parse(job_cpulist, &cpus, &n, err);
	if (rc) {
		mck_error_prefix(err, "--job-cpus: ");
		return rc;
	}
	for (int j = 0; j < n; j++)
		if (cpus[j] < 0 || cpus[j] >= m->max_os || m->pu_by_os[cpus[j]] < 0) {
			rc = mck_fail(err, -EINVAL,
				      "--job-cpus: CPU %d is not an online CPU of this node; give the CPUs Slurm allocated to the job on this node",
				      cpus[j]);
			free(cpus);
			return rc;
		}
	missing = calloc(m->n_pus, sizeof(*missing));
	if (!missing) {
		free(cpus);
		return mck_fail(err, -ENOMEM, "out of memory");
	}
	for (int i = 0; i < m->n_pus; i++) {
		const struct mck_model_pu *p = &m->pus[i];
		int found = 0;

		if (!p->allowed)
			continue;
		for (int j = 0; j < n && !found; j++)
			found = cpus[j] == p->os;
		if (!found)
			missing[n_missing++] = p->os;
	}
	free(cpus);
	rc = 0;
	if (n_missing) {
		list = mck_cpulist_format(missing, n_missing);
		rc = mck_fail(err, -EPERM,
			      "the job may not use %d of the node's CPUs (%.200s%s): McKernel takes whole nodes, submit the job with --exclusive",
			      n_missing, list ? list : "?", list && strlen(list) > 200 ? "..." : "");
		free(list);
	}
	free(missing);
	return rc;
}

static const char *keep_option(const struct mck_plan_policy *pol)
{
	switch (pol->keep) {
	case MCK_KEEP_PER_PACKAGE: return "--linux-cores-per-package";
	case MCK_KEEP_CPULIST: return "--linux-cpus";
	default: return "--linux-cores";
	}
}

/* Mark the cores kept for Linux (first `keep` allowed cores of each group). */
static int assign_roles(const struct mck_model *m, const struct mck_plan_policy *pol,
			int *role, struct mck_error *err)
{
	int keep = pol->linux_cores > 0 ? pol->linux_cores : 1;
	int groups = pol->keep == MCK_KEEP_PER_PACKAGE ? m->n_pkgs : m->n_numas;
	int *kept = NULL, *linux_list = NULL, n_linux_list = 0, rc = -ENOMEM;

	kept = calloc(groups > 0 ? groups : 1, sizeof(*kept));
	if (!kept)
		return mck_fail(err, rc, "out of memory");
	if (pol->keep == MCK_KEEP_CPULIST) {
		if (!pol->linux_cpulist || !*pol->linux_cpulist) {
			rc = mck_fail(err, -EINVAL,
				      "--linux-cpus: give the CPUs kept for Linux, e.g. --linux-cpus 0,12");
			goto fail;
		}
		rc = mck_cpulist_parse(pol->linux_cpulist, &linux_list, &n_linux_list, err);
		if (rc) {
			mck_error_prefix(err, "--linux-cpus: ");
			goto fail;
		}
		for (int j = 0; j < n_linux_list; j++) {
			int c = linux_list[j];

			if (c >= m->max_os || m->pu_by_os[c] < 0) {
				rc = mck_fail(err, -EINVAL,
					      "--linux-cpus: CPU %d is not an online CPU of this node; list only online CPUs",
					      c);
				goto fail;
			}
		}
	}
	if (pol->keep != MCK_KEEP_CPULIST && (pol->linux_cores < 0 || pol->linux_cores > 4096)) {
		rc = mck_fail(err, -EINVAL, "%s: %d is not a core count between 1 and 4096",
			      keep_option(pol), pol->linux_cores);
		goto fail;
	}
	if (pol->lwk_cpu_kind == MCK_CPU_KIND_PERFORMANCE && m->n_kinds >= 2 && !m->kinds_ranked) {
		rc = mck_fail(err, -EINVAL,
			      "--lwk-cpu-kind performance: the node has %d CPU kinds but hwloc does not rank them by efficiency; give --lwk-cpu-kind all, or --linux-cpus to keep the slower cores",
			      m->n_kinds);
		goto fail;
	}
	/* Allowed cores of the other kinds stay with Linux and count as kept cores. */
	if (pol->keep != MCK_KEEP_CPULIST)
		for (int ci = 0; ci < m->n_cores; ci++) {
			const struct mck_model_core *c = &m->cores[ci];

			if (c->n_allowed > 0 && !mck_model_kind_ok(m, pol->lwk_cpu_kind, c->first_pu))
				kept[pol->keep == MCK_KEEP_PER_PACKAGE ? c->pkg : c->numa]++;
		}

	for (int ci = 0; ci < m->n_cores; ci++) {
		const struct mck_model_core *c = &m->cores[ci];
		int group = pol->keep == MCK_KEEP_PER_PACKAGE ? c->pkg : c->numa;
		int to_linux = 0, lwk_given = 0;

		if (pol->keep != MCK_KEEP_CPULIST && c->n_allowed > 0 && kept[group] < keep &&
		    mck_model_kind_ok(m, pol->lwk_cpu_kind, c->first_pu)) {
			kept[group]++;
			to_linux = 1;
		}
		for (int k = 0; k < c->n_pu; k++) {
			int pi = c->first_pu + k;
			const struct mck_model_pu *p = &m->pus[pi];
			int listed = 0;

			if (pol->keep == MCK_KEEP_CPULIST)
				for (int j = 0; j < n_linux_list && !listed; j++)
					listed = linux_list[j] == p->os;
			if (!p->allowed)
				role[pi] = ROLE_LINUX_IDLE;
			else if (to_linux || listed || !mck_model_kind_ok(m, pol->lwk_cpu_kind, pi))
				role[pi] = ROLE_LINUX;
			else if (pol->smt_one && lwk_given)
				role[pi] = ROLE_LINUX_IDLE;
			else {
				role[pi] = ROLE_LWK;
				lwk_given = 1;
			}
		}
	}
	rc = 0;
fail:
	free(kept);
	free(linux_list);
	return rc;
}

/*
 * For every NUMA node, the Linux CPUs that may serve its LWK CPUs: the kept
 * (serving) Linux CPUs of the node; else any allowed Linux CPU of the node
 * (e.g. an idle SMT sibling), since IHK wants the same node whenever it has
 * a Linux CPU; else the serving CPUs of its package; else all serving CPUs.
 * targets holds n_numas runs of CPU OS indexes, start[i]..start[i+1].
 */
static int ikc_targets(const struct mck_model *m, const int *role, int **targets, int **start)
{
	int *t = malloc((size_t)m->n_numas * m->n_pus * sizeof(int));
	int *st = malloc((m->n_numas + 1) * sizeof(int)), n = 0;

	if (!t || !st) {
		free(t);
		free(st);
		return -ENOMEM;
	}
	for (int ni = 0; ni < m->n_numas; ni++) {
		int pkg = m->numas[ni].pkg;

		st[ni] = n;
		for (int level = 0; level < 4 && n == st[ni]; level++) {
			for (int j = 0; j < m->n_pus; j++) {
				const struct mck_model_pu *q = &m->pus[j];
				int take;

				switch (level) {
				case 0: take = role[j] == ROLE_LINUX && q->numa == ni; break;
				case 1: take = role[j] != ROLE_LWK && q->allowed && q->numa == ni; break;
				case 2: take = role[j] == ROLE_LINUX && q->pkg == pkg; break;
				default: take = role[j] == ROLE_LINUX; break;
				}
				if (take)
					t[n++] = q->os;
			}
		}
	}
	st[m->n_numas] = n;
	*targets = t;
	*start = st;
	return 0;
}

static void size_str(uint64_t bytes, char *buf, size_t len)
{
	mck_size_format(bytes, buf, len);
}

/* The memory McKernel gets on NUMA node n under the policy; 0 means skip. */
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
			size_str(s, a, sizeof(a));
			size_str(n->mem, b, sizeof(b));
			return mck_fail(err, -ENOMEM,
					"--mem-size %s is more than NUMA node %d has (%s); lower --mem-size",
					a, n->os, b);
		}
		break;
	case MCK_MEM_ALL_BUT:
		if (pol->mem_keep >= n->mem) {
			size_str(pol->mem_keep, a, sizeof(a));
			size_str(n->mem, b, sizeof(b));
			return mck_fail(err, -ENOMEM,
					"--mem-keep %s leaves nothing of NUMA node %d (%s) for McKernel; lower --mem-keep",
					a, n->os, b);
		}
		s = n->mem - pol->mem_keep;
		break;
	}
	s -= s % MCK_MEM_UNIT;
	if (s * 50 > n->mem * 49) {
		size_str(s, a, sizeof(a));
		size_str(n->mem, b, sizeof(b));
		return mck_fail(err, -ENOMEM,
				"McKernel would get %s of NUMA node %d's %s, above IHK's 98%% cap; %s",
				a, n->os, b,
				pol->mem == MCK_MEM_ALL_BUT ? "raise --mem-keep" :
				pol->mem == MCK_MEM_SIZE ? "lower --mem-size" : "lower --mem-fraction");
	}
	*size = s;
	return 0;
}

static int validate_policy(const struct mck_plan_policy *pol, struct mck_error *err)
{
	char a[32];

	switch (pol->mem) {
	case MCK_MEM_FRACTION:
		if (!(pol->mem_fraction > 0 && pol->mem_fraction <= 0.98))
			return mck_fail(err, -EINVAL,
					"--mem-fraction %g is outside (0, 0.98]: IHK cannot reserve more than 98%% of a node",
					pol->mem_fraction);
		break;
	case MCK_MEM_SIZE:
		if (!pol->mem_size || pol->mem_size % MCK_MEM_UNIT) {
			size_str(pol->mem_size, a, sizeof(a));
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
	if (pol->lwk_cpu_kind > MCK_CPU_KIND_PERFORMANCE || (int)pol->lwk_cpu_kind < 0)
		return mck_fail(err, -EINVAL, "unknown --lwk-cpu-kind policy %d", (int)pol->lwk_cpu_kind);
	return 0;
}

static int plan_memory(const struct mck_model *m, const struct mck_plan_policy *pol,
		       struct mck_plan *plan, struct mck_error *err)
{
	int rc;

	plan->mem = calloc(m->n_numas, sizeof(*plan->mem));
	plan->mem_total = calloc(m->n_numas, sizeof(*plan->mem_total));
	if (!plan->mem || !plan->mem_total)
		return mck_fail(err, -ENOMEM, "out of memory");
	for (int i = 0; i < m->n_numas; i++) {
		const struct mck_model_numa *n = &m->numas[i];
		uint64_t size = 0;

		if (!n->allowed || (n->n_pus == 0 && !pol->mem_memonly))
			continue;
		rc = mem_for_node(n, pol, &size, err);
		if (rc)
			return rc;
		if (!size)
			continue;
		plan->mem[plan->n_mem].numa = n->os;
		plan->mem[plan->n_mem].size = size;
		plan->mem_total[plan->n_mem] = n->mem;
		plan->n_mem++;
	}
	if (!plan->n_mem)
		return mck_fail(err, -ENOMEM,
				"no usable memory: the NUMA nodes %sreport too little memory for a 4 MiB unit; raise --mem-fraction/--mem-size or use a topology that reports memory per NUMA node",
				pol->mem_memonly ? "" : "with CPUs ");
	return 0;
}

int mck_plan_compute(hwloc_topology_t topo, const struct mck_plan_policy *policy,
		     struct mck_plan *plan, struct mck_error *err)
{
	struct mck_model m;
	struct mck_plan_policy defaults;
	int *role = NULL, *served = NULL, *targets = NULL, *start = NULL, rc, n_serving = 0;

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
	rc = -ENOMEM;
	role = calloc(m.n_pus, sizeof(*role));
	served = calloc(m.n_numas, sizeof(*served));
	plan->lwk_cpus = calloc(m.n_pus, sizeof(int));
	plan->linux_cpus = calloc(m.n_pus, sizeof(int));
	plan->ikc = calloc(m.n_pus, sizeof(*plan->ikc));
	if (!role || !served || !plan->lwk_cpus || !plan->linux_cpus || !plan->ikc) {
		mck_fail(err, rc, "out of memory");
		goto fail;
	}
	if (policy->job_cpulist && *policy->job_cpulist) {
		rc = check_job_share(&m, policy->job_cpulist, err);
		if (rc)
			goto fail;
	}
	rc = assign_roles(&m, policy, role, err);
	if (rc)
		goto fail;

	for (int i = 0; i < m.n_pus; i++) {
		if (role[i] == ROLE_LWK)
			plan->lwk_cpus[plan->n_lwk++] = m.pus[i].os;
		else
			plan->linux_cpus[plan->n_linux++] = m.pus[i].os;
		n_serving += role[i] == ROLE_LINUX;
	}
	rc = -EINVAL;
	if (!plan->n_lwk) {
		if (policy->lwk_cpu_kind == MCK_CPU_KIND_PERFORMANCE && m.n_kinds >= 2)
			mck_fail(err, rc, "no CPU left for McKernel: --lwk-cpu-kind performance gives McKernel only the performance cores and %s keeps all of them for Linux; give --lwk-cpu-kind all or keep fewer cores",
				 keep_option(policy));
		else if (policy->keep == MCK_KEEP_CPULIST)
			mck_fail(err, rc, "no CPU left for McKernel: --linux-cpus keeps every allowed CPU; list fewer CPUs");
		else if (policy->linux_cores <= 1)
			mck_fail(err, rc, "no CPU left for McKernel: %s 1 keeps the only allowed core of each %s; use --linux-cpus to keep fewer cores%s",
				 keep_option(policy),
				 policy->keep == MCK_KEEP_PER_PACKAGE ? "package" : "NUMA node",
				 policy->keep == MCK_KEEP_PER_PACKAGE ? "" : " or --linux-cores-per-package");
		else
			mck_fail(err, rc, "no CPU left for McKernel: %s %d keeps every allowed core of each %s; lower it",
				 keep_option(policy), policy->linux_cores > 0 ? policy->linux_cores : 1,
				 policy->keep == MCK_KEEP_PER_PACKAGE ? "package" : "NUMA node");
		goto fail;
	}
	if (!n_serving) {
		mck_fail(err, rc, "no allowed Linux CPU left to serve McKernel's system calls; %s",
			 policy->keep == MCK_KEEP_CPULIST ? "list at least one allowed CPU in --linux-cpus"
							  : "the node's allowed cpuset excludes every kept core: name allowed CPUs with --linux-cpus");
		goto fail;
	}
	if (plan->n_lwk > MCK_MAX_CPUS) {
		mck_fail(err, rc, "%d LWK CPUs exceed IHK's limit of %d per call; keep more cores for Linux or use --smt one",
			 plan->n_lwk, MCK_MAX_CPUS);
		goto fail;
	}
	if (ikc_targets(&m, role, &targets, &start)) {
		rc = mck_fail(err, -ENOMEM, "out of memory");
		goto fail;
	}
	for (int i = 0, k = 0; i < m.n_pus; i++) {
		int ni = m.pus[i].numa, n_cand = start[ni + 1] - start[ni], pick;

		if (role[i] != ROLE_LWK)
			continue;
		pick = policy->ikc == MCK_IKC_SPREAD ? served[ni]++ % n_cand : 0;
		plan->ikc[k].lwk_cpu = m.pus[i].os;
		plan->ikc[k].linux_cpu = targets[start[ni] + pick];
		k++;
	}
	rc = plan_memory(&m, policy, plan, err);
	if (rc)
		goto fail;
	rc = mck_plan_check(topo, plan, err);
	if (rc) {
		mck_error_prefix(err, "internal planner error, please report: ");
		goto fail;
	}
	rc = 0;
fail:
	free(role);
	free(served);
	free(targets);
	free(start);
	mck_model_free(&m);
	if (rc)
		mck_plan_free(plan);
	return rc;
}

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
		if (c->size * 50 > m.numas[ni].mem * 49) {
			mck_fail(err, rc, "memory chunk on NUMA node %d exceeds IHK's 98%% cap of the node", c->numa);
			goto fail;
		}
	}
	rc = 0;
fail:
	free(is_lwk);
	mck_model_free(&m);
	return rc;
}
