/*
 * bench-node: what the node side of --mckernel costs per job, against the
 * way the McKernel scripts do it, both on the same IHK double, measured
 * interleaved in one run.
 *
 *   candidate: mck-prologue then mck-epilogue, started as slurmd starts
 *              them (environment of a --mckernel job), which run mckctl
 *              boot / teardown;
 *   baseline:  baseline-mcreboot boot then stop (mcreboot.sh and
 *              mcstop+release.sh's steps: cache drop and memory compaction
 *              every boot, destroy retries, the fixed 2 s before release);
 *   also:      mck-prologue + mck-epilogue of a job without --mckernel.
 *
 * Per-step figures come from mckctl's lifecycle log lines ("ihk_os_boot(0)
 * ok 0.12 ms"); topology load, planning and the job record are also timed
 * in this process. Peak RSS is ru_maxrss of each child (including what it
 * ran). All of it twice: with the IHK double's latency model at zero (what
 * the integration itself costs) and at the timings observed on a real node
 * (`latency = observed`: what a job pays, and how much of it is ours).
 *
 * The double finds its node through its own file, ihk-double.conf, beside
 * the temporary mckernel.conf (keys state and topology), and its latency
 * model in STATE/double.conf.
 *
 * usage: bench-node --builddir DIR --srcdir DIR [--rounds N]
 *                   [--observed-rounds N] [--no-drop-caches]
 * Prints human lines and
 * "RESULT|section@latency|figure|value|unit|baseline|ratio|goal|verdict".
 * Needs root (the double's state-changing calls, chown of the device).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mck-jobrec.h"
#include "mck-plan.h"
#include "mck-util.h"

#define MAX_ROUNDS 200
#define MAX_STEPS 64

static char T[PATH_MAX], conf[PATH_MAX + 32], slurm_conf[PATH_MAX + 32];
static char state[PATH_MAX + 32], dbl[PATH_MAX + 32], devdir[PATH_MAX + 32];
static char image[PATH_MAX + 32], outfile[PATH_MAX + 32];
static char mckctl[PATH_MAX], prologue[PATH_MAX], epilogue[PATH_MAX];
static char libihk[PATH_MAX], baseline[PATH_MAX], topo[PATH_MAX];
static char plan_c[4096], plan_m[4096], plan_r[4096];
static int drop_caches = 1;
static unsigned long next_job = 1000;

static void check_clean(const char *after);

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench-node: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (state kept in %s)\n", T);
	exit(1);
}

static void result(const char *section, const char *figure, double value, const char *unit,
		   double base, const char *goal, int met)
{
	printf("RESULT|%s|%s|%.3f|%s|", section, figure, value, unit);
	if (base > 0)
		printf("%.3f|%.4f|", base, value / base);
	else
		printf("||");
	printf("%s|%s\n", goal ? goal : "", goal ? (met ? "met" : "MISSED") : "");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double tmp[MAX_ROUNDS];

	if (n <= 0)
		return 0;
	memcpy(tmp, v, n * sizeof(*v));
	qsort(tmp, n, sizeof(*tmp), cmp_double);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

static double last_cpu_ms;	/* CPU time (user + system) of the last run() */

