/*
 * ihk-strict.c: the libihk of the lifecycle's unit tests: the IHK double
 * (this library's dependency: every call not defined here is the double's)
 * with the rule real IHK 3114d9e enforces by crashing the node: a status
 * query or a destroy of an instance whose ihk_os_boot did not return 0, or
 * that was shut down with ihk_os_shutdown, kills the calling process with
 * SIGKILL (and does so again at every later try, as the real instance
 * stays poisoned). Each kill is noted in STATE/strict.log first, so that a
 * test can tell. Decided from the double's events.log, whose format
 * ihk/double/README.md documents. IHK_STRICT_SAFE=1 models an IHK without
 * the defect (what ihk_destroy_unbooted = safe declares): nothing is killed.
 */
#include "config.h"
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ihk-double.h"

/* Did instance os (its current generation) boot, and is it not shut down? */
static int booted_and_up(int os)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], line[512], tag[64];
	int gen = ihk_double_os_generation(os), booted = 0, down = 0;
	FILE *f;

	if (getenv("IHK_STRICT_SAFE") && !strcmp(getenv("IHK_STRICT_SAFE"), "1"))
		return 1;
	if (gen < 0 || ihk_double_state_dir(dir, sizeof(dir)) < 0)
		return 1;	/* no such instance: the double answers */
	snprintf(path, sizeof(path), "%s/events.log", dir);
	snprintf(tag, sizeof(tag), " os=%d gen=%d rc=0", os, gen);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, tag))
			continue;
		booted |= strstr(line, " call=os_boot ") != NULL;
		down |= strstr(line, " call=os_shutdown ") != NULL;
	}
	fclose(f);
	return booted && !down;
}

static void crash(const char *call, int os)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	FILE *f;

	if (ihk_double_state_dir(dir, sizeof(dir)) == 0) {
		snprintf(path, sizeof(path), "%s/strict.log", dir);
		f = fopen(path, "ae");
		if (f) {
			fprintf(f, "pid=%ld call=%s os=%d: instance not booted: SIGKILL\n",
				(long)getpid(), call, os);
			fclose(f);
		}
	}
	raise(SIGKILL);
}

int ihk_os_get_status(int os)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "ihk_os_get_status");

	if (!booted_and_up(os))
		crash("ihk_os_get_status", os);
	return real(os);
}

int ihk_destroy_os(int dev, int os)
{
	int (*real)(int, int) = (int (*)(int, int))dlsym(RTLD_NEXT, "ihk_destroy_os");

	if (!booted_and_up(os))
		crash("ihk_destroy_os", os);
	return real(dev, os);
}
