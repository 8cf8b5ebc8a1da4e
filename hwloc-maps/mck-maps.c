/*
 * mck-maps: print the McKernel partition plan of a node, computed from its
 * hwloc topology (live machine, XML file or synthetic description).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mck-plan.h"
#include "mck-util.h"

enum {
	OPT_MEM_SIZE = 256, OPT_MEM_KEEP, OPT_MEMONLY, OPT_LINUX_CORES, OPT_LINUX_CORES_PKG,
	OPT_LINUX_CPUS, OPT_SMT, OPT_IKC, OPT_JOB_CPUS, OPT_CACHE, OPT_CPU_KIND,
};

static void usage(FILE *out)
{
	fputs(
"Usage: mck-maps [--topology FILE.xml | --synthetic \"DESC\" | --cache FILE.xml]\n"
"                [--format mcreboot|json|ihk-env|picture|svg] [POLICY...]\n"
"Print the McKernel partition plan (LWK CPUs, memory per NUMA node, IKC map)\n"
"computed from a node's hwloc topology; without --topology/--synthetic/--cache\n"
"the live machine is discovered.\n"
"\n"
"Topology:\n"
"  --topology FILE      an hwloc XML file (lstopo --of xml)\n"
"  --synthetic DESC     an hwloc synthetic description, e.g. \"pack:2 numa:2 core:8 pu:2\"\n"
"  --cache FILE         the live machine through an XML cache, refreshed when the\n"
"                       hardware fingerprint changes (what mckctl does)\n"
"Output:\n"
"  --format F           mcreboot (default): one line \"-c CPUS -m MEM -r IKCMAP\";\n"
"                       json; ihk-env: IHK_CPUS=, IHK_MEM=, IHK_IKC_MAP= lines;\n"
"                       picture: the plan drawn per package, NUMA node and core;\n"
"                       svg: the same picture as an SVG document\n"
"Which CPUs stay with Linux (one of):\n"
"  --linux-cores N      the first N cores of every NUMA node with CPUs (default 1)\n"
"  --linux-cores-per-package N\n"
"                       the first N cores of every package\n"
"  --linux-cpus LIST    exactly these CPUs (OS indexes, e.g. 0,24-25)\n"
"  --smt all|one        McKernel gets all hardware threads of its cores (default),\n"
"                       or one per core (the siblings stay idle with Linux)\n"
"  --lwk-cpu-kind all|performance\n"
"                       on hybrid parts: McKernel gets cores of every CPU kind\n"
"                       (default), or only the performance cores (P); the other\n"
"                       kinds (E) stay with Linux and count toward --linux-cores\n"
"Memory per NUMA node for McKernel (one of; rounded down to 4 MiB, at most 98%):\n"
"  --mem-fraction F     a share in (0, 0.98] (default 0.5)\n"
"  --mem-size SIZE      an absolute size, e.g. 2G (a multiple of 4M)\n"
"  --mem-keep SIZE      everything but SIZE, which stays with Linux\n"
"  --memory-only-nodes include|exclude\n"
"                       also reserve on CPU-less NUMA nodes (MCDRAM, HBM, CXL);\n"
"                       default exclude\n"
"System call offload (IKC map):\n"
"  --ikc per-numa|spread\n"
"                       the first Linux CPU of each NUMA node serves its LWK CPUs\n"
"                       (default), or spread them over that node's Linux CPUs\n"
"Job:\n"
"  --job-cpus LIST      the CPUs the job may use on this node; refused unless\n"
"                       they are all the node's allowed CPUs (exclusive job)\n"
"  -h, --help           this text\n"
"Errors print \"mck-maps: MESSAGE\" naming the setting to change, exit status 1.\n",
	      out);
}

/* "mck-maps: MESSAGE" on stderr; 1 */
#define die(...) mck_complain("mck-maps", __VA_ARGS__)

