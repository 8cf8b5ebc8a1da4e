## lwk: fragment of the top-level Makefile.am
## The McKernel instance lifecycle (liblwk, the only door to IHK), the
## node-side tool mckctl, and what the programs Slurm starts share to run
## it (libmckrun: budget, mckctl command line, drain, log line, scripts).

# What mck-prologue, mck-epilogue, mck-healthcheck and the SPANK plugin
# share; no libihk, no hwloc.
noinst_LTLIBRARIES += lwk/libmckrun.la
lwk_libmckrun_la_SOURCES = \
	lwk/mck-budget.c lwk/mck-budget.h \
	lwk/mck-ctlcmd.c lwk/mck-ctlcmd.h \
	lwk/mck-drain.c lwk/mck-drain.h \
	lwk/mck-logline.c lwk/mck-logline.h \
	lwk/mck-script.c lwk/mck-script.h \
	lwk/mck-metrics.c lwk/mck-metrics.h

noinst_LTLIBRARIES += lwk/liblwk.la
lwk_liblwk_la_SOURCES = lwk/mck-lwk.h lwk/lwk-internal.h \
	lwk/lwk-ctx.c lwk/lwk-device.c lwk/lwk-kmsg.c lwk/lwk-validate.c \
	lwk/lwk-boot.c lwk/lwk-teardown.c lwk/lwk-inspect.c lwk/lwk-status.c \
	lwk/lwk-step.c lwk/lwk-slurm.c lwk/lwk-keep.c \
	lwk/mck-prereq.c lwk/mck-prereq.h lwk/mck-slurmcheck.c
lwk_liblwk_la_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
lwk_liblwk_la_LIBADD = lwk/libmckrun.la hwloc-maps/libmckmaps.la ihk/libmckihk.la \
	common/libmckcommon.la

sbin_PROGRAMS += lwk/mckctl
lwk_mckctl_SOURCES = lwk/mckctl.c
lwk_mckctl_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
lwk_mckctl_LDADD = lwk/liblwk.la
dist_man_MANS += lwk/mckctl.8 lwk/mck-healthcheck.8

# HealthCheckProgram: check the node, drain it with a reason when not clean
sbin_PROGRAMS += lwk/mck-healthcheck
lwk_mck_healthcheck_SOURCES = lwk/mck-healthcheck.c
lwk_mck_healthcheck_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
lwk_mck_healthcheck_LDADD = lwk/liblwk.la

check_PROGRAMS += lwk/tests/test-lwk
lwk_tests_test_lwk_SOURCES = lwk/tests/test-lwk.c lwk/tests/fixture.c lwk/tests/fixture.h \
	common/mck-test.h
lwk_tests_test_lwk_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
lwk_tests_test_lwk_LDADD = lwk/liblwk.la -ldl
check_PROGRAMS += lwk/tests/test-lwk-rules
lwk_tests_test_lwk_rules_SOURCES = lwk/tests/test-lwk-rules.c lwk/tests/fixture.c \
	lwk/tests/fixture.h common/mck-test.h
lwk_tests_test_lwk_rules_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
lwk_tests_test_lwk_rules_LDADD = lwk/liblwk.la -ldl
check_PROGRAMS += lwk/tests/test-keep
lwk_tests_test_keep_SOURCES = lwk/tests/test-keep.c lwk/tests/fixture.c \
	lwk/tests/fixture.h common/mck-test.h
lwk_tests_test_keep_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
lwk_tests_test_keep_LDADD = lwk/liblwk.la -ldl
TESTS += lwk/tests/test-keep lwk/tests/test-report.sh
EXTRA_DIST += lwk/tests/test-report.sh
TESTS += lwk/tests/test-lwk lwk/tests/test-lwk-rules lwk/tests/test-mckctl.sh lwk/tests/test-prolog.sh \
	lwk/tests/test-containment.sh lwk/tests/test-healthcheck.sh
EXTRA_DIST += lwk/tests/test-mckctl.sh lwk/tests/test-prolog.sh lwk/tests/lib.sh \
	lwk/tests/test-containment.sh lwk/tests/test-healthcheck.sh

# mckctl prereq / check-slurm: node prerequisites and Slurm settings
check_PROGRAMS += lwk/tests/test-prereq
lwk_tests_test_prereq_SOURCES = lwk/tests/test-prereq.c common/mck-test.h
lwk_tests_test_prereq_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
lwk_tests_test_prereq_LDADD = lwk/liblwk.la
TESTS += lwk/tests/test-prereq lwk/tests/test-prereq.sh lwk/tests/test-check-slurm.sh \
	lwk/tests/test-one-door.sh lwk/tests/test-char-devices.sh
EXTRA_DIST += lwk/tests/test-prereq.sh lwk/tests/test-check-slurm.sh lwk/tests/test-one-door.sh \
	lwk/tests/test-char-devices.sh

