/*
 * mcexec-node.c: test helper of the mcexec double. Prepares a McKernel
 * instance on the IHK double of $IHK_DOUBLE_STATE, the way mckctl would,
 * through libihk's calls only.
 *
 *   mcexec-node boot CPULIST MEMSIZE IMAGE [noboot]   prints the OS index
 *   mcexec-node status OS                              prints ihk_os_get_status (fatal
 *                                                      when the instance is not booted)
 *   mcexec-node shutdown|destroy OS                    prints what the call returned
 *   mcexec-node inject OS panic|hang                   make a booted instance fail (root)
 *   mcexec-node online                                 CPUs Linux still has (double's view)
 */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ihk-double.h"
#include "ihklib-abi.h"
#include "mck-lists.h"
#include "mck-util.h"

static int fail(const char *what, int rc)
{
	fprintf(stderr, "mcexec-node: %s: %s\n", what, strerror(rc < 0 ? -rc : rc));
	return 1;
}

static int boot(const char *cpulist, const char *memsize, const char *image, int noboot)
{
	struct ihk_mem_chunk chunk = { 0, 0 };
	struct mck_error err = { 0 };
	uint64_t bytes;
	int *cpus = NULL, n, os, rc;

	if (mck_cpulist_parse(cpulist, &cpus, &n, &err) < 0) {
		fprintf(stderr, "mcexec-node: %s\n", err.msg);
		return 1;
	}
	if (mck_size_parse(memsize, &bytes) < 0)
		return fail("memory size", -EINVAL);
	chunk.size = bytes;
	if ((rc = ihk_reserve_cpu(0, cpus, n)) < 0)
		return fail("reserve_cpu", rc);
	if ((rc = ihk_reserve_mem(0, &chunk, 1)) < 0)
		return fail("reserve_mem", rc);
	if ((os = ihk_create_os(0)) < 0)
		return fail("create_os", os);
	if ((rc = ihk_os_assign_cpu(os, cpus, n)) < 0)
		return fail("os_assign_cpu", rc);
	if ((rc = ihk_os_assign_mem(os, &chunk, 1)) < 0)
		return fail("os_assign_mem", rc);
	if ((rc = ihk_os_load(os, (char *)image)) < 0)
		return fail("os_load", rc);
	if ((rc = ihk_os_kargs(os, "hidos")) < 0)
		return fail("os_kargs", rc);
	if (!noboot && (rc = ihk_os_boot(os)) < 0)
		return fail("os_boot", rc);
	printf("%d\n", os);
	free(cpus);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "boot"))
		return boot(argv[2], argv[3], argv[4], argc > 5 && !strcmp(argv[5], "noboot"));
	if (argc == 3 && !strcmp(argv[1], "status")) {
		printf("%d\n", ihk_os_get_status(atoi(argv[2])));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "shutdown")) {
		printf("%d\n", ihk_os_shutdown(atoi(argv[2])));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "destroy")) {
		printf("%d\n", ihk_destroy_os(0, atoi(argv[2])));
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "inject")) {
		int rc = ihk_double_os_inject(atoi(argv[2]), argv[3]);

		return rc < 0 ? fail("inject", rc) : 0;
	}
	if (argc == 2 && !strcmp(argv[1], "online")) {
		int cpus[4096], n = ihk_double_online_cpus(cpus, 4096);
		char *text;

		if (n < 0)
			return fail("online", n);
		text = mck_cpulist_format(cpus, n < 4096 ? n : 4096);
		printf("%s\n", text ? text : "");
		free(text);
		return 0;
	}
	fprintf(stderr, "usage: mcexec-node boot CPULIST MEMSIZE IMAGE [noboot] | status OS | "
		"shutdown OS | destroy OS | inject OS panic|hang | online\n");
	return 2;
}
