#!/bin/bash
# Root decides from what root wrote or Slurm vouches for (issue 10 items
# 1 to 4, issue 16 item 6), as the ordinary test user attacking:
#  (a) a second --mckernel job on a node whose McKernel runs another job
#      (require_exclusive = no) is refused with "McKernel on NODE is in use
#      by job N"; the first job's instance is untouched;
#  (b) a process of the job's user that escaped the job and holds the
#      device (setsid hold DEVICE) is ended by the epilogue, which logs
#      it; the node stays in service;
#  (c) the user chmods the device 666 during the job and root holds it:
#      the epilogue puts the device back to root 0600 first, and drains the
#      node naming root's holder;
#  (d) the user's own SPANK plugin (through their own copy of slurm.conf)
#      sets SLURM_JOB_PARTITION to another partition in srun: the step
#      still follows the job's real partition (its instance policy and
#      env list), which the prologue recorded.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faults.sh"

save_conf 0530
holder=
cleanup() {
	[ -z "$holder" ] || on_node node1 kill "$holder" 2>/dev/null
	cp "$CONF_SAVED" "$CONF"
	rm -rf "$TC_SHARE/spoof" "$TC_SHARE"/spoof-*.out
}
trap cleanup EXIT
for n in $TC_NODE_NAMES; do recover_node "$n"; done
ok "cluster starts clean" wait_clean 30
DEV=$TC_NODE_STATE/ihk-double/dev/mcos0	# as the nodes see it
HOSTDEV=$(node_double node1)/dev/mcos0
uid=$(as_user id -u)
wait_running() { # wait_running JOB: its instance runs on node1
	wait_for 60 grep -q '^state=running$' "$(node_state node1)/jobs/$1.job"
}

