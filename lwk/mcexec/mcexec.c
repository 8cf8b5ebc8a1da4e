/*
 * mcexec.c: the mcexec double. From the outside it behaves like McKernel's
 * mcexec (same command line, messages and exit codes, see
 * doc/DESIGN.md and the IHK reference):
 *
 *   mcexec [options] [--] [OSINDEX] PROGRAM ARGS...
 *
 * It opens DEVICE/mcosN read-write (DEVICE = STATE/dev of the IHK double),
 * needs the instance RUNNING, takes its share of the LWK CPUs (-n N: the N
 * processes with the same parent split them, by order of arrival), forks
 * the program bound to that share (only CPUs and NUMA nodes this machine
 * has) and stays as the rank's Linux-side process until it ends. The
 * program's exit status passes through; a signal that killed it is
 * re-raised. Every run is recorded as STATE/mcexec/PID.rec.
 *
 * Test knob of the double only: MCEXEC_DOUBLE_PARTITION_TIMEOUT_MS
 * replaces the partition wait (10 s + N x 0.1 s).
 */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ihk-double.h"
#include "ihklib-abi.h"
#include "mck-lists.h"
#include "mck-util.h"

#define MAX_NUMA 1024
#define MPOL_BIND_MODE 2	/* MPOL_BIND of <numaif.h> */

struct opts {
	int nproc;		/* -n, 0 = no partitioning */
	int threads;		/* -t */
	int target_cpu;		/* -c, -1 = none */
	const char *numa_arg;	/* -m */
	int os;
	int prog_index;		/* argv index of the program */
};

/* The instance as this process sees it. */
struct lwk {
	char state[PATH_MAX];
	int devfd;
	unsigned gen;
	int ncpus;
	int *cpus;		/* Linux CPU numbers, LWK CPU order */
	int nnuma;
	int numa[MAX_NUMA];
};

struct share {
	int slot;		/* 0..N-1, -1 without partitioning */
	int first, count;	/* LWK CPU range */
};

static volatile sig_atomic_t child_pid;

static void usage(const char *prog)
{
	fprintf(stderr,
		"Usage: %s [-n nr_processes] [-t nr_threads] [-c target_cpu] [-m numa_nodes]\n"
		"       [--mpol-threshold=SIZE] [--extend-heap-by=SIZE] [--stack-premap=SIZE[,MAX]]\n"
		"       [--enable-uti] [--disable-sched-yield] [--mpol-no-heap] [--mpol-no-stack]\n"
		"       [--mpol-no-bss] [--mpol-shm-premap] [--] [<os-index>] program [args...]\n",
		prog);
	exit(EXIT_FAILURE);
}

static int parse_count(const char *opt, const char *s, int min)
{
	long v;

	if (!s || mck_parse_long(s, min, INT_MAX, &v)) {
		fprintf(stderr, "error: %s: invalid number '%s'\n", opt, s ? s : "");
		exit(EXIT_FAILURE);
	}
	return (int)v;
}

/* Long options: name, and whether it takes a value. */
static const struct { const char *name; int has_value; } long_opts[] = {
	{ "mpol-threshold", 1 }, { "extend-heap-by", 1 }, { "stack-premap", 1 },
	{ "num-threads", 1 }, { "enable-uti", 0 }, { "disable-sched-yield", 0 },
	{ "mpol-no-heap", 0 }, { "mpol-no-stack", 0 }, { "mpol-no-bss", 0 },
	{ "mpol-shm-premap", 0 }, { "enable-straight-map", 0 }, { "profile", 0 },
};

