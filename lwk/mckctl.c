/*
 * mckctl: the node-side tool of slurm-mckernel. Boots and tears down the
 * McKernel instance of a job (run by mck-prologue / mck-epilogue), checks
 * that a node is clean (usable as Slurm's HealthCheckProgram), shows the
 * node's LWK state and the plan it would boot with, and cleans a node by
 * hand. See mckctl(8).
 */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <limits.h>
#include <unistd.h>

#include "mck-config.h"
#include "mck-lwk.h"
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
	"  teardown --job ID                   shut it down, release everything, verify\n"
	"  check [--health]                    exit 0 if the node is clean, else list\n"
	"                                      what is left on stdout and exit 1;\n"
	"                                      --health: a job's RUNNING instance is fine\n"
	"                                      (for Slurm's HealthCheckProgram)\n"
	"  status                              instances, owners, CPUs, memory, jobs\n"
	"  plan [--format mcreboot|json|ihk-env] [--options TEXT] [--explain]\n"
	"                                      the plan this node boots with (for TEXT);\n"
	"                                      --explain: every decision with its reason\n"
	"  clean                               tear down everything on the node\n"
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

static int parse_id(const char *what, const char *s, unsigned long max, unsigned long *out)
{
	if (mck_parse_ulong(s, out) || *out > max) {
		die("%s '%s': expected a decimal number from 0 to %lu", what, s, max);
		return -1;
	}
	return 0;
}

/* Sub-command options: --job, --uid, --gid, --format. */
struct sub_opts {
	int have_job, have_uid, have_gid;
	unsigned long job, uid, gid;
	const char *format;
	const char *options;	/* --options TEXT: the job's --mckernel value */
	int check;
	int health;
	int explain;
	const char *file;
};

static int parse_sub(const char *cmd, int argc, char **argv, const char *allowed,
		     struct sub_opts *o)
{
	static const struct option longopts[] = {
		{ "job", required_argument, NULL, 'j' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "format", required_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'c' },
		{ "health", no_argument, NULL, 'H' },
		{ "options", required_argument, NULL, 'o' },
		{ "explain", no_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (ch == '?' || !strchr(allowed, ch)) {
			die("%s: unexpected option '%s'; see mckctl --help", cmd, argv[optind - 1]);
			return -1;
		}
		switch (ch) {
		case 'j':
			if (parse_id("--job", optarg, 0xfffffffeUL, &o->job))
				return -1;
			o->have_job = 1;
			break;
		case 'u':
			if (parse_id("--uid", optarg, 0xfffffffeUL, &o->uid))
				return -1;
			o->have_uid = 1;
			break;
		case 'g':
			if (parse_id("--gid", optarg, 0xfffffffeUL, &o->gid))
				return -1;
			o->have_gid = 1;
			break;
		case 'f':
			o->format = optarg;
			break;
		case 'c':
			o->check = 1;
			break;
		case 'H':
			o->health = 1;
			break;
		case 'o':
			o->options = optarg;
			break;
		case 'x':
			o->explain = 1;
			break;
		}
	}
	if (optind < argc) {
		if (!strcmp(cmd, "config") && optind + 1 == argc) {
			o->file = argv[optind];
			return 0;
		}
		die("%s: unexpected argument '%s'; see mckctl --help", cmd, argv[optind]);
		return -1;
	}
	return 0;
}

/* --options TEXT parsed and checked against the partition; 0 or exit status. */
static int parse_user_options(const struct mck_config *cfg, const char *text,
			      struct mck_options *opts)
{
	struct mck_error err = { 0 };

