/* model.c: the flat topology view shared by the planner, checker and pictures. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mck-plan.h"
#include "model.h"

void mck_model_free(struct mck_model *m)
{
	free(m->pus);
	free(m->cores);
	free(m->numas);
	free(m->pu_by_os);
	free(m->kind_type);
	memset(m, 0, sizeof(*m));
}

void mck_model_kind_mark(const struct mck_model *m, int kind, char *buf, size_t len)
{
	if (m->n_kinds < 2)
		snprintf(buf, len, "%s", "");
	else if (kind < 0 || kind >= m->n_kinds)
		snprintf(buf, len, "?");
	else if (m->kinds_ranked && kind == m->n_kinds - 1)
		snprintf(buf, len, "P");
	else if (m->kinds_ranked && kind == 0)
		snprintf(buf, len, "E");
	else
		snprintf(buf, len, "K%d", kind);
}

int mck_model_kind_ok(const struct mck_model *m, int mode, int pi)
{
	if (mode != MCK_CPU_KIND_PERFORMANCE || m->n_kinds < 2)
		return 1;
	return m->pus[pi].kind == m->n_kinds - 1;
}

static void model_kinds(hwloc_topology_t topo, struct mck_model *m)
{
	m->kinds_ranked = 1;
	for (int k = 0; k < m->n_kinds; k++) {
		struct hwloc_info_s *infos = NULL;
		unsigned n_infos = 0;
		int eff = -1;

		if (hwloc_cpukinds_get_info(topo, (unsigned)k, NULL, &eff, &n_infos, &infos, 0) < 0)
			eff = -1;
		if (eff < 0)
			m->kinds_ranked = 0;
		for (unsigned i = 0; i < n_infos; i++)
			if (!strcmp(infos[i].name, "CoreType"))
				m->kind_type[k] = infos[i].value;
	}
}

int mck_model_numa_index(const struct mck_model *m, int numa_os)
{
	for (int i = 0; i < m->n_numas; i++)
		if (m->numas[i].os == numa_os)
			return i;
	return -1;
}

/*
 * The home NUMA node of a PU: of the NUMA nodes whose cpuset holds it, the
 * most local one (smallest cpuset); on a tie an ordinary node (no subtype
 * such as MCDRAM/HBM) before a special one, then the lowest OS index.
 * hwloc attaches memory-only nodes beside the CPUs nearest to them, so
 * their cpuset is not empty; this is how they are told apart.
 */
static int home_numa(const struct mck_model *m, const int *weights, unsigned pu_os)
{
	int best = -1;

	for (int i = 0; i < m->n_numas; i++) {
		const struct mck_model_numa *n = &m->numas[i];

		if (!hwloc_bitmap_isset(n->obj->cpuset, pu_os))
			continue;
		if (best < 0 || weights[i] < weights[best] ||
		    (weights[i] == weights[best] && !n->subtype && m->numas[best].subtype))
			best = i;
	}
	return best;
}

static int pkg_of(hwloc_obj_t obj)
{
	hwloc_obj_t p = hwloc_get_ancestor_obj_by_type(NULL, HWLOC_OBJ_PACKAGE, obj);

	return p ? (int)p->logical_index : 0;
}

int mck_model_build(hwloc_topology_t topo, struct mck_model *m, struct mck_error *err)
{
	hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(topo);
	hwloc_const_nodeset_t allowed_nodes = hwloc_topology_get_allowed_nodeset(topo);
	int n_pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	int n_numas = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
	int *weights = NULL, rc = -ENOMEM;
	hwloc_obj_t prev_core = NULL;
	hwloc_bitmap_t kind_set = NULL;

	memset(m, 0, sizeof(*m));
	if (n_pus <= 0)
		return mck_fail(err, -EINVAL, "the topology has no CPU (no PU object)");
	if (n_numas <= 0)
		return mck_fail(err, -EINVAL, "the topology has no NUMA node");
	m->pus = calloc(n_pus, sizeof(*m->pus));
	m->cores = calloc(n_pus, sizeof(*m->cores));
	m->numas = calloc(n_numas, sizeof(*m->numas));
	weights = calloc(n_numas, sizeof(*weights));
	kind_set = hwloc_bitmap_alloc();
	if (!m->pus || !m->cores || !m->numas || !weights || !kind_set) {
		mck_fail(err, rc, "out of memory for a topology of %d PUs", n_pus);
		goto fail;
	}
	m->n_numas = n_numas;
	m->n_kinds = hwloc_cpukinds_get_nr(topo, 0);
	if (m->n_kinds < 0)
		m->n_kinds = 0;
	m->kind_type = calloc(m->n_kinds > 0 ? m->n_kinds : 1, sizeof(*m->kind_type));
	if (!m->kind_type) {
		mck_fail(err, rc, "out of memory for a topology of %d PUs", n_pus);
		goto fail;
	}
	model_kinds(topo, m);
	for (int i = 0; i < n_numas; i++) {
		hwloc_obj_t o = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, i);
		struct mck_model_numa *n = &m->numas[i];

		n->obj = o;
		n->os = (int)o->os_index;
		n->mem = o->attr ? o->attr->numanode.local_memory : 0;
		n->subtype = o->subtype;
		n->allowed = hwloc_bitmap_isset(allowed_nodes, o->os_index);
		n->pkg = -1;
		weights[i] = hwloc_bitmap_weight(o->cpuset);
	}

	for (int i = 0; i < n_pus; i++) {
		hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, i);
		hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, pu);
		struct mck_model_pu *p = &m->pus[i];
		struct mck_model_core *c;

		if (!core)
			core = pu;	/* no core level: every PU is its own core */
		p->os = (int)pu->os_index;
		p->allowed = hwloc_bitmap_isset(allowed, pu->os_index);
		p->pkg = pkg_of(pu);
		p->numa = home_numa(m, weights, pu->os_index);
		if (p->numa < 0) {
			rc = -EINVAL;
			mck_fail(err, rc, "CPU %d belongs to no NUMA node in the topology", p->os);
			goto fail;
		}
		hwloc_bitmap_only(kind_set, pu->os_index);
		p->kind = m->n_kinds > 0 ? hwloc_cpukinds_get_by_cpuset(topo, kind_set, 0) : -1;
		if (p->kind < 0)
			p->kind = -1;
		if (p->os + 1 > m->max_os)
			m->max_os = p->os + 1;
		if (core != prev_core) {
			c = &m->cores[m->n_cores++];
			c->first_pu = i;
			c->numa = p->numa;
			c->pkg = p->pkg;
			c->os = core == pu ? -1 : (int)core->os_index;
			prev_core = core;
		}
		c = &m->cores[m->n_cores - 1];
		c->n_pu++;
		c->n_allowed += p->allowed;
		p->core = m->n_cores - 1;
		m->numas[p->numa].n_pus++;
		m->numas[p->numa].pkg = p->pkg;
		if (p->pkg + 1 > m->n_pkgs)
			m->n_pkgs = p->pkg + 1;
	}
	m->n_pus = n_pus;
	m->pu_by_os = malloc(m->max_os * sizeof(*m->pu_by_os));
	if (!m->pu_by_os) {
		mck_fail(err, rc, "out of memory for a topology of %d PUs", n_pus);
		goto fail;
	}
	for (int i = 0; i < m->max_os; i++)
		m->pu_by_os[i] = -1;
	for (int i = 0; i < n_pus; i++)
		m->pu_by_os[m->pus[i].os] = i;
	free(weights);
	hwloc_bitmap_free(kind_set);
	return 0;
fail:
	free(weights);
	hwloc_bitmap_free(kind_set);
	mck_model_free(m);
	return rc;
}
