/*
 * test-lwk: liblwk against the IHK double. A node in a temporary
 * directory: boot, status, device ownership, job record, teardown (twice),
 * a missing image, every call of the boot sequence failing in turn,
 * -ENOMEM then success, recovery of an earlier job's instance, and a
 * device held open during teardown.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mck-config.h"
#include "mck-jobrec.h"
#include "mck-lwk.h"
#include "mck-test.h"
#include "mck-util.h"

static char tmp[PATH_MAX], conf_path[PATH_MAX + 32], state[PATH_MAX + 32];
static char dev_dir[PATH_MAX + 32];

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

/* Run fn's output into a string (malloc'd). */
static char *capture(int (*fn)(const struct mck_config *, FILE *, struct mck_error *),
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

static int node_clean(const struct mck_config *cfg, const char *what)
{
	int rc;
	char *left = capture(mck_lwk_check, cfg, &rc);

	if (rc != 0)
		printf("# %s: left on the node:\n# %s\n", what, left ? left : "");
	free(left);
	return rc == 0;
}

/*
 * After a failed boot of job: the node holds nothing but the job's record,
 * in state boot-failed, without an instance, its reason containing want.
 * Then the epilogue's teardown removes the record and the node is clean.
 */
static int failed_boot_contained(const struct mck_config *cfg, unsigned long job,
				 const char *want, const char *what)
{
	struct mck_jobrec r;
	struct mck_error err = { 0 };
	char line[64], *left;
	int rc, good = 1;

	left = capture(mck_lwk_check, cfg, &rc);
	snprintf(line, sizeof(line), "job record: %lu\n", job);
	if (rc != 1 || !left || strcmp(left, line)) {
		printf("# %s: expected only the job record, left:\n# %s\n", what, left ? left : "");
		good = 0;
	}
	free(left);
	if (mck_jobrec_read(cfg->state_dir, job, &r, &err)) {
		printf("# %s: no job record: %s\n", what, err.msg);
		return 0;
	}
	if (!r.state || strcmp(r.state, MCK_LWK_STATE_BOOT_FAILED) || r.os != -1 ||
	    !r.reason || !strstr(r.reason, want)) {
		printf("# %s: record state %s os %d reason %s\n", what, r.state ? r.state : "-",
		       r.os, r.reason ? r.reason : "-");
		good = 0;
	}
	mck_jobrec_free(&r);
	if (!mck_lwk_boot_failed_clean(cfg, job)) {
		printf("# %s: mck_lwk_boot_failed_clean says no\n", what);
		good = 0;
	}
	rc = mck_lwk_teardown(cfg, job, &err);
	if (rc) {
		printf("# %s: teardown: %s\n", what, err.msg);
		good = 0;
	}
	return good && node_clean(cfg, what);
}

static int file_contains(const char *path, const char *needle)
{
	char *data = NULL;
	int found;

	if (mck_read_file(path, &data, NULL, NULL))
		return 0;
	found = strstr(data, needle) != NULL;
	free(data);
	return found;
}

int main(void)
{
	const char *top_srcdir = getenv("top_srcdir");
	const char *top_builddir = getenv("top_builddir");
	char libihk[PATH_MAX], topo[PATH_MAX], image[PATH_MAX + 32], text[8 * PATH_MAX];
	char path[PATH_MAX + 64], *out;
	struct mck_config cfg;
	struct mck_error err = { 0 };
	struct mck_lwk_job job = { .job = 42, .uid = 1001, .gid = 1002, .partition = "lwk" };
	struct stat st;
	int rc;
	FILE *log;

	if (!top_srcdir || !top_builddir) {
		fprintf(stderr, "test-lwk: run me through make check (top_srcdir, top_builddir)\n");
		return 99;
	}
	snprintf(libihk, sizeof(libihk), "%s/ihk/double/.libs/libihk-double.so", top_builddir);
	snprintf(topo, sizeof(topo), "%s/hwloc-maps/tests/fixtures/testnode.xml", top_srcdir);
	if (access(libihk, R_OK) || access(topo, R_OK)) {
		fprintf(stderr, "test-lwk: missing %s or %s\n", libihk, topo);
		return 99;
	}
	snprintf(tmp, sizeof(tmp), "%s/test-lwk.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 99;
	}
	snprintf(state, sizeof(state), "%s/state", tmp);
	snprintf(dev_dir, sizeof(dev_dir), "%s/ihk/dev", tmp);
	snprintf(image, sizeof(image), "%s/mckernel.img", tmp);
	snprintf(conf_path, sizeof(conf_path), "%s/mckernel.conf", tmp);
	write_text(image, "dummy McKernel image\n");
	snprintf(text, sizeof(text),
		 "libihk = %s\nimage = %s\nkargs = hidos ksyslogd=0\nstate_dir = %s\n"
		 "device_dir = %s\ntopology = %s\nihk_double_state = %s/ihk\n"
		 "ihk_double_topology = %s\nmem_fraction = 0.25\nboot_timeout = 5\n"
		 "shutdown_timeout = 1\n",
		 libihk, image, state, dev_dir, topo, tmp, topo);
	write_text(conf_path, text);
	setenv("SLURM_MCKERNEL_CONF", conf_path, 1);
	snprintf(path, sizeof(path), "%s/ihk", tmp);
	setenv("IHK_DOUBLE_STATE", path, 1);
	unsetenv("IHK_DOUBLE_FAULT");

	rc = mck_config_load(conf_path, NULL, &cfg, &err);
	is_int(rc, 0, "configuration loads (%s)", err.msg);
	if (rc)
		return done_testing();
	snprintf(path, sizeof(path), "%s/steps.log", tmp);
	log = fopen(path, "w+");
	mck_lwk_set_log(log);

	ok(node_clean(&cfg, "fresh node"), "a fresh node is clean");

	/* ---- boot */
	rc = mck_lwk_boot(&cfg, &job, &err);
	is_int(rc, 0, "boot job 42 (%s)", rc ? err.msg : "ok");
	out = capture(mck_lwk_status, &cfg, &rc);
	is_int(rc, 0, "status works");
	ok(out && strstr(out, "os 0: RUNNING"), "status shows os 0 RUNNING");
	ok(out && strstr(out, "owner uid 1001"), "status shows the owner");
	ok(out && strstr(out, "job 42"), "status shows the job");
	free(out);
	snprintf(path, sizeof(path), "%s/mcos0", dev_dir);
	ok(stat(path, &st) == 0 && st.st_uid == 1001 && st.st_gid == 1002 &&
	   (st.st_mode & 0777) == 0600, "device mcos0 is 1001:1002 mode 0600");
	{
		struct mck_jobrec r;

		rc = mck_jobrec_read(state, 42, &r, &err);
		is_int(rc, 0, "job record 42 written");
		if (!rc) {
			is_str(r.state, "running", "record state is running");
			is_int(r.os, 0, "record names os 0");
			is_int(r.uid, 1001, "record names the uid");
			ok(r.cpus && *r.cpus, "record names the LWK CPUs (%s)", r.cpus);
			mck_jobrec_free(&r);
		}
	}
	out = capture(mck_lwk_check, &cfg, &rc);
	is_int(rc, 1, "check: not clean while the job runs");
	ok(out && strstr(out, "os 0: RUNNING, owner uid 1001, job 42"), "check names the instance");
	ok(out && strstr(out, "job record: 42"), "check names the job record");
	free(out);
	snprintf(path, sizeof(path), "%s/log/lifecycle.log", state);
	ok(file_contains(path, "job 42: ihk_reserve_cpu(") && file_contains(path, " ms\n"),
	   "lifecycle.log has the timed steps");
	ok(file_contains(path, "ihk_os_boot(0) ok"), "lifecycle.log has the boot step");

	/* ---- teardown, twice */
	rc = mck_lwk_teardown(&cfg, 42, &err);
	is_int(rc, 0, "teardown job 42 (%s)", rc ? err.msg : "ok");
	ok(node_clean(&cfg, "after teardown"), "node clean after teardown");
	snprintf(path, sizeof(path), "%s/jobs/42.job", state);
	ok(access(path, F_OK) != 0, "job record removed");
	snprintf(path, sizeof(path), "%s/kmsg/42.kmsg", state);
	ok(access(path, R_OK) == 0, "kmsg saved before shutdown");
	rc = mck_lwk_teardown(&cfg, 42, &err);
	is_int(rc, 0, "teardown twice is fine (%s)", rc ? err.msg : "ok");
	rc = mck_lwk_teardown(&cfg, 7, &err);
	is_int(rc, 0, "teardown of a job that never booted is fine");

	/* ---- missing image */
	{
		char *saved = cfg.image;

		cfg.image = (char *)"/nonexistent/mckernel.img";
		rc = mck_lwk_boot(&cfg, &job, &err);
		ok(rc < 0 && strstr(err.msg, "boot failed at image check"),
		   "missing image fails at the image check (%s)", err.msg);
		ok(failed_boot_contained(&cfg, 42, "image check", "missing image"),
		   "missing image: nothing reserved, the record says why, teardown cleans");
		cfg.image = saved;
	}

	/* ---- every call of the boot sequence fails in turn */
	{
		static const char *const calls[] = {
			"ihk_reserve_cpu", "ihk_reserve_mem", "ihk_create_os",
			"ihk_os_assign_cpu", "ihk_os_set_ikc_map", "ihk_os_assign_mem",
			"ihk_os_load", "ihk_os_kargs", "ihk_os_boot",
		};

		for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
			char spec[128], want[160];

			snprintf(spec, sizeof(spec), "%s:EINVAL:always", calls[i]);
			setenv("IHK_DOUBLE_FAULT", spec, 1);
			rc = mck_lwk_boot(&cfg, &job, &err);
			snprintf(want, sizeof(want), "boot failed at %s: Invalid argument (-22)", calls[i]);
			ok(rc == -EINVAL && strstr(err.msg, want), "%s fails: error names it (%s)",
			   calls[i], err.msg);
			unsetenv("IHK_DOUBLE_FAULT");
			ok(failed_boot_contained(&cfg, 42, want, calls[i]),
			   "%s fails: nothing stays reserved, the record keeps the reason, "
			   "teardown removes it", calls[i]);
		}
	}

	/* ---- -ENOMEM once: compact and retry */
	setenv("IHK_DOUBLE_FAULT", "ihk_reserve_mem:ENOMEM:once", 1);
	rc = mck_lwk_boot(&cfg, &job, &err);
	unsetenv("IHK_DOUBLE_FAULT");
	is_int(rc, 0, "ENOMEM once: boot succeeds after the retry (%s)", rc ? err.msg : "ok");
	snprintf(path, sizeof(path), "%s/log/lifecycle.log", state);
	ok(file_contains(path, "compact memory"), "ENOMEM: memory compaction attempted");

	/* ---- recovery: a new job's boot cleans what job 42 left */
	job.job = 43;
	rc = mck_lwk_boot(&cfg, &job, &err);
	is_int(rc, 0, "boot job 43 over job 42's leftovers (%s)", rc ? err.msg : "ok");
	snprintf(path, sizeof(path), "%s/jobs/42.job", state);
	ok(access(path, F_OK) != 0, "job 42's record is gone");
	out = capture(mck_lwk_status, &cfg, &rc);
	ok(out && strstr(out, "job 43") && !strstr(out, "job 42"), "only job 43 remains");
	free(out);

	/* ---- a process holds the device: teardown fails naming it, then works */
	{
		char dev[PATH_MAX + 64];
		int fd;

		snprintf(dev, sizeof(dev), "%s/mcos0", dev_dir);
		fd = open(dev, O_RDWR);
		ok(fd >= 0, "hold %s open", dev);
		rc = mck_lwk_teardown(&cfg, 43, &err);
		snprintf(text, sizeof(text), "pid %ld", (long)getpid());
		ok(rc == -EBUSY && strstr(err.msg, "ihk_destroy_os") && strstr(err.msg, text),
		   "teardown stuck: error names destroy and the holder (%s)", err.msg);
		out = capture(mck_lwk_check, &cfg, &rc);
		is_int(rc, 1, "node reported not clean while stuck");
		ok(out && strstr(out, "job record: 43"), "the record stays for recovery");
		free(out);
		if (fd >= 0)
			close(fd);
		rc = mck_lwk_teardown(&cfg, 43, &err);
		is_int(rc, 0, "teardown after the holder left (%s)", rc ? err.msg : "ok");
		ok(node_clean(&cfg, "after held teardown"), "node clean");
	}

	/* ---- a kernel that never reaches RUNNING */
	setenv("IHK_DOUBLE_BOOT_HANG", "1", 1);
	setenv("IHK_DOUBLE_BOOT_POLL_COUNT", "2", 1);
	setenv("IHK_DOUBLE_BOOT_POLL_INTERVAL_MS", "10", 1);
	job.job = 45;
	rc = mck_lwk_boot(&cfg, &job, &err);
	ok(rc < 0 && (strstr(err.msg, "boot failed at ihk_os_boot") ||
		      strstr(err.msg, "boot failed at wait RUNNING")),
	   "hanging boot fails, naming the step (%s)", err.msg);
	unsetenv("IHK_DOUBLE_BOOT_HANG");
	unsetenv("IHK_DOUBLE_BOOT_POLL_COUNT");
	unsetenv("IHK_DOUBLE_BOOT_POLL_INTERVAL_MS");
	ok(failed_boot_contained(&cfg, 45, "boot failed at", "hanging boot"),
	   "hanging boot: node clean but for the record with the reason");
	snprintf(path, sizeof(path), "%s/kmsg/45.kmsg", state);
	ok(access(path, R_OK) == 0, "hanging boot: its kernel messages are saved");

	/* ---- a boot fails and its unwind cannot release: the node is not clean */
	setenv("IHK_DOUBLE_FAULT", "ihk_os_boot:EINVAL:always;ihk_release_cpu:EIO:always", 1);
	job.job = 47;
	rc = mck_lwk_boot(&cfg, &job, &err);
	unsetenv("IHK_DOUBLE_FAULT");
	ok(rc < 0 && strstr(err.msg, "boot failed at ihk_os_boot") &&
	   strstr(err.msg, "node not clean: reserved cpus"),
	   "unwind that cannot release names what is stuck (%s)", err.msg);
	ok(!mck_lwk_boot_failed_clean(&cfg, 47), "not reported as a clean failure");
	rc = mck_lwk_teardown(&cfg, 47, &err);
	is_int(rc, 0, "teardown once release works again (%s)", rc ? err.msg : "ok");
	ok(node_clean(&cfg, "after unclean boot failure"), "node clean");

	/* ---- the lifecycle lock is held too long: boot gives up, naming it */
	{
		char lock[PATH_MAX + 64];
		int fd, saved_b = cfg.boot_timeout, saved_s = cfg.shutdown_timeout;
		double t0;

		snprintf(lock, sizeof(lock), "%s/lifecycle.lock", state);
		fd = open(lock, O_RDWR | O_CREAT, 0644);
		ok(fd >= 0 && flock(fd, LOCK_EX) == 0, "hold the lifecycle lock");
		cfg.boot_timeout = 1;
		cfg.shutdown_timeout = 0;
		job.job = 48;
		t0 = mck_now_ms();
		rc = mck_lwk_boot(&cfg, &job, &err);
		ok(rc == -ETIMEDOUT && strstr(err.msg, "lifecycle.lock") &&
		   mck_now_ms() - t0 < 5000, "boot gives up on a held lock within the timeouts (%s)",
		   err.msg);
		cfg.boot_timeout = saved_b;
		cfg.shutdown_timeout = saved_s;
		if (fd >= 0)
			close(fd);
		ok(node_clean(&cfg, "lock timeout"), "nothing done without the lock");
	}

	/* ---- a kernel that panics while the job runs */
	setenv("IHK_DOUBLE_PANIC_AFTER_S", "0.05", 1);
	job.job = 46;
	rc = mck_lwk_boot(&cfg, &job, &err);
	is_int(rc, 0, "boot job 46 (%s)", rc ? err.msg : "ok");
	usleep(300 * 1000);
	out = capture(mck_lwk_status, &cfg, &rc);
	ok(out && strstr(out, "os 0: PANIC"), "status shows the panic");
	free(out);
	rc = mck_lwk_teardown(&cfg, 46, &err);
	unsetenv("IHK_DOUBLE_PANIC_AFTER_S");
	is_int(rc, 0, "teardown of a panicked instance (%s)", rc ? err.msg : "ok");
	snprintf(path, sizeof(path), "%s/kmsg/46.kmsg", state);
	ok(access(path, R_OK) == 0, "the panicked kernel's messages are saved");
	ok(node_clean(&cfg, "after panic"), "node clean after a panic");

	/* ---- clean by hand: a boot, then mck_lwk_clean */
	job.job = 44;
	rc = mck_lwk_boot(&cfg, &job, &err);
	is_int(rc, 0, "boot job 44");
	rc = mck_lwk_clean(&cfg, &err);
	is_int(rc, 0, "clean (%s)", rc ? err.msg : "ok");
	ok(node_clean(&cfg, "after clean"), "node clean after clean");

	mck_lwk_set_log(NULL);
	fclose(log);
	mck_config_free(&cfg);
	if (!mck_test_failed) {
		char *argv[] = { "rm", "-rf", tmp, NULL };
		pid_t pid = fork();

		if (pid == 0) {
			execvp("rm", argv);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	} else {
		printf("# state kept in %s\n", tmp);
	}
	return done_testing();
}
