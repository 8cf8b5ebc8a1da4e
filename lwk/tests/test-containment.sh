#!/bin/sh
# test-containment: a kernel that panics or hangs while a rank runs ends
# the rank with a one-line reason (mcexec double watching the instance),
# a later rank is refused naming the state, the teardown saves the kernel
# messages and leaves the node clean. Faults come from ihk-double-ctl.
. "$top_srcdir/lwk/tests/lib.sh"

CTL=$top_builddir/ihk/double/ihk-double-ctl
MCEXEC=$top_builddir/lwk/mcexec/mcexec
for f in "$CTL" "$MCEXEC"; do
	[ -x "$f" ] || { echo "# missing $f" >&2; exit 99; }
done
m() { "$MCKCTL" --config "$CONF" "$@"; }
export SLURM_MCKERNEL_CONF=$CONF

for what in panic hang; do
	m boot --job 50 --uid 0 --gid 0 2>/dev/null; t $? "$what: boot"
	SLURM_JOB_ID=50 "$MCEXEC" -- sleep 30 2> "$T/err" &
	pid=$!
	sleep 0.5
	"$CTL" inject 0 "$what"; t $? "$what: injected with ihk-double-ctl"
	"$CTL" status | grep -q "^os 0: $( [ $what = panic ] && echo PANIC || echo HUNGUP) gen"
	t $? "$what: ihk-double-ctl status shows it"
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	! kill -0 "$pid" 2>/dev/null; t $? "$what: the rank ended within 5 s"
	wait "$pid"; test $? -eq 1; t $? "$what: mcexec exits 1"
	grep -q "^mcexec: McKernel instance 0 went \(PANIC\|HUNGUP\) while sleep ran: rank ended" "$T/err" &&
		test "$(wc -l < "$T/err")" -eq 1
	t $? "$what: one-line reason on the rank's stderr ($(cat "$T/err"))"
	"$MCEXEC" -- true 2> "$T/err"; test $? -eq 1 && grep -q "is \(PANIC\|HUNGUP\)" "$T/err"
	t $? "$what: a later rank is refused naming the state"
	m teardown --job 50 2>/dev/null; t $? "$what: teardown"
	test -s "$STATE/kmsg/50.kmsg"; t $? "$what: kernel messages saved"
	m check; t $? "$what: node clean"
	rm -f "$STATE/kmsg/50.kmsg"
done

"$CTL" inject 0 panic 2>/dev/null; test $? -eq 1; t $? "inject without an instance fails"
"$CTL" inject x panic 2>/dev/null; test $? -eq 2; t $? "inject with a bad OS is a usage error"
finish
