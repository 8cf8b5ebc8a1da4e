## bench: fragment of the top-level Makefile.am
## Benchmarks print their figures as ratios against a same-run baseline.
## BENCHMARKS lists what `make bench-local` runs; `make bench` runs them
## all (node side, planner, test cluster) and prints one table at the end,
## also written to bench/results/latest.txt in the build tree.
noinst_PROGRAMS += bench/bench-plan bench/bench-node bench/baseline-mcreboot
bench_bench_plan_SOURCES = bench/bench-plan.c
bench_bench_plan_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
bench_bench_plan_LDADD = hwloc-maps/libmckmaps.la

bench_bench_node_SOURCES = bench/bench-node.c
bench_bench_node_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
bench_bench_node_LDADD = hwloc-maps/libmckmaps.la common/libmckcommon.la

bench_baseline_mcreboot_SOURCES = bench/baseline-mcreboot.c
bench_baseline_mcreboot_LDADD = ihk/libmckihk.la common/libmckcommon.la

BENCHMARKS = bench/bench-plan

EXTRA_DIST += bench/README.md bench/RESULTS.md bench/run-bench.sh \
	bench/bench-cluster.sh bench/cluster-launch.sh bench/stepd-hwm.sh

bench-local: $(BENCHMARKS)
	@mkdir -p bench/results
	@for b in $(BENCHMARKS); do echo "== $$b"; \
	  ./$$b > bench/results/$$(basename $$b).out || exit 1; \
	  grep -v '^RESULT|' bench/results/$$(basename $$b).out; done

# The whole benchmark. BENCH_JOBS (default 100): jobs per kind for the
# throughput figure; BENCH_ROUNDS: node-side rounds; BENCH_CLUSTER=no skips
# the test-cluster figures (reported as skipped).
bench: bench-local bench/bench-node bench/baseline-mcreboot all
	@BENCH_JOBS='$(BENCH_JOBS)' BENCH_ROUNDS='$(BENCH_ROUNDS)' \
	BENCH_CLUSTER='$(BENCH_CLUSTER)' \
	$(SHELL) $(abs_top_srcdir)/bench/run-bench.sh '$(abs_top_srcdir)' '$(abs_top_builddir)'
.PHONY: bench-local bench
