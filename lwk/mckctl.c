/*
 * mckctl: the node-side tool of slurm-mckernel. Boots and tears down the
 * McKernel instance of a job (run by mck-prologue / mck-epilogue), answers
 * slurmstepd before each step (step), checks that a node is clean (usable
 * as Slurm's HealthCheckProgram), shows the node's LWK state and the plan
 * it would boot with, and cleans a node by hand. See mckctl(8).
 */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mck-budget.h"
#include "mck-config.h"
#include "mck-drain.h"
#include "mck-lwk.h"
#include "mck-nodeplan.h"
#include "mck-options.h"
#include "mck-plan.h"
#include "mck-prereq.h"
#include "mck-util.h"

static const char usage_text[] =
	"Usage: mckctl [--config FILE] [--partition NAME] [--quiet] COMMAND [ARGS]\n"
	"\n"
	"Commands:\n"
	"  boot --job ID --uid UID --gid GID [--options TEXT]\n"
	"                                      boot the job's McKernel instance; TEXT is\n"
	"                                      the job's --mckernel value (KEY=VALUE,...),\n"
	"                                      checked against the partition's rules\n"
	"  teardown --job ID                   destroy it, release everything, verify\n"
	"  step --job ID --step ID [--options TEXT]\n"
	"                                      before a step (slurmstepd): the partition's\n"
	"                                      instance policy, then the instance must be\n"
	"                                      RUNNING; prints partition= and os=, or one\n"
	"                                      line saying why the step cannot run\n"
	"  check [--health]                    exit 0 if the node is clean, else list\n"
	"                                      what is left on stdout and exit 1;\n"
	"                                      --health: a job's RUNNING instance is fine\n"
	"                                      (for Slurm's HealthCheckProgram)\n"
	"  status [--json]                     instances, owners, CPUs, memory, the kept\n"
	"                                      reservation, jobs; --json: as one JSON object\n"
	"  plan [--format mcreboot|json|ihk-env] [--options TEXT] [--explain]\n"
	"                                      the plan this node boots with (for TEXT);\n"
	"                                      --explain: every decision with its reason\n"
	"  clean                               tear down everything on the node\n"
	"  metrics [--output FILE]             write what the node counted and holds for\n"
	"                                      node exporter's textfile collector to FILE\n"
	"                                      (default: metrics_file of mckernel.conf)\n"
	"  release [--job ID]                  give a kept reservation (reservation = keep)\n"
	"                                      back to Linux; nothing else; exit 0 when\n"
	"                                      none is kept\n"
	"  config --check [FILE]               validate a configuration file\n"
	"  prereq [--verbose]                  list missing node prerequisites (objdump,\n"
	"                                      IHK modules, libihk, devices, image,\n"
	"                                      mcexec), one fixing line each; exit 1 if any\n"
	"  check-slurm [--slurm-conf FILE]     warn about slurm.conf settings that break\n"
	"                                      McKernel nodes; exit 1 on an error\n"
	"\n"
	"Options:\n"
	"  --config FILE      mckernel.conf to use (default: $SLURM_MCKERNEL_CONF,\n"
	"                     mckernel.conf beside $SLURM_CONF, " MCK_CONFDIR "/mckernel.conf)\n"
	"  --partition NAME   apply that partition's section of the configuration\n"
	"  --quiet            step lines only to STATE_DIR/log/lifecycle.log\n"
	"  -h, --help         this text\n";

/* "mckctl: MESSAGE" on stderr; 1 */
#define die(...) mck_complain("mckctl", __VA_ARGS__)

#define MAX_ID 0xfffffffeUL	/* Slurm ids and uids are 32-bit, NO_VAL excluded */

/* Sub-command options. */
struct sub_opts {
	int have_job, have_uid, have_gid, have_step;
	unsigned long job, uid, gid, step;
	const char *format;
	const char *options;	/* --options TEXT: the job's --mckernel value */
	int check;
	int health;
	int explain;
	int json;
	const char *output;	/* metrics --output FILE */
	const char *file;
};

/* mckctl's own options, given before the command. */
struct global {
	const char *config, *partition;
};

/* One command: its options (letters of parse_sub), what it needs, what it does. */
struct command {
	const char *name;
	const char *allowed;
	const char *required;	/* letters that must be given */
	int (*run)(const struct global *g, const struct mck_config *cfg,
		   const struct sub_opts *o);
	int takes_file;		/* a trailing FILE argument (config --check) */
};

