/*
 * roles.c: which CPUs stay with Linux, which go to McKernel, which stay
 * idle, and why. Cores of a slower CPU kind (hybrid parts) and assistant
 * cores (A64FX) stay with Linux before the per-group rule keeps the first
 * cores of every NUMA node or package; an explicit CPU list is exact.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan-internal.h"

struct roles {
	const struct mck_model *m;
	const struct mck_plan_policy *pol;
	int keep;		/* cores kept per group */
	int per_pkg;		/* groups are packages, else NUMA nodes */
	int kind_mode;		/* MCK_CPU_KIND_ALL or _PERFORMANCE in force */
	int assist;		/* assistant cores stay with Linux */
	int *list, n_list;	/* MCK_KEEP_CPULIST: the CPUs */
};

static int group_of(const struct roles *r, const struct mck_model_core *c)
{
	return r->per_pkg ? c->pkg : c->numa;
}

/* Refusals that need no plan: bad list, bad count, unranked kinds. */
static int roles_setup(struct roles *r, struct mck_error *err)
{
	const struct mck_model *m = r->m;
	const struct mck_plan_policy *pol = r->pol;

	if (pol->keep == MCK_KEEP_CPULIST) {
		if (!pol->linux_cpulist || !*pol->linux_cpulist)
			return mck_fail(err, -EINVAL,
					"--linux-cpus: give the CPUs kept for Linux, e.g. --linux-cpus 0,12");
		if (mck_cpulist_parse(pol->linux_cpulist, &r->list, &r->n_list, err)) {
			mck_error_prefix(err, "--linux-cpus: ");
			return -EINVAL;
		}
		for (int j = 0; j < r->n_list; j++)
			if (r->list[j] >= m->max_os || m->pu_by_os[r->list[j]] < 0)
				return mck_fail(err, -EINVAL,
						"--linux-cpus: CPU %d is not an online CPU of this node; list only online CPUs",
						r->list[j]);
	} else if (pol->linux_cores < 0 || pol->linux_cores > 4096) {
		return mck_fail(err, -EINVAL, "%s: %d is not a core count between 1 and 4096",
				mck_keep_option(pol), pol->linux_cores);
	}
	if (pol->lwk_cpu_kind == MCK_CPU_KIND_PERFORMANCE && m->n_kinds >= 2 && !m->kinds_ranked)
		return mck_fail(err, -EINVAL,
				"--lwk-cpu-kind performance: the node has %d CPU kinds but hwloc does not rank them by efficiency; give --lwk-cpu-kind all, or --linux-cpus to keep the slower cores",
				m->n_kinds);
	r->keep = pol->linux_cores > 0 ? pol->linux_cores : 1;
	r->per_pkg = pol->keep == MCK_KEEP_PER_PACKAGE;
	r->kind_mode = mck_model_kind_mode(m, pol->lwk_cpu_kind);
	if (pol->assistant == MCK_ASSISTANT_LINUX && pol->keep != MCK_KEEP_CPULIST)
		for (int ci = 0; ci < m->n_cores && !r->assist; ci++)
			r->assist = m->cores[ci].assistant && m->cores[ci].n_allowed > 0;
	return 0;
}

/* A core Linux keeps whatever the per-group rule says: slower kind, assistant. */
static int core_forced(const struct roles *r, const struct mck_model_core *c)
{
	return !mck_model_kind_ok(r->m, r->kind_mode, c->first_pu) ||
	       (r->assist && c->assistant);
}

static int listed(const struct roles *r, int os)
{
	for (int j = 0; j < r->n_list; j++)
		if (r->list[j] == os)
			return 1;
	return 0;
}

/* The roles; kept_core[ci]: kept by the per-group rule; kept: a zeroed counter per group. */
static void assign(const struct roles *r, int *role, unsigned char *kept_core, int *kept)
{
	const struct mck_model *m = r->m;
	int groups = r->per_pkg ? m->n_pkgs : m->n_numas;

	for (int ci = 0; ci < m->n_cores && r->pol->keep != MCK_KEEP_CPULIST; ci++) {
		const struct mck_model_core *c = &m->cores[ci];

		if (c->n_allowed > 0 && !mck_model_kind_ok(m, r->kind_mode, c->first_pu))
			kept[group_of(r, c)]++;
	}
	/* The assistant cores take the place of every group's first kept core. */
	for (int g = 0; g < groups && r->assist; g++)
		kept[g]++;
	for (int ci = 0; ci < m->n_cores; ci++) {
		const struct mck_model_core *c = &m->cores[ci];
		int forced = core_forced(r, c), lwk_given = 0;

		kept_core[ci] = r->pol->keep != MCK_KEEP_CPULIST && c->n_allowed > 0 && !forced &&
				kept[group_of(r, c)] < r->keep;
		kept[group_of(r, c)] += kept_core[ci];
		for (int k = 0; k < c->n_pu; k++) {
			int pi = c->first_pu + k;

			if (!m->pus[pi].allowed)
				role[pi] = ROLE_LINUX_IDLE;
			else if (kept_core[ci] || forced || listed(r, m->pus[pi].os))
				role[pi] = ROLE_LINUX;
			else if (r->pol->smt_one && lwk_given)
				role[pi] = ROLE_LINUX_IDLE;
			else {
				role[pi] = ROLE_LWK;
				lwk_given = 1;
			}
		}
	}
}

