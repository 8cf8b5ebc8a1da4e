/*
 * mck-healthcheck: Slurm's HealthCheckProgram for McKernel nodes. Checks
 * the node like `mckctl check --health` (a job's RUNNING instance is a job
 * at work; anything else left is not) and, when the node is not clean,
 * drains it with a one-line reason naming what is left:
 *
 *   scontrol update NodeName=NODE State=DRAIN Reason="mckernel: ..."
 *
 * slurmctld writes only "Prolog error"/"Epilog error" when our scripts
 * fail; this puts the real reason into `sinfo -R`. See mckctl(8).
 */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mck-config.h"
#include "mck-budget.h"
#include "mck-drain.h"
#include "mck-lwk.h"
#include "mck-metrics.h"
#include "mck-util.h"



static const char usage_text[] =
	"Usage: mck-healthcheck [--config FILE] [--node NAME] [--no-drain] [--wait SECONDS]\n"
	"\n"
	"Exit 0 when the node is clean (or a boot/teardown is in progress), 1 when it\n"
	"is not: what is left is printed on stdout and, unless --no-drain, the node\n"
	"is drained with the reason \"mckernel: <what is left>\".\n"
	"\n"
	"  --config FILE    mckernel.conf (default: as mckctl)\n"
	"  --node NAME      Slurm node name (default: $SLURMD_NODENAME, else short hostname)\n"
	"  --no-drain       only report\n"
	"  --wait SECONDS   wait at most this long for a running boot/teardown (default 10)\n";

/* prefix + text, its lines joined with "; ", into buf. */
static void one_line(const char *prefix, const char *text, char *buf, size_t len)
{
	size_t used = snprintf(buf, len, "%s", prefix);

	for (const char *p = text; *p && used + 3 < len; p++) {
		if (*p == '\n') {
			if (p[1]) {
				buf[used++] = ';';
				buf[used++] = ' ';
			}
		} else {
			buf[used++] = *p;
		}
	}
	buf[used < len ? used : len - 1] = '\0';
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'C' },
		{ "node", required_argument, NULL, 'n' },
		{ "no-drain", no_argument, NULL, 'N' },
		{ "wait", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *node_opt = NULL;
	struct mck_config cfg;
	struct mck_error err = { 0 };
	char node[256], why[2048], derr[512], *text = NULL;
	size_t tlen = 0;
	FILE *mem;
	long wait_s = 10;
	int ch, drain = 1, have_cfg = 0, rc, r;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'C':
			if (optarg[0] != '/') {
				fprintf(stderr, "mck-healthcheck: --config '%s': expected an absolute path\n", optarg);
				return 2;
			}
			config = optarg;
			break;
		case 'n':
			node_opt = optarg;
			break;
		case 'N':
			drain = 0;
			break;
		case 'w':
			if (mck_parse_long(optarg, 0, 3600, &wait_s)) {
				fprintf(stderr, "mck-healthcheck: --wait '%s': expected 0 to 3600 seconds\n", optarg);
				return 2;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fprintf(stderr, "mck-healthcheck: unknown option '%s'\n%s", argv[optind - 1], usage_text);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mck-healthcheck: unexpected argument '%s'\n%s", argv[optind], usage_text);
		return 2;
	}
	if (node_opt) {
		if (!*node_opt || strlen(node_opt) >= sizeof(node) || strpbrk(node_opt, " \t\n=,")) {
			fprintf(stderr, "mck-healthcheck: --node '%s': not a node name\n", node_opt);
			return 2;
		}
		snprintf(node, sizeof(node), "%s", node_opt);
	} else if (drain && mck_drain_node_name(node, sizeof(node))) {
		fprintf(stderr, "mck-healthcheck: cannot tell this node's name: give --node\n");
		return 2;
	}

	if (mck_config_load(config, NULL, &cfg, &err)) {
		/* a node that cannot read its configuration cannot boot McKernel */
		snprintf(why, sizeof(why), "health check: %s", err.msg);
		rc = 1;
		goto report;
	}
	if (*cfg.path)
		setenv("SLURM_MCKERNEL_CONF", cfg.path, 1);
	mem = open_memstream(&text, &tlen);
	if (!mem) {
		mck_config_free(&cfg);
		fprintf(stderr, "mck-healthcheck: out of memory\n");
		return 2;
	}
	/* a reservation kept longer than keep_idle on a node without jobs goes back */
	if (mck_lwk_kept_expire(&cfg, &err))
		fprintf(mem, "kept reservation: %s\n", err.msg);
	r = mck_lwk_health_locked(&cfg, mem, (int)wait_s, &err);
	fclose(mem);
	have_cfg = 1;
	if (r == 0 || r == MCK_LWK_HEALTH_BUSY) {
		if (r == MCK_LWK_HEALTH_BUSY)
			printf("mck-healthcheck: a boot or teardown is in progress: not checked\n");
		free(text);
		rc = 0;
		goto out;
	}
	if (r < 0) {
		snprintf(why, sizeof(why), "health check failed: %s", err.msg);
	} else {
		fputs(text ? text : "", stdout);
		one_line("node not clean: ", text ? text : "?", why, sizeof(why));
	}
	free(text);
	rc = 1;
report:
	printf("mck-healthcheck: %s\n", why);
	if (drain) {
		if (mck_drain_node(node, why, MCK_DRAIN_SCONTROL_S, derr, sizeof(derr))) {
			fprintf(stderr, "mck-healthcheck: %s\n", derr);
			rc = 2;
			goto out;
		}
		printf("mck-healthcheck: drained %s\n", node);
		if (have_cfg)
			mck_metrics_add(cfg.state_dir, "drains_total", 1);
	}
out:
	if (have_cfg) {
		/* node exporter sees what the node holds at every health check */
		mck_lwk_metrics_auto(&cfg);
		mck_config_free(&cfg);
	}
	return rc;
}
