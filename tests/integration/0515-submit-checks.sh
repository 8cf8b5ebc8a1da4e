#!/bin/bash
# What srun, sbatch and salloc refuse before slurmctld ever sees a job, as
# the non-root test user.
# Issue 10 item 5: --mckernel is checked against the rules of the partition
# the job really gets: the partition named by -p/--partition (any
# spelling), #SBATCH -p, SLURM_/SBATCH_/SALLOC_PARTITION, every partition of
# a list, the cluster's default partition (mck) when none is given, and for
# srun inside an allocation the job's partition as slurmctld knows it (not
# SLURM_JOB_PARTITION, which the user can change).
# Issue 10 item 8 / issue 16 item 4: real mcexec built without UTI refuses
# --enable-uti, so uti=yes is refused where the partition's mcexec is not
# declared a UTI build (mcexec_uti), a uti = yes default without it is a
# configuration error, and mckctl prereq holds mcexec_uti = yes against the
# binary. Issue 16 (limits): real IHK stops reserving at 95% of a NUMA node:
# mem=0.96 is refused with that reason, and so is an operator fraction
# above 0.95.
. "$(dirname "$0")/lib.sh"

save_conf 0515
trap 'mv -f "$CONF_SAVED" "$CONF"; rm -rf "$TC_SHARE"/part-* "$TC_ROOT/etc/uti-test"' EXIT
MCKCTL=$TC_BUILD/lwk/mckctl

ok "cluster starts clean" wait_clean 30
ok "no job queued at the start" wait_no_jobs 60

# Different rules per partition: mck (the default) allows mem and smt,
# shared only mem up to 0.3.
add_conf "$(printf '[partition mck]\nuser_keys = mem, smt\n[partition shared]\nuser_keys = mem\nmem_fraction = 0.3\nmax_mem_fraction = 0.3')"

# Jobs slurmctld accepted so far (batch submissions and allocations).
ctld_jobs() {
	grep -c -e '_slurm_rpc_submit_batch_job: JobId=' -e '_slurm_rpc_allocate_resources JobId=' \
		"$TC_ROOT/head/slurmctld.log"
}

refused() { # refused DESC PATTERN CMD...: refused with PATTERN, no job at slurmctld
	local desc=$1 pat=$2 out rc before
	shift 2
	before=$(ctld_jobs)
	out=$(as_user timeout 60 "$@" 2>&1); rc=$?
	ok "$desc: refused (rc $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
	ok "$desc: message '$pat'" grep -qF -- "$pat" <<<"$out" || diag "$out"
	is "$(ctld_jobs)" "$before" "$desc: slurmctld never got a job"
}
accepted() { # accepted DESC CMD... (--test-only: nothing is queued either)
	local desc=$1 out rc
	shift
	out=$(as_user timeout 60 "$@" 2>&1); rc=$?
	ok "$desc: accepted (rc $rc)" test "$rc" -eq 0 || diag "$out"
	ok "$desc: no message of the plugin" test -z "$(grep 'spank_mckernel' <<<"$out")" || diag "$out"
}

SMT_SHARED="--mckernel: key 'smt' may not be set by users on partition shared (allowed: mem)"
UTI_MCK="--mckernel: key 'uti' may not be set by users on partition mck (allowed: mem, smt)"
MEM_SHARED="--mckernel: mem=0.5 is above the limit of partition shared: max_mem_fraction = 0.3"

# --- srun: -p in every spelling, the environment, a list, the default
refused "srun -p shared" "$SMT_SHARED" srun -N1 -p shared --mckernel=smt=one true
refused "srun -pshared" "$SMT_SHARED" srun -N1 -pshared --mckernel=smt=one true
refused "srun --partition=shared" "$SMT_SHARED" srun -N1 --partition=shared --mckernel=smt=one true
refused "srun --part shared (abbreviated)" "$SMT_SHARED" srun -N1 --part shared --mckernel=smt=one true
refused "SLURM_PARTITION=shared srun" "$SMT_SHARED" env SLURM_PARTITION=shared srun -N1 --mckernel=smt=one true
refused "srun -p mck,shared (a list: every partition)" "$SMT_SHARED" srun -N1 -p mck,shared --mckernel=smt=one true
refused "srun without -p (default partition mck)" "$UTI_MCK" srun -N1 --mckernel=uti=no true
refused "srun without -p: says where the partition came from" \
	"checked for partition mck: the cluster's default, no -p given" srun -N1 --mckernel=uti=no true

