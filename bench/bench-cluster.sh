#!/bin/sh
# bench-cluster.sh SRC BUILD: the test-cluster figures of `make bench`
# (issue 6 items 2, 3 and slurmstepd's share of 5). Uses the cluster named
# $MCK_TC_NAME (default "bench"); starts it when it is not up and stops it
# again at the end. BENCH_JOBS (default 100) jobs of each kind for the
# throughput, BENCH_LAUNCH (default 10) launches of each kind.
# Prints human lines and RESULT|section|figure|value|unit|baseline|ratio|goal|verdict.
set -u
SRC=$1
BUILD=$2
JOBS=${BENCH_JOBS:-100}
LAUNCH=${BENCH_LAUNCH:-10}
export MCK_TC_NAME=${MCK_TC_NAME:-bench}
C=$SRC/test-cluster/cluster
started=0

skip() {
	echo "bench-cluster: SKIPPED: $1"
	for s in "2 launch|srun -N2 -n4 --mckernel true vs srun -N2 -n4 true" \
		"3 throughput|--mckernel jobs per second vs plain jobs" \
		"5 memory|slurmstepd VmHWM"; do
		echo "RESULT|${s%%|*}|${s#*|}: skipped ($1)|0|||||"
	done
	exit 0
}
[ "${BENCH_CLUSTER:-yes}" = no ] && skip "BENCH_CLUSTER=no"
[ "$(id -u)" -eq 0 ] || skip "needs root for the test cluster"
case "$JOBS" in '' | *[!0-9]*) echo "bench-cluster: BENCH_JOBS='$JOBS' is not a count" >&2; exit 1 ;; esac
case "$LAUNCH" in '' | *[!0-9]*) echo "bench-cluster: BENCH_LAUNCH='$LAUNCH' is not a count" >&2; exit 1 ;; esac

if ! "$C" status >/dev/null 2>&1; then
	"$C" up --build "$BUILD" >/dev/null || skip "cluster up failed"
	started=1
fi
eval "$("$C" env)"
restore_plugstack() { [ -f "$TC_ROOT/etc/plugstack.conf.bench" ] &&
	mv -f "$TC_ROOT/etc/plugstack.conf.bench" "$TC_ROOT/etc/plugstack.conf"; }
cleanup() { restore_plugstack; [ $started -eq 1 ] && "$C" down >/dev/null 2>&1; }
trap cleanup EXIT
trap 'exit 1' INT TERM
for f in cluster-launch.sh stepd-hwm.sh; do install -m 0755 "$SRC/bench/$f" "$TC_SHARE/$f"; done
echo "cluster $MCK_TC_NAME: $TC_NODES nodes, $(nproc) cores shared by everything on this machine"

med() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", (b > 0 ? a / b : 0) }'; }
verdict() { awk -v r="$1" -v op="$2" -v g="$3" 'BEGIN { ok = (op == "<=") ? (r + 0 <= g + 0) : (r + 0 >= g + 0); print (r != "" && ok) ? "met" : "MISSED" }'; }

# 2: launch overhead inside one allocation with booted instances
out=$("$C" run salloc -N2 --mckernel ./cluster-launch.sh "$LAUNCH" 2>/dev/null)
m=$(echo "$out" | awk '$1 == "mck" { print $2 / 1000 }' | med)
p=$(echo "$out" | awk '$1 == "plain" { print $2 / 1000 }' | med)
n=$(echo "$out" | grep -c '^mck ')
[ "$n" -eq "$LAUNCH" ] || { echo "bench-cluster: launches failed:"; echo "$out"; exit 1; }
r=$(ratio "$m" "$p")
echo "launch in a booted allocation, median of $LAUNCH: --mckernel $m ms, plain $p ms, ratio $r"
echo "RESULT|2 launch|srun -N2 -n4 --mckernel true vs srun -N2 -n4 true (booted allocation)|$m|ms|$p|$r|<= 1.10|$(verdict "$r" "<=" 1.10)"
hm=$(echo "$out" | awk '$1 == "hwm-mck" { print $2 }' | sort -n | tail -n1)
hp=$(echo "$out" | awk '$1 == "hwm-plain" { print $2 }' | sort -n | tail -n1)

# 5: slurmstepd without the plugin loaded at all (empty plugstack for one step)
mv "$TC_ROOT/etc/plugstack.conf" "$TC_ROOT/etc/plugstack.conf.bench"
echo "# bench-cluster.sh: no plugin for one step" >"$TC_ROOT/etc/plugstack.conf"
hn=$("$C" run srun -N2 -n4 ./stepd-hwm.sh 2>/dev/null | awk '$1 == "hwm" { print $2 }' | sort -n | tail -n1)
restore_plugstack
echo "slurmstepd VmHWM (KiB, max over the step's nodes): wrapped step $hm, unwrapped step $hp, plugin not loaded $hn"
echo "RESULT|5 memory|slurmstepd VmHWM, --mckernel step vs plugin not loaded|${hm:-0}|KiB|${hn:-0}|$(ratio "${hm:-0}" "${hn:-0}")||"
echo "RESULT|5 memory|slurmstepd VmHWM, plugin loaded but step not wrapped vs not loaded|${hp:-0}|KiB|${hn:-0}|$(ratio "${hp:-0}" "${hn:-0}")||"

# 3: throughput, blocks of at most 10 jobs alternating the kind
wait_idle() {
	i=0
	while :; do
		s=$("$C" run sh -c 'squeue -h -o %i; sinfo -h -o %T' 2>/dev/null | sort -u | tr '\n' ' ')
		[ "$s" = "idle " ] && return 0
		i=$((i + 1))
		[ $i -lt 1200 ] || { echo "bench-cluster: cluster did not become idle ($s)"; return 1; }
		sleep 0.05
	done
}
now() { date +%s%N; }
block() { # block KIND COUNT: prints the block's nanoseconds, from submit to idle again
	t0=$(now)
	j=0
	while [ $j -lt "$2" ]; do
		if [ "$1" = mck ]; then
			"$C" run srun -N2 -n4 --mckernel true >/dev/null 2>&1 || return 1
		else
			"$C" run srun -N2 -n4 true >/dev/null 2>&1 || return 1
		fi
		j=$((j + 1))
	done
	wait_idle >&2 || return 1
	echo $(( $(now) - t0 ))
}
wait_idle || exit 1
left=$JOBS
tm=0
tp=0
k=0
while [ "$left" -gt 0 ]; do
	b=$left
	[ $b -gt 10 ] && b=10
	if [ $((k % 2)) -eq 0 ]; then
		x=$(block mck $b) || exit 1; y=$(block plain $b) || exit 1
	else
		y=$(block plain $b) || exit 1; x=$(block mck $b) || exit 1
	fi
	tm=$((tm + x))
	tp=$((tp + y))
	left=$((left - b))
	k=$((k + 1))
done
rm_=$(awk -v n="$JOBS" -v t="$tm" 'BEGIN { printf "%.3f", n / (t / 1e9) }')
rp=$(awk -v n="$JOBS" -v t="$tp" 'BEGIN { printf "%.3f", n / (t / 1e9) }')
r=$(ratio "$rm_" "$rp")
echo "throughput, $JOBS sequential jobs each (blocks of 10, alternating): --mckernel $rm_ jobs/s, plain $rp jobs/s, ratio $r"
echo "RESULT|3 throughput|$JOBS sequential srun -N2 -n4 --mckernel true vs plain jobs|$rm_|jobs/s|$rp|$r|>= 0.8|$(verdict "$r" ">=" 0.8)"
