/*
 * memkind.c: what a memory-only (CPU-less) NUMA node holds, and how we
 * know: hwloc's subtype (MCDRAM, HBM, GPUMemory, CXL-DRAM, NVM, SPM...),
 * else its DAX device, else a guess from the CPUs (an XML written by an
 * hwloc too old to give subtypes), said in the reason.
 */
#include <stdio.h>
#include <string.h>

#include "mck-plan.h"
#include "model.h"

static const struct {
	const char *subtype;
	unsigned kind;
	const char *what;
} subtypes[] = {
	{ "MCDRAM", MCK_MEMKIND_HBM, "high-bandwidth memory (KNL MCDRAM)" },
	{ "HBM", MCK_MEMKIND_HBM, "high-bandwidth memory" },
	{ "GPUMemory", MCK_MEMKIND_GPU, "a GPU's memory" },
	{ "CXL-DRAM", MCK_MEMKIND_CXL, "CXL memory" },
	{ "CXL-NVM", MCK_MEMKIND_CXL, "CXL non-volatile memory" },
	{ "CXL", MCK_MEMKIND_CXL, "CXL memory" },
	{ "NVM", MCK_MEMKIND_NVDIMM, "non-volatile memory (NVDIMM)" },
	{ "SPM", MCK_MEMKIND_DAX, "specific-purpose memory (DAX)" },
};

/* A CPUModel info of any package (or of the root), or "". */
static const char *cpu_model(hwloc_topology_t topo)
{
	hwloc_obj_t o = NULL;
	const char *v;

	while ((o = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PACKAGE, o)))
		if ((v = hwloc_obj_get_info_by_name(o, "CPUModel")))
			return v;
	v = hwloc_obj_get_info_by_name(hwloc_get_root_obj(topo), "CPUModel");
	return v ? v : "";
}

static void classify(hwloc_topology_t topo, struct mck_model_numa *n)
{
	const char *dax = hwloc_obj_get_info_by_name(n->obj, "DAXDevice");
	const char *dax_type = hwloc_obj_get_info_by_name(n->obj, "DAXType");
	const char *model;

	for (size_t i = 0; n->subtype && i < sizeof(subtypes) / sizeof(subtypes[0]); i++)
		if (!strcmp(n->subtype, subtypes[i].subtype)) {
			n->memkind = subtypes[i].kind;
			snprintf(n->kind_why, sizeof(n->kind_why), "%s, subtype %s",
				 subtypes[i].what, n->subtype);
			return;
		}
	if (dax) {
		int nvm = dax_type && !strcmp(dax_type, "NVM");

		n->memkind = nvm ? MCK_MEMKIND_NVDIMM : MCK_MEMKIND_DAX;
		snprintf(n->kind_why, sizeof(n->kind_why), "%s, DAX device %s%s%s",
			 nvm ? "non-volatile memory (NVDIMM)" : "DAX memory", dax,
			 dax_type ? ", DAXType " : "", dax_type ? dax_type : "");
		return;
	}
	if (n->subtype) {
		n->memkind = MCK_MEMKIND_UNKNOWN;
		snprintf(n->kind_why, sizeof(n->kind_why), "memory of unknown kind, subtype %s without CPUs",
			 n->subtype);
		return;
	}
	model = cpu_model(topo);
	if (strstr(model, "Xeon Phi")) {
		n->memkind = MCK_MEMKIND_HBM;
		snprintf(n->kind_why, sizeof(n->kind_why),
			 "high-bandwidth memory, guessed: no subtype in the topology, and the CPUs are Xeon Phi, whose CPU-less nodes are MCDRAM");
	} else if (strstr(model, "POWER9")) {
		n->memkind = MCK_MEMKIND_GPU;
		snprintf(n->kind_why, sizeof(n->kind_why),
			 "a GPU's memory, guessed: no subtype in the topology, and the CPUs are POWER9, whose CPU-less nodes are NVLink GPU memory");
	} else {
		n->memkind = MCK_MEMKIND_UNKNOWN;
		snprintf(n->kind_why, sizeof(n->kind_why),
			 "memory of unknown kind: no subtype in the topology (an XML from an older hwloc?) and nothing to guess from");
	}
}

const char *mck_memkind_what(unsigned kind)
{
	switch (kind) {
	case MCK_MEMKIND_HBM: return "high-bandwidth memory";
	case MCK_MEMKIND_CXL: return "CXL memory";
	case MCK_MEMKIND_NVDIMM: return "non-volatile memory";
	case MCK_MEMKIND_DAX: return "DAX memory";
	case MCK_MEMKIND_GPU: return "GPU memory";
	default: return "memory of unknown kind";
	}
}

void mck_model_memkinds(hwloc_topology_t topo, struct mck_model *m)
{
	for (int i = 0; i < m->n_numas; i++)
		if (!m->numas[i].n_pus && m->numas[i].obj)
			classify(topo, &m->numas[i]);
}
