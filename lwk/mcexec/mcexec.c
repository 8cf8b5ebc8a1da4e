/*
 * mcexec.c: the mcexec double. From the outside it behaves like McKernel's
 * mcexec (command line, messages, exit codes; see ihk-double(7) and the
 * IHK reference):
 *
 *   mcexec [options] [--] [OSINDEX] PROGRAM ARGS...
 *
 * Options are parsed like the real one (getopt_long, stopping at the first
 * non-option or "--"); then an argument starting with a decimal digit is
 * the OS index. It opens DEVICE/mcosN (DEVICE = STATE/dev of the IHK
 * double) read-write, or holds it with O_PATH when it is a character
 * device without a driver (ENXIO after the kernel's permission check),
 * refuses --enable-uti unless the node's McKernel has UTI, warns like the
 * real one when binutils' objdump is missing, needs the instance RUNNING,
 * takes its share of the LWK CPUs (-n N: the N processes with the same
 * parent split them by order of arrival), forks the program bound to that
 * share and stays as the rank's Linux-side process until it ends, or
 * until the instance goes away under it. The program's exit status passes
 * through; a signal that killed it is re-raised.
 *
 * Test knob of the double only: MCEXEC_DOUBLE_PARTITION_TIMEOUT_MS
 * replaces the partition wait (10 s + N x 0.1 s).
 */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ihk-double.h"
#include "ihklib-abi.h"
#include "mcexec.h"
#include "mck-lists.h"
#include "mck-util.h"

/* ---------------------------------------------------------- command line */

static int flag_uti, flag_ignored;

/* McKernel's mcexec options; those with a flag have no effect here. */
static const struct option long_options[] = {
	{ "disable-vdso", no_argument, &flag_ignored, 1 },
	{ "enable-vdso", no_argument, &flag_ignored, 1 },
	{ "profile", no_argument, &flag_ignored, 1 },
	{ "mpol-no-heap", no_argument, &flag_ignored, 1 },
	{ "mpol-no-stack", no_argument, &flag_ignored, 1 },
	{ "mpol-no-bss", no_argument, &flag_ignored, 1 },
	{ "mpol-shm-premap", no_argument, &flag_ignored, 1 },
	{ "no-bind-ikc-map", no_argument, &flag_ignored, 1 },
	{ "mpol-threshold", required_argument, NULL, 'M' },
	{ "enable-straight-map", no_argument, &flag_ignored, 1 },
	{ "straight-map-threshold", required_argument, NULL, 'S' },
	{ "disable-sched-yield", no_argument, &flag_ignored, 1 },
	{ "extend-heap-by", required_argument, NULL, 'h' },
	{ "stack-premap", required_argument, NULL, 's' },
	{ "uti-thread-rank", required_argument, NULL, 'u' },
	{ "uti-use-last-cpu", no_argument, &flag_ignored, 1 },
	{ "enable-uti", no_argument, &flag_uti, 1 },
	{ "debug-mcexec", no_argument, &flag_ignored, 1 },
	{ "flags", required_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 },
};

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-c target_core] [-n nr_partitions] [<-e ENV_NAME=value>...] "
		"[-t nr_threads] [-m numa_nodes] [--mpol-threshold=N] [--enable-straight-map] "
		"[--extend-heap-by=N] [-s (--stack-premap=)[premap_size][,max]] [--mpol-no-heap] "
		"[--mpol-no-bss] [--mpol-no-stack] [--mpol-shm-premap] [--disable-sched-yield] "
		"[--enable-uti] [--uti-thread-rank=N] [--uti-use-last-cpu] [<mcos-id>] "
		"(program) [args...]\n", prog);
	exit(EXIT_FAILURE);
}

/* A whole number as strtol(..., 0) reads it, or exit with mcexec's message. */
static long number_or_die(const char *arg, long min, const char *message)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 0);
	if (*end || end == arg || errno || v < min || v > INT_MAX || v < INT_MIN) {
		fprintf(stderr, "%s\n", message);
		exit(EXIT_FAILURE);
	}
	return v;
}

/* -e NAME=VALUE: without '=' mcexec says so (on stdout) and goes on. */
static void add_env(struct opts *o, char *arg)
{
	char **more;

	if (!strchr(arg, '=')) {
		printf("\"%s\" is not env value.\n", arg);
		return;
	}
	more = realloc(o->env, (o->nenv + 1) * sizeof(*more));
	if (!more) {
		fprintf(stderr, "mcexec: out of memory\n");
		exit(EXIT_FAILURE);
	}
	o->env = more;
	o->env[o->nenv++] = arg;
}