/* Returns the number of argv words consumed. */
static int parse_long_opt(struct opts *o, char **argv, int i, const char *prog)
{
	const char *arg = argv[i] + 2;
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);

	for (size_t k = 0; k < sizeof(long_opts) / sizeof(long_opts[0]); k++) {
		const char *value;
		int used = 1;

		if (strlen(long_opts[k].name) != len || strncmp(long_opts[k].name, arg, len))
			continue;
		if (!long_opts[k].has_value) {
			if (eq) {
				fprintf(stderr, "%s: option '--%s' doesn't allow an argument\n",
					prog, long_opts[k].name);
				usage(prog);
			}
			return 1;
		}
		value = eq ? eq + 1 : argv[i + 1];
		if (!eq)
			used = 2;
		if (!value || !*value) {
			fprintf(stderr, "%s: option '--%s' requires an argument\n",
				prog, long_opts[k].name);
			usage(prog);
		}
		if (!strcmp(long_opts[k].name, "num-threads"))
			o->threads = parse_count("--num-threads", value, 1);
		return used;
	}
	fprintf(stderr, "%s: unrecognized option '%s'\n", prog, argv[i]);
	usage(prog);
	return 0;
}

static int is_all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* Options stop at the first non-option or "--": never permute. */
static void parse_args(struct opts *o, int argc, char **argv)
{
	const char *prog = argv[0];
	int i = 1;

	memset(o, 0, sizeof(*o));
	o->target_cpu = -1;
	while (i < argc && argv[i][0] == '-' && argv[i][1]) {
		char *a = argv[i];
		char c;
		const char *value;

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[1] == '-') {
			i += parse_long_opt(o, argv, i, prog);
			continue;
		}
		c = a[1];
		if (!strchr("ntcms", c)) {
			fprintf(stderr, "%s: invalid option -- '%c'\n", prog, c);
			usage(prog);
		}
		value = a[2] ? a + 2 : (i + 1 < argc ? argv[i + 1] : NULL);
		if (!value) {
			fprintf(stderr, "%s: option requires an argument -- '%c'\n", prog, c);
			usage(prog);
		}
		i += a[2] ? 1 : 2;
		switch (c) {
		case 'n': o->nproc = parse_count("-n", value, 1); break;
		case 't': o->threads = parse_count("-t", value, 1); break;
		case 'c': {
			long v;

			if (mck_parse_long(value, 0, IHK_MAX_NUM_CPUS - 1, &v)) {
				fprintf(stderr, "error: -c: invalid target CPU\n");
				exit(EXIT_FAILURE);
			}
			o->target_cpu = (int)v;
			break;
		}
		case 'm': o->numa_arg = value; break;
		case 's': break;	/* stack premap: accepted, no effect here */
		}
	}
	if (i < argc && is_all_digits(argv[i])) {
		long v;

		if (mck_parse_long(argv[i], 0, IHK_MAX_NUM_OS - 1, &v)) {
			fprintf(stderr, "Error: Failed to open /dev/mcos%s.\n", argv[i]);
			exit(EXIT_FAILURE);
		}
		o->os = (int)v;
		i++;
	}
	if (i >= argc)
		usage(prog);
	o->prog_index = i;
}

static void die_load(const char *prog, const char *why)
{
	fprintf(stderr, "%s: could not load program: %s\n", prog, why);
	exit(EXIT_FAILURE);
}

