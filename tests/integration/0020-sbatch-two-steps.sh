#!/bin/bash
# An sbatch --mckernel job with two srun --mckernel MPI steps: with the
# default instance_policy (per-step) the first step runs on the prologue's
# instance and the second on a fresh one (a second MPI step in the same
# instance crashes on real McKernel); both tear down. 0701 covers per-job.
. "$(dirname "$0")/lib.sh"

install_program "$BUILD/tests/programs/mpi_hello"
cat >"$TC_SHARE/two-steps.sh" <<'SCRIPT'
#!/bin/bash
srun --mckernel -n4 --mpi=pmix ./mpi_hello
srun --mckernel -n4 --mpi=pmix ./mpi_hello
SCRIPT
chmod 0755 "$TC_SHARE/two-steps.sh"
ok "cluster starts clean" wait_clean 30

out=$(as_user sbatch --mckernel -N2 --wait --parsable -o two-steps-%j.out two-steps.sh 2>&1)
rc=$?
job=$(echo "$out" | tail -n1 | cut -d';' -f1)
is "$rc" 0 "sbatch --wait exits 0 (job $job)"
sed 's/^/#   /' "$TC_SHARE/two-steps-$job.out" 2>/dev/null
is "$(grep -c '^rank .* sum 6 (expected 6)' "$TC_SHARE/two-steps-$job.out")" 8 "both steps: 8 ranks print the right sum"
is "$(grep '^rank ' "$TC_SHARE/two-steps-$job.out" | grep -c 'parent mcexec ')" 8 "both steps ran under mcexec"
ok "nodes are clean after the job" wait_clean 60
for n in $TC_NODE_NAMES; do
	d=$(node_double "$n")
	is "$(grep "job=$job " "$d/events.log" | grep -c "call=os_boot .*rc=0")" 2 "$n: booted twice for job $job (prologue, fresh instance for step 1)"
	is "$(grep "job=$job " "$d/events.log" | grep -c "call=destroy_os .*rc=0")" 2 "$n: destroyed both instances of job $job"
	is "$(grep "job=$job " "$d/events.log" | grep -c "call=os_shutdown")" 0 "$n: never an ihk_os_shutdown on its own"
	# the records of destroyed instances, one line per rank (ihk/double/README.md)
	gens=$(grep " job=$job " "$d/mcexec.log" | sed -n 's/.* gen=\([0-9]*\) .*/\1/p' | sort -u | wc -l)
	is "$gens" 2 "$n: each MPI step ran on its own instance"
	steps=$(grep " job=$job " "$d/mcexec.log" | sed -n 's/.* \(step=[0-9]*\) .*/\1/p' | sort -u | tr '\n' ' ')
	is "$steps" "step=0 step=1 " "$n: ranks of step 0 and step 1 were recorded"
done
done_testing
