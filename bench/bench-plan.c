/*
 * bench-plan: how long planning takes for 48, 272 and 1024 PUs, and how
 * loading the node-side XML cache compares with a live hwloc discovery.
 * Figures are printed as milliseconds and as ratios against the same
 * run's live discovery (the baseline), so they compare across machines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mck-plan.h"
#include "mck-util.h"

static double time_plan(hwloc_topology_t t, int rounds)
{
	struct mck_plan_policy pol;
	struct mck_error err = { 0 };
	struct mck_plan plan;
	double t0 = mck_now_ms();

	mck_plan_policy_init(&pol);
	for (int i = 0; i < rounds; i++) {
		if (mck_plan_compute(t, &pol, &plan, &err)) {
			fprintf(stderr, "bench-plan: %s\n", err.msg);
			exit(1);
		}
		mck_plan_free(&plan);
	}
	return (mck_now_ms() - t0) / rounds;
}

static double time_load(const char *xml, int rounds)
{
	struct mck_error err = { 0 };
	double t0 = mck_now_ms();

	for (int i = 0; i < rounds; i++) {
		hwloc_topology_t t;

		if (mck_topo_load(xml, NULL, &t, &err)) {
			fprintf(stderr, "bench-plan: %s\n", err.msg);
			exit(1);
		}
		hwloc_topology_destroy(t);
	}
	return (mck_now_ms() - t0) / rounds;
}

int main(void)
{
	static const struct { const char *what, *synthetic; } shapes[] = {
		{ "48 PUs (A64FX-like)", "numa:4 core:12 pu:1" },
		{ "272 PUs (KNL-like)", "pack:1 numa:4 core:17 pu:4" },
		{ "1024 PUs", "pack:4 numa:2 core:64 pu:2" },
	};
	char xml[] = "/tmp/bench-plan.XXXXXX";
	struct mck_error err = { 0 };
	double live, cached, plan_1024 = 0;
	int fd;

	live = time_load(NULL, 5);
	printf("live hwloc discovery (baseline): %.3f ms\n", live);
	for (size_t i = 0; i < sizeof(shapes) / sizeof(*shapes); i++) {
		hwloc_topology_t t;
		double ms;

		if (mck_topo_load(NULL, shapes[i].synthetic, &t, &err)) {
			fprintf(stderr, "bench-plan: %s\n", err.msg);
			return 1;
		}
		ms = time_plan(t, 200);
		printf("plan %-22s %.4f ms  (%.4f x live discovery)\n", shapes[i].what, ms, ms / live);
		printf("RESULT|4 planner|plan %s vs live discovery|%.4f|ms|%.3f|%.4f|%s|%s\n",
		       shapes[i].what, ms, live, ms / live, i == 2 ? "< 1 ms" : "",
		       i == 2 ? (ms < 1.0 ? "met" : "MISSED") : "");
		if (i == 2) {
			plan_1024 = ms;
			fd = mkstemp(xml);
			if (fd < 0 || hwloc_topology_export_xml(t, xml, 0) < 0) {
				fprintf(stderr, "bench-plan: cannot write %s\n", xml);
				return 1;
			}
			close(fd);
		}
		hwloc_topology_destroy(t);
	}
	cached = time_load(xml, 50);
	unlink(xml);
	printf("load XML of 1024 PUs:        %.3f ms  (%.3f x live discovery of this machine)\n",
	       cached, cached / live);
	printf("RESULT|4 planner|load XML of 1024 PUs vs live discovery|%.3f|ms|%.3f|%.4f||\n",
	       cached, live, cached / live);

	/* The node-side step as mckctl runs it: this machine's cache + plan. */
	{
		char own[] = "/tmp/bench-plan-own.XXXXXX";
		hwloc_topology_t t;
		double own_ms, own_plan;

		if (mck_topo_load(NULL, NULL, &t, &err) || (fd = mkstemp(own)) < 0 ||
		    hwloc_topology_export_xml(t, own, 0) < 0) {
			fprintf(stderr, "bench-plan: cannot cache this machine's topology\n");
			return 1;
		}
		close(fd);
		own_plan = time_plan(t, 200);
		hwloc_topology_destroy(t);
		own_ms = time_load(own, 50);
		unlink(own);
		printf("load cached XML of this machine: %.3f ms  (%.3f x live discovery)\n",
		       own_ms, own_ms / live);
		printf("node-side plan step (cached XML + plan): %.3f ms  (%.3f x live discovery)\n",
		       own_ms + own_plan, (own_ms + own_plan) / live);
		printf("RESULT|4 planner|load cached XML of this machine vs live discovery|%.3f|ms|%.3f|%.4f||\n",
		       own_ms, live, own_ms / live);
		printf("RESULT|4 planner|cached XML + plan vs live discovery|%.3f|ms|%.3f|%.4f|< live discovery|%s\n",
		       own_ms + own_plan, live, (own_ms + own_plan) / live,
		       own_ms + own_plan < live ? "met" : "MISSED");
		printf("goals: plan at 1024 PUs < 1 ms: %s; plan step < live discovery: %s\n",
		       plan_1024 < 1.0 ? "met" : "MISSED", own_ms + own_plan < live ? "met" : "MISSED");
	}
	return 0;
}