	if (mck_options_parse(text, opts, &err) || mck_options_check(opts, cfg, &err))
		return die("%s", err.msg);
	return 0;
}

static int cmd_plan(const struct mck_config *cfg, const char *format, const char *options,
		    int explain)
{
	struct mck_plan plan;
	struct mck_error err = { 0 };
	struct mck_options opts;
	enum mck_plan_format f;

	if (!format || !strcmp(format, "mcreboot"))
		f = MCK_PLAN_MCREBOOT;
	else if (!strcmp(format, "json"))
		f = MCK_PLAN_JSON;
	else if (!strcmp(format, "ihk-env"))
		f = MCK_PLAN_IHK_ENV;
	else
		return die("plan: --format '%s': expected mcreboot, json or ihk-env", format);
	if (options && parse_user_options(cfg, options, &opts))
		return 1;
	if (mck_lwk_plan_opts(cfg, options ? &opts : NULL, &plan, NULL, &err))
		return die("plan: %s", err.msg);
	mck_plan_print_flags(&plan, f, explain ? MCK_PLAN_EXPLAIN : 0, stdout);
	mck_plan_free(&plan);
	return 0;
}

static int cmd_config_check(const char *file, const char *partition)
{
	struct mck_config cfg;
	struct mck_error err = { 0 };

	if (mck_config_load(file, partition, &cfg, &err))
		return die("%s", err.msg);
	mck_config_print(&cfg, stdout);
	if (access(cfg.libihk, R_OK))
		fprintf(stderr, "mckctl: warning: libihk = %s: %s\n", cfg.libihk, strerror(errno));
	if (access(cfg.image, R_OK))
		fprintf(stderr, "mckctl: warning: image = %s: %s\n", cfg.image, strerror(errno));
	if (access(cfg.mcexec, X_OK))
		fprintf(stderr, "mckctl: warning: mcexec = %s: %s\n", cfg.mcexec, strerror(errno));
	if (*cfg.path && strrchr(cfg.path, '/')) {
		char slurm_conf[PATH_MAX];
		const char *slash = strrchr(cfg.path, '/');
		long pet;

		snprintf(slurm_conf, sizeof(slurm_conf), "%.*s/slurm.conf",
			 (int)(slash - cfg.path), cfg.path);
		pet = mck_slurm_prolog_epilog_timeout(slurm_conf);

		if (pet > 0 && pet <= cfg.boot_timeout + cfg.shutdown_timeout)
			fprintf(stderr, "mckctl: warning: PrologEpilogTimeout = %ld s in the slurm.conf "
				"beside %s is not longer than boot_timeout + shutdown_timeout = %d s: "
				"Slurm would kill a prologue that is still recovering; raise "
				"PrologEpilogTimeout or lower the timeouts\n", pet, cfg.path,
				cfg.boot_timeout + cfg.shutdown_timeout);
	}
	mck_config_free(&cfg);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'C' },
		{ "partition", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *partition = NULL, *cmd;
	struct sub_opts so = { 0 };
	struct mck_config cfg;
	struct mck_error err = { 0 };
	FILE *devnull = NULL;
	int ch, rc, quiet = 0;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'C':
			if (optarg[0] != '/')
				return die("--config '%s': expected an absolute path", optarg);
			config = optarg;
			break;
		case 'p':
			if (!mck_valid_partition(optarg))
				return die("--partition '%s': expected a Slurm partition name "
					   "(letters, digits, '_', '-', '.')", optarg);
			partition = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return die("unknown option '%s'; see mckctl --help", argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return 1;
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;

	if (!strcmp(cmd, "prereq") || !strcmp(cmd, "check-slurm"))
		return mck_prereq_command(argc, argv, config, partition);
	if (!strcmp(cmd, "config")) {
		if (parse_sub(cmd, argc, argv, "c", &so))
			return 1;
		if (!so.check)
			return die("config: expected --check [FILE]");
		if (so.file && config)
			return die("config: give the file once (--config or the argument)");
		return cmd_config_check(so.file ? so.file : config, partition);
	}

	if (!strcmp(cmd, "boot"))
		rc = parse_sub(cmd, argc, argv, "jugo", &so);
	else if (!strcmp(cmd, "teardown"))
		rc = parse_sub(cmd, argc, argv, "j", &so);
	else if (!strcmp(cmd, "plan"))
		rc = parse_sub(cmd, argc, argv, "fox", &so);
	else if (!strcmp(cmd, "check"))
		rc = parse_sub(cmd, argc, argv, "H", &so);
	else if (!strcmp(cmd, "status") || !strcmp(cmd, "clean"))
		rc = parse_sub(cmd, argc, argv, "", &so);
	else
		return die("unknown command '%s'; see mckctl --help", cmd);
	if (rc)
		return 1;
	if (!strcmp(cmd, "boot") && !(so.have_job && so.have_uid && so.have_gid))
		return die("boot: --job, --uid and --gid are all required");
	if (!strcmp(cmd, "teardown") && !so.have_job)
		return die("teardown: --job is required");

	if (mck_config_load(config, partition, &cfg, &err))
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

	rc = 0;
	if (!strcmp(cmd, "boot")) {
		struct mck_options opts;
		struct mck_lwk_job job = {
			.job = so.job, .uid = so.uid, .gid = so.gid, .partition = partition,
			.options = so.options ? &opts : NULL,
		};

		/*
		 * Syntax errors cannot happen from the prologue (it parsed the
		 * value); the partition's rules are applied by the boot itself,
		 * which records a refusal for the job's steps.
		 */
		if (so.options && mck_options_parse(so.options, &opts, &err)) {
			rc = die("%s", err.msg);
		} else if (mck_lwk_boot(&cfg, &job, &err)) {
			rc = die("%s", err.msg);
			/* unwound, node clean, the record tells the job why */
			if (mck_lwk_boot_failed_clean(&cfg, so.job))
				rc = MCK_LWK_EXIT_BOOT_FAILED_CLEAN;
		}
	} else if (!strcmp(cmd, "teardown")) {
		if (mck_lwk_teardown(&cfg, so.job, &err))
			rc = die("%s", err.msg);
	} else if (!strcmp(cmd, "check")) {
		int r = so.health ? mck_lwk_health(&cfg, stdout, &err)
				  : mck_lwk_check(&cfg, stdout, &err);

		rc = r < 0 ? die("check: %s", err.msg) : r;
	} else if (!strcmp(cmd, "status")) {
		if (mck_lwk_status(&cfg, stdout, &err))
			rc = die("status: %s", err.msg);
	} else if (!strcmp(cmd, "plan")) {
		rc = cmd_plan(&cfg, so.format, so.options, so.explain);
	} else if (!strcmp(cmd, "clean")) {
		if (mck_lwk_clean(&cfg, &err))
			rc = die("clean: %s", err.msg);
	}
	mck_config_free(&cfg);
	if (devnull)
		fclose(devnull);
	return rc;
}
