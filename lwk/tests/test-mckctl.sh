#!/bin/sh
# test-mckctl: the mckctl command line against the IHK double.
. "$top_srcdir/lwk/tests/lib.sh"

m() { "$MCKCTL" --config "$CONF" "$@"; }

"$MCKCTL" --help | grep -q "teardown --job ID"; t $? "--help lists the commands"
m check > "$T/out"; t $? "check: a fresh node is clean"
test ! -s "$T/out"; t $? "check: nothing printed when clean"

m plan --format mcreboot > "$T/out"; t $? "plan --format mcreboot"
grep -q -- '-c .* -m .* -r ' "$T/out"; t $? "plan prints -c CPUS -m MEM -r IKC ($(cat "$T/out"))"
m plan --format ihk-env | grep -q '^IHK_CPUS='; t $? "plan --format ihk-env"
m plan --format json | grep -q '{'; t $? "plan --format json"
m plan --explain | grep -q '^# cpus: .*stay.* with Linux'; t $? "plan --explain gives every decision's reason"
m plan --format json --explain | grep -q '"explain": \['; t $? "plan --format json --explain"
m plan --format xml 2> "$T/err"; test $? -eq 1 && grep -q "^mckctl: plan: --format 'xml'" "$T/err"
t $? "plan rejects an unknown format"

# strict arguments
m boot --job 12x --uid 1 --gid 1 2> "$T/err"; test $? -eq 1 && grep -q "^mckctl: --job '12x'" "$T/err"
t $? "boot rejects a bad job id"
m boot --job 12 --uid 1 2> "$T/err"; test $? -eq 1 && grep -q "required" "$T/err"
t $? "boot needs --gid"
m teardown 2> "$T/err"; test $? -eq 1; t $? "teardown needs --job"
m frobnicate 2> "$T/err"; test $? -eq 1 && grep -q "unknown command 'frobnicate'" "$T/err"
t $? "unknown command"
"$MCKCTL" --partition 'a b' check 2> "$T/err"; test $? -eq 1; t $? "bad partition name rejected"
"$MCKCTL" --config relative.conf check 2> "$T/err"; test $? -eq 1; t $? "relative --config rejected"
test "$(wc -l < "$T/err")" -eq 1; t $? "errors are one line"

# config --check
m config --check > "$T/out" 2>&1; t $? "config --check of a good file"
grep -q "^state_dir = $STATE" "$T/out"; t $? "config --check prints the settings"
printf 'kargs = nohidos\n' > "$T/bad.conf"
"$MCKCTL" config --check "$T/bad.conf" 2> "$T/err"; test $? -eq 1 && grep -q "hidos" "$T/err"
t $? "config --check rejects kargs without hidos"

# boot / status / check / teardown
m boot --job 42 --uid 1001 --gid 1001 2> "$T/err"; t $? "boot job 42"
grep -q "job 42: ihk_reserve_cpu(.*) ok [0-9.]* ms" "$T/err"; t $? "boot logs timed steps on stderr"
m status > "$T/out"; t $? "status"
grep -q "^os 0: RUNNING, owner uid 1001" "$T/out"; t $? "status: os 0 RUNNING owned by 1001"
test "$(stat -c %u:%a "$DEV/mcos0")" = "1001:600"; t $? "device given to the user"
m check > "$T/out"; test $? -eq 1; t $? "check exits 1 while an instance runs"
grep -q "^os 0: RUNNING, owner uid 1001, job 42$" "$T/out"; t $? "check names the instance ($(head -c 300 "$T/out"))"
grep -q "^job record: 42$" "$T/out"; t $? "check names the record"
m check --health > "$T/out"; t $? "check --health: a job's RUNNING instance is healthy"
test ! -s "$T/out"; t $? "check --health prints nothing then"
m --quiet teardown --job 42 2> "$T/err"; t $? "teardown job 42"
test ! -s "$T/err"; t $? "--quiet: nothing on stderr"
grep -q "job 42: teardown ok" "$STATE/log/lifecycle.log"; t $? "lifecycle.log still has the steps"
m check; t $? "check: clean after teardown"
m teardown --job 42 2>/dev/null; t $? "teardown twice"

# missing image: fails at the image check; nothing stays reserved, the job
# record keeps the reason for the job's steps (exit 3) until the teardown
sed "s|^image = .*|image = $T/missing.img|" "$CONF" > "$T/noimg.conf"
"$MCKCTL" --config "$T/noimg.conf" boot --job 43 --uid 1001 --gid 1001 2> "$T/err"
test $? -eq 3 && tail -n 1 "$T/err" | grep -q "^mckctl: boot failed at image check: $T/missing.img: No such file"
t $? "missing image: exit 3, one-line error at the image check"
m check > "$T/left"; test $? -eq 1 && test "$(cat "$T/left")" = "job record: 43"
t $? "missing image: only the job record is left ($(cat "$T/left"))"
grep -q "^state=boot-failed$" "$STATE/jobs/43.job" && grep -q "^reason=boot failed at image check" "$STATE/jobs/43.job"
t $? "missing image: the record says why"
m status | grep -q "^job 43: state boot-failed, .*reason: boot failed at image check"
t $? "missing image: status shows the reason"
m check --health > /dev/null; t $? "missing image: health check accepts the job's record"
m teardown --job 43 2>/dev/null && m check; t $? "missing image: teardown leaves the node clean"

