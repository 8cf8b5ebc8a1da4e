#!/bin/sh
# scale-rank.sh: one rank of a bench-scale job: prints when it started and
# when it ends (nanoseconds since the epoch), with its job and node.
s=$(date +%s%N)
echo "rank ${SLURM_JOB_ID:-0} ${SLURMD_NODENAME:-?} $s $(date +%s%N)"
