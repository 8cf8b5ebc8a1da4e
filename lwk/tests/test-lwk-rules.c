/*
 * test-lwk-rules: the rules of the lifecycle against the strict IHK double:
 * ihk_destroy_unbooted = safe gives an unbooted instance's CPUs and memory
 * back before destroying it; a boot never touches another job's instance
 * that Slurm still runs (or of which that cannot be told), and removes one
 * whose job has ended; a stranded or unclaimed instance is never queried
 * nor destroyed; the job user's holders of the device are ended (TERM,
 * KILL), root's are not and the device goes back to root 0600 first; all
 * of that on character devices too; CPUs Linux lost are reported (also
 * those the double's leak mode loses, seen through its sysfs); the
 * step's instance policy comes from the job record; the timeout budget.
 */
#include "config.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fixture.h"
#include "lwk-internal.h"
#include "mck-budget.h"
#include "mck-jobrec.h"
#include "mck-lwk.h"
#include "mck-test.h"
#include "mck-util.h"

static struct fixture fx;

static int boot(unsigned long jobid, uid_t uid, const char *partition, struct mck_error *err)
{
	struct mck_lwk_job job = { .job = jobid, .uid = uid, .gid = uid, .partition = partition,
				   .node = "node1" };

	return mck_lwk_boot(&fx.cfg, &job, err);
}

static void dev0(char *buf, size_t len)
{
	snprintf(buf, len, "%s/mcos0", fx.dev);
}

static enum mck_job_state state_of(unsigned long job)
{
	struct mck_jobrec r;
	enum mck_job_state s;

	if (mck_jobrec_read(fx.state, job, &r, NULL))
		return MCK_JOB_NONE;
	s = r.state;
	mck_jobrec_free(&r);
	return s;
}

static void test_safe_mode(void)
{
	struct mck_error err = { 0 };
	int rc;

	fx_conf_set(&fx, "ihk_destroy_unbooted = safe\n");
	/* an IHK without the defect: the double in its leak mode */
	setenv("IHK_DOUBLE_DESTROY_UNBOOTED", "leak", 1);
	setenv("IHK_DOUBLE_FAULT", "ihk_os_load:EINVAL:always", 1);
	rc = boot(50, 1001, NULL, &err);
	unsetenv("IHK_DOUBLE_FAULT");
	ok(rc < 0 && mck_lwk_boot_failed_clean(&fx.cfg, 50),
	   "safe: a failure between create and boot is unwound to a clean node (%s)", err.msg);
	ok(fx_events_ok(&fx, "os_release_cpu") >= 1 && fx_events_ok(&fx, "os_release_mem") >= 1,
	   "safe: the instance gave its CPUs and memory back before the destroy");
	ok(mck_lwk_teardown(&fx.cfg, 50, &err) == 0 && fx_node_clean(&fx, "safe"),
	   "safe: nothing left after the teardown");
	unsetenv("IHK_DOUBLE_DESTROY_UNBOOTED");
	fx_conf_set(&fx, NULL);
}

