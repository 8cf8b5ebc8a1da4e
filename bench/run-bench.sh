#!/bin/sh
# run-bench.sh SRC BUILD: `make bench` after bench-local (the planner).
# Runs the node-side and the test-cluster benchmarks, then prints every
# RESULT line of this run as one table, also written with the date and
# the machine to bench/results/latest.txt in the build tree.
set -u
SRC=$1
BUILD=$2
cd "$BUILD" || exit 1
R=bench/results
mkdir -p "$R"
rc=0

echo "== bench/bench-node"
bench/bench-node --builddir "$BUILD" --srcdir "$SRC" --rounds "${BENCH_ROUNDS:-9}" \
	>"$R/bench-node.out" 2>&1 || rc=1
grep -v '^RESULT|' "$R/bench-node.out"
echo "== bench/bench-cluster.sh"
sh "$SRC/bench/bench-cluster.sh" "$SRC" "$BUILD" >"$R/bench-cluster.out" 2>&1 || rc=1
grep -v '^RESULT|' "$R/bench-cluster.out"

{
	echo "slurm-mckernel benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(uname -srm); $(nproc) CPUs: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo);" \
		"$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM;" \
		"load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "figures: medians of interleaved rounds; ratio = figure / baseline of the same run"
	echo
	cat "$R/bench-plan.out" "$R/bench-node.out" "$R/bench-cluster.out" 2>/dev/null |
		awk -F'|' '
		$1 == "RESULT" {
			v = $5 == "" ? sprintf("%s", $4) : sprintf("%s %s", $4, $5)
			b = $6 == "" ? "" : sprintf("%s %s", $6, $5)
			printf "%-12s %-78s %16s %16s %8s %-17s %s\n", $2, substr($3, 1, 78), v, b, $7, $8, $9
		}
		BEGIN { printf "%-12s %-78s %16s %16s %8s %-17s %s\n", "item", "figure", "value", "baseline", "ratio", "goal", "verdict" }'
} >"$R/latest.txt"
echo
cat "$R/latest.txt"
echo "(written to $BUILD/$R/latest.txt)"
exit $rc
