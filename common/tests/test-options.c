/* Unit tests of the --mckernel option parser, its checks and mcexec words. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mck-config.h"
#include "mck-options.h"
#include "mck-util.h"
#include "mck-test.h"

static int load(const char *text, const char *partition, struct mck_config *cfg)
{
	struct mck_error err = { 0 };
	int rc = mck_config_load_buffer(text, strlen(text), "test.conf", partition, cfg, &err);

	if (rc)
		printf("# load failed: %s\n", err.msg);
	return rc;
}

/* Parse must succeed and format back to canon. */
static void good(const char *text, const char *canon)
{
	struct mck_options o;
	struct mck_error err = { 0 };
	char buf[512];
	int rc = mck_options_parse(text, &o, &err);

	ok(rc == 0, "accept '%s' (%s)", text, rc ? err.msg : "ok");
	ok(mck_options_format(&o, buf, sizeof(buf)) == 0, "format '%s'", text);
	is_str(buf, canon, "canonical form of '%s'", text);
}

/* Parse must fail with -EINVAL and the exact message. */
static void bad(const char *text, const char *want)
{
	struct mck_options o;
	struct mck_error err = { 0 };
	int rc = mck_options_parse(text, &o, &err);

	ok(rc == -EINVAL, "refuse '%s'", text);
	is_str(err.msg, want, "message for '%s'", text);
	ok(o.set == 0, "nothing set after refusing '%s'", text);
}

/* Check against cfg must fail with the exact message. */
static void refused(const char *text, const struct mck_config *cfg, const char *want)
{
	struct mck_options o;
	struct mck_error err = { 0 };

	ok(mck_options_parse(text, &o, &err) == 0, "parse '%s'", text);
	ok(mck_options_check(&o, cfg, &err) == -EPERM, "refuse '%s' on %s", text,
	   cfg->partition ? cfg->partition : "defaults");
	is_str(err.msg, want, "message for '%s'", text);
}

static void allowed(const char *text, const struct mck_config *cfg)
{
	struct mck_options o;
	struct mck_error err = { 0 };

	ok(mck_options_parse(text, &o, &err) == 0 && mck_options_check(&o, cfg, &err) == 0,
	   "allow '%s' (%s)", text, err.msg);
}

/* mcexec words for text over cfg, joined by spaces. */
static char *words(const char *text, const struct mck_config *cfg)
{
	static char joined[1024];
	struct mck_options o;
	struct mck_error err = { 0 };
	char **argv = NULL;
	int argc = -1;

	joined[0] = '\0';
	if (text && mck_options_parse(text, &o, &err))
		return strcpy(joined, "(parse error)");
	if (mck_options_mcexec_args(text ? &o : NULL, cfg, &argv, &argc, &err))
		return strcpy(joined, "(error)");
	for (int i = 0; i < argc; i++)
		snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s",
			 i ? " " : "", argv[i]);
	if (argv[argc] != NULL)
		strcpy(joined, "(argv not NULL-terminated)");
	mck_argv_free(argv);
	return joined;
}