static int parse_count(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 4096)
		return -1;
	*out = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "topology", required_argument, NULL, 't' },
		{ "synthetic", required_argument, NULL, 's' },
		{ "cache", required_argument, NULL, OPT_CACHE },
		{ "format", required_argument, NULL, 'f' },
		{ "mem-fraction", required_argument, NULL, 'm' },
		{ "mem-size", required_argument, NULL, OPT_MEM_SIZE },
		{ "mem-keep", required_argument, NULL, OPT_MEM_KEEP },
		{ "memory-only-nodes", required_argument, NULL, OPT_MEMONLY },
		{ "linux-cores", required_argument, NULL, OPT_LINUX_CORES },
		{ "linux-cores-per-package", required_argument, NULL, OPT_LINUX_CORES_PKG },
		{ "linux-cpus", required_argument, NULL, OPT_LINUX_CPUS },
		{ "smt", required_argument, NULL, OPT_SMT },
		{ "ikc", required_argument, NULL, OPT_IKC },
		{ "job-cpus", required_argument, NULL, OPT_JOB_CPUS },
		{ "lwk-cpu-kind", required_argument, NULL, OPT_CPU_KIND },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *xml = NULL, *synthetic = NULL, *cache = NULL, *format = "mcreboot";
	struct mck_plan_policy pol;
	struct mck_error err = { 0 };
	struct mck_plan plan;
	hwloc_topology_t topo = NULL;
	int c, rc, mem_modes = 0, keep_modes = 0, status = 1;
	char *end;

	mck_plan_policy_init(&pol);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': xml = optarg; break;
		case 's': synthetic = optarg; break;
		case OPT_CACHE: cache = optarg; break;
		case 'f': format = optarg; break;
		case 'm':
			errno = 0;
			pol.mem_fraction = strtod(optarg, &end);
			if (errno || end == optarg || *end)
				return die("--mem-fraction \"%s\" is not a number; give a share in (0, 0.98], e.g. 0.5", optarg);
			pol.mem = MCK_MEM_FRACTION;
			mem_modes++;
			break;
		case OPT_MEM_SIZE:
		case OPT_MEM_KEEP:
			if (mck_size_parse(optarg, c == OPT_MEM_SIZE ? &pol.mem_size : &pol.mem_keep) < 0)
				return die(c == OPT_MEM_SIZE ?
					   "--mem-size \"%s\" is not a size; give e.g. 512M or 2G" :
					   "--mem-keep \"%s\" is not a size; give e.g. 512M or 2G", optarg);
			pol.mem = c == OPT_MEM_SIZE ? MCK_MEM_SIZE : MCK_MEM_ALL_BUT;
			mem_modes++;
			break;
		case OPT_MEMONLY:
			if (!strcmp(optarg, "include"))
				pol.mem_memonly = 1;
			else if (!strcmp(optarg, "exclude"))
				pol.mem_memonly = 0;
			else
				return die("--memory-only-nodes \"%s\": give include or exclude", optarg);
			break;
		case OPT_LINUX_CORES:
		case OPT_LINUX_CORES_PKG:
			if (parse_count(optarg, &pol.linux_cores) < 0)
				return die("--linux-cores \"%s\" is not a core count from 1 to 4096", optarg);
			pol.keep = c == OPT_LINUX_CORES ? MCK_KEEP_PER_NUMA : MCK_KEEP_PER_PACKAGE;
			keep_modes++;
			break;
		case OPT_LINUX_CPUS:
			pol.linux_cpulist = optarg;
			pol.keep = MCK_KEEP_CPULIST;
			keep_modes++;
			break;
		case OPT_SMT:
			if (!strcmp(optarg, "all"))
				pol.smt_one = 0;
			else if (!strcmp(optarg, "one"))
				pol.smt_one = 1;
			else
				return die("--smt \"%s\": give all or one", optarg);
			break;
		case OPT_IKC:
			if (!strcmp(optarg, "per-numa"))
				pol.ikc = MCK_IKC_PER_NUMA;
			else if (!strcmp(optarg, "spread"))
				pol.ikc = MCK_IKC_SPREAD;
			else
				return die("--ikc \"%s\": give per-numa or spread", optarg);
			break;
		case OPT_JOB_CPUS:
			if (!*optarg)
				return die("--job-cpus: empty CPU list; give the CPUs the job may use, e.g. 0-63");
			pol.job_cpulist = optarg;
			break;
		case OPT_CPU_KIND:
			if (!strcmp(optarg, "all"))
				pol.lwk_cpu_kind = MCK_CPU_KIND_ALL;
			else if (!strcmp(optarg, "performance"))
				pol.lwk_cpu_kind = MCK_CPU_KIND_PERFORMANCE;
			else
				return die("--lwk-cpu-kind \"%s\": give all or performance", optarg);
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc)
		return die("unexpected argument \"%s\"; see mck-maps --help", argv[optind]);
	if (mem_modes > 1)
		return die("give only one of --mem-fraction, --mem-size, --mem-keep");
	if (keep_modes > 1)
		return die("give only one of --linux-cores, --linux-cores-per-package, --linux-cpus");
	if ((xml != NULL) + (synthetic != NULL) + (cache != NULL) > 1)
		return die("give only one of --topology, --synthetic, --cache");
	if (strcmp(format, "mcreboot") && strcmp(format, "json") && strcmp(format, "ihk-env") &&
	    strcmp(format, "picture") && strcmp(format, "svg"))
		return die("--format \"%s\": give mcreboot, json, ihk-env, picture or svg", format);

	rc = cache ? mck_topo_load_cached(cache, &topo, &err)
		   : mck_topo_load(xml, synthetic, &topo, &err);
	if (rc)
		return die("%s", err.msg);
	rc = mck_plan_compute(topo, &pol, &plan, &err);
	if (rc) {
		hwloc_topology_destroy(topo);
		return die("%s", err.msg);
	}
	if (!strcmp(format, "picture"))
		rc = mck_plan_picture(topo, &plan, stdout);
	else if (!strcmp(format, "svg"))
		rc = mck_plan_svg(topo, &plan, stdout);
	else
		rc = mck_plan_print(&plan, !strcmp(format, "json") ? MCK_PLAN_JSON :
				    !strcmp(format, "ihk-env") ? MCK_PLAN_IHK_ENV : MCK_PLAN_MCREBOOT,
				    stdout);
	if (!rc && fflush(stdout) == 0)
		status = 0;
	else
		fprintf(stderr, "mck-maps: cannot write the plan: %s\n",
			rc ? strerror(-rc) : strerror(errno));
	mck_plan_free(&plan);
	hwloc_topology_destroy(topo);
	return status;
}
