#!/bin/bash
# Issue 15 items 3 and 4, on either test cluster and Slurm release: a bad
# --mckernel value is refused at submit time (srun and sbatch, nothing
# queued), and each rank of a --mckernel step takes the task path of this
# Slurm: spank_prepend_task_argv on Slurm 23.11 and later, the plugin's own
# exec on 22.05 (the plugin logs the path at debug level in slurmd's log).
. "$(dirname "$0")/lib.sh"

ok "cluster starts clean" wait_clean 30

out=$(as_user srun -N1 --mckernel=mem=0.99 true 2>&1); rc=$?
ok "srun --mckernel=mem=0.99 refused (rc $rc)" test "$rc" -ne 0
ok "... naming the key and value: $(head -n 1 <<<"$out")" grep -q "spank_mckernel: --mckernel: mem=0.99 is above 0.95: IHK reserves at most 95%" <<<"$out"
out=$(as_user sbatch -N1 --mckernel=smt=two --wrap true 2>&1); rc=$?
ok "sbatch --mckernel=smt=two refused (rc $rc)" test "$rc" -ne 0
ok "... naming the key and value: $(head -n 1 <<<"$out")" grep -q "spank_mckernel: --mckernel: smt='two' is not valid" <<<"$out"
ok "nothing queued" no_jobs

version=$(as_user srun --version | sed -n 's/.* \([0-9]*\)\.\([0-9]*\)\..*/\1 \2/p')
read -r major minor <<<"$version"
ok "the Slurm version is known ($major.$minor)" test -n "$major" -a -n "$minor"
if [ "${major:-0}" -gt 23 ] || { [ "${major:-0}" -eq 23 ] && [ "${minor:-0}" -ge 11 ]; }; then
	want=spank_prepend_task_argv other=exec
else
	want=exec other=spank_prepend_task_argv
fi
out=$(as_user srun -N2 -n4 --mckernel sh -c 'echo "JOB=$SLURM_JOB_ID parent=$(cat /proc/$PPID/comm)"' 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
is "$rc" 0 "srun -N2 -n4 --mckernel exits 0"
is "$(grep -c '^JOB=[0-9]* parent=mcexec$' <<<"$out")" 4 "4 ranks ran under mcexec"
job=$(sed -n 's/^JOB=\([0-9]*\) .*/\1/p' <<<"$out" | head -n 1)
for n in $TC_NODE_NAMES; do
	log=$TC_ROOT/nodes/$n/slurmd.log
	is "$(grep -c "spank_mckernel: job $job step 0 task [0-9]*: task path $want " "$log")" 2 \
		"$n: both ranks of job $job took the Slurm $major.$minor task path: $want"
	is "$(grep -c "spank_mckernel: job $job step 0 task [0-9]*: task path $other " "$log")" 0 \
		"$n: no rank of job $job took the other path ($other)"
done
ok "nodes are clean after the job" wait_clean 60
done_testing
