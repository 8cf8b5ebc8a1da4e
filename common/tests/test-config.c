/* Unit tests of the operator configuration parser. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mck-config.h"
#include "mck-options.h"
#include "mck-test.h"

static char tmpl[] = "/tmp/mck-test-config-XXXXXX";

static const char *write_conf(const char *text)
{
	FILE *f = fopen(tmpl, "w");

	fputs(text, f);
	fclose(f);
	return tmpl;
}

static void bad(const char *text, const char *want_in_msg)
{
	struct mck_config cfg;
	struct mck_error err = { 0 };
	int rc = mck_config_load(write_conf(text), "batch", &cfg, &err);

	ok(rc == -EINVAL, "reject: %s", want_in_msg);
	ok(strstr(err.msg, want_in_msg) != NULL, "message '%s' contains '%s'", err.msg, want_in_msg);
}


/* Load text from memory as test.conf for partition; print the result. */
static char *load_print(const char *text, const char *partition, struct mck_error *err)
{
	struct mck_config cfg;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	if (mck_config_load_buffer(text, strlen(text), "test.conf", partition, &cfg, err))
		return NULL;
	f = open_memstream(&out, &len);
	mck_config_print(&cfg, f);
	fclose(f);
	mck_config_free(&cfg);
	return out;
}

/* "KEY = VALUE" must load and print as the line want. */
static void key_prints(const char *text, const char *want)
{
	struct mck_error err = { 0 };
	char *out = load_print(text, NULL, &err);
	char line[512];

	snprintf(line, sizeof(line), "\n%s\n", want);
	ok(out && strstr(out, line), "'%s' prints '%s'%s%s", text, want,
	   out ? "" : ": ", out ? "" : err.msg);
	free(out);
}

/* text (for partition batch) must fail with exactly want. */
static void bad_exact(const char *text, size_t len, const char *want)
{
	struct mck_config cfg;
	struct mck_error err = { 0 };
	int rc = mck_config_load_buffer(text, len, "test.conf", "batch", &cfg, &err);

	ok(rc < 0, "refuse: %s", want);
	is_str(err.msg, want, "exact message");
}

#define BAD(text, want) bad_exact(text, strlen(text), want)

/* Print, load the printed text again, print again: the same text. */
static void round_trip(const char *text, const char *partition)
{
	struct mck_error err = { 0 };
	char *first = load_print(text, partition, &err), *second;

	ok(first != NULL, "round trip: first load (%s)", err.msg);
	if (!first)
		return;
	second = load_print(first, partition, &err);
	ok(second != NULL, "round trip: printed settings load again (%s)", second ? "" : err.msg);
	/* The header line names the file: compare from the first key on. */
	ok(second && !strcmp(strchr(first, '\n'), strchr(second, '\n')),
	   "round trip: the same settings");
	free(first);
	free(second);
}

