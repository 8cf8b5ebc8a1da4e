#!/bin/bash
# Failures of IHK/McKernel on the test cluster (issue 4), each followed by
# the recovery an operator would do:
#  (a) a boot that fails on one node before the instance is created: the
#      job fails with the reason naming the failing call, the node stays
#      clean and in service;
#  (a2) a boot that fails between create and boot (ihk_os_load): the
#      instance is left untouched (querying or destroying it crashes real
#      IHK), the job fails, the node is drained with the reason that it
#      needs a reboot; after the reboot it is back in service;
#  (b) a kernel panic while ranks run: ranks end (bounded), the reason
#      reaches the job's stderr, kernel messages are saved, the node is clean;
#  (c) a process holding the device at epilogue time: the epilogue fails,
#      the node is drained and sinfo -R names what is stuck (not only
#      "Epilog error"); mck-healthcheck reports it; after the holder is
#      gone, mckctl clean + resume make the node usable;
#  (d) slurmd killed (with its prologue) in the middle of a boot: whether
#      the killed boot started is unknown, so the half-booted instance is
#      not touched and the node is drained with the reboot reason; after
#      the reboot nothing leaks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faults.sh"

start_clean
N1=node1
N2=node2

# --- (a) boot failure on one node -----------------------------------------
run_faulty "$N2" "ihk_create_os:-EINVAL:once:a$$"
ok "(a) the job fails (rc $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
ok "(a) its stderr has one reason line naming ihk_create_os" \
	grep -q "spank_mckernel: job [0-9]*: no McKernel instance on .*boot failed at ihk_create_os: Invalid argument (-22)" <<<"$out"
ajob=$(sed -n 's/.*spank_mckernel: job \([0-9]*\): .*/\1/p' <<<"$out" | head -n1)
ok "(a) the fault fired on $N2 (events.log)" \
	grep -q "job=$ajob call=create_os .*injected=1" "$(node_double "$N2")/events.log"
ok "(a) nodes clean after the job" wait_clean 30
ok "(a) $N2 is not drained" wait_for 10 node_idle "$N2"
is "$(slurm_reason "$N2")" "" "(a) $N2 has no drain reason"
out=$(timeout 120 "$CLUSTER" run srun -N2 --mckernel true 2>&1)
is "$?" 0 "(a) the next job runs on both nodes"

# --- (a2) failure between create and boot: stranded, drained for a reboot ---
run_faulty "$N2" "ihk_os_load:-EINVAL:once:a2$$"
ok "(a2) the job fails (rc $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
ok "(a2) $N2 is drained" wait_for 60 is_drained "$N2"
ok "(a2) the drain reason says the node needs a reboot" \
	wait_for 60 reason_matches "$N2" "^mckernel: .*ihk_os_load.*reboot the node"
diag "sinfo -R reason: $(slurm_reason "$N2")"
ok "(a2) the record keeps the exact state" \
	grep -qx "state=stranded" "$(node_state "$N2")"/jobs/*.job
ok "(a2) no status query or destroy reached the unbooted instance" \
	bash -c "! grep -q 'call=destroy_os os=0 gen=$(sed -n "s/.*call=create_os os=0 gen=\([0-9]*\) .*/\1/p" "$(node_double "$N2")/events.log" | tail -n1) ' '$(node_double "$N2")/events.log'"
out=$(on_node "$N2" "$MCKCTL_N" check 2>&1)
ok "(a2) mckctl check reports it without querying it" grep -q "os 0: not queried: job [0-9]*'s record says stranded at ihk_os_load" <<<"$out"
reboot_node "$N2"
ok "(a2) after the reboot $N2 is clean and in service" node_check "$N2"
out=$(timeout 120 "$CLUSTER" run srun -N2 --mckernel true 2>&1)
is "$?" 0 "(a2) the next job runs on both nodes"

# --- (b) panic while the ranks run (6 s after RUNNING: after the slower node's
# boot and mcexec's start-up at the observed latencies) ---------------------
for n in $TC_NODE_NAMES; do set_double "$n" "panic_after_s = 6"; done
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
ok "(d) the half-booted instance was not touched: $N1 drained for a reboot" \
	wait_for 60 reason_matches "$N1" "reboot the node"
diag "sinfo -R reason: $(slurm_reason "$N1")"
ok "(d) its record says what is known" grep -q "^state=stranded$" "$(node_state "$N1")/jobs/$djob.job"
reboot_node "$N1"
ok "(d) $N1 is in service again after the reboot" node_idle "$N1"
out=$(timeout 120 "$CLUSTER" run srun -N2 --mckernel true 2>&1)
rc=$?
echo "$out" | sed 's/^/#   /'
is "$rc" 0 "(d) the next job runs on both nodes"
ok "(d) nodes clean" wait_clean 30
leaks=$(all_leftovers)
is "$leaks" "" "(d) no leaked instance, reservation or record on any node"
for n in $TC_NODE_NAMES; do
	ok "$n: not drained at the end" node_idle "$n"
done
done_testing
