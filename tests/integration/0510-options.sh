#!/bin/bash
# Issue 5 items 1 and 4: --mckernel=KEY=VALUE,... end to end, as the
# non-root test user. Bad values are refused by srun, sbatch (#SBATCH too)
# and salloc before anything is queued, with a message naming the key, the
# value and what is allowed; the prologue checks again for the job's real
# partition and the job's steps say why it refused; accepted keys reach
# the boot (the plan) and mcexec (its options, one word each); procs must
# equal the step's tasks on the node; `mckctl plan --options`; --multi-prog
# steps run each rank's own line through mcexec. Issue 16 item 3: mcexec
# always gets the instance index after --, so a program named 3dfft runs
# (real mcexec would read 3 as the index) and keeps its own -c argument.
. "$(dirname "$0")/lib.sh"

save_conf 0510
trap 'mv -f "$CONF_SAVED" "$CONF"; for n in $TC_NODE_NAMES; do rm -f "$(node_double "$n")/double.conf"; done' EXIT
MCKCTL=$TC_BUILD/lwk/mckctl

ok "cluster starts clean" wait_clean 30
ok "no job queued at the start" wait_no_jobs 60

# --- refused at submit time: nothing is queued
refused() { # refused DESC PATTERN CMD...
	local desc=$1 pat=$2 out rc
	shift 2
	out=$(as_user timeout 60 "$@" 2>&1); rc=$?
	ok "$desc: refused (rc $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
	ok "$desc: message names key, value and what is allowed" grep -qF -- "$pat" <<<"$out" ||
		diag "$out"
	ok "$desc: nothing queued" no_jobs
}
refused "srun unknown key" "unknown key 'bogus' (in 'bogus=1'): keys are mem, linux_cores, smt, procs" \
	srun -N1 --mckernel=bogus=1 true
refused "sbatch malformed value" "smt='two' is not valid: expected all or one" \
	sbatch -N1 --mckernel=smt=two --wrap true
printf '#!/bin/sh\n#SBATCH -N1\n#SBATCH --mckernel=mem=0.95\ntrue\n' >"$TC_SHARE/limit-job.sh"
chmod 0644 "$TC_SHARE/limit-job.sh"
refused "#SBATCH value outside the limits" "mem=0.95 is above the limit of this cluster (no partition section): max_mem_fraction = 0.9" \
	sbatch limit-job.sh
refused "salloc malformed size" "mpol_threshold='1X' is not valid: expected a size such as 1M" \
	salloc -N1 --mckernel=mpol_threshold=1X true
refused "srun key given twice" "key 'mem' is given twice" srun -N1 --mckernel=mem=0.3,mem=0.4 true