static void new_keys(void)
{
	struct mck_config cfg;
	struct mck_error err = { 0 };
	const char *t =
		"mem_size = 2G\nlinux_cpus = 0\nenv = A=1\n"
		"[partition batch]\nmem_fraction = 0.4\nlinux_cores_per_package = 2\n"
		"env = B=2\nenv = PMIX_MCA_gds=ds21\ninstance_policy = per-step\n"
		"[partition debug]\nenv =\nenv = C=3\n";
	char *out;

	/* Built-in defaults of the new keys. */
	ok(mck_config_load_buffer("", 0, "", NULL, &cfg, &err) == 0, "defaults from an empty buffer");
	ok(cfg.keep == MCK_KEEP_PER_NUMA && cfg.linux_cores == 1, "default: one Linux core per NUMA node");
	ok(cfg.mem_mode == MCK_MEM_FRACTION && cfg.mem_fraction == 0.5, "default: half the memory");
	ok(!cfg.smt_one && cfg.ikc == MCK_IKC_SPREAD, "default: smt all, ikc spread");
	ok(cfg.memory_only_nodes == MCK_MEMONLY_KINDS && cfg.memory_only_kinds == MCK_MEMKIND_HBM,
	   "default: memory-only nodes of high-bandwidth memory only");
	ok(cfg.lwk_cpu_kind == MCK_CPU_KIND_AUTO && cfg.assistant_cores == MCK_ASSISTANT_LINUX,
	   "default: lwk_cpu_kind auto, assistant cores stay with Linux");
	is_int(cfg.n_env, 1, "default: one env entry");
	is_str(cfg.env[0], "PMIX_MCA_gds=hash", "default env is PMIX_MCA_gds=hash (issue 7)");
	is_str(mck_config_getenv(&cfg, "PMIX_MCA_gds"), "hash", "getenv finds it");
	ok(mck_config_getenv(&cfg, "PMIX_MCA") == NULL, "getenv needs the whole name");
	ok(cfg.user_keys == MCK_OPT_ALL, "default: users may set every option key");
	ok(cfg.max_mem_fraction == 0.9 && cfg.min_linux_cores == 1 && !cfg.max_linux_cores &&
	   !cfg.max_procs_per_node && !cfg.max_mem_size, "default limits");
	ok(cfg.instance_policy == MCK_INSTANCE_PER_STEP && cfg.require_exclusive == 1,
	   "default: a fresh instance per step (reuse crashes MPI on real McKernel), "
	   "exclusive nodes required");
	ok(!cfg.ihk_destroy_unbooted_safe && !strcmp(cfg.sysfs_dir, "/sys"),
	   "default: ihk_destroy_unbooted = crash, sysfs_dir = /sys");
	ok(!cfg.mcexec_uti && !cfg.uti, "default: mcexec without UTI, no --enable-uti");
	is_int(cfg.n_sections, 0, "no partition sections");
	mck_config_free(&cfg);

	/* Every key, as it prints. */
	key_prints("libihk = /opt/ihk/lib/libihk.so", "libihk = /opt/ihk/lib/libihk.so");
	key_prints("mcexec = /opt/mck/bin/mcexec", "mcexec = /opt/mck/bin/mcexec");
	key_prints("mckctl = /opt/sbin/mckctl", "mckctl = /opt/sbin/mckctl");
	key_prints("image = /opt/mck/mckernel.img", "image = /opt/mck/mckernel.img");
	key_prints("kargs = hidos dump_level=24", "kargs = hidos dump_level=24");
	key_prints("state_dir = /var/tmp/st", "state_dir = /var/tmp/st");
	key_prints("device_dir = /var/tmp/dev", "device_dir = /var/tmp/dev");
	key_prints("topology = /etc/node.xml", "topology = /etc/node.xml");
	key_prints("mem_fraction = 0.3", "mem_fraction = 0.3");
	key_prints("boot_timeout = 120", "boot_timeout = 120");
	key_prints("shutdown_timeout = 9", "shutdown_timeout = 9");
	key_prints("sysfs_dir = /var/tmp/sys", "sysfs_dir = /var/tmp/sys");
	key_prints("ihk_destroy_unbooted = safe", "ihk_destroy_unbooted = safe");
	key_prints("linux_cores = 2", "linux_cores = 2");
	key_prints("linux_cores_per_package = 3", "linux_cores_per_package = 3");
	key_prints("linux_cpus = 0,24-25", "linux_cpus = 0,24-25");
	key_prints("smt = one", "smt = one");
	key_prints("mem_size = 8192M", "mem_size = 8G");
	key_prints("mem_keep = 2G", "mem_keep = 2G");
	key_prints("memory_only_nodes = include", "memory_only_nodes = include");
	key_prints("memory_only_nodes = exclude", "memory_only_nodes = exclude");
	key_prints("memory_only_nodes = dax,hbm,cxl", "memory_only_nodes = hbm,cxl,dax");
	key_prints("ikc = per-numa", "ikc = per-numa");
	key_prints("lwk_cpu_kind = auto", "lwk_cpu_kind = auto");
	key_prints("assistant_cores = mckernel", "assistant_cores = mckernel");
	key_prints("assistant_cores = linux", "assistant_cores = linux");
	key_prints("ikc = spread", "ikc = spread");
	key_prints("lwk_cpu_kind = performance", "lwk_cpu_kind = performance");
	key_prints("lwk_cpu_kind = all", "lwk_cpu_kind = all");
	key_prints("mpol_threshold = 1M", "mpol_threshold = 1M");
	key_prints("extend_heap_by = 8M", "extend_heap_by = 8M");
	key_prints("stack_premap = 2M,1G", "stack_premap = 2M:1G");
	key_prints("stack_premap = 2M", "stack_premap = 2M");
	key_prints("mcexec_uti = yes\nuti = yes", "uti = yes");
	key_prints("mcexec_uti = yes", "mcexec_uti = yes");
	key_prints("mcexec_uti = no", "mcexec_uti = no");
	key_prints("disable_sched_yield = yes", "disable_sched_yield = yes");
	key_prints("mpol_no_heap = yes", "mpol_no_heap = yes");
	key_prints("mpol_no_stack = yes", "mpol_no_stack = yes");
	key_prints("mpol_no_bss = yes", "mpol_no_bss = yes");
	key_prints("mpol_shm_premap = yes", "mpol_shm_premap = yes");
	key_prints("env = OMP_WAIT_POLICY = passive", "env = OMP_WAIT_POLICY=passive");
	key_prints("instance_policy = per-step", "instance_policy = per-step");
	key_prints("require_exclusive = no", "require_exclusive = no");
	key_prints("user_keys = smt mem", "user_keys = mem, smt");
	key_prints("user_keys = none", "user_keys = none");
	key_prints("user_keys =", "user_keys = none");
	key_prints("user_keys = all", "user_keys = mem, linux_cores, smt, procs, mpol_threshold, "
		   "extend_heap_by, stack_premap, uti, quiet");
	key_prints("max_mem_fraction = 0.95", "max_mem_fraction = 0.95");
	key_prints("max_mem_size = 64G", "max_mem_size = 64G");
	key_prints("min_linux_cores = 1", "min_linux_cores = 1");
	key_prints("max_linux_cores = 8", "max_linux_cores = 8");
	key_prints("max_procs_per_node = 48", "max_procs_per_node = 48");

	/* Sections: partition over global, alternatives replace each other. */
	ok(mck_config_load_buffer(t, strlen(t), "t.conf", "batch", &cfg, &err) == 0,
	   "sections load (%s)", err.msg);
	ok(cfg.mem_mode == MCK_MEM_FRACTION && cfg.mem_fraction == 0.4,
	   "the partition's mem_fraction replaces the global mem_size");
	ok(cfg.keep == MCK_KEEP_PER_PACKAGE && cfg.linux_cores == 2 && !*cfg.linux_cpus,
	   "the partition's linux_cores_per_package replaces the global linux_cpus");
	ok(cfg.instance_policy == MCK_INSTANCE_PER_STEP, "partition instance_policy");
	is_int(cfg.n_sections, 2, "the file's partition sections are counted");
	is_int(cfg.n_env, 3, "partition env extends the global list");
	is_str(cfg.env[0], "PMIX_MCA_gds=ds21", "same NAME replaces in place");
	is_str(cfg.env[1], "A=1", "global entry kept");
	is_str(cfg.env[2], "B=2", "partition entry appended");
	mck_config_free(&cfg);
	ok(mck_config_load_buffer(t, strlen(t), "t.conf", "debug", &cfg, &err) == 0, "load debug");
	is_int(cfg.n_env, 1, "'env =' empties the inherited list");
	is_str(cfg.env[0], "C=3", "then extends it");
	ok(cfg.mem_mode == MCK_MEM_SIZE && cfg.mem_size == 2ULL << 30, "global mem_size");
	ok(cfg.keep == MCK_KEEP_CPULIST && !strcmp(cfg.linux_cpus, "0"), "global linux_cpus");
	mck_config_free(&cfg);
	ok(mck_config_load_buffer(t, 39, "t.conf", "batch", &cfg, &err) == 0 &&
	   cfg.n_env == 2 && cfg.keep == MCK_KEEP_CPULIST, "only len bytes are read");
	mck_config_free(&cfg);
	round_trip(t, "batch");
	round_trip(t, "debug");
	round_trip(t, NULL);
	round_trip("", NULL);
	round_trip("env =\n", NULL);
	round_trip("mem_fraction = 0.123456\nstack_premap = 4M:8M\nuser_keys = procs\n", NULL);

	/* The printed settings show the alternatives in force only. */
	out = load_print("mem_keep = 1G\nlinux_cpus = 0-1\n", NULL, &err);
	ok(out && strstr(out, "\nmem_keep = 1G\n") && !strstr(out, "\nmem_fraction") &&
	   !strstr(out, "\nlinux_cores =") && strstr(out, "\nlinux_cpus = 0-1\n"),
	   "print shows the alternatives in force");
	free(out);

	/* Every mistake: FILE:LINE, key, value, what is expected. */
	BAD("linux_cores = 0", "test.conf:1: linux_cores = '0': expected a core count from 1 to 1024");
	BAD("linux_cores_per_package = x", "test.conf:1: linux_cores_per_package = 'x': expected cores kept for Linux per package, 1 to 1024");
	BAD("linux_cpus = 3-1", "test.conf:1: linux_cpus = '3-1': expected the CPUs kept for Linux as a CPU list such as 0,24-25");
	BAD("smt = two", "test.conf:1: smt = 'two': expected all or one");
	BAD("mem_size = 5M", "test.conf:1: mem_size = '5M': expected a size per NUMA node, a multiple of 4M such as 8G");
	BAD("mem_keep = 0", "test.conf:1: mem_keep = '0': expected the size per NUMA node left to Linux, a multiple of 4M such as 2G");
	BAD("memory_only_nodes = yes", "test.conf:1: memory_only_nodes = 'yes': 'yes' is not a kind of memory-only node; give include, exclude or kinds from hbm, cxl, nvdimm, dax, unknown");
	BAD("memory_only_nodes = hbm,gpu", "test.conf:1: memory_only_nodes = 'hbm,gpu': gpu: a GPU's memory is never given to McKernel (it belongs to the GPU)");
	BAD("assistant_cores = some", "test.conf:1: assistant_cores = 'some': expected linux or mckernel");
	BAD("ikc = round-robin", "test.conf:1: ikc = 'round-robin': expected per-numa or spread");
	BAD("lwk_cpu_kind = efficiency", "test.conf:1: lwk_cpu_kind = 'efficiency': expected auto, all or performance");
	BAD("mpol_threshold = big", "test.conf:1: mpol_threshold = 'big': expected a size such as 1M, or 0 for mcexec's default");
	BAD("extend_heap_by = -1", "test.conf:1: extend_heap_by = '-1': expected a size such as 8M, or 0 for mcexec's default");
	BAD("stack_premap = 1G,2M", "test.conf:1: stack_premap = '1G,2M': expected a size or SIZE:MAX such as 2M:1G, or 0 for mcexec's default");
	BAD("uti = true", "test.conf:1: uti = 'true': expected yes or no");
	BAD("disable_sched_yield = 1", "test.conf:1: disable_sched_yield = '1': expected yes or no");
	BAD("mpol_no_heap = y", "test.conf:1: mpol_no_heap = 'y': expected yes or no");
	BAD("mpol_no_stack = Y", "test.conf:1: mpol_no_stack = 'Y': expected yes or no");
	BAD("mpol_no_bss = ja", "test.conf:1: mpol_no_bss = 'ja': expected yes or no");
	BAD("mpol_shm_premap = on", "test.conf:1: mpol_shm_premap = 'on': expected yes or no");
	BAD("env = 1X=2", "test.conf:1: env = '1X=2': expected NAME=VALUE with NAME of letters, digits and _, or nothing to empty the list");
	BAD("env = NOVALUE", "test.conf:1: env = 'NOVALUE': expected NAME=VALUE with NAME of letters, digits and _, or nothing to empty the list");
	BAD("env = A B=1", "test.conf:1: env = 'A B=1': expected NAME=VALUE with NAME of letters, digits and _, or nothing to empty the list");
	BAD("instance_policy = per-node", "test.conf:1: instance_policy = 'per-node': expected per-job or per-step");
	BAD("require_exclusive = maybe", "test.conf:1: require_exclusive = 'maybe': expected yes or no");
	BAD("user_keys = mem, image", "test.conf:1: user_keys = 'mem, image': unknown option key 'image': expected a list of mem, linux_cores, smt, procs, mpol_threshold, extend_heap_by, stack_premap, uti, quiet, or all, or none");
	BAD("user_keys = mem mem", "test.conf:1: user_keys = 'mem mem': key 'mem' is listed twice");
	/* issue 16: real IHK stops reserving at 95% of a NUMA node */
	BAD("max_mem_fraction = 0.99", "test.conf:1: max_mem_fraction = 0.99 is above 0.95: IHK reserves at most 95% of a NUMA node's memory");
	BAD("max_mem_fraction = 0.96", "test.conf:1: max_mem_fraction = 0.96 is above 0.95: IHK reserves at most 95% of a NUMA node's memory");
	BAD("[partition batch]\nmem_fraction = 0.951", "test.conf:2: mem_fraction = 0.951 is above 0.95: IHK reserves at most 95% of a NUMA node's memory");
	BAD("max_mem_fraction = 1.5", "test.conf:1: max_mem_fraction = '1.5': expected a number in (0, 0.95] with at most 6 decimals");
	BAD("mem_fraction = 0.1234567", "test.conf:1: mem_fraction = '0.1234567': expected a number in (0, 0.95] with at most 6 decimals");
	BAD("mcexec_uti = maybe", "test.conf:1: mcexec_uti = 'maybe': expected yes (mcexec is built with UTI) or no");
	BAD("max_mem_size = lots", "test.conf:1: max_mem_size = 'lots': expected a size such as 16G, or 0 for no limit");
	BAD("min_linux_cores = 0", "test.conf:1: min_linux_cores = '0': expected a core count from 1 to 1024");
	BAD("max_linux_cores = 2000", "test.conf:1: max_linux_cores = '2000': expected a core count from 1 to 1024, or 0 for no limit");
	BAD("max_procs_per_node = -3", "test.conf:1: max_procs_per_node = '-3': expected a process count from 1 to 1024, or 0 for no limit");

	/* Rules within a section and between keys. */
	BAD("smt = one\nsmt = all\n", "test.conf:2: smt is given a second time in this section (first at line 1): keep one");
	BAD("mem_fraction = 0.3\n\nmem_size = 4G\n", "test.conf:3: mem_size and mem_fraction (line 1) in the same section: give only one of mem_fraction, mem_size, mem_keep");
	BAD("linux_cores = 1\nlinux_cpus = 0\n", "test.conf:2: linux_cpus and linux_cores (line 1) in the same section: give only one of linux_cores, linux_cores_per_package, linux_cpus");
	BAD("kargs = ksyslogd=0\n", "test.conf:1: kargs = 'ksyslogd=0': McKernel's kernel arguments must contain the word 'hidos'");
	BAD("[partition other]\nkargs = quiet\n", "test.conf:2: kargs = 'quiet': McKernel's kernel arguments must contain the word 'hidos' (partition other)");
	BAD("min_linux_cores = 3\nmax_linux_cores = 2\nlinux_cores = 3\n", "test.conf:1: min_linux_cores = 3 is above max_linux_cores = 2 (test.conf:2)");
	BAD("min_linux_cores = 2\n", "test.conf: linux_cores = 1 is below min_linux_cores = 2 (test.conf:1): the default must be one users may ask for");
	BAD("max_linux_cores = 2\n[partition batch]\nlinux_cores = 4\n", "test.conf:3: linux_cores = 4 is above max_linux_cores = 2 (test.conf:1): the default must be one users may ask for (partition batch)");
	BAD("max_mem_fraction = 0.4\n", "test.conf: mem_fraction = 0.5 is above max_mem_fraction = 0.4 (test.conf:1): the default must be one users may ask for");
	BAD("max_mem_size = 4G\nmem_size = 8G\n", "test.conf:2: mem_size = 8G is above max_mem_size = 4G (test.conf:1): the default must be one users may ask for");
	BAD("[partition a]\nmem_fraction = 0.3\n[partition b]\nsmt = maybe\n", "test.conf:4: smt = 'maybe': expected all or one");
	/* issue 10 item 8: a uti default needs an mcexec built with UTI */
	BAD("uti = yes\n", "test.conf:1: uti = yes but mcexec_uti = no (test.conf): mcexec /usr/bin/mcexec "
	    "would refuse --enable-uti and fail every rank; set uti = no, or mcexec_uti = yes if that "
	    "mcexec is built with UTI (mckctl prereq checks the binary)");
	BAD("mcexec_uti = yes\nuti = yes\n[partition other]\nmcexec = /opt/plain/mcexec\nmcexec_uti = no\n",
	    "test.conf:2: uti = yes but mcexec_uti = no (test.conf:5) (partition other): mcexec "
	    "/opt/plain/mcexec would refuse --enable-uti and fail every rank; set uti = no, or "
	    "mcexec_uti = yes if that mcexec is built with UTI (mckctl prereq checks the binary)");
	BAD("[partition]\n", "test.conf:1: unknown section '[partition]': expected '[partition NAME]'");
	BAD("[partition a b]\n", "test.conf:1: expected one partition name in '[partition NAME]'");
	BAD("[partition a\n", "test.conf:1: expected a section header '[partition NAME]'");
	BAD("[partition a]\n[partition a]\n", "test.conf:2: partition 'a' has a second section (first at line 1); merge them");
	BAD("smt = one\x01\n", "test.conf:1: control character 0x01 at column 10: expected text");
	bad_exact("smt = one\n\0", 11, "test.conf:2: control character 0x00 at column 1: expected text");
	{
		char *many = malloc(70 * 16 + 1), *p = many;

		for (int i = 0; i < 70; i++)
			p += sprintf(p, "env = V%d=x\n", i);
		bad_exact(many, strlen(many), "test.conf:64: env: more than 64 entries");
		free(many);
	}
	{
		char *longline = malloc(5000);

		memset(longline, 'a', 4999);
		longline[4999] = '\0';
		bad_exact(longline, 4999, "test.conf:1: line longer than 4094 characters");
		free(longline);
	}
}

