# tap.sh: the one TAP harness of every shell test (make check, the
# integration tests, the test cluster's and the packages' own checks).
# Sourced, not run; POSIX sh. Each assertion prints one TAP line:
#
#   t STATUS DESCRIPTION      passes when STATUS (an exit status) is 0:
#                             cmd; t $? "cmd works"
#   ok DESCRIPTION CMD...     passes when CMD succeeds
#   is GOT WANT DESCRIPTION   passes when the two strings are equal; prints
#                             both as a TAP comment when they differ
#   skip DESCRIPTION REASON   an assertion that cannot run here (a TAP
#                             skip: never counted as passed by the runners)
#   skip_all REASON           the whole script cannot run here: plan 1..0
#   tap_plan                  prints the plan; returns 1 when anything failed
#   tap_done [WHAT]           tap_plan, then exit: 1 keeping $T (a test's
#                             scratch directory, WHAT it holds) when anything
#                             failed, else 0 after removing $T
T_N=0
T_FAILED=0

t() {
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ] 2>/dev/null; then
		echo "ok $T_N - $2"
	else
		T_FAILED=$((T_FAILED + 1))
		echo "not ok $T_N - $2"
	fi
}

ok() {
	_tap_desc=$1
	shift
	if "$@"; then
		t 0 "$_tap_desc"
	else
		t 1 "$_tap_desc"
	fi
}

is() {
	if [ "$1" = "$2" ]; then
		t 0 "$3"
	else
		t 1 "$3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
	fi
}

skip() {
	T_N=$((T_N + 1))
	echo "ok $T_N - $1 # SKIP $2"
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

tap_plan() {
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
}

tap_done() {
	if tap_plan; then
		[ -z "${T:-}" ] || rm -rf "$T"
		exit 0
	fi
	echo "# $T_FAILED of $T_N failed${T:+; ${1:-files} kept in $T}"
	exit 1
}
