#!/bin/sh
# scale-round.sh N ROUNDS: run by bench-scale.sh as the test user on the
# test cluster's head. ROUNDS rounds of one --mckernel job and the same job
# without it (srun -N N --ntasks-per-node=1 ./scale-rank.sh), alternating
# which goes first, after one warm-up of each. For each job one line:
#   KIND JOBID START_NS END_NS
# START: from just before srun until the last rank started; END: from the
# last rank's end until no job is left and every node is idle again (the
# epilogues done), polled every 20 ms.
#
# scale-round.sh --block N COUNT: COUNT --mckernel jobs one after the
# other (bench-cluster.sh's reservation = keep figure), each started on an
# idle cluster: "JOBID START_NS" lines.
n=$1
rounds=$2
stamp() { date +%s%N; }
idle() { [ "$( (squeue -h -o %i; sinfo -h -o %T) | sort -u | tr '\n' ' ')" = "idle " ]; }
wait_idle() {
	i=0
	until idle; do
		i=$((i + 1))
		[ $i -lt 6000 ] || { echo "scale-round: the cluster did not become idle" >&2; exit 1; }
		sleep 0.02
	done
}
one() { # one KIND [count]
	t0=$(stamp)
	if [ "$1" = mck ]; then
		out=$(srun -N "$n" --ntasks-per-node=1 --mckernel ./scale-rank.sh) || { echo "scale-round: a --mckernel job failed" >&2; exit 1; }
	else
		out=$(srun -N "$n" --ntasks-per-node=1 ./scale-rank.sh) || { echo "scale-round: a plain job failed" >&2; exit 1; }
	fi
	wait_idle
	t2=$(stamp)
	got=$(echo "$out" | grep -c '^rank ')
	[ "$got" -eq "$n" ] || { echo "scale-round: $got of $n ranks reported" >&2; exit 1; }
	[ "${2:-}" = warm ] && return 0
	echo "$out" | awk -v kind="$1" -v t0="$t0" -v t2="$t2" '
		$1 == "rank" { job = $2; if ($4 > s) s = $4; if ($5 > e) e = $5 }
		END { printf "%s %s %.0f %.0f\n", kind, job, s - t0, t2 - e }'
}
if [ "$1" = --block ]; then
	n=$2
	j=0
	while [ $j -lt "$3" ]; do
		wait_idle
		t0=$(stamp)
		out=$(srun -N "$n" --ntasks-per-node=1 --mckernel ./scale-rank.sh) || { echo "scale-round: a job failed" >&2; exit 1; }
		echo "$out" | awk -v t0="$t0" '$1 == "rank" { job = $2; if ($4 > s) s = $4 } END { printf "%s %.0f\n", job, s - t0 }'
		j=$((j + 1))
	done
	wait_idle
	exit 0
fi
wait_idle
one mck warm
one plain warm
r=0
while [ $r -lt "$rounds" ]; do
	if [ $((r % 2)) -eq 0 ]; then one mck; one plain; else one plain; one mck; fi
	r=$((r + 1))
done