/* The EXAMPLE of doc/mckernel.conf.5 must load, for every partition it names. */
static void man_example(void)
{
	const char *top = getenv("top_srcdir");
	char path[4096], *page = NULL, *start, *end, *text, *o;
	struct mck_config cfg;
	struct mck_error err = { 0 };
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/doc/mckernel.conf.5", top ? top : ".");
	f = fopen(path, "r");
	ok(f != NULL, "man page %s readable", path);
	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	page = calloc(1, n + 1);
	if (fread(page, 1, n, f) != (size_t)n)
		n = 0;
	fclose(f);
	start = strstr(page, ".SH EXAMPLE\n.nf\n");
	end = start ? strstr(start, "\n.fi\n") : NULL;
	ok(start && end, "man page has an EXAMPLE block");
	if (!start || !end) {
		free(page);
		return;
	}
	start += strlen(".SH EXAMPLE\n.nf\n");
	text = o = calloc(1, end - start + 2);
	for (const char *p = start; p < end; p++) {	/* troff "\-" is "-" */
		if (p[0] == '\\' && p[1] == '-')
			p++;
		*o++ = *p;
	}
	*o = '\n';
	ok(mck_config_load_buffer(text, strlen(text), "example", "mck", &cfg, &err) == 0,
	   "the man page example loads for partition mck (%s)", err.msg);
	ok(cfg.instance_policy == MCK_INSTANCE_PER_STEP && cfg.mem_mode == MCK_MEM_SIZE &&
	   cfg.n_env == 2, "example: partition mck is per-step with mem_size and two env entries");
	mck_config_free(&cfg);
	ok(mck_config_load_buffer(text, strlen(text), "example", "mck-debug", &cfg, &err) == 0,
	   "the man page example loads for partition mck-debug (%s)", err.msg);
	ok(cfg.n_env == 2 && !strcmp(cfg.env[1], "MCKERNEL_RLIMIT_STACK=16M") &&
	   cfg.keep == MCK_KEEP_CPULIST, "example: mck-debug's env list and CPU list");
	mck_config_free(&cfg);
	free(text);
	free(page);
}

