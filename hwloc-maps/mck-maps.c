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
	OPT_LINUX_CPUS, OPT_SMT, OPT_IKC, OPT_JOB_CPUS, OPT_CACHE, OPT_CPU_KIND, OPT_ASSISTANT,
	OPT_EXPLAIN,
};

static void usage(FILE *out)
{
	fputs(
"Usage: mck-maps [--topology FILE.xml | --synthetic \"DESC\" | --cache FILE.xml]\n"
"                [--format mcreboot|json|ihk-env|picture|svg] [--explain] [POLICY...]\n"
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
"  --explain            also every decision with its reason, one line each\n"
"                       (cpus, memory, ikc, unused, warning)\n"
"Which CPUs stay with Linux (one of):\n"
"  --linux-cores N      the first N cores of every NUMA node with CPUs (default 1)\n"
"  --linux-cores-per-package N\n"
"                       the first N cores of every package\n"
"  --linux-cpus LIST    exactly these CPUs (OS indexes, e.g. 0,24-25)\n"
"  --smt all|one        McKernel gets all hardware threads of its cores (default),\n"
"                       or one per core (the siblings stay idle with Linux)\n"
"  --lwk-cpu-kind auto|all|performance\n"
"                       on hybrid parts: McKernel gets only the most performant\n"
"                       cores (performance), cores of every CPU kind (all), or\n"
"                       performance when hwloc ranks the kinds, else all (auto,\n"
"                       default); the other kinds stay with Linux and count\n"
"                       toward --linux-cores\n"
"  --assistant-cores linux|mckernel\n"
"                       cores outside the regular compute groups (A64FX assistant\n"
"                       cores) stay with Linux and serve every group's system\n"
"                       calls (linux, default), or are like the other cores\n"
"Memory per NUMA node for McKernel (one of; rounded down to 4 MiB, at most 95%):\n"
"  --mem-fraction F     a share in (0, 0.95] (default 0.5)\n"
"  --mem-size SIZE      an absolute size, e.g. 2G (a multiple of 4M)\n"
"  --mem-keep SIZE      everything but SIZE, which stays with Linux\n"
"  --memory-only-nodes KINDS|include|exclude\n"
"                       which CPU-less NUMA nodes McKernel also gets memory on:\n"
"                       those of the KINDS (from " MCK_MEMKINDS_NAMES ";\n"
"                       default hbm), every one but GPU memory (include), none\n"
"                       (exclude); a GPU's memory is never used\n"
"System call offload (IKC map):\n"
"  --ikc spread|per-numa\n"
"                       spread each NUMA node's LWK CPUs over its Linux CPUs\n"
"                       (default), or let its first Linux CPU serve them all; a\n"
"                       node without a Linux CPU is served by the nearest ones\n"
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

/* The index of arg among names (NULL-terminated), -1 when none. */
static int choice(const char *arg, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(arg, names[i]))
			return i;
	return -1;
}

/* What the command line asks for. */
struct cli {
	const char *xml, *synthetic, *cache, *format;
	unsigned flags;
	int mem_modes, keep_modes;
	struct mck_plan_policy pol;
};

/* One policy option into cli->pol; 0, or the exit status after saying what is wrong. */
static int policy_option(int c, const char *arg, struct cli *cli)
{
	static const char *const smt[] = { "all", "one", NULL };
	static const char *const ikc[] = { "per-numa", "spread", NULL };
	static const char *const kind[] = { "all", "performance", "auto", NULL };
	static const char *const assistant[] = { "linux", "mckernel", NULL };
	struct mck_plan_policy *pol = &cli->pol;
	struct mck_error err = { 0 };
	char *end;
	int v;

	switch (c) {
	case 'm':
		errno = 0;
		pol->mem_fraction = strtod(arg, &end);
		if (errno || end == arg || *end)
			return die("--mem-fraction \"%s\" is not a number; give a share in (0, 0.95], e.g. 0.5", arg);
		pol->mem = MCK_MEM_FRACTION;
		cli->mem_modes++;
		return 0;
	case OPT_MEM_SIZE:
	case OPT_MEM_KEEP:
		if (mck_size_parse(arg, c == OPT_MEM_SIZE ? &pol->mem_size : &pol->mem_keep) < 0)
			return die(c == OPT_MEM_SIZE ?
				   "--mem-size \"%s\" is not a size; give e.g. 512M or 2G" :
				   "--mem-keep \"%s\" is not a size; give e.g. 512M or 2G", arg);
		pol->mem = c == OPT_MEM_SIZE ? MCK_MEM_SIZE : MCK_MEM_ALL_BUT;
		cli->mem_modes++;
		return 0;
	case OPT_MEMONLY:
		if (mck_memonly_parse(arg, &pol->memonly, &pol->memonly_kinds, &err))
			return die("--memory-only-nodes \"%s\": %s", arg, err.msg);
		return 0;
	case OPT_LINUX_CORES:
	case OPT_LINUX_CORES_PKG:
		if (parse_count(arg, &pol->linux_cores) < 0)
			return die("--linux-cores \"%s\" is not a core count from 1 to 4096", arg);
		pol->keep = c == OPT_LINUX_CORES ? MCK_KEEP_PER_NUMA : MCK_KEEP_PER_PACKAGE;
		cli->keep_modes++;
		return 0;
	case OPT_LINUX_CPUS:
		pol->linux_cpulist = arg;
		pol->keep = MCK_KEEP_CPULIST;
		cli->keep_modes++;
		return 0;
	case OPT_SMT:
		if ((v = choice(arg, smt)) < 0)
			return die("--smt \"%s\": give all or one", arg);
		pol->smt_one = v;
		return 0;
	case OPT_IKC:
		if ((v = choice(arg, ikc)) < 0)
			return die("--ikc \"%s\": give per-numa or spread", arg);
		pol->ikc = v ? MCK_IKC_SPREAD : MCK_IKC_PER_NUMA;
		return 0;
	case OPT_JOB_CPUS:
		if (!*arg)
			return die("--job-cpus: empty CPU list; give the CPUs the job may use, e.g. 0-63");
		pol->job_cpulist = arg;
		return 0;
	case OPT_CPU_KIND:
		if ((v = choice(arg, kind)) < 0)
			return die("--lwk-cpu-kind \"%s\": give auto, all or performance", arg);
		pol->lwk_cpu_kind = v == 0 ? MCK_CPU_KIND_ALL : v == 1 ? MCK_CPU_KIND_PERFORMANCE
								: MCK_CPU_KIND_AUTO;
		return 0;
	case OPT_ASSISTANT:
		if ((v = choice(arg, assistant)) < 0)
			return die("--assistant-cores \"%s\": give linux or mckernel", arg);
		pol->assistant = v ? MCK_ASSISTANT_LWK : MCK_ASSISTANT_LINUX;
		return 0;
	}
	usage(stderr);
	return 1;
}

/* The command line into cli; -1 to go on, else the exit status. */
static int parse_cli(int argc, char **argv, struct cli *cli)
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
		{ "assistant-cores", required_argument, NULL, OPT_ASSISTANT },
		{ "explain", no_argument, NULL, OPT_EXPLAIN },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	memset(cli, 0, sizeof(*cli));
	cli->format = "mcreboot";
	mck_plan_policy_init(&cli->pol);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': cli->xml = optarg; break;
		case 's': cli->synthetic = optarg; break;
		case OPT_CACHE: cli->cache = optarg; break;
		case 'f': cli->format = optarg; break;
		case OPT_EXPLAIN: cli->flags |= MCK_PLAN_EXPLAIN; break;
		case 'h': usage(stdout); return 0;
		default:
			rc = c == '?' ? (usage(stderr), 1) : policy_option(c, optarg, cli);
			if (rc)
				return rc;
		}
	}
	if (optind < argc)
		return die("unexpected argument \"%s\"; see mck-maps --help", argv[optind]);
	if (cli->mem_modes > 1)
		return die("give only one of --mem-fraction, --mem-size, --mem-keep");
	if (cli->keep_modes > 1)
		return die("give only one of --linux-cores, --linux-cores-per-package, --linux-cpus");
	if ((cli->xml != NULL) + (cli->synthetic != NULL) + (cli->cache != NULL) > 1)
		return die("give only one of --topology, --synthetic, --cache");
	if (strcmp(cli->format, "mcreboot") && strcmp(cli->format, "json") &&
	    strcmp(cli->format, "ihk-env") && strcmp(cli->format, "picture") &&
	    strcmp(cli->format, "svg"))
		return die("--format \"%s\": give mcreboot, json, ihk-env, picture or svg", cli->format);
	return -1;
}

