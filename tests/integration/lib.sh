# lib.sh: helpers for integration tests on the test cluster.
# Sourced by tests/integration/NNNN-*.sh, which the runner starts with
#   TOP_SRC   the source tree      BUILD   the build tree the cluster runs
#   CLUSTER   test-cluster/cluster or test-cluster/compose (already up)
# Both clusters look the same to a test: `$CLUSTER env` (TC_KIND netns or
# compose, TC_ROOT, TC_SHARE, ...), the shared directory, each node's state
# under $TC_ROOT/nodes/NODE/state and the configuration in $TC_ROOT/etc are
# host paths, visible at the same path on the nodes. What differs: on
# compose each node has its own pid namespace (node_pids gives host pids;
# pids that a node recorded are checked on the node, see live_on) and its
# own users (add_user); programs of $BUILD run on the nodes, not the host.
# Each assertion prints a TAP line; the script exits 1 if any failed.

set -u
# shellcheck disable=SC1091
. "$TOP_SRC/tests/tap.sh"

# shellcheck disable=SC1090
eval "$("$CLUSTER" env)"

diag() { printf '# %s\n' "$@"; }

done_testing() {
	tap_plan
	exit $?
}

# Run as the test user on the head, in the shared directory.
as_user() { "$CLUSTER" run "$@"; }
# Run as root inside a node.
on_node() { "$CLUSTER" node "$@"; }
# The host's pids of NODE's processes (kill them from the host).
node_pids() { "$CLUSTER" pids "$1"; }

# A second user on the head and every node (removed again by del_user).
add_user() { # add_user NAME
	local h
	if [ "${TC_KIND:-netns}" = compose ]; then
		for h in head $TC_NODE_NAMES; do
			on_node "$h" useradd --no-create-home --shell /bin/sh "$1" || return 1
		done
	else
		useradd --no-create-home --shell /bin/sh "$1"
	fi
}
del_user() { # del_user NAME: its processes killed, the user removed
	local h
	if [ "${TC_KIND:-netns}" = compose ]; then
		for h in head $TC_NODE_NAMES; do
			on_node "$h" sh -c 'pkill -KILL -u "$1"; userdel "$1"' _ "$1" >/dev/null 2>&1
		done
	else
		pkill -KILL -u "$1" 2>/dev/null
		userdel --remove "$1" >/dev/null 2>&1
	fi
	return 0
}

# A node's state directory as seen from the host, and its IHK double state.
node_state() { echo "$TC_ROOT/nodes/$1/state"; }
node_double() { echo "$TC_ROOT/nodes/$1/state/ihk-double"; }

# Copy a test program where the test user can run it.
install_program() { # install_program PATH [NAME]
	local name=${2:-$(basename "$1")}
	install -m 0755 "$1" "$TC_SHARE/$name"
}

# Wait until every node is clean (epilogues finished), up to N seconds.
wait_clean() { # wait_clean [SECONDS]
	local limit=${1:-60} t=0 n all
	while :; do
		all=0
		for n in $TC_NODE_NAMES; do
			on_node "$n" "$TC_BUILD/lwk/mckctl" check >/dev/null 2>&1 || all=1
		done
		[ $all -eq 0 ] && return 0
		t=$((t + 1))
		[ $t -lt "$limit" ] || return 1
		sleep 1
	done
}

# Does this Slurm start a step with more tasks than a node's CPUs (-O)?
# Slurm 22.05 does; Slurm 24.11.5 leaves such a job pending for ever
# (select/cons_tres refuses the task layout), with or without --mckernel.
# Sets OVERCOMMIT_WHY to the reason when it does not.
overcommit_runs() {
	local cpus job
	if [ -z "${OVERCOMMIT_CHECKED:-}" ]; then
		OVERCOMMIT_CHECKED=1 OVERCOMMIT_WHY=
		cpus=$(as_user sinfo -h -N -o %c 2>/dev/null | head -n 1)
		if ! as_user timeout 20 srun -N1 -n$((${cpus:-1} + 1)) -O true >/dev/null 2>&1; then
			OVERCOMMIT_WHY="this Slurm ($(as_user srun --version)) does not start srun -N1 -n$((${cpus:-1} + 1)) -O on nodes of $cpus CPUs within 20 s, even without --mckernel (the job stays pending)"
			for job in $(as_user squeue -h -o %i 2>/dev/null); do as_user scancel "$job"; done
			wait_no_jobs 30
		fi
	fi
	[ -z "$OVERCOMMIT_WHY" ]
}