/* Open the device and read what the instance offers. Exits like mcexec. */
static void open_instance(const struct opts *o, const char *prog, struct lwk *l)
{
	struct ihk_mem_chunk *chunks = NULL;
	char dev[PATH_MAX + 32];
	int n, rc;

	memset(l, 0, sizeof(*l));
	if (ihk_double_state_dir(l->state, sizeof(l->state)) < 0) {
		fprintf(stderr, "Error: Failed to open /dev/mcos%d.\n", o->os);
		exit(EXIT_FAILURE);
	}
	snprintf(dev, sizeof(dev), "%s/dev/mcos%d", l->state, o->os);
	l->devfd = open(dev, O_RDWR | O_CLOEXEC);
	if (l->devfd < 0) {
		fprintf(stderr, "Error: Failed to open /dev/mcos%d.\n", o->os);
		exit(EXIT_FAILURE);
	}
	rc = ihk_os_get_status(o->os);
	if (rc == IHK_STATUS_PANIC || rc == IHK_STATUS_HUNGUP) {
		/* issue 4: a dead kernel is named, not "Unknown error" */
		fprintf(stderr, "mcexec: McKernel instance %d is %s: the job's kernel messages "
			"are saved by the epilogue (STATE_DIR/kmsg/JOBID.kmsg)\n", o->os,
			rc == IHK_STATUS_PANIC ? "PANIC" : "HUNGUP");
		exit(EXIT_FAILURE);
	}
	if (rc != IHK_STATUS_RUNNING)
		die_load(prog, strerror(-1));
	rc = ihk_double_os_generation(o->os);
	l->gen = rc < 0 ? 0 : (unsigned)rc;
	n = ihk_os_get_num_assigned_cpus(o->os);
	if (n <= 0)
		die_load(prog, strerror(n < 0 ? -n : EINVAL));
	l->cpus = calloc(n, sizeof(int));
	if (!l->cpus || (rc = ihk_os_query_cpu(o->os, l->cpus, n)) < 0)
		die_load(prog, strerror(l->cpus ? -rc : ENOMEM));
	l->ncpus = n;
	n = ihk_os_get_num_assigned_mem_chunks(o->os);
	if (n > 0) {
		chunks = calloc(n, sizeof(*chunks));
		if (chunks && ihk_os_query_mem(o->os, chunks, n) >= 0) {
			for (int i = 0; i < n; i++) {
				int seen = 0;

				for (int j = 0; j < l->nnuma; j++)
					seen |= l->numa[j] == chunks[i].numa_node_number;
				if (!seen && l->nnuma < MAX_NUMA)
					l->numa[l->nnuma++] = chunks[i].numa_node_number;
			}
		}
		free(chunks);
	}
}

/* execvp's lookup, done before forking so that errors read like mcexec's. */
static char *find_program(const char *name)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];
	int eacces = 0;

	if (strchr(name, '/')) {
		struct stat st;

		if (stat(name, &st) < 0)
			die_load(name, strerror(errno));
		if (!S_ISREG(st.st_mode) || access(name, X_OK) < 0)
			die_load(name, strerror(EACCES));
		return strdup(name);
	}
	if (!path)
		path = "/bin:/usr/bin";
	for (const char *p = path, *end; ; p = end + 1) {
		struct stat st;

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

/* STATE/mcexec, world-writable and sticky like /tmp. */
static int record_dir(const struct lwk *l, char *buf, size_t len)
{
	struct stat st;

	if (snprintf(buf, len, "%s/mcexec", l->state) >= (int)len)
		return -ENAMETOOLONG;
	if (mkdir(buf, 01777) == 0)
		chmod(buf, 01777);	/* umask */
	else if (errno != EEXIST)
		return -errno;
	if (stat(buf, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* ------------------------------------------------ partitioned execution */

struct group {
	unsigned gen;
	int n, round, arrived, done;
	pid_t pids[IHK_MAX_NUM_CPUS];
};

static void group_read(int fd, struct group *g)
{
	char buf[16384], *line, *save = NULL;
	ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);

	memset(g, 0, sizeof(*g));
	if (r <= 0)
		return;
	buf[r] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long v;
		char *eq = strchr(line, '=');

		if (!eq)
			continue;
		*eq++ = '\0';
		if (!strcmp(line, "pids")) {
			char *tok, *s2 = NULL;
			int k = 0;

			for (tok = strtok_r(eq, ",", &s2); tok && k < IHK_MAX_NUM_CPUS;
			     tok = strtok_r(NULL, ",", &s2))
				g->pids[k++] = (pid_t)atol(tok);
			continue;
		}
		if (mck_parse_ulong(eq, &v))
			continue;
		if (!strcmp(line, "gen")) g->gen = v;
		else if (!strcmp(line, "n")) g->n = v;
		else if (!strcmp(line, "round")) g->round = v;
		else if (!strcmp(line, "arrived")) g->arrived = v;
		else if (!strcmp(line, "done")) g->done = v;
	}
	if (g->arrived > IHK_MAX_NUM_CPUS)
		g->arrived = IHK_MAX_NUM_CPUS;
}

static int group_write(int fd, const struct group *g)
{
	char buf[16384];
	int len = snprintf(buf, sizeof(buf), "gen=%u\nn=%d\nround=%d\narrived=%d\ndone=%d\npids=",
			   g->gen, g->n, g->round, g->arrived, g->done);

	for (int i = 0; i < g->arrived && len < (int)sizeof(buf) - 16; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%ld", i ? "," : "",
				(long)g->pids[i]);
	len += snprintf(buf + len, sizeof(buf) - len, "\n");
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, len, 0) != len)
		return -errno;
	return 0;
}