/* container_mounts: the list, its entries, and what is refused. */
static void container_mounts(void)
{
	size_t pos = 0;
	char *path = NULL;
	int ro = -1, n = 0;
	const char *list = " /var/lib/x:ro, /opt/y:rw ,/z";
	static const char *want[] = { "/var/lib/x", "/opt/y", "/z" };
	static const int want_ro[] = { 1, 0, 0 };

	while (mck_config_next_mount(list, &pos, &path, &ro) > 0) {
		if (n < 3) {
			is_str(path, want[n], "container_mounts entry %d", n);
			is_int(ro, want_ro[n], "container_mounts entry %d read-only flag", n);
		}
		free(path);
		n++;
	}
	is_int(n, 3, "container_mounts: three entries");
	key_prints("container_mounts = /a:ro,/b", "container_mounts = /a:ro,/b");
	key_prints("# nothing", "container_mounts = ");
	BAD("container_mounts = relative", "test.conf:1: container_mounts = 'relative': expected "
	    "absolute paths, each with :ro or :rw (default), separated by commas, or nothing");
	bad("container_mounts = /a:rx\n", "container_mounts = '/a:rx'");
	bad("container_mounts = /a b\n", "container_mounts = '/a b'");
}

int main(void)
{
	struct mck_config cfg;
	struct mck_error err = { 0 };
	int fd = mkstemp(tmpl);

	close(fd);

	ok(mck_config_load(write_conf(""), NULL, &cfg, &err) == -EINVAL,
	   "an empty file is refused (it may be half-written)");
	ok(strstr(err.msg, "is empty") != NULL, "the message says the file is empty: %s", err.msg);
	ok(mck_config_load(write_conf("# only a comment\n"), NULL, &cfg, &err) == 0,
	   "a file with only comments gives defaults");
	ok(cfg.mem_fraction > 0 && cfg.boot_timeout > 0, "defaults are set");
	ok(strstr(cfg.kargs, "hidos") != NULL, "default kargs contain hidos");
	mck_config_free(&cfg);

	ok(mck_config_load(write_conf(
		"# global\n"
		"mcexec = /opt/mck/bin/mcexec\n"
		"mem_fraction = 0.25   # a quarter\n"
		"[partition batch]\n"
		"mem_fraction = 0.5\n"
		"kargs = hidos allow_oversubscribe\n"
		"[partition debug]\n"
		"mem_fraction = 0.75\n"), "batch", &cfg, &err) == 0,
	   "load with partitions: %s", err.msg);
	is_str(cfg.mcexec, "/opt/mck/bin/mcexec", "global value");
	ok(cfg.mem_fraction == 0.5, "partition batch overrides mem_fraction");
	is_str(cfg.kargs, "hidos allow_oversubscribe", "partition kargs");
	mck_config_free(&cfg);

	ok(mck_config_load(tmpl, "other", &cfg, &err) == 0, "load for another partition");
	ok(cfg.mem_fraction == 0.25, "global value when the partition has no section");
	mck_config_free(&cfg);

	bad("nonsense = 1\n", ":1: unknown key 'nonsense'");
	/* the IHK double's settings are in its own ihk-double.conf (ihk/double/README.md) */
	bad("ihk_double_state = /var/tmp/ihk\n", ":1: unknown key 'ihk_double_state'");
	bad("ihk_double_topology = /etc/fake.xml\n", ":1: unknown key 'ihk_double_topology'");
	bad("\nmem_fraction = 1.5\n", ":2: mem_fraction = '1.5': expected a number in (0, 0.95]");
	bad("boot_timeout = soon\n", "boot_timeout = 'soon'");
	bad("mcexec = relative/path\n", "expected an absolute path");
	bad("kargs = ksyslogd=0\n", "must contain the word 'hidos'");
	bad("[cluster x]\n", "unknown section");
	bad("[partition a]\n[partition a]\n", "second section");
	bad("just words\n", "expected 'key = value'");
	bad("[partition debug]\nmem_fraction = 2\n", ":2: mem_fraction = '2'");

	ok(mck_config_load("/nonexistent/mckernel.conf", NULL, &cfg, &err) == -ENOENT,
	   "an explicit missing file is an error");
	ok(strstr(err.msg, "/nonexistent/mckernel.conf") != NULL, "error names the file");

	unlink(tmpl);
	new_keys();
	container_mounts();
	man_example();
	return done_testing();
}
