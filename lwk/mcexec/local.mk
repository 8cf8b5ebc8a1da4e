## lwk/mcexec: the mcexec double. The binary must be named "mcexec" (a
## rank's parent process reads "mcexec"); it links the IHK double's code
## statically, so there is no libtool wrapper in the build tree either.
pkglibexec_PROGRAMS += lwk/mcexec/mcexec
lwk_mcexec_mcexec_SOURCES = lwk/mcexec/mcexec.c lwk/mcexec/mcexec.h \
	lwk/mcexec/mcexec-partition.c lwk/mcexec/mcexec-record.c lwk/mcexec/mcexec-run.c
lwk_mcexec_mcexec_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/ihk/double
lwk_mcexec_mcexec_LDADD = ihk/double/libihkdouble-core.la common/libmckcommon.la \
	$(HWLOC_LIBS) $(LIBS)

## Test helper: drives the IHK double directly to prepare an instance.
check_PROGRAMS += lwk/mcexec/tests/mcexec-node
lwk_mcexec_tests_mcexec_node_SOURCES = lwk/mcexec/tests/mcexec-node.c
lwk_mcexec_tests_mcexec_node_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/ihk/double
lwk_mcexec_tests_mcexec_node_LDADD = ihk/double/libihkdouble-core.la \
	common/libmckcommon.la $(HWLOC_LIBS) $(LIBS)

TESTS += lwk/mcexec/tests/test-mcexec.sh
EXTRA_DIST += lwk/mcexec/tests/test-mcexec.sh