/* "cpus:" notes on the cores a CPU kind or the assistant rule keeps. */
static int note_forced(const struct roles *r, const int *role, unsigned char *sel,
		       struct mck_plan *plan)
{
	const struct mck_model *m = r->m;
	char mark[16], *list = NULL, *fast = NULL;
	int rc = 0, n = 0;

	if (m->n_kinds >= 2) {
		const char *type = m->kinds_ranked ? m->kind_type[m->n_kinds - 1] : NULL;

		for (int i = 0; i < m->n_pus; i++)
			sel[i] = m->pus[i].kind == m->n_kinds - 1;
		fast = mck_pus_format(m, sel);
		for (int i = 0; i < m->n_pus; i++)
			n += sel[i] = role[i] != ROLE_LWK && !mck_model_kind_ok(m, r->kind_mode, i);
		list = mck_pus_format(m, sel);
		mck_model_kind_mark(m, m->n_kinds - 1, mark, sizeof(mark));
		if (!fast || !list)
			rc = -ENOMEM;
		else if (r->kind_mode == MCK_CPU_KIND_PERFORMANCE && n)
			rc = mck_note_add(plan, MCK_NOTE_CPUS,
					  "%s %s %s with Linux: McKernel runs on one CPU kind, the most performant (%s%s%s: CPUs %s), because a bulk-synchronous job runs at the pace of its slowest core (--lwk-cpu-kind %s)",
					  CPUS_WORD(list), list, VERB(list, "stays", "stay"), mark,
					  type ? ", " : "", type ? type : "", fast,
					  r->pol->lwk_cpu_kind == MCK_CPU_KIND_AUTO ? "auto" : "performance");
		else if (r->kind_mode == MCK_CPU_KIND_ALL && r->pol->lwk_cpu_kind == MCK_CPU_KIND_AUTO)
			rc = mck_note_add(plan, MCK_NOTE_WARNING,
					  "the node has %d CPU kinds that hwloc does not rank by efficiency: McKernel gets cores of every kind and a job runs at the pace of its slowest core; keep the slower cores with --linux-cpus",
					  m->n_kinds);
		else if (r->kind_mode == MCK_CPU_KIND_ALL)
			rc = mck_note_add(plan, MCK_NOTE_CPUS,
					  "McKernel gets cores of all %d CPU kinds (--lwk-cpu-kind all)", m->n_kinds);
		free(fast);
		free(list);
		if (rc)
			return -ENOMEM;
	}
	if (!m->n_assistant)
		return 0;
	n = 0;
	for (int i = 0; i < m->n_pus; i++)
		n += sel[i] = m->cores[m->pus[i].core].assistant && m->pus[i].allowed &&
			      (r->assist ? role[i] != ROLE_LWK : role[i] == ROLE_LWK);
	if (!n)
		return 0;
	list = mck_pus_format(m, sel);
	if (!list)
		return -ENOMEM;
	if (r->assist)
		rc = mck_note_add(plan, MCK_NOTE_CPUS,
				  "%s %s %s with Linux: assistant cores, outside the regular compute groups (%s objects of %d cores); they take the place of the first Linux core of every %s (--assistant-cores linux)",
				  CPUS_WORD(list), list, VERB(list, "stays", "stay"), m->group_type, m->group_cores, r->per_pkg ? "package" : "NUMA node");
	else if (r->pol->keep == MCK_KEEP_CPULIST)
		rc = mck_note_add(plan, MCK_NOTE_CPUS,
				  "assistant %s %s %s to McKernel: --linux-cpus names exactly the CPUs Linux keeps",
				  CPUS_WORD(list), list, VERB(list, "goes", "go"));
	else
		rc = mck_note_add(plan, MCK_NOTE_CPUS,
				  "assistant %s %s %s to McKernel like the compute cores (--assistant-cores mckernel)",
				  CPUS_WORD(list), list, VERB(list, "goes", "go"));
	free(list);
	return rc;
}

/* "the first core", "the first 2 cores", "the next core" (after the assistant cores). */
static const char *keep_rule(char *buf, size_t len, int keep, int assist)
{
	int n = assist ? keep - 1 : keep;

	if (n == 1)
		snprintf(buf, len, "the %s core", assist ? "next" : "first");
	else
		snprintf(buf, len, "the %s %d cores", assist ? "next" : "first", n);
	return buf;
}

