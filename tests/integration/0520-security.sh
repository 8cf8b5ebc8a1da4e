#!/bin/bash
# Issue 5 item 3, as the non-root test user: users cannot name the image,
# kernel arguments, libihk or mcexec; values with shell metacharacters are
# refused and never run (anywhere); the instance's device belongs to the
# job's user only while the job runs; another user can neither use nor
# shut down a job's instance; a job that does not hold whole nodes is
# refused by the prologue with a clear message.
. "$(dirname "$0")/lib.sh"

USER_B=mcksecb$$
save_conf 0520
cleanup() {
	mv -f "$CONF_SAVED" "$CONF"
	del_user "$USER_B"
	rm -f "$TC_SHARE/pwned"*
}
trap cleanup EXIT
MCEXEC=$TC_BUILD/lwk/mcexec/mcexec
MCKCTL=$TC_BUILD/lwk/mckctl
CTL=$TC_BUILD/ihk/double/ihk-double-ctl
DEV=$(node_double node1)/dev/mcos0

ok "cluster starts clean" wait_clean 30

# --- no key reaches the image, kernel arguments, library or launcher
for kv in image=/tmp/evil.img kargs=hidos libihk=/tmp/libevil.so mcexec=/tmp/evil \
	  mckctl=/tmp/evil state_dir=/tmp device_dir=/tmp; do
	out=$(as_user timeout 60 srun -N1 --mckernel="$kv" true 2>&1); rc=$?
	ok "--mckernel=$kv refused (rc $rc)" test "$rc" -ne 0 -a -n "$(grep -F "unknown key '${kv%%=*}'" <<<"$out")"
done
ok "nothing queued" no_jobs

# --- shell metacharacters: refused, never executed
P=/tmp/pwned-$$
values=(
	"mem=\$(touch $P)"
	"mem=0.5;touch $P"
	"mem=\`touch $P\`"
	"mem='0.5'"
	"mem=\"0.5\""
	"mem=0.5|touch $P"
	"mem=0.5&&touch $P"
	"mpol_threshold=1M\$(touch $P)"
)
for v in "${values[@]}"; do
	out=$(as_user timeout 60 srun -N1 --mckernel="$v" true 2>&1); rc=$?
	ok "srun --mckernel=$v refused (rc $rc)" test "$rc" -ne 0 -a -n "$(grep -F 'spank_mckernel: --mckernel: ' <<<"$out")"
	out=$(as_user timeout 60 sbatch -N1 --mckernel="$v" --wrap true 2>&1); rc=$?
	ok "sbatch --mckernel=$v refused (rc $rc)" test "$rc" -ne 0 -a -n "$(grep -F 'spank_mckernel: --mckernel: ' <<<"$out")"
done
nl=$(printf 'mem=0.5\ntouch %s' "$P")
out=$(as_user timeout 60 sbatch -N1 --mckernel="$nl" --wrap true 2>&1); rc=$?
ok "sbatch with a newline in the value refused (rc $rc)" test "$rc" -ne 0 -a -n "$(grep -F 'spank_mckernel: --mckernel: ' <<<"$out")"
printf '#!/bin/sh\n#SBATCH -N1\n#SBATCH --mckernel=mem=$(touch %s)\ntrue\n' "$P" >"$TC_SHARE/pwned-job.sh"
out=$(as_user timeout 60 sbatch pwned-job.sh 2>&1); rc=$?
ok "#SBATCH line with \$(...) refused (rc $rc)" test "$rc" -ne 0
out=$(as_user timeout 60 salloc -N1 --mckernel="mem=0.5;touch $P" true 2>&1); rc=$?
ok "salloc with ';' refused (rc $rc)" test "$rc" -ne 0
ok "nothing queued" no_jobs
ok "no file created on the head" test ! -e "$P"
for n in $TC_NODE_NAMES; do
	ok "no file created on $n" on_node "$n" test ! -e "$P"
done
ok "no file created in the shared directory" test -z "$(ls "$TC_SHARE" | grep -F "pwned-$$")"

