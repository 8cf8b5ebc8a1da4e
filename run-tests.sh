#!/bin/bash
# Quick start, step 2 (as root on Debian bookworm): install what is needed,
# build, and run the whole test suite: the unit tests (make check) and the
# integration tests on a real multi-node Slurm test cluster, make distcheck
# and a build of the Debian and RPM packages.
# Ends with one line "N passed, N failed".
set -uo pipefail
src=$(dirname "$(readlink -f "$0")")
build=${MCK_BUILD_DIR:-$src}
"$src/scripts/install-deps" || exit 1
"$src/scripts/build" "$build" || { echo "0 passed, 1 failed"; exit 1; }
build=$(readlink -f "$build")

log=$(mktemp)
echo "=== unit tests (make check)"
(cd "$build" && make -j"$(nproc)" check) 2>&1 | tee "$log" | grep -E '^(PASS|FAIL|XPASS|ERROR|SKIP|# )' || true
unit_pass=$(sed -n 's/^# PASS: *//p' "$log" | tail -n1)
unit_fail=$(sed -n 's/^# FAIL: *//p' "$log" | tail -n1)
unit_err=$(sed -n 's/^# ERROR: *//p' "$log" | tail -n1)
unit_skip=$(sed -n 's/^# SKIP: *//p' "$log" | tail -n1)
if [ -z "$unit_pass" ]; then
	echo "make check did not run (see below)"; tail -n 30 "$log"
	unit_pass=0 unit_fail=1 unit_err=0 unit_skip=0
fi
unit_fail=$((unit_fail + ${unit_err:-0}))
[ "${unit_fail}" -eq 0 ] || find "$build" -name '*.log' -newer "$log" -path '*test*' -exec grep -l '^not ok\|^FAIL' {} + 2>/dev/null | head -n 20 | while read -r f; do echo "--- $f"; tail -n 20 "$f"; done
rm -f "$log"

echo "=== make distcheck (release tarball builds and passes make check)"
dlog=$(mktemp)
if (cd "$build" && make distcheck) >"$dlog" 2>&1; then
	dist_pass=1 dist_fail=0
	grep -E 'archives ready|\.tar\.gz' "$dlog" | tail -n 2
else
	dist_pass=0 dist_fail=1
	tail -n 40 "$dlog"
fi
rm -f "$dlog"

echo "=== packages (Debian and RPM packages built from the tarball, installed, removed)"
plog=$(mktemp)
(cd "$build" && make check-packages CHECK_PACKAGES_FLAGS=--nocheck) 2>&1 | tee "$plog" | grep -E '^(ok|not ok|#)' || true
pkg_pass=$(grep -c '^ok ' "$plog")
pkg_fail=$(grep -c '^not ok ' "$plog")
[ "$pkg_pass" -gt 0 ] || { tail -n 30 "$plog"; pkg_fail=$((pkg_fail + 1)); }
rm -f "$plog"

echo "=== integration tests (test cluster)"
ilog=$(mktemp)
"$src/tests/run-integration" --build "$build" 2>&1 | tee "$ilog"
int_pass=$(sed -n 's/^integration: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$ilog" | tail -n1)
int_fail=$(sed -n 's/^integration: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$ilog" | tail -n1)
rm -f "$ilog"
[ -n "$int_pass" ] || { int_pass=0; int_fail=1; }

echo "unit tests: $unit_pass passed, $unit_fail failed, ${unit_skip:-0} skipped (test programs)"
echo "distcheck: $dist_pass passed, $dist_fail failed"
echo "packages: $pkg_pass passed, $pkg_fail failed (checks)"
echo "integration: $int_pass passed, $int_fail failed (assertions)"
passed=$((unit_pass + dist_pass + pkg_pass + int_pass))
failed=$((unit_fail + dist_fail + pkg_fail + int_fail))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