/* Open and lock the group file, retrying when it was unlinked meanwhile. */
static int group_lock(const char *path)
{
	for (;;) {
		struct stat a, b;
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX) < 0) {
			close(fd);
			return -errno;
		}
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			return fd;
		close(fd);
	}
}

static int round_is_stale(const struct group *g, unsigned gen, int n)
{
	if (g->n == 0 || g->gen != gen || g->n != n)
		return 1;
	if (g->arrived >= g->n)
		return 1;	/* complete: a new round starts */
	for (int i = 0; i < g->arrived; i++)
		if (kill(g->pids[i], 0) < 0 && errno == ESRCH)
			return 1;	/* a member died waiting */
	return 0;
}

static void partition_fail(const char *why)
{
	fprintf(stderr, "getting CPU set for partitioned execution: %s\n", why);
	exit(EXIT_FAILURE);
}

/* Take a slot among the -n processes of this parent and wait for all. */
static void take_share(const struct opts *o, const struct lwk *l, struct share *s)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	struct group g;
	const char *knob = getenv("MCEXEC_DOUBLE_PARTITION_TIMEOUT_MS");
	double deadline, timeout_ms = 10000.0 + o->nproc * 100.0;
	int fd, round, rc;

	s->slot = -1;
	s->first = 0;
	s->count = l->ncpus;
	if (o->target_cpu >= 0) {
		if (o->target_cpu >= l->ncpus) {
			fprintf(stderr, "error: -c: invalid target CPU\n");
			exit(EXIT_FAILURE);
		}
		s->first = o->target_cpu;
		s->count = 1;
		return;
	}
	if (o->nproc == 0)
		return;
	if (o->nproc > l->ncpus) {
		fprintf(stderr, "error: nr_processes can't exceed nr. of CPUs\n");
		exit(EINVAL);
	}
	if (knob && *knob) {
		long v;

		if (mck_parse_long(knob, 0, 3600000, &v) == 0)
			timeout_ms = v;
	}
	if ((rc = record_dir(l, dir, sizeof(dir))) < 0) {
		fprintf(stderr, "mcexec (double): cannot create %s/mcexec: %s: root must "
			"create it with mode 1777\n", l->state, strerror(-rc));
		partition_fail(strerror(-rc));
	}
	snprintf(path, sizeof(path), "%s/partition-%ld-os%d", dir, (long)getppid(), o->os);
	if ((fd = group_lock(path)) < 0)
		partition_fail(strerror(-fd));
	group_read(fd, &g);
	if (round_is_stale(&g, l->gen, o->nproc)) {
		int next = g.round + 1;

		memset(&g, 0, sizeof(g));
		g.gen = l->gen;
		g.n = o->nproc;
		g.round = next;
	}
	s->slot = g.arrived;
	g.pids[g.arrived++] = getpid();
	round = g.round;
	rc = group_write(fd, &g);
	close(fd);
	if (rc < 0)
		partition_fail(strerror(-rc));

	deadline = mck_now_ms() + timeout_ms;
	for (;;) {
		int complete;

		if ((fd = group_lock(path)) < 0)
			partition_fail(strerror(-fd));
		group_read(fd, &g);
		complete = g.round != round || g.arrived >= g.n;
		if (complete && g.round == round) {
			/* The last one to leave removes the file. */
			if (++g.done >= g.n)
				unlink(path);
			else
				group_write(fd, &g);
		}
		close(fd);
		if (complete)
			break;
		if (mck_now_ms() >= deadline)
			partition_fail(strerror(ETIMEDOUT));
		usleep(5000);
	}
	s->count = l->ncpus / o->nproc;
	s->first = s->slot * s->count;
}

