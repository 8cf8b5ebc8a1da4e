#!/bin/sh
# Submit side with the real Slurm client commands (no controller needed):
# --mckernel is listed by srun/sbatch/salloc --help with its keys, bad
# values (unknown key, malformed value, outside the operator's limits of
# the config= file, global or of the partition the client parsed from -p,
# --partition, #SBATCH -p or its *_PARTITION variable) are refused at
# submit time with the plugin's message, bad plugstack arguments too.
# Without a controller the default partition is unknown: global rules.
set -u
: "${top_builddir:=.}"
# shellcheck disable=SC1091
. "${top_srcdir:?run me through make check}/tests/tap.sh"
for c in srun sbatch salloc; do
	command -v $c >/dev/null || { echo "# SKIP: $c not installed (slurm-client)"; exit 77; }
done
so=$(cd "$top_builddir/spank-plugin/.libs" && pwd)/spank_mckernel.so
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cat >"$T/slurm.conf" <<CONF
ClusterName=mcktest
SlurmctldHost=localhost
SlurmctldPort=1
PlugStackConfig=$T/plugstack.conf
NodeName=n1 CPUs=1 State=UNKNOWN
PartitionName=p Nodes=n1 Default=YES
MessageTimeout=1
CONF
echo "required $so" >"$T/plugstack.conf"
export SLURM_CONF="$T/slurm.conf"
unset SLURM_JOB_ID SPANK__SLURM_SPANK_OPTION_mckernel_mckernel _SLURM_SPANK_OPTION_mckernel_mckernel

for c in srun sbatch salloc; do
	$c --help >"$T/help" 2>&1
	grep -q -- '--mckernel' "$T/help"; t $? "$c --help lists --mckernel"
	grep -q 'mpol_threshold=SIZE' "$T/help"; t $? "$c --help lists the keys"
done

cat >"$T/mckernel.conf" <<MCONF
user_keys = mem, smt, procs, mpol_threshold
max_mem_fraction = 0.7
max_procs_per_node = 8
[partition p2]
user_keys = mem
max_mem_fraction = 0.5
MCONF
echo "required $so config=$T/mckernel.conf" >"$T/plugstack.conf"

timeout 20 srun --mckernel=bogus=1 true >"$T/out" 2>&1; rc=$?
[ $rc != 0 ] && [ $rc != 124 ]; t $? "srun --mckernel=bogus=1 is refused at once (rc $rc)"
grep -q "spank_mckernel: --mckernel: unknown key 'bogus' (in 'bogus=1'): keys are mem, linux_cores" "$T/out"; t $? "srun: message names the key and the keys"
timeout 20 sbatch --mckernel=yes --wrap true >"$T/out" 2>&1; rc=$?
[ $rc != 0 ] && [ $rc != 124 ]; t $? "sbatch --mckernel=yes is refused at once (rc $rc)"
grep -q "spank_mckernel: --mckernel: 'yes' is not KEY=VALUE; keys are mem" "$T/out"; t $? "sbatch: message says what is wrong"
printf '#!/bin/sh\n#SBATCH --mckernel=a=b\ntrue\n' >"$T/job.sh"
timeout 20 sbatch "$T/job.sh" >"$T/out" 2>&1; rc=$?
grep -q "unknown key 'a'" "$T/out"; t $? "#SBATCH --mckernel=a=b is refused too (rc $rc)"
timeout 20 salloc --mckernel=smt=two true >"$T/out" 2>&1; rc=$?
grep -q "smt='two' is not valid: expected all or one" "$T/out"; t $? "salloc: a malformed value is refused with what is allowed (rc $rc)"
timeout 20 srun --mckernel=mem=0.8 true >"$T/out" 2>&1; rc=$?
grep -q "mem=0.8 is above the limit of this cluster (no partition section): max_mem_fraction = 0.7" "$T/out"; t $? "srun: a value above the operator's limit is refused (rc $rc)"
timeout 20 srun --mckernel=uti=yes true >"$T/out" 2>&1; rc=$?
grep -q "key 'uti' may not be set by users on this cluster (no partition section) (allowed: mem, smt, procs, mpol_threshold)" "$T/out"; t $? "srun: a key the operator does not allow is refused (rc $rc)"
SBATCH_PARTITION=p2 timeout 20 sbatch --mckernel=mem=0.6 --wrap true >"$T/out" 2>&1; rc=$?
grep -q "mem=0.6 is above the limit of partition p2: max_mem_fraction = 0.5" "$T/out"; t $? "sbatch: the partition named by SBATCH_PARTITION decides (rc $rc)"
SLURM_PARTITION=p2 timeout 20 srun --mckernel=smt=one true >"$T/out" 2>&1; rc=$?
grep -q "key 'smt' may not be set by users on partition p2 (allowed: mem)" "$T/out"; t $? "srun: the partition named by SLURM_PARTITION decides (rc $rc)"
# issue 10 item 5: the partition the client parsed, in every spelling
for args in "-p p2" "-pp2" "--partition=p2" "--partition p2" "--part=p2"; do
	# shellcheck disable=SC2086
	timeout 20 srun $args --mckernel=smt=one true >"$T/out" 2>&1; rc=$?
	grep -q "key 'smt' may not be set by users on partition p2 (allowed: mem)" "$T/out"; t $? "srun $args: that partition decides (rc $rc)"
