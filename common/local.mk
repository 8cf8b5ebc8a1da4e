## common: helpers shared by every part (configuration, lists, job records).
noinst_LTLIBRARIES += common/libmckcommon.la
common_libmckcommon_la_SOURCES = \
	common/mck-error.c common/mck-error.h \
	common/mck-lists.c common/mck-lists.h \
	common/mck-schema.c common/mck-schema.h \
	common/mck-config.c common/mck-config.h \
	common/mck-options.c common/mck-options.h \
	common/mck-jobrec.c common/mck-jobrec.h \
	common/mck-util.c common/mck-util.h

check_PROGRAMS += common/tests/test-lists common/tests/test-config common/tests/test-options common/tests/test-schema
TESTS += common/tests/test-lists common/tests/test-config common/tests/test-options common/tests/test-schema
common_tests_test_lists_SOURCES = common/tests/test-lists.c common/mck-test.h
common_tests_test_lists_LDADD = common/libmckcommon.la
common_tests_test_config_SOURCES = common/tests/test-config.c common/mck-test.h
common_tests_test_config_LDADD = common/libmckcommon.la
common_tests_test_options_SOURCES = common/tests/test-options.c common/mck-test.h
common_tests_test_options_LDADD = common/libmckcommon.la
common_tests_test_schema_SOURCES = common/tests/test-schema.c common/mck-test.h
common_tests_test_schema_LDADD = common/libmckcommon.la
dist_man_MANS += doc/mckernel.conf.5
