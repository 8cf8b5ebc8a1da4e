## spank-plugin: the --mckernel SPANK plugin, spank_mckernel.so.
pkglib_LTLIBRARIES += spank-plugin/spank_mckernel.la
spank_plugin_spank_mckernel_la_SOURCES = \
	spank-plugin/mckernel.c spank-plugin/local.c spank-plugin/remote.c \
	spank-plugin/mck-spank.h spank-plugin/argv.c spank-plugin/argv.h \
	spank-plugin/step.c
spank_plugin_spank_mckernel_la_CPPFLAGS = $(AM_CPPFLAGS) $(SLURM_CPPFLAGS)
spank_plugin_spank_mckernel_la_LDFLAGS = $(AM_LDFLAGS) \
	-module -avoid-version -shared \
	-Wl,--version-script=$(top_srcdir)/spank-plugin/spank_mckernel.map
spank_plugin_spank_mckernel_la_LIBADD = ihk/libmckihk.la
EXTRA_spank_plugin_spank_mckernel_la_DEPENDENCIES = spank-plugin/spank_mckernel.map
EXTRA_DIST += spank-plugin/spank_mckernel.map \
	spank-plugin/tests/exports.sh spank-plugin/tests/prepend-build.sh \
	spank-plugin/tests/submit.sh spank-plugin/tests/hardening.sh
dist_man_MANS += spank-plugin/spank_mckernel.8

## Unit test of the argv builder and the --multi-prog parser (same sources as the plugin).
check_PROGRAMS += spank-plugin/test-argv
spank_plugin_test_argv_SOURCES = spank-plugin/test-argv.c \
	spank-plugin/argv.c spank-plugin/argv.h common/mck-test.h
spank_plugin_test_argv_LDADD = common/libmckcommon.la

## remote.c driven by a fake SPANK runtime, on the task path this Slurm has
## (22.05: exec; 23.11+: spank_prepend_task_argv).
check_PROGRAMS += spank-plugin/test-remote
spank_plugin_test_remote_SOURCES = spank-plugin/test-remote.c \
	spank-plugin/remote.c spank-plugin/argv.c spank-plugin/argv.h \
	spank-plugin/mck-spank.h common/mck-test.h
spank_plugin_test_remote_CPPFLAGS = $(AM_CPPFLAGS) $(SLURM_CPPFLAGS)
spank_plugin_test_remote_LDADD = common/libmckcommon.la
TESTS += spank-plugin/test-remote

## The built plugin exports only the SPANK symbols and is hardened; the Slurm 23.11 path
## (spank_prepend_task_argv) compiles; srun/sbatch/salloc load the plugin,
## list --mckernel and refuse bad values at submit time.
TESTS += spank-plugin/test-argv spank-plugin/tests/exports.sh \
	spank-plugin/tests/prepend-build.sh spank-plugin/tests/submit.sh \
	spank-plugin/tests/hardening.sh
