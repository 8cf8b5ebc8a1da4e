/*
 * ikc.c: the IKC map, which Linux CPU serves each LWK CPU's offloaded
 * system calls, per NUMA node: the node's Linux CPUs (all hardware threads
 * of its Linux cores); else an idle CPU of the node (IHK wants the same
 * node whenever it has a Linux CPU); else the nearest Linux CPUs: same
 * package first, then the smallest NUMA distance. per-numa takes the first
 * candidate, spread the least loaded one so far (round-robin on a node of
 * its own).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "plan-internal.h"

struct ikc_ctx {
	hwloc_topology_t topo;
	const struct mck_model *m;
	const struct mck_plan_policy *pol;
	int *role;
	struct hwloc_distances_s *dist;	/* NUMA latencies, or NULL */
	int *cand;			/* candidates of the node at hand (PU indexes) */
	int *byn, *start;		/* PU indexes by NUMA node: byn[start[ni]..start[ni + 1]) */
};

enum why { WHY_OWN, WHY_IDLE, WHY_NEAR_PKG, WHY_NEAR_DIST, WHY_NEAR_ANY };

static uint64_t numa_distance(const struct ikc_ctx *x, int a, int b)
{
	const struct mck_model *m = x->m;
	hwloc_uint64_t v1 = 0, v2 = 0;

	if (!x->dist || !m->numas[a].obj || !m->numas[b].obj ||
	    hwloc_distances_obj_pair_values(x->dist, m->numas[a].obj, m->numas[b].obj, &v1, &v2) < 0)
		return 0;
	return v1;
}

/* The candidates serving NUMA node ni's LWK CPUs into x->cand; their count. */
static int candidates(struct ikc_ctx *x, int ni, enum why *why)
{
	const struct mck_model *m = x->m;
	int n = 0, pkg = m->numas[ni].pkg;
	uint64_t best = UINT64_MAX;

	for (int k = x->start[ni]; k < x->start[ni + 1]; k++)
		if (x->role[x->byn[k]] == ROLE_LINUX && m->pus[x->byn[k]].allowed)
			x->cand[n++] = x->byn[k];
	*why = WHY_OWN;
	if (n)
		return n;
	for (int k = x->start[ni]; k < x->start[ni + 1]; k++)
		if (x->role[x->byn[k]] == ROLE_LINUX_IDLE && m->pus[x->byn[k]].allowed)
			x->cand[n++] = x->byn[k];
	*why = WHY_IDLE;
	if (n)
		return n;
	/* the nearest: same package (key 0), else by distance (key 1 + distance) */
	for (int j = 0; j < m->n_pus; j++) {
		uint64_t key;

		if (x->role[j] != ROLE_LINUX || !m->pus[j].allowed)
			continue;
		key = m->pus[j].pkg == pkg && pkg >= 0 ? 0 : 1 + numa_distance(x, ni, m->pus[j].numa);
		if (key < best) {
			best = key;
			n = 0;
		}
		if (key == best)
			x->cand[n++] = j;
	}
	*why = best == 0 ? WHY_NEAR_PKG : best > 1 ? WHY_NEAR_DIST : WHY_NEAR_ANY;
	return n;
}

static const char *why_text(enum why why, int n_cand, int spread)
{
	switch (why) {
	case WHY_OWN:
		return n_cand == 1 ? "the node's only Linux CPU" :
		       spread ? "the Linux CPUs of the node" : "the node's first Linux CPU";
	case WHY_IDLE:
		return "an idle CPU of the node, which therefore serves: the node keeps no Linux core and IHK wants a Linux CPU of the same node";
	case WHY_NEAR_PKG:
		return "the nearest Linux CPUs (same package)";
	case WHY_NEAR_DIST:
		return "the nearest Linux CPUs (smallest NUMA distance)";
	default:
		return "the Linux CPUs of the node (none is known to be nearer)";
	}
}

