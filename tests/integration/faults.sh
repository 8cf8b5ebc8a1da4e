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

# Operator's recovery of one node: clean it by hand, resume it in Slurm.
recover_node() { # recover_node NODE
	local n=$1
	node_check "$n" || on_node "$n" "$MCKCTL_N" --quiet clean >/dev/null 2>&1
	if is_drained "$n" || [ "$(slurm_state "$n")" = down ]; then
		on_node "$n" scontrol update NodeName="$n" State=RESUME >/dev/null 2>&1
	fi
	wait_for 30 node_idle "$n"
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
	on_node "$1" bash -c "sleep 300 9<>$NODE_DEV/mcos${2:-0} </dev/null >/dev/null 2>&1 & echo \$!"
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
