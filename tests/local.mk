## tests: test programs and the integration tests run on the test cluster.
## Unit tests live beside each library (see each directory's local.mk).

EXTRA_DIST += tests/README.md tests/programs/mpi_hello.c tests/run-integration tests/tap.sh tests/containers \
	tests/integration

if HAVE_MPICC
noinst_SCRIPTS = tests/programs/mpi_hello
tests/programs/mpi_hello: tests/programs/mpi_hello.c
	@$(MKDIR_P) tests/programs
	$(AM_V_CC)$(MPICC) -O2 -Wall -o $@ $(srcdir)/tests/programs/mpi_hello.c
CLEANFILES += tests/programs/mpi_hello
endif

## A process that holds a device file open (tests of holders; works on the
## IHK double's character devices too, whose driver is missing).
noinst_PROGRAMS += tests/programs/hold
tests_programs_hold_SOURCES = tests/programs/hold.c
# ihk_double_open_device: the double's one rule for opening its devices
tests_programs_hold_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/ihk/double
tests_programs_hold_LDADD = ihk/double/libihkdouble-core.la common/libmckcommon.la \
	$(HWLOC_LIBS) $(LIBS)

# The integration tests: a real Slurm cluster (root, network namespaces).
check-cluster: all
	$(top_srcdir)/tests/run-integration --build $(abs_top_builddir)
.PHONY: check-cluster