static void parse_option(struct opts *o, int opt, const char *prog)
{
	switch (opt) {
	case 'c':
		o->target_cpu = (int)number_or_die(optarg, INT_MIN, "error: -c: invalid target CPU");
		break;
	case 'n':
		o->nproc = (int)number_or_die(optarg, 1, "error: -n: invalid number of processes");
		break;
	case 't':
		o->threads = (int)number_or_die(optarg, 1, "error: -t: invalid number of threads");
		break;
	case 'm':
		o->numa_arg = optarg;
		break;
	case 'e':
		add_env(o, optarg);
		break;
	case 'M': case 'h': case 's': case 'S': case 'u': case 'f':
	case 0:
		break;	/* accepted like mcexec, no effect on Linux */
	default:
		usage(prog);
	}
}

/* getopt_long with a leading '+': options stop at the first non-option. */
static void parse_args(struct opts *o, int argc, char **argv)
{
	int opt;

	memset(o, 0, sizeof(*o));
	o->target_cpu = -1;
	while ((opt = getopt_long(argc, argv, "+c:n:t:M:h:e:s:m:u:S:f:", long_options, NULL)) != -1)
		parse_option(o, opt, argv[0]);
	o->enable_uti = flag_uti;
	if (optind >= argc)
		usage(argv[0]);
	/* Determine OS device: an argument starting with a digit (atoi) */
	if (isdigit((unsigned char)argv[optind][0]))
		o->os = atoi(argv[optind++]);
	if (optind >= argc)
		usage(argv[0]);
	o->prog_index = optind;
}

/* ---------------------------------------------------------- the instance */

static void die_open(int os)
{
	fprintf(stderr, "Error: Failed to open /dev/mcos%d.\n", os);
	exit(EXIT_FAILURE);
}

static void die_load(const char *prog, const char *why)
{
	fprintf(stderr, "%s: could not load program: %s\n", prog, why);
	exit(EXIT_FAILURE);
}

/*
 * Open DEVICE/mcosN read-write like mcexec (a character device that no
 * driver serves is held with O_PATH: holders are still found in /proc).
 */
static void open_device(const struct opts *o, struct lwk *l)
{
	char dev[PATH_MAX + 32];

	memset(l, 0, sizeof(*l));
	l->devfd = -1;
	if (ihk_double_state_dir(l->state, sizeof(l->state)) < 0 ||
	    o->os < 0 || o->os >= IHK_MAX_NUM_OS)
		die_open(o->os);
	snprintf(dev, sizeof(dev), "%s/dev/mcos%d", l->state, o->os);
	l->devfd = ihk_double_open_device(dev);
	if (l->devfd < 0)
		die_open(o->os);
}

/* Without binutils' objdump mcexec cannot find its RPATH (every launch). */
static void check_objdump(void)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (!path)
		path = "/bin:/usr/bin";
	for (const char *p = path, *end; ; p = end + 1) {
		int len;

		end = strchrnul(p, ':');
		len = (int)(end - p);
		/* an empty entry is the current directory, as for sh */
		if (snprintf(buf, sizeof(buf), "%.*s/objdump", len ? len : 1, len ? p : ".") <
		    (int)sizeof(buf) && access(buf, X_OK) == 0)
			return;
		if (!*end)
			break;
	}
	fprintf(stderr, "RPATH not found: %d\n", EINVAL);
	fprintf(stderr, "warning: did not set LD_PRELOAD\n");
}

/* The instance must be RUNNING; a dead kernel is named. */
static void check_running(const struct opts *o, const char *prog, struct lwk *l)
{
	struct ihk_double_peek p;

	if (ihk_double_os_peek(o->os, &p) < 0 || p.phase != IHK_DOUBLE_BOOTED)
		die_load(prog, strerror(-1));
	if (p.status == IHK_STATUS_PANIC || p.status == IHK_STATUS_HUNGUP) {
		fprintf(stderr, "mcexec: McKernel instance %d is %s: the job's kernel messages "
			"are saved by the epilogue (STATE_DIR/kmsg/JOBID.kmsg)\n", o->os,
			p.status == IHK_STATUS_PANIC ? "PANIC" : "HUNGUP");
		exit(EXIT_FAILURE);
	}
	if (p.status != IHK_STATUS_RUNNING)
		die_load(prog, strerror(-1));
	l->gen = p.gen;
}

