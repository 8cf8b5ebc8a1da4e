/*
 * report.c: the one line per job that tells the user how McKernel booted,
 * on the error output of the job's first --mckernel step:
 *
 *   mckernel: 2 nodes: McKernel booted in 1.62 s (max), 6 CPUs, 2 x 2.0 GiB
 *   per node; kernel messages: /var/lib/slurm-mckernel/kmsg/17.kmsg
 *
 * (one line per distinct plan). Slurm 22.05 gives SPANK no way back from
 * the nodes' slurmstepd to srun; what does reach srun from every node are
 * the tasks, which start after every node's prologue has finished. So:
 *   - srun (local context, local_user_init: the step exists) listens on a
 *     TCP port and gives "PORT:TOKEN" to the tasks (SLURM_MCKERNEL_REPORT);
 *   - on each node, root's mckctl step answers, for the job's first step
 *     only, with that node's figures from its job record (step.c keeps
 *     them in ctx->node_report);
 *   - each node's first task, as the user, before it becomes mcexec, sends
 *     "TOKEN NODE FIGURES" to SLURM_SRUN_COMM_HOST:PORT (the address srun
 *     gives its tasks), at most 1 s, never failing the task;
 *   - srun prints the lines once every node of the step has reported, or
 *     at its exit with what came.
 * Nothing root does depends on what the job's environment says: the user's
 * own task carries root's figures to the user's own srun.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "mck-lists.h"
#include "mck-spank.h"
#include "report.h"

#define MAX_LINE 512
#define MAX_NODES 65536
#define SEND_MS 1000

struct mck_report {
	int lfd;		/* listening socket */
	int stop[2];		/* a byte on stop[1] ends the thread */
	pthread_t thread;
	int running;
	char token[33];
	int nnodes;		/* nodes of the step; 0 unknown */
	pthread_mutex_t lock;
	char **lines;		/* "NODE FIGURES" as received */
	int n, cap;
	int printed;
};

/* ------------------------------------------------------------ the summary */

struct figures {
	char node[64];
	double boot_ms;
	int cpus;
	char mem[160];
	char kmsg[256];
};

