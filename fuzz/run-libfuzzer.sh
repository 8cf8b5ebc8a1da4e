#!/bin/sh
# run-libfuzzer.sh: a short libFuzzer session per target (make check with
# --enable-fuzzing). FUZZ_SECONDS per target, default 10. Seeds are copied
# so that the committed corpus is never modified; a finding fails the test
# and leaves its reproducer (crash-*, leak-*) in the current directory.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=.}"
seconds=${FUZZ_SECONDS:-10}
work=$(mktemp -d "${TMPDIR:-/tmp}/mck-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
status=0
for target in options config; do
	mkdir -p "$work/$target"
	cp "$top_srcdir/fuzz/corpus/$target/"* "$work/$target/"
	echo "# fuzz-$target: ${seconds}s"
	if ! "$top_builddir/fuzz/fuzz-$target" -max_total_time="$seconds" -timeout=10 \
		-rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
		-dict="$top_srcdir/fuzz/$target.dict" "$work/$target" 2>"$work/$target.log"; then
		tail -n 40 "$work/$target.log"
		echo "not ok - fuzz-$target found a problem (reproducer in $(pwd))"
		status=1
	else
		grep -E '^stat::number_of_executed_units' "$work/$target.log" || true
		echo "ok - fuzz-$target"
	fi
done
exit $status