static int parse_id(const char *what, const char *s, unsigned long *out)
{
	if (mck_parse_ulong(s, out) || *out > MAX_ID) {
		die("%s '%s': expected a decimal number from 0 to %lu", what, s, MAX_ID);
		return -1;
	}
	return 0;
}

static int parse_sub(const struct command *cmd, int argc, char **argv, struct sub_opts *o)
{
	static const struct option longopts[] = {
		{ "job", required_argument, NULL, 'j' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "step", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'c' },
		{ "health", no_argument, NULL, 'H' },
		{ "options", required_argument, NULL, 'o' },
		{ "explain", no_argument, NULL, 'x' },
		{ "json", no_argument, NULL, 'J' },
		{ "output", required_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (ch == '?' || !strchr(cmd->allowed, ch)) {
			die("%s: unexpected option '%s'; see mckctl --help", cmd->name,
			    argv[optind - 1]);
			return -1;
		}
		if ((ch == 'j' && parse_id("--job", optarg, &o->job)) ||
		    (ch == 'u' && parse_id("--uid", optarg, &o->uid)) ||
		    (ch == 'g' && parse_id("--gid", optarg, &o->gid)) ||
		    (ch == 's' && parse_id("--step", optarg, &o->step)))
			return -1;
		o->have_job |= ch == 'j';
		o->have_uid |= ch == 'u';
		o->have_gid |= ch == 'g';
		o->have_step |= ch == 's';
		if (ch == 'f')
			o->format = optarg;
		o->check |= ch == 'c';
		o->health |= ch == 'H';
		o->explain |= ch == 'x';
		o->json |= ch == 'J';
		if (ch == 'o')
			o->options = optarg;
		if (ch == 'O')
			o->output = optarg;
	}
	if (optind < argc && cmd->takes_file && optind + 1 == argc) {
		o->file = argv[optind];
		return 0;
	}
	if (optind < argc) {
		die("%s: unexpected argument '%s'; see mckctl --help", cmd->name, argv[optind]);
		return -1;
	}
	return 0;
}

/* Are the options cmd needs all given? */
static int check_required(const struct command *cmd, const struct sub_opts *o)
{
	static const struct { char letter; const char *name; } names[] = {
		{ 'j', "--job" }, { 'u', "--uid" }, { 'g', "--gid" }, { 's', "--step" },
	};
	char missing[64] = "";

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int have = names[i].letter == 'j' ? o->have_job : names[i].letter == 'u' ?
			   o->have_uid : names[i].letter == 'g' ? o->have_gid : o->have_step;

		if (strchr(cmd->required, names[i].letter) && !have)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
				 "%s%s", *missing ? ", " : "", names[i].name);
	}
	if (!*missing)
		return 0;
	die("%s: %s %s required", cmd->name, missing, strchr(missing, ',') ? "are" : "is");
	return -1;
}

/* --options TEXT, syntax only; 0 or exit status. */
static int parse_options_text(const char *text, struct mck_options *opts)
{
	struct mck_error err = { 0 };

	if (mck_options_parse(text, opts, &err))
		return die("%s", err.msg);
	return 0;
}

/* ----------------------------------------------------------- commands */

static int cmd_boot(const struct global *g, const struct mck_config *cfg,
		    const struct sub_opts *o)
{
	struct mck_error err = { 0 };
	struct mck_options opts;
	char node[256];
	struct mck_lwk_job job = {
		.job = o->job, .uid = o->uid, .gid = o->gid, .partition = g->partition,
		.options = o->options ? &opts : NULL,
	};

	/* the node as slurmd names it (the prologue's SLURMD_NODENAME) */
	if (mck_drain_node_name(node, sizeof(node)) == 0)
		job.node = node;
	/*
	 * Syntax errors cannot happen from the prologue (it parsed the
	 * value); the partition's rules are applied by the boot itself,
	 * which records a refusal for the job's steps.
	 */
	if (o->options && parse_options_text(o->options, &opts))
		return 1;
	if (mck_lwk_boot(cfg, &job, &err) == 0)
		return 0;
	die("%s", err.msg);
	/* nothing of the job left, the record tells the job why */
	return mck_lwk_boot_failed_clean(cfg, o->job) ? MCK_LWK_EXIT_BOOT_FAILED_CLEAN : 1;
}

static int cmd_teardown(const struct global *g, const struct mck_config *cfg,
			const struct sub_opts *o)
{
	struct mck_error err = { 0 };

	(void)g;
	if (mck_lwk_teardown(cfg, o->job, &err))
		return die("%s", err.msg);
	return 0;
}

