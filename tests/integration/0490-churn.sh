#!/bin/bash
# Churn (issue 4): CHURN_JOBS (default 60) McKernel jobs, mostly
# `srun -N1|-N2 --mckernel`, some sbatch jobs with two steps, with faults
# injected at random per job: boot failures of every boot call, boot hangs,
# panics during the job, release failures, -ENOMEM from reserve_mem (once:
# compacted and retried; twice: the boot fails), slurmd killed during a
# prologue, a process holding the device. After each fault the test
# recovers as an operator would (resume drained nodes, mckctl clean when
# needed, reboot a node whose reason says it needs one: an instance that
# did not boot cannot be removed from real IHK without crashing the node). At the end: no leaked instance/reservation/record on any node,
# a reason shown for every failed job, no rank ran on another job's
# instance. Prints the counts.
# With reservation = keep (issue 13; CHURN_RESERVATION=both, the default,
# runs the second half of the jobs so) the jobs' CPUs and memory stay
# reserved between jobs, one job in eight runs without --mckernel (its
# prologue gives the reservation back) and one in eight asks another plan;
# at the end every node gives its kept reservation back and holds nothing.
#   CHURN_JOBS=N  CHURN_SEED=S  CHURN_FAULT_PCT=P (default 35)
#   CHURN_RESERVATION=per-job|keep|both (default both)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faults.sh"

JOBS=${CHURN_JOBS:-60}
SEED=${CHURN_SEED:-$$}
FAULT_PCT=${CHURN_FAULT_PCT:-35}
RESERVATION=${CHURN_RESERVATION:-both}
case "$RESERVATION" in per-job | keep | both) ;; *) echo "CHURN_RESERVATION: per-job, keep or both" >&2; exit 2 ;; esac
RANDOM=$SEED
diag "churn: $JOBS jobs, seed $SEED, faults in $FAULT_PCT% of the jobs, reservation $RESERVATION"

# Shorter waits for a held device (the epilogue waits shutdown_timeout):
# the cluster's own configuration, restored at the end.
CONF=$TC_ROOT/etc/mckernel.conf
cp "$CONF" "$TC_ROOT/mckernel.conf.churn-saved"
sed -i 's/^shutdown_timeout *=.*/shutdown_timeout = 5/' "$CONF"
cleanup() {
	clear_faults
	[ -f "$TC_ROOT/mckernel.conf.churn-saved" ] && mv "$TC_ROOT/mckernel.conf.churn-saved" "$CONF"
	[ -n "${HOLDER:-}" ] && on_node "$HOLDER_NODE" kill "$HOLDER" 2>/dev/null
}
trap cleanup EXIT
# reservation = POLICY for every partition, first in the file (before any section)
set_reservation() {
	{ echo "reservation = $1"; grep -v '^reservation *=' "$CONF"; } >"$CONF.tmp" && mv -f "$CONF.tmp" "$CONF"
	KEEPING=$([ "$1" = keep ] && echo 1 || echo 0)
}
set_reservation "$([ "$RESERVATION" = keep ] && echo keep || echo per-job)"
NPLAIN=0 NOTHERPLAN=0
clear_faults
for n in $TC_NODE_NAMES; do recover_node "$n"; done
ok "cluster starts clean" wait_clean 30

cat >"$TC_SHARE/churn-two-steps.sh" <<'SCRIPT'
#!/bin/bash
srun --mckernel printenv SLURM_JOB_ID
srun --mckernel true
SCRIPT
chmod 0755 "$TC_SHARE/churn-two-steps.sh"

BOOT_CALLS=(ihk_reserve_cpu ihk_reserve_mem ihk_create_os ihk_os_assign_cpu ihk_os_set_ikc_map
	ihk_os_assign_mem ihk_os_load ihk_os_kargs ihk_os_boot)
ERRNOS=(-EINVAL -EBUSY -EFAULT -ENOSPC)
KINDS=(boot_fail boot_hang panic release enomem_once enomem_twice slurmd_kill holder)
# weights of the kinds (slurmd_kill and holder are slow: rarer)
WEIGHTS=(30 8 14 12 10 8 3 4)
declare -A NFAULT=()
for k in "${KINDS[@]}"; do NFAULT[$k]=0; done
NJOBS=0 NFAILED=0 NEXPLAINED=0 NUNEXPECTED=0 NDRAINS=0 NDRAINS_OURS=0 NSBATCH=0 NREBOOTS=0
UNEXPLAINED=()
NODES=($TC_NODE_NAMES)
LOG=$TC_SHARE/churn.log
: >"$LOG"

