#!/bin/bash
# Issue 7 items 1, 3, 4: ranks of a --mckernel step get the operator's
# environment list (PMIX_MCA_gds=hash by default, plus a partition entry),
# OMP_NUM_THREADS = their share of the LWK CPUs unless the user set it,
# and their mcexec proxy runs on Linux CPUs of the partition only; a plain
# job gets none of it.
. "$(dirname "$0")/lib.sh"

CONF=$TC_ROOT/etc/mckernel.conf
cp "$CONF" "$TC_ROOT/etc/mckernel.conf.0700"
trap 'mv -f "$TC_ROOT/etc/mckernel.conf.0700" "$CONF"' EXIT

# Each rank prints what it got; the job record names the LWK and Linux CPUs.
cat >"$TC_SHARE/rank-env.sh" <<SCRIPT
#!/bin/sh
rec=$TC_NODE_STATE/jobs/\$SLURM_JOB_ID.job
echo "ENV node=\$SLURMD_NODENAME rank=\$SLURM_PROCID gds=\${PMIX_MCA_gds-unset} site=\${MCK_TEST_SITE-unset} omp=\${OMP_NUM_THREADS-unset} proxy=\$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/\$PPID/status) linux=\$(sed -n 's/^linux_cpus=//p' \$rec 2>/dev/null) lwk=\$(sed -n 's/^cpus=//p' \$rec 2>/dev/null) parent=\$(cat /proc/\$PPID/comm)"
SCRIPT
chmod 0755 "$TC_SHARE/rank-env.sh"

expand() { # CPU list -> one CPU a line
	local IFS=, p
	for p in $1; do
		case $p in *-*) seq "${p%-*}" "${p#*-}" ;; "") ;; *) echo "$p" ;; esac
	done
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

ok "cluster starts clean" wait_clean 30
printf '[partition mck]\nenv = MCK_TEST_SITE=yes\n' >>"$CONF"

# --- --mckernel step: 2 ranks per node
out=$(as_user env -u OMP_NUM_THREADS -u PMIX_MCA_gds srun -N2 -n4 --mckernel ./rank-env.sh 2>&1)
is "$?" 0 "srun --mckernel -N2 -n4 exits 0"
echo "$out" | sed 's/^/#   /'
lines=$(echo "$out" | grep '^ENV ')
is "$(echo "$lines" | grep -c 'parent=mcexec$')" 4 "4 ranks ran under mcexec"
is "$(echo "$lines" | grep -c ' gds=hash ')" 4 "every rank has PMIX_MCA_gds=hash (built-in default)"
is "$(echo "$lines" | grep -c ' site=yes ')" 4 "every rank has the partition's env entry"
while read -r l; do
	[ -n "$l" ] || continue
	r=$(echo "$l" | field rank)
	nlwk=$(expand "$(echo "$l" | field lwk)" | wc -l)
	ok "rank $r: the job record lists LWK CPUs ($nlwk)" test "$nlwk" -gt 0
	is "$(echo "$l" | field omp)" "$((nlwk / 2 > 0 ? nlwk / 2 : 1))" "rank $r: OMP_NUM_THREADS = $nlwk LWK CPUs / 2 ranks"
	linux=$(expand "$(echo "$l" | field linux)")
	proxy=$(expand "$(echo "$l" | field proxy)")
	ok "rank $r: the proxy has CPUs ($(echo $proxy))" test -n "$proxy"
	bad=$(comm -23 <(echo "$proxy" | sort) <(echo "$linux" | sort) | tr '\n' ' ')
	is "$bad" "" "rank $r: the proxy runs only on the partition's Linux CPUs ($(echo $linux))"
	lwkbad=$(comm -12 <(echo "$proxy" | sort) <(expand "$(echo "$l" | field lwk)" | sort) | tr '\n' ' ')
	is "$lwkbad" "" "rank $r: the proxy is on no LWK CPU"
done <<<"$lines"

# --- the user's OMP_NUM_THREADS wins
out=$(as_user env OMP_NUM_THREADS=7 srun -N2 -n2 --mckernel ./rank-env.sh 2>&1)
is "$(echo "$out" | grep '^ENV ' | field omp | sort -u)" 7 "a user's OMP_NUM_THREADS is kept"

# --- a plain job gets nothing
out=$(as_user env -u OMP_NUM_THREADS -u PMIX_MCA_gds srun -N2 -n2 ./rank-env.sh 2>&1)
is "$?" 0 "plain srun exits 0"
lines=$(echo "$out" | grep '^ENV ')
is "$(echo "$lines" | grep -c ' gds=unset site=unset omp=unset ')" 2 "plain ranks see no McKernel environment"
is "$(echo "$lines" | grep -c 'parent=mcexec$')" 0 "plain ranks do not run under mcexec"

ok "no job left" wait_no_jobs 60
ok "nodes are clean" wait_clean 60
done_testing