static int cmd_step(const struct global *g, const struct mck_config *cfg,
		    const struct sub_opts *o)
{
	struct mck_lwk_step_req req = { .job = o->job, .step = (long)o->step };
	struct mck_error err = { 0 };
	struct mck_options opts;
	char canon[MCK_OPTIONS_MAX_LEN + 1];

	(void)g;
	if (o->options) {
		if (parse_options_text(o->options, &opts))
			return 1;
		if (mck_options_format(&opts, canon, sizeof(canon)) < 0)
			return die("step: --options '%s': too long", o->options);
		req.options = canon;
	}
	if (mck_lwk_step(cfg, &req, stdout, &err))
		return die("%s", err.msg);
	return 0;
}

static int cmd_check(const struct global *g, const struct mck_config *cfg,
		     const struct sub_opts *o)
{
	struct mck_error err = { 0 };
	int r = o->health ? mck_lwk_health(cfg, stdout, &err) : mck_lwk_check(cfg, stdout, &err);

	(void)g;
	return r < 0 ? die("check: %s", err.msg) : r;
}

static int cmd_status(const struct global *g, const struct mck_config *cfg,
		      const struct sub_opts *o)
{
	struct mck_error err = { 0 };

	(void)g;
	if ((o->json ? mck_lwk_status_json : mck_lwk_status)(cfg, stdout, &err))
		return die("status: %s", err.msg);
	return 0;
}

static int cmd_clean(const struct global *g, const struct mck_config *cfg,
		     const struct sub_opts *o)
{
	struct mck_error err = { 0 };

	(void)g;
	(void)o;
	if (mck_lwk_clean(cfg, &err))
		return die("clean: %s", err.msg);
	return 0;
}

static int cmd_release(const struct global *g, const struct mck_config *cfg,
		       const struct sub_opts *o)
{
	struct mck_error err = { 0 };
	char why[96];

	(void)g;
	if (o->have_job)
		snprintf(why, sizeof(why), "job %lu without --mckernel is starting", o->job);
	else
		snprintf(why, sizeof(why), "mckctl release");
	if (mck_lwk_release(cfg, why, &err))
		return die("release: %s", err.msg);
	return 0;
}

static int cmd_metrics(const struct global *g, const struct mck_config *cfg,
		       const struct sub_opts *o)
{
	struct mck_error err = { 0 };

	(void)g;
	if (o->output && o->output[0] != '/')
		return die("metrics: --output '%s': expected an absolute path", o->output);
	if (mck_lwk_metrics(cfg, o->output ? o->output : cfg->metrics_file, &err))
		return die("metrics: %s", err.msg);
	return 0;
}

static int cmd_plan(const struct global *g, const struct mck_config *cfg,
		    const struct sub_opts *o)
{
	static const struct { const char *name; enum mck_plan_format f; } formats[] = {
		{ "mcreboot", MCK_PLAN_MCREBOOT }, { "json", MCK_PLAN_JSON },
		{ "ihk-env", MCK_PLAN_IHK_ENV },
	};
	struct mck_error err = { 0 };
	struct mck_options opts;
	struct mck_plan plan;
	int f = o->format ? -1 : 0;

	(void)g;
	for (size_t i = 0; o->format && i < sizeof(formats) / sizeof(formats[0]); i++)
		if (!strcmp(o->format, formats[i].name))
			f = (int)i;
	if (f < 0)
		return die("plan: --format '%s': expected mcreboot, json or ihk-env", o->format);
	/* the partition's rules are mck_node_plan's one check */
	if (o->options && parse_options_text(o->options, &opts))
		return 1;
	if (mck_node_plan(cfg, o->options ? &opts : NULL, &plan, NULL, &err))
		return die("plan: %s", err.msg);
	mck_plan_print_flags(&plan, formats[f].f, o->explain ? MCK_PLAN_EXPLAIN : 0, stdout);
	mck_plan_free(&plan);
	return 0;
}

