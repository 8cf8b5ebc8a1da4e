/* fixture.c: see fixture.h. */
#include "config.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "mck-lwk.h"
#include "mck-util.h"

void fx_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(99);
	}
	fputs(text, f);
	fclose(f);
}

/* An ELF executable header for this machine with one program header. */
static void write_image(const char *path)
{
	struct {
		Elf64_Ehdr h;
		Elf64_Phdr p;
	} img;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	memset(&img, 0, sizeof(img));
	memcpy(img.h.e_ident, ELFMAG, SELFMAG);
	img.h.e_ident[EI_CLASS] = ELFCLASS64;
	img.h.e_ident[EI_DATA] = ELFDATA2LSB;
	img.h.e_ident[EI_VERSION] = EV_CURRENT;
	img.h.e_type = ET_EXEC;
#if defined(__aarch64__)
	img.h.e_machine = EM_AARCH64;
#else
	img.h.e_machine = EM_X86_64;
#endif
	img.h.e_version = EV_CURRENT;
	img.h.e_phoff = sizeof(Elf64_Ehdr);
	img.h.e_ehsize = sizeof(Elf64_Ehdr);
	img.h.e_phentsize = sizeof(Elf64_Phdr);
	img.h.e_phnum = 1;
	img.p.p_type = PT_LOAD;
	if (fd < 0 || write(fd, &img, sizeof(img)) != (ssize_t)sizeof(img)) {
		perror(path);
		exit(99);
	}
	close(fd);
}

/* The fake scontrol: answers from DIR/slurm/JOB (one line "STATE NODES"). */
static void write_scontrol(struct fixture *fx)
{
	char path[PATH_MAX], text[4096];

	snprintf(path, sizeof(path), "%s/bin", fx->dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/slurm", fx->dir);
	mkdir(path, 0755);
	snprintf(text, sizeof(text),
		 "#!/bin/sh\n"
		 "d=%s/slurm\n"
		 "if [ -e $d/down ]; then echo 'slurm_load_jobs error: Unable to contact slurm "
		 "controller (connect failure)' >&2; exit 1; fi\n"
		 "case \"$1 $2 $3\" in\n"
		 "'-o show job')\n"
		 "  [ -f \"$d/$4\" ] || { echo 'slurm_load_jobs error: Invalid job id specified' >&2;"
		 " exit 1; }\n"
		 "  read st nodes < \"$d/$4\"\n"
		 "  echo \"JobId=$4 JobName=x JobState=$st Reason=None NodeList=${nodes:-(null)} "
		 "BatchHost=x\" ;;\n"
		 "'show hostnames '*) echo \"$3\" | tr ',' '\\n' ;;\n"
		 "*) exit 2 ;;\n"
		 "esac\n", fx->dir);
	snprintf(path, sizeof(path), "%s/bin/scontrol", fx->dir);
	fx_write(path, text);
	chmod(path, 0755);
}

static void load(struct fixture *fx)
{
	struct mck_error err = { 0 };

	mck_config_free(&fx->cfg);
	if (mck_config_load(fx->conf, NULL, &fx->cfg, &err)) {
		printf("Bail out! configuration: %s\n", err.msg);
		exit(99);
	}
}

void fx_setup(struct fixture *fx, const char *name, const char *extra)
{
	const char *top_srcdir = getenv("top_srcdir"), *top_builddir = getenv("top_builddir");
	char libihk[1024], topo[1024], path[PATH_MAX], text[2 * PATH_MAX + 64];

	memset(fx, 0, sizeof(*fx));
	if (!top_srcdir || !top_builddir) {
		fprintf(stderr, "%s: run me through make check (top_srcdir, top_builddir)\n", name);
		exit(99);
	}
	snprintf(libihk, sizeof(libihk), "%s/ihk/double/.libs/libihk-double.so", top_builddir);
	snprintf(topo, sizeof(topo), "%s/hwloc-maps/tests/fixtures/testnode.xml", top_srcdir);
	if (access(libihk, R_OK) || access(topo, R_OK)) {
		fprintf(stderr, "%s: missing %s or %s\n", name, libihk, topo);
		exit(99);
	}
	snprintf(fx->dir, sizeof(fx->dir), "%s/%s.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") :
		 "/tmp", name);
	/* others may traverse it: the job user's processes open the device */
	if (!mkdtemp(fx->dir) || chmod(fx->dir, 0755)) {
		perror("mkdtemp");
		exit(99);
	}
	snprintf(fx->state, sizeof(fx->state), "%s/state", fx->dir);
	snprintf(fx->ihk, sizeof(fx->ihk), "%s/ihk", fx->dir);
	snprintf(fx->dev, sizeof(fx->dev), "%s/dev", fx->ihk);
	snprintf(fx->image, sizeof(fx->image), "%s/mckernel.img", fx->dir);
	snprintf(fx->conf, sizeof(fx->conf), "%s/mckernel.conf", fx->dir);
	write_image(fx->image);
	write_scontrol(fx);
	snprintf(fx->base, sizeof(fx->base),
		 "libihk = %s\nimage = %s\nkargs = hidos ksyslogd=0\nstate_dir = %s\n"
		 "device_dir = %s\ntopology = %s\nsysfs_dir = %s/sys\nmem_fraction = 0.25\n"
		 "boot_timeout = 5\nshutdown_timeout = 1\n",
		 libihk, fx->image, fx->state, fx->dev, topo, fx->dir);
	fx_write(fx->conf, fx->base);
	/* the IHK double's node, in its own file beside mckernel.conf */
	snprintf(path, sizeof(path), "%s/ihk-double.conf", fx->dir);
	snprintf(text, sizeof(text), "state = %s\ntopology = %s\n", fx->ihk, topo);
	fx_write(path, text);
	setenv("SLURM_MCKERNEL_CONF", fx->conf, 1);
	setenv("IHK_DOUBLE_STATE", fx->ihk, 1);
	setenv("IHK_DOUBLE_LATENCY", "zero", 1);	/* unit tests: no boot takes seconds */
	setenv("SLURMD_NODENAME", "node1", 1);
	unsetenv("IHK_DOUBLE_FAULT");
	snprintf(path, sizeof(path), "%s/bin:%.2000s", fx->dir, getenv("PATH") ? getenv("PATH") :
		 "/usr/bin:/bin");
	setenv("PATH", path, 1);
	fx_conf_set(fx, extra);
}