# --- sbatch: -p, #SBATCH -p, SBATCH_PARTITION, the default
refused "sbatch -p shared" "$MEM_SHARED" sbatch -N1 -p shared --mckernel=mem=0.5 --wrap true
printf '#!/bin/sh\n#SBATCH -N1\n#SBATCH -p shared\n#SBATCH --mckernel=mem=0.5\ntrue\n' >"$TC_SHARE/part-job.sh"
chmod 0644 "$TC_SHARE/part-job.sh"
refused "#SBATCH -p shared" "$MEM_SHARED" sbatch part-job.sh
refused "SBATCH_PARTITION=shared sbatch" "$MEM_SHARED" env SBATCH_PARTITION=shared sbatch -N1 --mckernel=mem=0.5 --wrap true
refused "sbatch without -p (default partition mck)" "$UTI_MCK" sbatch -N1 --mckernel=uti=no --wrap true

# --- salloc: -p, SALLOC_PARTITION, the default
refused "salloc -p shared" "$SMT_SHARED" salloc -N1 -p shared --mckernel=smt=one true
refused "SALLOC_PARTITION=shared salloc" "$SMT_SHARED" env SALLOC_PARTITION=shared salloc -N1 --mckernel=smt=one true
refused "salloc without -p (default partition mck)" "$UTI_MCK" salloc -N1 --mckernel=uti=no true

# --- what the partitions allow passes (--test-only: checked, nothing queued)
accepted "srun -p shared --mckernel=mem=0.2" srun --test-only -N1 -p shared --exclusive --mckernel=mem=0.2 true
accepted "srun --mckernel=smt=one on the default partition" srun --test-only -N1 --mckernel=smt=one true
accepted "sbatch -p mck --mckernel=smt=one" sbatch --test-only -N1 -p mck --mckernel=smt=one --wrap true
accepted "SBATCH_PARTITION=shared overridden by -p mck" env SBATCH_PARTITION=shared sbatch --test-only -N1 -p mck --mckernel=smt=one --wrap true
ok "nothing queued" no_jobs

# --- srun inside an allocation: the job's partition, from slurmctld
rm -f "$TC_SHARE"/part-step-*.out
job=$(as_user sbatch -N1 -p shared --exclusive --parsable -o 'part-step-%j.out' \
	--wrap 'SLURM_JOB_PARTITION=mck srun -n1 --mckernel=smt=one true; echo "srun rc=$?"' 2>&1 |
	tail -n1 | cut -d';' -f1)
ok "batch job $job in partition shared submitted" test -n "$job" -a -z "${job//[0-9]/}"
ok "job $job ended" wait_no_jobs 120
out=$(cat "$TC_SHARE/part-step-$job.out" 2>&1)
echo "$out" | sed 's/^/#   /'
ok "srun in job $job: refused for the job's partition, though SLURM_JOB_PARTITION says mck" \
	grep -qF -- "$SMT_SHARED" <<<"$out"
ok "srun in job $job: says the partition is the job's" \
	grep -qF "checked for partition shared: the partition of job $job, which this srun runs in" <<<"$out"
ok "srun in job $job failed before its step started" grep -qx 'srun rc=1' <<<"$out"

restore_conf

# --- uti=yes where mcexec is not a UTI build (the default)
MCEXEC=$(sed -n 's/^mcexec *= *//p' "$CONF")
NO_UTI="--mckernel: uti=yes is not available on this cluster (no partition section): its mcexec ($MCEXEC) is not built with UTI support (mckernel.conf: mcexec_uti = no)"
refused "srun --mckernel=uti=yes" "$NO_UTI" srun -N1 --mckernel=uti=yes true
refused "sbatch --mckernel=uti=yes" "$NO_UTI" sbatch -N1 --mckernel=uti=yes --wrap true
refused "salloc --mckernel=uti=yes" "$NO_UTI" salloc -N1 --mckernel=uti=yes true
accepted "uti=no needs no UTI" srun --test-only -N1 --mckernel=uti=no true

# the partition the job gets decides: only shared declares a UTI build
add_conf "$(printf '[partition shared]\nmcexec_uti = yes')"
refused "uti=yes on the default partition mck" \
	"--mckernel: uti=yes is not available on partition mck: its mcexec ($MCEXEC) is not built with UTI support" \
	srun -N1 --mckernel=uti=yes true
accepted "uti=yes on partition shared (mcexec_uti = yes)" \
	srun --test-only -N1 -p shared --exclusive --mckernel=uti=yes true
restore_conf

