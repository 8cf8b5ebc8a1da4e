#!/bin/bash
# Issue 7 items 6, 3 and 5 on the test cluster:
# - a node failure mid-step (node2's slurmd killed -9 and the node declared
#   DOWN, as slurmctld does once SlurmdTimeout passes) ends the ranks and
#   their mcexec proxies on both nodes; once node2's slurmd is back (and
#   the node resumed), the next --mckernel job runs on both nodes and every
#   node ends clean;
# - scancel of a job whose prologue is still booting leaves the nodes clean
#   and in service;
# - the cluster's slurm.conf passes `mckctl check-slurm` (and a broken copy
#   does not); the nodes pass `mckctl prereq`.
. "$(dirname "$0")/lib.sh"

MCKCTL=$TC_BUILD/lwk/mckctl

write_sleep_step nf-step.sh

wait_gone() { # wait_gone NODE JOB SECONDS: nothing of JOB's ranks alive on NODE
	local i
	for i in $(seq "$3"); do
		live_on "$1" "$2" || return 0
		sleep 1
	done
	return 1
}
node_clean() { on_node "$1" "$MCKCTL" check >/dev/null 2>&1; }
wait_node_clean() { # wait_node_clean NODE SECONDS
	local i
	for i in $(seq "$2"); do
		node_clean "$1" && return 0
		sleep 1
	done
	return 1
}
slurm_state() { as_user sinfo -h -n "$1" -o %T 2>/dev/null | head -n 1; }
wait_node_idle() { # wait_node_idle NODE SECONDS
	local i
	for i in $(seq "$2"); do
		[ "$(slurm_state "$1")" = idle ] && return 0
		sleep 1
	done
	return 1
}

ok "cluster starts clean" wait_clean 30

# --- the cluster's own settings
on_node node1 "$MCKCTL" check-slurm >"$TC_ROOT/check-slurm.out" 2>&1
is "$?" 0 "check-slurm: the cluster's slurm.conf has no error"
ok "check-slurm: no error line ($(head -c 300 "$TC_ROOT/check-slurm.out"))" \
	bash -c "! grep -q ': error: ' '$TC_ROOT/check-slurm.out'"
mkdir -p "$TC_ROOT/broken-etc"
grep -v '^PrologFlags=' "$TC_ROOT/etc/slurm.conf" >"$TC_ROOT/broken-etc/slurm.conf"
cp "$TC_ROOT/etc/plugstack.conf" "$TC_ROOT/broken-etc/"
on_node node1 "$MCKCTL" --config "$TC_ROOT/etc/mckernel.conf" check-slurm \
	--slurm-conf "$TC_ROOT/broken-etc/slurm.conf" >"$TC_ROOT/check-slurm.out" 2>&1
is "$?" 1 "check-slurm: the same slurm.conf without PrologFlags fails"
ok "check-slurm: ... naming PrologFlags=Alloc" grep -q "error: PrologFlags not set: set PrologFlags=Alloc" "$TC_ROOT/check-slurm.out"
for n in $TC_NODE_NAMES; do
	on_node "$n" "$MCKCTL" prereq >"$TC_ROOT/prereq.out" 2>&1
	is "$?" 0 "prereq: $n has every prerequisite ($(head -c 300 "$TC_ROOT/prereq.out"))"
done

# --- node failure mid-step
t0=$SECONDS
job=$(as_user sbatch --mckernel -N2 --no-requeue --parsable -o nf-%j.out nf-step.sh | cut -d';' -f1)
ok "node failure: ranks of job $job run on both nodes" wait_ranks "$job"
"$CLUSTER" restart-node node2 --kill-only
on_node node1 scontrol update NodeName=node2 State=DOWN Reason="test: node failure"
ok "node failure: job $job ends" wait_no_jobs 60
ok "node failure: no proxy or rank of job $job left on node1" wait_gone node1 "$job" 30
ok "node failure: node1's rank records of job $job ended" ended_on node1 "$job"
ok "node failure: node1 clean after its epilogue" wait_node_clean node1 60
is "$(destroys node1 "$job")" 1 "node failure: node1 destroyed the instance of job $job"

"$CLUSTER" restart-node node2
ok "node failure: node2's slurmd back; job $job's ranks there are ended" wait_gone node2 "$job" 60
ok "node failure: node2's rank records of job $job ended" ended_on node2 "$job"
if [ "$(slurm_state node2)" != idle ]; then
	diag "node2 is $(slurm_state node2) after its slurmd came back: resuming it"
	on_node node1 scontrol update NodeName=node2 State=RESUME
fi
ok "node failure: node2 back in service" wait_node_idle node2 60

rm -f "$TC_SHARE/nf-next.out"
as_user srun --mckernel -N2 --ntasks-per-node=1 -o nf-next.out hostname
is "$?" 0 "node failure: the next --mckernel job on both nodes succeeds"
ok "node failure: the next job ran on node1 and node2" \
	bash -c "sort '$TC_SHARE/nf-next.out' | tr '\n' ' ' | grep -qx 'node1 node2 '"
ok "node failure: every node clean afterwards" wait_clean 60
for n in $TC_NODE_NAMES; do
	ok "node failure: $n in service" wait_node_idle "$n" 30
done
diag "node failure part: $((SECONDS - t0)) s"

# --- scancel while the prologue is booting (boot takes 6 s on the double)
t0=$SECONDS
for n in $TC_NODE_NAMES; do
	echo "boot_latency_ms = 6000" >"$(node_double "$n")/double.conf"
done
job=$(as_user sbatch --mckernel -N2 --no-requeue --parsable -o nf-%j.out nf-step.sh | cut -d';' -f1)
booting() { local n; for n in $TC_NODE_NAMES; do grep -q "job=$job .*call=create_os .*rc=0" "$(node_double "$n")/events.log" || return 1; done; }
wait_booting() { local i; for i in $(seq 30); do booting && return 0; sleep 0.5; done; return 1; }
ok "scancel in prologue: job $job is booting on both nodes" wait_booting
for n in $TC_NODE_NAMES; do
	ok "scancel in prologue: $n has not booted yet" bash -c "! grep -q 'job=$job .*call=os_boot .*rc=0' '$(node_double "$n")/events.log'"
done
as_user scancel "$job"
ok "scancel in prologue: the job is gone" wait_no_jobs 60
ok "scancel in prologue: nodes are clean" wait_clean 60
for n in $TC_NODE_NAMES; do
	rm -f "$(node_double "$n")/double.conf"
	is "$(runs_of "$n" "$job" | grep -c .)" 0 "scancel in prologue: no rank of job $job started on $n"
	is "$(destroys "$n" "$job")" 1 "scancel in prologue: $n destroyed the instance of job $job"
	ok "scancel in prologue: $n in service" wait_node_idle "$n" 30
done
diag "scancel part: $((SECONDS - t0)) s"
done_testing
