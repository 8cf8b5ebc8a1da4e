#!/bin/bash
# What the node tells (issue 13): the user's one boot line per job on the
# first --mckernel step's error output (not per rank, not per step, none
# with quiet), mckctl status --json and mckctl metrics on a node, and
# reservation = keep: kept between --mckernel jobs, given back by the
# prologue of a job without --mckernel.
. "$(dirname "$0")/lib.sh"

save_conf node-tells
trap restore_conf EXIT
N=$(echo "$TC_NODE_NAMES" | wc -w)
ok "cluster starts clean" wait_clean 60
boot_lines() { grep -c '^mckernel: .* McKernel booted in [0-9.]* s.*, [0-9]* CPUs, .* per node; kernel messages: ' "$1"; }

# one line for the whole job, whatever the ranks
as_user srun -N"$N" -n$((2 * N)) --mckernel true >"$TC_SHARE/tell.out" 2>"$TC_SHARE/tell.err"
ok "a --mckernel job of $N nodes, $((2 * N)) ranks" test $? -eq 0
is "$(boot_lines "$TC_SHARE/tell.err")" 1 "exactly one boot line on its error output"
ok "it names the nodes, the longest boot, the CPUs and memory, the kmsg file ($(head -c 300 "$TC_SHARE/tell.err"))" \
	grep -q "^mckernel: $N nodes: McKernel booted in [0-9.]* s (max), 6 CPUs, 2 x 2.0 GiB per node; kernel messages: /var/lib/slurm-mckernel/kmsg/[0-9]*\.kmsg$" "$TC_SHARE/tell.err"

# a batch job with two steps: the first one tells, the second does not
cat >"$TC_SHARE/tell-two.sh" <<'SCRIPT'
#!/bin/bash
srun --mckernel true
srun --mckernel true
SCRIPT
chmod 0755 "$TC_SHARE/tell-two.sh"
as_user sbatch --wait -N"$N" --mckernel -o tell-two.out -e tell-two.err tell-two.sh >/dev/null
ok "sbatch --mckernel with two steps" test $? -eq 0
is "$(boot_lines "$TC_SHARE/tell-two.err")" 1 "one boot line for the job, not one per step"

as_user srun -N"$N" --mckernel=quiet true 2>"$TC_SHARE/tell.err"
is "$(boot_lines "$TC_SHARE/tell.err")" 0 "--mckernel=quiet: no line"
as_user env SLURM_MCKERNEL_QUIET=1 srun -N"$N" --mckernel true 2>"$TC_SHARE/tell.err"
is "$(boot_lines "$TC_SHARE/tell.err")" 0 "SLURM_MCKERNEL_QUIET=1: no line"
as_user srun -N"$N" true 2>"$TC_SHARE/tell.err"
is "$(boot_lines "$TC_SHARE/tell.err")" 0 "a job without --mckernel: no line"
add_conf "boot_report = no"
as_user srun -N"$N" --mckernel true 2>"$TC_SHARE/tell.err"
is "$(boot_lines "$TC_SHARE/tell.err")" 0 "boot_report = no: no line"
as_user srun -N"$N" --mckernel=quiet=no true 2>"$TC_SHARE/tell.err"
is "$(boot_lines "$TC_SHARE/tell.err")" 1 "boot_report = no, --mckernel=quiet=no: the line"
restore_conf

# the operator's view of a node
on_node node1 "$TC_BUILD/lwk/mckctl" status --json >"$TC_SHARE/status.json"
ok "mckctl status --json on a node: valid JSON, nothing held" python3 -c \
	'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if d["instances"] == [] and d["jobs"] == [] else 1)' \
	"$TC_SHARE/status.json"
metrics_ok() {
	on_node node1 "$TC_BUILD/lwk/mckctl" metrics --output /tmp/m.prom &&
		on_node node1 grep -q '^slurm_mckernel_boots_total [1-9]' /tmp/m.prom &&
		on_node node1 grep -q '^slurm_mckernel_last_boot_seconds{job="[0-9]*"} ' /tmp/m.prom
}
ok "mckctl metrics on a node: boots counted, the last boot's time" metrics_ok

# reservation = keep between jobs; a job without --mckernel takes it back
add_conf "reservation = keep"
as_user srun -N"$N" --mckernel true >/dev/null 2>&1
ok "keep: wait for the epilogues" wait_clean 60
for n in $TC_NODE_NAMES; do
	ok "keep: $n kept its reservation" test -f "$(node_state "$n")/kept"
done
as_user srun -N"$N" --mckernel true >/dev/null 2>&1
ok "keep: the next --mckernel job runs" test $? -eq 0
wait_clean 60
ok "keep: it reused the kept reservation" \
	grep -q "kept reservation of job [0-9]* reused" "$(node_state node1)/log/lifecycle.log"
as_user srun -N"$N" true >/dev/null 2>&1
ok "keep: a job without --mckernel runs" test $? -eq 0
for n in $TC_NODE_NAMES; do
	st=$(on_node "$n" "$TC_BUILD/lwk/mckctl" status 2>&1)
	grep -q '^kept reservation: none$' <<<"$st" && grep -q '^reserved cpus: none$' <<<"$st"
	ok "keep: its prologue gave $n's reservation back to Linux" test $? -eq 0
done
done_testing