# The cluster has no job left (squeue empty).
no_jobs() { [ -z "$(as_user squeue -h -o %i 2>/dev/null)" ]; }

# Wait until the cluster has no job left (squeue empty), up to N seconds.
wait_no_jobs() {
	local limit=${1:-60} t=0
	while ! no_jobs; do
		t=$((t + 1))
		[ $t -lt "$limit" ] || return 1
		sleep 1
	done
}

# --- ranks of --mckernel jobs, from the mcexec double's records

# $TC_SHARE/NAME: an sbatch script of one 2-rank --mckernel step sleeping 600 s.
write_sleep_step() { # write_sleep_step NAME
	cat >"$TC_SHARE/$1" <<'SCRIPT'
#!/bin/bash
srun --mckernel -n2 sleep 600
SCRIPT
	chmod 0755 "$TC_SHARE/$1"
}
recs_of() { # the double's run records (STATE/mcexec/osN/PID.rec, earlier STATE/mcexec/PID.rec)
	grep -l "^job=$2$" "$(node_double "$1")"/mcexec/*.rec "$(node_double "$1")"/mcexec/os*/*.rec 2>/dev/null
}
wait_ranks() { # wait_ranks JOB: both nodes run a rank of JOB
	local i n all
	for i in $(seq 60); do
		all=1
		for n in $TC_NODE_NAMES; do [ -n "$(recs_of "$n" "$1")" ] || all=0; done
		[ $all = 1 ] && return 0
		sleep 1
	done
	return 1
}
live_on() { # live_on NODE JOB: a proxy or program of JOB's ranks on NODE is alive
	local r pids=
	for r in $(recs_of "$1" "$2"); do
		pids="$pids $(sed -n 's/^pid=//p; s/^child=//p' "$r" | tr '\n' ' ')"
	done
	[ -n "${pids// /}" ] || return 1
	# The pids are the node's own (a container has its own pid namespace).
	# shellcheck disable=SC2086
	on_node "$1" sh -c 'for p; do kill -0 "$p" 2>/dev/null && exit 0; done; exit 1' _ $pids
}
runs_of() { # runs_of NODE JOB: one line "key=value ..." per mcexec run of JOB on NODE,
	# from the live records of running instances and from STATE/mcexec.log,
	# where the double folds the records of an instance it destroyed
	local d r
	d=$(node_double "$1")
	for r in $(recs_of "$1" "$2"); do tr '\n' ' ' <"$r"; echo; done
	grep -E "(^| )job=$2( |\$)" "$d/mcexec.log" 2>/dev/null
}
run_field() { # run_field KEY: KEY's value in each line of runs_of on stdin
	sed -n "s/^\(.* \)\{0,1\}$1=\([^ ]*\).*/\2/p"
}
ended_on() { # ended_on NODE JOB: every run of JOB on NODE has its end recorded
	local line
	while IFS= read -r line; do
		case " $line" in *" end="*) ;; *) return 1 ;; esac
	done < <(runs_of "$1" "$2")
	return 0
}
# How many times NODE destroyed an instance of JOB.
destroys() { grep "job=$2 " "$(node_double "$1")/events.log" | grep -c "call=destroy_os .*rc=0"; }

# --- changing the cluster's mckernel.conf within one test

# CONF, the cluster's configuration, saved now as CONF_SAVED
# (mckernel.conf.TAG); the test's EXIT trap moves CONF_SAVED back.
save_conf() { # save_conf TAG
	CONF=$TC_ROOT/etc/mckernel.conf
	CONF_SAVED=$TC_ROOT/etc/mckernel.conf.$1
	cp "$CONF" "$CONF_SAVED"
}
# Put the original configuration back once no job (epilogue) can be
# reading it, atomically: a reader never sees a half-written file.
add_conf() { # add_conf TEXT: append to the configuration, atomically
	{ cat "$CONF"; printf '%s\n' "$1"; } >"$CONF.tmp" && mv -f "$CONF.tmp" "$CONF"
}
restore_conf() {
	wait_no_jobs 60
	cp "$CONF_SAVED" "$CONF.tmp" && mv -f "$CONF.tmp" "$CONF"
}
