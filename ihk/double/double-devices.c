/*
 * double-devices.c: the double's device files and what hangs off them.
 *
 * STATE/dev/mcd0 and STATE/dev/mcosN are regular files, or, with
 * device_files = char, character devices of a major no driver has (open
 * gives ENXIO, like a node whose module is gone; permission checks and
 * /proc/PID/fd holders work as for the real ones).
 *
 * The mcexec double records its runs in STATE/mcexec/osN/PID.rec: one
 * directory per instance, created by create_os, kept owned (mode 0700) by
 * whoever owns STATE/dev/mcosN (synchronised at every call made as root),
 * and folded into STATE/mcexec.log (one line per run, root's) and removed
 * by destroy_os. Users cannot write anywhere else in the state directory.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "double-internal.h"
#include "mck-util.h"

#define MAX_RECORD_BYTES 8192	/* a record is a few hundred bytes */
#define MAX_RETIRED 1024	/* records of one instance folded into the log */
#define MAX_DEPTH 8

/* ------------------------------------------------------------- devices */

/* Is this character major registered with the kernel (/proc/devices)? */
static int major_in_use(unsigned major)
{
	char line[128];
	int in_char = 0, used = 0;
	unsigned m;
	FILE *f = fopen("/proc/devices", "re");

	if (!f)
		return 1;
	while (!used && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Character devices:", 18))
			in_char = 1;
		else if (!strncmp(line, "Block devices:", 14))
			in_char = 0;
		else if (in_char && sscanf(line, "%u", &m) == 1 && m == major)
			used = 1;
	}
	fclose(f);
	return used;
}

/* A major for local/experimental use (devices.txt) that no driver has. */
static int free_major(unsigned *out)
{
	static const unsigned ranges[][2] = { { 60, 63 }, { 120, 127 }, { 240, 254 } };

	for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++)
		for (unsigned m = ranges[r][0]; m <= ranges[r][1]; m++)
			if (!major_in_use(m)) {
				*out = m;
				return 0;
			}
	return -ENODEV;
}

static int make_regular(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fchown(fd, 0, 0) || fchmod(fd, 0600))
		rc = -errno;
	close(fd);
	return rc;
}

static int make_char(const char *path, unsigned minor)
{
	unsigned major;
	int rc = free_major(&major);

	if (rc)
		return rc;
	if (mknod(path, S_IFCHR | 0600, makedev(major, minor)))
		return -errno;
	if (chown(path, 0, 0) || chmod(path, 0600))
		return -errno;
	return 0;
}

/*
 * A node's own block of minors (bits 8..19, from its state directory):
 * a holder is found by device number, as on a real node, and nodes of
 * the double side by side (tests in parallel, a test cluster's nodes)
 * must not hold each other's devices.
 */
static unsigned node_minor_base(const char *dir)
{
	unsigned h = 2166136261u;	/* FNV-1a */

	for (const char *p = dir; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return (h % 4096) << 8;
}

/*
 * Like udev's nodes: crw------- root; minor's low byte 0 for mcd0, N + 1
 * for mcosN, above it the node's block.
 */
int ihkd_make_device(const char *dir, int os, enum ihkd_devkind kind)
{
	char path[PATH_MAX + 32];

	if (os < 0)
		snprintf(path, sizeof(path), "%s/dev/mcd0", dir);
	else
		ihkd_dev_path(dir, os, path, sizeof(path));
	if (unlink(path) && errno != ENOENT)
		return -errno;
	if (kind == IHKD_DEV_CHAR)
		return make_char(path, node_minor_base(dir) | (os < 0 ? 0 : (unsigned)os + 1));
	return make_regular(path);
}

/* Does any process hold path open? Scans /proc/PID/fd like fuser. */
int ihkd_device_held(const char *path)
{
	struct stat target, sb;
	struct dirent *p, *f;
	DIR *proc, *fds;
	int held = 0;

	if (stat(path, &target))
		return 0;
	if (!(proc = opendir("/proc")))
		return 0;
	while (!held && (p = readdir(proc))) {
		char dir[300], link[600];

		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		snprintf(dir, sizeof(dir), "/proc/%s/fd", p->d_name);
		if (!(fds = opendir(dir)))
			continue;
		while (!held && (f = readdir(fds))) {
			if (f->d_name[0] == '.')
				continue;
			snprintf(link, sizeof(link), "%s/%s", dir, f->d_name);
			held = stat(link, &sb) == 0 && sb.st_dev == target.st_dev &&
			       sb.st_ino == target.st_ino;
		}
		closedir(fds);
	}
	closedir(proc);
	return held;
}

/* --------------------------------------------------------- run records */

static void records_path(const char *dir, int os, char *buf, size_t len)
{
	snprintf(buf, len, "%s/mcexec/os%d", dir, os);
}

/* Remove what dirfd holds, never following a link (users wrote it). */
static void remove_tree_at(int dirfd, int depth)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;

	if (!d) {
		close(dirfd);
		return;
	}
	while ((e = readdir(d))) {
		int sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd, e->d_name, 0) == 0 || errno != EISDIR)
			continue;
		sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0 && depth < MAX_DEPTH)
			remove_tree_at(sub, depth + 1);
		else if (sub >= 0)
			close(sub);
		unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