/* Another job's instance: Slurm decides whether it is a leftover. */
static void test_other_jobs(void)
{
	struct mck_error err = { 0 };
	char dev[PATH_MAX], *out;
	struct stat st;
	int rc, destroys;

	ok(boot(60, 1001, NULL, &err) == 0, "job 60 boots (%s)", err.msg);
	destroys = fx_events_ok(&fx, "destroy_os");
	fx_slurm_job(&fx, 60, "RUNNING node1");
	rc = boot(61, 1002, NULL, &err);
	ok(rc < 0 && strstr(err.msg, "McKernel on node1 is in use by job 60"),
	   "job 61 is refused: %s", err.msg);
	ok(mck_lwk_boot_failed_clean(&fx.cfg, 61) && state_of(61) == MCK_JOB_REFUSED,
	   "job 61: refused record, the node is fine (not drained)");
	dev0(dev, sizeof(dev));
	out = fx_capture(mck_lwk_status, &fx.cfg, &rc);
	ok(out && strstr(out, "os 0: RUNNING") && stat(dev, &st) == 0 && st.st_uid == 1001 &&
	   fx_events_ok(&fx, "destroy_os") == destroys, "job 60's instance is untouched");
	free(out);
	out = fx_capture(mck_lwk_health, &fx.cfg, &rc);
	ok(rc == 0, "health: job 60 at work and job 61 told why (%s)", out ? out : "");
	free(out);
	mck_lwk_teardown(&fx.cfg, 61, &err);

	fx_slurm_down(&fx, 1);
	rc = boot(62, 1002, NULL, &err);
	ok(rc < 0 && strstr(err.msg, "cannot be told") && strstr(err.msg, "refusing rather than "
	   "destroying"), "Slurm unreachable: refused, not destroyed (%s)", err.msg);
	ok(fx_events_ok(&fx, "destroy_os") == destroys, "job 60's instance still untouched");
	fx_slurm_down(&fx, 0);
	mck_lwk_teardown(&fx.cfg, 62, &err);

	fx_slurm_job(&fx, 60, "COMPLETED node1");
	rc = boot(63, 1002, NULL, &err);
	ok(rc == 0, "Slurm says job 60 completed: its instance is a leftover, job 63 boots (%s)",
	   rc ? err.msg : "ok");
	ok(fx_events_ok(&fx, "destroy_os") == destroys + 1 && state_of(60) == MCK_JOB_NONE,
	   "job 60's instance destroyed, its record gone");
	fx_slurm_job(&fx, 63, "RUNNING node2");
	ok(boot(64, 1001, NULL, &err) == 0, "a job Slurm runs on another node only is a leftover "
	   "here (%s)", err.msg);
	fx_slurm_job(&fx, 63, NULL);
	ok(mck_lwk_teardown(&fx.cfg, 64, &err) == 0 && fx_node_clean(&fx, "others"), "clean");
}

/* Instances of unknown boot state are never touched. */
static void test_unknown_instances(void)
{
	struct mck_error err = { 0 };
	char path[PATH_MAX + 64], *out;
	int (*create)(int);
	void *dbl;
	int rc;

	setenv("IHK_DOUBLE_FAULT", "ihk_os_load:EINVAL:always", 1);
	boot(65, 1001, NULL, &err);
	unsetenv("IHK_DOUBLE_FAULT");
	ok(state_of(65) == MCK_JOB_STRANDED, "job 65 left a stranded instance");
	fx_slurm_job(&fx, 65, "COMPLETED node1");
	rc = boot(66, 1001, NULL, &err);
	ok(rc < 0 && !mck_lwk_boot_failed_clean(&fx.cfg, 66) && strstr(err.msg, "reboot the node"),
	   "the next boot is refused, the node drains with the reboot reason (%s)", err.msg);
	ok(!fx_strict_killed(&fx), "the stranded instance was not queried nor destroyed");
	ok(mck_lwk_clean(&fx.cfg, &err) < 0 && strstr(err.msg, "reboot"),
	   "mckctl clean cannot remove it either (%s)", err.msg);
	ok(!fx_strict_killed(&fx), "not even clean touched it");
	fx_reboot(&fx);
	ok(mck_lwk_clean(&fx.cfg, &err) == 0 && fx_node_clean(&fx, "rebooted"),
	   "after a reboot clean removes the stale record (%s)", err.msg);

	/* an instance no record claims (killed between create and the record) */
	snprintf(path, sizeof(path), "%s/ihk/double/.libs/libihk-double.so",
		 getenv("top_builddir"));
	dbl = dlopen(path, RTLD_NOW);
	create = dbl ? (int (*)(int))dlsym(dbl, "ihk_create_os") : NULL;
	ok(create && create(0) == 0, "an instance created behind the lifecycle's back");
	out = fx_capture(mck_lwk_check, &fx.cfg, &rc);
	ok(rc == 1 && out && strstr(out, "os 0: not queried: claimed by no job record"),
	   "check reports it without querying it");
	free(out);
	rc = boot(67, 1001, NULL, &err);
	ok(rc < 0 && strstr(err.msg, "claimed by no job record"), "a boot refuses to touch it (%s)",
	   err.msg);
	ok(!fx_strict_killed(&fx), "never queried nor destroyed");
	if (dbl)
		dlclose(dbl);
	fx_reboot(&fx);
	mck_lwk_clean(&fx.cfg, &err);
}

