#!/bin/bash
# What the lifecycle refuses before it asks IHK for anything (issue 16
# items 2 and 7, issue 10 item 6):
#  (a) a missing or non-McKernel image: real IHK oopses the node when
#      ihk_os_load is given a missing path, so the image is checked first
#      (a McKernel ELF image for the node): the job fails naming the image,
#      no CPU is reserved, no instance created, ihk_os_load never called,
#      the node stays in service;
#  (b) a node without binutils' objdump (real mcexec would write "RPATH not
#      found: 22" into every rank's error output): the prologue refuses to
#      boot and the node is drained with that reason, as the health check
#      does;
#  (c) a mckernel.conf that does not load: the prologue drains the node
#      with the FILE:LINE reason (not only "Prolog error").
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/faults.sh"

save_conf 0410
trap 'cp "$CONF_SAVED" "$CONF"; show_objdump node1 >/dev/null 2>&1' EXIT
for n in $TC_NODE_NAMES; do recover_node "$n"; done
ok "cluster starts clean" wait_clean 30

# KEY's line of the configuration replaced by KEY = VALUE, atomically
set_key() { sed "s|^$1 = .*|$1 = $2|" "$CONF_SAVED" >"$CONF.tmp" && mv -f "$CONF.tmp" "$CONF"; }
ihk_calls() { # ihk_calls NODE JOB: IHK calls the double logged for JOB
	grep "job=$2 " "$(node_double "$1")/events.log" 2>/dev/null | sed 's/.* call=\([a-z_]*\) .*/\1/' | sort -u | tr '\n' ' '
}

# --- (a) the image --------------------------------------------------------------
printf 'McKernel image? no, a text file\n' >"$TC_SHARE/not-an-image"
chmod 0644 "$TC_SHARE/not-an-image"
for img in "$TC_ROOT/etc/no-such-mckernel.img" "$TC_SHARE/not-an-image"; do
	case $img in *no-such*) want="No such file or directory" ;; *) want="not an ELF file (no ELF magic)" ;; esac
	set_key image "$img"
	out=$(as_user timeout 120 srun -N2 --mckernel sh -c 'echo JOB=$SLURM_JOB_ID' 2>&1); rc=$?
	echo "$out" | sed 's/^/#   /'
	ok "(a) image $(basename "$img"): the job fails (rc $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
	ok "(a) ... the reason names the image check and what is wrong" \
		grep -q "no McKernel instance on node[12]: boot failed at image check: $img: $want; set 'image' in .*mckernel.conf" <<<"$out"
	job=$(sed -n 's/.*spank_mckernel: job \([0-9]*\): .*/\1/p' <<<"$out" | head -n1)
	for n in $TC_NODE_NAMES; do
		is "$(ihk_calls "$n" "$job")" "" "(a) $n: no IHK call at all for job $job (ihk_os_load never saw the image)"
	done
	ok "(a) nodes clean" wait_clean 30
	for n in $TC_NODE_NAMES; do ok "(a) $n stays in service" node_idle "$n"; done
done
cp "$CONF_SAVED" "$CONF"
out=$(as_user timeout 120 srun -N2 --mckernel true 2>&1)
is "$?" 0 "(a) with the image back, a job runs"

# --- (b) no objdump on node1 --------------------------------------------------
# A namespace node shares the host's files: a bind mount in its own mount
# namespace hides objdump there only. A compose node has files of its own
# and no CAP_SYS_ADMIN to mount: objdump is moved aside.
hide_objdump() {
	if [ "${TC_KIND:-netns}" = compose ]; then
		on_node "$1" mv /usr/bin/objdump /usr/bin/objdump.mck-hidden
	else
		on_node "$1" mount --bind /dev/null /usr/bin/objdump
	fi
}
show_objdump() {
	if [ "${TC_KIND:-netns}" = compose ]; then
		on_node "$1" sh -c 'test ! -e /usr/bin/objdump.mck-hidden || mv /usr/bin/objdump.mck-hidden /usr/bin/objdump'
	else
		on_node "$1" umount /usr/bin/objdump
	fi
}
ok "(b) objdump hidden on node1" hide_objdump node1
out=$(as_user timeout 120 srun -N1 -w node1 --mckernel true 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
ok "(b) the job does not run (rc $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
ok "(b) node1 is drained" wait_for 60 is_drained node1
ok "(b) ... naming objdump, the fix and what mcexec prints without it" \
	wait_for 60 reason_matches node1 "^mckernel: node not ready for McKernel jobs: objdump: not found .*install binutils.*RPATH not found: 22"
diag "sinfo -R reason: $(slurm_reason node1)"
is "$(ihk_calls node1 "$(sed -n 's/.*job \([0-9]*\).*/\1/p' <<<"$out" | head -n1)")" "" "(b) nothing was reserved for it"
hc=$(on_node node1 "$HEALTHCHECK_N" --no-drain 2>&1); hrc=$?
is "$hrc" 1 "(b) mck-healthcheck reports the node too"
ok "(b) ... naming objdump" grep -q "objdump: not found" <<<"$hc"
show_objdump node1
wait_no_jobs 60
recover_node node1
ok "(b) with objdump back node1 is in service" node_idle node1

# --- (c) a broken configuration -------------------------------------------------
job=$(as_user sbatch -N1 -w node1 --hold --parsable --mckernel --wrap true 2>&1 | tail -n1 | cut -d';' -f1)
ok "(c) a job is queued, held (job $job)" test -n "$job"
add_conf "no_such_key = 1"
line=$(wc -l <"$CONF")
as_user scontrol release "$job"
ok "(c) node1 is drained" wait_for 90 is_drained node1
ok "(c) ... with FILE:LINE of the mistake, not only \"Prolog error\"" \
	wait_for 60 reason_matches node1 "^mckernel: [^ ]*mckernel.conf:$line: .*no_such_key"
diag "sinfo -R reason: $(slurm_reason node1)"
cp "$CONF_SAVED" "$CONF"
as_user scancel "$job" 2>/dev/null
wait_no_jobs 60
recover_node node1
ok "(c) with the file fixed node1 is back in service" node_idle node1
ok "no job left" wait_no_jobs 60
ok "nodes are clean" wait_clean 60
done_testing
