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
NCPU=$(getconf _NPROCESSORS_CONF)
export SLURM_JOB_CPUS_PER_NODE="$NCPU(x2)"
unset SPANK__SLURM_SPANK_OPTION_mckernel_mckernel

"$PROLOGUE" > "$T/out" 2>&1; t $? "no --mckernel: prologue exits 0"
test ! -s "$T/out" && test ! -e "$STATE"; t $? "no --mckernel: prologue did nothing"
"$EPILOGUE" > "$T/out" 2>&1; t $? "no --mckernel: epilogue exits 0"
test ! -e "$STATE"; t $? "no --mckernel: epilogue did nothing"

export SPANK__SLURM_SPANK_OPTION_mckernel_mckernel=
"$PROLOGUE" > "$T/out" 2>&1; t $? "--mckernel (empty value): prologue boots"
m status > "$T/st"; grep -q "^os 0: RUNNING, owner uid 1001" "$T/st"; t $? "instance RUNNING for uid 1001"
grep -q "partition=lwk" "$STATE/jobs/42.job"; t $? "record keeps the partition"
grep -q "mck-prologue: job 42: boot ok" "$STATE/log/prolog.log"; t $? "prolog.log has the boot"
"$EPILOGUE" > "$T/out" 2>&1; t $? "epilogue tears down"
m check; t $? "node clean after the epilogue"

# strict environment
SLURM_JOB_ID=4x2 "$PROLOGUE" > "$T/out" 2>&1; test $? -eq 1; t $? "bad SLURM_JOB_ID fails"
test "$(wc -l < "$T/out")" -eq 1 && grep -q "SLURM_JOB_ID='4x2'" "$T/out"; t $? "one-line reason"
(unset SLURM_JOB_UID; "$PROLOGUE" > "$T/out" 2>&1); test $? -eq 1; t $? "missing SLURM_JOB_UID fails"
SLURM_JOB_PARTITION='a;b' "$PROLOGUE" > "$T/out" 2>&1; test $? -eq 1; t $? "bad partition fails"
m check; t $? "nothing booted by refused prologues"

# a boot failure unwound to a clean node: the prologue succeeds (no drain),
# the job record keeps the one-line reason for the job's steps
IHK_DOUBLE_FAULT=ihk_create_os:EINVAL:always "$PROLOGUE" > "$T/out" 2>&1
t $? "failing boot, node clean: prologue exits 0 (node not drained)"
grep -q "^reason=boot failed at ihk_create_os: Invalid argument (-22)" "$STATE/jobs/42.job" &&
	grep -q "^state=boot-failed$" "$STATE/jobs/42.job"
t $? "the job record names the failed call"
grep -q "mck-prologue: job 42: boot failed at ihk_create_os.*node clean" "$STATE/log/prolog.log"
t $? "reason in prolog.log"
"$EPILOGUE" > "$T/out" 2>&1; t $? "epilogue after a failed boot"
m check; t $? "node clean"

# a boot failure whose unwind cannot release: the prologue fails (drain),
# one line naming the call and what is stuck
IHK_DOUBLE_FAULT="ihk_create_os:EINVAL:always;ihk_release_cpu:EIO:always" "$PROLOGUE" > "$T/out" 2>&1
test $? -eq 1; t $? "failing boot, node not clean: prologue fails"
test "$(wc -l < "$T/out")" -eq 1 && grep -q "^mck-prologue: job 42: boot failed at ihk_create_os: .*node not clean: reserved cpus" "$T/out"
t $? "one line naming the call and the stuck CPUs ($(cat "$T/out"))"
"$EPILOGUE" > "$T/out" 2>&1; t $? "epilogue cleans once release works"
m check; t $? "node clean"

# a failure between create and boot: the prologue fails and drains the node
# with the reason that it needs a reboot; the epilogue leaves the instance
rm -f "$T/scontrol.args"
IHK_DOUBLE_FAULT=ihk_os_kargs:EINVAL:always SLURMD_NODENAME=n7 "$PROLOGUE" > "$T/out" 2>&1
test $? -eq 1 && grep -q "^mck-prologue: job 42: boot failed at ihk_os_kargs: .*reboot the node" "$T/out"
t $? "stranded: prologue fails with the reboot reason ($(cat "$T/out"))"
grep -q "^Reason=mckernel: boot failed at ihk_os_kargs: .*reboot the node" "$T/scontrol.args"
t $? "stranded: the node is drained with that reason"
rm -f "$T/scontrol.args"
SLURMD_NODENAME=n7 "$EPILOGUE" > "$T/out" 2>&1
test $? -eq 1 && grep -q "reboot the node" "$T/out" && grep -q "^Reason=mckernel: .*reboot the node" "$T/scontrol.args"
t $? "stranded: the epilogue fails and drains too, without touching it"
test -z "$(strict_kills)"; t $? "stranded: never queried nor destroyed ($(strict_kills))"
reboot_node	# the node's reboot
"$EPILOGUE" > "$T/out" 2>&1 && m check; t $? "stranded: after the reboot the epilogue cleans"