# --- the device belongs to the job's user only while the job runs
uid_a=$(as_user id -u)
ok "before the job: no instance device, or root's" sh -c "[ ! -e '$DEV' ] || [ \"\$(stat -c %u '$DEV')\" = 0 ]"
job=$(as_user sbatch -N1 -w node1 --parsable --mckernel --wrap 'sleep 60' 2>&1 | tail -n1 | cut -d';' -f1)
for i in $(seq 60); do
	grep -q '^state=running' "$(node_state node1)/jobs/$job.job" 2>/dev/null && break
	sleep 1
done
ok "job $job runs with an instance on node1" grep -q '^state=running' "$(node_state node1)/jobs/$job.job"
is "$(stat -c '%u %a' "$DEV" 2>&1)" "$uid_a 600" "while job $job runs: mcos0 is the job user's, mode 0600"
is "$(stat -c '%u' "$(node_double node1)/dev/mcd0" 2>&1)" 0 "mcd0 stays root's"

# --- another user can neither use nor shut down the instance
add_user "$USER_B" 2>/dev/null
ok "second user $USER_B exists" on_node node1 id "$USER_B"
out=$(on_node node1 runuser -u "$USER_B" -- env SLURM_MCKERNEL_CONF="$CONF" "$MCEXEC" -n 1 -- /bin/true 2>&1); rc=$?
is "$rc" 1 "$USER_B's mcexec on job $job's instance exits 1"
ok "with mcexec's message" grep -qx 'Error: Failed to open /dev/mcos0.' <<<"$out" || diag "$out"
out=$(on_node node1 runuser -u "$USER_B" -- "$MCKCTL" --config "$CONF" teardown --job "$job" 2>&1); rc=$?
diag "$out"
ok "$USER_B's mckctl teardown of job $job fails (rc $rc)" test "$rc" -ne 0
out=$(on_node node1 runuser -u "$USER_B" -- "$MCKCTL" --config "$CONF" clean 2>&1); rc=$?
ok "$USER_B's mckctl clean fails (rc $rc)" test "$rc" -ne 0
out=$(on_node node1 runuser -u "$(as_user id -un)" -- "$MCKCTL" --config "$CONF" teardown --job "$job" 2>&1); rc=$?
ok "even the job's own user cannot tear it down by hand (rc $rc)" test "$rc" -ne 0
st=$(on_node node1 env IHK_DOUBLE_STATE="$TC_NODE_STATE/ihk-double" "$CTL" status 2>&1)
diag "$st"
ok "the instance is still RUNNING" grep -q 'RUNNING' <<<"$st"
is "$(stat -c %u "$DEV" 2>&1)" "$uid_a" "and still the job user's"
as_user scancel "$job"
ok "job $job gone" wait_no_jobs 60
ok "node1 clean after job $job" wait_clean 60
ok "after the job: no instance device, or root's" sh -c "[ ! -e '$DEV' ] || [ \"\$(stat -c %u '$DEV')\" = 0 ]"

# --- a job that does not hold whole nodes is refused (partition 'shared')
add_conf "$(printf '[partition shared]\nrequire_exclusive = yes')"
out=$(as_user timeout 120 srun -p shared -N1 -n1 --mckernel true 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
ok "srun -p shared (not whole nodes) fails (rc $rc)" test "$rc" -ne 0
ok "with a clear message" grep -q "no McKernel instance on [^:]*: McKernel jobs need whole nodes, this job holds [0-9]* of the [0-9]* CPUs of a node.*submit with --exclusive or to an OverSubscribe=EXCLUSIVE partition" <<<"$out"
out=$(as_user timeout 120 srun -p shared --exclusive -N1 -n1 --mckernel sh -c 'cat /proc/$PPID/comm' 2>&1); rc=$?
is "$rc" 0 "srun -p shared --exclusive works"
# (its error output also has the user's one boot line, "mckernel: ...")
is "$(grep -vx 'mckernel: .*' <<<"$out")" "mcexec" "and runs under mcexec"
restore_conf

ok "no job left" wait_no_jobs 60
ok "nodes are clean" wait_clean 60
done_testing