pick_kind() {
	local total=0 w r i
	for w in "${WEIGHTS[@]}"; do total=$((total + w)); done
	r=$((RANDOM % total))
	for i in "${!KINDS[@]}"; do
		r=$((r - WEIGHTS[i]))
		[ $r -lt 0 ] && { echo "${KINDS[i]}"; return; }
	done
}

# Wait until the job's epilogue finished on NODES (record gone) or the node
# was drained; bounded.
wait_epilogue() { # wait_epilogue JOB NODE...
	local job=$1 n t
	shift
	for n in "$@"; do
		t=0
		while [ -e "$(node_state "$n")/jobs/$job.job" ] && [ $t -lt 300 ]; do
			is_drained "$n" && break
			sleep 0.1
			t=$((t + 1))
		done
	done
}

# Recover every drained or down node; remembers the reasons (DRAIN_REASONS).
DRAIN_REASONS=""
recover_all() {
	local line n st reason t
	DRAIN_REASONS=""
	while read -r n st; do
		case "$st" in
		drain* | *drain* | down*) ;;
		*) continue ;;
		esac
		# our reason is re-applied after slurmctld's fixed one: give it a moment
		t=0
		until reason_matches "$n" '^mckernel: ' || [ $t -ge 25 ]; do sleep 0.2; t=$((t + 1)); done
		reason=$(slurm_reason "$n")
		NDRAINS=$((NDRAINS + 1))
		case "$reason" in mckernel:*) NDRAINS_OURS=$((NDRAINS_OURS + 1)) ;; esac
		DRAIN_REASONS="$DRAIN_REASONS$n: $reason;"
		echo "job $JOB: $n $st: $reason" >>"$LOG"
		case "$reason" in
		*"reboot the node"*) reboot_node "$n"; NREBOOTS=$((NREBOOTS + 1)) ;;
		*) recover_node "$n" ;;
		esac
	done < <(as_user sinfo -h -N -o '%N %T' 2>/dev/null | sort -u)
}

