/*
 * test-prereq: the IHK module check of mckctl prereq against module lists
 * in the /proc/modules format (the node's own list cannot be changed).
 */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* dir/name with text at offset (zeros before), executable. */
static const char *binary(const char *name, const char *text, long offset)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return path;
	fputs("\177ELF", f);
	fseek(f, offset, SEEK_SET);
	fputs(text, f);
	fputs("\n", f);
	fclose(f);
	chmod(path, 0755);
	return path;
}

/* mck_prereq_check's lines for a configuration text; the count of problems. */
static int check_conf(const char *text, char *out, size_t len)
{
	struct mck_config cfg;
	struct mck_error err = { 0 };
	char modules[160];
	FILE *o;
	int r;

	if (mck_config_load_buffer(text, strlen(text), "t.conf", NULL, &cfg, &err)) {
		snprintf(out, len, "load: %s", err.msg);
		return -1;
	}
	snprintf(modules, sizeof(modules), "%s/modules", dir);
	o = fmemopen(out, len, "w");
	r = mck_prereq_check(&cfg, modules, "/nonexistent", 1, o);
	fclose(o);
	mck_config_free(&cfg);
	return r;
}

/* Issue 10 item 8: whether the configured mcexec is built with UTI. */
static void test_uti_probe(void)
{
	struct mck_error err = { 0 };
	char conf[512], out[8192];
	const char *p;

	p = binary("plain", "--enable-uti\nERROR: uti is not available when not configured "
		   "with --with-syscall_intercept=<path>", 4096);
	is_int(mck_prereq_mcexec_uti(p, &err), MCK_UTI_WITHOUT,
	       "a build carrying the refusal of --enable-uti: without UTI");
	p = binary("uti", "enable-uti", 100);
	is_int(mck_prereq_mcexec_uti(p, &err), MCK_UTI_WITH,
	       "knows --enable-uti without the refusal: built with UTI");
	p = binary("wrapper", "#!/bin/sh\nexec /opt/mck/bin/mcexec \"$@\"", 10);
	is_int(mck_prereq_mcexec_uti(p, &err), MCK_UTI_UNKNOWN, "a wrapper script: cannot tell");
	/* the refusal straddling two reads of the probe */
	p = binary("straddle", "uti is not available", 65536 - 7);
	is_int(mck_prereq_mcexec_uti(p, &err), MCK_UTI_WITHOUT, "a marker across two reads is found");
	p = binary("far", "enable-uti", 3L << 20);
	is_int(mck_prereq_mcexec_uti(p, &err), MCK_UTI_WITH, "a marker 3 MiB in is found");
	mck_error_clear(&err);
	ok(mck_prereq_mcexec_uti("/nonexistent/mcexec", &err) == -ENOENT &&
	   strstr(err.msg, "/nonexistent/mcexec"), "a missing binary: -ENOENT naming it (%s)", err.msg);

	/* mckctl prereq holds mcexec_uti against the binary */
	snprintf(conf, sizeof(conf), "mcexec = %s/plain\nmcexec_uti = yes\n", dir);
	ok(check_conf(conf, out, sizeof(out)) > 0 &&
	   strstr(out, "built without UTI (it carries McKernel's \"uti is not available\" refusal "
		  "of --enable-uti) but t.conf says mcexec_uti = yes") &&
	   strstr(out, "set mcexec_uti = no, or install a McKernel built with UTI"),
	   "mcexec_uti = yes with an mcexec built without UTI is a problem with its fix");
	snprintf(conf, sizeof(conf), "mcexec = %s/wrapper\nmcexec_uti = yes\n", dir);
	check_conf(conf, out, sizeof(out));
	ok(strstr(out, "/wrapper: cannot tell whether it supports UTI (it does not mention "
		  "enable-uti") != NULL, "mcexec_uti = yes with a wrapper: cannot tell, said so");
	snprintf(conf, sizeof(conf), "mcexec = %s/uti\nmcexec_uti = yes\n", dir);
	check_conf(conf, out, sizeof(out));
	ok(strstr(out, "ok: mcexec_uti = yes; mcexec ") && strstr(out, "/uti is built with UTI") &&
	   !strstr(out, "UTI ("), "mcexec_uti = yes with a UTI build: ok");
	snprintf(conf, sizeof(conf), "mcexec = %s/plain\n", dir);
	check_conf(conf, out, sizeof(out));
	ok(strstr(out, "ok: mcexec_uti = no; mcexec ") && !strstr(out, "UTI ("),
	   "mcexec_uti = no (the default) with a build without UTI: ok");
	for (const char *n = "plain\0uti\0wrapper\0straddle\0far\0"; *n; n += strlen(n) + 1) {
		snprintf(conf, sizeof(conf), "%s/%s", dir, n);
		unlink(conf);
	}
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Write text as the module list check_conf reads. */
static void modules_file(const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/modules", dir);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/*
 * The modules judged from libihk's answer and /proc/modules only: a libihk
 * that answers for device 0 (here the IHK double, which prereq is never
 * told about) needs no module listed, but a list naming some of them must
 * name all; a libihk that does not load leaves the list to decide.
 */
static void test_modules_judged(void)
{
	const char *top = getenv("top_builddir");
	char conf[1024], out[8192], state[160];

	if (geteuid() != 0) {
		ok(0, "the IHK double answers device queries only to root: run as root");
		return;
	}
	snprintf(state, sizeof(state), "%s/ihk", dir);
	setenv("IHK_DOUBLE_STATE", state, 1);
	setenv("IHK_DOUBLE_LATENCY", "zero", 1);
	snprintf(conf, sizeof(conf), "libihk = %s/ihk/double/.libs/libihk-double.so\n",
		 top ? top : ".");

	modules_file("ext4 1 0 - Live 0x0\n");
	check_conf(conf, out, sizeof(out));
	ok(strstr(out, "ok: IHK modules: libihk answers for device 0 and ") &&
	   !strstr(out, "IHK module ") && strstr(out, "ok: IHK device 0 answers (0 instances)"),
	   "libihk answers, no IHK module listed: nothing to load (%s)", out);
	ok(!strstr(out, "IHK double"), "the judgment does not name the IHK double");

	modules_file("ihk 3 2 - Live 0x0\n" SMP " 2 1 - Live 0x0\n");
	check_conf(conf, out, sizeof(out));
	ok(strstr(out, "IHK module mcctrl: not loaded") && !strstr(out, "IHK module ihk:") &&
	   !strstr(out, "IHK device 0"),
	   "libihk answers, ihk and smp listed without mcctrl: mcctrl is missing (%s)", out);

	modules_file("ext4 1 0 - Live 0x0\n");
	check_conf("libihk = /nonexistent/libihk.so\n", out, sizeof(out));
	ok(strstr(out, "IHK module ihk: not loaded") && strstr(out, "IHK module mcctrl: not loaded"),
	   "no libihk to answer: the modules the list lacks are missing");
	unsetenv("IHK_DOUBLE_STATE");
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

	test_uti_probe();
	test_modules_judged();

	snprintf(out, sizeof(out), "rm -rf '%s'", dir);
	if (system(out))
		printf("# could not remove %s\n", dir);
	return done_testing();
}
