## hwloc-maps: fragment of the top-level Makefile.am
## The planner library (topology -> partition plan) and the mck-maps CLI.
noinst_LTLIBRARIES += hwloc-maps/libmckmaps.la
hwloc_maps_libmckmaps_la_SOURCES = \
	hwloc-maps/mck-plan.h hwloc-maps/model.h hwloc-maps/model.c \
	hwloc-maps/memkind.c hwloc-maps/assist.c \
	hwloc-maps/topo.c hwloc-maps/plan-internal.h hwloc-maps/plan.c \
	hwloc-maps/roles.c hwloc-maps/ikc.c hwloc-maps/memplan.c hwloc-maps/check.c \
	hwloc-maps/notes.c hwloc-maps/print.c hwloc-maps/picture.c \
	hwloc-maps/mck-policy.c hwloc-maps/mck-policy.h \
	hwloc-maps/nodeplan.c hwloc-maps/mck-nodeplan.h
hwloc_maps_libmckmaps_la_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
hwloc_maps_libmckmaps_la_LIBADD = common/libmckcommon.la $(HWLOC_LIBS)

bin_PROGRAMS += hwloc-maps/mck-maps
hwloc_maps_mck_maps_SOURCES = hwloc-maps/mck-maps.c
hwloc_maps_mck_maps_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
hwloc_maps_mck_maps_LDADD = hwloc-maps/libmckmaps.la
dist_man_MANS += hwloc-maps/mck-maps.1

check_PROGRAMS += hwloc-maps/tests/test-plan hwloc-maps/tests/test-properties \
	hwloc-maps/tests/test-policy hwloc-maps/tests/test-families
TESTS += hwloc-maps/tests/test-plan hwloc-maps/tests/test-properties \
	hwloc-maps/tests/test-policy hwloc-maps/tests/test-families \
	hwloc-maps/tests/test-mck-maps.sh
hwloc_maps_tests_test_plan_SOURCES = hwloc-maps/tests/test-plan.c common/mck-test.h
hwloc_maps_tests_test_plan_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
hwloc_maps_tests_test_plan_LDADD = hwloc-maps/libmckmaps.la
hwloc_maps_tests_test_properties_SOURCES = hwloc-maps/tests/test-properties.c common/mck-test.h
hwloc_maps_tests_test_properties_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
hwloc_maps_tests_test_properties_LDADD = hwloc-maps/libmckmaps.la
hwloc_maps_tests_test_policy_SOURCES = hwloc-maps/tests/test-policy.c common/mck-test.h
hwloc_maps_tests_test_policy_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
hwloc_maps_tests_test_policy_LDADD = hwloc-maps/libmckmaps.la
hwloc_maps_tests_test_families_SOURCES = hwloc-maps/tests/test-families.c common/mck-test.h
hwloc_maps_tests_test_families_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
hwloc_maps_tests_test_families_LDADD = hwloc-maps/libmckmaps.la
EXTRA_DIST += hwloc-maps/tests/test-mck-maps.sh hwloc-maps/tests/fixtures \
	hwloc-maps/tests/expected hwloc-maps/tests/cases.txt \
	hwloc-maps/tests/make-fixtures.sh