/* The instance's LWK CPUs and the NUMA nodes of its memory. */
static void read_instance(const struct opts *o, const char *prog, struct lwk *l)
{
	struct ihk_mem_chunk *chunks;
	int n, rc;

	n = ihk_os_get_num_assigned_cpus(o->os);
	if (n <= 0)
		die_load(prog, strerror(n < 0 ? -n : EINVAL));
	l->cpus = calloc(n, sizeof(int));
	if (!l->cpus || (rc = ihk_os_query_cpu(o->os, l->cpus, n)) < 0)
		die_load(prog, strerror(l->cpus ? -rc : ENOMEM));
	l->ncpus = n;
	n = ihk_os_get_num_assigned_mem_chunks(o->os);
	if (n <= 0 || !(chunks = calloc(n, sizeof(*chunks))))
		return;
	if (ihk_os_query_mem(o->os, chunks, n) >= 0)
		for (int i = 0; i < n; i++)
			if (!in_list(l->numa, l->nnuma, chunks[i].numa_node_number) &&
			    l->nnuma < MCEXEC_MAX_NUMA)
				l->numa[l->nnuma++] = chunks[i].numa_node_number;
	free(chunks);
}

/* execvp's lookup, done before forking so that errors read like mcexec's. */
static char *find_program(const char *name)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];
	struct stat st;
	int eacces = 0;

	if (strchr(name, '/')) {
		if (stat(name, &st) < 0)
			die_load(name, strerror(errno));
		if (!S_ISREG(st.st_mode) || access(name, X_OK) < 0)
			die_load(name, strerror(EACCES));
		return strdup(name);
	}
	if (!path)
		path = "/bin:/usr/bin";
	for (const char *p = path, *end; ; p = end + 1) {
		end = strchrnul(p, ':');
		if (snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(end - p), p,
			     end == p ? "" : "/", name) < (int)sizeof(buf) &&
		    stat(buf, &st) == 0) {
			if (S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
				return strdup(buf);
			eacces = 1;
		}
		if (!*end)
			break;
	}
	die_load(name, strerror(eacces ? EACCES : ENOENT));
	return NULL;
}

/* mcexec's own start-up time, from the node's latency model */
static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* -m restricts the NUMA nodes to those given (and the instance has). */
static int numa_nodes(const struct opts *o, const struct lwk *l, int *numa)
{
	struct mck_error err;
	int *want = NULL, nwant = 0, n = 0;

	if (!o->numa_arg) {
		memcpy(numa, l->numa, l->nnuma * sizeof(int));
		return l->nnuma;
	}
	if (mck_cpulist_parse(o->numa_arg, &want, &nwant, &err) < 0) {
		fprintf(stderr, "error: -m: invalid NUMA node list '%s'\n", o->numa_arg);
		exit(EXIT_FAILURE);
	}
	for (int i = 0; i < l->nnuma; i++)
		if (in_list(want, nwant, l->numa[i]))
			numa[n++] = l->numa[i];
	free(want);
	return n;
}

int main(int argc, char **argv)
{
	struct ihk_double_mcexec_conf conf = { 0, 0 };
	struct opts o;
	struct lwk l;
	struct share s;
	struct record rec = { "", NULL };
	const char *prog;
	char *program, *proxy;
	int numa[MCEXEC_MAX_NUMA], nnuma;

	parse_args(&o, argc, argv);
	prog = argv[o.prog_index];
	open_device(&o, &l);
	ihk_double_mcexec_conf(&conf);
	if (o.enable_uti && !conf.uti) {
		/*
		 * Real mcexec's refusal, written in two pieces: this one binary
		 * serves nodes with and without UTI (double.conf), so it must
		 * not carry the text by which a build without UTI is recognized.
		 */
		fprintf(stderr, "main: ERROR: %s is not available when not configured with "
			"--with-syscall_intercept=<path>\n", "uti");
		exit(EXIT_FAILURE);
	}
	check_objdump();
	program = find_program(prog);
	check_running(&o, prog, &l);
	read_instance(&o, prog, &l);
	if (conf.startup_ms > 0)
		sleep_ms(conf.startup_ms);
	proxy = proxy_cpus(&l);
	take_share(&o, &l, &s);
	nnuma = numa_nodes(&o, &l, numa);
	return run_program(&o, &l, program, argv + o.prog_index, numa, nnuma, &s, &rec, proxy);
}