/* Run argv with envp, output to outfile; wall ms and peak RSS (KiB). */
static int run(char *const argv[], char *const envp[], double *ms, long *rss_kb)
{
	struct rusage ru;
	double t0 = mck_now_ms();
	int status, fd;
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		fd = open(outfile, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execve(argv[0], argv, envp);
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			die("wait4: %s", strerror(errno));
	*ms = mck_now_ms() - t0;
	last_cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	if (rss_kb && ru.ru_maxrss > *rss_kb)
		*rss_kb = ru.ru_maxrss;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("%s failed (status 0x%x), see %s", argv[0], status, outfile);
	return 0;
}

/* The environment slurmd gives a Prolog/Epilog (the part we read). */
static void slurmd_env(char **env, char store[][PATH_MAX + 64], unsigned long job, int mck,
		       int epilog)
{
	int n = 0;

	snprintf(store[n], sizeof(store[n]), "PATH=/usr/sbin:/usr/bin:/sbin:/bin");
	env[n] = store[n], n++;
	snprintf(store[n], sizeof(store[n]), "SLURM_CONF=%s", slurm_conf);
	env[n] = store[n], n++;
	snprintf(store[n], sizeof(store[n]), "SLURM_JOB_ID=%lu", job);
	env[n] = store[n], n++;
	snprintf(store[n], sizeof(store[n]), "SLURM_JOB_UID=1001");
	env[n] = store[n], n++;
	snprintf(store[n], sizeof(store[n]), "SLURM_JOB_GID=1001");
	env[n] = store[n], n++;
	/* whole nodes: all of this machine's CPUs (an exclusive job) */
	snprintf(store[n], sizeof(store[n]), "SLURM_JOB_CPUS_PER_NODE=%ld",
		 sysconf(_SC_NPROCESSORS_CONF));
	env[n] = store[n], n++;
	snprintf(store[n], sizeof(store[n]), "SLURM_SCRIPT_CONTEXT=%s",
		 epilog ? "epilog_slurmd" : "prolog_slurmd");
	env[n] = store[n], n++;
	if (mck) {
		snprintf(store[n], sizeof(store[n]), "SPANK__SLURM_SPANK_OPTION_mckernel_mckernel=");
		env[n] = store[n], n++;
	}
	env[n] = NULL;
}

/* ------------------------------------------------ lifecycle log steps */

struct step {
	char name[64];
	double ms[MAX_ROUNDS];	/* per round, summed over the round's lines */
};
/* The steps of one series (one latency model). */
struct steplog {
	struct step steps[MAX_STEPS];
	int n;
};
static struct steplog *cur;	/* the series being measured */
static long log_off;
static int booted;	/* the last read_log saw "boot ok" */

static struct step *step_get(struct steplog *l, const char *name)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->steps[i].name, name))
			return &l->steps[i];
	if (l->n == MAX_STEPS)
		return NULL;
	snprintf(l->steps[l->n].name, sizeof(l->steps[l->n].name), "%s", name);
	return &l->steps[l->n++];
}

/* Skip what the log holds so far (a warm-up is not a round). */
static void skip_log(void)
{
	char path[PATH_MAX + 64];
	struct stat st;

	snprintf(path, sizeof(path), "%s/log/lifecycle.log", state);
	if (stat(path, &st) == 0)
		log_off = st.st_size;
}

/* Add the new "... job J: STEP(...) ok X ms" lines to round r of cur. */
static void read_log(int round)
{
	char path[PATH_MAX + 64], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/log/lifecycle.log", state);
	f = fopen(path, "re");
	if (!f)
		die("cannot read %s", path);
	fseek(f, log_off, SEEK_SET);
	booted = 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "mckctl: job "), *rest, *ok, *end, *num, name[64];
		size_t len;
		struct step *s;

		if (!p || !(rest = strstr(p + 12, ": ")))
			continue;
		rest += 2;
		line[strcspn(line, "\n")] = '\0';
		len = strlen(rest);
		if (len < 4 || strcmp(rest + len - 3, " ms") || !(ok = strstr(rest, " ok")))
			continue;
		end = rest + len - 3;
		*end = '\0';
		num = strrchr(rest, ' ');
		if (!num)
			continue;
		len = strcspn(rest, "(:");
		if ((size_t)(ok - rest) < len)
			len = ok - rest;
		if (len >= sizeof(name))
			len = sizeof(name) - 1;
		memcpy(name, rest, len);
		name[len] = '\0';
		if (!strcmp(name, "boot") && (booted = 1))
			snprintf(name, sizeof(name), "= mckctl boot, as it times itself");
		else if (!strcmp(name, "teardown"))
			snprintf(name, sizeof(name), "= mckctl teardown, as it times itself");
		s = step_get(cur, name);
		if (s)
			s->ms[round] += strtod(num + 1, NULL);
	}
	log_off = ftell(f);
	fclose(f);
}