/* "NODE boot_ms=MS;cpus=N;mem=LIST;kmsg=PATH" into f; 0 or -1. */
static int parse_figures(const char *line, struct figures *f)
{
	char buf[MAX_LINE], *sp, *item, *save;

	memset(f, 0, sizeof(*f));
	f->cpus = -1;
	f->boot_ms = -1;
	snprintf(buf, sizeof(buf), "%s", line);
	sp = strchr(buf, ' ');
	if (!sp || sp == buf || sp - buf >= (long)sizeof(f->node))
		return -1;
	*sp = '\0';
	memcpy(f->node, buf, sp - buf + 1);
	for (item = strtok_r(sp + 1, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
		if (!strncmp(item, "boot_ms=", 8))
			f->boot_ms = strtod(item + 8, NULL);
		else if (!strncmp(item, "cpus=", 5))
			f->cpus = atoi(item + 5);
		else if (!strncmp(item, "mem=", 4))
			snprintf(f->mem, sizeof(f->mem), "%s", item + 4);
		else if (!strncmp(item, "kmsg=", 5))
			snprintf(f->kmsg, sizeof(f->kmsg), "%s", item + 5);
	}
	return f->cpus < 0 || f->boot_ms < 0 || !f->mem[0] ? -1 : 0;
}

/* "2 x 2.0 GiB" for 2G@0,2G@1; "2.0 + 1.0 GiB" when the nodes differ. */
static void memory_text(const char *mem, char *buf, size_t len)
{
	struct mck_mem_chunk *m = NULL;
	int n = 0, same = 1;
	size_t used;

	if (mck_memlist_parse(mem, &m, &n, NULL) || n == 0) {
		snprintf(buf, len, "memory %s", mem);
		free(m);
		return;
	}
	for (int i = 1; i < n; i++)
		same &= m[i].size == m[0].size;
	if (same) {
		snprintf(buf, len, "%d x %.1f GiB", n, m[0].size / 1073741824.0);
	} else {
		buf[0] = '\0';
		for (int i = 0; i < n && (used = strlen(buf)) < len; i++)
			snprintf(buf + used, len - used, "%s%.1f", i ? " + " : "",
				 m[i].size / 1073741824.0);
		if ((used = strlen(buf)) < len)
			snprintf(buf + used, len - used, " GiB");
	}
	free(m);
}

int mck_report_summary(char *const *lines, int n, int nnodes, char *out, size_t len)
{
	struct figures *f = calloc(n > 0 ? n : 1, sizeof(*f));
	char *done = calloc(n > 0 ? n : 1, 1), mem[128];
	int good = 0, groups = 0;
	size_t used = 0;

	out[0] = '\0';
	if (!f || !done) {
		free(f);
		free(done);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++)
		done[i] = parse_figures(lines[i], &f[i]) != 0;	/* bad lines are left out */
	for (int i = 0; i < n; i++)
		good += !done[i];
	for (int i = 0; i < n && used < len; i++) {
		double max;
		int count = 0;

		if (done[i])
			continue;
		max = f[i].boot_ms;
		/* one line per plan: the same CPUs and memory */
		for (int j = i; j < n; j++)
			if (!done[j] && f[j].cpus == f[i].cpus && !strcmp(f[j].mem, f[i].mem)) {
				done[j] = j != i;
				count++;
				if (f[j].boot_ms > max)
					max = f[j].boot_ms;
			}
		done[i] = 1;
		memory_text(f[i].mem, mem, sizeof(mem));
		used += snprintf(out + used, len - used,
				 "mckernel: %d node%s: McKernel booted in %.2f s%s, %d CPUs, %s per "
				 "node; kernel messages: %s", count, count == 1 ? "" : "s",
				 max / 1000, count > 1 ? " (max)" : "", f[i].cpus, mem,
				 f[i].kmsg[0] ? f[i].kmsg : "(not saved)");
		if (groups++ == 0 && nnodes > good && used < len)
			used += snprintf(out + used, len - used, " (%d of %d nodes reported)", good,
					 nnodes);
		if (used < len)
			used += snprintf(out + used, len - used, "\n");
	}
	free(f);
	free(done);
	return groups;
}

/* -------------------------------------------------------- srun: listening */

static void print_once(struct mck_report *r)
{
	char out[4096];

	/* under r->lock */
	if (r->printed || !r->n)
		return;
	if (mck_report_summary(r->lines, r->n, r->nnodes, out, sizeof(out)) > 0) {
		fputs(out, stderr);
		fflush(stderr);
	}
	r->printed = 1;
}

/* One connection: "TOKEN NODE FIGURES\n" within 1 s; kept when the token is ours. */
static void take_one(struct mck_report *r, int fd)
{
	char buf[MAX_LINE], *nl;
	size_t got = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (got < sizeof(buf) - 1 && poll(&p, 1, SEND_MS) == 1) {
		ssize_t k = read(fd, buf + got, sizeof(buf) - 1 - got);

		if (k <= 0)
			break;
		got += k;
		buf[got] = '\0';
		if (strchr(buf, '\n'))
			break;
	}
	buf[got] = '\0';
	nl = strchr(buf, '\n');
	if (!nl || strncmp(buf, r->token, strlen(r->token)) || buf[strlen(r->token)] != ' ')
		return;
	*nl = '\0';
	pthread_mutex_lock(&r->lock);
	if (r->n < MAX_NODES && (r->n < r->cap || (r->lines = realloc(r->lines,
			(r->cap = r->cap ? 2 * r->cap : 16) * sizeof(char *))))) {
		r->lines[r->n] = strdup(buf + strlen(r->token) + 1);
		if (r->lines[r->n])
			r->n++;
	}
	if (r->nnodes && r->n >= r->nnodes)
		print_once(r);
	pthread_mutex_unlock(&r->lock);
}

static void *listen_thread(void *arg)
{
	struct mck_report *r = arg;
	struct pollfd p[2] = { { .fd = r->lfd, .events = POLLIN },
			       { .fd = r->stop[0], .events = POLLIN } };

	for (;;) {
		int fd;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents) {
			/* srun ends: what already came in is still read */
			while ((fd = accept4(r->lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
				take_one(r, fd);
				close(fd);
			}
			break;
		}
		fd = accept4(r->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		take_one(r, fd);
		close(fd);
		pthread_mutex_lock(&r->lock);
		fd = r->printed;
		pthread_mutex_unlock(&r->lock);
		if (fd)
			break;
	}
	return NULL;
}

/* A listening TCP socket on every address (IPv6 with IPv4, else IPv4); its port. */
static int open_listener(int *port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
	struct sockaddr_storage got;
	socklen_t len = sizeof(got);
	int fd, off = 0;

	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) ||
			bind(fd, (struct sockaddr *)&a6, sizeof(a6)))) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && bind(fd, (struct sockaddr *)&a4, sizeof(a4))) {
			close(fd);
			fd = -1;
		}
	}
	/* non-blocking: accept only after poll, and the drain at the end stops at once */
	if (fd < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) || listen(fd, 128) ||
	    getsockname(fd, (struct sockaddr *)&got, &len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port :
		      ((struct sockaddr_in *)&got)->sin_port);
	return fd;
}

