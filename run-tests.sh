#!/bin/bash
# Quick start, step 2 (as root on Debian bookworm): install what is needed,
# build, and run the whole test suite:
#   - on this machine (Slurm 22.05): the unit tests (make check), make
#     distcheck, a build of the Debian and RPM packages, the namespace test
#     cluster on a firewall that drops forwarded traffic (as Docker leaves
#     it), and the integration tests on the namespace test cluster;
#   - in Docker (started when it is not running): the compose test cluster
#     on bookworm (Slurm 22.05, a quick check), and on trixie (Slurm 24.11)
#     the unit tests, the Debian package check and the integration tests.
# When the Docker engine cannot run, the Docker parts are reported as
# skipped with the reason (MCK_SKIP_DOCKER=1 skips them on purpose).
# Ends with one line "N passed, N failed"; the line before it counts what
# was skipped.
set -uo pipefail
src=$(dirname "$(readlink -f "$0")")
build=${MCK_BUILD_DIR:-$src}
"$src/scripts/install-deps" --docker || { echo "0 passed, 1 failed"; exit 1; }
"$src/scripts/build" "$build" || { echo "0 passed, 1 failed"; exit 1; }
build=$(readlink -f "$build")

passed=0 failed=0 skipped=0 summary=() skips=()
# record PART PASSED FAILED [SKIPPED]: one part's counts, for the summary.
record() {
	passed=$((passed + $2))
	failed=$((failed + $3))
	skipped=$((skipped + ${4:-0}))
	summary+=("$(printf '%-44s %s passed, %s failed, %s skipped' "$1:" "$2" "$3" "${4:-0}")")
}
skip_part() { # skip_part PART REASON
	skips+=("$1: $2")
	record "$1" 0 0 1
}
elapsed() { echo "($(( $(date +%s) - $1 )) s)"; }

