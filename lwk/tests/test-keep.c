/*
 * test-keep: reservation = keep against the IHK double (as strict as real IHK). A job's
 * teardown keeps IHK's pool for the next job of the same plan, which does
 * not reserve again; a plan that differs, mckctl release, clean and an
 * expired keep_idle give it back; check treats it as clean only while IHK
 * matches the record; a boot that fails after reusing it keeps nothing.
 */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "mck-jobrec.h"
#include "mck-lwk.h"
#include "mck-options.h"
#include "mck-test.h"
#include "mck-util.h"

static struct fixture fx;
static char kept[PATH_MAX];

/* Boot job (options text or NULL) in partition keep, then tear it down. */
static int cycle(unsigned long job, const char *opts, char *calls, size_t len)
{
	struct mck_options o;
	struct mck_lwk_job j = { .job = job, .uid = 1001, .gid = 1001, .partition = "keep",
				 .node = "node1" };
	struct mck_error err = { 0 };
	int from = fx_event_count(&fx), rc;

	if (opts) {
		if (mck_options_parse(opts, &o, &err))
			return -1;
		j.options = &o;
	}
	rc = mck_lwk_boot(&fx.cfg, &j, &err);
	if (rc) {
		printf("# boot %lu: %s\n", job, err.msg);
		return rc;
	}
	rc = mck_lwk_teardown(&fx.cfg, job, &err);
	if (rc)
		printf("# teardown %lu: %s\n", job, err.msg);
	fx_event_calls(&fx, from, calls, len);
	return rc;
}

static void test_keep_and_reuse(void)
{
	char calls[2048], *out;
	int rc;

	is_int(cycle(1, NULL, calls, sizeof(calls)), 0, "job 1 boots and tears down");
	ok(strstr(calls, "reserve_cpu reserve_mem create_os") &&
	   strstr(calls, "destroy_os ") && !strstr(calls, "release_cpu"),
	   "job 1 reserved; its teardown destroyed and released nothing (%s)", calls);
	ok(access(kept, F_OK) == 0, "the kept record is written");
	ok(fx_contains(kept, "cpus=") && fx_contains(kept, "partition=keep") &&
	   fx_contains(kept, "job=1"), "it names the CPUs, the partition and the job");
	ok(fx_node_clean(&fx, "kept"), "check: a kept reservation matching IHK is clean");
	out = fx_capture(mck_lwk_status, &fx.cfg, &rc);
	ok(out && strstr(out, "kept reservation: cpus ") && !strstr(out, "NOT VALID"),
	   "status shows the kept reservation");
	free(out);

	is_int(cycle(2, NULL, calls, sizeof(calls)), 0, "job 2 of the same plan");
	ok(!strstr(calls, "reserve_cpu") && !strstr(calls, "reserve_mem") &&
	   strstr(calls, "create_os os_assign_cpu"), "job 2 only created, assigned and booted (%s)",
	   calls);
	ok(access(kept, F_OK) == 0, "kept again after job 2");
	{
		char log[PATH_MAX];

		snprintf(log, sizeof(log), "%s/log/lifecycle.log", fx.state);
		ok(fx_contains(log, "job 2: boot ok: instance 0 RUNNING; job 2; partition keep; "
			       "plan cpus 1-3,5-7 mem ") &&
		   fx_contains(log, "; reservation kept from an earlier job; steps recovery=") &&
		   fx_contains(log, ", ihk_os_boot=") && fx_contains(log, "; total "),
		   "one boot line: job, partition, plan, reservation, every step's time");
		ok(fx_contains(log, "job 1: boot ok: instance 0 RUNNING; job 1; partition keep; ") &&
		   fx_contains(log, "; reservation reserved; steps "), "job 1's line says it reserved");
		ok(fx_contains(log, "job 2: teardown ok, node clean, reservation kept "),
		   "the teardown line says the reservation was kept");
	}

	is_int(cycle(3, "mem=0.5", calls, sizeof(calls)), 0, "job 3 with another plan");
	ok(strstr(calls, "release_cpu release_mem reserve_cpu reserve_mem create_os") != NULL,
	   "the kept reservation went back to Linux before job 3 reserved its own (%s)", calls);

	{
		struct mck_error err = { 0 };
		int from = fx_event_count(&fx);

		is_int(mck_lwk_release(&fx.cfg, "test", &err), 0, "mckctl release");
		fx_event_calls(&fx, from, calls, sizeof(calls));
		ok(strstr(calls, "release_cpu release_mem") != NULL, "release gives it back (%s)",
		   calls);
		ok(access(kept, F_OK) != 0, "no record after release");
		is_int(fx_events_ok(&fx, "reserve_cpu") > 0, 1, "(jobs reserved before)");
		is_int(mck_lwk_release(&fx.cfg, "test", &err), 0, "release with nothing kept: 0");
	}
	ok(fx_node_clean(&fx, "released"), "node clean after release");
}

