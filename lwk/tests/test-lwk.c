/*
 * test-lwk: the lifecycle against the IHK double, as strict as real IHK (a
 * status query or destroy of an instance that did not boot kills the
 * caller): boot, status, device, record, teardown (twice), the checks done
 * before ihk_create_os (image, kargs) that keep ihk_os_load from ever
 * seeing a bad image, every IHK call of the boot failing in turn (unwound
 * to a clean node before the create; left and reported as stranded
 * between create and boot, the node needing a reboot), -ENOMEM then
 * success, an unwind that cannot release, a kernel that panics while the
 * job runs.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dlfcn.h>

#include "fixture.h"
#include "mck-jobrec.h"
#include "mck-lwk.h"
#include "mck-test.h"
#include "mck-util.h"

static struct fixture fx;

/*
 * After a failed boot of job: the node holds nothing but the job's record,
 * in state boot-failed, without an instance, its reason containing want.
 * Then the epilogue's teardown removes the record and the node is clean.
 */
static int failed_boot_contained(unsigned long job, const char *want, const char *what)
{
	struct mck_jobrec r;
	struct mck_error err = { 0 };
	char line[64], *left;
	int rc, good = 1;

	left = fx_capture(mck_lwk_check, &fx.cfg, &rc);
	snprintf(line, sizeof(line), "job record: %lu\n", job);
	if (rc != 1 || !left || strcmp(left, line)) {
		printf("# %s: expected only the job record, left:\n# %s\n", what, left ? left : "");
		good = 0;
	}
	free(left);
	if (mck_jobrec_read(fx.cfg.state_dir, job, &r, &err)) {
		printf("# %s: no job record: %s\n", what, err.msg);
		return 0;
	}
	if (r.state != MCK_JOB_BOOT_FAILED || r.os != -1 || !r.reason || !strstr(r.reason, want)) {
		printf("# %s: record state %s os %d reason %s\n", what,
		       mck_job_state_name(r.state), r.os, r.reason ? r.reason : "-");
		good = 0;
	}
	mck_jobrec_free(&r);
	if (!mck_lwk_boot_failed_clean(&fx.cfg, job)) {
		printf("# %s: mck_lwk_boot_failed_clean says no\n", what);
		good = 0;
	}
	if (mck_lwk_teardown(&fx.cfg, job, &err)) {
		printf("# %s: teardown: %s\n", what, err.msg);
		good = 0;
	}
	return good && fx_node_clean(&fx, what);
}

/* After a failure between create and boot: stranded, never touched, reboot. */
static void check_stranded(unsigned long job, const char *call)
{
	struct mck_jobrec r;
	struct mck_error err = { 0 };
	char *out;
	int rc;

	ok(!fx_strict_killed(&fx), "%s: no status query or destroy of the unbooted instance",
	   call);
	rc = mck_jobrec_read(fx.cfg.state_dir, job, &r, &err);
	ok(rc == 0 && r.state == MCK_JOB_STRANDED && r.os == 0 && r.failed_at &&
	   !strcmp(r.failed_at, call) && r.reason && strstr(r.reason, "reboot the node"),
	   "%s: record stranded at %s with os 0, reason says reboot (%s)", call,
	   rc ? "?" : r.failed_at, rc ? err.msg : r.reason);
	if (!rc)
		mck_jobrec_free(&r);
	ok(!mck_lwk_boot_failed_clean(&fx.cfg, job), "%s: not a clean failure (the node drains)",
	   call);
	out = fx_capture(mck_lwk_check, &fx.cfg, &rc);
	ok(rc == 1 && out && strstr(out, "os 0: not queried: job") && strstr(out, "stranded"),
	   "%s: check names the instance without querying it", call);
	free(out);
	out = fx_capture(mck_lwk_status, &fx.cfg, &rc);
	ok(rc == 0 && out && strstr(out, "os 0: not queried"), "%s: status does not query it",
	   call);
	free(out);
	rc = mck_lwk_teardown(&fx.cfg, job, &err);
	ok(rc < 0 && strstr(err.msg, "reboot the node"), "%s: the epilogue's teardown fails "
	   "with the reboot reason (%s)", call, err.msg);
	ok(!fx_strict_killed(&fx), "%s: the teardown did not touch it either", call);
	/* the operator reboots the node: IHK is empty, the stale record goes */
	fx_reboot(&fx);
	rc = mck_lwk_teardown(&fx.cfg, job, &err);
	ok(rc == 0 && fx_node_clean(&fx, call), "%s: after a reboot the teardown cleans (%s)",
	   call, rc ? err.msg : "ok");
}

