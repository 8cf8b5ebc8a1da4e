#!/bin/bash
# Failures of IHK/McKernel on the test cluster (issue 4), each followed by
# the recovery an operator would do:
#  (a) a boot that fails on one node: the job fails with the reason naming
#      the failing call, the node stays clean and in service;
#  (b) a kernel panic while ranks run: ranks end (bounded), the reason
#      reaches the job's stderr, kernel messages are saved, the node is clean;
#  (c) a process holding the device at epilogue time: the epilogue fails,
#      the node is drained and sinfo -R names what is stuck (not only
#      "Epilog error"); mck-healthcheck reports it; after the holder is
#      gone, mckctl clean + resume make the node usable;
#  (d) slurmd killed (with its prologue) in the middle of a boot: the node
#      recovers, leftovers are cleaned, nothing leaks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faults.sh"

trap clear_faults EXIT
clear_faults
for n in $TC_NODE_NAMES; do recover_node "$n"; done
ok "cluster starts clean" wait_clean 30
N1=node1
N2=node2

# --- (a) boot failure on one node -----------------------------------------
label=a$$
set_double "$N2" "fault = ihk_os_boot:-EINVAL:once:$label"
out=$(timeout 120 "$CLUSTER" run srun -N2 --mckernel true 2>&1)
rc=$?
echo "$out" | sed 's/^/#   /'
ok "(a) the job fails (rc $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
ok "(a) its stderr has one reason line naming ihk_os_boot" \
	grep -q "spank_mckernel: job [0-9]*: no McKernel instance on .*boot failed at ihk_os_boot: Invalid argument (-22)" <<<"$out"
ajob=$(sed -n 's/.*spank_mckernel: job \([0-9]*\): .*/\1/p' <<<"$out" | head -n1)
ok "(a) the fault fired on $N2 (events.log)" \
	grep -q "job=$ajob call=os_boot .*injected=1" "$(node_double "$N2")/events.log"
set_double "$N2"
ok "(a) nodes clean after the job" wait_clean 30
ok "(a) $N2 is not drained" wait_for 10 node_idle "$N2"
is "$(slurm_reason "$N2")" "" "(a) $N2 has no drain reason"
out=$(timeout 120 "$CLUSTER" run srun -N2 --mckernel true 2>&1)
is "$?" 0 "(a) the next job runs on both nodes"

# --- (b) panic while the ranks run ------------------------------------------
for n in $TC_NODE_NAMES; do set_double "$n" "panic_after_s = 1.5"; done
t0=$(date +%s)
out=$(timeout 60 "$CLUSTER" run srun -N2 --mckernel bash -c 'echo "JOB=$SLURM_JOB_ID"; sleep 40' 2>&1)
rc=$?
t=$(( $(date +%s) - t0 ))
clear_faults
echo "$out" | sed 's/^/#   /'
bjob=$(sed -n 's/^JOB=\([0-9]*\)$/\1/p' <<<"$out" | head -n1)
ok "(b) the job id is known ($bjob)" test -n "$bjob"
ok "(b) the job ends instead of hanging (rc $rc after $t s, ranks sleep 40 s)" test "$rc" -ne 0 -a "$rc" -ne 124 -a "$t" -lt 35
ok "(b) the reason is in the job's stderr" \
	grep -q "mcexec: McKernel instance [0-9]* went PANIC while [^ ]*bash ran: rank ended" <<<"$out"
ok "(b) nodes clean after the epilogue" wait_clean 30
ok "(b) the job's stderr has a reason from each node" test "$(grep -c 'mcexec: McKernel instance [0-9]* went PANIC' <<<"$out")" -ge 2
ok "(b) kernel messages saved on $N1" test -s "$(node_state "$N1")/kmsg/$bjob.kmsg"
ok "(b) the saved messages show the panic" grep -qi panic "$(node_state "$N1")/kmsg/$bjob.kmsg"
ok "(b) $N1 is back in service" wait_for 10 node_idle "$N1"

