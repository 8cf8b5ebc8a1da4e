## ihk: fragment of the top-level Makefile.am

# The libihk loader: production code reaches IHK only through it.
noinst_LTLIBRARIES += ihk/libmckihk.la
ihk_libmckihk_la_SOURCES = ihk/mck-ihk.c ihk/mck-ihk.h ihk/ihklib-abi.h
ihk_libmckihk_la_LIBADD = common/libmckcommon.la $(LIBS)

# The IHK double. Its implementation is a convenience library so that the
# mcexec double can link it directly (together with common/libmckcommon.la);
# libihk-double.so is the same code as a dlopen-able libihk that exports
# only the ihk_* names.
noinst_LTLIBRARIES += ihk/double/libihkdouble-core.la
ihk_double_libihkdouble_core_la_SOURCES = \
	ihk/double/double-locate.c ihk/double/double-conf.c \
	ihk/double/double-state.c ihk/double/double-linux.c \
	ihk/double/double-devices.c ihk/double/double-calls.c \
	ihk/double/double-os.c ihk/double/double-life.c \
	ihk/double/double-extras.c \
	ihk/double/double-internal.h ihk/double/ihk-double.h
ihk_double_libihkdouble_core_la_CPPFLAGS = $(AM_CPPFLAGS) $(HWLOC_CFLAGS)
ihk_double_libihkdouble_core_la_LIBADD = $(HWLOC_LIBS) $(LIBS)

pkglib_LTLIBRARIES += ihk/double/libihk-double.la
ihk_double_libihk_double_la_SOURCES =
ihk_double_libihk_double_la_LIBADD = \
	ihk/double/libihkdouble-core.la common/libmckcommon.la $(HWLOC_LIBS)
ihk_double_libihk_double_la_LDFLAGS = $(AM_LDFLAGS) \
	-module -avoid-version -shared -export-symbols-regex '^ihk_'

check_PROGRAMS += ihk/double/tests/test-ihk-double ihk/double/tests/test-ihk-double-rules \
	ihk/tests/test-mck-ihk
TESTS += ihk/double/tests/test-ihk-double ihk/double/tests/test-ihk-double-rules \
	ihk/tests/test-mck-ihk
ihk_double_tests_test_ihk_double_SOURCES = ihk/double/tests/test-ihk-double.c \
	ihk/double/tests/double-test.c ihk/double/tests/double-test.h common/mck-test.h
ihk_double_tests_test_ihk_double_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/ihk/double
ihk_double_tests_test_ihk_double_LDADD = ihk/libmckihk.la common/libmckcommon.la $(LIBS)
ihk_double_tests_test_ihk_double_rules_SOURCES = ihk/double/tests/test-ihk-double-rules.c \
	ihk/double/tests/double-test.c ihk/double/tests/double-test.h common/mck-test.h
ihk_double_tests_test_ihk_double_rules_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/ihk/double
ihk_double_tests_test_ihk_double_rules_LDADD = ihk/libmckihk.la common/libmckcommon.la $(LIBS)
ihk_tests_test_mck_ihk_SOURCES = ihk/tests/test-mck-ihk.c common/mck-test.h
ihk_tests_test_mck_ihk_LDADD = ihk/libmckihk.la common/libmckcommon.la $(LIBS)

EXTRA_DIST += ihk/double/README.md ihk/double/tests/topo-2numa.xml
dist_man_MANS += ihk/double/ihk-double.7

# ihk-double-ctl: inject a panic or hang into a running instance of the
# double and show its state, from a shell (cluster tests). Not installed.
noinst_PROGRAMS += ihk/double/ihk-double-ctl
ihk_double_ihk_double_ctl_SOURCES = ihk/double/ihk-double-ctl.c
ihk_double_ihk_double_ctl_CPPFLAGS = $(AM_CPPFLAGS) $(HWLOC_CFLAGS)
ihk_double_ihk_double_ctl_LDADD = ihk/double/libihkdouble-core.la \
	common/libmckcommon.la $(HWLOC_LIBS)
