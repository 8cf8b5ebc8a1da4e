/*
 * ihk-double-ctl: drive the IHK double of a node from a shell (tests).
 *
 *   ihk-double-ctl status             the node: crash, instances (phase,
 *                                     status, generation, poison), pool
 *   ihk-double-ctl inject OS panic|hang
 *                                     make a booted instance fail now (root)
 *   ihk-double-ctl init               create the node if it is not there
 *                                     yet: dev/mcd0, Linux's view (root)
 *   ihk-double-ctl reset              the node as after a reboot (root)
 *
 * The node is the double's usual one ($IHK_DOUBLE_STATE, else
 * ihk-double.conf). Nothing here makes a fatal call. A process holding a
 * device open needs no tool: `sleep 60 9<> STATE/dev/mcos0 &`.
 */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ihk-double.h"
#include "ihklib-abi.h"
#include "mck-util.h"

static const char *status_name(int st)
{
	static const char *const names[] = {
		"INACTIVE", "BOOTING", "RUNNING", "SHUTDOWN", "PANIC", "HUNGUP", "FREEZING", "FROZEN",
	};

	return st >= 0 && st < 8 ? names[st] : "?";
}

static const char *phase_name(int phase)
{
	static const char *const names[] = { "created", "booted", "shutting-down", "shut-down" };

	return phase >= 0 && phase < 4 ? names[phase] : "?";
}

static void show_instance(int os)
{
	struct ihk_double_peek p;
	int rc = ihk_double_os_peek(os, &p);

	if (rc < 0) {
		printf("os %d: %s\n", os, strerror(-rc));
		return;
	}
	printf("os %d: %s gen %u phase %s%s\n", os, status_name(p.status), p.gen,
	       phase_name(p.phase), p.poisoned ? " POISONED (status/destroy kill the caller)" : "");
}

static int show_status(void)
{
	int oses[IHK_MAX_NUM_OS], n;
	char dir[PATH_MAX], why[256];

	if (ihk_double_state_dir(dir, sizeof(dir)) == 0)
		printf("state: %s\n", dir);
	if (ihk_double_crashed(why, sizeof(why)) == 1) {
		printf("crashed: %s (every libihk call fails with -EIO until "
		       "ihk-double-ctl reset)\n", why);
		return 0;
	}
	n = ihk_get_num_os_instances(0);
	if (n < 0) {
		fprintf(stderr, "ihk-double-ctl: ihk_get_num_os_instances: %s\n", strerror(-n));
		return 1;
	}
	if (n > 0 && ihk_get_os_instances(0, oses, n) < 0)
		return 1;
	printf("instances: %d\n", n);
	for (int i = 0; i < n; i++)
		show_instance(oses[i]);
	printf("reserved cpus: %d\nreserved memory chunks: %d\n",
	       ihk_get_num_reserved_cpus(0), ihk_get_num_reserved_mem_chunks(0));
	return 0;
}

static int inject(const char *os_text, const char *what)
{
	long os;
	int rc;

	if (mck_parse_long(os_text, 0, IHK_MAX_NUM_OS - 1, &os)) {
		fprintf(stderr, "ihk-double-ctl: inject: OS '%s': expected 0 to %d\n",
			os_text, IHK_MAX_NUM_OS - 1);
		return 2;
	}
	rc = ihk_double_os_inject((int)os, what);
	if (rc < 0) {
		fprintf(stderr, "ihk-double-ctl: inject %s into os %ld: %s\n", what, os,
			strerror(-rc));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int rc;

	if (argc == 2 && !strcmp(argv[1], "status"))
		return show_status();
	if (argc == 4 && !strcmp(argv[1], "inject"))
		return inject(argv[2], argv[3]);
	if (argc == 2 && !strcmp(argv[1], "reset")) {
		if ((rc = ihk_double_reset()) < 0) {
			fprintf(stderr, "ihk-double-ctl: reset: %s\n", strerror(-rc));
			return 1;
		}
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "init")) {
		if ((rc = ihk_double_init()) < 0) {
			fprintf(stderr, "ihk-double-ctl: init: %s\n", strerror(-rc));
			return 1;
		}
		return 0;
	}
	fprintf(stderr, "usage: ihk-double-ctl status | inject OS panic|hang | init | reset\n");
	return 2;
}