/*
 * A step the IHK double's latency model times (a libihk call, or the wait
 * for RUNNING after the boot): on a real node that is IHK's own time.
 */
static int is_ihk_step(const char *name)
{
	return !strncmp(name, "ihk_", 4) || !strcmp(name, "wait RUNNING");
}

/* ----------------------------------------------------------- the node */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f || fputs(text, f) < 0 || fclose(f))
		die("cannot write %s", path);
}

/* The IHK double's latency model: "zero" or "observed" (STATE/double.conf). */
static void set_latency(const char *model)
{
	char path[PATH_MAX + 64], text[64];

	snprintf(path, sizeof(path), "%s/double.conf", dbl);
	snprintf(text, sizeof(text), "latency = %s\n", model);
	write_file(path, text);
}

/* A copy of an ELF executable of this machine: the image check's stand-in. */
static void make_image(void)
{
	char *data = NULL;
	size_t len = 0;
	struct mck_error err = { 0 };
	FILE *f;

	if (mck_read_file("/bin/true", &data, &len, &err))
		die("cannot read /bin/true for a stand-in kernel image: %s", err.msg);
	f = fopen(image, "we");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f))
		die("cannot write %s", image);
	free(data);
}

static void setup(const char *builddir, const char *srcdir)
{
	const char *tmp = getenv("TMPDIR");
	static char text[10 * PATH_MAX];
	char *out = NULL, *tok, *save;
	size_t len;
	double ms;
	char *argv[8];
	char *env[2] = { NULL };
	struct mck_error err = { 0 };

	snprintf(T, sizeof(T), "%s/bench-node.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(T))
		die("mkdtemp: %s", strerror(errno));
	snprintf(conf, sizeof(conf), "%s/mckernel.conf", T);
	snprintf(slurm_conf, sizeof(slurm_conf), "%s/slurm.conf", T);
	snprintf(state, sizeof(state), "%s/state", T);
	snprintf(dbl, sizeof(dbl), "%s/ihk", T);
	snprintf(devdir, sizeof(devdir), "%s/ihk/dev", T);
	snprintf(image, sizeof(image), "%s/mckernel.img", T);
	snprintf(outfile, sizeof(outfile), "%s/children.out", T);
	snprintf(mckctl, sizeof(mckctl), "%s/lwk/mckctl", builddir);
	snprintf(prologue, sizeof(prologue), "%s/prologue/mck-prologue", builddir);
	snprintf(epilogue, sizeof(epilogue), "%s/epilogue/mck-epilogue", builddir);
	snprintf(libihk, sizeof(libihk), "%s/ihk/double/.libs/libihk-double.so", builddir);
	snprintf(baseline, sizeof(baseline), "%s/bench/baseline-mcreboot", builddir);
	snprintf(text, sizeof(text), "%s/hwloc-maps/tests/fixtures/testnode.xml", srcdir);
	if (!realpath(text, topo))
		die("missing %s", text);
	for (const char *p[] = { mckctl, prologue, epilogue, libihk, baseline, NULL }, **q = p;
	     *q; q++)
		if (access(*q, R_OK))
			die("missing %s: build first", *q);
	if (mkdir(dbl, 0755))
		die("mkdir %s: %s", dbl, strerror(errno));
	make_image();
	snprintf(text, sizeof(text),
		 "libihk = %s\nmckctl = %s\nimage = %s\nkargs = hidos ksyslogd=0\n"
		 "state_dir = %s\ndevice_dir = %s\ntopology = %s\nsysfs_dir = %s/sys\n"
		 "mem_fraction = 0.5\nboot_timeout = 10\nshutdown_timeout = 5\n",
		 libihk, mckctl, image, state, devdir, topo, dbl);
	write_file(conf, text);
	/* the double's node, found beside mckernel.conf */
	snprintf(text, sizeof(text), "%s/ihk-double.conf", T);
	snprintf(text + strlen(text) + 1, sizeof(text) - strlen(text) - 1,
		 "state = %s\ntopology = %s\n", dbl, topo);
	write_file(text, text + strlen(text) + 1);
	set_latency("zero");

	/* the plan as a user of mcreboot.sh would type it */
	argv[0] = mckctl, argv[1] = "--config", argv[2] = conf, argv[3] = "plan",
	argv[4] = "--format", argv[5] = "mcreboot", argv[6] = NULL;
	unlink(outfile);
	run(argv, env, &ms, NULL);
	if (mck_read_file(outfile, &out, &len, &err))
		die("%s", err.msg);
	for (tok = strtok_r(out, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		char *v = strtok_r(NULL, " \n", &save);

		if (!v)
			break;
		if (!strcmp(tok, "-c"))
			snprintf(plan_c, sizeof(plan_c), "%s", v);
		else if (!strcmp(tok, "-m"))
			snprintf(plan_m, sizeof(plan_m), "%s", v);
		else if (!strcmp(tok, "-r"))
			snprintf(plan_r, sizeof(plan_r), "%s", v);
	}
	free(out);
	if (!*plan_c || !*plan_m)
		die("cannot read the plan from mckctl plan --format mcreboot");
	printf("node: %s (mem_fraction 0.5): -c %s -m %s -r %s\n", topo, plan_c, plan_m, plan_r);
}

/* ------------------------------------------------------------ rounds */

struct series {
	double ms[MAX_ROUNDS];
	double cpu[MAX_ROUNDS];	/* CPU time of the same runs */
	int n;
	long rss_a, rss_b;	/* peak RSS of the two halves (KiB) */
};

static void candidate(struct series *s, int mck, int round)
{
	char store[10][PATH_MAX + 64], *env[10];
	char *argv[2] = { NULL, NULL };
	unsigned long job = next_job++;
	double a, b, cpu;

	slurmd_env(env, store, job, mck, 0);
	argv[0] = prologue;
	run(argv, env, &a, &s->rss_a);
	cpu = last_cpu_ms;
	slurmd_env(env, store, job, mck, 1);
	argv[0] = epilogue;
	run(argv, env, &b, &s->rss_b);
	s->cpu[s->n] = cpu + last_cpu_ms;
	s->ms[s->n++] = a + b;
	if (mck && round >= 0) {
		read_log(round);
		if (!booted)
			die("job %lu: the prologue did not boot (see %s/log/prolog.log)", job, state);
	}
	check_clean("a job");
}

/* The next job must find the node clean, or it would pay for the cleaning. */
static void check_clean(const char *after)
{
	char *chk[5] = { mckctl, "--config", conf, "check", NULL };
	char *env[1] = { NULL };
	double ms;

	if (access(outfile, F_OK) == 0 && truncate(outfile, 0))
		die("cannot truncate %s", outfile);
	run(chk, env, &ms, NULL);
	(void)after;
}

static void base(struct series *s)
{
	char store[10][PATH_MAX + 64], *env[10];
	char *boot[20], *stop[8];
	double a, b;
	int n = 0;

	slurmd_env(env, store, next_job++, 0, 0);
	boot[n++] = baseline, boot[n++] = "--libihk", boot[n++] = libihk;
	boot[n++] = "--dev-dir", boot[n++] = devdir, boot[n++] = "boot";
	boot[n++] = "-c", boot[n++] = plan_c, boot[n++] = "-m", boot[n++] = plan_m;
	if (*plan_r)
		boot[n++] = "-r", boot[n++] = plan_r;
	boot[n++] = "-i", boot[n++] = image, boot[n++] = "-o", boot[n++] = "1001:1001";
	if (!drop_caches)
		boot[n++] = "--no-drop-caches";
	boot[n] = NULL;
	stop[0] = baseline, stop[1] = "--libihk", stop[2] = libihk, stop[3] = "--dev-dir";
	stop[4] = devdir, stop[5] = "stop", stop[6] = NULL;
	run(boot, env, &a, &s->rss_a);
	run(stop, env, &b, &s->rss_b);
	s->ms[s->n++] = a + b;
	check_clean("the baseline");
}

/* -------------------------------------------------- in-process parts */

static void parts(double *load_ms, double *plan_ms, double *rec_ms)
{
	struct mck_error err = { 0 };
	struct mck_plan_policy pol;
	struct mck_plan plan;
	struct mck_jobrec rec = { .job = 1, .uid = 1001, .gid = 1001, .os = 0 };
	hwloc_topology_t t;
	char dir[PATH_MAX + 32];
	static const enum mck_job_state stages[] = { MCK_JOB_RESERVING, MCK_JOB_CREATED,
						      MCK_JOB_BOOTING, MCK_JOB_BOOTED,
						      MCK_JOB_RUNNING, MCK_JOB_TEARING_DOWN };
	const int rounds = 50;
	double t0;

	t0 = mck_now_ms();
	for (int i = 0; i < rounds; i++) {
		if (mck_topo_load(topo, NULL, &t, &err))
			die("%s", err.msg);
		hwloc_topology_destroy(t);
	}
	*load_ms = (mck_now_ms() - t0) / rounds;

	if (mck_topo_load(topo, NULL, &t, &err))
		die("%s", err.msg);
	mck_plan_policy_init(&pol);
	pol.mem_fraction = 0.5;
	t0 = mck_now_ms();
	for (int i = 0; i < rounds * 4; i++) {
		if (mck_plan_compute(t, &pol, &plan, &err))
			die("%s", err.msg);
		mck_plan_free(&plan);
	}
	*plan_ms = (mck_now_ms() - t0) / (rounds * 4);
	hwloc_topology_destroy(t);

	/* one job's records: written at each stage, then removed */
	snprintf(dir, sizeof(dir), "%s/recbench", T);
	mck_jobrec_set(&rec.cpus, plan_c);
	mck_jobrec_set(&rec.mem, plan_m);
	mck_jobrec_set(&rec.ikc, plan_r);
	mck_jobrec_set(&rec.device, "/dev/mcos0");
	t0 = mck_now_ms();
	for (int i = 0; i < rounds; i++) {
		for (size_t k = 0; k < sizeof(stages) / sizeof(*stages); k++) {
			rec.state = stages[k];
			if (mck_jobrec_write(dir, &rec, &err))
				die("%s", err.msg);
		}
		if (mck_jobrec_remove(dir, rec.job, &err))
			die("%s", err.msg);
	}
	*rec_ms = (mck_now_ms() - t0) / rounds;
	mck_jobrec_free(&rec);
}

/*
 * The median over rounds of (the round's total - its IHK steps): with the
 * model's jitter the difference of two medians would mix rounds.
 */
static double median_own(const struct series *s, int rounds)
{
	double own[MAX_ROUNDS];

	for (int r = 0; r < rounds; r++) {
		double ihk = 0;

		for (int i = 0; i < cur->n; i++)
			if (cur->steps[i].name[0] != '=' && is_ihk_step(cur->steps[i].name))
				ihk += cur->steps[i].ms[r];
		own[r] = s->ms[r] - ihk;
	}
	return median(own, rounds);
}

/* Per-step medians of a series, printed and as RESULT lines; their sum and the IHK part. */
static void report_steps(const char *section, int rounds, double *sum, double *ihk)
{
	char fig[128];

	*sum = *ihk = 0;
	printf("\nper-step medians of mckctl's lifecycle log (ms), --mckernel job:\n");
	for (int i = 0; i < cur->n; i++) {
		const struct step *st = &cur->steps[i];
		double m = median(st->ms, rounds);

		printf("  %-42s %8.3f\n", st->name, m);
		if (st->name[0] != '=') {
			*sum += m;
			if (is_ihk_step(st->name))
				*ihk += m;
		}
		snprintf(fig, sizeof(fig), "step: %.63s", st->name);
		result(section, fig, m, "ms", 0, NULL, 0);
	}
	printf("  %-42s %8.3f\n", "sum of the logged steps", *sum);
	printf("  %-42s %8.3f\n", "of which IHK's (libihk calls, wait RUNNING)", *ihk);
}

/* Latency zero: what the integration itself costs per job and node. */
static void series_zero(long rounds)
{
	static struct steplog log0;
	struct series cand = { .n = 0 }, plain = { .n = 0 }, basel = { .n = 0 };
	const char *sec = "1 node-side@zero";
	double load_ms, plan_ms, rec_ms, sum, ihk, c, b, p, own;

	cur = &log0;
	set_latency("zero");
	candidate(&cand, 1, -1);	/* warm-up, not counted */
	cand.n = 0;
	cand.rss_a = cand.rss_b = 0;
	skip_log();
	printf("latency zero: %ld rounds, interleaved: --mckernel job, job without it, baseline\n",
	       rounds);
	for (int r = 0; r < rounds; r++) {
		candidate(&cand, 1, r);
		candidate(&plain, 0, -1);
		base(&basel);
	}
	c = median(cand.ms, cand.n);
	b = median(basel.ms, basel.n);
	p = median(plain.ms, plain.n);
	parts(&load_ms, &plan_ms, &rec_ms);
	report_steps(sec, rounds, &sum, &ihk);
	printf("  %-42s %8.3f\n", "rest: exec, dlopen, config, lock, records, verify", c - sum);
	result(sec, "rest: exec, dlopen, config, lock, records, verify", c - sum, "ms", 0, NULL, 0);
	printf("in-process parts: topology load (XML) %.3f ms, planning %.4f ms, job records (5 writes + remove) %.3f ms\n",
	       load_ms, plan_ms, rec_ms);
	result(sec, "part: topology load (cached XML)", load_ms, "ms", 0, NULL, 0);
	result(sec, "part: planning", plan_ms, "ms", 0, NULL, 0);
	result(sec, "part: job records (5 writes + remove)", rec_ms, "ms", 0, NULL, 0);

	printf("\nprologue+epilogue, --mckernel job: median %.2f ms\n", c);
	printf("prologue+epilogue, job without --mckernel: median %.2f ms\n", p);
	printf("baseline (mcreboot.sh + mcstop+release.sh steps): median %.2f ms\n", b);
	/*
	 * The goal holds what the integration costs: the IHK double's own
	 * calls (file state, locks, /proc scans) stand for ioctls of a real
	 * libihk, whose time the observed model gives instead.
	 */
	own = median_own(&cand, rounds);
	printf("of which the IHK double's calls %.2f ms: the integration's own %.2f ms\n", ihk,
	       own);
	result(sec, "prologue+epilogue minus the IHK double's calls, per job per node", own,
	       "ms", 0, "< 50 ms", own < 50);
	result(sec, "prologue+epilogue per job per node vs mcreboot-style baseline", c, "ms", b,
	       NULL, 0);
	result(sec, "prologue+epilogue, job without --mckernel vs --mckernel job", p, "ms", c,
	       NULL, 0);
	/* what N nodes' prologues ask of a machine that runs them all (bench-scale) */
	printf("CPU time (user + system) of prologue+epilogue: --mckernel job %.2f ms, without it %.2f ms\n",
	       median(cand.cpu, cand.n), median(plain.cpu, plain.n));
	result(sec, "CPU time of prologue+epilogue per job per node vs job without --mckernel",
	       median(cand.cpu, cand.n), "ms", median(plain.cpu, plain.n), NULL, 0);

	printf("\npeak RSS (KiB): prologue+mckctl boot %ld, epilogue+mckctl teardown %ld, baseline boot %ld, baseline stop %ld\n",
	       cand.rss_a, cand.rss_b, basel.rss_a, basel.rss_b);
	result("5 memory@zero", "peak RSS mck-prologue + mckctl boot vs baseline boot", cand.rss_a,
	       "KiB", basel.rss_a, NULL, 0);
	result("5 memory@zero", "peak RSS mck-epilogue + mckctl teardown vs baseline stop",
	       cand.rss_b, "KiB", basel.rss_b, NULL, 0);
}

/*
 * Latency observed: what a job pays on a real node, and how much of it is
 * the integration's own (everything but the IHK calls the model times).
 */
static void series_observed(long rounds)
{
	static struct steplog log1;
	struct series cand = { .n = 0 }, basel = { .n = 0 };
	const char *sec = "1 node-side@observed";
	double sum, ihk, c, b, over;

	cur = &log1;
	set_latency("observed");
	skip_log();
	printf("\nlatency observed (the double's model of a real node): %ld rounds, interleaved with the baseline\n",
	       rounds);
	for (int r = 0; r < rounds; r++) {
		candidate(&cand, 1, r);
		base(&basel);
	}
	set_latency("zero");
	c = median(cand.ms, cand.n);
	b = median(basel.ms, basel.n);
	report_steps(sec, rounds, &sum, &ihk);
	over = median_own(&cand, rounds);
	printf("--mckernel job: median %.2f ms, of which IHK's %.2f ms: overhead %.2f ms = %.2f%% of IHK's\n",
	       c, ihk, over, ihk > 0 ? 100 * over / ihk : 0);
	printf("baseline: median %.2f ms\n", b);
	result(sec, "prologue+epilogue minus IHK's calls (baseline: IHK's calls)", over, "ms", ihk,
	       "< 5% of IHK's", over < 0.05 * ihk);
	result(sec, "prologue+epilogue per job per node vs mcreboot-style baseline", c, "ms", b,
	       NULL, 0);
}

int main(int argc, char **argv)
{
	const char *builddir = NULL, *srcdir = NULL;
	long rounds = 9, observed_rounds = 5;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-drop-caches"))
			drop_caches = 0;
		else if (i + 1 < argc && !strcmp(argv[i], "--builddir"))
			builddir = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--srcdir"))
			srcdir = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--rounds")) {
			if (mck_parse_long(argv[++i], 1, MAX_ROUNDS, &rounds))
				die("--rounds: 1..%d", MAX_ROUNDS);
		} else if (i + 1 < argc && (!strcmp(argv[i], "--observed-rounds") ||
					    !strcmp(argv[i], "--slow-rounds"))) {
			if (mck_parse_long(argv[++i], 0, MAX_ROUNDS, &observed_rounds))
				die("--observed-rounds: 0..%d", MAX_ROUNDS);
		} else {
			fprintf(stderr, "usage: bench-node --builddir DIR --srcdir DIR [--rounds N] [--observed-rounds N] [--no-drop-caches]\n");
			return 1;
		}
	}
	if (!builddir || !srcdir) {
		fprintf(stderr, "bench-node: --builddir and --srcdir are required\n");
		return 1;
	}
	if (geteuid() != 0) {
		printf("bench-node: SKIPPED: needs root (the IHK double's state-changing calls)\n");
		printf("RESULT|1 node-side|skipped: needs root|0|||||\n");
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	setup(builddir, srcdir);
	series_zero(rounds);
	if (observed_rounds > 0)
		series_observed(observed_rounds);

	/* clean up when everything is clean */
	{
		char *rm[4] = { "/bin/rm", "-rf", T, NULL };
		char *env[1] = { NULL };
		double ms;

		check_clean("the end");
		printf("node clean after every job and baseline round (mckctl check)\n");
		run(rm, env, &ms, NULL);
	}
	return 0;
}
