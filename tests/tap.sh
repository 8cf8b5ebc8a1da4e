# tap.sh: the TAP harness of the shell tests that make check runs.
# Sourced, not run; the test keeps its files in $T.

n=0
failed=0
ok() {	# ok CONDITION-EXIT-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
	fi
}
# The plan; exit 1 keeping $T when anything failed, else remove $T, exit 0.
tap_done() {	# tap_done [WHAT $T HOLDS, default files]
	echo "1..$n"
	if [ "$failed" -ne 0 ]; then
		echo "# $failed of $n failed; ${1:-files} kept in $T"
		exit 1
	fi
	rm -rf "$T"
	exit 0
}
