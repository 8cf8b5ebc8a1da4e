/*
 * test-prereq: the IHK module check of mckctl prereq against module lists
 * in the /proc/modules format (the node's own list cannot be changed).
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mck-prereq.h"
#include "mck-test.h"

#if defined(__x86_64__)
#define SMP "ihk_smp_x86_64"
#elif defined(__aarch64__)
#define SMP "ihk_smp_arm64"
#else
#define SMP "ihk_smp_other"
#endif

static char dir[] = "/tmp/test-prereq.XXXXXX";

/* Write text as a module list; run the check; output in out (size len). */
static int run(const char *text, char *out, size_t len)
{
	char path[128];
	struct mck_error err = { 0 };
	FILE *f, *o;
	int r;

	snprintf(path, sizeof(path), "%s/modules", dir);
	f = fopen(path, "w");
	if (!f)
		return -100;
	fputs(text, f);
	fclose(f);
	o = fmemopen(out, len, "w");
	if (!o)
		return -101;
	r = mck_prereq_modules(path, o, &err);
	fclose(o);
	return r;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

int main(void)
{
	char out[4096];
	struct mck_error err = { 0 };
	FILE *devnull;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 99;
	}

	memset(out, 0, sizeof(out));
	is_int(run("mcctrl 1 0 - Live 0x0\n" SMP " 2 1 mcctrl, Live 0x0\n"
		   "ihk 3 2 " SMP ",mcctrl, Live 0x0\n", out, sizeof(out)), 0,
	       "all three modules loaded: nothing missing");
	is_str(out, "", "nothing printed");

	memset(out, 0, sizeof(out));
	is_int(run("ext4 1 0 - Live 0x0\nihk_extra 1 0 - Live 0x0\n", out, sizeof(out)), 3,
	       "none loaded (a module whose name starts with ihk is not ihk): three missing");
	is_int(count_lines(out), 3, "one line per missing module");
	ok(strstr(out, "IHK module ihk: not loaded") != NULL, "ihk named (%s)", out);
	ok(strstr(out, "IHK module mcctrl: not loaded") != NULL, "mcctrl named");
	ok(strstr(out, "load ihk.ko, ihk-smp-<arch>.ko and mcctrl.ko") != NULL,
	   "the line says how to fix it");

	memset(out, 0, sizeof(out));
	is_int(run("ihk 3 2 - Live 0x0\nmcctrl 1 0 - Live 0x0\n", out, sizeof(out)), 1,
	       "SMP module missing");
	ok(strncmp(out, "IHK module ihk_smp_", 19) == 0 && count_lines(out) == 1,
	   "only the SMP module is named (%s)", out);

	devnull = fopen("/dev/null", "w");
	ok(mck_prereq_modules("/nonexistent/modules", devnull, &err) < 0 &&
	   strstr(err.msg, "/nonexistent/modules") != NULL,
	   "an unreadable list is an error naming it (%s)", err.msg);
	fclose(devnull);

	snprintf(out, sizeof(out), "%s/modules", dir);
	unlink(out);
	rmdir(dir);
	return done_testing();
}
