#!/bin/sh
# bench-cluster.sh SRC BUILD: the test-cluster figures of `make bench`
# (launch, throughput, slurmstepd's memory). Uses the cluster named
# $MCK_TC_NAME (default "bench"); starts it when it is not up and stops it
# again at the end. Each figure is measured with the IHK double's latency
# model of every node at each of BENCH_LATENCY (default "zero observed");
# the nodes' double.conf is put back as it was at the end.
# BENCH_JOBS (default 100) jobs of each kind for the throughput at latency
# zero, BENCH_OBSERVED_JOBS (default 20) at the observed latency (each
# --mckernel job then takes seconds), BENCH_LAUNCH (default 10) launches of
# each kind.
# Prints human lines and RESULT|section@latency|figure|value|unit|baseline|ratio|goal|verdict.
set -u
SRC=$1
BUILD=$2
JOBS=${BENCH_JOBS:-100}
OJOBS=${BENCH_OBSERVED_JOBS:-20}
LAUNCH=${BENCH_LAUNCH:-10}
KEEP_BLOCKS=${BENCH_KEEP_BLOCKS:-4}
KEEP_JOBS=${BENCH_KEEP_JOBS:-4}
R_KEEP=$BUILD/bench/results/keep
LATENCIES=${BENCH_LATENCY:-zero observed}
export MCK_TC_NAME="${MCK_TC_NAME:-bench}"
C=$SRC/test-cluster/cluster
started=0

skip() {
	echo "bench-cluster: SKIPPED: $1"
	for lat in $LATENCIES; do
		for s in "2 launch|srun -N2 -n4 --mckernel true vs srun -N2 -n4 true" \
			"3 throughput|--mckernel jobs per second vs plain jobs"; do
			echo "RESULT|${s%%|*}@$lat|${s#*|}: skipped ($1)|0|||||"
		done
		[ "$lat" = observed ] && echo "RESULT|4 keep@$lat|start with reservation = keep vs per-job: skipped ($1)|0|||||"
	done
	echo "RESULT|5 memory|slurmstepd VmHWM: skipped ($1)|0|||||"
	exit 0
}
[ "${BENCH_CLUSTER:-yes}" = no ] && skip "BENCH_CLUSTER=no"
[ "$(id -u)" -eq 0 ] || skip "needs root for the test cluster"
for v in "BENCH_JOBS=$JOBS" "BENCH_OBSERVED_JOBS=$OJOBS" "BENCH_LAUNCH=$LAUNCH"; do
	case "${v#*=}" in '' | *[!0-9]* | 0) echo "bench-cluster: ${v%%=*}='${v#*=}' is not a count" >&2; exit 1 ;; esac
done
for lat in $LATENCIES; do
	case "$lat" in zero | observed) ;; *) echo "bench-cluster: BENCH_LATENCY: '$lat' is not zero or observed" >&2; exit 1 ;; esac
done

if ! "$C" status >/dev/null 2>&1; then
	upout=$("$C" up --build "$BUILD" 2>&1) || skip "cluster up failed: $(echo "$upout" | tail -n 1)"
	started=1
fi
eval "$("$C" env)"
# each node's double.conf, saved to be put back
for n in $TC_NODE_NAMES; do
	d=$TC_ROOT/nodes/$n/state/ihk-double
	mkdir -p "$d"
	if [ -f "$d/double.conf" ]; then cp "$d/double.conf" "$d/double.conf.bench"; else : >"$d/double.conf.bench"; fi
done
restore_plugstack() { [ -f "$TC_ROOT/etc/plugstack.conf.bench" ] &&
	mv -f "$TC_ROOT/etc/plugstack.conf.bench" "$TC_ROOT/etc/plugstack.conf"; }
restore_double() {
	for n in $TC_NODE_NAMES; do
		d=$TC_ROOT/nodes/$n/state/ihk-double
		[ -f "$d/double.conf.bench" ] && mv -f "$d/double.conf.bench" "$d/double.conf"
	done
}
cleanup() { restore_plugstack; restore_double; [ $started -eq 1 ] && "$C" down >/dev/null 2>&1; }
trap cleanup EXIT
trap 'exit 1' INT TERM
# set_latency MODEL: every node's IHK double (read at each call)
set_latency() {
	for n in $TC_NODE_NAMES; do
		d=$TC_ROOT/nodes/$n/state/ihk-double
		{ grep -v '^[[:space:]]*latency[[:space:]]*=' "$d/double.conf.bench"; echo "latency = $1"; } >"$d/double.conf"
	done
}
for f in cluster-launch.sh stepd-hwm.sh scale-round.sh scale-rank.sh; do install -m 0755 "$SRC/bench/$f" "$TC_SHARE/$f"; done
echo "cluster $MCK_TC_NAME: $TC_NODES nodes, $(nproc) cores shared by everything on this machine"

med() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", (b > 0 ? a / b : 0) }'; }
verdict() { awk -v r="$1" -v op="$2" -v g="$3" 'BEGIN { ok = (op == "<=") ? (r + 0 <= g + 0) : (r + 0 >= g + 0); print (r != "" && ok) ? "met" : "MISSED" }'; }
# goal LATENCY OP VALUE: the goal column (goals hold the integration's own
# cost; at the observed latency the model's McKernel costs dominate)
goal() { [ "$1" = zero ] && echo "$2 $3"; }
judge() { [ "$1" = zero ] && verdict "$2" "$3" "$4"; }

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

# launch LATENCY: overhead inside one allocation with booted instances
launch() { # launch LATENCY POLICY: instance_policy POLICY for the allocation
	conf=$TC_ROOT/etc/mckernel.conf
	cp "$conf" "$conf.bench-launch"
	{ echo "instance_policy = $2"; cat "$conf.bench-launch"; } >"$conf.tmp" && mv -f "$conf.tmp" "$conf"
	out=$("$C" run salloc -N2 --mckernel ./cluster-launch.sh "$LAUNCH" 2>/dev/null)
	mv -f "$conf.bench-launch" "$conf"
	m=$(echo "$out" | awk '$1 == "mck" { print $2 / 1000 }' | med)
	p=$(echo "$out" | awk '$1 == "plain" { print $2 / 1000 }' | med)
	n=$(echo "$out" | grep -c '^mck ')
	[ "$n" -eq "$LAUNCH" ] || { echo "bench-cluster: launches failed:"; echo "$out"; exit 1; }
	r=$(ratio "$m" "$p")
	echo "latency $1, instance_policy = $2: launch in a booted allocation, median of $LAUNCH: --mckernel $m ms, plain $p ms, ratio $r"
	if [ "$2" = per-job ]; then
		# the wrapper's own cost: every step in the instance the prologue booted
		echo "RESULT|2 launch@$1|srun -N2 -n4 --mckernel true vs srun -N2 -n4 true (booted allocation, instance_policy = per-job)|$m|ms|$p|$r|$(goal "$1" "<=" 1.10)|$(judge "$1" "$r" "<=" 1.10)"
		hm=$(echo "$out" | awk '$1 == "hwm-mck" { print $2 }' | sort -n | tail -n1)
		hp=$(echo "$out" | awk '$1 == "hwm-plain" { print $2 }' | sort -n | tail -n1)
	else
		# the default on real nodes: a fresh instance for every step after the first
		echo "RESULT|2 launch@$1|the same with instance_policy = per-step (a fresh instance per step)|$m|ms|$p|$r||"
	fi
}

# memory: slurmstepd without the plugin loaded at all (empty plugstack for one step)
memory() {
	mv "$TC_ROOT/etc/plugstack.conf" "$TC_ROOT/etc/plugstack.conf.bench"
	echo "# bench-cluster.sh: no plugin for one step" >"$TC_ROOT/etc/plugstack.conf"
	hn=$("$C" run srun -N2 -n4 ./stepd-hwm.sh 2>/dev/null | awk '$1 == "hwm" { print $2 }' | sort -n | tail -n1)
	restore_plugstack
	echo "slurmstepd VmHWM (KiB, max over the step's nodes): wrapped step $hm, unwrapped step $hp, plugin not loaded $hn"
	echo "RESULT|5 memory|slurmstepd VmHWM, --mckernel step vs plugin not loaded|${hm:-0}|KiB|${hn:-0}|$(ratio "${hm:-0}" "${hn:-0}")||"
	echo "RESULT|5 memory|slurmstepd VmHWM, plugin loaded but step not wrapped vs not loaded|${hp:-0}|KiB|${hn:-0}|$(ratio "${hp:-0}" "${hn:-0}")||"
}