static void test_holders(void)
{
	struct mck_error err = { 0 };
	char dev[PATH_MAX], path[PATH_MAX + 32], text[64];
	struct stat st;
	pid_t holder;
	int rc;

	dev0(dev, sizeof(dev));
	ok(boot(70, 1001, NULL, &err) == 0, "job 70 boots");
	holder = fx_hold(dev, 1001);
	ok(holder > 0, "a process of the job's user holds %s (pid %ld)", dev, (long)holder);
	rc = mck_lwk_teardown(&fx.cfg, 70, &err);
	ok(rc == 0, "teardown ends it and succeeds (%s)", rc ? err.msg : "ok");
	is_int(fx_reap(holder, 2000), 128 + SIGTERM, "the holder ended by TERM");
	snprintf(path, sizeof(path), "%s/log/lifecycle.log", fx.state);
	snprintf(text, sizeof(text), "ending pid %ld (", (long)holder);
	ok(fx_contains(path, text), "the lifecycle log names the process it ended");
	ok(fx_node_clean(&fx, "user holder"), "node clean");

	/* a user chmods the device 666; root holds it: never ended, device back to 0600 */
	ok(boot(71, 1001, NULL, &err) == 0, "job 71 boots");
	chmod(dev, 0666);
	holder = fx_hold(dev, 0);
	rc = mck_lwk_teardown(&fx.cfg, 71, &err);
	snprintf(text, sizeof(text), "pid %ld (", (long)holder);
	ok(rc == -EBUSY && strstr(err.msg, "ihk_destroy_os") && strstr(err.msg, text) &&
	   strstr(err.msg, "uid 0)"), "root's holder is not ended: teardown names it (%s)",
	   err.msg);
	ok(stat(dev, &st) == 0 && st.st_uid == 0 && st.st_gid == 0 && (st.st_mode & 07777) == 0600,
	   "the device is root's, mode 0600, although the user made it 0666");
	ok(fx_reap(holder, 0) == -1, "root's holder still runs");
	fx_unhold(holder);
	ok(mck_lwk_teardown(&fx.cfg, 71, &err) == 0 && fx_node_clean(&fx, "root holder"),
	   "teardown once it is gone (%s)", err.msg);

	/* mckctl clean during a job ends the job user's holders too */
	ok(boot(72, 1001, NULL, &err) == 0, "job 72 boots");
	holder = fx_hold(dev, 1001);
	ok(mck_lwk_clean(&fx.cfg, &err) == 0, "clean during the job (%s)", err.msg);
	is_int(fx_reap(holder, 2000), 128 + SIGTERM, "clean ended the job user's holder");
}

/* The same on a character device, as /dev/mcosN is on a real node. */
static void test_char_device(void)
{
	struct lwk_holder h[4];
	struct mck_error err = { 0 };
	char dev[PATH_MAX];
	struct stat st;
	pid_t user, root;
	unsigned minor_no;
	int n;

	dev0(dev, sizeof(dev));
	ok(boot(73, 1001, NULL, &err) == 0, "job 73 boots");
	/* a minor of this run's own: holders are found by device number */
	minor_no = (unsigned)getpid() & 0xfffff;
	ok(unlink(dev) == 0 && mknod(dev, S_IFCHR | 0600, makedev(240, minor_no)) == 0 &&
	   chown(dev, 1001, 1001) == 0, "its device made a character device (240:%u), the user's",
	   minor_no);
	user = fx_hold(dev, 1001);
	root = fx_hold(dev, 0);
	n = lwk_device_holders(dev, h, 4);
	ok(n == 2 && user > 0 && root > 0, "both holders of the character device are found (%d)", n);
	ok(mck_lwk_teardown(&fx.cfg, 73, &err) == -EBUSY, "root's holder keeps the destroy off");
	is_int(fx_reap(user, 2000), 128 + SIGTERM, "the user's holder was ended");
	ok(lstat(dev, &st) == 0 && S_ISCHR(st.st_mode) && st.st_uid == 0 &&
	   (st.st_mode & 07777) == 0600, "the character device is root's, mode 0600");
	fx_unhold(root);
	ok(mck_lwk_teardown(&fx.cfg, 73, &err) == 0 && fx_node_clean(&fx, "char device"),
	   "teardown once root's holder is gone (%s)", err.msg);
}