T0=$(date +%s)
ENOMEM_RETRIES0=$(cat "$TC_ROOT"/nodes/*/state/log/lifecycle.log 2>/dev/null | grep -c 'compact memory')
for i in $(seq 1 "$JOBS"); do
	JOB=""
	[ "$RESERVATION" = both ] && [ "$i" -eq $((JOBS / 2 + 1)) ] && set_reservation keep
	nn=$((RANDOM % 2 + 1))
	if [ "$nn" -eq 1 ]; then jnodes=(${NODES[$((RANDOM % ${#NODES[@]}))]}); else jnodes=("${NODES[@]}"); fi
	fnode=${jnodes[$((RANDOM % ${#jnodes[@]}))]}
	kind=none
	[ $((RANDOM % 100)) -lt "$FAULT_PCT" ] && kind=$(pick_kind)
	# every kind at least once, spread over the run
	for k in "${!KINDS[@]}"; do
		[ "$i" -eq $(( (k + 1) * JOBS / (${#KINDS[@]} + 1) )) ] && kind=${KINDS[k]}
	done
	sbatch=0
	[ "$kind" != slurmd_kill ] && [ "$kind" != holder ] && [ $((RANDOM % 20)) -eq 0 ] && sbatch=1
	prog=(printenv SLURM_JOB_ID)
	MCK_OPT=(--mckernel)
	if [ "$KEEPING" = 1 ] && [ "$kind" = none ] && [ "$sbatch" = 0 ]; then
		case $((RANDOM % 8)) in
		0) MCK_OPT=(); NPLAIN=$((NPLAIN + 1)) ;;	# gives a kept reservation back
		1) MCK_OPT=(--mckernel=mem=0.3); NOTHERPLAN=$((NOTHERPLAN + 1)) ;;
		esac
	fi
	expect_fail=0
	label=c$SEED-$i
	case "$kind" in
	boot_fail)
		call=${BOOT_CALLS[$((RANDOM % ${#BOOT_CALLS[@]}))]}
		set_double "$fnode" "fault = $call:${ERRNOS[$((RANDOM % ${#ERRNOS[@]}))]}:once:$label"
		expect_fail=1 ;;
	boot_hang)
		set_double "$fnode" "boot_hang = 1" "boot_poll_count = 3" "boot_poll_interval_ms = 100"
		expect_fail=1 ;;
	panic)
		set_double "$fnode" "panic_after_s = 0.3"
		prog=(bash -c 'echo $SLURM_JOB_ID; sleep 2')
		expect_fail=1 ;;
	release)
		call=$([ $((RANDOM % 2)) -eq 0 ] && echo ihk_release_mem || echo ihk_release_cpu)
		set_double "$fnode" "fault = $call:-EBUSY:once:$label" ;;
	enomem_once)
		set_double "$fnode" "fault = ihk_reserve_mem:-ENOMEM:once:$label" ;;
	enomem_twice)
		set_double "$fnode" "fault = ihk_reserve_mem:-ENOMEM:once:$label" \
			"fault = ihk_reserve_mem:-ENOMEM:once:$label-2"
		expect_fail=1 ;;
	slurmd_kill)
		set_double "$fnode" "boot_latency_ms = 3000"
		expect_fail=1 ;;
	holder)
		prog=(bash -c 'echo $SLURM_JOB_ID; sleep 1.5') ;;
	esac
	[ "$kind" != none ] && NFAULT[$kind]=$((NFAULT[$kind] + 1))
	[ "$sbatch" = 1 ] && NSBATCH=$((NSBATCH + 1))
	err=$TC_SHARE/churn-$i.err
	out=$TC_SHARE/churn-$i.out
	rm -f "$err" "$out" "$err.submit"
	if [ "$sbatch" = 1 ]; then
		res=$(timeout 120 "$CLUSTER" run sbatch --mckernel -N"${#jnodes[@]}" -w "$(IFS=,; echo "${jnodes[*]}")" \
			--wait --parsable -o "churn-$i.out" -e "churn-$i.err" churn-two-steps.sh 2>"$err.submit")
		rc=$?
		JOB=$(echo "$res" | tail -n1 | cut -d';' -f1)
	elif [ "$kind" = slurmd_kill ] || [ "$kind" = holder ]; then
		timeout 120 "$CLUSTER" run srun -N"${#jnodes[@]}" -w "$(IFS=,; echo "${jnodes[*]}")" "${MCK_OPT[@]}" \
			"${prog[@]}" >"$out" 2>"$err" &
		spid=$!
		if [ "$kind" = slurmd_kill ]; then
			wait_for 30 bash -c "grep -qs '^state=booting$' $(node_state "$fnode")/jobs/*.job"
			JOB=$(basename "$(grep -ls '^state=booting$' "$(node_state "$fnode")"/jobs/*.job | head -n1)" .job)
			victims=$(node_pids_named "$fnode" mck-prologue mckctl | tr '\n' ' ')
			"$CLUSTER" restart-node "$fnode" --kill-only 2>>"$LOG"
			# shellcheck disable=SC2086
			[ -n "$victims" ] && kill -KILL $victims 2>/dev/null
			set_double "$fnode"
			"$CLUSTER" restart-node "$fnode" 2>>"$LOG"
			[ -n "$JOB" ] && as_user scancel "$JOB"
			# whether the killed boot started is unknown: the operator who
			# killed it reboots the node once the job is gone
			wait_for 60 no_jobs
			if on_node "$fnode" "$MCKCTL_N" check 2>/dev/null | grep -q "not queried"; then
				reboot_node "$fnode"
				NREBOOTS=$((NREBOOTS + 1))
			fi
		else
			wait_for 30 bash -c "grep -qs '^state=running$' $(node_state "$fnode")/jobs/*.job"
			JOB=$(basename "$(grep -ls '^state=running$' "$(node_state "$fnode")"/jobs/*.job | head -n1)" .job)
			HOLDER_NODE=$fnode
			HOLDER=$(hold_device "$fnode")
		fi
		wait "$spid"
		rc=$?
	else
		timeout 120 "$CLUSTER" run srun -N"${#jnodes[@]}" -w "$(IFS=,; echo "${jnodes[*]}")" "${MCK_OPT[@]}" \
			"${prog[@]}" >"$out" 2>"$err"
		rc=$?
	fi
	[ -n "$JOB" ] || JOB=$(grep -hs '^[0-9][0-9]*$' "$out" | head -n1)
	[ -n "$JOB" ] || JOB=$(sed -n 's/.*job \([0-9][0-9]*\).*/\1/p' "$err" | head -n1)
	NJOBS=$((NJOBS + 1))
	[ -n "$JOB" ] && wait_epilogue "$JOB" "${jnodes[@]}"
	if [ "$kind" = holder ]; then
		wait_for 30 is_drained "$fnode"
		recover_all
		on_node "$HOLDER_NODE" kill "$HOLDER" 2>/dev/null
		HOLDER=""
		recover_node "$fnode"
	else
		recover_all
	fi
	clear_faults
	if [ "$rc" -ne 0 ]; then
		NFAILED=$((NFAILED + 1))
		why=$(cat "$err" "$err.submit" 2>/dev/null | grep -m1 -E 'spank_mckernel: |mcexec: ')
		if [ -z "$why" ] && [ -n "$DRAIN_REASONS" ] && grep -q 'mckernel: ' <<<"$DRAIN_REASONS"; then
			why="sinfo -R: $DRAIN_REASONS"
		fi
		if [ -z "$why" ] && [ "$kind" = slurmd_kill ]; then
			# the operator killed slurmd and cancelled the job: srun says so
			why=$(grep -h -m1 -E 'srun: .*(CANCELLED|not ready|error)' "$err" | head -n1)
			[ -n "$why" ] && why="(slurmd killed, job cancelled) $why"
		fi
		if [ -n "$why" ]; then
			NEXPLAINED=$((NEXPLAINED + 1))
		else
			UNEXPLAINED+=("job ${JOB:-?} (#$i, $kind on $fnode, rc $rc): $(tr '\n' ' ' <"$err" | cut -c1-300)")
		fi
		if [ "$expect_fail" = 0 ]; then
			NUNEXPECTED=$((NUNEXPECTED + 1))
			diag "unexpected failure: job ${JOB:-?} (#$i, fault $kind on $fnode, rc $rc): $(tr '\n' ' ' <"$err" | cut -c1-300)"
		fi
		echo "job ${JOB:-?} #$i ${jnodes[*]} fault=$kind@$fnode rc=$rc why=$why" >>"$LOG"
	else
		echo "job ${JOB:-?} #$i ${jnodes[*]} fault=$kind@$fnode rc=0" >>"$LOG"
		rm -f "$err" "$out" "$err.submit"
	fi
done
T1=$(date +%s)

# Everything is over: every node clean (after the operator's recovery).
wait_no_jobs 60
for n in $TC_NODE_NAMES; do recover_node "$n"; done
NKEPT=$(cat "$TC_ROOT"/nodes/*/state/log/lifecycle.log 2>/dev/null | grep -c 'reservation kept for the next job')
NREUSED=$(cat "$TC_ROOT"/nodes/*/state/log/lifecycle.log 2>/dev/null | grep -c 'kept reservation of job .* reused')
NGIVEN=$(cat "$TC_ROOT"/nodes/*/state/log/lifecycle.log 2>/dev/null | grep -c 'kept reservation .* back to Linux')
# a kept reservation is clean, but the end gives it back: nothing may stay reserved
for n in $TC_NODE_NAMES; do on_node "$n" "$MCKCTL_N" release >>"$LOG" 2>&1; done
NRESERVED=0
for n in $TC_NODE_NAMES; do
	st=$(on_node "$n" "$MCKCTL_N" status 2>&1)
	if ! grep -q '^reserved cpus: none$' <<<"$st" || ! grep -q '^reserved memory: none$' <<<"$st" ||
		! grep -q '^kept reservation: none$' <<<"$st"; then
		NRESERVED=$((NRESERVED + 1))
		diag "$n still reserves: $(tr '\n' ';' <<<"$st")"
	fi
done
ENOMEM_RETRIES=$(( $(cat "$TC_ROOT"/nodes/*/state/log/lifecycle.log 2>/dev/null | grep -c 'compact memory') - ENOMEM_RETRIES0 ))
leaks=$(all_leftovers)
NLEAKS=$(printf '%s' "$leaks" | grep -c .)

