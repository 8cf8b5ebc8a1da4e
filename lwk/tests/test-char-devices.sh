#!/bin/sh
# test-char-devices: the lifecycle's shell tests once more with the IHK
# double's devices made as character devices (mknod, as real IHK's
# /dev/mcd0 and /dev/mcosN are), so that every check and change of a
# device (owner, mode, holders, teardown) is proven on both kinds of file.
# One TAP line per script; a failing script's own lines follow as comments.
. "$top_srcdir/tests/tap.sh"

[ "$(id -u)" = 0 ] || skip_all "making character devices (mknod) needs root"
out=$(mktemp)
for s in test-prolog.sh test-containment.sh test-mckctl.sh test-healthcheck.sh test-report.sh; do
	MCK_TEST_DEVICE_FILES=char sh "$top_srcdir/lwk/tests/$s" > "$out" 2>&1
	rc=$?
	n=$(grep -c '^ok ' "$out")
	bad=$(grep -c '^not ok ' "$out")
	test "$rc" -eq 0 -a "$bad" -eq 0 -a "$n" -gt 0
	t $? "$s with character devices: $n passed, $bad failed"
	[ "$rc" -eq 0 -a "$bad" -eq 0 ] || sed 's/^/# /' "$out"
done
rm -f "$out"
tap_done