static void test_lost_cpus(void)
{
	char path[PATH_MAX + 64], *out;
	int rc;

	snprintf(path, sizeof(path), "%s/sys/devices/system/cpu", fx.dir);
	ok(mck_mkdir_p(path, 0755, NULL) == 0, "a sysfs for Linux's view");
	snprintf(path, sizeof(path), "%s/sys/devices/system/cpu/offline", fx.dir);
	fx_write(path, "0\n");
	ok(fx_node_clean(&fx, "offline cpu 0"), "a CPU offline that McKernel never took is not ours");
	fx_write(path, "0,3\n");
	out = fx_capture(mck_lwk_check, &fx.cfg, &rc);
	ok(rc == 1 && out && strstr(out, "cpus 3: offline to Linux but held by no IHK pool or "
	   "instance"), "a CPU IHK took and did not give back is reported");
	free(out);
	fx_write(path, "\n");
	ok(fx_node_clean(&fx, "online again"), "clean once Linux has it back");
}

/*
 * The defect the lost-CPU check is for, with the double's own view of
 * Linux: on an IHK where destroying an instance that did not boot
 * "works" (the double's leak mode), its CPUs stay offline to Linux while
 * IHK's queries are empty. (The lifecycle never does this; a destroy
 * behind its back, as a hand-made ihkconfig would, shows the check.)
 */
static void test_leaked_cpus(void)
{
	int (*reserve)(int, int *, int), (*create)(int), (*assign)(int, int *, int);
	int (*destroy)(int, int);
	struct mck_error err = { 0 };
	char path[2 * sizeof(fx.dir) + sizeof(fx.ihk) + 64], sys[sizeof(fx.dir) + 8], *out;
	int cpu = 1, os, rc;
	void *dbl;

	ok(boot(75, 1001, NULL, &err) == 0 && mck_lwk_teardown(&fx.cfg, 75, &err) == 0,
	   "a boot and teardown: this node's lifecycle has used CPU 1");
	snprintf(sys, sizeof(sys), "%s/sys", fx.dir);
	snprintf(path, sizeof(path), "rm -rf '%s' && ln -s '%s/sys' '%s'", sys, fx.ihk, sys);
	ok(system(path) == 0, "sysfs_dir is the double's view of Linux");
	snprintf(path, sizeof(path), "%s/ihk/double/.libs/libihk-double.so", getenv("top_builddir"));
	dbl = dlopen(path, RTLD_NOW);
	reserve = dbl ? (int (*)(int, int *, int))dlsym(dbl, "ihk_reserve_cpu") : NULL;
	create = dbl ? (int (*)(int))dlsym(dbl, "ihk_create_os") : NULL;
	assign = dbl ? (int (*)(int, int *, int))dlsym(dbl, "ihk_os_assign_cpu") : NULL;
	destroy = dbl ? (int (*)(int, int))dlsym(dbl, "ihk_destroy_os") : NULL;
	setenv("IHK_DOUBLE_DESTROY_UNBOOTED", "leak", 1);
	ok(reserve && create && assign && destroy && reserve(0, &cpu, 1) == 0 &&
	   (os = create(0)) >= 0 && assign(os, &cpu, 1) == 0 && destroy(0, os) == 0,
	   "leak mode: a never-booted instance holding CPU 1 destroyed behind the lifecycle's back");
	unsetenv("IHK_DOUBLE_DESTROY_UNBOOTED");
	out = fx_capture(mck_lwk_check, &fx.cfg, &rc);
	ok(rc == 1 && out && strstr(out, "cpus 1: offline to Linux but held by no IHK pool"),
	   "check: IHK's queries are empty, but Linux lost CPU 1");
	free(out);
	out = fx_capture(mck_lwk_health, &fx.cfg, &rc);
	ok(rc == 1, "the health check says so too (the node drains)");
	free(out);
	if (dbl)
		dlclose(dbl);
	fx_reboot(&fx);
	ok(fx_node_clean(&fx, "leaked cpus after a reboot"), "after a reboot Linux has it back");
}

