/* test-mck-ihk.c: the libihk loader against the IHK double and bad paths. */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mck-ihk.h"
#include "mck-test.h"

int main(void)
{
	const char *top = getenv("top_builddir");
	char path[PATH_MAX];
	struct mck_ihk ihk;
	struct mck_error err = { 0 };

	snprintf(path, sizeof(path), "%s/ihk/double/.libs/libihk-double.so", top ? top : ".");

	is_int(mck_ihk_open(&ihk, "/nonexistent/libihk.so", &err), -ENOENT,
	       "a missing libihk is -ENOENT");
	ok(strstr(err.msg, "mckernel.conf") != NULL, "the error says what to change: %s", err.msg);
	ok(ihk.handle == NULL, "nothing stays loaded after a failure");

	/* libc is a loadable library that is not libihk */
	mck_error_clear(&err);
	is_int(mck_ihk_open(&ihk, "libc.so.6", &err), -ENOSYS, "a library without ihk_* is -ENOSYS");
	ok(strstr(err.msg, "ihk_reserve_cpu") != NULL, "the error names the missing call: %s", err.msg);

	mck_error_clear(&err);
	is_int(mck_ihk_open(&ihk, path, &err), 0, "the double loads: %s", err.msg);
	ok(ihk.ihk_os_boot && ihk.ihk_reserve_mem && ihk.ihk_os_get_num_numa_nodes,
	   "every call resolved");
	is_str(ihk.path, path, "path recorded");
	mck_ihk_close(&ihk);
	ok(ihk.handle == NULL && ihk.path == NULL, "close clears the table");

	is_str(mck_ihk_status_name(IHK_STATUS_RUNNING), "RUNNING", "status name RUNNING");
	is_str(mck_ihk_status_name(IHK_STATUS_HUNGUP), "HUNGUP", "status name HUNGUP");
	is_str(mck_ihk_status_name(-2), "UNKNOWN", "unknown status");
	is_str(mck_ihk_status_name(8), "UNKNOWN", "status out of range");
	return done_testing();
}