static int cmd_config(const struct global *g, const struct mck_config *unused,
		      const struct sub_opts *o)
{
	struct mck_config cfg;
	struct mck_error err = { 0 };
	struct mck_budget b;
	char slurm_conf[PATH_MAX];
	long pet;

	(void)unused;
	if (!o->check)
		return die("config: expected --check [FILE]");
	if (o->file && g->config)
		return die("config: give the file once (--config or the argument)");
	if (mck_config_load(o->file ? o->file : g->config, g->partition, &cfg, &err))
		return die("%s", err.msg);
	mck_config_print(&cfg, stdout);
	if (access(cfg.libihk, R_OK))
		fprintf(stderr, "mckctl: warning: libihk = %s: %s\n", cfg.libihk, strerror(errno));
	if (access(cfg.image, R_OK))
		fprintf(stderr, "mckctl: warning: image = %s: %s\n", cfg.image, strerror(errno));
	if (access(cfg.mcexec, X_OK))
		fprintf(stderr, "mckctl: warning: mcexec = %s: %s\n", cfg.mcexec, strerror(errno));
	mck_slurm_conf_default(&cfg, slurm_conf, sizeof(slurm_conf));
	pet = mck_slurm_prolog_epilog_timeout(slurm_conf);
	mck_budget(&cfg, &b);
	if (pet > 0 && pet < b.script_s)
		fprintf(stderr, "mckctl: warning: PrologEpilogTimeout = %ld s in %s is shorter "
			"than the %d s mck-prologue may need with boot_timeout = %d and "
			"shutdown_timeout = %d: Slurm would kill a prologue that is still "
			"recovering; raise PrologEpilogTimeout or lower the timeouts\n", pet,
			slurm_conf, b.script_s, cfg.boot_timeout, cfg.shutdown_timeout);
	mck_config_free(&cfg);
	return 0;
}

static const struct command commands[] = {
	{ "boot", "jugo", "jug", cmd_boot, 0 },
	{ "teardown", "j", "j", cmd_teardown, 0 },
	{ "step", "jso", "js", cmd_step, 0 },
	{ "check", "H", "", cmd_check, 0 },
	{ "status", "J", "", cmd_status, 0 },
	{ "clean", "", "", cmd_clean, 0 },
	{ "release", "j", "", cmd_release, 0 },
	{ "metrics", "O", "", cmd_metrics, 0 },
	{ "plan", "fox", "", cmd_plan, 0 },
	{ "config", "c", "", cmd_config, 1 },
};

/* Commands with their own option parsing and configuration (mck-prereq.c). */
static const char *const prereq_commands[] = { "prereq", "check-slurm" };

/* mckctl's options before the command; index of the command word, or -1 (exit 1). */
static int parse_global(int argc, char **argv, struct global *g, int *quiet, int *help)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'C' },
		{ "partition", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (ch == 'C' && optarg[0] != '/')
			return die("--config '%s': expected an absolute path", optarg), -1;
		if (ch == 'p' && !mck_valid_partition(optarg))
			return die("--partition '%s': expected a Slurm partition name "
				   "(letters, digits, '_', '-', '.')", optarg), -1;
		if (ch == 'C')
			g->config = optarg;
		else if (ch == 'p')
			g->partition = optarg;
		else if (ch == 'q')
			*quiet = 1;
		else if (ch == 'h')
			*help = 1;
		else
			return die("unknown option '%s'; see mckctl --help", argv[optind - 1]), -1;
	}
	return optind;
}

int main(int argc, char **argv)
{
	struct global g = { 0 };
	struct sub_opts so = { 0 };
	const struct command *cmd = NULL;
	struct mck_config cfg;
	struct mck_error err = { 0 };
	FILE *devnull = NULL;
	int first, quiet = 0, help = 0, rc;

	first = parse_global(argc, argv, &g, &quiet, &help);
	if (first < 0)
		return 1;
	if (help) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (first >= argc) {
		fputs(usage_text, stderr);
		return 1;
	}
	argc -= first;
	argv += first;
	for (size_t i = 0; i < sizeof(prereq_commands) / sizeof(prereq_commands[0]); i++)
		if (!strcmp(argv[0], prereq_commands[i]))
			return mck_prereq_command(argc, argv, g.config, g.partition);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[0], commands[i].name))
			cmd = &commands[i];
	if (!cmd)
		return die("unknown command '%s'; see mckctl --help", argv[0]);
	if (parse_sub(cmd, argc, argv, &so) || check_required(cmd, &so))
		return 1;
	if (cmd->takes_file)
		return cmd->run(&g, NULL, &so);

	if (mck_config_load(g.config, g.partition, &cfg, &err))
		return die("%s", err.msg);
	/*
	 * Whatever this process loads (libihk) or starts reads the same
	 * configuration file as mckctl itself.
	 */
	if (*cfg.path)
		setenv("SLURM_MCKERNEL_CONF", cfg.path, 1);
	if (quiet) {
		devnull = fopen("/dev/null", "we");
		if (devnull)
			mck_lwk_set_log(devnull);
	}
	rc = cmd->run(&g, &cfg, &so);
	mck_config_free(&cfg);
	if (devnull)
		fclose(devnull);
	return rc;
}
