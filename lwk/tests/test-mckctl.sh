#!/bin/sh
# test-mckctl: the mckctl command line against the IHK double.
. "$top_srcdir/lwk/tests/lib.sh"

m() { "$MCKCTL" --config "$CONF" "$@"; }

"$MCKCTL" --help | grep -q "teardown --job ID"; ok $? "--help lists the commands"
m check > "$T/out"; ok $? "check: a fresh node is clean"
test ! -s "$T/out"; ok $? "check: nothing printed when clean"

m plan --format mcreboot > "$T/out"; ok $? "plan --format mcreboot"
grep -q -- '-c .* -m .* -r ' "$T/out"; ok $? "plan prints -c CPUS -m MEM -r IKC ($(cat "$T/out"))"
m plan --format ihk-env | grep -q '^IHK_CPUS='; ok $? "plan --format ihk-env"
m plan --format json | grep -q '{'; ok $? "plan --format json"
m plan --explain | grep -q '^# cpus: .*stay.* with Linux'; ok $? "plan --explain gives every decision's reason"
m plan --format json --explain | grep -q '"explain": \['; ok $? "plan --format json --explain"
m plan --format xml 2> "$T/err"; test $? -eq 1 && grep -q "^mckctl: plan: --format 'xml'" "$T/err"
ok $? "plan rejects an unknown format"

# strict arguments
m boot --job 12x --uid 1 --gid 1 2> "$T/err"; test $? -eq 1 && grep -q "^mckctl: --job '12x'" "$T/err"
ok $? "boot rejects a bad job id"
m boot --job 12 --uid 1 2> "$T/err"; test $? -eq 1 && grep -q "required" "$T/err"
ok $? "boot needs --gid"
m teardown 2> "$T/err"; test $? -eq 1; ok $? "teardown needs --job"
m frobnicate 2> "$T/err"; test $? -eq 1 && grep -q "unknown command 'frobnicate'" "$T/err"
ok $? "unknown command"
"$MCKCTL" --partition 'a b' check 2> "$T/err"; test $? -eq 1; ok $? "bad partition name rejected"
"$MCKCTL" --config relative.conf check 2> "$T/err"; test $? -eq 1; ok $? "relative --config rejected"
test "$(wc -l < "$T/err")" -eq 1; ok $? "errors are one line"

# config --check
m config --check > "$T/out" 2>&1; ok $? "config --check of a good file"
grep -q "^state_dir = $STATE" "$T/out"; ok $? "config --check prints the settings"
printf 'kargs = nohidos\n' > "$T/bad.conf"
"$MCKCTL" config --check "$T/bad.conf" 2> "$T/err"; test $? -eq 1 && grep -q "hidos" "$T/err"
ok $? "config --check rejects kargs without hidos"

# boot / status / check / teardown
m boot --job 42 --uid 1001 --gid 1001 2> "$T/err"; ok $? "boot job 42"
grep -q "job 42: ihk_reserve_cpu(.*) ok [0-9.]* ms" "$T/err"; ok $? "boot logs timed steps on stderr"
m status > "$T/out"; ok $? "status"
grep -q "^os 0: RUNNING, owner uid 1001" "$T/out"; ok $? "status: os 0 RUNNING owned by 1001"
test "$(stat -c %u:%a "$DEV/mcos0")" = "1001:600"; ok $? "device given to the user"
m check > "$T/out"; test $? -eq 1; ok $? "check exits 1 while an instance runs"
grep -q "^os 0: RUNNING, owner uid 1001, job 42$" "$T/out"; ok $? "check names the instance"
grep -q "^job record: 42$" "$T/out"; ok $? "check names the record"
m check --health > "$T/out"; ok $? "check --health: a job's RUNNING instance is healthy"
test ! -s "$T/out"; ok $? "check --health prints nothing then"
m --quiet teardown --job 42 2> "$T/err"; ok $? "teardown job 42"
test ! -s "$T/err"; ok $? "--quiet: nothing on stderr"
grep -q "job 42: teardown ok" "$STATE/log/lifecycle.log"; ok $? "lifecycle.log still has the steps"
m check; ok $? "check: clean after teardown"
m teardown --job 42 2>/dev/null; ok $? "teardown twice"

# missing image: fails at the image check; nothing stays reserved, the job
# record keeps the reason for the job's steps (exit 3) until the teardown
sed "s|^image = .*|image = $T/missing.img|" "$CONF" > "$T/noimg.conf"
"$MCKCTL" --config "$T/noimg.conf" boot --job 43 --uid 1001 --gid 1001 2> "$T/err"
test $? -eq 3 && tail -n 1 "$T/err" | grep -q "^mckctl: boot failed at image check: $T/missing.img: No such file"
ok $? "missing image: exit 3, one-line error at the image check"
m check > "$T/left"; test $? -eq 1 && test "$(cat "$T/left")" = "job record: 43"
ok $? "missing image: only the job record is left ($(cat "$T/left"))"
grep -q "^state=boot-failed$" "$STATE/jobs/43.job" && grep -q "^reason=boot failed at image check" "$STATE/jobs/43.job"
ok $? "missing image: the record says why"
m status | grep -q "^job 43: state boot-failed, .*reason: boot failed at image check"
ok $? "missing image: status shows the reason"
m check --health > /dev/null; ok $? "missing image: health check accepts the job's record"
m teardown --job 43 2>/dev/null && m check; ok $? "missing image: teardown leaves the node clean"

# a boot failure injected by the double
IHK_DOUBLE_FAULT=ihk_os_boot:EINVAL:always m boot --job 44 --uid 1001 --gid 1001 2> "$T/err"
test $? -eq 3 && tail -n 1 "$T/err" | grep -q "^mckctl: boot failed at ihk_os_boot: Invalid argument (-22)"
ok $? "boot failure names the call"
m teardown --job 44 2>/dev/null && m check; ok $? "boot failure: node clean after the teardown"

# the unwind cannot release: exit 1, the error names what is stuck
IHK_DOUBLE_FAULT="ihk_os_boot:EINVAL:always;ihk_release_mem:EIO:always" m boot --job 46 --uid 1001 --gid 1001 2> "$T/err"
test $? -eq 1 && tail -n 1 "$T/err" | grep -q "node not clean: reserved memory"
ok $? "unclean unwind: exit 1 naming the stuck memory ($(tail -n 1 "$T/err"))"
m teardown --job 46 2>/dev/null && m check; ok $? "unclean unwind: teardown cleans once release works"

# config --check warns about a PrologEpilogTimeout that is too short
mkdir -p "$T/etc" && cp "$CONF" "$T/etc/mckernel.conf"
echo "PrologEpilogTimeout=5" > "$T/etc/slurm.conf"
"$MCKCTL" config --check "$T/etc/mckernel.conf" > /dev/null 2> "$T/err"
grep -q "warning: PrologEpilogTimeout = 5 s .* boot_timeout + shutdown_timeout = 6 s" "$T/err"
ok $? "config --check: PrologEpilogTimeout 5 <= 6 warned"
echo "PrologEpilogTimeout=300" > "$T/etc/slurm.conf"
"$MCKCTL" config --check "$T/etc/mckernel.conf" > /dev/null 2> "$T/err"
! grep -q "PrologEpilogTimeout" "$T/err"; ok $? "config --check: PrologEpilogTimeout 300 accepted"

# clean by hand
m boot --job 45 --uid 1001 --gid 1001 2>/dev/null; ok $? "boot job 45"
m clean 2>/dev/null; ok $? "clean"
m check; ok $? "clean: node clean"

finish