# --- a uti = yes default without mcexec_uti is a configuration error
mkdir -p "$TC_ROOT/etc/uti-test"
T=$TC_ROOT/etc/uti-test
{ cat "$CONF_SAVED"; echo "uti = yes"; } >"$T/uti-default.conf"
out=$(on_node node1 "$MCKCTL" config --check "$T/uti-default.conf" 2>&1); rc=$?
ok "mckctl config --check refuses uti = yes without mcexec_uti (rc $rc)" test "$rc" -ne 0
ok "and says what to set" grep -q "uti-default.conf:[0-9]*: uti = yes but mcexec_uti = no .*set uti = no, or mcexec_uti = yes if that mcexec is built with UTI" <<<"$out" || diag "$out"
{ cat "$CONF_SAVED"; printf 'uti = yes\nmcexec_uti = yes\n'; } >"$T/uti-ok.conf"
on_node node1 "$MCKCTL" config --check "$T/uti-ok.conf" >/dev/null 2>&1
ok "with mcexec_uti = yes it passes" test $? -eq 0
add_conf "uti = yes"
refused "a uti = yes default without mcexec_uti fails every submission (fail closed)" \
	"uti = yes but mcexec_uti = no" srun -N1 --mckernel true
restore_conf

# --- mckctl prereq holds mcexec_uti = yes against the binary
printf '\177ELF mcexec --enable-uti ERROR: uti is not available when not configured with --with-syscall_intercept=<path>\n' >"$T/mcexec-plain"
printf '\177ELF mcexec --enable-uti --uti-thread-rank\n' >"$T/mcexec-uti"
chmod 0755 "$T/mcexec-plain" "$T/mcexec-uti"
for b in plain uti; do
	{ grep -v '^mcexec *=' "$CONF_SAVED"; printf 'mcexec = %s\nmcexec_uti = yes\n' "$T/mcexec-$b"; } >"$T/prereq-$b.conf"
done
out=$(on_node node1 "$MCKCTL" --config "$T/prereq-plain.conf" prereq 2>&1); rc=$?
ok "prereq: mcexec_uti = yes with an mcexec built without UTI fails (rc $rc)" test "$rc" -eq 1
ok "prereq: one line saying what to change" grep -q "^mcexec $T/mcexec-plain: built without UTI .*set mcexec_uti = no, or install a McKernel built with UTI" <<<"$out" || diag "$out"
out=$(on_node node1 "$MCKCTL" --config "$T/prereq-uti.conf" prereq --verbose 2>&1)
ok "prereq: mcexec_uti = yes with a UTI build is fine" grep -q "^ok: mcexec_uti = yes; mcexec $T/mcexec-uti is built with UTI" <<<"$out" || diag "$out"
ok "prereq: no UTI problem then" test -z "$(grep "^mcexec .*UTI" <<<"$out")"

# --- IHK reserves at most 95% of a NUMA node
CAP="is above 0.95: IHK reserves at most 95% of a NUMA node's memory"
add_conf "max_mem_fraction = 0.95"
refused "srun --mckernel=mem=0.96" "--mckernel: mem=0.96 $CAP; ask for at most mem=0.95" srun -N1 --mckernel=mem=0.96 true
printf '#!/bin/sh\n#SBATCH -N1\n#SBATCH --mckernel=mem=0.99\ntrue\n' >"$TC_SHARE/part-mem-cap.sh"
chmod 0644 "$TC_SHARE/part-mem-cap.sh"
refused "#SBATCH --mckernel=mem=0.99" "--mckernel: mem=0.99 $CAP" sbatch part-mem-cap.sh
accepted "mem=0.95 within max_mem_fraction = 0.95" srun --test-only -N1 --mckernel=mem=0.95 true
restore_conf
add_conf "max_mem_fraction = 0.96"
refused "an operator's max_mem_fraction = 0.96 fails every submission (fail closed)" \
	"max_mem_fraction = 0.96 $CAP" srun -N1 --mckernel true
restore_conf
sed 's/^mem_fraction *=.*/mem_fraction = 0.97/' "$CONF_SAVED" >"$T/mem.conf"
out=$(on_node node1 "$MCKCTL" config --check "$T/mem.conf" 2>&1); rc=$?
ok "mckctl config --check refuses mem_fraction = 0.97 (rc $rc)" test "$rc" -ne 0 -a -n "$(grep -F "mem_fraction = 0.97 $CAP" <<<"$out")"

ok "no job left" wait_no_jobs 60
ok "nodes are clean" wait_clean 60
done_testing