/* mck_lwk_step's answer, its output in out (caller frees). */
static int step(unsigned long job, long stepid, char **out, struct mck_error *err)
{
	struct mck_lwk_step_req req = { .job = job, .step = stepid };
	size_t len = 0;
	FILE *m = open_memstream(out, &len);
	int rc = mck_lwk_step(&fx.cfg, &req, m, err);

	fclose(m);
	return rc;
}

static void test_steps(void)
{
	struct mck_error err = { 0 };
	char dev[PATH_MAX], path[PATH_MAX + 64], *out = NULL;
	struct mck_jobrec r;
	struct stat st;
	int boots, rc;
	pid_t holder;
	int (*inject)(int, const char *);
	void *dbl;

	dev0(dev, sizeof(dev));
	fx_conf_set(&fx, "[partition one]\ninstance_policy = per-job\n");
	ok(boot(80, 1001, "one", &err) == 0, "job 80 boots in partition one (per-job)");
	boots = fx_events_ok(&fx, "os_boot");
	rc = step(80, 0, &out, &err);
	ok(rc == 0 && out && !strncmp(out, "partition=one\nos=0\n", 19),
	   "step 0 may run, mckctl step prints the recorded partition and os (%s)",
	   rc ? err.msg : "ok");
	ok(out && strstr(out, "\nreport=boot_ms=") && strstr(out, ";cpus=6;mem=") &&
	   strstr(out, ";kmsg="), "the job's first step carries the node's boot for the user");
	free(out);
	out = NULL;
	rc = step(80, 0, &out, &err);
	ok(rc == 0 && out && !strstr(out, "report="), "a later step does not (once per job)");
	free(out);
	ok(mck_jobrec_read(fx.state, 80, &r, NULL) == 0 && r.last_step == 0,
	   "the record notes step 0");
	mck_jobrec_free(&r);
	rc = step(80, 1, &out, &err);
	free(out);
	ok(rc == 0 && fx_events_ok(&fx, "os_boot") == boots,
	   "per-job from the record's partition: step 1 reuses the instance");
	mck_lwk_teardown(&fx.cfg, 80, &err);

	ok(boot(81, 1001, NULL, &err) == 0, "job 81 boots (default policy: per-step)");
	boots = fx_events_ok(&fx, "os_boot");
	rc = step(81, 0, &out, &err);
	free(out);
	ok(rc == 0 && fx_events_ok(&fx, "os_boot") == boots,
	   "step 0 runs on the prologue's unused instance");
	holder = fx_hold(dev, 1001);
	rc = step(81, 1, &out, &err);
	free(out);
	ok(rc == 0 && fx_events_ok(&fx, "os_boot") == boots + 1,
	   "step 1 gets a fresh instance (%s)", rc ? err.msg : "ok");
	is_int(fx_reap(holder, 2000), 128 + SIGTERM, "step 0's leftover holder was ended");
	snprintf(path, sizeof(path), "%s/kmsg/81.step0.kmsg", fx.state);
	ok(access(path, R_OK) == 0, "the replaced instance's messages saved as the job's step 0's");
	ok(stat(dev, &st) == 0 && st.st_uid == 1001, "the fresh instance is the job user's");
	rc = step(81, 1, &out, &err);
	free(out);
	ok(rc == 0 && fx_events_ok(&fx, "os_boot") == boots + 1, "the same step again: no reboot");
	mck_lwk_teardown(&fx.cfg, 81, &err);

	mck_jobrec_refuse(fx.state, 82, 1001, 1001, NULL, "node1", "told you so", &err);
	rc = step(82, 0, &out, &err);
	free(out);
	ok(rc < 0 && !strcmp(err.msg, "job 82: no McKernel instance on node1: told you so"),
	   "a refused job's step fails with the record's reason (%s)", err.msg);
	mck_lwk_teardown(&fx.cfg, 82, &err);
	rc = step(83, 0, &out, &err);
	free(out);
	ok(rc < 0 && strstr(err.msg, "was the job submitted with --mckernel"),
	   "a job without a record (%s)", err.msg);

	snprintf(path, sizeof(path), "%s/ihk/double/.libs/libihk-double.so",
		 getenv("top_builddir"));
	dbl = dlopen(path, RTLD_NOW);
	inject = dbl ? (int (*)(int, const char *))dlsym(dbl, "ihk_double_os_inject") : NULL;
	ok(boot(84, 1001, NULL, &err) == 0 && inject && inject(0, "panic") == 0,
	   "job 84 boots, then panics");
	rc = step(84, 0, &out, &err);
	free(out);
	snprintf(path, sizeof(path), "%s/kmsg/84.step0.kmsg", fx.state);
	ok(rc < 0 && strstr(err.msg, "job 84 step 0 on node1: McKernel instance 0 is PANIC, not "
	   "RUNNING; kernel messages saved in ") && strstr(err.msg, path),
	   "the step fails in one line (%s)", err.msg);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640 && st.st_gid == 1001,
	   "the step's kmsg file: 0640, the job's group");
	ok(mck_lwk_teardown(&fx.cfg, 84, &err) == 0 && fx_node_clean(&fx, "steps"), "clean");
	if (dbl)
		dlclose(dbl);
}

