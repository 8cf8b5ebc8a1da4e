/* maps-cli.c: see mck-maps-cli.h. */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mck-maps-cli.h"
#include "mck-policy.h"

enum { OPT_CACHE = 256, OPT_JOB_CPUS, OPT_EXPLAIN, OPT_KEY };

#define HELP_COL 23	/* where the description of a flag starts */
#define HELP_WIDTH 79

/* text from column col, wrapped at HELP_WIDTH; the cursor is at column at. */
static void print_wrapped(FILE *out, int at, int col, const char *text)
{
	const char *w = text;

	if (at > col - 1) {
		fputc('\n', out);
		at = 0;
	}
	fprintf(out, "%*s", col - at, "");
	at = col;
	while (*w) {
		size_t n = strcspn(w, " ");

		if (at > col && at + 1 + (int)n > HELP_WIDTH) {
			fprintf(out, "\n%*s", col, "");
			at = col;
		} else if (at > col) {
			fputc(' ', out);
			at++;
		}
		fprintf(out, "%.*s", (int)n, w);
		at += (int)n;
		w += n;
		while (*w == ' ')
			w++;
	}
	fputc('\n', out);
}

/* One line (or more) per policy flag: "--linux-cores N  what it does (default 1)". */
static void usage_policy(FILE *out)
{
	const struct mck_key *keys;
	char flag[64], text[512], keep[200], mem[200];
	size_t n;

	keys = mck_keys(&n);
	for (size_t i = 0; i < n; i++) {
		const struct mck_key *k = &keys[i];
		int at;

		if (!(k->who & MCK_BY_MAPS))
			continue;
		at = fprintf(out, "  %s %s", mck_key_flag(k, flag, sizeof(flag)), k->arg);
		snprintf(text, sizeof(text), "%s%s%s%s", k->doc, k->def ? " (default " : "",
			 k->def ? k->def : "", k->def ? ")" : "");
		print_wrapped(out, at, HELP_COL, text);
	}
	snprintf(text, sizeof(text),
		 "Give at most one of %s, and one of %s. Memory goes in IHK's 4 MiB units, at most "
		 MCK_STR(MCK_MEM_CAP_PERCENT) "%% of a NUMA node.",
		 mck_group_names(MCK_G_KEEP, MCK_BY_MAPS, keep, sizeof(keep)),
		 mck_group_names(MCK_G_MEM, MCK_BY_MAPS, mem, sizeof(mem)));
	print_wrapped(out, 0, 2, text);
}

void mck_maps_usage(FILE *out)
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
"Policy (each flag is the mckernel.conf key of its name with _ for -, and takes\n"
"the same values):\n", out);
	usage_policy(out);
	fputs(
"Job:\n"
"  --job-cpus LIST      the CPUs the job may use on this node; refused unless\n"
"                       they are all the node's allowed CPUs (exclusive job)\n"
"  -h, --help           this text\n"
"Errors print \"mck-maps: MESSAGE\" naming the setting to change, exit status 1.\n",
	      out);
}

/* The getopt table: the fixed options, then one per policy flag (OPT_KEY + row). */
static void build_options(struct option *opts, char (*names)[48], size_t max)
{
	static const struct option fixed[] = {
		{ "topology", required_argument, NULL, 't' },
		{ "synthetic", required_argument, NULL, 's' },
		{ "cache", required_argument, NULL, OPT_CACHE },
		{ "format", required_argument, NULL, 'f' },
		{ "job-cpus", required_argument, NULL, OPT_JOB_CPUS },
		{ "explain", no_argument, NULL, OPT_EXPLAIN },
		{ "help", no_argument, NULL, 'h' },
	};
	const struct mck_key *keys;
	size_t n, o = 0;

	for (; o < sizeof(fixed) / sizeof(fixed[0]); o++)
		opts[o] = fixed[o];
	keys = mck_keys(&n);
	for (size_t i = 0; i < n && o < max - 1; i++) {
		if (!(keys[i].who & MCK_BY_MAPS))
			continue;
		mck_key_flag(&keys[i], names[o], sizeof(names[o]));
		opts[o] = (struct option){ names[o] + 2, required_argument, NULL, OPT_KEY + (int)i };
		o++;
	}
	opts[o] = (struct option){ NULL, 0, NULL, 0 };
}