# No rank ran on another job's instance: every mcexec record's (job, gen)
# was booted (os_boot rc=0) by a process of the same job on that node.
NRANKS=0 NFOREIGN=0
for n in $TC_NODE_NAMES; do
	d=$(node_double "$n")
	booted=$(sed -n 's/.* job=\([0-9][0-9]*\) call=os_boot os=[0-9]* gen=\([0-9][0-9]*\) rc=0.*/\1 \2/p' "$d/events.log" | sort -u)
	# the records of destroyed instances, one line per rank (ihk/double/README.md)
	while read -r j g pid; do
		NRANKS=$((NRANKS + 1))
		if ! grep -qx "$j $g" <<<"$booted"; then
			NFOREIGN=$((NFOREIGN + 1))
			diag "$n: rank pid $pid of job $j ran on gen $g, not booted for job $j"
		fi
	done < <(sed -n 's/^pid=\([0-9]*\) .* job=\([0-9]*\) .* gen=\([0-9]*\) .*/\2 \3 \1/p' "$d/mcexec.log" 2>/dev/null)
done

diag "churn counts (seed $SEED, $((T1 - T0)) s):"
diag "  jobs: $NJOBS (sbatch with 2 steps: $NSBATCH)"
for k in "${KINDS[@]}"; do diag "  faults $k: ${NFAULT[$k]}"; done
diag "  reserve_mem -ENOMEM compaction retries: $ENOMEM_RETRIES"
diag "  failed jobs: $NFAILED, explained: $NEXPLAINED, unexpected (no fault): $NUNEXPECTED"
diag "  drained nodes: $NDRAINS, with our reason: $NDRAINS_OURS, rebooted: $NREBOOTS"
diag "  rank records checked: $NRANKS, on another job's instance: $NFOREIGN"
diag "  leaks: $NLEAKS"
diag "  reservation: kept $NKEPT times, reused $NREUSED, given back $NGIVEN; jobs without --mckernel $NPLAIN, with another plan $NOTHERPLAN"
for u in "${UNEXPLAINED[@]}"; do diag "unexplained: $u"; done
[ -n "$leaks" ] && diag "leftovers: $leaks"
echo "churn: jobs=$NJOBS faults=$(for k in "${KINDS[@]}"; do printf '%s:%s,' "$k" "${NFAULT[$k]}"; done) failures=$NFAILED explained=$NEXPLAINED leaks=$NLEAKS foreign=$NFOREIGN time=$((T1 - T0))s"

