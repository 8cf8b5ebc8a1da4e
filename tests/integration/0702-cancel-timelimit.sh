#!/bin/bash
# Issue 7 item 6: scancel and a time limit end the ranks and their mcexec
# proxies, and the epilogue leaves the nodes clean.
. "$(dirname "$0")/lib.sh"

cat >"$TC_SHARE/long-step.sh" <<'SCRIPT'
#!/bin/bash
srun --mckernel -n2 sleep 600
SCRIPT
chmod 0755 "$TC_SHARE/long-step.sh"

recs_of() { grep -l "^job=$2$" "$(node_double "$1")"/mcexec/*.rec 2>/dev/null; }
wait_ranks() { # wait_ranks JOB: both nodes run a rank of JOB
	local i n all
	for i in $(seq 60); do
		all=1
		for n in $TC_NODE_NAMES; do [ -n "$(recs_of "$n" "$1")" ] || all=0; done
		[ $all = 1 ] && return 0
		sleep 1
	done
	return 1
}
gone() { # gone JOB: no proxy nor program of JOB's ranks is alive
	local n r pid
	for n in $TC_NODE_NAMES; do
		for r in $(recs_of "$n" "$1"); do
			for pid in $(sed -n 's/^pid=//p; s/^child=//p' "$r"); do
				kill -0 "$pid" 2>/dev/null && return 1
			done
		done
	done
	return 0
}
ended() { # ended JOB: every rank record has its end
	local n r
	for n in $TC_NODE_NAMES; do
		for r in $(recs_of "$n" "$1"); do grep -q '^end=' "$r" || return 1; done
	done
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
	is "$(grep "job=$job " "$(node_double "$n")/events.log" | grep -c "call=destroy_os .*rc=0")" 1 "scancel: $n destroyed the instance of job $job"
done

# --- time limit (1 minute, the smallest Slurm has)
job=$(as_user sbatch --mckernel -N2 -t 1 --parsable -o long-%j.out long-step.sh | cut -d';' -f1)
ok "time limit: ranks of job $job run on both nodes" wait_ranks "$job"
ok "time limit: the job ends by itself" wait_no_jobs 180
ok "time limit: no proxy or rank process of job $job is left" gone "$job"
ok "time limit: nodes are clean" wait_clean 60
ok "time limit: the job hit its limit" grep -q "DUE TO TIME LIMIT" "$TC_SHARE/long-$job.out"
for n in $TC_NODE_NAMES; do
	is "$(grep "job=$job " "$(node_double "$n")/events.log" | grep -c "call=destroy_os .*rc=0")" 1 "time limit: $n destroyed the instance of job $job"
done
done_testing