# a boot failure injected by the double before the create: unwound, exit 3
IHK_DOUBLE_FAULT=ihk_create_os:EINVAL:always m boot --job 44 --uid 1001 --gid 1001 2> "$T/err"
test $? -eq 3 && tail -n 1 "$T/err" | grep -q "^mckctl: boot failed at ihk_create_os: Invalid argument (-22)"
t $? "boot failure names the call"
m teardown --job 44 2>/dev/null && m check; t $? "boot failure: node clean after the teardown"

# the unwind cannot release: exit 1, the error names what is stuck
IHK_DOUBLE_FAULT="ihk_create_os:EINVAL:always;ihk_release_mem:EIO:always" m boot --job 46 --uid 1001 --gid 1001 2> "$T/err"
test $? -eq 1 && tail -n 1 "$T/err" | grep -q "node not clean: reserved memory"
t $? "unclean unwind: exit 1 naming the stuck memory ($(tail -n 1 "$T/err"))"
m teardown --job 46 2>/dev/null && m check; t $? "unclean unwind: teardown cleans once release works"

# a failure between create and boot: the instance is left (querying or
# destroying it crashes real IHK), exit 1 with the reboot reason
IHK_DOUBLE_FAULT=ihk_os_load:EINVAL:always m boot --job 47 --uid 1001 --gid 1001 2> "$T/err"
test $? -eq 1 && tail -n 1 "$T/err" | grep -q "^mckctl: boot failed at ihk_os_load: Invalid argument (-22); instance 0 was created and its boot is not known to have started: .*reboot the node"
t $? "stranded: exit 1, the reason says reboot ($(tail -n 1 "$T/err"))"
grep -q "^state=stranded$" "$STATE/jobs/47.job" && grep -q "^failed_at=ihk_os_load$" "$STATE/jobs/47.job"
t $? "stranded: the record names the state and the step"
m check > "$T/out"; test $? -eq 1 && grep -q "^os 0: not queried: job 47's record says stranded at ihk_os_load" "$T/out"
t $? "stranded: check reports it without querying it"
m teardown --job 47 2> "$T/err"; test $? -eq 1 && grep -q "reboot the node" "$T/err"
t $? "stranded: teardown refuses to touch it"
m clean 2>/dev/null; test $? -eq 1; t $? "stranded: clean refuses too"
test -z "$(strict_kills)"; t $? "stranded: no status query or destroy of it ($(strict_kills))"
reboot_node	# the node's reboot
m teardown --job 47 2>/dev/null && m check; t $? "stranded: after the reboot the teardown cleans"

# a node without objdump: refused before IHK is asked for anything (exit 1,
# the prologue drains the node with the reason)
mkdir -p "$T/noobjdump"
ln -s "$T/bin/scontrol" "$T/noobjdump/scontrol"
calls=$(cat "$T/ihk/events.log" 2>/dev/null | wc -l)
PATH=$T/noobjdump m boot --job 48 --uid 1001 --gid 1001 2> "$T/err"
test $? -eq 1 && tail -n 1 "$T/err" | grep -q "^mckctl: node not ready for McKernel jobs: objdump: not found on PATH ($T/noobjdump): install binutils"
t $? "no objdump: exit 1 naming it ($(tail -n 1 "$T/err"))"
test "$(cat "$T/ihk/events.log" 2>/dev/null | wc -l)" -eq "$calls"; t $? "no objdump: no IHK call made"
m check; t $? "no objdump: node clean, no record"

# config --check warns about a PrologEpilogTimeout shorter than the budget
mkdir -p "$T/etc" && cp "$CONF" "$T/etc/mckernel.conf"
echo "PrologEpilogTimeout=5" > "$T/etc/slurm.conf"
SLURM_CONF= "$MCKCTL" config --check "$T/etc/mckernel.conf" > /dev/null 2> "$T/err"
grep -q "warning: PrologEpilogTimeout = 5 s in $T/etc/slurm.conf is shorter than the 102 s mck-prologue may need" "$T/err"
t $? "config --check: PrologEpilogTimeout 5 < 102 warned ($(tr "\n" " " < "$T/err"))"
echo "PrologEpilogTimeout=300" > "$T/etc/slurm.conf"
SLURM_CONF= "$MCKCTL" config --check "$T/etc/mckernel.conf" > /dev/null 2> "$T/err"
! grep -q "PrologEpilogTimeout" "$T/err"; t $? "config --check: PrologEpilogTimeout 300 accepted"

# clean by hand
m boot --job 45 --uid 1001 --gid 1001 2>/dev/null; t $? "boot job 45"
m clean 2>/dev/null; t $? "clean"
m check; t $? "clean: node clean"
test -z "$(strict_kills)"; t $? "no caller killed by the strict double"

finish
