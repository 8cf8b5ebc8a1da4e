# faults.sh: helpers for the failure tests (0400-0499), sourced after lib.sh.
# Faults go into each node's IHK double configuration (double.conf, read at
# every call); recovery is what an operator would do.

MCKCTL_N=$TC_BUILD/lwk/mckctl
HEALTHCHECK_N=$TC_BUILD/lwk/mck-healthcheck
NODE_DEV=$TC_NODE_STATE/ihk-double/dev

# The network namespace of a node (test-cluster/cluster names them so).
node_netns() { echo "mck${MCK_TC_NAME:+-$MCK_TC_NAME}-$1"; }

# double.conf of NODE gets exactly the given lines ("" clears it).
set_double() { # set_double NODE [LINE...]
	local n=$1 f
	shift
	f=$(node_double "$n")/double.conf
	mkdir -p "$(dirname "$f")"
	if [ $# -eq 0 ]; then : >"$f"; else printf '%s\n' "$@" >"$f"; fi
}
clear_faults() { local n; for n in $TC_NODE_NAMES; do set_double "$n"; done; }

# Slurm's view of a node: state (idle, drained, ...) and reason.
slurm_state() { as_user sinfo -h -N -n "$1" -o '%T' 2>/dev/null | head -n1; }
slurm_reason() { # the Reason= of scontrol show node, "" when none
	as_user scontrol show node "$1" 2>/dev/null | sed -n 's/^ *Reason=\(.*\) \[[^]]*\] *$/\1/p; s/^ *Reason=\(.*[^]]\) *$/\1/p' | head -n1
}
is_drained() { case "$(slurm_state "$1")" in drain* | *drain*) return 0 ;; *) return 1 ;; esac; }

# Wait (bounded) until CMD succeeds: wait_for SECONDS CMD...
wait_for() {
	local limit=$1 t=0
	shift
	until "$@"; do
		t=$((t + 1))
		[ $t -le $((limit * 5)) ] || return 1
		sleep 0.2
	done
}

node_check() { on_node "$1" "$MCKCTL_N" check >/dev/null 2>&1; }
node_idle() { [ "$(slurm_state "$1")" = idle ]; }

# Operator's recovery of one node: clean it by hand (a node holding an
# instance whose boot is not known to have started needs a reboot instead:
# reboot_node), resume it in Slurm.
recover_node() { # recover_node NODE
	local n=$1
	if on_node "$n" "$MCKCTL_N" check 2>/dev/null | grep -q "not queried"; then
		reset_double "$n"
	fi
	node_check "$n" || on_node "$n" "$MCKCTL_N" --quiet clean >/dev/null 2>&1
	if is_drained "$n" || [ "$(slurm_state "$n")" = down ]; then
		on_node "$n" scontrol update NodeName="$n" State=RESUME >/dev/null 2>&1
	fi
	wait_for 30 node_idle "$n"
}

# IHK's state of NODE gone with the double's state directory (what a reboot
# does; its double.conf kept); the lifecycle's records stay.
reset_double() { # reset_double NODE
	local d conf
	d=$(node_double "$1")
	conf=$(cat "$d/double.conf" 2>/dev/null)
	rm -rf "$d"
	mkdir -p "$d"
	[ -z "$conf" ] || printf '%s\n' "$conf" >"$d/double.conf"
}

# The operator reboots NODE (what a stranded instance needs), then cleans
# and resumes it as after any failure.
reboot_node() { # reboot_node NODE
	reset_double "$1"
	recover_node "$1"
}

# A failure test's start: faults cleared now and when the script exits,
# every node recovered, the cluster clean.
start_clean() {
	trap clear_faults EXIT
	clear_faults
	local n
	for n in $TC_NODE_NAMES; do recover_node "$n"; done
	ok "cluster starts clean" wait_clean 30
}

# A job on both nodes that fails when FAULT fires on NODE: prints its output
# into $out and its exit status into $rc (from run_faulty NODE FAULT).
run_faulty() { # run_faulty NODE FAULT
	set_double "$1" "fault = $2"
	out=$(timeout 120 "$CLUSTER" run srun -N2 --mckernel true 2>&1)
	rc=$?
	echo "$out" | sed 's/^/#   /'
	set_double "$1"
}

# Pids of NODE's processes whose command name is one of NAMES.
node_pids_named() { # node_pids_named NODE NAME...
	local n=$1 pid comm name
	shift
	for pid in $(node_pids "$n" 2>/dev/null); do
		comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
		for name in "$@"; do
			[ "$comm" = "$name" ] && echo "$pid"
		done
	done
}

# Start a process inside NODE that holds its instance's device open; prints its pid.
hold_device() { # hold_device NODE [OS]
	on_node "$1" bash -c "$TC_BUILD/tests/programs/hold $NODE_DEV/mcos${2:-0} 300 </dev/null >/dev/null 2>&1 & echo \$!"
}

# Instance of a job running on NODE (record state running)?
job_running_on() { # job_running_on NODE JOB
	grep -q '^state=running$' "$(node_state "$1")/jobs/$2.job" 2>/dev/null
}

# Leftovers of every node (mckctl check output), "" when all are clean.
all_leftovers() {
	local n out
	for n in $TC_NODE_NAMES; do
		out=$(on_node "$n" "$MCKCTL_N" check 2>&1) || echo "$n: $(echo "$out" | tr '\n' ';')"
	done
}

# The node's drain reason matches a grep pattern.
reason_matches() { slurm_reason "$1" | grep -q -- "$2"; }

# Resume a drained/down node in Slurm without touching IHK.
resume_node() {
	if is_drained "$1" || [ "$(slurm_state "$1")" = down ]; then
		on_node "$1" scontrol update NodeName="$1" State=RESUME >/dev/null 2>&1
	fi
	wait_for 30 node_idle "$1"
}
