#!/bin/bash
# Issue 7 item 2 and issue 16: instance_policy per-job (the operator's
# explicit choice) boots once per job; per-step, the default, runs every
# step on a fresh instance: the prologue's unused one for the first step, a
# new one for each later step; a step on an instance that went to PANIC
# fails with a one-line reason and the kernel messages are saved first.
. "$(dirname "$0")/lib.sh"

CONF=$TC_ROOT/etc/mckernel.conf
cp "$CONF" "$TC_ROOT/etc/mckernel.conf.0701"
trap 'mv -f "$TC_ROOT/etc/mckernel.conf.0701" "$CONF"; rm -f "$TC_SHARE"/panic-*' EXIT
NODE_TOOL=$BUILD/lwk/mcexec/tests/mcexec-node
[ -x "$NODE_TOOL" ] || make -C "$BUILD" lwk/mcexec/tests/mcexec-node >/dev/null 2>&1
ok "test tool mcexec-node is built" test -x "$NODE_TOOL"

cat >"$TC_SHARE/three-steps.sh" <<'SCRIPT'
#!/bin/bash
for s in 1 2 3; do srun --mckernel -n2 sh -c 'echo "STEP $SLURM_STEP_ID rank $SLURM_PROCID parent $(cat /proc/$PPID/comm)"'; done
SCRIPT
chmod 0755 "$TC_SHARE/three-steps.sh"

run_three() { # run_three POLICY: sets job
	out=$(as_user sbatch --mckernel -N2 --wait --parsable -o "three-$1-%j.out" three-steps.sh 2>&1)
	is "$?" 0 "$1: sbatch --wait exits 0"
	job=$(echo "$out" | tail -n1 | cut -d';' -f1)
	sed 's/^/#   /' "$TC_SHARE/three-$1-$job.out"
	is "$(grep -c '^STEP [0-2] rank [01] parent mcexec$' "$TC_SHARE/three-$1-$job.out")" 6 \
		"$1: 3 steps x 2 ranks ran under mcexec (job $job)"
}
boots() { grep "job=$2 " "$(node_double "$1")/events.log" | grep -c "call=os_boot .*rc=0"; }
# instances JOB's ranks ran on: the records of destroyed instances (mcexec.log)
gens() { grep " job=$2 " "$(node_double "$1")/mcexec.log" | sed -n 's/.* gen=\([0-9]*\) .*/\1/p' | sort -u | wc -l; }

ok "cluster starts clean" wait_clean 30

# --- per-job, chosen explicitly
printf '[partition mck]\ninstance_policy = per-job\n' >>"$CONF"
run_three per-job
ok "per-job: nodes clean after the job" wait_clean 60
for n in $TC_NODE_NAMES; do
	is "$(boots "$n" "$job")" 1 "per-job: $n booted once for job $job"
	is "$(gens "$n" "$job")" 1 "per-job: $n ran the 3 steps on one instance"
done

cp "$TC_ROOT/etc/mckernel.conf.0701" "$CONF"

# --- per-step, the default
run_three per-step
ok "per-step: nodes clean after the job" wait_clean 60
for n in $TC_NODE_NAMES; do
	is "$(boots "$n" "$job")" 3 "per-step: $n booted 3 times for job $job (prologue's for step 0, 1 per later step)"
	is "$(gens "$n" "$job")" 3 "per-step: $n ran each step on its own instance"
	is "$(grep "job=$job " "$(node_double "$n")/events.log" | grep -c "call=destroy_os .*rc=0")" 3 \
		"per-step: $n destroyed every instance of job $job"
done

# --- PANIC between two steps
cat >"$TC_SHARE/panic-steps.sh" <<'SCRIPT'
#!/bin/bash
srun --mckernel -n2 true; echo "FIRST rc=$?"
touch panic-request.$SLURM_JOB_ID
for i in $(seq 60); do [ -e panic-done.$SLURM_JOB_ID ] && break; sleep 1; done
srun --mckernel -n2 true; echo "SECOND rc=$?"
SCRIPT
chmod 0755 "$TC_SHARE/panic-steps.sh"
panic_job() { # panic_job: run panic-steps.sh, PANIC node1's instance between the steps; sets job, os
	local out i
	out=$(as_user sbatch --mckernel -N2 --parsable -o "panic-%j.out" panic-steps.sh 2>&1)
	job=$(echo "$out" | tail -n1 | cut -d';' -f1)
	for i in $(seq 60); do [ -e "$TC_SHARE/panic-request.$job" ] && break; sleep 1; done
	ok "the job reached the injection point (job $job)" test -e "$TC_SHARE/panic-request.$job"
	os=$(sed -n 's/^os=//p' "$(node_state node1)/jobs/$job.job")
	ok "node1: PANIC injected into instance $os" on_node node1 env \
		IHK_DOUBLE_STATE="$TC_NODE_STATE/ihk-double" "$NODE_TOOL" inject "${os:-0}" panic
	touch "$TC_SHARE/panic-done.$job"
	for i in $(seq 120); do [ -z "$(as_user squeue -h -j "$job" 2>/dev/null)" ] && break; sleep 1; done
	sed 's/^/#   /' "$TC_SHARE/panic-$job.out"
	ok "first step ran" grep -qx "FIRST rc=0" "$TC_SHARE/panic-$job.out"
}

# per-job: the next step finds the panicked instance
printf '[partition mck]\ninstance_policy = per-job\n' >>"$CONF"
panic_job
ok "per-job: the step after the PANIC failed" grep -q "^SECOND rc=[1-9]" "$TC_SHARE/panic-$job.out"
is "$(grep -c "spank_mckernel: job $job step 1 on node1: McKernel instance $os is PANIC, not RUNNING; kernel messages saved in " "$TC_SHARE/panic-$job.out")" 1 \
	"per-job: node1's task says why, in one line"
ok "per-job: node1: kernel messages of the PANIC saved" test -s "$(node_state node1)/kmsg/$job.step1.kmsg"
ok "per-job: node1: the saved messages show the panic" grep -qi panic "$(node_state node1)/kmsg/$job.step1.kmsg"
is "$(stat -c '%a %U' "$(node_state node1)/kmsg/$job.step1.kmsg")" "640 root" \
	"per-job: the step's kmsg file has the lifecycle's one mode (0640, root)"
ok "per-job: no job left" wait_no_jobs 60
cp "$TC_ROOT/etc/mckernel.conf.0701" "$CONF"

# per-step (default): the panicked instance is destroyed directly, its
# messages saved, and the next step runs on a fresh one
panic_job
ok "per-step: the step after the PANIC ran on a fresh instance" grep -qx "SECOND rc=0" "$TC_SHARE/panic-$job.out"
ok "per-step: node1: the panicked kernel's messages (the instance of step 0) were saved before its destroy" \
	grep -qi panic "$(node_state node1)/kmsg/$job.step0.kmsg"
ok "no job left" wait_no_jobs 60
if ! wait_clean 60; then
	ok "nodes are clean after the PANIC job" false
	on_node node1 "$BUILD/lwk/mckctl" clean >/dev/null 2>&1
	on_node node1 scontrol update nodename=node1 state=resume >/dev/null 2>&1
else
	ok "nodes are clean after the PANIC job" true
fi
# The node may show a passing state (e.g. "plnd") for a moment: wait for idle.
state=
for _ in $(seq 1 30); do
	state=$(as_user sinfo -h -n node1 -o %t)
	[ "$state" = idle ] && break
	sleep 1
done
is "$state" idle "node1 is back in service"
done_testing
