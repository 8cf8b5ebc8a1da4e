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
	m->no_numa = -1;
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

int mck_model_kind_mode(const struct mck_model *m, int mode)
{
	if (mode == MCK_CPU_KIND_AUTO)
		return m->n_kinds >= 2 && m->kinds_ranked ? MCK_CPU_KIND_PERFORMANCE
							  : MCK_CPU_KIND_ALL;
	return mode;
}

int mck_model_kind_ok(const struct mck_model *m, int mode, int pi)
{
	if (mck_model_kind_mode(m, mode) != MCK_CPU_KIND_PERFORMANCE || m->n_kinds < 2)
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
		if (m->numas[i].os == numa_os && m->numas[i].obj)
			return i;
	return -1;
}

/* Ordinary memory (no subtype, or DRAM, and no DAX device) can hold CPUs. */
static int is_ordinary(const struct mck_model_numa *n)
{
	return (!n->subtype || !strcmp(n->subtype, "DRAM")) &&
	       !hwloc_obj_get_info_by_name(n->obj, "DAXDevice");
}

/*
 * NUMA nodes with identical cpusets form a class (cls[i]: the lowest index
 * with node i's cpuset). The class's CPU-bearing members: its ordinary
 * nodes holding at least half the memory of the largest one (all members
 * when none is ordinary); the others are memory-only (KNL MCDRAM beside
 * DDR, a GPU's memory beside its socket's). With several bearers (Intel
 * CoD/SNC described without Group objects) the CPUs are split between them.
 */
static void numa_classes(struct mck_model *m, int n_hw, int *cls, int *bearer)
{
	for (int i = 0; i < n_hw; i++) {
		cls[i] = i;
		for (int j = 0; j < i && cls[i] == i; j++)
			if (hwloc_bitmap_isequal(m->numas[i].obj->cpuset, m->numas[j].obj->cpuset))
				cls[i] = cls[j];
	}
	for (int c = 0; c < n_hw; c++) {
		uint64_t max_mem = 0;
		int any_ordinary = 0, first = -1;

		if (cls[c] != c)
			continue;
		for (int i = c; i < n_hw; i++)
			if (cls[i] == c)
				any_ordinary |= is_ordinary(&m->numas[i]);
		for (int i = c; i < n_hw; i++)
			if (cls[i] == c && (!any_ordinary || is_ordinary(&m->numas[i])) &&
			    m->numas[i].mem > max_mem)
				max_mem = m->numas[i].mem;
		for (int i = c; i < n_hw; i++) {
			bearer[i] = cls[i] == c && (!any_ordinary || is_ordinary(&m->numas[i])) &&
				    m->numas[i].mem * 2 >= max_mem;
			if (cls[i] == c && bearer[i] && first < 0)
				first = i;
		}
		/* an ordinary node left without CPUs only for its size: said in the notes */
		for (int i = c; i < n_hw; i++)
			if (cls[i] == c && !bearer[i] && is_ordinary(&m->numas[i]))
				m->numas[i].tied_with = first;
	}
}

/*
 * The class of the most local NUMA node holding PU pu (its nodeset), -1 for
 * none; weight[i]: the weight of node i's cpuset.
 */
static int pu_class(const struct mck_model *m, hwloc_obj_t pu, const int *cls, const int *weight,
		    int n_hw)
{
	int best = -1;

	for (int i = 0; i < n_hw; i++) {
		const struct mck_model_numa *n = &m->numas[i];

		if (pu->nodeset ? !hwloc_bitmap_isset(pu->nodeset, (unsigned)n->os)
				: !hwloc_bitmap_isset(n->obj->cpuset, pu->os_index))
			continue;
		if (best < 0 || weight[i] < weight[best])
			best = i;
	}
	return best < 0 ? -1 : cls[best];
}

/* The CPU-bearing members of every class, by OS index: blist[bstart[c]..bstart[c] + nb[c]). */
static void class_bearers(const struct mck_model *m, int n_hw, const int *cls, const int *bearer,
			  int *blist, int *bstart, int *nb)
{
	int k = 0;

	for (int c = 0; c < n_hw; c++) {
		bstart[c] = k;
		nb[c] = 0;
		if (cls[c] != c)
			continue;
		for (int i = c; i < n_hw; i++) {
			int j = k + nb[c];

			if (cls[i] != c || !bearer[i])
				continue;
			while (j > bstart[c] && m->numas[blist[j - 1]].os > m->numas[i].os) {
				blist[j] = blist[j - 1];
				j--;
			}
			blist[j] = i;
			nb[c]++;
		}
		k += nb[c];
	}
}

