/*
 * mcexec-partition.c: partitioned execution (-n N). Real mcexec asks the
 * kernel; here the N processes with the same parent meet in a group file,
 * take slots by order of arrival and wait for each other (10 s + N x 0.1 s,
 * then "Connection timed out"). Each gets ncpu/N LWK CPUs.
 *
 * The group files are the user's own: /dev/shm/mcexec-double-UID/ (mode
 * 0700, else /tmp), so that partitioning needs nothing from root and
 * nothing in the node's state directory.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include "ihklib-abi.h"
#include "mcexec.h"
#include "mck-util.h"

struct group {
	unsigned gen;
	int n, round, arrived, done;
	pid_t pids[IHK_MAX_NUM_CPUS];
};

static void partition_fail(const char *why)
{
	fprintf(stderr, "getting CPU set for partitioned execution: %s\n", why);
	exit(EXIT_FAILURE);
}

/* The user's private directory for group files, created 0700. */
static int group_dir(char *buf, size_t len)
{
	static const char *const bases[] = { "/dev/shm", "/tmp" };
	struct stat st;

	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		if (stat(bases[i], &st) || !S_ISDIR(st.st_mode))
			continue;
		snprintf(buf, len, "%s/mcexec-double-%lu", bases[i], (unsigned long)getuid());
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		if (lstat(buf, &st))
			return -errno;
		/* someone else's, or a link: not ours to use */
		if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
			return -EPERM;
		return 0;
	}
	return -ENOENT;
}

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
		int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

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

static double partition_timeout_ms(int nproc)
{
	const char *knob = getenv("MCEXEC_DOUBLE_PARTITION_TIMEOUT_MS");
	long v;

	if (knob && *knob && mck_parse_long(knob, 0, 3600000, &v) == 0)
		return v;
	return 10000.0 + nproc * 100.0;
}

/* Arrive in this round of the group; returns the round. */
static int arrive(const char *path, const struct opts *o, const struct lwk *l, struct share *s)
{
	struct group g;
	int fd, rc;

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
	rc = group_write(fd, &g);
	close(fd);
	if (rc < 0)
		partition_fail(strerror(-rc));
	return g.round;
}

/* Nobody came: remove the group file when this process is all it has. */
static void leave_group(const char *path, int round)
{
	struct group g;
	int fd = group_lock(path);

	if (fd >= 0) {
		group_read(fd, &g);
		if (g.round == round && g.arrived <= 1)
			unlink(path);
		close(fd);
	}
	partition_fail(strerror(ETIMEDOUT));
}

/* Wait until the round is complete; the last one to leave removes the file. */
static void wait_group(const char *path, int round, double timeout_ms)
{
	double deadline = mck_now_ms() + timeout_ms;
	struct group g;

	for (;;) {
		int complete, fd = group_lock(path);

		if (fd < 0)
			partition_fail(strerror(-fd));
		group_read(fd, &g);
		complete = g.round != round || g.arrived >= g.n;
		if (complete && g.round == round) {
			if (++g.done >= g.n)
				unlink(path);
			else
				group_write(fd, &g);
		}
		close(fd);
		if (complete)
			return;
		if (mck_now_ms() >= deadline)
			leave_group(path, round);
		usleep(5000);
	}
}

void take_share(const struct opts *o, const struct lwk *l, struct share *s)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	int rc, round;

	s->slot = -1;
	s->first = 0;
	s->count = l->ncpus;
	if (o->target_cpu != -1) {
		if (o->target_cpu < 0 || o->target_cpu >= l->ncpus) {
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
	if ((rc = group_dir(dir, sizeof(dir))) < 0)
		partition_fail(strerror(-rc));
	snprintf(path, sizeof(path), "%s/partition-%ld-os%d", dir, (long)getppid(), o->os);
	round = arrive(path, o, l, s);
	wait_group(path, round, partition_timeout_ms(o->nproc));
	s->count = l->ncpus / o->nproc;
	s->first = s->slot * s->count;
}
