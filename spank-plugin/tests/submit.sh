#!/bin/sh
# Submit side with the real Slurm client commands (no controller needed):
# --mckernel is listed by srun/sbatch/salloc --help, bad values are refused
# at submit time with the plugin's message, bad plugstack arguments too.
set -u
: "${top_builddir:=.}"
n=0 failed=0
t() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
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
CONF
echo "required $so" >"$T/plugstack.conf"
export SLURM_CONF="$T/slurm.conf"
unset SLURM_JOB_ID SPANK__SLURM_SPANK_OPTION_mckernel_mckernel _SLURM_SPANK_OPTION_mckernel_mckernel

for c in srun sbatch salloc; do
	$c --help >"$T/help" 2>&1
	grep -q -- '--mckernel' "$T/help"; t $? "$c --help lists --mckernel"
done

timeout 20 srun --mckernel=mem=1 true >"$T/out" 2>&1; rc=$?
[ $rc != 0 ] && [ $rc != 124 ]; t $? "srun --mckernel=mem=1 is refused at once (rc $rc)"
grep -q "spank_mckernel: --mckernel: unknown setting 'mem' in 'mem=1'" "$T/out"; t $? "srun: message names the setting"
timeout 20 sbatch --mckernel=yes --wrap true >"$T/out" 2>&1; rc=$?
[ $rc != 0 ] && [ $rc != 124 ]; t $? "sbatch --mckernel=yes is refused at once (rc $rc)"
grep -q "spank_mckernel: --mckernel: 'yes' is not KEY=VALUE" "$T/out"; t $? "sbatch: message says what is wrong"
printf '#!/bin/sh\n#SBATCH --mckernel=a=b\ntrue\n' >"$T/job.sh"
timeout 20 sbatch "$T/job.sh" >"$T/out" 2>&1; rc=$?
grep -q "unknown setting 'a'" "$T/out"; t $? "#SBATCH --mckernel=a=b is refused too (rc $rc)"
timeout 20 salloc --mckernel=x=1 true >"$T/out" 2>&1; rc=$?
grep -q "unknown setting 'x'" "$T/out"; t $? "salloc --mckernel=x=1 is refused (rc $rc)"

echo "required $so bogus=1" >"$T/plugstack.conf"
timeout 20 srun --mckernel true >"$T/out" 2>&1; rc=$?
grep -q "spank_mckernel: plugstack.conf: unknown argument 'bogus=1'" "$T/out"; t $? "an unknown plugstack argument is an error (rc $rc)"
echo "1..$n"
[ $failed = 0 ]
