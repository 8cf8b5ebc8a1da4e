/*
 * mcexec-run.c: running the rank. The program is forked bound to its
 * share of the LWK CPUs (those this machine has) and to the instance's
 * NUMA nodes; mcexec stays as the Linux-side proxy, forwards signals,
 * passes the exit status, re-raises a killing signal, and ends the rank
 * with a one-line reason and exit 1 when the instance goes away under it
 * (panic, hang, shutdown, destroy, the node's IHK crashing): the program
 * ran in the LWK, which is gone.
 */
#include "config.h"
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ihk-double.h"
#include "ihklib-abi.h"
#include "mcexec.h"
#include "mck-lists.h"
#include "mck-util.h"

#define MPOL_BIND_MODE 2	/* MPOL_BIND of <numaif.h> */

int in_list(const int *v, int n, int x)
{
	for (int i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
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

/* In the child: bind to the share, only where this machine has the CPUs/nodes. */
static void bind_child(const int *cpus, int ncpus, const int *numa, int nnuma)
{
	int *online = NULL, *nodes = NULL, nonline = 0, nnodes = 0, bound = 0;
	unsigned long mask[MCEXEC_MAX_NUMA / (8 * sizeof(unsigned long))];
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
			if (in_list(nodes, nnodes, numa[i]) && numa[i] < MCEXEC_MAX_NUMA) {
				mask[numa[i] / (8 * sizeof(unsigned long))] |=
					1UL << (numa[i] % (8 * sizeof(unsigned long)));
				bound++;
			}
	if (bound)
		syscall(SYS_set_mempolicy, MPOL_BIND_MODE, mask, (unsigned long)MCEXEC_MAX_NUMA + 1);
	free(online);
	free(nodes);
}

/*
 * The proxy (this process) stays on Linux. On a real node the CPUs IHK
 * holds are offline: nothing can have bound the proxy to them, and
 * binding only to them fails with EINVAL. The double's machine has those
 * CPUs online, so check what a real kernel would have refused: a proxy
 * whose allowed CPUs include none the double counts as online fails like
 * the refused binding; its allowed Linux CPUs are recorded.
 */
char *proxy_cpus(const struct lwk *l)
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

/* ------------------------------------------------------------- signals */

static volatile sig_atomic_t child_pid;
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

/* ---------------------------------------------------- the LWK going away */

enum gone { RUNS, PANICKED, HUNG, SHUT_DOWN, DESTROYED, CRASHED };

#define KMSG_NOTE "; the job's kernel messages are saved by the epilogue (STATE_DIR/kmsg/JOBID.kmsg)"

/* Record value and one-line reason of each way the LWK goes away. */
static const struct { const char *word, *what, *note; } gone_text[] = {
	[PANICKED] = { "PANIC", "went PANIC", KMSG_NOTE },
	[HUNG] = { "HUNGUP", "went HUNGUP", KMSG_NOTE },
	[SHUT_DOWN] = { "shutdown", "was shut down", "" },
	[DESTROYED] = { "destroyed", "was destroyed", "" },
	[CRASHED] = { "crashed", "is gone, the node's IHK crashed,", "" },
};

static enum gone instance_state(int os, unsigned gen)
{
	struct ihk_double_peek p;
	int rc = ihk_double_os_peek(os, &p);

	if (rc == -EIO)
		return CRASHED;
	if (rc < 0 || p.gen != gen)
		return DESTROYED;
	if (p.phase == IHK_DOUBLE_SHUTTING || p.phase == IHK_DOUBLE_DOWN || p.poisoned)
		return SHUT_DOWN;
	if (p.status == IHK_STATUS_PANIC)
		return PANICKED;
	if (p.status == IHK_STATUS_HUNGUP)
		return HUNG;
	return RUNS;
}

/* Wait for the program, looking at the instance every 100 ms. */
static int watch(const struct opts *o, const struct lwk *l, pid_t pid, const char *prog,
		 struct record *rec, int *status)
{
	for (;;) {
		enum gone g;
		int w = mck_wait_pid(pid, 100, status);

		if (w == 0)
			return 0;
		if (w != -ETIMEDOUT) {
			fprintf(stderr, "mcexec: waitpid: %s\n", strerror(-w));
			return EXIT_FAILURE;
		}
		if ((g = instance_state(o->os, l->gen)) == RUNS)
			continue;
		kill(pid, SIGKILL);
		mck_wait_pid(pid, -1, status);
		record_end(rec, "lwk", gone_text[g].word);
		fprintf(stderr, "mcexec: McKernel instance %d %s while %s ran: rank ended%s\n",
			o->os, gone_text[g].what, prog, gone_text[g].note);
		return EXIT_FAILURE;
	}
}

/* In the child: the -e variables (the first of a name wins), binding, exec. */
static void exec_child(const struct opts *o, const struct lwk *l, const char *program,
		       char **argv, const int *numa, int nnuma, const struct share *s,
		       const sigset_t *old)
{
	for (int i = 0; i < NFORWARDED; i++)
		signal(forwarded[i], SIG_DFL);
	sigprocmask(SIG_SETMASK, old, NULL);
	for (int i = o->nenv - 1; i >= 0; i--) {
		char *eq = strchr(o->env[i], '=');

		*eq = '\0';
		setenv(o->env[i], eq + 1, 1);
		*eq = '=';
	}
	bind_child(l->cpus + s->first, s->count, numa, nnuma);
	execv(program, argv);
	fprintf(stderr, "%s: could not load program: %s\n", argv[0], strerror(errno));
	_exit(EXIT_FAILURE);
}

int run_program(const struct opts *o, const struct lwk *l, const char *program,
		char **argv, const int *numa, int nnuma, const struct share *s,
		struct record *rec, const char *proxy)
{
	char *cpus_text = mck_cpulist_format(l->cpus + s->first, s->count);
	char *numa_text = mck_cpulist_format(numa, nnuma);
	char value[16];
	sigset_t block, old;
	struct sigaction sa;
	int status, rc;
	pid_t pid;

	if (!cpus_text || !numa_text) {
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
		fprintf(stderr, "%s: could not load program: %s\n", argv[0], strerror(errno));
		return EXIT_FAILURE;
	}
	if (pid == 0)
		exec_child(o, l, program, argv, numa, nnuma, s, &old);
	child_pid = pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &sa, NULL);
	record_start(rec, o, l, pid, cpus_text, numa_text, program, proxy);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if ((rc = watch(o, l, pid, argv[0], rec, &status)))
		return rc;
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		snprintf(value, sizeof(value), "%d", sig);
		record_end(rec, "signal", value);
		fprintf(stderr, "Terminate by signal %d\n", sig);
		fflush(stderr);
		reraise(sig);
	}
	snprintf(value, sizeof(value), "%d", WEXITSTATUS(status));
	record_end(rec, "exit", value);
	return WEXITSTATUS(status);
}