int main(int argc, char **argv)
{
	struct cli cli;
	struct mck_error err = { 0 };
	struct mck_plan plan;
	hwloc_topology_t topo = NULL;
	const char *format;
	int rc, status = parse_cli(argc, argv, &cli);

	if (status >= 0)
		return status;
	status = 1;
	format = cli.format;
	rc = cli.cache ? mck_topo_load_cached(cli.cache, &topo, &err)
		       : mck_topo_load(cli.xml, cli.synthetic, &topo, &err);
	if (rc)
		return die("%s", err.msg);
	rc = mck_plan_compute(topo, &cli.pol, &plan, &err);
	if (rc) {
		hwloc_topology_destroy(topo);
		return die("%s", err.msg);
	}
	if (!strcmp(format, "picture"))
		rc = mck_plan_picture_flags(topo, &plan, cli.flags, stdout);
	else if (!strcmp(format, "svg"))
		rc = mck_plan_svg_flags(topo, &plan, cli.flags, stdout);
	else
		rc = mck_plan_print_flags(&plan, !strcmp(format, "json") ? MCK_PLAN_JSON :
					  !strcmp(format, "ihk-env") ? MCK_PLAN_IHK_ENV : MCK_PLAN_MCREBOOT,
					  cli.flags, stdout);
	if (!rc && fflush(stdout) == 0)
		status = 0;
	else
		fprintf(stderr, "mck-maps: cannot write the plan: %s\n",
			rc ? strerror(-rc) : strerror(errno));
	mck_plan_free(&plan);
	hwloc_topology_destroy(topo);
	return status;
}