void ihkd_remove_tree(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0)
		remove_tree_at(fd, 0);
	if (rmdir(path) && errno == ENOTDIR)
		unlink(path);
}

static void remove_records(const char *dir, int os)
{
	char path[PATH_MAX + 32];

	records_path(dir, os, path, sizeof(path));
	ihkd_remove_tree(path);
}

int ihkd_records_create(const char *dir, int os)
{
	char path[PATH_MAX + 32];

	remove_records(dir, os);
	records_path(dir, os, path, sizeof(path));
	if (mkdir(path, 0700))
		return -errno;
	if (chown(path, 0, 0) || chmod(path, 0700))
		return -errno;
	return 0;
}

/* The records directory of each instance belongs to its device's owner. */
void ihkd_records_sync(const char *dir, const struct ihkd_state *st)
{
	for (int os = 0; os < IHK_MAX_NUM_OS; os++) {
		char dev[PATH_MAX + 32], rec[PATH_MAX + 32];
		struct stat d, r;

		if (!st->os[os].exists)
			continue;
		ihkd_dev_path(dir, os, dev, sizeof(dev));
		records_path(dir, os, rec, sizeof(rec));
		if (stat(dev, &d) || lstat(rec, &r) || !S_ISDIR(r.st_mode))
			continue;
		if (r.st_uid != d.st_uid || r.st_gid != d.st_gid)
			if (lchown(rec, d.st_uid, d.st_gid))
				fprintf(stderr, "ihk-double: chown %s: %s\n", rec, strerror(errno));
	}
}

/* One record as one line ("key=value key=value ..."), appended to fd. */
static int fold_record(int dirfd, const char *name, int logfd)
{
	char text[MAX_RECORD_BYTES + 2];
	struct stat sb;
	ssize_t n;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size > MAX_RECORD_BYTES) {
		close(fd);
		return -EINVAL;
	}
	n = read(fd, text, MAX_RECORD_BYTES);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	while (n > 0 && text[n - 1] == '\n')
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (text[i] == '\n' || text[i] == '\r')
			text[i] = ' ';
	text[n++] = '\n';
	return write(logfd, text, n) == n ? 0 : -EIO;
}

static int is_record_name(const char *name)
{
	size_t len = strlen(name), digits = strspn(name, "0123456789");

	return digits > 0 && len == digits + 4 && !strcmp(name + digits, ".rec");
}

void ihkd_records_retire(const char *dir, int os)
{
	char path[PATH_MAX + 32];
	struct dirent *e;
	int dirfd, logfd, n = 0;
	DIR *d;

	records_path(dir, os, path, sizeof(path));
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/mcexec.log", dir);
	logfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (dirfd >= 0 && logfd >= 0 && (d = fdopendir(dup(dirfd)))) {
		while ((e = readdir(d)) && n < MAX_RETIRED)
			if (is_record_name(e->d_name) && fold_record(dirfd, e->d_name, logfd) == 0)
				n++;
		closedir(d);
	}
	if (logfd >= 0)
		close(logfd);
	if (dirfd >= 0)
		close(dirfd);
	remove_records(dir, os);
}

int ihkd_mode_allows(const struct stat *sb, unsigned want_user)
{
	/* want_user: S_IRUSR and/or S_IWUSR; >> 3 for the group, >> 6 for others */
	gid_t groups[256];
	int n;

	if (geteuid() == 0)
		return 1;
	if (sb->st_uid == geteuid())
		return (sb->st_mode & want_user) == want_user;
	if (sb->st_gid == getegid())
		return (sb->st_mode & (want_user >> 3)) == (want_user >> 3);
	n = getgroups(sizeof(groups) / sizeof(groups[0]), groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == sb->st_gid)
			return (sb->st_mode & (want_user >> 3)) == (want_user >> 3);
	return (sb->st_mode & (want_user >> 6)) == (want_user >> 6);
}

int ihk_double_open_device(const char *path)
{
	struct stat sb;
	int fd = open(path, O_RDWR | O_CLOEXEC), err = errno;

	if (fd >= 0 || (err != ENXIO && err != EPERM))
		return fd;
	/*
	 * A character device no driver serves: ENXIO after the kernel's
	 * permission check, or EPERM first from a container's device cgroup,
	 * which does not list the double's major. Check the mode as the
	 * kernel would, then hold the file with O_PATH.
	 */
	if (stat(path, &sb) || !S_ISCHR(sb.st_mode)) {
		errno = err;
		return -1;
	}
	if (!ihkd_mode_allows(&sb, S_IRUSR | S_IWUSR)) {
		errno = EACCES;
		return -1;
	}
	return open(path, O_PATH | O_CLOEXEC);
}