is "$NJOBS" "$JOBS" "all $JOBS jobs ran"
is "$NLEAKS" 0 "no leaked instance, reservation or record on any node"
is "$NRESERVED" 0 "kept reservations given back at the end: nothing reserved on any node"
if [ "$RESERVATION" != per-job ]; then
	ok "reservation = keep: reservations were kept ($NKEPT)" test "$NKEPT" -gt 0
	ok "reservation = keep: kept reservations were reused ($NREUSED)" test "$NREUSED" -gt 0
	if [ "$JOBS" -ge 100 ]; then
		ok "reservation = keep: jobs without --mckernel or another plan gave them back ($NGIVEN)" \
			test "$NGIVEN" -gt 0
	fi
fi
is "$NEXPLAINED" "$NFAILED" "a reason was shown for every failed job"
is "$NUNEXPECTED" 0 "no job failed without a fault"
is "$NFOREIGN" 0 "no rank ran on another job's instance ($NRANKS rank records)"
ok "ranks were recorded" test "$NRANKS" -gt 0
ok "failures happened (the faults fired)" test "$NFAILED" -gt 0
if [ "$JOBS" -ge 100 ]; then
	for k in "${KINDS[@]}"; do
		ok "fault kind $k was injected" test "${NFAULT[$k]}" -gt 0
	done
	ok "-ENOMEM was compacted and retried" test "$ENOMEM_RETRIES" -gt 0
	is "$NDRAINS_OURS" "$NDRAINS" "every drained node showed our reason in sinfo -R"
fi
for n in $TC_NODE_NAMES; do ok "$n: in service at the end" node_idle "$n"; done
done_testing