done
timeout 20 sbatch -p p2 --mckernel=mem=0.6 --wrap true >"$T/out" 2>&1; rc=$?
grep -q "mem=0.6 is above the limit of partition p2: max_mem_fraction = 0.5" "$T/out"; t $? "sbatch -p: that partition decides (rc $rc)"
printf '#!/bin/sh\n#SBATCH --partition=p2\n#SBATCH --mckernel=mem=0.6\ntrue\n' >"$T/job-p2.sh"
timeout 20 sbatch "$T/job-p2.sh" >"$T/out" 2>&1; rc=$?
grep -q "mem=0.6 is above the limit of partition p2" "$T/out"; t $? "#SBATCH --partition: that partition decides (rc $rc)"
SALLOC_PARTITION=p2 timeout 20 salloc --mckernel=smt=one true >"$T/out" 2>&1; rc=$?
grep -q "key 'smt' may not be set by users on partition p2" "$T/out"; t $? "salloc: SALLOC_PARTITION decides (rc $rc)"
SBATCH_PARTITION=p2 timeout 20 sbatch -p p --mckernel=smt=one --wrap true >"$T/out" 2>&1; rc=$?
grep -q "spank_mckernel" "$T/out"; [ $? != 0 ]; t $? "sbatch: -p wins over SBATCH_PARTITION, as in Slurm (rc $rc)"
timeout 20 srun -p p,p2 --mckernel=smt=one true >"$T/out" 2>&1; rc=$?
grep -q "key 'smt' may not be set by users on partition p2" "$T/out"; t $? "srun -p p,p2: every partition of the list must allow it (rc $rc)"
timeout 20 srun --mckernel='mem=$(touch /tmp/pwned-submit)' true >"$T/out" 2>&1; rc=$?
grep -q "mem='\$(touch /tmp/pwned-submit)' is not valid" "$T/out" && [ ! -e /tmp/pwned-submit ]; t $? "shell text is refused, not run (rc $rc)"
timeout 20 srun --mckernel=image=/tmp/x.img true >"$T/out" 2>&1; rc=$?
grep -q "unknown key 'image'" "$T/out"; t $? "users cannot name an image (rc $rc)"
echo "required $so config=$T/missing.conf" >"$T/plugstack.conf"
timeout 20 srun --mckernel true >"$T/out" 2>&1; rc=$?
[ $rc != 0 ] && grep -q "spank_mckernel: .*missing.conf" "$T/out"; t $? "a config= file that cannot be read fails closed (rc $rc)"

echo "required $so bogus=1" >"$T/plugstack.conf"
timeout 20 srun --mckernel true >"$T/out" 2>&1; rc=$?
grep -q "spank_mckernel: plugstack.conf: unknown argument 'bogus=1'" "$T/out"; t $? "an unknown plugstack argument is an error (rc $rc)"
tap_plan
