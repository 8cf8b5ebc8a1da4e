#!/bin/bash
# srun --mckernel runs an MPI job through a freshly booted McKernel (double)
# on every node; without --mckernel nothing is booted and no mcexec runs.
. "$(dirname "$0")/lib.sh"

install_program "$BUILD/tests/programs/mpi_hello"
ok "cluster starts clean" wait_clean 30

# --- the job with --mckernel ------------------------------------------------
out=$(as_user srun -N2 -n4 --mpi=pmix --mckernel ./mpi_hello 2>&1)
rc=$?
echo "$out" | sed 's/^/#   /'
is "$rc" 0 "srun --mckernel exits 0"
is "$(echo "$out" | grep -c '^rank .* sum 6 (expected 6)')" 4 "all 4 ranks print the right sum"
is "$(echo "$out" | grep '^rank ' | grep -c 'parent mcexec ')" 4 "every rank has mcexec as parent"
is "$(echo "$out" | grep '^rank ' | awk '{print $10}' | sort -u | tr '\n' ' ')" "node1 node2 " "ranks ran on both nodes"
job=$(echo "$out" | grep '^rank 0 ' | sed -n 's/.* job \([0-9]*\) .*/\1/p')
ok "the job id is known ($job)" test -n "$job"

ok "nodes are clean after the job" wait_clean 60
for n in $TC_NODE_NAMES; do
	d=$(node_double "$n")
	runs=$(runs_of "$n" "$job")
	is "$(grep -c . <<<"$runs")" 2 "$n: the mcexec double recorded 2 ranks of job $job"
	boots=$(grep "job=$job " "$d/events.log" | grep -c "call=os_boot .*rc=0")
	is "$boots" 1 "$n: one instance booted for job $job"
	gen=$(grep "job=$job " "$d/events.log" | grep "call=os_boot .*rc=0" | sed -n 's/.* gen=\([0-9]*\).*/\1/p' | head -n1)
	while IFS= read -r r; do
		pid=$(run_field pid <<<"$r")
		is "$(run_field gen <<<"$r")" "$gen" "$n: rank $pid ran on the instance booted for job $job (gen $gen)"
		is "$(run_field exit <<<"$r")" 0 "$n: rank $pid exited 0"
	done <<<"$runs"
	ok "$n: mckctl check passes after the job" on_node "$n" "$TC_BUILD/lwk/mckctl" check
done

# --- the same job without --mckernel ------------------------------------------
out=$(as_user srun -N2 -n4 --mpi=pmix ./mpi_hello 2>&1)
rc=$?
echo "$out" | sed 's/^/#   /'
is "$rc" 0 "plain srun exits 0"
is "$(echo "$out" | grep -c '^rank .* sum 6 (expected 6)')" 4 "plain job: all 4 ranks print the right sum"
is "$(echo "$out" | grep '^rank ' | grep -c 'parent mcexec ')" 0 "plain job: no rank runs under mcexec"
pjob=$(echo "$out" | grep '^rank 0 ' | sed -n 's/.* job \([0-9]*\) .*/\1/p')
wait_no_jobs 30
for n in $TC_NODE_NAMES; do
	d=$(node_double "$n")
	is "$(grep -c "job=$pjob " "$d/events.log" 2>/dev/null)" 0 "$n: plain job $pjob made no IHK call"
	is "$(runs_of "$n" "$pjob" | grep -c .)" 0 "$n: plain job $pjob ran no mcexec"
done
ok "nodes are clean after the plain job" wait_clean 30
done_testing
