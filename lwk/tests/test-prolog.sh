#!/bin/sh
# test-prolog: mck-prologue / mck-epilogue as slurmd runs them, against the
# IHK double (configuration found beside $SLURM_CONF, as on a node).
. "$top_srcdir/lwk/tests/lib.sh"

for f in "$PROLOGUE" "$EPILOGUE"; do
	[ -x "$f" ] || { echo "# missing $f" >&2; exit 99; }
done
m() { "$MCKCTL" --config "$CONF" "$@"; }

# What slurmd 22.05 gives a Prolog/Epilog (the subset we read).
export SLURM_CONF=$T/slurm.conf SLURM_JOB_ID=42 SLURM_JOB_UID=1001 SLURM_JOB_GID=1001
export SLURM_JOB_PARTITION=lwk
unset SPANK__SLURM_SPANK_OPTION_mckernel_mckernel

"$PROLOGUE" > "$T/out" 2>&1; ok $? "no --mckernel: prologue exits 0"
test ! -s "$T/out" && test ! -e "$STATE"; ok $? "no --mckernel: prologue did nothing"
"$EPILOGUE" > "$T/out" 2>&1; ok $? "no --mckernel: epilogue exits 0"
test ! -e "$STATE"; ok $? "no --mckernel: epilogue did nothing"

export SPANK__SLURM_SPANK_OPTION_mckernel_mckernel=
"$PROLOGUE" > "$T/out" 2>&1; ok $? "--mckernel (empty value): prologue boots"
m status > "$T/st"; grep -q "^os 0: RUNNING, owner uid 1001" "$T/st"; ok $? "instance RUNNING for uid 1001"
grep -q "partition=lwk" "$STATE/jobs/42.job"; ok $? "record keeps the partition"
grep -q "mck-prologue: job 42: boot ok" "$STATE/log/prolog.log"; ok $? "prolog.log has the boot"
"$EPILOGUE" > "$T/out" 2>&1; ok $? "epilogue tears down"
m check; ok $? "node clean after the epilogue"

# strict environment
SLURM_JOB_ID=4x2 "$PROLOGUE" > "$T/out" 2>&1; test $? -eq 1; ok $? "bad SLURM_JOB_ID fails"
test "$(wc -l < "$T/out")" -eq 1 && grep -q "SLURM_JOB_ID='4x2'" "$T/out"; ok $? "one-line reason"
(unset SLURM_JOB_UID; "$PROLOGUE" > "$T/out" 2>&1); test $? -eq 1; ok $? "missing SLURM_JOB_UID fails"
SLURM_JOB_PARTITION='a;b' "$PROLOGUE" > "$T/out" 2>&1; test $? -eq 1; ok $? "bad partition fails"
m check; ok $? "nothing booted by refused prologues"

# a boot failure: non-zero, one line naming the call, in prolog.log too
IHK_DOUBLE_FAULT=ihk_os_boot:EINVAL:always "$PROLOGUE" > "$T/out" 2>&1; test $? -eq 1
ok $? "failing boot fails the prologue"
test "$(wc -l < "$T/out")" -eq 1 && grep -q "^mck-prologue: job 42: mckctl: boot failed at ihk_os_boot: Invalid argument (-22)$" "$T/out"
ok $? "one-line reason names the call ($(cat "$T/out"))"
grep -q "boot failed at ihk_os_boot" "$STATE/log/prolog.log"; ok $? "reason in prolog.log"
"$EPILOGUE" > "$T/out" 2>&1; ok $? "epilogue after a failed prologue"
m check; ok $? "node clean"

# a process holds the device: the epilogue fails naming it, then recovers
"$PROLOGUE" > "$T/out" 2>&1; ok $? "boot again"
sleep 30 9<> "$DEV/mcos0" &
holder=$!
sleep 0.2
"$EPILOGUE" > "$T/out" 2>&1; test $? -eq 1; ok $? "epilogue fails while the device is held"
grep -q "held open by pid .*$holder" "$T/out"; ok $? "reason names the holder ($(cat "$T/out"))"
m check > /dev/null; test $? -eq 1; ok $? "check reports the node not clean"
m check --health > "$T/out"; test $? -eq 1 && grep -q "^os 0: INACTIVE" "$T/out"
ok $? "check --health reports the stuck instance"
kill "$holder"; wait "$holder" 2>/dev/null
"$EPILOGUE" > "$T/out" 2>&1; ok $? "epilogue succeeds once the holder is gone"
m check; ok $? "node clean"

finish
