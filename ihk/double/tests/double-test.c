/*
 * double-test.c: the shared set-up of the IHK double's C tests.
 */
#include "config.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "double-test.h"
#include "mck-util.h"

struct mck_ihk I;
struct dt_extras X;
char dt_base[PATH_MAX], dt_node[PATH_MAX + 64], dt_image[PATH_MAX + 64];

void dt_new_node(const char *name)
{
	snprintf(dt_node, sizeof(dt_node), "%s/%s", dt_base, name);
	setenv("IHK_DOUBLE_STATE", dt_node, 1);
	printf("# node %s\n", name);
}

void dt_write_conf(const char *text)
{
	char path[PATH_MAX + 128];
	struct mck_error err;

	mck_mkdir_p(dt_node, 0755, &err);
	snprintf(path, sizeof(path), "%s/double.conf", dt_node);
	if (mck_write_file_atomic(path, text, strlen(text), 0644, &err))
		printf("# cannot write %s: %s\n", path, err.msg);
}

void dt_node_path(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", dt_node, rel);
}

char *dt_read(const char *rel)
{
	char path[PATH_MAX + 128];
	struct mck_error err;
	char *text;

	dt_node_path(path, sizeof(path), rel);
	return mck_read_file(path, &text, NULL, &err) ? NULL : text;
}

int dt_file_contains(const char *path, const char *needle)
{
	char *text;
	struct mck_error err;
	int found;

	if (mck_read_file(path, &text, NULL, &err))
		return 0;
	found = strstr(text, needle) != NULL;
	free(text);
	return found;
}

int dt_count_lines_with(const char *path, const char *needle)
{
	char *text, *p;
	struct mck_error err;
	int n = 0;

	if (mck_read_file(path, &text, NULL, &err))
		return -1;
	for (p = text; (p = strstr(p, needle)); p++)
		n++;
	free(text);
	return n;
}

double dt_now_ms(void)
{
	return mck_now_ms();
}

void dt_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

struct ihk_mem_chunk dt_chunk(unsigned long size, int numa)
{
	return (struct ihk_mem_chunk){ size, numa };
}

int dt_prepare_os(const int *cpus, int ncpus)
{
	int lwk[4] = { 2, 3, 6, 7 }, mine[8];
	struct ihk_mem_chunk mem[2] = { dt_chunk(256 * MiB, 0), dt_chunk(256 * MiB, 1) };
	int os;

	memcpy(mine, cpus, ncpus * sizeof(int));
	if (I.ihk_reserve_cpu(0, lwk, 4) || I.ihk_reserve_mem(0, mem, 2))
		return -1;
	if ((os = I.ihk_create_os(0)) < 0)
		return -1;
	if (I.ihk_os_assign_cpu(os, mine, ncpus) || I.ihk_os_assign_mem(os, mem, 2) ||
	    I.ihk_os_load(os, dt_image) || I.ihk_os_kargs(os, "hidos ksyslogd=0"))
		return -1;
	return os;
}

int dt_in_child(int (*fn)(void *), void *arg, int *rc)
{
	int fd[2], status, value = 0;
	pid_t pid;

	if (pipe(fd))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		value = fn(arg);
		if (write(fd[1], &value, sizeof(value)) != sizeof(value))
			_exit(2);
		_exit(0);
	}
	close(fd[1]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		close(fd[0]);
		return -1;
	}
	if (read(fd[0], &value, sizeof(value)) != sizeof(value))
		value = 0;
	close(fd[0]);
	if (WIFSIGNALED(status))
		return WTERMSIG(status) == SIGKILL ? 1 : -1;
	if (rc)
		*rc = value;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int copy_file(const char *from, const char *to)
{
	char *text;
	size_t len;
	struct mck_error err;
	int rc;

	if (mck_read_file(from, &text, &len, &err))
		return -1;
	rc = mck_write_file_atomic(to, text, len, 0644, &err);
	free(text);
	return rc;
}

/* Nothing from the caller's environment may steer the double. */
static void clean_environment(void)
{
	for (char **e = environ; *e; ) {
		if (!strncmp(*e, "IHK_DOUBLE_", 11) || !strncmp(*e, "SLURM_", 6)) {
			char name[128];

			snprintf(name, sizeof(name), "%.*s", (int)(strcspn(*e, "=")), *e);
			unsetenv(name);
		} else {
			e++;
		}
	}
	setenv("IHK_DOUBLE_SEED", "42", 1);
	setenv("IHK_DOUBLE_LATENCY", "zero", 1);
}

#define EXTRA(field, name) (*(void **)&X.field = dlsym(I.handle, name))

int dt_setup(void)
{
	const char *topb = getenv("top_builddir"), *tops = getenv("top_srcdir");
	const char *tmp = getenv("TMPDIR");
	char lib[PATH_MAX], topo[PATH_MAX + 64], fixture[PATH_MAX];
	struct mck_error err = { 0 };
	int fd;

	clean_environment();
	snprintf(dt_base, sizeof(dt_base), "%s/ihk-double-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dt_base) || chmod(dt_base, 0755)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(fixture, sizeof(fixture), "%s/ihk/double/tests/topo-2numa.xml", tops ? tops : ".");
	snprintf(topo, sizeof(topo), "%s/topology.xml", dt_base);
	if (copy_file(fixture, topo)) {
		printf("# cannot read %s\n", fixture);
		return 1;
	}
	setenv("IHK_DOUBLE_TOPOLOGY", topo, 1);
	snprintf(dt_image, sizeof(dt_image), "%s/mckernel.img", dt_base);
	fd = open(dt_image, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "McKernel image\n", 15) != 15) {
		perror(dt_image);
		return 1;
	}
	close(fd);
	snprintf(lib, sizeof(lib), "%s/ihk/double/.libs/libihk-double.so", topb ? topb : ".");
	if (mck_ihk_open(&I, lib, &err)) {
		printf("# %s\n", err.msg);
		return 1;
	}
	if (!EXTRA(os_generation, "ihk_double_os_generation") ||
	    !EXTRA(os_inject, "ihk_double_os_inject") || !EXTRA(os_peek, "ihk_double_os_peek") ||
	    !EXTRA(crashed, "ihk_double_crashed") || !EXTRA(reset, "ihk_double_reset") ||
	    !EXTRA(init, "ihk_double_init") ||
	    !EXTRA(online_cpus, "ihk_double_online_cpus") ||
	    !EXTRA(mcexec_conf, "ihk_double_mcexec_conf") ||
	    !EXTRA(state_dir, "ihk_double_state_dir")) {
		printf("# the double's extras are not all exported\n");
		return 1;
	}
	return geteuid() == 0 ? 0 : 77;
}

void dt_cleanup(int failed)
{
	char *argv[] = { "rm", "-rf", dt_base, NULL };
	pid_t pid;

	mck_ihk_close(&I);
	if (failed) {
		printf("# state kept in %s\n", dt_base);
		return;
	}
	pid = fork();
	if (pid == 0) {
		execvp("rm", argv);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
}