/* ------------------------------------------------------------- binding */

static int read_sys_list(const char *path, int **items, int *n)
{
	struct mck_error err;
	char *text = NULL;
	int rc;

	*items = NULL;
	*n = 0;
	if (mck_read_file(path, &text, NULL, &err) < 0)
		return -1;
	text[strcspn(text, "\n")] = '\0';
	rc = mck_cpulist_parse(text, items, n, &err);
	free(text);
	return rc;
}

static int in_list(const int *v, int n, int x)
{
	for (int i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

/* In the child: bind to the share, only where this machine has the CPUs/nodes. */
static void bind_child(const int *cpus, int ncpus, const int *numa, int nnuma)
{
	int *online = NULL, *nodes = NULL, nonline = 0, nnodes = 0, bound = 0;
	unsigned long mask[MAX_NUMA / (8 * sizeof(unsigned long))];
	cpu_set_t set;

	CPU_ZERO(&set);
	if (read_sys_list("/sys/devices/system/cpu/online", &online, &nonline) == 0)
		for (int i = 0; i < ncpus; i++)
			if (in_list(online, nonline, cpus[i]) && cpus[i] < CPU_SETSIZE) {
				CPU_SET(cpus[i], &set);
				bound++;
			}
	if (bound)
		sched_setaffinity(0, sizeof(set), &set);	/* best effort */
	memset(mask, 0, sizeof(mask));
	bound = 0;
	if (read_sys_list("/sys/devices/system/node/online", &nodes, &nnodes) == 0)
		for (int i = 0; i < nnuma; i++)
			if (in_list(nodes, nnodes, numa[i]) && numa[i] < MAX_NUMA) {
				mask[numa[i] / (8 * sizeof(unsigned long))] |=
					1UL << (numa[i] % (8 * sizeof(unsigned long)));
				bound++;
			}
	if (bound)
		syscall(SYS_set_mempolicy, MPOL_BIND_MODE, mask, (unsigned long)MAX_NUMA + 1);
	free(online);
	free(nodes);
}

/* ------------------------------------------------- the proxy's CPUs */

/*
 * The proxy (this process) stays on Linux. On a real node the CPUs
 * reserved for McKernel are offline: nothing can have bound the proxy to
 * them, and binding only to them fails with EINVAL. The double's machine
 * has those CPUs online, so check what a real kernel would have refused:
 * a proxy whose allowed CPUs the double counts as online are none of
 * fails like the refused binding; its allowed Linux CPUs are recorded.
 */
static char *proxy_cpus(const struct lwk *l)
{
	int *online = NULL, *mine = NULL, nonline, nmine = 0, nlinux = 0;
	cpu_set_t set;
	char *text;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return strdup("");
	nonline = ihk_double_online_cpus(NULL, 0);
	if (nonline < 0)
		nonline = 0;
	online = calloc(nonline + 1, sizeof(int));
	mine = calloc(CPU_SETSIZE, sizeof(int));
	if (!online || !mine) {
		free(online);
		free(mine);
		return NULL;
	}
	if (nonline > 0)
		nonline = ihk_double_online_cpus(online, nonline);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		mine[nmine++] = cpu;
		nlinux += nonline > 0 && in_list(online, nonline, cpu);
	}
	text = mck_cpulist_format(mine, nmine);
	if (nonline > 0 && nlinux == 0) {
		fprintf(stderr, "mcexec: the proxy process is bound to CPUs %s, which are "
			"reserved for McKernel (the instance has %d CPUs) and offline on a real "
			"node: sched_setaffinity: %s; bind it to Linux CPUs\n",
			text ? text : "?", l->ncpus, strerror(EINVAL));
		exit(EINVAL);
	}
	free(online);
	free(mine);
	return text;
}

/* ------------------------------------------------------------- records */

struct record {
	char path[PATH_MAX + 64];
	char *text;		/* everything but the end lines */
};

static void rec_add(char **text, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void rec_add(char **text, const char *fmt, ...)
{
	char *line = NULL, *joined = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	if (!line)
		return;
	if (asprintf(&joined, "%s%s\n", *text ? *text : "", line) >= 0) {
		free(*text);
		*text = joined;
	}
	free(line);
}

static const char *env_or_empty(const char *name)
{
	const char *v = getenv(name);

	return v ? v : "";
}

static void record_start(struct record *r, const struct opts *o, const struct lwk *l,
			 pid_t child, const char *cpus, const char *numa, const char *argv0,
			 const char *proxy)
{
	char dir[PATH_MAX], host[256] = "";
	struct mck_error err;
	struct timeval tv;

	r->text = NULL;
	r->path[0] = '\0';
	int rc = record_dir(l, dir, sizeof(dir));

	if (rc < 0) {
		fprintf(stderr, "mcexec (double): warning: cannot create %s/mcexec: %s: root "
			"must create it with mode 1777; this run is not recorded\n",
			l->state, strerror(-rc));
		return;
	}
	snprintf(r->path, sizeof(r->path), "%s/%ld.rec", dir, (long)getpid());
	gethostname(host, sizeof(host) - 1);
	gettimeofday(&tv, NULL);
	rec_add(&r->text, "pid=%ld", (long)getpid());
	rec_add(&r->text, "ppid=%ld", (long)getppid());
	rec_add(&r->text, "child=%ld", (long)child);
	rec_add(&r->text, "job=%s", env_or_empty("SLURM_JOB_ID"));
	rec_add(&r->text, "step=%s", env_or_empty("SLURM_STEP_ID"));
	rec_add(&r->text, "rank=%s", env_or_empty("SLURM_PROCID"));
	rec_add(&r->text, "node=%s", host);
	rec_add(&r->text, "uid=%lu", (unsigned long)getuid());
	rec_add(&r->text, "os=%d", o->os);
	rec_add(&r->text, "gen=%u", l->gen);
	rec_add(&r->text, "nproc=%d", o->nproc);
	rec_add(&r->text, "cpus=%s", cpus);
	rec_add(&r->text, "numa=%s", numa);
	rec_add(&r->text, "argv0=%s", argv0);
	rec_add(&r->text, "proxy_cpus=%s", proxy ? proxy : "");
	rec_add(&r->text, "omp_num_threads=%s", env_or_empty("OMP_NUM_THREADS"));
	rec_add(&r->text, "start=%ld.%03ld", (long)tv.tv_sec, (long)tv.tv_usec / 1000);
	if (!r->text ||
	    mck_write_file_atomic(r->path, r->text, strlen(r->text), 0644, &err) < 0) {
		fprintf(stderr, "mcexec: warning: cannot write %s\n", r->path);
		r->path[0] = '\0';
	}
}

static void record_end(struct record *r, const char *key, int value)
{
	struct mck_error err;
	struct timeval tv;

	if (!r->path[0])
		return;
	gettimeofday(&tv, NULL);
	rec_add(&r->text, "%s=%d", key, value);
	rec_add(&r->text, "end=%ld.%03ld", (long)tv.tv_sec, (long)tv.tv_usec / 1000);
	if (r->text)
		mck_write_file_atomic(r->path, r->text, strlen(r->text), 0644, &err);
}

/* ------------------------------------------------------------- running */

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 };
#define NFORWARDED (int)(sizeof(forwarded) / sizeof(forwarded[0]))

static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

static void reraise(int sig)
{
	struct rlimit no_core = { 0, 0 };
	sigset_t set;

	setrlimit(RLIMIT_CORE, &no_core);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	kill(getpid(), sig);
	exit(128 + sig);	/* not reached for fatal signals */
}

int main(int argc, char **argv)
{
	struct opts o;
	struct lwk l;
	struct share s;
	struct record rec;
	char *program, *cpus_text, *numa_text, *proxy_text;
	int *numa = NULL, nnuma = 0, status;
	sigset_t block, old;
	struct sigaction sa;
	pid_t pid;

	parse_args(&o, argc, argv);
	open_instance(&o, argv[o.prog_index], &l);
	program = find_program(argv[o.prog_index]);
	proxy_text = proxy_cpus(&l);
	take_share(&o, &l, &s);

	/* -m restricts the NUMA nodes to those given (and the instance has). */
	numa = calloc(l.nnuma + 1, sizeof(int));
	if (o.numa_arg) {
		struct mck_error err;
		int *want = NULL, nwant = 0;

		if (mck_cpulist_parse(o.numa_arg, &want, &nwant, &err) < 0) {
			fprintf(stderr, "error: -m: invalid NUMA node list '%s'\n", o.numa_arg);
			return EXIT_FAILURE;
		}
		for (int i = 0; numa && i < l.nnuma; i++)
			if (in_list(want, nwant, l.numa[i]))
				numa[nnuma++] = l.numa[i];
		free(want);
	} else {
		for (int i = 0; numa && i < l.nnuma; i++)
			numa[nnuma++] = l.numa[i];
	}
	cpus_text = mck_cpulist_format(l.cpus + s.first, s.count);
	numa_text = mck_cpulist_format(numa, nnuma);
	if (!numa || !cpus_text || !numa_text) {
		fprintf(stderr, "mcexec: out of memory\n");
		return EXIT_FAILURE;
	}

	sigemptyset(&block);
	for (int i = 0; i < NFORWARDED; i++)
		sigaddset(&block, forwarded[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: could not load program: %s\n", argv[o.prog_index],
			strerror(errno));
		return EXIT_FAILURE;
	}
	if (pid == 0) {
		for (int i = 0; i < NFORWARDED; i++)
			signal(forwarded[i], SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		bind_child(l.cpus + s.first, s.count, numa, nnuma);
		execv(program, argv + o.prog_index);
		fprintf(stderr, "%s: could not load program: %s\n", argv[o.prog_index],
			strerror(errno));
		_exit(EXIT_FAILURE);
	}
	child_pid = pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &sa, NULL);
	record_start(&rec, &o, &l, pid, cpus_text, numa_text, program, proxy_text);
	sigprocmask(SIG_SETMASK, &old, NULL);

	/*
	 * Wait, watching the instance: when its kernel panics or hangs the
	 * rank ends (issue 4) instead of waiting forever on a dead LWK.
	 */
	for (;;) {
		int st, w = mck_wait_pid(pid, 100, &status);

		if (w == 0)
			break;
		if (w != -ETIMEDOUT) {
			fprintf(stderr, "mcexec: waitpid: %s\n", strerror(-w));
			return EXIT_FAILURE;
		}
		st = ihk_os_get_status(o.os);
		if (st == IHK_STATUS_PANIC || st == IHK_STATUS_HUNGUP) {
			kill(pid, SIGKILL);
			mck_wait_pid(pid, -1, &status);
			record_end(&rec, "lwk", st);
			fprintf(stderr, "mcexec: McKernel instance %d went %s while %s ran: rank ended; "
				"the job's kernel messages are saved by the epilogue "
				"(STATE_DIR/kmsg/JOBID.kmsg)\n", o.os,
				st == IHK_STATUS_PANIC ? "PANIC" : "HUNGUP", argv[o.prog_index]);
			return EXIT_FAILURE;
		}
	}
	close(l.devfd);
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		record_end(&rec, "signal", sig);
		fprintf(stderr, "Terminate by signal %d\n", sig);
		fflush(stderr);
		reraise(sig);
	}
	record_end(&rec, "exit", WEXITSTATUS(status));
	return WEXITSTATUS(status);
}