/* One policy flag: its value into cli->cfg, counted for its group. */
static int policy_flag(struct mck_maps_cli *cli, const struct mck_key *k, const char *arg,
		       int *groups, struct mck_error *err)
{
	struct mck_error why = { 0 };
	int rc = mck_config_set(&cli->cfg, k, arg, &why);

	if (rc == -EINVAL || rc == -ERANGE)
		return mck_key_fail(err, k, MCK_BY_MAPS, arg, rc, &why);
	if (rc)
		return mck_fail(err, rc, "%s", why.msg);
	groups[k->group]++;
	return 0;
}

/* What getopt leaves: one topology, a known format, one of each group. */
static int check_cli(const struct mck_maps_cli *cli, const int *groups, struct mck_error *err)
{
	static const char *const formats[] = { "mcreboot", "json", "ihk-env", "picture", "svg" };
	char names[200];
	size_t f = 0;

	for (int g = MCK_G_NONE + 1; g < MCK_G_COUNT; g++)
		if (groups[g] > 1)
			return mck_fail(err, -EINVAL, "give only one of %s",
					mck_group_names(g, MCK_BY_MAPS, names, sizeof(names)));
	if ((cli->xml != NULL) + (cli->synthetic != NULL) + (cli->cache != NULL) > 1)
		return mck_fail(err, -EINVAL, "give only one of --topology, --synthetic, --cache");
	while (f < sizeof(formats) / sizeof(formats[0]) && strcmp(cli->format, formats[f]))
		f++;
	if (f == sizeof(formats) / sizeof(formats[0]))
		return mck_fail(err, -EINVAL,
				"--format \"%s\": give mcreboot, json, ihk-env, picture or svg",
				cli->format);
	return 0;
}

int mck_maps_cli_parse(int argc, char **argv, struct mck_maps_cli *cli, struct mck_error *err)
{
	struct option opts[MCK_SCHEMA_MAX_KEYS + 8];
	char names[MCK_SCHEMA_MAX_KEYS + 8][48];
	const char *job_cpus = NULL;
	int groups[MCK_G_COUNT] = { 0 }, c, rc;
	size_t n;

	memset(cli, 0, sizeof(*cli));
	mck_error_clear(err);
	cli->format = "mcreboot";
	rc = mck_config_load_buffer("", 0, "", NULL, &cli->cfg, err);
	if (rc)
		return rc;
	build_options(opts, names, sizeof(opts) / sizeof(opts[0]));
	optind = 0;	/* glibc: start afresh (tests parse several command lines) */
	rc = -EINVAL;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': cli->xml = optarg; break;
		case 's': cli->synthetic = optarg; break;
		case OPT_CACHE: cli->cache = optarg; break;
		case 'f': cli->format = optarg; break;
		case OPT_EXPLAIN: cli->flags |= MCK_PLAN_EXPLAIN; break;
		case 'h': mck_maps_usage(stdout); rc = 1; goto fail;
		case OPT_JOB_CPUS:
			if (!*optarg) {
				mck_fail(err, -EINVAL, "--job-cpus: empty CPU list; give the CPUs the job may use, e.g. 0-63");
				goto fail;
			}
			job_cpus = optarg;
			break;
		default:
			if (c < OPT_KEY) {
				mck_maps_usage(stderr);
				goto fail;
			}
			if (policy_flag(cli, &mck_keys(&n)[c - OPT_KEY], optarg, groups, err))
				goto fail;
		}
	}
	if (optind < argc) {
		mck_fail(err, -EINVAL, "unexpected argument \"%s\"; see mck-maps --help", argv[optind]);
		goto fail;
	}
	if (check_cli(cli, groups, err))
		goto fail;
	mck_config_plan_policy(&cli->cfg, NULL, &cli->pol);
	cli->pol.job_cpulist = job_cpus;
	rc = 0;
fail:
	if (rc)
		mck_maps_cli_free(cli);
	return rc;
}

void mck_maps_cli_free(struct mck_maps_cli *cli)
{
	mck_config_free(&cli->cfg);
}