static int pkg_of(hwloc_obj_t obj)
{
	hwloc_obj_t p = hwloc_get_ancestor_obj_by_type(NULL, HWLOC_OBJ_PACKAGE, obj);

	return p ? (int)p->logical_index : 0;
}

/* Core index per PU; the cores in logical order. */
static int model_cores(hwloc_topology_t topo, struct mck_model *m)
{
	hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(topo);
	hwloc_bitmap_t kind_set = hwloc_bitmap_alloc();
	hwloc_obj_t prev_core = NULL;

	if (!kind_set)
		return -ENOMEM;
	for (int i = 0; i < m->n_pus; i++) {
		hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, i);
		hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, pu);
		struct mck_model_pu *p = &m->pus[i];
		struct mck_model_core *c;

		if (!core)
			core = pu;	/* no core level: every PU is its own core */
		p->os = (int)pu->os_index;
		p->allowed = hwloc_bitmap_isset(allowed, pu->os_index);
		p->pkg = core == prev_core ? m->pus[i - 1].pkg : pkg_of(core);
		p->kind = -1;
		if (m->n_kinds > 0) {
			hwloc_bitmap_only(kind_set, pu->os_index);
			p->kind = hwloc_cpukinds_get_by_cpuset(topo, kind_set, 0);
			if (p->kind < 0)
				p->kind = -1;
		}
		if (p->os + 1 > m->max_os)
			m->max_os = p->os + 1;
		if (core != prev_core) {
			c = &m->cores[m->n_cores++];
			c->first_pu = i;
			c->pkg = p->pkg;
			c->os = core == pu ? -1 : (int)core->os_index;
			prev_core = core;
		}
		c = &m->cores[m->n_cores - 1];
		c->n_pu++;
		c->n_allowed += p->allowed;
		p->core = m->n_cores - 1;
		if (p->pkg + 1 > m->n_pkgs)
			m->n_pkgs = p->pkg + 1;
	}
	hwloc_bitmap_free(kind_set);
	return 0;
}

/*
 * The home NUMA node of every core (all its PUs): the most local node of
 * its first PU; where several CPU-bearing nodes share that locality, the
 * cores are split between them in order, evenly. CPUs in no NUMA node form
 * a group of their own (m->no_numa).
 */
static int model_homes(hwloc_topology_t topo, struct mck_model *m, int n_hw)
{
	int *cls = calloc(n_hw + 1, sizeof(int)), *bearer = calloc(n_hw + 1, sizeof(int));
	int *core_cls = calloc(m->n_cores, sizeof(int)), *n_in = calloc(n_hw + 1, sizeof(int));
	int *rank = calloc(n_hw + 1, sizeof(int)), *weight = calloc(n_hw + 1, sizeof(int));
	int *blist = calloc(n_hw + 1, sizeof(int)), *bstart = calloc(n_hw + 1, sizeof(int));
	int *nb = calloc(n_hw + 1, sizeof(int)), rc = -ENOMEM;

	if (!cls || !bearer || !core_cls || !n_in || !rank || !weight || !blist || !bstart || !nb)
		goto fail;
	for (int i = 0; i < n_hw; i++)
		weight[i] = hwloc_bitmap_weight(m->numas[i].obj->cpuset);
	numa_classes(m, n_hw, cls, bearer);
	class_bearers(m, n_hw, cls, bearer, blist, bstart, nb);
	for (int ci = 0; ci < m->n_cores; ci++) {
		hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, m->cores[ci].first_pu);

		core_cls[ci] = pu_class(m, pu, cls, weight, n_hw);
		if (core_cls[ci] >= 0)
			n_in[core_cls[ci]]++;
	}
	for (int c = 0; c < n_hw; c++)
		for (int k = 0; k < nb[c] && nb[c] >= 2 && n_in[c] > 0; k++)
			m->numas[blist[bstart[c] + k]].shared_by = nb[c];
	for (int ci = 0; ci < m->n_cores; ci++) {
		struct mck_model_core *c = &m->cores[ci];
		int cc = core_cls[ci], home;

		if (cc < 0) {
			if (m->no_numa < 0) {
				m->no_numa = m->n_numas++;
				m->numas[m->no_numa].os = -1;
				m->numas[m->no_numa].tied_with = -1;
			}
			home = m->no_numa;
		} else {
			/* several bearers: the cores split between them in order, evenly */
			home = blist[bstart[cc] + (nb[cc] >= 2 ? rank[cc]++ * nb[cc] / n_in[cc] : 0)];
		}
		c->numa = home;
		for (int k = 0; k < c->n_pu; k++) {
			m->pus[c->first_pu + k].numa = home;
			m->numas[home].n_pus++;
		}
		m->numas[home].pkg = c->pkg;
	}
	rc = 0;