static void report_free(struct mck_report *r)
{
	for (int i = 0; i < r->n; i++)
		free(r->lines[i]);
	free(r->lines);
	if (r->lfd >= 0)
		close(r->lfd);
	if (r->stop[0] >= 0)
		close(r->stop[0]);
	if (r->stop[1] >= 0)
		close(r->stop[1]);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

int mck_report_listen(spank_t sp, struct mck_spank_ctx *ctx)
{
	struct mck_report *r;
	unsigned char raw[16];
	char env[64];
	uint32_t nnodes = 0;
	int port;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -1;
	r->lfd = r->stop[0] = r->stop[1] = -1;
	pthread_mutex_init(&r->lock, NULL);
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw) ||
	    pipe2(r->stop, O_CLOEXEC) || (r->lfd = open_listener(&port)) < 0)
		goto fail;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(r->token + 2 * i, 3, "%02x", raw[i]);
	if (spank_get_item(sp, S_JOB_NNODES, &nnodes) == ESPANK_SUCCESS)
		r->nnodes = (int)nnodes;
	snprintf(env, sizeof(env), "%d:%s", port, r->token);
	/* the tasks get srun's environment: its own when SPANK cannot set the job's here */
	if (spank_setenv(sp, MCK_REPORT_ENV, env, 1) != ESPANK_SUCCESS &&
	    setenv(MCK_REPORT_ENV, env, 1))
		goto fail;
	if (pthread_create(&r->thread, NULL, listen_thread, r))
		goto fail;
	r->running = 1;
	ctx->report = r;
	return 0;
fail:
	slurm_debug(MCK_SPANK_PREFIX "no line about the boot: cannot listen for the nodes' reports");
	report_free(r);
	return -1;
}

void mck_report_finish(struct mck_spank_ctx *ctx)
{
	struct mck_report *r = ctx->report;

	if (!r)
		return;
	if (r->running) {
		if (write(r->stop[1], "x", 1) < 0)
			pthread_cancel(r->thread);
		pthread_join(r->thread, NULL);
	}
	print_once(r);
	report_free(r);
	ctx->report = NULL;
}

/* ------------------------------------------------ a node's first task */

static const char *env_of(char **env, const char *name)
{
	size_t n = strlen(name);

	for (; env && *env; env++)
		if (!strncmp(*env, name, n) && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

/* connect() within ms; the socket or -1. */
static int connect_within(const struct addrinfo *ai, int ms)
{
	struct pollfd p;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS)
		goto fail;
	p.fd = fd;
	p.events = POLLOUT;
	if (poll(&p, 1, ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) || soerr)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

void mck_report_send(const struct mck_spank_ctx *ctx, char **env)
{
	const char *to = env_of(env, MCK_REPORT_ENV), *host = env_of(env, "SLURM_SRUN_COMM_HOST");
	const char *node = env_of(env, "SLURMD_NODENAME");
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	char port[16], line[MAX_LINE];
	const char *colon;
	int fd = -1, n;

	if (!ctx->node_report[0] || !to || !host || !(colon = strchr(to, ':')) ||
	    colon - to >= (long)sizeof(port))
		return;
	snprintf(port, sizeof(port), "%.*s", (int)(colon - to), to);
	n = snprintf(line, sizeof(line), "%s %s %s\n", colon + 1, node && *node ? node : "?",
		     ctx->node_report);
	if (n <= 0 || n >= (int)sizeof(line) || getaddrinfo(host, port, &hints, &res))
		return;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
		fd = connect_within(ai, SEND_MS);
	freeaddrinfo(res);
	if (fd < 0) {
		slurm_debug(MCK_SPANK_PREFIX "cannot reach srun at %s:%s for the boot line", host, port);
		return;
	}
	if (write(fd, line, n) != n)
		slurm_debug(MCK_SPANK_PREFIX "the boot line did not reach srun");
	close(fd);
}
