## lwk: fragment of the top-level Makefile.am
## The McKernel instance lifecycle (liblwk) and the node-side tool mckctl.
noinst_LTLIBRARIES += lwk/liblwk.la
lwk_liblwk_la_SOURCES = lwk/mck-lwk.c lwk/mck-lwk.h
lwk_liblwk_la_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
lwk_liblwk_la_LIBADD = hwloc-maps/libmckmaps.la ihk/libmckihk.la \
	common/libmckcommon.la

sbin_PROGRAMS += lwk/mckctl
lwk_mckctl_SOURCES = lwk/mckctl.c
lwk_mckctl_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
lwk_mckctl_LDADD = lwk/liblwk.la
dist_man_MANS += lwk/mckctl.8 lwk/mck-healthcheck.8

# HealthCheckProgram: check the node, drain it with a reason when not clean
sbin_PROGRAMS += lwk/mck-healthcheck
lwk_mck_healthcheck_SOURCES = lwk/mck-healthcheck.c lwk/mck-drain.c lwk/mck-drain.h
lwk_mck_healthcheck_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
lwk_mck_healthcheck_LDADD = lwk/liblwk.la

check_PROGRAMS += lwk/tests/test-lwk
lwk_tests_test_lwk_SOURCES = lwk/tests/test-lwk.c common/mck-test.h
lwk_tests_test_lwk_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
lwk_tests_test_lwk_LDADD = lwk/liblwk.la
TESTS += lwk/tests/test-lwk lwk/tests/test-mckctl.sh lwk/tests/test-prolog.sh \
	lwk/tests/test-containment.sh lwk/tests/test-healthcheck.sh
EXTRA_DIST += lwk/tests/test-mckctl.sh lwk/tests/test-prolog.sh lwk/tests/lib.sh \
	lwk/tests/test-containment.sh lwk/tests/test-healthcheck.sh

# mckctl prereq / check-slurm: node prerequisites and Slurm settings
lwk_liblwk_la_SOURCES += lwk/mck-prereq.c lwk/mck-prereq.h lwk/mck-slurmcheck.c
check_PROGRAMS += lwk/tests/test-prereq
lwk_tests_test_prereq_SOURCES = lwk/tests/test-prereq.c common/mck-test.h
lwk_tests_test_prereq_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
lwk_tests_test_prereq_LDADD = lwk/liblwk.la
TESTS += lwk/tests/test-prereq lwk/tests/test-prereq.sh lwk/tests/test-check-slurm.sh
EXTRA_DIST += lwk/tests/test-prereq.sh lwk/tests/test-check-slurm.sh
