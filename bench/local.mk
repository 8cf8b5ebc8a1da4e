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
	bench/bench-cluster.sh bench/cluster-launch.sh bench/stepd-hwm.sh \
	bench/bench-scale.sh bench/scale-round.sh bench/scale-rank.sh \
	bench/scale-report.sh bench/SCALE.md bench/scale.png bench/scale.dat

bench-local: $(BENCHMARKS)
	@mkdir -p bench/results
	@for b in $(BENCHMARKS); do echo "== $$b"; \
	  ./$$b > bench/results/$$(basename $$b).out || exit 1; \
	  grep -v '^RESULT|' bench/results/$$(basename $$b).out; done

# The whole benchmark, at the IHK double's zero and observed latency.
# BENCH_JOBS (default 100): jobs per kind for the throughput figure at
# latency zero, BENCH_OBSERVED_JOBS (default 20) at the observed one;
# BENCH_ROUNDS, BENCH_OBSERVED_ROUNDS: node-side rounds; BENCH_LATENCY:
# the cluster figures' latencies; BENCH_CLUSTER=no leaves out the
# test-cluster figures (reported as skipped: make bench then fails).
bench: bench-local bench/bench-node bench/baseline-mcreboot all
	@BENCH_JOBS='$(BENCH_JOBS)' BENCH_ROUNDS='$(BENCH_ROUNDS)' \
	BENCH_OBSERVED_JOBS='$(BENCH_OBSERVED_JOBS)' \
	BENCH_OBSERVED_ROUNDS='$(BENCH_OBSERVED_ROUNDS)' \
	BENCH_LATENCY='$(BENCH_LATENCY)' BENCH_CLUSTER='$(BENCH_CLUSTER)' \
	$(SHELL) $(abs_top_srcdir)/bench/run-bench.sh '$(abs_top_srcdir)' '$(abs_top_builddir)'

# How the cost grows with the job's nodes: test clusters of
# BENCH_SCALE_NODES (default 1 2 4 8 16 32) nodes, BENCH_SCALE_ROUNDS
# rounds, BENCH_SCALE_LATENCY models; writes bench/results/scale.md,
# scale.png and scale.dat (bench/SCALE.md and bench/scale.png are a
# committed run). Needs root and gnuplot.
bench-scale: all
	@BENCH_SCALE_NODES='$(BENCH_SCALE_NODES)' BENCH_SCALE_ROUNDS='$(BENCH_SCALE_ROUNDS)' \
	BENCH_SCALE_LATENCY='$(BENCH_SCALE_LATENCY)' \
	$(SHELL) $(abs_top_srcdir)/bench/bench-scale.sh '$(abs_top_srcdir)' '$(abs_top_builddir)'
.PHONY: bench-local bench bench-scale