# --- accepted keys reach the plan and mcexec
cat >"$TC_SHARE/opt-rank.sh" <<'SCRIPT'
#!/bin/sh
args=$(tr '\0' ' ' </proc/$PPID/cmdline)
echo "OPT rank=$SLURM_PROCID parent=$(cat /proc/$PPID/comm) mcexec=[$args]"
SCRIPT
chmod 0755 "$TC_SHARE/opt-rank.sh"
# uti=yes needs an mcexec built with UTI, which the operator declares; the
# mcexec double is one where its node's double.conf says uti = yes
add_conf "mcexec_uti = yes"
for n in $TC_NODE_NAMES; do echo "uti = yes" >"$(node_double "$n")/double.conf"; done
out=$(as_user timeout 120 srun -N1 -n2 --mckernel=mpol_threshold=1M,extend_heap_by=8M,uti=yes,procs=2 ./opt-rank.sh 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
is "$rc" 0 "srun with mcexec keys and procs=2 on 2 tasks exits 0"
is "$(grep -c '^OPT rank=[01] parent=mcexec ' <<<"$out")" 2 "both ranks ran under mcexec"
# The program: resolved by the plugin on 22.05 (it rewrites the task's
# argv), as the user typed it on 23.11+ (spank_prepend_task_argv), where
# mcexec looks it up in PATH as it does on a real node.
is "$(grep -c -- 'mcexec=\[.*/mcexec --mpol-threshold=1048576 --extend-heap-by=8388608 --enable-uti -n 2 -- 0 [^ ]*opt-rank.sh \]' <<<"$out")" 2 \
	"mcexec got the user's options as separate words before -n, the index 0 after --"
restore_conf
for n in $TC_NODE_NAMES; do rm -f "$(node_double "$n")/double.conf"; done

# --- issue 16 item 3: a program named 3dfft, with its own -c argument
cat >"$TC_SHARE/3dfft" <<'SCRIPT'
#!/bin/sh
args=$(tr '\0' ' ' </proc/$PPID/cmdline)
echo "3DFFT args=[$*] parent=$(cat /proc/$PPID/comm) mcexec=[$args]"
SCRIPT
chmod 0755 "$TC_SHARE/3dfft"
for prog in ./3dfft 3dfft; do
	out=$(as_user timeout 120 env PATH=/usr/bin:/bin:. srun -N1 -n1 --mckernel "$prog" -c 3 2>&1); rc=$?
	echo "$out" | sed 's/^/#   /'
	is "$rc" 0 "srun --mckernel $prog -c 3 exits 0"
	ok "$prog ran under mcexec with its own arguments" grep -q '^3DFFT args=\[-c 3\] parent=mcexec ' <<<"$out"
	ok "$prog: mcexec got the index before the program: -n 1 -- 0 PROGRAM -c 3" \
		grep -q -- 'mcexec=\[.*/mcexec -n 1 -- 0 [^ ]*3dfft -c 3 \]' <<<"$out"
done

# mem reaches the boot: the plan's memory per NUMA node follows mem=
planned_mem() { # planned_mem OPTIONS: the mem list mckctl plans with
	on_node node1 "$MCKCTL" --config "$CONF" --partition mck plan --format ihk-env ${1:+--options "$1"} 2>&1 |
		sed -n 's/^IHK_MEM=//p'
}
m_def=$(planned_mem "")
m_low=$(planned_mem "mem=0.2")
diag "plan memory: default '$m_def', mem=0.2 '$m_low'"
ok "mckctl plan --options mem=0.2 plans less memory than the default" \
	test -n "$m_def" -a -n "$m_low" -a "$m_def" != "$m_low"
out=$(on_node node1 "$MCKCTL" --config "$CONF" plan --options 'smt=two' 2>&1); rc=$?
ok "mckctl plan --options with a bad value fails with the reason (rc $rc)" \
	test "$rc" -ne 0 -a -n "$(grep -F "smt='two' is not valid" <<<"$out")"
job=$(as_user sbatch -N1 --parsable --mckernel=mem=0.2 --wrap 'sleep 30' 2>&1 | tail -n1 | cut -d';' -f1)
for i in $(seq 60); do
	grep -q '^state=running' "$(node_state node1)/jobs/$job.job" 2>/dev/null && break
	sleep 1
done
rec_mem=$(sed -n 's/^mem=//p' "$(node_state node1)/jobs/$job.job" 2>/dev/null)
diag "job $job record mem '$rec_mem'"
ok "the prologue booted job $job with mem=0.2 (record mem = planned '$m_low')" \
	test -n "$rec_mem" -a "$rec_mem" = "$m_low"
as_user scancel "$job"
ok "job $job gone" wait_no_jobs 60

# --- procs must match the step's tasks on the node
out=$(as_user timeout 120 srun -N1 -n1 --mckernel=procs=2 ./opt-rank.sh 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
ok "procs=2 with 1 task: the step fails (rc $rc)" test "$rc" -ne 0
ok "procs mismatch: one clear message" grep -q "spank_mckernel: job [0-9]* step [0-9]* on node1: --mckernel=procs=2 but the step has 1 task on this node" <<<"$out"
ok "procs mismatch: no rank ran" test -z "$(grep '^OPT ' <<<"$out")"

# --- the prologue checks the real partition's rules again: here the
# operator tightens them while the job waits (held) after submission; the
# job's step (the option alone, so srun's own check passes) says why
rm -f "$TC_SHARE"/prolog-check-*.out
job=$(as_user sbatch --hold -N1 --parsable --mckernel=smt=one -o 'prolog-check-%j.out' \
	--wrap 'srun --mckernel -n1 ./opt-rank.sh' 2>&1 | tail -n1 | cut -d';' -f1)
ok "smt=one passes the submit side while partition mck allows it (job '$job' held)" \
	test -n "$job" -a -z "${job//[0-9]/}"
add_conf "$(printf '[partition mck]\nuser_keys = mem')"
as_user scontrol release "$job"
ok "job $job ran and ended" wait_no_jobs 120
out=$(cat "$TC_SHARE/prolog-check-$job.out" 2>&1)
echo "$out" | sed 's/^/#   /'
ok "the prologue refused it for partition mck and the job's step says why" grep -q "no McKernel instance on [^:]*: --mckernel: key 'smt' may not be set by users on partition mck (allowed: mem)" <<<"$out"
ok "no rank ran" test -z "$(grep '^OPT ' <<<"$out")"
restore_conf
ok "nodes clean after the refusal (not drained)" wait_clean 60
st=$(as_user sinfo -h -o %t -n node1 | sort -u | tr '\n' ' ')
ok "node1 is not drained (state: $st)" test -n "$st" -a -z "$(grep -E 'drain|drng|down' <<<"$st")"

# --- --multi-prog: each rank runs its own line through mcexec
cat >"$TC_SHARE/mp-prog.sh" <<'SCRIPT'
#!/bin/sh
echo "MP rank=$SLURM_PROCID prog=$1 arg=$2 words=$# parent=$(cat /proc/$PPID/comm)"
SCRIPT
chmod 0755 "$TC_SHARE/mp-prog.sh"
cat >"$TC_SHARE/mp.conf" <<'CONF'
# rank list, ranges, %t and %o, quotes, '*'
0,2    ./mp-prog.sh A rank%t
1      ./mp-prog.sh 'B b' off%o
*      ./mp-prog.sh C "%t %o"
CONF
chmod 0644 "$TC_SHARE/mp.conf"
out=$(as_user timeout 120 srun -N2 -n4 --mckernel --multi-prog mp.conf 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
is "$rc" 0 "srun --mckernel --multi-prog exits 0"
is "$(grep -c '^MP .* parent=mcexec$' <<<"$out")" 4 "4 ranks ran under mcexec"
ok "rank 0 ran its line" grep -qx 'MP rank=0 prog=A arg=rank0 words=2 parent=mcexec' <<<"$out"
ok "rank 2 ran the same line with its %t" grep -qx 'MP rank=2 prog=A arg=rank2 words=2 parent=mcexec' <<<"$out"
ok "rank 1 ran its quoted words" grep -qx 'MP rank=1 prog=B b arg=off0 words=2 parent=mcexec' <<<"$out"
# Slurm's own parser (and the plugin's, as Slurm) takes double quotes as ordinary characters.
ok "rank 3 ran the '*' line" grep -qx 'MP rank=3 prog=C arg="3 words=3 parent=mcexec' <<<"$out"

ok "no job left" wait_no_jobs 60
ok "nodes are clean" wait_clean 60
done_testing