/* "cpus:" notes of the per-group rule: the cores each NUMA node / package keeps. */
static int note_groups(const struct roles *r, const int *role, const unsigned char *kept_core,
		       struct mck_plan *plan)
{
	const struct mck_model *m = r->m;
	int groups = r->per_pkg ? m->n_pkgs : m->n_numas, n_kept = 0, rc = 0;
	int *pis = malloc((m->n_pus + 1) * sizeof(int)), *kept = malloc((m->n_cores + 1) * sizeof(int));
	char name[64], rule[48], *list;

	if (!pis || !kept)
		rc = -ENOMEM;
	for (int ci = 0; ci < m->n_cores && !rc; ci++)
		if (kept_core[ci])
			kept[n_kept++] = ci;
	for (int g = 0; g < groups && !rc; g++) {
		int n = 0;

		for (int j = 0; j < n_kept; j++) {
			const struct mck_model_core *c = &m->cores[kept[j]];

			for (int k = 0; k < c->n_pu && group_of(r, c) == g; k++)
				if (role[c->first_pu + k] == ROLE_LINUX)
					pis[n++] = c->first_pu + k;
		}
		if (!n)
			continue;
		list = mck_pus_format_list(m, pis, n);
		if (r->per_pkg)
			snprintf(name, sizeof(name), "package %d", g);
		else
			mck_numa_name(m, g, name, sizeof(name));
		rc = !list ? -ENOMEM :
		     mck_note_add(plan, MCK_NOTE_CPUS, "%s: %s %s %s with Linux: %s%s of every %s%s (%s %d)",
				  name, CPUS_WORD(list), list, VERB(list, "stays", "stay"),
				  r->assist ? "besides the assistant cores, " : "",
				  keep_rule(rule, sizeof(rule), r->keep, r->assist),
				  r->per_pkg ? "package" : "NUMA node", r->per_pkg ? "" : " with CPUs",
				  mck_keep_option(r->pol), r->keep);
		free(list);
	}
	free(pis);
	free(kept);
	return rc;
}

/* "cpus:" notes: the per-group rule (or the list), then what McKernel gets. */
static int note_kept(const struct roles *r, const int *role, const unsigned char *kept_core,
		     unsigned char *sel, struct mck_plan *plan)
{
	const struct mck_model *m = r->m;
	int n_lwk = 0, n_cores = 0, rc;
	char *list;

	if (r->pol->keep != MCK_KEEP_CPULIST) {
		rc = note_groups(r, role, kept_core, plan);
	} else {
		for (int i = 0; i < m->n_pus; i++)
			sel[i] = role[i] == ROLE_LINUX && listed(r, m->pus[i].os);
		list = mck_pus_format(m, sel);
		rc = !list ? -ENOMEM :
		     mck_note_add(plan, MCK_NOTE_CPUS, "%s %s %s with Linux: listed in --linux-cpus",
				  CPUS_WORD(list), list, VERB(list, "stays", "stay"));
		free(list);
	}
	for (int ci = 0; ci < m->n_cores && !rc; ci++) {
		int any = 0;

		for (int k = 0; k < m->cores[ci].n_pu; k++)
			any |= role[m->cores[ci].first_pu + k] == ROLE_LWK;
		n_cores += any;
	}
	for (int i = 0; i < m->n_pus; i++)
		n_lwk += sel[i] = role[i] == ROLE_LWK;
	if (rc || !n_lwk)
		return rc;
	list = mck_pus_format(m, sel);
	rc = !list ? -ENOMEM :
	     mck_note_add(plan, MCK_NOTE_CPUS, "McKernel gets CPUs %s (%d %s of %d %s): %s (--smt %s)",
			  list, n_lwk, n_lwk == 1 ? "CPU" : "CPUs", n_cores, n_cores == 1 ? "core" : "cores",
			  r->pol->smt_one ? "one hardware thread of each of its cores" : "every hardware thread of its cores",
			  r->pol->smt_one ? "one" : "all");
	free(list);
	return rc;
}

int mck_plan_roles(const struct mck_model *m, const struct mck_plan_policy *pol, int *role,
		   struct mck_plan *plan, struct mck_error *err)
{
	struct roles r = { .m = m, .pol = pol };
	unsigned char *kept_core = calloc(m->n_cores + 1, 1), *sel = calloc(m->n_pus + 1, 1);
	int *kept = calloc(m->n_pkgs + m->n_numas + 1, sizeof(int)), rc = -ENOMEM;

	if (!kept_core || !sel || !kept) {
		mck_fail(err, rc, "out of memory");
		goto fail;
	}
	rc = roles_setup(&r, err);
	if (rc)
		goto fail;
	assign(&r, role, kept_core, kept);
	if (note_forced(&r, role, sel, plan) || note_kept(&r, role, kept_core, sel, plan)) {
		rc = mck_fail(err, -ENOMEM, "out of memory");
		goto fail;
	}
	rc = 0;
fail:
	free(kept_core);
	free(sel);
	free(kept);
	free(r.list);
	return rc;
}