int main(void)
{
	struct mck_options o;
	struct mck_error err = { 0 };
	struct mck_config cfg;
	char big[MCK_OPTIONS_MAX_LEN + 10];

	/* The option alone. */
	ok(mck_options_parse(NULL, &o, &err) == 0 && o.set == 0, "NULL: nothing set");
	ok(mck_options_parse("", &o, &err) == 0 && o.set == 0, "empty: nothing set");

	/* Every key. */
	good("mem=0.6", "mem=0.6");
	good("mem=.25", "mem=0.25");
	good("mem=0.95", "mem=0.95");
	good("mem=8G", "mem=8G");
	good("mem=512m", "mem=512M");
	good("mem=4096MiB", "mem=4G");
	good("linux_cores=2", "linux_cores=2");
	good("smt=one", "smt=one");
	good("smt=all", "smt=all");
	good("procs=4", "procs=4");
	good("mpol_threshold=1M", "mpol_threshold=1M");
	good("mpol_threshold=0", "mpol_threshold=0");
	good("extend_heap_by=8M", "extend_heap_by=8M");
	good("stack_premap=2M", "stack_premap=2M");
	good("stack_premap=2M:1G", "stack_premap=2M:1G");
	good("uti=yes", "uti=yes");
	good("uti=no", "uti=no");
	good("uti=yes,smt=one,mem=0.5,procs=2,linux_cores=1",
	     "mem=0.5,linux_cores=1,smt=one,procs=2,uti=yes");
	ok(mck_options_parse("mem=0.6,procs=3", &o, &err) == 0 &&
	   o.set == (MCK_OPT_BIT(MCK_OPT_MEM) | MCK_OPT_BIT(MCK_OPT_PROCS)) &&
	   o.mem_fraction == 0.6 && o.mem_mode == MCK_MEM_FRACTION && o.procs == 3, "parsed fields");
	ok(mck_options_parse("mem=8G", &o, &err) == 0 && o.mem_mode == MCK_MEM_SIZE &&
	   o.mem_size == 8ULL << 30, "mem=8G is a size in bytes");

	/* Every error. */
	bad("smt", "--mckernel: 'smt' is not KEY=VALUE; keys are mem, linux_cores, smt, procs, "
	    "mpol_threshold, extend_heap_by, stack_premap, uti, quiet");
	bad("colour=red", "--mckernel: unknown key 'colour' (in 'colour=red'): keys are mem, "
	    "linux_cores, smt, procs, mpol_threshold, extend_heap_by, stack_premap, uti, quiet");
	bad("SMT=one", "--mckernel: unknown key 'SMT' (in 'SMT=one'): keys are mem, "
	    "linux_cores, smt, procs, mpol_threshold, extend_heap_by, stack_premap, uti, quiet");
	bad("mem=0.5,mem=0.6", "--mckernel: key 'mem' is given twice ('mem=0.6' again): give each key once");
	bad("mem=0.5,,smt=one", "--mckernel: empty setting in 'mem=0.5,,smt=one': write "
	    "--mckernel=KEY=VALUE[,KEY=VALUE...] without empty items");
	bad(",mem=0.5", "--mckernel: empty setting in ',mem=0.5': write "
	    "--mckernel=KEY=VALUE[,KEY=VALUE...] without empty items");
	bad("mem=0.5,", "--mckernel: empty setting in 'mem=0.5,': write "
	    "--mckernel=KEY=VALUE[,KEY=VALUE...] without empty items");
#define MEM_EXPECTED "expected a fraction of each NUMA node in (0, 0.95] with at most 6 decimals such as 0.6, or a size " \
	"with a unit (k, M, G, T) that is a multiple of 4M such as 8G"
	bad("mem=", "--mckernel: mem='' is not valid: " MEM_EXPECTED);
	/* issue 16: real IHK stops reserving at 95% of a NUMA node */
	bad("mem=0.96", "--mckernel: mem=0.96 is above 0.95: IHK reserves at most 95% of a NUMA "
	    "node's memory; ask for at most mem=0.95");
	bad("mem=0.951", "--mckernel: mem=0.951 is above 0.95: IHK reserves at most 95% of a NUMA "
	    "node's memory; ask for at most mem=0.95");
	bad("mem=1", "--mckernel: mem=1 is above 0.95: IHK reserves at most 95% of a NUMA "
	    "node's memory; ask for at most mem=0.95");
	bad("mem=1.5", "--mckernel: mem='1.5' is not valid: " MEM_EXPECTED);
	bad("mem=0", "--mckernel: mem='0' is not valid: " MEM_EXPECTED);
	bad("mem=1e-1", "--mckernel: mem='1e-1' is not valid: " MEM_EXPECTED);
	bad("mem=0.0000001", "--mckernel: mem='0.0000001' is not valid: " MEM_EXPECTED);
	bad("mem=nan", "--mckernel: mem='nan' is not valid: " MEM_EXPECTED);
	bad("mem=-0.5", "--mckernel: mem='-0.5' is not valid: " MEM_EXPECTED);
	bad("mem=1000000", "--mckernel: mem='1000000' is not valid: " MEM_EXPECTED);
	bad("mem=5M", "--mckernel: mem='5M' is not valid: " MEM_EXPECTED);
	bad("mem=8Q", "--mckernel: mem='8Q' is not valid: " MEM_EXPECTED);
	bad("linux_cores=0", "--mckernel: linux_cores='0' is not valid: expected a core count from 1 to 1024");
	bad("linux_cores=two", "--mckernel: linux_cores='two' is not valid: expected a core count from 1 to 1024");
	bad("linux_cores=1025", "--mckernel: linux_cores='1025' is not valid: expected a core count from 1 to 1024");
	bad("linux_cores=+2", "--mckernel: linux_cores='+2' is not valid: expected a core count from 1 to 1024");
	bad("smt=two", "--mckernel: smt='two' is not valid: expected all or one");
	bad("procs=-1", "--mckernel: procs='-1' is not valid: expected a process count from 1 to 1024");
	bad("procs=99999999999", "--mckernel: procs='99999999999' is not valid: expected a process count from 1 to 1024");
	bad("mpol_threshold=1M --foo", "--mckernel: mpol_threshold='1M --foo' is not valid: "
	    "expected a size such as 1M, or 0 for mcexec's default");
	bad("extend_heap_by=;rm", "--mckernel: extend_heap_by=';rm' is not valid: "
	    "expected a size such as 8M, or 0 for mcexec's default");
	bad("stack_premap=1G:2M", "--mckernel: stack_premap='1G:2M' is not valid: "
	    "expected a size or SIZE:MAX such as 2M:1G, or 0 for mcexec's default");
	bad("stack_premap=:2M", "--mckernel: stack_premap=':2M' is not valid: "
	    "expected a size or SIZE:MAX such as 2M:1G, or 0 for mcexec's default");
	bad("uti=1", "--mckernel: uti='1' is not valid: expected yes or no");
	bad("uti=yes\t", "--mckernel: uti='yes?' is not valid: expected yes or no");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	bad(big, "--mckernel: the value is 1033 characters long; at most 1024 are allowed");

	/* The operator's rules. */
	ok(load("user_keys = mem, linux_cores\n"
		"max_mem_fraction = 0.7\nmax_mem_size = 16G\nmin_linux_cores = 1\n"
		"max_linux_cores = 4\nmax_procs_per_node = 8\n"
		"[partition cpus]\nlinux_cpus = 0,1\nuser_keys = all\n", "batch", &cfg) == 0,
	   "load limits");
	refused("smt=one", &cfg,
		"--mckernel: key 'smt' may not be set by users on partition batch (allowed: mem, linux_cores)");
	refused("mem=0.5,procs=2", &cfg,
		"--mckernel: key 'procs' may not be set by users on partition batch (allowed: mem, linux_cores)");
	refused("mem=0.75", &cfg,
		"--mckernel: mem=0.75 is above the limit of partition batch: max_mem_fraction = 0.7");
	refused("mem=32G", &cfg,
		"--mckernel: mem=32G is above the limit of partition batch: max_mem_size = 16G");
	refused("linux_cores=5", &cfg,
		"--mckernel: linux_cores=5 is above the limit of partition batch: max_linux_cores = 4");
	allowed("mem=0.7,linux_cores=4", &cfg);
	allowed("mem=16G", &cfg);
	allowed("", &cfg);
	mck_config_free(&cfg);

	ok(load("user_keys = none\n", NULL, &cfg) == 0, "load user_keys = none");
	refused("mem=0.5", &cfg,
		"--mckernel: key 'mem' may not be set by users on this cluster (no partition section) (allowed: none)");
	allowed("", &cfg);
	mck_config_free(&cfg);

	ok(load("min_linux_cores = 2\nlinux_cores = 2\nmax_procs_per_node = 8\n"
		"[partition cpus]\nlinux_cpus = 0,1\n", "cpus", &cfg) == 0, "load a CPU-list partition");
	refused("linux_cores=2", &cfg,
		"--mckernel: linux_cores=2 cannot apply on partition cpus: it keeps the CPUs linux_cpus = 0,1 for Linux");
	refused("procs=9", &cfg,
		"--mckernel: procs=9 is above the limit of partition cpus: max_procs_per_node = 8");
	allowed("procs=8,smt=one,uti=no", &cfg);
	mck_config_free(&cfg);

	/* issue 10 item 8: uti=yes only where the partition's mcexec is built with UTI */
	ok(load("mcexec = /opt/mck/bin/mcexec\n[partition uti]\nmcexec_uti = yes\n", "batch",
		&cfg) == 0, "load a partition without UTI");
	refused("uti=yes", &cfg,
		"--mckernel: uti=yes is not available on partition batch: its mcexec "
		"(/opt/mck/bin/mcexec) is not built with UTI support (mckernel.conf: mcexec_uti = no) "
		"and would refuse --enable-uti in every rank; leave uti out, or ask the operator for "
		"an mcexec built with UTI and mcexec_uti = yes");
	allowed("uti=no", &cfg);
	mck_config_free(&cfg);
	ok(load("mcexec = /opt/mck/bin/mcexec\n[partition uti]\nmcexec_uti = yes\n", "uti",
		&cfg) == 0, "load the partition with UTI");
	allowed("uti=yes,procs=8", &cfg);
	mck_config_free(&cfg);
	ok(load("user_keys = mem\n", NULL, &cfg) == 0, "load: uti not a user key");
	refused("uti=yes", &cfg, "--mckernel: key 'uti' may not be set by users on this cluster "
		"(no partition section) (allowed: mem)");
	/* quiet changes only what the user sees: allowed whatever user_keys says */
	allowed("quiet", &cfg);
	allowed("mem=0.5,quiet=no", &cfg);
	mck_config_free(&cfg);
	good("quiet", "quiet=yes");
	good("mem=0.5,quiet", "mem=0.5,quiet=yes");
	good("quiet=no", "quiet=no");
	bad("quiet=maybe", "--mckernel: quiet='maybe' is not valid: expected yes or no (quiet alone: yes)");
	bad("quiet,quiet", "--mckernel: key 'quiet' is given twice ('quiet=yes' again): give each key once");
	ok(load("min_linux_cores = 2\nlinux_cores = 2\n", "cpus", &cfg) == 0, "load min_linux_cores");
	refused("linux_cores=1", &cfg,
		"--mckernel: linux_cores=1 is below the limit of partition cpus: min_linux_cores = 2");
	mck_config_free(&cfg);

	/* mcexec words: defaults, user values, no user text. */
	ok(load("mcexec_uti = yes\n", NULL, &cfg) == 0, "built-in defaults, an mcexec with UTI");
	is_str(words(NULL, &cfg), "", "no mcexec options by default");
	is_str(words("mem=0.5,procs=2", &cfg), "", "non-mcexec keys give no words");
	is_str(words("mpol_threshold=1M,extend_heap_by=8M,stack_premap=2M:1G,uti=yes", &cfg),
	       "--mpol-threshold=1048576 --extend-heap-by=8388608 --stack-premap=2097152,1073741824 --enable-uti",
	       "user mcexec options as canonical words");
	mck_config_free(&cfg);
	ok(load("mpol_threshold = 4M\nextend_heap_by = 16M\nstack_premap = 4M\nuti = yes\nmcexec_uti = yes\n"
		"disable_sched_yield = yes\nmpol_no_heap = yes\nmpol_no_stack = yes\n"
		"mpol_no_bss = yes\nmpol_shm_premap = yes\n", NULL, &cfg) == 0, "mcexec defaults");
	is_str(words(NULL, &cfg),
	       "--mpol-threshold=4194304 --extend-heap-by=16777216 --stack-premap=4194304 --enable-uti "
	       "--disable-sched-yield --mpol-no-heap --mpol-no-stack --mpol-no-bss --mpol-shm-premap",
	       "every mcexec default of the partition");
	is_str(words("mpol_threshold=0,uti=no,stack_premap=0", &cfg),
	       "--extend-heap-by=16777216 --disable-sched-yield --mpol-no-heap --mpol-no-stack "
	       "--mpol-no-bss --mpol-shm-premap",
	       "a user's 0 / no turns a partition default off");
	mck_config_free(&cfg);

	/* Help names every key. */
	for (int k = 0; k < MCK_OPT_NKEYS; k++) {
		char needle[64];

		snprintf(needle, sizeof(needle), "%s=", mck_option_key_name(k));
		ok(strstr(mck_options_help(), needle) != NULL, "help lists %s", needle);
	}
	ok(mck_option_key_name(MCK_OPT_NKEYS) == NULL, "no name past the last key");
	ok(mck_option_key_find("me", 2) == -1 && mck_option_key_find("mem", 3) == MCK_OPT_MEM,
	   "key lookup needs the whole name");
	return done_testing();
}
