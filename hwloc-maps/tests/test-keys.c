/*
 * test-keys.c: mckernel.conf, --mckernel and mck-maps's flags agree on
 * every value of every key they share: each row of the table is given to
 * the three parsers, which must accept or refuse it as the row says, and
 * what they accept must come out as the same planner policy (or, for the
 * mcexec keys, the same mcexec words).
 */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mck-maps-cli.h"
#include "mck-options.h"
#include "mck-policy.h"
#include "mck-test.h"
#include "mck-util.h"

/* Limits opened so that every value a key takes is one users may ask for. */
static const char base[] = "max_mem_fraction = 0.95\nmcexec_uti = yes\n";

/*
 * A value of a setting under its three names (NULL: not a name there),
 * and which of mckernel.conf, --mckernel and mck-maps take it (1) or
 * refuse it (0).
 */
static const struct {
	const char *conf, *user, *flag, *value;
	int conf_ok, user_ok, maps_ok;
} rows[] = {
	{ "linux_cores", "linux_cores", "--linux-cores", "1", 1, 1, 1 },
	{ "linux_cores", "linux_cores", "--linux-cores", "1024", 1, 1, 1 },
	{ "linux_cores", "linux_cores", "--linux-cores", "0", 0, 0, 0 },
	{ "linux_cores", "linux_cores", "--linux-cores", "1025", 0, 0, 0 },
	{ "linux_cores", "linux_cores", "--linux-cores", "4096", 0, 0, 0 },
	{ "linux_cores", "linux_cores", "--linux-cores", "+2", 0, 0, 0 },
	{ "linux_cores", "linux_cores", "--linux-cores", "2x", 0, 0, 0 },
	{ "linux_cores", "linux_cores", "--linux-cores", "", 0, 0, 0 },
	{ "linux_cores_per_package", NULL, "--linux-cores-per-package", "2", 1, 0, 1 },
	{ "linux_cores_per_package", NULL, "--linux-cores-per-package", "0", 0, 0, 0 },
	{ "linux_cpus", NULL, "--linux-cpus", "0,24-25", 1, 0, 1 },
	{ "linux_cpus", NULL, "--linux-cpus", "3-1", 0, 0, 0 },
	{ "linux_cpus", NULL, "--linux-cpus", "x", 0, 0, 0 },
	{ "linux_cpus", NULL, "--linux-cpus", "", 0, 0, 0 },
	{ "smt", "smt", "--smt", "one", 1, 1, 1 },
	{ "smt", "smt", "--smt", "all", 1, 1, 1 },
	{ "smt", "smt", "--smt", "two", 0, 0, 0 },
	{ "smt", "smt", "--smt", "ONE", 0, 0, 0 },
	{ "lwk_cpu_kind", NULL, "--lwk-cpu-kind", "performance", 1, 0, 1 },
	{ "lwk_cpu_kind", NULL, "--lwk-cpu-kind", "all", 1, 0, 1 },
	{ "lwk_cpu_kind", NULL, "--lwk-cpu-kind", "auto", 1, 0, 1 },
	{ "lwk_cpu_kind", NULL, "--lwk-cpu-kind", "fast", 0, 0, 0 },
	{ "assistant_cores", NULL, "--assistant-cores", "mckernel", 1, 0, 1 },
	{ "assistant_cores", NULL, "--assistant-cores", "some", 0, 0, 0 },
	{ "mem_fraction", "mem", "--mem-fraction", "0.5", 1, 1, 1 },
	{ "mem_fraction", "mem", "--mem-fraction", ".25", 1, 1, 1 },
	{ "mem_fraction", "mem", "--mem-fraction", "0.123456", 1, 1, 1 },
	{ "mem_fraction", "mem", "--mem-fraction", "0.95", 1, 1, 1 },
	{ "mem_fraction", "mem", "--mem-fraction", "0.951", 0, 0, 0 },
	{ "mem_fraction", "mem", "--mem-fraction", "1", 0, 0, 0 },
	{ "mem_fraction", "mem", "--mem-fraction", "0", 0, 0, 0 },
	{ "mem_fraction", "mem", "--mem-fraction", "1e-1", 0, 0, 0 },
	{ "mem_fraction", "mem", "--mem-fraction", "0.5e0", 0, 0, 0 },
	{ "mem_fraction", "mem", "--mem-fraction", "0.1234567", 0, 0, 0 },
	{ "mem_fraction", "mem", "--mem-fraction", "nan", 0, 0, 0 },
	{ "mem_fraction", "mem", "--mem-fraction", "-0.5", 0, 0, 0 },
	{ "mem_size", "mem", "--mem-size", "8G", 1, 1, 1 },
	{ "mem_size", "mem", "--mem-size", "4096MiB", 1, 1, 1 },
	{ "mem_size", "mem", "--mem-size", "512m", 1, 1, 1 },
	{ "mem_size", "mem", "--mem-size", "5M", 0, 0, 0 },
	{ "mem_size", "mem", "--mem-size", "0", 0, 0, 0 },
	{ "mem_size", "mem", "--mem-size", "8Q", 0, 0, 0 },
	/* mem= tells a size from a fraction by its unit */
	{ "mem_size", "mem", "--mem-size", "4194304", 1, 0, 1 },
	{ "mem_keep", NULL, "--mem-keep", "2G", 1, 0, 1 },
	{ "mem_keep", NULL, "--mem-keep", "0", 0, 0, 0 },
	{ "mem_keep", NULL, "--mem-keep", "3M", 0, 0, 0 },
	{ "mem_keep", NULL, "--mem-keep", "lots", 0, 0, 0 },
	{ "memory_only_nodes", NULL, "--memory-only-nodes", "hbm,cxl", 1, 0, 1 },
	{ "memory_only_nodes", NULL, "--memory-only-nodes", "include", 1, 0, 1 },
	{ "memory_only_nodes", NULL, "--memory-only-nodes", "exclude", 1, 0, 1 },
	{ "memory_only_nodes", NULL, "--memory-only-nodes", "hbm,gpu", 0, 0, 0 },
	{ "memory_only_nodes", NULL, "--memory-only-nodes", "yes", 0, 0, 0 },
	{ "ikc", NULL, "--ikc", "per-numa", 1, 0, 1 },
	{ "ikc", NULL, "--ikc", "spread", 1, 0, 1 },
	{ "ikc", NULL, "--ikc", "round-robin", 0, 0, 0 },
	{ "mpol_threshold", "mpol_threshold", NULL, "1M", 1, 1, 0 },
	{ "mpol_threshold", "mpol_threshold", NULL, "0", 1, 1, 0 },
	{ "mpol_threshold", "mpol_threshold", NULL, "big", 0, 0, 0 },
	{ "mpol_threshold", "mpol_threshold", NULL, "1M --foo", 0, 0, 0 },
	{ "extend_heap_by", "extend_heap_by", NULL, "8M", 1, 1, 0 },
	{ "extend_heap_by", "extend_heap_by", NULL, "-1", 0, 0, 0 },
	{ "stack_premap", "stack_premap", NULL, "2M:1G", 1, 1, 0 },
	{ "stack_premap", "stack_premap", NULL, "2M", 1, 1, 0 },
	{ "stack_premap", "stack_premap", NULL, "0", 1, 1, 0 },
	{ "stack_premap", "stack_premap", NULL, "1G:2M", 0, 0, 0 },
	{ "stack_premap", "stack_premap", NULL, ":2M", 0, 0, 0 },
	/* a comma separates --mckernel's keys */
	{ "stack_premap", "stack_premap", NULL, "2M,1G", 1, 0, 0 },
	{ "uti", "uti", NULL, "yes", 1, 1, 0 },
	{ "uti", "uti", NULL, "no", 1, 1, 0 },
	{ "uti", "uti", NULL, "1", 0, 0, 0 },
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

static int same_policy(const struct mck_plan_policy *a, const struct mck_plan_policy *b)
{
	int same_list = (!a->linux_cpulist && !b->linux_cpulist) ||
			(a->linux_cpulist && b->linux_cpulist && !strcmp(a->linux_cpulist, b->linux_cpulist));

	return same_list && a->keep == b->keep && a->linux_cores == b->linux_cores &&
	       a->smt_one == b->smt_one && a->mem == b->mem && a->mem_fraction == b->mem_fraction &&
	       a->mem_size == b->mem_size && a->mem_keep == b->mem_keep && a->memonly == b->memonly &&
	       a->memonly_kinds == b->memonly_kinds && a->ikc == b->ikc &&
	       a->lwk_cpu_kind == b->lwk_cpu_kind && a->assistant == b->assistant &&
	       a->job_cpulist == b->job_cpulist;
}

/* The mcexec words of opts over cfg, joined. */
static void words(const struct mck_config *cfg, const struct mck_options *opts, char *buf, size_t len)
{
	struct mck_error err = { 0 };
	char **argv;
	int argc;

	buf[0] = '\0';
	if (mck_options_mcexec_args(opts, cfg, &argv, &argc, &err)) {
		snprintf(buf, len, "(error: %.400s)", err.msg);
		return;
	}
	for (int i = 0; i < argc; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? " " : "", argv[i]);
	mck_argv_free(argv);
}

/* One row: what each parser says, and that what they accept is the same. */
static void one(size_t r, const struct mck_config *dflt)
{
	struct mck_plan_policy pc, pu;
	struct mck_config cfg;
	struct mck_maps_cli cli;
	struct mck_options opts;
	struct mck_error err = { 0 };
	char text[256], wc[512] = "", wu[512] = "";
	int conf_ok, user_ok = 0, maps_ok = 0, have_maps = 0;

	snprintf(text, sizeof(text), "%s%s = %s\n", base, rows[r].conf, rows[r].value);
	conf_ok = !mck_config_load_buffer(text, strlen(text), "keys.conf", NULL, &cfg, &err);
	if (conf_ok) {
		mck_config_plan_policy(&cfg, NULL, &pc);
		words(&cfg, NULL, wc, sizeof(wc));
	}
	is_int(conf_ok, rows[r].conf_ok, "mckernel.conf %s = '%s' %s", rows[r].conf, rows[r].value,
	       rows[r].conf_ok ? "accepted" : "refused");
	if (rows[r].user) {
		snprintf(text, sizeof(text), "%s=%s", rows[r].user, rows[r].value);
		user_ok = !mck_options_parse(text, &opts, &err) &&
			  !mck_options_check(&opts, dflt, &err);
		if (user_ok) {
			mck_config_plan_policy(dflt, &opts, &pu);
			words(dflt, &opts, wu, sizeof(wu));
		}
		is_int(user_ok, rows[r].user_ok, "--mckernel=%s %s", text,
		       rows[r].user_ok ? "accepted" : "refused");
	}
	if (rows[r].flag) {
		char *argv[] = { "mck-maps", (char *)rows[r].flag, (char *)rows[r].value, NULL };

		maps_ok = !mck_maps_cli_parse(3, argv, &cli, &err);
		have_maps = maps_ok;
		is_int(maps_ok, rows[r].maps_ok, "mck-maps %s '%s' %s", rows[r].flag, rows[r].value,
		       rows[r].maps_ok ? "accepted" : "refused");
	}
	if (conf_ok && user_ok)
		ok(same_policy(&pc, &pu) && !strcmp(wc, wu), "%s = %s and --mckernel=%s=%s: the same",
		   rows[r].conf, rows[r].value, rows[r].user, rows[r].value);
	if (conf_ok && maps_ok)
		ok(same_policy(&pc, &cli.pol), "%s = %s and %s %s: the same policy", rows[r].conf,
		   rows[r].value, rows[r].flag, rows[r].value);
	if (have_maps)
		mck_maps_cli_free(&cli);
	if (conf_ok)
		mck_config_free(&cfg);
}

/* With nothing set, the three and the planner's own defaults are one policy. */
static void defaults(const struct mck_config *dflt)
{
	struct mck_plan_policy pc, pi;
	struct mck_maps_cli cli;
	struct mck_error err = { 0 };
	char *argv[] = { "mck-maps", NULL };

	mck_config_plan_policy(dflt, NULL, &pc);
	mck_plan_policy_init(&pi);
	ok(same_policy(&pc, &pi), "mckernel.conf's defaults are the planner's");
	ok(!mck_maps_cli_parse(1, argv, &cli, &err) && same_policy(&pc, &cli.pol),
	   "mck-maps's defaults are mckernel.conf's");
	mck_maps_cli_free(&cli);
}

/* Every key shared by two interfaces has a row here. */
static void coverage(void)
{
	const struct mck_key *keys;
	size_t n;

	keys = mck_keys(&n);
	for (size_t i = 0; i < n; i++) {
		const struct mck_key *k = &keys[i];
		unsigned who = k->who;
		int found = 0;

		if ((who & MCK_BY_OPERATOR) + !!(who & MCK_BY_USER) + !!(who & MCK_BY_MAPS) < 2 &&
		    strcmp(k->name, "mem"))
			continue;
		for (size_t r = 0; r < NROWS && !found; r++)
			found = !strcmp(k->name, rows[r].conf) ||
				(rows[r].user && !strcmp(k->name, rows[r].user));
		ok(found, "%s, shared by more than one interface, is in the table", k->name);
	}
}

int main(void)
{
	struct mck_config dflt;
	struct mck_error err = { 0 };

	if (mck_config_load_buffer(base, strlen(base), "base.conf", NULL, &dflt, &err)) {
		ok(0, "base configuration: %s", err.msg);
		return done_testing();
	}
	for (size_t r = 0; r < NROWS; r++)
		one(r, &dflt);
	defaults(&dflt);
	coverage();
	mck_config_free(&dflt);
	return done_testing();
}
