#!/bin/sh
# bench-scale.sh SRC BUILD: `make bench-scale`, how the cost of --mckernel
# grows with the number of nodes of a job.
#
# For each N of BENCH_SCALE_NODES (default "1 2 4 8 16 32") a namespace test
# cluster of N nodes is brought up (named BENCH_SCALE_NAME, default
# "bench-scale"; a cluster of that name that is already up is refused, not
# reused), and for each latency model of the IHK double in
# BENCH_SCALE_LATENCY (default "zero fixed observed"):
#   zero      no IHK time: what the integration and Slurm cost;
#   fixed     every IHK step at the middle of its observed range, the same
#             on every node: a real node's time without the spread between
#             nodes;
#   observed  the observed ranges with their jitter (the double's default):
#             the slowest of N nodes decides the job's start;
# BENCH_SCALE_ROUNDS (default 5) rounds of `srun -N N --ntasks-per-node=1
# --mckernel` and the same job without it, interleaved (scale-round.sh),
# under the same PrologFlags. Per job: start (srun called -> last rank
# running), end (last rank ended -> no job, every node idle), and each
# node's prologue as its lifecycle log has it.
#
# Writes bench/results/scale.dat (one line per N and latency), scale.md
# (the table and fits; bench/SCALE.md is a committed copy) and scale.png
# (gnuplot), and RESULT lines. Needs root.
set -u
SRC=$1
BUILD=$2
NODES=${BENCH_SCALE_NODES:-1 2 4 8 16 32}
ROUNDS=${BENCH_SCALE_ROUNDS:-5}
LATENCIES=${BENCH_SCALE_LATENCY:-zero fixed observed}
export MCK_TC_NAME="${BENCH_SCALE_NAME:-bench-scale}"
C=$SRC/test-cluster/cluster
R=$BUILD/bench/results
DAT=$R/scale.dat
up=0

die() { echo "bench-scale: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (it brings up test clusters)"
case "$ROUNDS" in '' | *[!0-9]* | 0) die "BENCH_SCALE_ROUNDS='$ROUNDS' is not a count" ;; esac
for n in $NODES; do
	case "$n" in '' | *[!0-9]* | 0) die "BENCH_SCALE_NODES: '$n' is not a node count" ;; esac
done
for lat in $LATENCIES; do
	case "$lat" in zero | fixed | observed) ;; *) die "BENCH_SCALE_LATENCY: '$lat' is not zero, fixed or observed" ;; esac
done
command -v gnuplot >/dev/null || die "gnuplot is missing (Debian package gnuplot-nox) for the plot"
"$C" status >/dev/null 2>&1 &&
	die "a test cluster named $MCK_TC_NAME is up already: take it down or set BENCH_SCALE_NAME"
mkdir -p "$R"
cleanup() { [ $up -eq 1 ] && "$C" down >/dev/null 2>&1; }
trap cleanup EXIT
trap 'exit 1' INT TERM

# The IHK double's observed ranges, fixed at their middle ("fixed"); from
# its README's latency table, which the double's tests keep in step.
fixed_conf() {
	awk -F'|' '$2 ~ /_latency_ms/ && $3 ~ /[0-9]+-[0-9]+/ {
		gsub(/[` ]/, "", $2); split($3, r, "-"); gsub(/ /, "", r[1]); gsub(/ /, "", r[2])
		printf "%s = %d\n", $2, (r[1] + r[2]) / 2 }' "$SRC/ihk/double/README.md"
}
FIXED=$(fixed_conf)
echo "$FIXED" | grep -q '^boot_latency_ms = [0-9]' ||
	die "cannot read the observed latency ranges from ihk/double/README.md"

set_latency() { # set_latency MODEL: every node's IHK double (read at each call)
	for node in $TC_NODE_NAMES; do
		d=$TC_ROOT/nodes/$node/state/ihk-double
		mkdir -p "$d"
		case "$1" in
		fixed) { echo "latency = observed"; echo "$FIXED"; } >"$d/double.conf" ;;
		*) echo "latency = $1" >"$d/double.conf" ;;
		esac
	done
}

# The slowest node's and the median node's prologue (ms) of job J, from the
# nodes' lifecycle logs ("mck-prologue: job J: boot ok 108 ms").
prologs_of() {
	for node in $TC_NODE_NAMES; do
		sed -n "s/.*mck-prologue: job $1: boot ok \([0-9.]*\) ms.*/\1/p" \
			"$TC_ROOT/nodes/$node/state/log/prolog.log" 2>/dev/null | tail -n 1
	done | sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%s %s %d\n", v[NR], v[int((NR + 1) / 2)], NR; else print "0 0 0" }'
}

med() { sort -n | awk '{ v[NR] = $1 } END { if (!NR) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$DAT.tmp"
for n in $NODES; do
	echo "== $n node(s)"
	"$C" up --nodes "$n" --build "$BUILD" >"$R/scale-up.out" 2>&1 ||
		die "cluster up --nodes $n failed: $(tail -n 2 "$R/scale-up.out" | tr '\n' ' ')"
	up=1
	eval "$("$C" env)"
	for f in scale-round.sh scale-rank.sh; do install -m 0755 "$SRC/bench/$f" "$TC_SHARE/$f"; done
	for lat in $LATENCIES; do
		set_latency "$lat"
		out=$("$C" run ./scale-round.sh "$n" "$ROUNDS" 2>"$R/scale-round.err") ||
			die "$n nodes, latency $lat: $(tail -n 3 "$R/scale-round.err" | tr '\n' ' ')"
		echo "$out" >"$R/scale-$n-$lat.jobs"
		sm=$(echo "$out" | awk '$1 == "mck" { print $3 / 1e9 }' | med)
		sp=$(echo "$out" | awk '$1 == "plain" { print $3 / 1e9 }' | med)
		em=$(echo "$out" | awk '$1 == "mck" { print $4 / 1e9 }' | med)
		ep=$(echo "$out" | awk '$1 == "plain" { print $4 / 1e9 }' | med)
		# slowest and median node's prologue per --mckernel job: medians over the rounds
		pro=$(echo "$out" | awk '$1 == "mck" { print $2 }' | while read -r j; do prologs_of "$j"; done)
		pmax=$(echo "$pro" | awk '{ print $1 / 1000 }' | med)
		pmed=$(echo "$pro" | awk '{ print $2 / 1000 }' | med)
		pn=$(echo "$pro" | awk '{ print $3 }' | sort -n | head -n 1)
		[ "${pn:-0}" -eq "$n" ] || die "$n nodes, latency $lat: only ${pn:-0} nodes logged a prologue for every job"
		echo "$n $lat $sm $sp $em $ep $pmax $pmed" >>"$DAT.tmp"
		printf '%3d nodes, latency %-8s start: --mckernel %7.3f s, plain %7.3f s; end: --mckernel %6.3f s, plain %6.3f s; prologue: slowest node %6.3f s, median node %6.3f s\n' \
			"$n" "$lat" "$sm" "$sp" "$em" "$ep" "$pmax" "$pmed"
	done
	"$C" down >/dev/null 2>&1
	up=0
done
{
	echo "# bench-scale.sh: N latency start_mck start_plain end_mck end_plain prolog_slowest prolog_median (s, medians of $ROUNDS rounds)"
	echo "# $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs, $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
	cat "$DAT.tmp"
} >"$DAT"
rm -f "$DAT.tmp"

sh "$SRC/bench/scale-report.sh" "$DAT" "$R"
