/*
 * ihk-double-ctl: drive the IHK double of a node from a shell (tests).
 *
 *   ihk-double-ctl status             each instance: status and generation
 *   ihk-double-ctl inject OS panic|hang
 *                                     make a booted instance fail now (root)
 *
 * The node is the double's usual one ($IHK_DOUBLE_STATE, else
 * ihk_double_state of mckernel.conf). A process holding a device open
 * needs no tool: `sleep 60 9<> STATE/dev/mcos0 &`.
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

static int show_status(void)
{
	int oses[IHK_MAX_NUM_OS], n;
	char dir[PATH_MAX];

	if (ihk_double_state_dir(dir, sizeof(dir)) == 0)
		printf("state: %s\n", dir);
	n = ihk_get_num_os_instances(0);
	if (n < 0) {
		fprintf(stderr, "ihk-double-ctl: ihk_get_num_os_instances: %s\n", strerror(-n));
		return 1;
	}
	if (n > 0 && ihk_get_os_instances(0, oses, n) < 0)
		return 1;
	printf("instances: %d\n", n);
	for (int i = 0; i < n; i++) {
		int st = ihk_os_get_status(oses[i]);

		printf("os %d: %s gen %d\n", oses[i], st < 0 ? strerror(-st) : status_name(st),
		       ihk_double_os_generation(oses[i]));
	}
	printf("reserved cpus: %d\nreserved memory chunks: %d\n",
	       ihk_get_num_reserved_cpus(0), ihk_get_num_reserved_mem_chunks(0));
	return 0;
}

int main(int argc, char **argv)
{
	long os;
	int rc;

	if (argc == 2 && !strcmp(argv[1], "status"))
		return show_status();
	if (argc == 4 && !strcmp(argv[1], "inject")) {
		if (mck_parse_long(argv[2], 0, IHK_MAX_NUM_OS - 1, &os)) {
			fprintf(stderr, "ihk-double-ctl: inject: OS '%s': expected 0 to %d\n",
				argv[2], IHK_MAX_NUM_OS - 1);
			return 2;
		}
		rc = ihk_double_os_inject((int)os, argv[3]);
		if (rc < 0) {
			fprintf(stderr, "ihk-double-ctl: inject %s into os %ld: %s\n", argv[3], os,
				strerror(-rc));
			return 1;
		}
		return 0;
	}
	fprintf(stderr, "usage: ihk-double-ctl status | inject OS panic|hang\n");
	return 2;
}