static void test_boot_teardown(void)
{
	struct mck_lwk_job job = { .job = 42, .uid = 1001, .gid = 1002, .partition = "lwk",
				   .node = "node1" };
	struct mck_error err = { 0 };
	struct mck_jobrec r;
	struct stat st;
	char path[PATH_MAX + 64], *out;
	int rc;

	ok(fx_node_clean(&fx, "fresh node"), "a fresh node is clean");
	rc = mck_lwk_boot(&fx.cfg, &job, &err);
	is_int(rc, 0, "boot job 42 (%s)", rc ? err.msg : "ok");
	out = fx_capture(mck_lwk_status, &fx.cfg, &rc);
	is_int(rc, 0, "status works");
	ok(out && strstr(out, "os 0: RUNNING"), "status shows os 0 RUNNING");
	ok(out && strstr(out, "owner uid 1001"), "status shows the owner");
	ok(out && strstr(out, "job 42"), "status shows the job");
	free(out);
	snprintf(path, sizeof(path), "%s/mcos0", fx.dev);
	ok(stat(path, &st) == 0 && st.st_uid == 1001 && st.st_gid == 1002 &&
	   (st.st_mode & 0777) == 0600, "device mcos0 is 1001:1002 mode 0600");
	rc = mck_jobrec_read(fx.state, 42, &r, &err);
	is_int(rc, 0, "job record 42 written");
	if (!rc) {
		is_str(mck_job_state_name(r.state), "running", "record state is running");
		is_int(r.os, 0, "record names os 0");
		is_int(r.uid, 1001, "record names the uid");
		is_str(r.partition, "lwk", "record names the partition Slurm gave the prologue");
		is_str(r.node, "node1", "record names the node");
		is_int(r.last_step, -1, "no step ran on the instance yet");
		ok(r.cpus && *r.cpus, "record names the LWK CPUs (%s)", r.cpus);
		mck_jobrec_free(&r);
	}
	out = fx_capture(mck_lwk_check, &fx.cfg, &rc);
	is_int(rc, 1, "check: not clean while the job runs");
	ok(out && strstr(out, "os 0: RUNNING, owner uid 1001, job 42"), "check names the instance");
	ok(out && strstr(out, "job record: 42"), "check names the job record");
	free(out);
	out = fx_capture(mck_lwk_health, &fx.cfg, &rc);
	ok(rc == 0, "health: a job's RUNNING instance is a job at work (%s)", out ? out : "");
	free(out);
	snprintf(path, sizeof(path), "%s/log/lifecycle.log", fx.state);
	ok(fx_contains(path, "job 42: ihk_reserve_cpu(") && fx_contains(path, " ms\n"),
	   "lifecycle.log has the timed steps");
	ok(fx_contains(path, "ihk_os_boot(0) ok"), "lifecycle.log has the boot step");
	fx_event_calls(&fx, 0, path, sizeof(path));
	is_str(path, "reserve_cpu reserve_mem create_os os_assign_cpu os_set_ikc_map "
	       "os_assign_mem os_load os_kargs os_boot ",
	       "IHK's order: reservations before the create, the instance configured, booted");

	rc = mck_lwk_teardown(&fx.cfg, 42, &err);
	is_int(rc, 0, "teardown job 42 (%s)", rc ? err.msg : "ok");
	ok(fx_node_clean(&fx, "after teardown"), "node clean after teardown");
	is_int(fx_events_ok(&fx, "os_shutdown"), 0, "no ihk_os_shutdown on its own, ever");
	is_int(fx_events_ok(&fx, "destroy_os"), 1, "the running instance was destroyed directly");
	fx_event_calls(&fx, 0, path, sizeof(path));
	ok(strstr(path, "os_boot destroy_os release_cpu release_mem ") != NULL,
	   "teardown: destroy, then release CPUs and memory (%s)", path);
	snprintf(path, sizeof(path), "%s/jobs/42.job", fx.state);
	ok(access(path, F_OK) != 0, "job record removed");
	snprintf(path, sizeof(path), "%s/kmsg/42.kmsg", fx.state);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640 && st.st_uid == 0 &&
	   st.st_gid == 1002, "kmsg saved before the destroy, 0640 root:job's group");
	rc = mck_lwk_teardown(&fx.cfg, 42, &err);
	is_int(rc, 0, "teardown twice is fine (%s)", rc ? err.msg : "ok");
	rc = mck_lwk_teardown(&fx.cfg, 7, &err);
	is_int(rc, 0, "teardown of a job that never booted is fine");
	ok(!fx_strict_killed(&fx), "no call the strict double punishes");
}

