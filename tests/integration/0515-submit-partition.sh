#!/bin/bash
# Issue 10 item 5, as the non-root test user: srun, sbatch and salloc check
# --mckernel against the rules of the partition the job really gets, and a
# refusal happens before slurmctld ever sees a job: the partition named by
# -p/--partition (any spelling), #SBATCH -p, SLURM_/SBATCH_/SALLOC_PARTITION,
# every partition of a list, the cluster's default partition (mck) when
# none is given, and for srun inside an allocation the job's partition as
# slurmctld knows it (not SLURM_JOB_PARTITION, which the user can change).
. "$(dirname "$0")/lib.sh"

save_conf 0515
trap 'mv -f "$CONF_SAVED" "$CONF"; rm -f "$TC_SHARE"/part-*' EXIT

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
ok "no job left" wait_no_jobs 60
ok "nodes are clean" wait_clean 60
done_testing
