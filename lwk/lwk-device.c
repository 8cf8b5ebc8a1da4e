/*
 * lwk-device.c: an instance's device file (/dev/mcosN): its path, its
 * owner and mode, and the processes holding it open. Real devices are
 * character devices, the IHK double's may be regular files: both work.
 * See lwk-internal.h.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lwk-internal.h"
#include "mck-budget.h"
#include "mck-util.h"

#define MAX_HOLDERS 64

void lwk_device_path(const struct mck_config *cfg, int os, char *buf, size_t len)
{
	snprintf(buf, len, "%s/mcos%d", cfg->device_dir, os);
}

/* A device file we may change: a character device or a regular file, not a link. */
static int device_kind_ok(const char *path, struct stat *st)
{
	if (lstat(path, st))
		return -errno;
	return S_ISCHR(st->st_mode) || S_ISREG(st->st_mode) ? 0 : -EINVAL;
}

int lwk_device_restore(struct lwk_ctx *c, const char *path)
{
	struct stat st;
	int rc = device_kind_ok(path, &st);

	if (rc == -ENOENT)
		return 0;
	if (rc) {
		lwk_log(c, "%s is not a device file: left alone", path);
		return rc;
	}
	if (st.st_uid == 0 && st.st_gid == 0 && (st.st_mode & 07777) == 0600)
		return 0;
	if (lchown(path, 0, 0) || chmod(path, 0600)) {
		rc = -errno;
		lwk_log(c, "device %s back to root 0600 failed: %s", path, strerror(errno));
		return rc;
	}
	lwk_log(c, "device %s back to root, mode 0600 (was uid %lu mode %04o)", path,
		(unsigned long)st.st_uid, (unsigned)(st.st_mode & 07777));
	return 0;
}

int lwk_device_give(struct lwk_ctx *c, const char *path, uid_t uid, gid_t gid,
		    struct mck_error *err)
{
	char args[PATH_MAX + 64];
	struct stat st;
	double t0 = mck_now_ms();
	int rc = device_kind_ok(path, &st);

	snprintf(args, sizeof(args), "%s, %lu:%lu, 0600", path, (unsigned long)uid,
		 (unsigned long)gid);
	if (!rc && (lchown(path, uid, gid) || chmod(path, 0600)))
		rc = -errno;
	lwk_log_call(c, "chown", args, rc, t0);
	if (rc)
		return mck_fail(err, rc, "boot failed at chown: %s to %lu:%lu: %s", path,
				(unsigned long)uid, (unsigned long)gid,
				rc == -EINVAL ? "not a device file" : strerror(-rc));
	return 0;
}

/* ------------------------------------------------------------- holders */

/* Does the open file st (of /proc/PID/fd/N) refer to the device want? */
static int same_file(const struct stat *st, const struct stat *want)
{
	if (S_ISCHR(want->st_mode))
		return S_ISCHR(st->st_mode) && st->st_rdev == want->st_rdev;
	return st->st_dev == want->st_dev && st->st_ino == want->st_ino;
}

static int pid_holds(unsigned long pid, const struct stat *want)
{
	char fddir[64], link[64 + 256];
	struct dirent *f;
	int holds = 0;
	DIR *fds;

	snprintf(fddir, sizeof(fddir), "/proc/%lu/fd", pid);
	fds = opendir(fddir);
	if (!fds)
		return 0;
	while (!holds && (f = readdir(fds))) {
		struct stat st;

		if (f->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", fddir, f->d_name);
		holds = stat(link, &st) == 0 && same_file(&st, want);
	}
	closedir(fds);
	return holds;
}

/* Real and effective uid of pid (-1 each when unknown) and its name. */
static void pid_owner(pid_t pid, uid_t *ruid, uid_t *euid, char *comm, size_t len)
{
	char path[64], line[256];
	FILE *f;

	*ruid = *euid = (uid_t)-1;
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			unsigned long r, e;

			if (sscanf(line, "Uid: %lu %lu", &r, &e) == 2) {
				*ruid = r;
				*euid = e;
				break;
			}
		}
		fclose(f);
	}
	snprintf(comm, len, "?");
	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, len, f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
}

int lwk_device_holders(const char *path, struct lwk_holder *h, int max)
{
	struct stat want;
	struct dirent *p;
	int n = 0;
	DIR *proc;

	if (stat(path, &want))
		return 0;
	proc = opendir("/proc");
	if (!proc)
		return 0;
	while ((p = readdir(proc))) {
		unsigned long pid;

		if (mck_parse_ulong(p->d_name, &pid) || (pid_t)pid == getpid() ||
		    !pid_holds(pid, &want))
			continue;
		if (n < max) {
			h[n].pid = (pid_t)pid;
			pid_owner(h[n].pid, &h[n].ruid, &h[n].uid, h[n].comm,
				  sizeof(h[n].comm));
		}
		n++;
	}
	closedir(proc);
	return n;
}

