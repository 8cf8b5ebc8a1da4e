/* mck-util.c: see mck-util.h. */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mck-util.h"

double mck_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int mck_mkdir_p(const char *path, mode_t mode, struct mck_error *err)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return mck_fail(err, -ENAMETOOLONG, "bad directory path '%s'", path);
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(buf, mode) && errno != EEXIST)
				return mck_fail(err, -errno, "cannot create directory %s: %s",
						buf, strerror(errno));
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

int mck_write_file_atomic(const char *path, const char *data, size_t len,
			  mode_t mode, struct mck_error *err)
{
	char tmp[PATH_MAX];
	int fd, rc;
	size_t off = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return mck_fail(err, -ENAMETOOLONG, "path too long: %s", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return mck_fail(err, -errno, "cannot create %s: %s", tmp, strerror(errno));
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = mck_fail(err, -errno, "cannot write %s: %s", tmp, strerror(errno));
			goto fail;
		}
		off += w;
	}
	/*
	 * No fsync: these files (job records, the topology cache, a test
	 * libihk's state) describe state that a power loss or node reboot wipes out
	 * anyway; what matters is that readers never see a half-written file,
	 * which the rename guarantees.
	 */
	if (fchmod(fd, mode)) {
		rc = mck_fail(err, -errno, "cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd)) {
		fd = -1;
		rc = mck_fail(err, -errno, "cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path)) {
		rc = mck_fail(err, -errno, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

int mck_read_file(const char *path, char **data, size_t *len, struct mck_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	char *buf;

	*data = NULL;
	if (len)
		*len = 0;
	if (fd < 0)
		return mck_fail(err, -errno, "cannot read %s: %s", path, strerror(errno));
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return mck_fail(err, -ENOMEM, "out of memory");
	}
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				close(fd);
				return mck_fail(err, -ENOMEM, "out of memory");
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			close(fd);
			return mck_fail(err, -e, "cannot read %s: %s", path, strerror(e));
		}
		if (r == 0)
			break;
		n += r;
	}
	close(fd);
	buf[n] = '\0';
	*data = buf;
	if (len)
		*len = n;
	return 0;
}

char *mck_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int mck_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int mck_parse_ulong(const char *s, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int reap_if_done(pid_t pid, int *status)
{
	pid_t r;

	do
		r = waitpid(pid, status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == pid)
		return 0;
	return r < 0 ? -errno : -EAGAIN;
}

int mck_wait_pid(pid_t pid, int timeout_ms, int *status)
{
	double deadline = timeout_ms < 0 ? -1 : mck_now_ms() + timeout_ms;
	int pause_us = 1000, fd = -1, rc;

#ifdef SYS_pidfd_open
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
	for (;;) {
		double left;

		rc = reap_if_done(pid, status);
		if (rc != -EAGAIN)
			break;
		left = deadline < 0 ? 1000 : deadline - mck_now_ms();
		if (left <= 0) {
			rc = -ETIMEDOUT;
			break;
		}
		if (fd >= 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (poll(&p, 1, (int)(left + 0.999)) < 0 && errno != EINTR) {
				close(fd);
				fd = -1;
			}
		} else {
			/* No pidfd: poll the child, backing off up to 20 ms. */
			usleep(pause_us < left * 1000 ? pause_us : (int)(left * 1000));
			if (pause_us < 20000)
				pause_us *= 2;
		}
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Append a chunk of the child's output to out, keeping its head or its tail. */
static size_t keep_output(char *out, size_t len, size_t used, const char *chunk, size_t r,
			  int tail)
{
	if (!tail) {
		size_t take = r < len - 1 - used ? r : len - 1 - used;

		memcpy(out + used, chunk, take);
		used += take;
		out[used] = '\0';
		return used;
	}
	if (used + r >= len) {
		size_t drop = used + r - (len - 1);

		if (drop > used)
			drop = used;
		memmove(out, out + drop, used - drop);
		used -= drop;
		if (r > len - 1 - used)
			r = len - 1 - used;
	}
	memcpy(out + used, chunk, r);
	used += r;
	out[used] = '\0';
	return used;
}

int mck_run_bounded(char *const argv[], int flags, char *out, size_t len, int timeout_s,
		    int *timed_out)
{
	return mck_run_bounded_env(argv, NULL, flags, out, len, timeout_s, timed_out);
}

int mck_run_bounded_env(char *const argv[], char *const envp[], int flags, char *out,
			size_t len, int timeout_s, int *timed_out)
{
	double deadline = mck_now_ms() + timeout_s * 1000.0;
	size_t used = 0;
	int pfd[2], status;
	pid_t pid;

	*timed_out = 0;
	if (out && len)
		out[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		if (flags & MCK_RUN_STDOUT) {
			int null = open("/dev/null", O_RDWR | O_CLOEXEC);

			if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
			    dup2(pfd[1], STDOUT_FILENO) < 0)
				_exit(127);
		}
		if (dup2(pfd[1], STDERR_FILENO) < 0)
			_exit(127);
		if (envp)
			execve(argv[0], argv, envp);
		else
			execv(argv[0], argv);
		if (flags & MCK_RUN_EXEC_ERROR)
			fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		double left = deadline - mck_now_ms();
		char chunk[1024];
		ssize_t r;
		int pr;

		/* every wait has its bound: past it, the child is killed */
		if (left <= 0) {
			kill(pid, SIGKILL);
			*timed_out = 1;
			break;
		}
		pr = poll(&p, 1, (int)(left > 1000 ? 1000 : left) + 1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0)
			continue;
		r = read(pfd[0], chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (out && len > 1)
			used = keep_output(out, len, used, chunk, (size_t)r, flags & MCK_RUN_TAIL);
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

int mck_complain(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int mck_valid_partition(const char *s)
{
	if (!*s || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!(*s == '_' || *s == '-' || *s == '.' ||
		      (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

void mck_hwloc_skip_device_plugins(void)
{
	setenv("HWLOC_PLUGINS_BLACKLIST",
	       "hwloc_gl,hwloc_opencl,hwloc_pci,hwloc_xml_libxml,hwloc_cuda,hwloc_nvml,"
	       "hwloc_rsmi,hwloc_levelzero", 0);
}

void mck_json_string(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", out);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

void mck_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}