# --- (a) the node's McKernel is in use by another job ----------------------
add_conf "$(printf '[partition shared]\nrequire_exclusive = no')"
a=$(as_user sbatch -p shared -w node1 -n1 --parsable --mckernel --wrap 'sleep 120' | cut -d';' -f1)
ok "(a) job $a boots McKernel on node1 (partition shared, not exclusive)" wait_running "$a"
gen=$(sed -n 's/.*call=create_os os=0 gen=\([0-9]*\) .*/\1/p' "$(node_double node1)/events.log" | tail -n1)
out=$(as_user timeout 120 srun -p shared -w node1 -n1 --mckernel true 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
ok "(a) a second --mckernel job on node1 fails (rc $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
ok "(a) ... saying McKernel on node1 is in use by job $a" \
	grep -q "no McKernel instance on node1: McKernel on node1 is in use by job $a$" <<<"$out"
ok "(a) job $a's instance was not destroyed" \
	bash -c "! grep -q 'call=destroy_os os=0 gen=$gen ' '$(node_double node1)/events.log'"
is "$(stat -c %u "$HOSTDEV")" "$uid" "(a) its device is still job $a's user's"
ok "(a) and still RUNNING" grep -q "^os 0: RUNNING.*job $a" <<<"$(on_node node1 "$MCKCTL_N" status)"
not_drained() { ! is_drained "$1"; }
ok "(a) node1 is not drained" not_drained node1
as_user scancel "$a"
ok "(a) job $a gone" wait_no_jobs 60
ok "(a) nodes clean" wait_clean 60
restore_conf

# --- (b) the job user's escaped holder --------------------------------------
install_program "$TC_BUILD/tests/programs/hold"
b=$(as_user sbatch -N1 -w node1 --parsable --mckernel --wrap "setsid $TC_SHARE/hold $DEV 400 & sleep 2" | cut -d';' -f1)
ok "(b) job $b ran" wait_no_jobs 90
ok "(b) nodes clean after its epilogue" wait_clean 60
ok "(b) node1 stays in service" node_idle node1
ok "(b) the epilogue ended the escaped holder and logged it" \
	grep -q "job $b: ending pid [0-9]* (hold, uid $uid) that holds $DEV" "$(node_state node1)/log/lifecycle.log"
is "$(node_pids_named node1 hold | while read -r p; do [ "$(stat -c %u /proc/"$p")" = "$uid" ] && echo "$p"; done)" "" \
	"(b) no holder of the user is left on node1"

# --- (c) chmod 666 by the user, root holds the device ---------------------------
c=$(as_user sbatch -N1 -w node1 --parsable --mckernel --wrap "chmod 666 $DEV; touch c-go.\$SLURM_JOB_ID; sleep 5" | cut -d';' -f1)
ok "(c) job $c changed its device's mode" wait_for 60 test -e "$TC_SHARE/c-go.$c"
is "$(stat -c %a "$HOSTDEV")" 666 "(c) the device is 666 while the job runs"
holder=$(hold_device node1)
ok "(c) root holds it (pid $holder)" on_node node1 kill -0 "$holder"
ok "(c) node1 is drained after the epilogue" wait_for 90 is_drained node1
is "$(stat -c '%u %g %a' "$HOSTDEV")" "0 0 600" "(c) the device is root's, mode 0600, although destroy failed"
ok "(c) the reason names root's holder" wait_for 60 reason_matches node1 "held open by pid $holder (hold, uid 0)"
diag "sinfo -R reason: $(slurm_reason node1)"
on_node node1 kill "$holder"
holder=
rm -f "$TC_SHARE/c-go.$c"
recover_node node1
ok "(c) node1 back in service once the holder is gone" node_idle node1

# --- (d) a spoofed SLURM_JOB_PARTITION ------------------------------------------------
add_conf "$(printf '[partition mck]\ninstance_policy = per-job\nenv = MCK_SECTION=mck\n[partition shared]\ninstance_policy = per-step\nenv = MCK_SECTION=shared\nuser_keys = all')"
S=$TC_SHARE/spoof
mkdir -p "$S"
cat >"$S/spoof.c" <<'EOF'
/* a user's SPANK plugin: srun (local context) claims another partition */
#include <stdlib.h>
#include <slurm/spank.h>
SPANK_PLUGIN(spoof, 1);
static void spoof(spank_t sp)
{
	if (spank_context() != S_CTX_LOCAL)
		return;
	setenv("SLURM_JOB_PARTITION", "shared", 1);
	spank_setenv(sp, "SLURM_JOB_PARTITION", "shared", 1);
}
int slurm_spank_init_post_opt(spank_t sp, int ac, char **av) { spoof(sp); return 0; }
int slurm_spank_local_user_init(spank_t sp, int ac, char **av) { spoof(sp); return 0; }
EOF
# built on a node, against the spank.h of the Slurm the cluster runs (a
# plugin carries the Slurm version it was built for)
ok "(d) the user's plugin builds" on_node node1 gcc -shared -fPIC -o "$S/spoof.so" "$S/spoof.c"
sed "s|^PlugStackConfig=.*|PlugStackConfig=$S/plugstack.conf|" "$TC_ROOT/etc/slurm.conf" >"$S/slurm.conf"
{ echo "required $S/spoof.so"; cat "$TC_ROOT/etc/plugstack.conf"; } >"$S/plugstack.conf"
chmod -R a+rX "$S"
cat >"$S/two.sh" <<EOF
#!/bin/bash
export SLURM_CONF=$S/slurm.conf
for s in 1 2; do srun --mckernel -n1 sh -c 'echo "P=\$SLURM_JOB_PARTITION S=\$MCK_SECTION"'; done
EOF
chmod 0755 "$S/two.sh"
d=$(as_user sbatch -p mck -N1 -w node1 --parsable --mckernel -o "spoof-%j.out" "$S/two.sh" | cut -d';' -f1)
ok "(d) job $d ran" wait_no_jobs 90
sed 's/^/#   /' "$TC_SHARE/spoof-$d.out"
is "$(grep -c '^P=shared ' "$TC_SHARE/spoof-$d.out")" 2 "(d) the user's plugin did set SLURM_JOB_PARTITION=shared in both steps"
is "$(grep -c ' S=mck$' "$TC_SHARE/spoof-$d.out")" 2 "(d) both steps got the env list of the job's real partition mck"
is "$(grep "job=$d " "$(node_double node1)/events.log" | grep -c 'call=os_boot .*rc=0')" 1 \
	"(d) mck's per-job policy held: one instance for both steps (shared's per-step was not applied)"
ok "(d) the lifecycle log shows partition mck for the boot" \
	grep -q "job $d: boot for uid $uid gid [0-9]*, partition mck on node1" "$(node_state node1)/log/lifecycle.log"
restore_conf

ok "no job left" wait_no_jobs 60
ok "nodes are clean" wait_clean 60
done_testing