static void test_budget_and_lock(void)
{
	struct mck_config c = { .boot_timeout = 60, .shutdown_timeout = 30 };
	struct mck_budget b;
	char path[PATH_MAX + 32];
	double t0;
	int fd, fd2;

	mck_budget(&c, &b);
	is_int(b.teardown_s, MCK_HOLDER_GRACE_S + 30 + MCK_RELEASE_MARGIN_S,
	       "teardown: holder grace + shutdown_timeout + release");
	is_int(b.boot_s, b.teardown_s + 60 + MCK_RESERVE_MARGIN_S, "boot: a teardown first, then "
	       "boot_timeout + reservations");
	is_int(b.lock_wait_s, b.boot_s, "the lock waits for the longest operation");
	is_int(b.mckctl_boot_s, b.lock_wait_s + b.boot_s, "mckctl boot: the wait and its own boot");
	is_int(b.script_s, 270, "the default settings need PrologEpilogTimeout >= 270 s");
	snprintf(path, sizeof(path), "%s/lock", fx.dir);
	fd = open(path, O_RDWR | O_CREAT, 0644);
	fd2 = open(path, O_RDWR);
	ok(fd >= 0 && flock(fd, LOCK_EX) == 0, "hold a lock");
	t0 = mck_now_ms();
	ok(lwk_flock_wait(fd2, LOCK_SH, 1) == -ETIMEDOUT && mck_now_ms() - t0 < 3000,
	   "a wait for it gives up after its bound");
	close(fd);
	ok(lwk_flock_wait(fd2, LOCK_SH, 1) == 0, "and gets it once it is free");
	close(fd2);
}

int main(void)
{
	char path[PATH_MAX];
	FILE *log;

	fx_setup(&fx, "test-lwk-rules", NULL);
	snprintf(path, sizeof(path), "%s/steps.log", fx.dir);
	log = fopen(path, "w+");
	mck_lwk_set_log(log);
	test_safe_mode();
	test_other_jobs();
	test_unknown_instances();
	test_holders();
	test_char_device();
	test_lost_cpus();
	test_leaked_cpus();
	test_steps();
	test_budget_and_lock();
	ok(!fx_strict_killed(&fx), "the double never had to kill a caller");
	mck_lwk_set_log(NULL);
	fclose(log);
	fx_done(&fx, mck_test_failed);
	return done_testing();
}
