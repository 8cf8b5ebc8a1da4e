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

# Wait until the cluster has no job left (squeue empty), up to N seconds.
wait_no_jobs() {
	local limit=${1:-60} t=0
	while [ -n "$(as_user squeue -h -o %i 2>/dev/null)" ]; do
		t=$((t + 1))
		[ $t -lt "$limit" ] || return 1
		sleep 1
	done
}
