# lib.sh: helpers for integration tests on the test cluster.
# Sourced by tests/integration/NNNN-*.sh, which the runner starts with
#   TOP_SRC   the source tree      BUILD   the build tree
#   CLUSTER   test-cluster/cluster (already up)
# Each assertion prints a TAP line; the script exits 1 if any failed.

set -u
T_N=0
T_FAILED=0

# shellcheck disable=SC1090
eval "$("$CLUSTER" env)"

ok() { # ok DESCRIPTION CMD...: passes when CMD succeeds
	local desc=$1
	shift
	T_N=$((T_N + 1))
	if "$@"; then
		echo "ok $T_N - $desc"
	else
		T_FAILED=$((T_FAILED + 1))
		echo "not ok $T_N - $desc"
	fi
}

is() { # is GOT WANT DESCRIPTION
	T_N=$((T_N + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $T_N - $3"
	else
		T_FAILED=$((T_FAILED + 1))
		echo "not ok $T_N - $3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
	fi
}

diag() { printf '# %s\n' "$@"; }

done_testing() {
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
	exit $?
}

# Run as the test user on the head, in the shared directory.
as_user() { "$CLUSTER" run "$@"; }
# Run as root inside a node.
on_node() { "$CLUSTER" node "$@"; }

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
	local r pid
	for r in $(recs_of "$1" "$2"); do
		for pid in $(sed -n 's/^pid=//p; s/^child=//p' "$r"); do
			kill -0 "$pid" 2>/dev/null && return 0
		done
	done
	return 1
}
ended_on() { # ended_on NODE JOB: every rank record of JOB on NODE has its end
	local r
	for r in $(recs_of "$1" "$2"); do grep -q '^end=' "$r" || return 1; done
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
