/*
 * assist.c: assistant cores, the cores outside a part's regular compute
 * groups. A64FX has 4 CMGs of 12 compute cores, each sharing an L2, and 2
 * or 4 assistant cores for the OS beside them. Found structurally: the
 * lowest level above the cores whose objects group several cores is the
 * compute-group level; its regular group size is the one holding most
 * cores; cores in no group of that level, or in a group of at most a
 * quarter of the regular size, are assistant cores, if they are few (at
 * most a quarter of all cores) and there are at least two regular groups.
 */
#include <errno.h>
#include <stdlib.h>

#include "mck-plan.h"
#include "model.h"

/* The group object of core ci at depth d, or NULL. */
static hwloc_obj_t group_of(hwloc_topology_t topo, const struct mck_model *m, int ci, int d)
{
	hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned)m->cores[ci].first_pu);

	hwloc_obj_t g = pu ? hwloc_get_ancestor_obj_by_depth(topo, d, pu) : NULL;

	/* hwloc returns the first ancestor above d when the level skips this core */
	return g && g->depth == d ? g : NULL;
}

/*
 * Cores per object at depth d (size[logical index]), each core's group
 * (group[ci]); the number of groups of more than one core.
 */
static int count_group_cores(hwloc_topology_t topo, const struct mck_model *m, int d, int *size,
			     hwloc_obj_t *group)
{
	int n = hwloc_get_nbobjs_by_depth(topo, d), multi = 0;

	for (int i = 0; i < n; i++)
		size[i] = 0;
	for (int ci = 0; ci < m->n_cores; ci++) {
		group[ci] = group_of(topo, m, ci, d);
		if (group[ci])
			size[group[ci]->logical_index]++;
	}
	for (int i = 0; i < n; i++)
		multi += size[i] > 1;
	return multi;
}

int mck_model_assistants(hwloc_topology_t topo, struct mck_model *m)
{
	int core_depth = hwloc_get_type_depth(topo, HWLOC_OBJ_CORE);
	int d, n = 0, regular = 0, n_regular = 0, n_assist = 0, best = 0;
	int *size = NULL, *cores_of_size = NULL;
	hwloc_obj_t *group = NULL;

	if (core_depth < 2)
		return 0;
	size = calloc(m->n_pus + 1, sizeof(int));
	cores_of_size = calloc(m->n_cores + 1, sizeof(int));
	group = calloc(m->n_cores + 1, sizeof(*group));
	if (!size || !cores_of_size || !group) {
		free(size);
		free(cores_of_size);
		free(group);
		return -ENOMEM;
	}
	for (d = core_depth - 1; d > 0; d--) {
		n = hwloc_get_nbobjs_by_depth(topo, d);
		if (n >= 2 && n <= m->n_pus && count_group_cores(topo, m, d, size, group))
			break;
	}
	if (d <= 0)
		goto out;
	for (int i = 0; i < n; i++)
		cores_of_size[size[i]] += size[i];
	for (int s = 1; s <= m->n_cores; s++)
		if (cores_of_size[s] && cores_of_size[s] >= best) {
			best = cores_of_size[s];
			regular = s;
		}
	for (int i = 0; i < n; i++)
		n_regular += size[i] == regular;
	if (n_regular < 2 || regular < 4)
		goto out;
	for (int ci = 0; ci < m->n_cores; ci++) {
		m->cores[ci].assistant = !group[ci] || size[group[ci]->logical_index] * 4 <= regular;
		n_assist += m->cores[ci].assistant;
	}
	if (n_assist * 4 > m->n_cores) {
		for (int ci = 0; ci < m->n_cores; ci++)
			m->cores[ci].assistant = 0;
		n_assist = 0;
	}
	m->n_assistant = n_assist;
	m->group_cores = regular;
	m->group_type = hwloc_obj_type_string(hwloc_get_depth_type(topo, d));
out:
	free(size);
	free(cores_of_size);
	free(group);
	return 0;
}
