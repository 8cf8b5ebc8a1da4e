## bench: fragment of the top-level Makefile.am
## Benchmarks print their figures as ratios against a same-run baseline.
## BENCHMARKS lists what the top-level `make bench` runs.
noinst_PROGRAMS += bench/bench-plan
bench_bench_plan_SOURCES = bench/bench-plan.c
bench_bench_plan_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
bench_bench_plan_LDADD = hwloc-maps/libmckmaps.la
BENCHMARKS = bench/bench-plan

bench-local: $(BENCHMARKS)
	@for b in $(BENCHMARKS); do echo "== $$b"; ./$$b || exit 1; done
.PHONY: bench-local
