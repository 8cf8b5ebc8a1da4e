#!/bin/sh
# test-healthcheck: mck-healthcheck reports a clean node (exit 0, no
# scontrol), and a dirty one with what is left, draining it through
# `scontrol update NodeName=N State=DRAIN Reason="mckernel: ..."` (lib.sh's
# fake scontrol records its arguments, one a line); the reason is one line,
# names the holder of the device, and is cut to 255 bytes; a node without
# objdump (mcexec would pollute every rank's output) is drained too.
. "$top_srcdir/lwk/tests/lib.sh"

HC=$top_builddir/lwk/mck-healthcheck
[ -x "$HC" ] || { echo "# missing $HC" >&2; exit 99; }
m() { "$MCKCTL" --config "$CONF" "$@"; }
export SLURM_MCKERNEL_CONF=$CONF
hc() { SLURMD_NODENAME=n7 "$HC" --config "$CONF" "$@"; }

hc > "$T/out"; ok $? "clean node: exit 0"
test ! -e "$T/scontrol.args"; ok $? "clean node: scontrol not run"

m boot --job 61 --uid 0 --gid 0 2>/dev/null; ok $? "boot a job"
hc > "$T/out"; ok $? "a job's RUNNING instance is a job at work: exit 0"
test ! -e "$T/scontrol.args"; ok $? "... and nothing drained"

sleep 60 9<>"$DEV/mcos0" &
holder=$!
m teardown --job 61 2>/dev/null; test $? -ne 0; ok $? "teardown fails while the device is held"
hc > "$T/out"; test $? -eq 1; ok $? "dirty node: exit 1"
grep -q "held open by pid $holder" "$T/out"; ok $? "the output names the holder"
sed -n 1p "$T/scontrol.args" | grep -qx update; ok $? "scontrol update"
sed -n 2p "$T/scontrol.args" | grep -qx "NodeName=n7"; ok $? "NodeName from SLURMD_NODENAME"
sed -n 3p "$T/scontrol.args" | grep -qx "State=DRAIN"; ok $? "State=DRAIN"
reason=$(sed -n 4p "$T/scontrol.args")
echo "$reason" | grep -q "^Reason=mckernel: node not clean: os 0: .*held open by pid $holder"
ok $? "the reason names what is left ($reason)"
test "$(wc -l < "$T/scontrol.args")" -eq 4; ok $? "the reason is one argument of one line"
test "${#reason}" -le 262; ok $? "the reason is at most 255 bytes (+ 'Reason=')"
rm -f "$T/scontrol.args"
hc --no-drain > /dev/null; test $? -eq 1 && test ! -e "$T/scontrol.args"; ok $? "--no-drain only reports"
hc --node 'a b' > /dev/null 2>&1; test $? -eq 2; ok $? "--node with a blank is refused"
FAKE_SCONTROL_RC=1 hc > /dev/null 2> "$T/err"; test $? -eq 2 && grep -q "failed" "$T/err"
ok $? "a failing scontrol is reported (exit 2)"
kill "$holder"; wait "$holder" 2>/dev/null
m clean 2>/dev/null; ok $? "clean once the holder is gone"
rm -f "$T/scontrol.args"
hc > /dev/null; ok $? "clean again: exit 0"
test ! -e "$T/scontrol.args"; ok $? "... no drain"

# a node without binutils' objdump: every rank's stderr would get mcexec's
# "RPATH not found" lines, so the node is drained with that reason
mkdir -p "$T/noobjdump"
ln -s "$T/bin/scontrol" "$T/noobjdump/scontrol"
PATH="$T/noobjdump" SLURMD_NODENAME=n7 "$HC" --config "$CONF" > "$T/out"; test $? -eq 1
ok $? "no objdump on PATH: exit 1"
grep -q "^Reason=mckernel: node not clean: objdump: not found on PATH ($T/noobjdump).*RPATH not found: 22" "$T/scontrol.args"
ok $? "... drained naming objdump and what mcexec prints without it ($(sed -n 4p "$T/scontrol.args"))"
finish
