#!/bin/bash
# Issue 7 item 6: scancel and a time limit end the ranks and their mcexec
# proxies, and the epilogue leaves the nodes clean.
. "$(dirname "$0")/lib.sh"

write_sleep_step long-step.sh

gone() { # gone JOB: no proxy nor program of JOB's ranks is alive
	local n
	for n in $TC_NODE_NAMES; do live_on "$n" "$1" && return 1; done
	return 0
}
ended() { # ended JOB: every rank record has its end
	local n
	for n in $TC_NODE_NAMES; do ended_on "$n" "$1" || return 1; done
	return 0
}

ok "cluster starts clean" wait_clean 30

# --- scancel
job=$(as_user sbatch --mckernel -N2 --parsable -o long-%j.out long-step.sh | cut -d';' -f1)
ok "scancel: ranks of job $job run on both nodes" wait_ranks "$job"
as_user scancel "$job"
ok "scancel: the job is gone" wait_no_jobs 60
ok "scancel: no proxy or rank process of job $job is left" gone "$job"
ok "scancel: every rank record of job $job ended (signal or exit recorded)" ended "$job"
ok "scancel: nodes are clean" wait_clean 60
for n in $TC_NODE_NAMES; do
	is "$(destroys "$n" "$job")" 1 "scancel: $n destroyed the instance of job $job"
done

# --- time limit (1 minute, the smallest Slurm has)
job=$(as_user sbatch --mckernel -N2 -t 1 --parsable -o long-%j.out long-step.sh | cut -d';' -f1)
ok "time limit: ranks of job $job run on both nodes" wait_ranks "$job"
ok "time limit: the job ends by itself" wait_no_jobs 180
ok "time limit: no proxy or rank process of job $job is left" gone "$job"
ok "time limit: nodes are clean" wait_clean 60
ok "time limit: the job hit its limit" grep -q "DUE TO TIME LIMIT" "$TC_SHARE/long-$job.out"
for n in $TC_NODE_NAMES; do
	is "$(destroys "$n" "$job")" 1 "time limit: $n destroyed the instance of job $job"
done
done_testing