void fx_conf_set(struct fixture *fx, const char *lines)
{
	FILE *f = fopen(fx->conf, "w");

	if (!f) {
		perror(fx->conf);
		exit(99);
	}
	fputs(fx->base, f);
	fputs(lines ? lines : "", f);
	fclose(f);
	load(fx);
}

static void rm_rf(const char *path)
{
	char *argv[] = { "rm", "-rf", (char *)path, NULL };
	pid_t pid = fork();

	if (pid == 0) {
		execvp("rm", argv);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

void fx_reboot(struct fixture *fx)
{
	rm_rf(fx->ihk);
}

void fx_done(struct fixture *fx, int failed)
{
	mck_config_free(&fx->cfg);
	if (failed)
		printf("# state kept in %s\n", fx->dir);
	else
		rm_rf(fx->dir);
}

void fx_slurm_job(struct fixture *fx, unsigned long job, const char *state_nodes)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/slurm/%lu", fx->dir, job);
	if (!state_nodes) {
		unlink(path);
		return;
	}
	fx_write(path, state_nodes);
}

void fx_slurm_down(struct fixture *fx, int down)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/slurm/down", fx->dir);
	if (down)
		fx_write(path, "");
	else
		unlink(path);
}

int fx_contains(const char *path, const char *needle)
{
	char *data = NULL;
	int found;

	if (mck_read_file(path, &data, NULL, NULL))
		return 0;
	found = strstr(data, needle) != NULL;
	free(data);
	return found;
}

int fx_events_ok(struct fixture *fx, const char *call)
{
	char path[PATH_MAX], want[64], line[512];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/events.log", fx->ihk);
	snprintf(want, sizeof(want), " call=%s ", call);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, want) && strstr(line, " rc=0") && !strstr(line, "injected=1");
	if (f)
		fclose(f);
	return n;
}

int fx_strict_killed(struct fixture *fx)
{
	char path[PATH_MAX];

	/* events.log says rc=killed for a call that killed its caller */
	snprintf(path, sizeof(path), "%s/events.log", fx->ihk);
	return fx_contains(path, " rc=killed");
}

char *fx_capture(int (*fn)(const struct mck_config *, FILE *, struct mck_error *),
		 const struct mck_config *cfg, int *rc)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	struct mck_error err = { 0 };

	*rc = fn(cfg, m, &err);
	fclose(m);
	return text;
}

int fx_node_clean(struct fixture *fx, const char *what)
{
	int rc;
	char *left = fx_capture(mck_lwk_check, &fx->cfg, &rc);

	if (rc != 0)
		printf("# %s: left on the node:\n# %s\n", what, left ? left : "");
	free(left);
	return rc == 0;
}

pid_t fx_hold(const char *path, uid_t uid)
{
	int ready[2];
	char c;
	pid_t pid;

	if (pipe(ready))
		return -1;
	pid = fork();
	if (pid == 0) {
		int fd;

		close(ready[0]);
		if (uid && (setgid(uid) || setuid(uid)))
			_exit(2);
		fd = open(path, O_RDWR);
		/* a character device without a driver (EPERM: a container's device cgroup) */
		if (fd < 0 && (errno == ENXIO || errno == EPERM))
			fd = open(path, O_PATH);
		if (fd < 0)
			_exit(3);
		if (write(ready[1], "x", 1) != 1)
			_exit(4);
		close(ready[1]);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (pid < 0 || read(ready[0], &c, 1) != 1) {
		close(ready[0]);
		return -1;
	}
	close(ready[0]);
	return pid;
}

void fx_unhold(pid_t pid)
{
	/* never kill(-1) or kill(0): a failed fx_hold returned -1 */
	if (pid > 0) {
		kill(pid, SIGKILL);
		fx_reap(pid, 2000);
	}
}

int fx_reap(pid_t pid, int ms)
{
	int status;

	for (int i = 0; i <= ms / 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
		usleep(10 * 1000);
	}
	return -1;
}

void fx_event_calls(struct fixture *fx, int from, char *buf, size_t len)
{
	char path[PATH_MAX], line[512];
	size_t used = 0;
	int n = 0;
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/events.log", fx->ihk);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *c = strstr(line, " call=");

		if (n++ >= from && c && used + 32 < len)
			used += snprintf(buf + used, len - used, "%.*s ", (int)strcspn(c + 6, " "),
					 c + 6);
	}
	if (f)
		fclose(f);
}

int fx_event_count(struct fixture *fx)
{
	char path[PATH_MAX], line[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/events.log", fx->ihk);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		n++;
	if (f)
		fclose(f);
	return n;
}
