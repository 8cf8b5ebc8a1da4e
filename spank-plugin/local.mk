## spank-plugin: the --mckernel SPANK plugin, spank_mckernel.so.
pkglib_LTLIBRARIES += spank-plugin/spank_mckernel.la
spank_plugin_spank_mckernel_la_SOURCES = \
	spank-plugin/mckernel.c spank-plugin/local.c spank-plugin/remote.c \
	spank-plugin/mck-spank.h spank-plugin/argv.c spank-plugin/argv.h \
	spank-plugin/step.c spank-plugin/container.c spank-plugin/report.c spank-plugin/report.h
spank_plugin_spank_mckernel_la_CPPFLAGS = $(AM_CPPFLAGS) $(SLURM_CPPFLAGS)
spank_plugin_spank_mckernel_la_LDFLAGS = $(AM_LDFLAGS) \
	-module -avoid-version -shared \
	-Wl,--version-script=$(top_srcdir)/spank-plugin/spank_mckernel.map
spank_plugin_spank_mckernel_la_LIBADD = lwk/libmckrun.la common/libmckcommon.la -lpthread
EXTRA_spank_plugin_spank_mckernel_la_DEPENDENCIES = spank-plugin/spank_mckernel.map
EXTRA_DIST += spank-plugin/spank_mckernel.map \
	spank-plugin/tests/exports.sh spank-plugin/tests/prepend-build.sh \
	spank-plugin/tests/submit.sh spank-plugin/tests/hardening.sh
dist_man_MANS += spank-plugin/spank_mckernel.8

## Unit test of the argv builder and the --multi-prog parser (same sources as the plugin).
check_PROGRAMS += spank-plugin/tests/test-argv
spank_plugin_tests_test_argv_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/spank-plugin
spank_plugin_tests_test_argv_SOURCES = spank-plugin/tests/test-argv.c \
	spank-plugin/argv.c spank-plugin/argv.h common/mck-test.h
spank_plugin_tests_test_argv_LDADD = common/libmckcommon.la

## remote.c driven by a fake SPANK runtime, on the task path this Slurm has
## (22.05: exec; 23.11+: spank_prepend_task_argv).
check_PROGRAMS += spank-plugin/tests/test-remote
spank_plugin_tests_test_remote_SOURCES = spank-plugin/tests/test-remote.c \
	spank-plugin/remote.c spank-plugin/argv.c spank-plugin/argv.h \
	spank-plugin/container.c spank-plugin/report.c spank-plugin/report.h \
	spank-plugin/mck-spank.h common/mck-test.h
spank_plugin_tests_test_remote_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/spank-plugin $(SLURM_CPPFLAGS)
spank_plugin_tests_test_remote_LDADD = $(MCK_OCI_LIBS) common/libmckcommon.la -lpthread

## The user's boot line: the summary, and srun's listener with nodes sending (loopback).
check_PROGRAMS += spank-plugin/tests/test-report
spank_plugin_tests_test_report_SOURCES = spank-plugin/tests/test-report.c \
	spank-plugin/report.c spank-plugin/report.h spank-plugin/mck-spank.h common/mck-test.h
spank_plugin_tests_test_report_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/spank-plugin $(SLURM_CPPFLAGS)
spank_plugin_tests_test_report_LDADD = common/libmckcommon.la -lpthread
TESTS += spank-plugin/tests/test-report
TESTS += spank-plugin/tests/test-remote

## The built plugin exports only the SPANK symbols and is hardened; the Slurm 23.11 path
## (spank_prepend_task_argv) compiles; srun/sbatch/salloc load the plugin,
## list --mckernel and refuse bad values at submit time.
TESTS += spank-plugin/tests/test-argv spank-plugin/tests/exports.sh \
	spank-plugin/tests/prepend-build.sh spank-plugin/tests/submit.sh \
	spank-plugin/tests/hardening.sh

## Container steps (srun --mckernel --container, spank-plugin/container.c):
## changing a bundle's config.json, shared by the plugin (Slurm 22.05) and
## mck-oci-run, the RunTimeRun wrapper of oci.conf (Slurm 23.11+).
if HAVE_JSONC
MCK_OCI_LIBS = spank-plugin/libmckoci.la
noinst_LTLIBRARIES += spank-plugin/libmckoci.la
spank_plugin_libmckoci_la_SOURCES = spank-plugin/oci.c spank-plugin/oci.h \
	spank-plugin/oci-rootfs.c spank-plugin/oci-elf.c spank-plugin/oci-rootfs.h
spank_plugin_libmckoci_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
spank_plugin_libmckoci_la_LIBADD = $(JSONC_LIBS)
spank_plugin_spank_mckernel_la_LIBADD += spank-plugin/libmckoci.la

pkglibexec_PROGRAMS += spank-plugin/mck-oci-run
spank_plugin_mck_oci_run_SOURCES = spank-plugin/mck-oci-run.c
spank_plugin_mck_oci_run_LDADD = spank-plugin/libmckoci.la common/libmckcommon.la

check_PROGRAMS += spank-plugin/tests/test-oci
TESTS += spank-plugin/tests/test-oci spank-plugin/tests/oci-run.sh
spank_plugin_tests_test_oci_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/spank-plugin
spank_plugin_tests_test_oci_SOURCES = spank-plugin/tests/test-oci.c common/mck-test.h
spank_plugin_tests_test_oci_LDADD = spank-plugin/libmckoci.la common/libmckcommon.la
EXTRA_DIST += spank-plugin/tests/oci spank-plugin/tests/oci-run.sh
else
MCK_OCI_LIBS =
EXTRA_DIST += spank-plugin/oci.c spank-plugin/oci.h spank-plugin/oci-rootfs.c \
	spank-plugin/oci-elf.c spank-plugin/oci-rootfs.h spank-plugin/mck-oci-run.c \
	spank-plugin/tests/test-oci.c spank-plugin/tests/oci spank-plugin/tests/oci-run.sh
endif