fail:
	free(cls);
	free(bearer);
	free(core_cls);
	free(n_in);
	free(rank);
	free(weight);
	free(blist);
	free(bstart);
	free(nb);
	return rc;
}

/* Memory-only nodes are drawn in the package their cpuset lies in, if one. */
static void memonly_packages(hwloc_topology_t topo, struct mck_model *m)
{
	for (int i = 0; i < m->n_numas; i++) {
		struct mck_model_numa *n = &m->numas[i];
		hwloc_obj_t a, b;
		int first, last;

		if (n->n_pus || !n->obj || hwloc_bitmap_iszero(n->obj->cpuset))
			continue;
		first = hwloc_bitmap_first(n->obj->cpuset);
		last = hwloc_bitmap_last(n->obj->cpuset);
		a = hwloc_get_pu_obj_by_os_index(topo, (unsigned)first);
		b = hwloc_get_pu_obj_by_os_index(topo, (unsigned)last);
		if (a && b && pkg_of(a) == pkg_of(b) &&
		    hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_PACKAGE, a))
			n->pkg = pkg_of(a);
	}
}

int mck_model_describe(hwloc_topology_t topo, struct mck_model *m, struct mck_error *err)
{
	mck_model_memkinds(topo, m);
	if (mck_model_assistants(topo, m))
		return mck_fail(err, -ENOMEM, "out of memory for a topology of %d PUs", m->n_pus);
	return 0;
}

int mck_model_build(hwloc_topology_t topo, struct mck_model *m, struct mck_error *err)
{
	hwloc_const_nodeset_t allowed_nodes = hwloc_topology_get_allowed_nodeset(topo);
	int n_pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	int n_numas = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
	int rc = -ENOMEM;

	memset(m, 0, sizeof(*m));
	m->no_numa = -1;
	if (n_pus <= 0)
		return mck_fail(err, -EINVAL, "the topology has no CPU (no PU object)");
	if (n_numas <= 0)
		return mck_fail(err, -EINVAL, "the topology has no NUMA node");
	m->pus = calloc(n_pus, sizeof(*m->pus));
	m->cores = calloc(n_pus, sizeof(*m->cores));
	m->numas = calloc(n_numas + 1, sizeof(*m->numas));
	m->n_kinds = hwloc_cpukinds_get_nr(topo, 0);
	if (m->n_kinds < 0)
		m->n_kinds = 0;
	m->kind_type = calloc(m->n_kinds > 0 ? m->n_kinds : 1, sizeof(*m->kind_type));
	if (!m->pus || !m->cores || !m->numas || !m->kind_type)
		goto fail;
	model_kinds(topo, m);
	m->n_numas = n_numas;
	for (int i = 0; i < n_numas; i++) {
		hwloc_obj_t o = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, i);
		struct mck_model_numa *n = &m->numas[i];

		n->obj = o;
		n->os = (int)o->os_index;
		n->mem = o->attr ? o->attr->numanode.local_memory : 0;
		n->subtype = o->subtype;
		n->allowed = hwloc_bitmap_isset(allowed_nodes, o->os_index);
		n->pkg = -1;
		n->tied_with = -1;
	}
	m->n_pus = n_pus;
	if (model_cores(topo, m) || model_homes(topo, m, n_numas))
		goto fail;
	memonly_packages(topo, m);
	m->pu_by_os = malloc(m->max_os * sizeof(*m->pu_by_os));
	if (!m->pu_by_os)
		goto fail;
	for (int i = 0; i < m->max_os; i++)
		m->pu_by_os[i] = -1;
	for (int i = 0; i < n_pus; i++)
		m->pu_by_os[m->pus[i].os] = i;
	return 0;
fail:
	mck_fail(err, rc, "out of memory for a topology of %d PUs", n_pus);
	mck_model_free(m);
	return rc;
}