/* A bad image or kargs never reaches IHK: nothing reserved, created or loaded. */
static void test_checks_before_create(void)
{
	static const struct {
		const char *what, *content, *want;
	} images[] = {
		{ "missing image", NULL, "No such file or directory" },
		{ "text image", "dummy McKernel image\n", "not an ELF file" },
		{ "32-bit ELF", "\177ELF\001\001\001\000\000\000\000\000\000\000\000\000",
		  "not a 64-bit ELF image" },
	};
	struct mck_lwk_job job = { .job = 43, .uid = 1001, .gid = 1001, .node = "node1" };
	struct mck_error err = { 0 };
	char path[PATH_MAX + 32], *saved = fx.cfg.image;
	int creates = fx_events_ok(&fx, "create_os"), reserves = fx_events_ok(&fx, "reserve_cpu");
	int loads = fx_events_ok(&fx, "os_load");

	for (size_t i = 0; i < sizeof(images) / sizeof(images[0]); i++) {
		snprintf(path, sizeof(path), "%s/image-%zu", fx.dir, i);
		if (images[i].content)
			fx_write(path, images[i].content);
		fx.cfg.image = path;
		ok(mck_lwk_boot(&fx.cfg, &job, &err) < 0 &&
		   strstr(err.msg, "boot failed at image check") && strstr(err.msg, images[i].want),
		   "%s: fails at the image check (%s)", images[i].what, err.msg);
		ok(failed_boot_contained(43, "image check", images[i].what),
		   "%s: nothing reserved, the record says why, teardown cleans", images[i].what);
	}
	fx.cfg.image = fx.dir;
	ok(mck_lwk_boot(&fx.cfg, &job, &err) < 0 && strstr(err.msg, "not a regular file"),
	   "a directory as image is refused (%s)", err.msg);
	mck_lwk_teardown(&fx.cfg, 43, &err);
	fx.cfg.image = saved;
	saved = fx.cfg.kargs;
	fx.cfg.kargs = (char *)"ksyslogd=0";
	ok(mck_lwk_boot(&fx.cfg, &job, &err) < 0 && strstr(err.msg, "kargs check") &&
	   strstr(err.msg, "hidos"), "kargs without hidos fail before the create (%s)", err.msg);
	ok(failed_boot_contained(43, "kargs check", "kargs"), "kargs: nothing reserved");
	fx.cfg.kargs = saved;
	is_int(fx_events_ok(&fx, "reserve_cpu"), reserves, "no CPU reserved for a bad image or kargs");
	is_int(fx_events_ok(&fx, "create_os"), creates, "no instance created for them");
	is_int(fx_events_ok(&fx, "os_load"), loads, "ihk_os_load never saw a bad image");
}

static void test_each_call_fails(void)
{
	static const struct {
		const char *call;
		int stranded;	/* fails between create and boot */
	} calls[] = {
		{ "ihk_reserve_cpu", 0 }, { "ihk_reserve_mem", 0 }, { "ihk_create_os", 0 },
		{ "ihk_os_assign_cpu", 1 }, { "ihk_os_set_ikc_map", 1 }, { "ihk_os_assign_mem", 1 },
		{ "ihk_os_load", 1 }, { "ihk_os_kargs", 1 }, { "ihk_os_boot", 1 },
	};
	struct mck_lwk_job job = { .job = 44, .uid = 1001, .gid = 1001, .node = "node1" };
	struct mck_error err = { 0 };

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		char spec[128], want[160];
		int rc;

		snprintf(spec, sizeof(spec), "%s:EINVAL:always", calls[i].call);
		setenv("IHK_DOUBLE_FAULT", spec, 1);
		rc = mck_lwk_boot(&fx.cfg, &job, &err);
		unsetenv("IHK_DOUBLE_FAULT");
		snprintf(want, sizeof(want), "boot failed at %s: Invalid argument (-22)", calls[i].call);
		ok(rc == -EINVAL && strstr(err.msg, want), "%s fails: error names it (%s)",
		   calls[i].call, err.msg);
		if (calls[i].stranded)
			check_stranded(44, calls[i].call);
		else
			ok(failed_boot_contained(44, want, calls[i].call),
			   "%s fails: nothing stays reserved, the record keeps the reason, "
			   "teardown removes it", calls[i].call);
	}
}