void lwk_holders_text(const struct lwk_holder *h, int n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && used + 1 < len; i++) {
		int w = snprintf(buf + used, len - used, "%spid %ld (%s, uid %lu)",
				 i ? ", " : "", (long)h[i].pid, h[i].comm,
				 (unsigned long)h[i].uid);

		if (w < 0 || (size_t)w >= len - used)
			break;
		used += w;
	}
}

/* ------------------------------------------------------ ending holders */

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/*
 * One line on the holder's standard error, so that a rank's output says
 * why it ended: through a copy of its own descriptor (pidfd_getfd: the
 * write goes exactly where the process's own writes go, with its open
 * mode), else only when that descriptor is a pipe (as slurmstepd gives
 * tasks). Only when it can take the line at once (lines are shorter than
 * PIPE_BUF, so a writable pipe takes it whole).
 */
static void tell_holder(int pidfd, pid_t pid, const char *line)
{
	struct pollfd p = { .fd = -1, .events = POLLOUT };
	char path[64];
	struct stat st;
	int fd = -1;

	if (pidfd >= 0)
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, 2, 0);
	if (fd < 0) {
		snprintf(path, sizeof(path), "/proc/%ld/fd/2", (long)pid);
		if (stat(path, &st) || !S_ISFIFO(st.st_mode))
			return;
		fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			return;
	}
	/* never wait on the holder's output (a full pipe nobody reads) */
	p.fd = fd;
	if (poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) && write(fd, line, strlen(line)) < 0) {
		/* the holder's output is gone: nothing to tell */
	}
	close(fd);
}

/* TERM or KILL one holder by its pidfd (no pid reuse), else by pid. */
static void signal_holder(int pidfd, pid_t pid, int sig)
{
	if (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0)
		return;
	if (pidfd < 0)
		kill(pid, sig);
}

/* Is any of the n holders (pidfds or pids) still holding path? */
static int any_still_holds(const char *path, const pid_t *pids, int n)
{
	struct lwk_holder now[MAX_HOLDERS];
	int m = lwk_device_holders(path, now, MAX_HOLDERS);

	for (int i = 0; i < m && i < MAX_HOLDERS; i++)
		for (int k = 0; k < n; k++)
			if (now[i].pid == pids[k])
				return 1;
	return 0;
}

int lwk_device_end_holders(struct lwk_ctx *c, const char *path, uid_t uid, const char *why)
{
	struct lwk_holder h[MAX_HOLDERS];
	pid_t pids[MAX_HOLDERS];
	int pidfds[MAX_HOLDERS];
	char line[600];
	double deadline;
	int n = lwk_device_holders(path, h, MAX_HOLDERS), k = 0;

	if (uid == 0 || uid == (uid_t)-1)
		return 0;
	if (n > MAX_HOLDERS)
		n = MAX_HOLDERS;
	snprintf(line, sizeof(line), "%s: %s\n", program_invocation_short_name,
		 why ? why : "the McKernel instance is being removed: this process ends");
	for (int i = 0; i < n; i++) {
		/* never root's, never another user's: both ids must be the job user's */
		if (h[i].uid != uid || h[i].ruid != uid)
			continue;
		pids[k] = h[i].pid;
		pidfds[k] = (int)syscall(SYS_pidfd_open, h[i].pid, 0);
		if (pidfds[k] < 0 && errno == ESRCH)
			continue;	/* gone already */
		lwk_log(c, "ending pid %ld (%s, uid %lu) that holds %s: TERM, KILL after %d s",
			(long)h[i].pid, h[i].comm, (unsigned long)uid, path, MCK_HOLDER_GRACE_S);
		tell_holder(pidfds[k], pids[k], line);
		signal_holder(pidfds[k], pids[k], SIGTERM);
		k++;
	}
	deadline = mck_now_ms() + MCK_HOLDER_GRACE_S * 1000.0;
	while (k && any_still_holds(path, pids, k) && mck_now_ms() < deadline)
		usleep(100 * 1000);
	if (k && any_still_holds(path, pids, k)) {
		for (int i = 0; i < k; i++)
			signal_holder(pidfds[i], pids[i], SIGKILL);
		lwk_log(c, "holders of %s still there after %d s: KILL", path, MCK_HOLDER_GRACE_S);
		deadline = mck_now_ms() + 2000.0;
		while (any_still_holds(path, pids, k) && mck_now_ms() < deadline)
			usleep(50 * 1000);
	}
	for (int i = 0; i < k; i++)
		if (pidfds[i] >= 0)
			close(pidfds[i]);
	return k;
}
