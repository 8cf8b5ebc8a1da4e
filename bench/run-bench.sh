#!/bin/sh
# run-bench.sh SRC BUILD: `make bench` after bench-local (the planner).
# Runs the node-side and the test-cluster benchmarks, each with the IHK
# double's latency model at zero and at the timings observed on a real
# node, then prints every RESULT line of this run as one table, also
# written with the date and the machine to bench/results/latest.txt in the
# build tree. An item that could not be measured (skipped) makes the run
# fail, with the reason, like a benchmark that failed.
set -u
SRC=$1
BUILD=$2
cd "$BUILD" || exit 1
R=bench/results
mkdir -p "$R"
rc=0

echo "== bench/bench-node"
bench/bench-node --builddir "$BUILD" --srcdir "$SRC" --rounds "${BENCH_ROUNDS:-9}" \
	--observed-rounds "${BENCH_OBSERVED_ROUNDS:-5}" >"$R/bench-node.out" 2>&1 || {
	echo "bench-node failed:"; tail -n 5 "$R/bench-node.out"; rc=1; }
grep -v '^RESULT|' "$R/bench-node.out"
echo "== bench/bench-cluster.sh"
sh "$SRC/bench/bench-cluster.sh" "$SRC" "$BUILD" >"$R/bench-cluster.out" 2>&1 || {
	echo "bench-cluster.sh failed:"; tail -n 5 "$R/bench-cluster.out"; rc=1; }
grep -v '^RESULT|' "$R/bench-cluster.out"

# RESULT|section[@latency]|figure|value|unit|baseline|ratio|goal|verdict
table() {
	awk -F'|' '
	BEGIN { printf "%-12s %-8s %-72s %16s %16s %8s %-17s %s\n", "item", "latency", "figure", "value", "baseline", "ratio", "goal", "verdict" }
	$1 == "RESULT" {
		lat = "-"
		if ((i = index($2, "@")) > 0) { lat = substr($2, i + 1); $2 = substr($2, 1, i - 1) }
		v = $5 == "" ? sprintf("%s", $4) : sprintf("%s %s", $4, $5)
		b = $6 == "" ? "" : sprintf("%s %s", $6, $5)
		printf "%-12s %-8s %-72s %16s %16s %8s %-17s %s\n", $2, lat, substr($3, 1, 72), v, b, $7, $8, $9
	}' "$@"
}
outs=
for f in bench-plan.out bench-node.out bench-cluster.out; do [ -f "$R/$f" ] && outs="$outs $R/$f"; done
{
	echo "slurm-mckernel benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(uname -srm); $(nproc) CPUs: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo);" \
		"$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM;" \
		"load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "figures: medians of interleaved rounds; ratio = figure / baseline of the same run;"
	echo "latency: the IHK double's model, zero or the timings observed on a real node"
	echo
	# shellcheck disable=SC2086
	table $outs
} >"$R/latest.txt"
echo
cat "$R/latest.txt"
echo "(written to $BUILD/$R/latest.txt)"

# shellcheck disable=SC2086
skipped=$(cat $outs | awk -F'|' '$1 == "RESULT" && $3 ~ /skipped/ { print $2 ": " $3 }')
if [ -n "$skipped" ]; then
	echo "make bench: not every item was measured:"
	echo "$skipped" | sed 's/^/  /'
	rc=1
fi
# shellcheck disable=SC2086
missed=$(cat $outs | awk -F'|' '$1 == "RESULT" && $9 == "MISSED"' | wc -l)
[ "$missed" -eq 0 ] || echo "make bench: $missed goal(s) missed (see the verdict column)"
exit $rc