# throughput LATENCY JOBS: blocks of at most 10 jobs alternating the kind
throughput() {
	wait_idle || exit 1
	left=$2
	tm=0
	tp=0
	k=0
	while [ "$left" -gt 0 ]; do
		b=$left
		[ "$b" -gt 10 ] && b=10
		if [ $((k % 2)) -eq 0 ]; then
			x=$(block mck "$b") || exit 1; y=$(block plain "$b") || exit 1
		else
			y=$(block plain "$b") || exit 1; x=$(block mck "$b") || exit 1
		fi
		tm=$((tm + x))
		tp=$((tp + y))
		left=$((left - b))
		k=$((k + 1))
	done
	rm_=$(awk -v n="$2" -v t="$tm" 'BEGIN { printf "%.3f", n / (t / 1e9) }')
	rp=$(awk -v n="$2" -v t="$tp" 'BEGIN { printf "%.3f", n / (t / 1e9) }')
	r=$(ratio "$rm_" "$rp")
	add=$(awk -v n="$2" -v a="$tm" -v b="$tp" 'BEGIN { printf "%.3f", (a - b) / n / 1e9 }')
	echo "latency $1: throughput, $2 sequential jobs each (blocks of 10, alternating): --mckernel $rm_ jobs/s, plain $rp jobs/s, ratio $r; $add s added per job"
	echo "RESULT|3 throughput@$1|$2 sequential srun -N2 -n4 --mckernel true vs plain jobs|$rm_|jobs/s|$rp|$r|$(goal "$1" ">=" 0.8)|$(judge "$1" "$r" ">=" 0.8)"
	echo "RESULT|3 throughput@$1|seconds a --mckernel job adds to a plain one (submit to idle)|$add|s||||"
}

# reservation time (ms) of --mckernel job J on the slowest node: its
# ihk_reserve_cpu + ihk_reserve_mem from the nodes' lifecycle logs
reserve_ms() {
	for n in $TC_NODE_NAMES; do
		awk -v j="job $1:" 'index($0, j) && /ihk_reserve_(cpu|mem)\(.*\) ok / { s += $(NF - 1) } END { print s + 0 }' \
			"$TC_ROOT/nodes/$n/state/log/lifecycle.log"
	done | sort -n | tail -n 1
}

# keep LATENCY: start (srun called -> every rank running) of the second and
# later --mckernel jobs of a block with reservation = keep, against blocks
# with per-job, interleaved; what keep takes off against the reservation
# time the per-job boots paid (the goal: all of it).
keep_figure() {
	conf=$TC_ROOT/etc/mckernel.conf
	cp "$conf" "$conf.bench-keep"
	: >"$R_KEEP.keep"
	: >"$R_KEEP.per-job"
	b=0
	while [ $b -lt "$KEEP_BLOCKS" ]; do
		if [ $((b % 2)) -eq 0 ]; then order="keep per-job"; else order="per-job keep"; fi
		for pol in $order; do
			{ echo "reservation = $pol"; cat "$conf.bench-keep"; } >"$conf.tmp" && mv -f "$conf.tmp" "$conf"
			# stdout only: the jobs' boot lines go to stderr
			out=$("$C" run ./scale-round.sh --block "$TC_NODES" "$KEEP_JOBS" 2>"$R_KEEP.err") ||
				{ echo "bench-cluster: keep blocks failed: $(tail -n 3 "$R_KEEP.err")"; mv -f "$conf.bench-keep" "$conf"; exit 1; }
			# the first job of a block pays for the switch of policy
			echo "$out" | grep -E '^[0-9]+ [0-9]+$' | tail -n +2 >>"$R_KEEP.$pol"
		done
		b=$((b + 1))
	done
	mv -f "$conf.bench-keep" "$conf"
	for n in $TC_NODE_NAMES; do "$C" node "$n" "$TC_BUILD/lwk/mckctl" release >/dev/null 2>&1; done
	km=$(awk '{ print $2 / 1e9 }' "$R_KEEP.keep" | med)
	pm=$(awk '{ print $2 / 1e9 }' "$R_KEEP.per-job" | med)
	rv=$(awk '{ print $1 }' "$R_KEEP.per-job" | while read -r j; do reserve_ms "$j"; done | awk '{ print $1 / 1000 }' | med)
	saved=$(awk -v a="$pm" -v b="$km" 'BEGIN { printf "%.3f", a - b }')
	r=$(ratio "$saved" "$rv")
	echo "latency $1: start of the 2nd and later jobs: reservation = keep $km s, per-job $pm s; saved $saved s of the $rv s a per-job boot spends reserving"
	echo "RESULT|4 keep@$1|start of the 2nd and later srun -N$TC_NODES --mckernel jobs, keep vs per-job|$km|s|$pm|$(ratio "$km" "$pm")||"
	echo "RESULT|4 keep@$1|start time keep saves vs the reservation time of a per-job boot|$saved|s|$rv|$r|>= 0.90|$(verdict "$r" ">=" 0.90)"
}

for lat in $LATENCIES; do
	set_latency "$lat"
	launch "$lat" per-job
	launch "$lat" per-step
	[ -n "${mem_done:-}" ] || { memory; mem_done=1; }
	if [ "$lat" = zero ]; then throughput "$lat" "$JOBS"; else throughput "$lat" "$OJOBS"; fi
	# the reservation's time is the model's: keep is measured where it has one
	[ "$lat" = observed ] && keep_figure "$lat"
done
