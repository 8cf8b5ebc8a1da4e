#!/bin/sh
# cluster-launch.sh N: run inside `salloc -N2 --mckernel` (instances booted).
# N rounds of `srun -N2 -n4 --mckernel true` and `srun -N2 -n4 true`
# (without the job's --mckernel option in the environment, so the step is
# not wrapped), alternating which goes first; prints "mck US" / "plain US".
# Then slurmstepd's peak RSS in a wrapped and an unwrapped step.
n=${1:-10}
plain() { env -u _SLURM_SPANK_OPTION_mckernel_mckernel \
	-u SLURM_SPANK__SLURM_SPANK_OPTION_mckernel_mckernel srun "$@"; }
mck() { srun --mckernel "$@"; }
us() { echo $(( $(date +%s%N) / 1000 )); }
one() { # one KIND
	t0=$(us)
	"$1" -N2 -n4 true || exit 1
	echo "$1 $(( $(us) - t0 ))"
}
mck -N2 -n4 true && plain -N2 -n4 true || exit 1	# warm-up
i=0
while [ "$i" -lt "$n" ]; do
	if [ $((i % 2)) -eq 0 ]; then one mck; one plain; else one plain; one mck; fi
	i=$((i + 1))
done
mck -N2 -n4 ./stepd-hwm.sh | sed 's/^hwm/hwm-mck/'
plain -N2 -n4 ./stepd-hwm.sh | sed 's/^hwm/hwm-plain/'