# make_check PART LOG: the automake test summary in LOG.
make_check() {
	local p f e s
	p=$(sed -n 's/^# PASS: *//p' "$2" | tail -n1)
	f=$(sed -n 's/^# FAIL: *//p' "$2" | tail -n1)
	e=$(sed -n 's/^# ERROR: *//p' "$2" | tail -n1)
	s=$(sed -n 's/^# SKIP: *//p' "$2" | tail -n1)
	if [ -z "$p" ]; then
		echo "make check did not run (see below)"; tail -n 30 "$2"
		record "$1" 0 1
		return
	fi
	record "$1" "$p" $((f + ${e:-0})) "${s:-0}"
}
# tap PART LOG: TAP lines in LOG ("ok ... # SKIP" counts as skipped).
tap() {
	local s p f
	s=$(grep -c '^ok .* # SKIP' "$2")
	p=$(( $(grep -c '^ok ' "$2") - s ))
	f=$(grep -c '^not ok ' "$2")
	[ $((p + f + s)) -gt 0 ] || { tail -n 30 "$2"; f=1; }
	record "$1" "$p" "$f" "$s"
}
# integration PART LOG: the last "integration: N passed, N failed, N skipped".
integration() {
	local line
	line=$(grep -E '^integration: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$2" | tail -n1)
	if [ -z "$line" ]; then
		record "$1" 0 1
		return
	fi
	# What was skipped, with the reason, for the summary.
	while IFS= read -r skip; do
		skips+=("$1: $skip")
	done < <(sed -n 's/^ok [0-9]* - \(.*\) # SKIP \(.*\)/\1: \2/p; s/^=== \(.*\): skipped on [^:]*: \(.*\)/\1: \2/p' "$2")
	set -- "$1" $(echo "$line" | tr -dc '0-9 ')
	record "$1" "$2" "$3" "$4"
}

log=$(mktemp)
t=$(date +%s)
echo "=== unit tests (make check)"
(cd "$build" && make -j"$(nproc)" check) 2>&1 | tee "$log" | grep -E '^(PASS|FAIL|XPASS|ERROR|SKIP|# )' || true
make_check "unit tests (bookworm, Slurm 22.05)" "$log"
grep -q '^# FAIL: *0$' "$log" && grep -q '^# ERROR: *0$' "$log" ||
	find "$build" -name '*.log' -newer "$log" -path '*test*' -exec grep -l '^not ok\|^FAIL' {} + 2>/dev/null | head -n 20 |
	while read -r f; do echo "--- $f"; tail -n 20 "$f"; done
echo "=== unit tests $(elapsed "$t")"

echo "=== make distcheck (release tarball builds and passes make check)"
t=$(date +%s)
if (cd "$build" && make distcheck) >"$log" 2>&1; then
	record "distcheck" 1 0
	grep -E 'archives ready|\.tar\.gz' "$log" | tail -n 2
else
	record "distcheck" 0 1
	tail -n 40 "$log"
fi
echo "=== make distcheck $(elapsed "$t")"

echo "=== packages (Debian and RPM packages built from the tarball, installed, removed)"
t=$(date +%s)
(cd "$build" && make check-packages CHECK_PACKAGES_FLAGS=--nocheck) 2>&1 | tee "$log" | grep -E '^(ok|not ok|#)' || true
tap "packages (bookworm)" "$log"
echo "=== packages $(elapsed "$t")"

# Docker first: the namespace cluster must also work beside it (its
# firewall drops forwarded traffic).
docker_why=
if [ -n "${MCK_SKIP_DOCKER:-}" ]; then
	docker_why="MCK_SKIP_DOCKER is set"
elif ! "$src/scripts/start-dockerd" 2>"$log"; then
	docker_why=$(sed -n 's/^start-dockerd: //p' "$log" | tail -n1)
fi
cat "$log"

echo "=== namespace cluster on a firewall that drops forwarded traffic"
t=$(date +%s)
"$src/test-cluster/tests/firewall.sh" --build "$build" 2>&1 | tee "$log"
tap "namespace cluster, FORWARD DROP" "$log"
echo "=== firewall $(elapsed "$t")"

echo "=== integration tests (namespace test cluster, Slurm 22.05)"
t=$(date +%s)
"$src/tests/run-integration" --build "$build" 2>&1 | tee "$log"
integration "integration (namespace, Slurm 22.05)" "$log"
echo "=== integration tests (namespace) $(elapsed "$t")"

trixie_image=slurm-mckernel-test-cluster:trixie
# SYS_NICE and SYS_PTRACE as the compose nodes have them (docker-compose.yml):
# the lifecycle's tests end the job user's holders found in /proc/PID/fd.
in_trixie() { docker run --rm --cap-add SYS_NICE --cap-add SYS_PTRACE --entrypoint bash "$trixie_image" -c "$1"; }
if [ -n "$docker_why" ]; then
	for part in "compose quick check (bookworm, Slurm 22.05)" "unit tests (trixie, Slurm 24.11)" \
		"packages (trixie)" "integration (compose, trixie, Slurm 24.11)"; do
		skip_part "$part" "the Docker engine cannot run here: $docker_why"
	done
else
	echo "=== compose test cluster, bookworm (Slurm 22.05): quick check"
	t=$(date +%s)
	"$src/tests/run-integration" --cluster compose --release bookworm \
		0010-mpi-mckernel 0015-task-path 0020-sbatch-two-steps 2>&1 | tee "$log"
	integration "compose quick check (bookworm, Slurm 22.05)" "$log"
	echo "=== compose bookworm $(elapsed "$t")"

	echo "=== trixie (Slurm 24.11) images"
	t=$(date +%s)
	if "$src/test-cluster/compose" build --release trixie; then
		echo "=== trixie images $(elapsed "$t")"
		echo "=== unit tests in the trixie image (make check)"
		t=$(date +%s)
		in_trixie 'make -C /opt/slurm-mckernel/build -j"$(nproc)" check 2>&1' | tee "$log" |
			grep -E '^(PASS|FAIL|XPASS|ERROR|SKIP|# )' || true
		make_check "unit tests (trixie, Slurm 24.11)" "$log"
		echo "=== unit tests (trixie) $(elapsed "$t")"
		echo "=== packages in the trixie image (make check-packages)"
		t=$(date +%s)
		in_trixie 'make -C /opt/slurm-mckernel/build check-packages CHECK_PACKAGES_FLAGS="--nocheck --system-install" 2>&1' |
			tee "$log" | grep -E '^(ok|not ok|#)' || true
		tap "packages (trixie)" "$log"
		echo "=== packages (trixie) $(elapsed "$t")"
	else
		record "trixie images (unit tests, packages)" 0 1
	fi
	echo "=== integration tests (compose test cluster, trixie, Slurm 24.11)"
	t=$(date +%s)
	"$src/tests/run-integration" --cluster compose --release trixie 2>&1 | tee "$log"
	integration "integration (compose, trixie, Slurm 24.11)" "$log"
	echo "=== integration tests (trixie) $(elapsed "$t")"
fi
rm -f "$log"

printf '%s\n' "${summary[@]}"
[ ${#skips[@]} -eq 0 ] || printf 'skipped: %s\n' "${skips[@]}"
echo "skipped: $skipped (not counted as passed)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
