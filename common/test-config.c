/* Unit tests of the operator configuration parser. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mck-config.h"
#include "mck-test.h"

static char tmpl[] = "/tmp/mck-test-config-XXXXXX";

static const char *write_conf(const char *text)
{
	FILE *f = fopen(tmpl, "w");

	fputs(text, f);
	fclose(f);
	return tmpl;
}

static void bad(const char *text, const char *want_in_msg)
{
	struct mck_config cfg;
	struct mck_error err = { 0 };
	int rc = mck_config_load(write_conf(text), "batch", &cfg, &err);

	ok(rc == -EINVAL, "reject: %s", want_in_msg);
	ok(strstr(err.msg, want_in_msg) != NULL, "message '%s' contains '%s'", err.msg, want_in_msg);
}

int main(void)
{
	struct mck_config cfg;
	struct mck_error err = { 0 };
	int fd = mkstemp(tmpl);

	close(fd);

	ok(mck_config_load(write_conf(""), NULL, &cfg, &err) == 0, "empty file gives defaults");
	ok(cfg.mem_fraction > 0 && cfg.boot_timeout > 0, "defaults are set");
	ok(strstr(cfg.kargs, "hidos") != NULL, "default kargs contain hidos");
	mck_config_free(&cfg);

	ok(mck_config_load(write_conf(
		"# global\n"
		"mcexec = /opt/mck/bin/mcexec\n"
		"mem_fraction = 0.25   # a quarter\n"
		"[partition batch]\n"
		"mem_fraction = 0.5\n"
		"kargs = hidos allow_oversubscribe\n"
		"[partition debug]\n"
		"mem_fraction = 0.75\n"), "batch", &cfg, &err) == 0,
	   "load with partitions: %s", err.msg);
	is_str(cfg.mcexec, "/opt/mck/bin/mcexec", "global value");
	ok(cfg.mem_fraction == 0.5, "partition batch overrides mem_fraction");
	is_str(cfg.kargs, "hidos allow_oversubscribe", "partition kargs");
	mck_config_free(&cfg);

	ok(mck_config_load(tmpl, "other", &cfg, &err) == 0, "load for another partition");
	ok(cfg.mem_fraction == 0.25, "global value when the partition has no section");
	mck_config_free(&cfg);

	bad("nonsense = 1\n", ":1: unknown key 'nonsense'");
	bad("\nmem_fraction = 1.5\n", ":2: mem_fraction = '1.5': expected a number in (0, 0.98]");
	bad("boot_timeout = soon\n", "boot_timeout = 'soon'");
	bad("mcexec = relative/path\n", "expected an absolute path");
	bad("kargs = ksyslogd=0\n", "must contain the word 'hidos'");
	bad("[cluster x]\n", "unknown section");
	bad("[partition a]\n[partition a]\n", "second section");
	bad("just words\n", "expected 'key = value'");
	bad("[partition debug]\nmem_fraction = 2\n", ":2: mem_fraction = '2'");

	ok(mck_config_load("/nonexistent/mckernel.conf", NULL, &cfg, &err) == -ENOENT,
	   "an explicit missing file is an error");
	ok(strstr(err.msg, "/nonexistent/mckernel.conf") != NULL, "error names the file");

	unlink(tmpl);
	return done_testing();
}