# a configuration that does not load: both drain naming FILE:LINE
cp "$CONF" "$T/good.conf"
echo "boot_timeout = soon" >> "$CONF"
line=$(wc -l < "$CONF")
for prog in "$PROLOGUE" "$EPILOGUE"; do
	rm -f "$T/scontrol.args"
	SLURMD_NODENAME=n7 "$prog" > "$T/out" 2>&1; rc=$?
	test $rc -eq 1 && grep -q "^Reason=mckernel: $CONF:$line: boot_timeout" "$T/scontrol.args"
	t $? "$(basename "$prog"): a broken mckernel.conf drains with FILE:LINE ($(sed -n 4p "$T/scontrol.args"))"
done
cp "$T/good.conf" "$CONF"

# a job that does not hold whole nodes is refused without draining the node
SLURM_JOB_CPUS_PER_NODE="$NCPU,1" "$PROLOGUE" > "$T/out" 2>&1
t $? "partial node: prologue exits 0 (the node is fine)"
grep -q "^state=refused$" "$STATE/jobs/42.job" &&
	grep -q "^reason=McKernel jobs need whole nodes, this job holds 1 of the $NCPU CPUs" "$STATE/jobs/42.job"
t $? "partial node: the record says why"
m status | grep -q "^instances: none"; t $? "partial node: nothing booted"
"$EPILOGUE" > "$T/out" 2>&1 && m check; t $? "partial node: epilogue leaves the node clean"

# a process holds the device: the epilogue fails naming it, then recovers
"$PROLOGUE" > "$T/out" 2>&1; t $? "boot again"
hold_device "$DEV/mcos0" 30
"$EPILOGUE" > "$T/out" 2>&1; test $? -eq 1; t $? "epilogue fails while the device is held"
grep -q "held open by pid .*$holder" "$T/out"; t $? "reason names the holder ($(cat "$T/out"))"
m check > /dev/null; test $? -eq 1; t $? "check reports the node not clean"
m check --health > "$T/out"; test $? -eq 1 && grep -q "^os 0: RUNNING, owner uid 0, .*held open by pid $holder" "$T/out"
t $? "check --health reports the stuck instance (never shut down on its own)"
kill "$holder"; wait "$holder" 2>/dev/null
"$EPILOGUE" > "$T/out" 2>&1; t $? "epilogue succeeds once the holder is gone"
m check; t $? "node clean"

# reservation = keep: kept after a --mckernel job, given back by the
# prologue of a job without --mckernel
printf '[partition lwk]\nreservation = keep\n' >> "$CONF"
"$PROLOGUE" > "$T/out" 2>&1 && "$EPILOGUE" > "$T/out" 2>&1; t $? "keep: a --mckernel job"
test -f "$STATE/kept"; t $? "keep: the reservation is kept"
m check; t $? "keep: the node counts as clean"
"$PROLOGUE" > "$T/out" 2>&1; t $? "keep: the next --mckernel job"
grep -q "job 42: ihk_reserve_mem(.*) not called: kept reservation" "$STATE/log/lifecycle.log"
t $? "keep: it did not reserve again"
"$EPILOGUE" > "$T/out" 2>&1; t $? "keep: its epilogue"
(unset SPANK__SLURM_SPANK_OPTION_mckernel_mckernel; SLURM_JOB_ID=43 "$PROLOGUE" > "$T/out" 2>&1)
t $? "keep: a job without --mckernel starts"
test ! -e "$STATE/kept" && m check; t $? "keep: its prologue gave the reservation back"
grep -q "kept reservation .* back to Linux: job 43 without --mckernel is starting" "$STATE/log/lifecycle.log"
t $? "keep: the lifecycle log says why"
(unset SPANK__SLURM_SPANK_OPTION_mckernel_mckernel; SLURM_JOB_ID=44 "$PROLOGUE" > "$T/out" 2>&1) &&
	test ! -s "$T/out"
t $? "keep: with nothing kept, a job without --mckernel starts at once, silently"
test -z "$(strict_kills)"; t $? "no caller killed by the strict double"

finish