static void test_mismatch(void)
{
	struct mck_lwk_job j = { .job = 5, .uid = 1001, .gid = 1001, .partition = "keep",
				 .node = "node1" };
	struct mck_error err = { 0 };
	char calls[2048], *out, *text = NULL;
	int rc;

	is_int(cycle(4, NULL, calls, sizeof(calls)), 0, "job 4 keeps");
	/* the record says other CPUs than IHK's pool holds */
	if (mck_read_file(kept, &text, NULL, NULL) == 0) {
		char *p = strstr(text, "cpus=");

		if (p)
			p[5] = p[5] == '9' ? '8' : '9';
		fx_write(kept, text);
		free(text);
	}
	out = fx_capture(mck_lwk_check, &fx.cfg, &rc);
	ok(rc == 1 && out && strstr(out, "kept reservation record") &&
	   strstr(out, "reserved cpus"), "check: a record IHK does not match is not clean");
	free(out);
	ok(mck_lwk_release(&fx.cfg, "test", &err) < 0 && strstr(err.msg, "does not match IHK"),
	   "release refuses a record that does not match (%s)", err.msg);
	rc = mck_lwk_boot(&fx.cfg, &j, &err);
	is_int(rc, 0, "the next boot cleans it up and boots (%s)", rc ? err.msg : "ok");
	fx_conf_set(&fx, "[partition keep]\nreservation = per-job\n");
	is_int(mck_lwk_teardown(&fx.cfg, 5, &err), 0, "per-job teardown");
	ok(access(kept, F_OK) != 0, "per-job: nothing kept");
	ok(fx_node_clean(&fx, "per-job"), "node clean");
	fx_conf_set(&fx, "[partition keep]\nreservation = keep\n");
}

static void test_failed_boot_after_reuse(void)
{
	struct mck_lwk_job j = { .job = 7, .uid = 1001, .gid = 1001, .partition = "keep",
				 .node = "node1" };
	struct mck_error err = { 0 };
	char calls[2048];
	int rc;

	is_int(cycle(6, NULL, calls, sizeof(calls)), 0, "job 6 keeps");
	setenv("IHK_DOUBLE_FAULT", "ihk_create_os:EINVAL:always", 1);
	rc = mck_lwk_boot(&fx.cfg, &j, &err);
	unsetenv("IHK_DOUBLE_FAULT");
	ok(rc < 0 && strstr(err.msg, "ihk_create_os"), "job 7 fails at create (%s)", err.msg);
	ok(mck_lwk_boot_failed_clean(&fx.cfg, 7), "the unwind left nothing of it");
	ok(access(kept, F_OK) != 0, "a failed boot keeps nothing");
	mck_lwk_teardown(&fx.cfg, 7, &err);
	ok(fx_node_clean(&fx, "failed boot after reuse"), "node clean");
	ok(!fx_strict_killed(&fx), "no call the strict double punishes");
}

static void test_clean_and_idle(void)
{
	struct mck_error err = { 0 };
	char calls[2048];

	is_int(cycle(8, NULL, calls, sizeof(calls)), 0, "job 8 keeps");
	is_int(mck_lwk_kept_expire(&fx.cfg, &err), 0, "health check, keep_idle not reached");
	ok(access(kept, F_OK) == 0, "still kept before keep_idle");
	fx_conf_set(&fx, "keep_idle = 0\n[partition keep]\nreservation = keep\n");
	is_int(mck_lwk_kept_expire(&fx.cfg, &err), 0, "health check after keep_idle (%s)", err.msg);
	ok(access(kept, F_OK) != 0, "released after keep_idle");
	ok(fx_node_clean(&fx, "expired"), "node clean after keep_idle");

	is_int(cycle(9, NULL, calls, sizeof(calls)), 0, "job 9 keeps");
	is_int(mck_lwk_clean(&fx.cfg, &err), 0, "mckctl clean (%s)", err.msg);
	ok(access(kept, F_OK) != 0, "clean releases a kept reservation");
	ok(fx_node_clean(&fx, "clean"), "node clean after clean");
}

int main(void)
{
	FILE *log;
	char path[PATH_MAX];

	fx_setup(&fx, "test-keep", "keep_idle = 3600\n[partition keep]\nreservation = keep\n");
	snprintf(kept, sizeof(kept), "%s/%s", fx.state, MCK_LWK_KEPT_FILE);
	snprintf(path, sizeof(path), "%s/steps.log", fx.dir);
	log = fopen(path, "w+");
	mck_lwk_set_log(log);
	test_keep_and_reuse();
	test_mismatch();
	test_failed_boot_after_reuse();
	test_clean_and_idle();
	mck_lwk_set_log(NULL);
	fclose(log);
	fx_done(&fx, mck_test_failed);
	return done_testing();
}
