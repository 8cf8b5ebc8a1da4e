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

hc > "$T/out"; t $? "clean node: exit 0"
test ! -e "$T/scontrol.args"; t $? "clean node: scontrol not run"

m boot --job 61 --uid 0 --gid 0 2>/dev/null; t $? "boot a job"
hc > "$T/out"; t $? "a job's RUNNING instance is a job at work: exit 0"
test ! -e "$T/scontrol.args"; t $? "... and nothing drained"

hold_device "$DEV/mcos0" 60
m teardown --job 61 2>/dev/null; test $? -ne 0; t $? "teardown fails while the device is held"
hc > "$T/out"; test $? -eq 1; t $? "dirty node: exit 1"
grep -q "held open by pid $holder" "$T/out"; t $? "the output names the holder"
sed -n 1p "$T/scontrol.args" | grep -qx update; t $? "scontrol update"
sed -n 2p "$T/scontrol.args" | grep -qx "NodeName=n7"; t $? "NodeName from SLURMD_NODENAME"
sed -n 3p "$T/scontrol.args" | grep -qx "State=DRAIN"; t $? "State=DRAIN"
reason=$(sed -n 4p "$T/scontrol.args")
echo "$reason" | grep -q "^Reason=mckernel: node not clean: os 0: .*held open by pid $holder"
t $? "the reason names what is left ($reason)"
test "$(wc -l < "$T/scontrol.args")" -eq 4; t $? "the reason is one argument of one line"
test "${#reason}" -le 262; t $? "the reason is at most 255 bytes (+ 'Reason=')"
rm -f "$T/scontrol.args"
hc --no-drain > /dev/null; test $? -eq 1 && test ! -e "$T/scontrol.args"; t $? "--no-drain only reports"
hc --node 'a b' > /dev/null 2>&1; test $? -eq 2; t $? "--node with a blank is refused"
FAKE_SCONTROL_RC=1 hc > /dev/null 2> "$T/err"; test $? -eq 2 && grep -q "failed" "$T/err"
t $? "a failing scontrol is reported (exit 2)"
kill "$holder"; wait "$holder" 2>/dev/null
m clean 2>/dev/null; t $? "clean once the holder is gone"
rm -f "$T/scontrol.args"
hc > /dev/null; t $? "clean again: exit 0"
test ! -e "$T/scontrol.args"; t $? "... no drain"

# a node without binutils' objdump: every rank's stderr would get mcexec's
# "RPATH not found" lines, so the node is drained with that reason
mkdir -p "$T/noobjdump"
ln -s "$T/bin/scontrol" "$T/noobjdump/scontrol"
PATH="$T/noobjdump" SLURMD_NODENAME=n7 "$HC" --config "$CONF" > "$T/out"; test $? -eq 1
t $? "no objdump on PATH: exit 1"
grep -q "^Reason=mckernel: node not clean: objdump: not found on PATH ($T/noobjdump).*RPATH not found: 22" "$T/scontrol.args"
t $? "... drained naming objdump and what mcexec prints without it ($(sed -n 4p "$T/scontrol.args"))"
finish