/* "ikc:" note of NUMA node ni, whose LWK CPUs j are served by pick[j]; tmp: n_pus ints. */
static int note_node(const struct ikc_ctx *x, int ni, const int *pick, int n_cand, enum why why,
		     unsigned char *seen, int *tmp, struct mck_plan *plan)
{
	const struct mck_model *m = x->m;
	int spread = x->pol->ikc == MCK_IKC_SPREAD, rc, n = 0, used = 0;
	char name[64], *lwk, *lin;

	for (int k = x->start[ni]; k < x->start[ni + 1]; k++)
		if (x->role[x->byn[k]] == ROLE_LWK)
			tmp[n++] = x->byn[k];
	lwk = mck_pus_format_list(m, tmp, n);
	for (int k = 0, n_lwk = n; k < n_lwk; k++)
		if (!seen[pick[tmp[k]]]) {
			seen[pick[tmp[k]]] = 1;
			tmp[n + used++] = pick[tmp[k]];
		}
	for (int k = 0; k < used; k++)
		seen[tmp[n + k]] = 0;
	lin = mck_pus_format_list(m, tmp + n, used);
	mck_numa_name(m, ni, name, sizeof(name));
	rc = !lwk || !lin ? -ENOMEM :
	     mck_note_add(plan, MCK_NOTE_IKC, "%s%s: LWK CPUs %s %s %s, %s (--ikc %s)",
			  name, why >= WHY_NEAR_PKG ? " has no Linux CPU" : "", lwk,
			  used > 1 ? "spread over CPUs" : "offload to CPU", lin,
			  why_text(why, n_cand, spread), spread ? "spread" : "per-numa");
	free(lwk);
	free(lin);
	return rc;
}

int mck_plan_ikc(hwloc_topology_t topo, const struct mck_model *m,
		 const struct mck_plan_policy *pol, int *role, struct mck_plan *plan,
		 struct mck_error *err)
{
	struct ikc_ctx x = { .topo = topo, .m = m, .pol = pol, .role = role };
	int *pick = calloc(m->n_pus + 1, sizeof(int)), spread = pol->ikc == MCK_IKC_SPREAD;
	int *load = calloc(m->n_pus + 1, sizeof(int)), *tmp = malloc((2 * m->n_pus + 1) * sizeof(int));
	unsigned char *sel = calloc(m->n_pus + 1, 1);
	unsigned nr = 1;
	int rc = -ENOMEM;

	x.cand = malloc((m->n_pus + 1) * sizeof(int));
	x.byn = malloc((m->n_pus + 1) * sizeof(int));
	x.start = calloc(m->n_numas + 2, sizeof(int));
	if (!pick || !sel || !x.cand || !load || !x.byn || !x.start || !tmp) {
		mck_fail(err, rc, "out of memory");
		goto fail;
	}
	/* PUs by NUMA node (counting sort, logical order kept) */
	for (int j = 0; j < m->n_pus; j++)
		x.start[m->pus[j].numa + 2]++;
	for (int ni = 0; ni < m->n_numas; ni++)
		x.start[ni + 2] += x.start[ni + 1];
	for (int j = 0; j < m->n_pus; j++)
		x.byn[x.start[m->pus[j].numa + 1]++] = j;
	if (hwloc_distances_get_by_type(topo, HWLOC_OBJ_NUMANODE, &nr, &x.dist,
					HWLOC_DISTANCES_KIND_MEANS_LATENCY, 0) < 0 || !nr)
		x.dist = NULL;
	for (int ni = 0; ni < m->n_numas; ni++) {
		enum why why;
		int n_cand, n_lwk = 0;

		for (int k = x.start[ni]; k < x.start[ni + 1]; k++)
			n_lwk += role[x.byn[k]] == ROLE_LWK;
		if (!n_lwk)
			continue;
		n_cand = candidates(&x, ni, &why);
		if (!n_cand) {
			rc = mck_fail(err, -EINVAL, "no allowed Linux CPU left to serve the system calls of %s",
				      mck_numa_name(m, ni, (char[64]){ 0 }, 64));
			goto fail;
		}
		/* spread: the least loaded candidate so far, the first on a tie */
		for (int k = x.start[ni]; k < x.start[ni + 1]; k++) {
			int best = 0, j = x.byn[k];

			if (role[j] != ROLE_LWK)
				continue;
			for (int c = 1; c < n_cand && spread; c++)
				if (load[x.cand[c]] < load[x.cand[best]])
					best = c;
			pick[j] = x.cand[best];
			load[pick[j]]++;
		}
		for (int k = 0; k < n_cand; k++)
			if (load[x.cand[k]] && role[x.cand[k]] == ROLE_LINUX_IDLE)
				role[x.cand[k]] = ROLE_LINUX;	/* an idle CPU that serves is Linux's */
		if (note_node(&x, ni, pick, n_cand, why, sel, tmp, plan)) {
			rc = mck_fail(err, -ENOMEM, "out of memory");
			goto fail;
		}
	}
	for (int i = 0, k = 0; i < m->n_pus; i++)
		if (role[i] == ROLE_LWK) {
			plan->ikc[k].lwk_cpu = m->pus[i].os;
			plan->ikc[k].linux_cpu = m->pus[pick[i]].os;
			k++;
		}
	rc = 0;
fail:
	if (x.dist)
		hwloc_distances_release(topo, x.dist);
	free(pick);
	free(load);
	free(tmp);
	free(sel);
	free(x.cand);
	free(x.byn);
	free(x.start);
	return rc;
}