static void test_unwinds(void)
{
	struct mck_lwk_job job = { .job = 45, .uid = 1001, .gid = 1001, .node = "node1" };
	struct mck_error err = { 0 };
	char path[PATH_MAX];
	int rc;

	setenv("IHK_DOUBLE_FAULT", "ihk_reserve_mem:ENOMEM:once", 1);
	rc = mck_lwk_boot(&fx.cfg, &job, &err);
	unsetenv("IHK_DOUBLE_FAULT");
	is_int(rc, 0, "ENOMEM once: boot succeeds after the retry (%s)", rc ? err.msg : "ok");
	snprintf(path, sizeof(path), "%s/log/lifecycle.log", fx.state);
	ok(fx_contains(path, "compact memory"), "ENOMEM: memory compaction attempted");
	rc = mck_lwk_teardown(&fx.cfg, 45, &err);
	ok(rc == 0 && fx_node_clean(&fx, "ENOMEM"), "ENOMEM: teardown cleans");

	/* a boot fails before the create and its unwind cannot release */
	setenv("IHK_DOUBLE_FAULT", "ihk_create_os:EINVAL:always;ihk_release_cpu:EIO:always", 1);
	job.job = 47;
	rc = mck_lwk_boot(&fx.cfg, &job, &err);
	unsetenv("IHK_DOUBLE_FAULT");
	ok(rc < 0 && strstr(err.msg, "boot failed at ihk_create_os") &&
	   strstr(err.msg, "node not clean: reserved cpus"),
	   "unwind that cannot release names what is stuck (%s)", err.msg);
	ok(!mck_lwk_boot_failed_clean(&fx.cfg, 47), "not reported as a clean failure");
	rc = mck_lwk_teardown(&fx.cfg, 47, &err);
	is_int(rc, 0, "teardown once release works again (%s)", rc ? err.msg : "ok");
	ok(fx_node_clean(&fx, "after unclean boot failure"), "node clean");
}

/* A kernel that panics while the job runs: destroyed directly, kmsg saved. */
static void test_panic(void)
{
	struct mck_lwk_job job = { .job = 46, .uid = 1001, .gid = 1001, .node = "node1" };
	struct mck_error err = { 0 };
	char path[PATH_MAX + 32], *out;
	int (*inject)(int, const char *);
	void *dbl;
	int rc;

	snprintf(path, sizeof(path), "%s/ihk/double/.libs/libihk-double.so",
		 getenv("top_builddir"));
	dbl = dlopen(path, RTLD_NOW);
	inject = dbl ? (int (*)(int, const char *))dlsym(dbl, "ihk_double_os_inject") : NULL;
	ok(inject != NULL, "the double's panic injection is there");
	rc = mck_lwk_boot(&fx.cfg, &job, &err);
	is_int(rc, 0, "boot job 46 (%s)", rc ? err.msg : "ok");
	ok(inject && inject(0, "panic") == 0, "inject a panic into the running instance");
	out = fx_capture(mck_lwk_status, &fx.cfg, &rc);
	ok(out && strstr(out, "os 0: PANIC"), "status shows the panic");
	free(out);
	out = fx_capture(mck_lwk_health, &fx.cfg, &rc);
	ok(rc == 1 && out && strstr(out, "os 0: PANIC"), "health reports the panicked instance");
	free(out);
	rc = mck_lwk_teardown(&fx.cfg, 46, &err);
	is_int(rc, 0, "teardown of a panicked instance (%s)", rc ? err.msg : "ok");
	snprintf(path, sizeof(path), "%s/kmsg/46.kmsg", fx.state);
	ok(fx_contains(path, "panic"), "the panicked kernel's messages are saved");
	ok(fx_node_clean(&fx, "after panic"), "node clean after a panic");
	if (dbl)
		dlclose(dbl);
}

int main(void)
{
	FILE *log;
	char path[PATH_MAX];

	fx_setup(&fx, "test-lwk", NULL);
	snprintf(path, sizeof(path), "%s/steps.log", fx.dir);
	log = fopen(path, "w+");
	mck_lwk_set_log(log);
	test_boot_teardown();
	test_checks_before_create();
	test_each_call_fails();
	test_unwinds();
	test_panic();
	ok(!fx_strict_killed(&fx), "the double never had to kill a caller");
	mck_lwk_set_log(NULL);
	fclose(log);
	fx_done(&fx, mck_test_failed);
	return done_testing();
}