# --- (c) a process holds the device at epilogue time ------------------------
"$CLUSTER" run srun -N1 -w "$N1" --mckernel bash -c 'echo "JOB=$SLURM_JOB_ID"; sleep 4' >"$TC_SHARE/c.out" 2>&1 &
srun_pid=$!
ok "(c) the job's instance runs on $N1" wait_for 30 grep -q '^JOB=' "$TC_SHARE/c.out"
cjob=$(sed -n 's/^JOB=\([0-9]*\)$/\1/p' "$TC_SHARE/c.out" | head -n1)
holder=$(hold_device "$N1")
ok "(c) a holder of $NODE_DEV/mcos0 runs on $N1 (pid $holder)" on_node "$N1" kill -0 "$holder"
timeout 60 tail --pid="$srun_pid" -f /dev/null
# the epilogue waits shutdown_timeout for the holder, then gives up
ok "(c) $N1 is drained after the failed epilogue" wait_for 90 is_drained "$N1"
ok "(c) the drain reason is ours, not only \"Epilog error\"" wait_for 60 reason_matches "$N1" '^mckernel: '
reason=$(slurm_reason "$N1")
diag "sinfo -R reason: $reason"
as_user sinfo -R | sed 's/^/#   /'
ok "(c) the reason names the stuck call and the holder" grep -q "ihk_destroy_os.*held open by pid $holder" <<<"$reason"
ok "(c) the reason is one line" test "$(printf '%s\n' "$reason" | wc -l)" -eq 1
ok "(c) the epilogue logged it" grep -q "mck-epilogue: job $cjob: .*held open by pid $holder" "$(node_state "$N1")/log/prolog.log"
hc=$(on_node "$N1" "$HEALTHCHECK_N" --no-drain 2>&1)
hrc=$?
echo "$hc" | sed 's/^/#   /'
is "$hrc" 1 "(c) mck-healthcheck says the node is not clean"
ok "(c) mck-healthcheck names the holder" grep -q "held open by pid $holder" <<<"$hc"
# mck-healthcheck drains with its own reason (what slurmd's HealthCheckProgram does)
on_node "$N1" scontrol update NodeName="$N1" State=RESUME >/dev/null 2>&1
on_node "$N1" "$HEALTHCHECK_N" >/dev/null 2>&1
ok "(c) mck-healthcheck drained the node with a reason naming what is left" \
	reason_matches "$N1" "^mckernel: node not clean: os 0: .*held open by pid $holder"
out=$(on_node "$N1" "$MCKCTL_N" clean 2>&1)
ok "(c) mckctl clean fails while the holder is there" test $? -ne 0
on_node "$N1" kill "$holder"
ok "(c) mckctl clean succeeds once the holder is gone" on_node "$N1" "$MCKCTL_N" --quiet clean
on_node "$N1" "$HEALTHCHECK_N" --no-drain >/dev/null 2>&1
is "$?" 0 "(c) mck-healthcheck: clean"
on_node "$N1" scontrol update NodeName="$N1" State=RESUME >/dev/null 2>&1
ok "(c) $N1 is back in service after resume" wait_for 30 node_idle "$N1"
out=$(timeout 120 "$CLUSTER" run srun -N2 --mckernel true 2>&1)
is "$?" 0 "(c) the next job runs on both nodes"

# --- (d) slurmd killed during a prologue --------------------------------------
set_double "$N1" "boot_latency_ms = 4000"
"$CLUSTER" run srun -N1 -w "$N1" --mckernel true >"$TC_SHARE/d.out" 2>&1 &
srun_pid=$!
ok "(d) the prologue is booting on $N1" wait_for 30 bash -c "grep -q '^state=booting$' $(node_state "$N1")/jobs/*.job 2>/dev/null"
djob=$(basename "$(grep -l '^state=booting$' "$(node_state "$N1")"/jobs/*.job | head -n1)" .job)
victims=$(node_pids_named "$N1" mck-prologue mckctl | tr '\n' ' ')
diag "job $djob: killing slurmd of $N1 and its prologue ($victims)"
"$CLUSTER" restart-node "$N1" --kill-only
# shellcheck disable=SC2086
[ -n "$victims" ] && kill -KILL $victims 2>/dev/null
set_double "$N1"
ok "(d) the record of job $djob stays behind (state booting)" grep -q '^state=booting$' "$(node_state "$N1")/jobs/$djob.job"
"$CLUSTER" restart-node "$N1"
ok "(d) IHK still holds the half-booted instance" test -n "$(on_node "$N1" "$MCKCTL_N" check 2>/dev/null)"
# Slurm gives up on the job (or the operator cancels it); bounded wait
if ! timeout 90 tail --pid="$srun_pid" -f /dev/null; then
	as_user scancel "$djob"
	timeout 30 tail --pid="$srun_pid" -f /dev/null
fi
sed 's/^/#   /' "$TC_SHARE/d.out"
ok "(d) the killed job ended" bash -c "! kill -0 $srun_pid 2>/dev/null"
wait_no_jobs 60
resume_node "$N1"
ok "(d) $N1 is in service again (resumed if Slurm drained it, IHK untouched)" node_idle "$N1"
out=$(timeout 120 "$CLUSTER" run srun -N2 --mckernel true 2>&1)
rc=$?
echo "$out" | sed 's/^/#   /'
is "$rc" 0 "(d) the next job runs on both nodes"
ok "(d) nodes clean" wait_clean 30
ok "(d) the leftovers of job $djob were cleaned by its epilogue or the next prologue" \
	grep -q "job $djob: ihk_destroy_os(0, 0) ok" "$(node_state "$N1")/log/lifecycle.log"
leaks=$(all_leftovers)
is "$leaks" "" "(d) no leaked instance, reservation or record on any node"
for n in $TC_NODE_NAMES; do
	ok "$n: not drained at the end" node_idle "$n"
done
done_testing
