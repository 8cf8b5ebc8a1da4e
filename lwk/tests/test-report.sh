#!/bin/sh
# test-report: what a node tells its operator: mckctl status --json, mckctl
# metrics (node exporter's textfile format, written atomically, counts of
# boots, failures by reason, teardowns, drains, the kept reservation) and
# the lifecycle's boot line, against the IHK double.
. "$top_srcdir/lwk/tests/lib.sh"

m() { "$MCKCTL" --config "$CONF" "$@"; }
json() { # json EXPR: EXPR (python, d = the object) holds for m status --json
	m status --json > "$T/json" || return 1
	python3 -c "import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if ($1) else 1)" "$T/json"
}
# A textfile node exporter accepts: HELP and TYPE before each family's
# samples, "name{labels} value" lines, no timestamps, a final newline.
valid_prom() {
	python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
assert text.endswith("\n"), "no final newline"
typed, seen = {}, set()
for line in text.splitlines():
    if line.startswith("# HELP "):
        continue
    m = re.match(r"# TYPE (slurm_mckernel_[a-z_]+) (counter|gauge)$", line)
    if m:
        assert m.group(1) not in typed, "TYPE twice: " + line
        typed[m.group(1)] = m.group(2)
        continue
    m = re.match(r'(slurm_mckernel_[a-z_]+)(\{[a-z_]+="[^"\n]*"\})? (-?[0-9.e+]+)$', line)
    assert m, "not a sample: " + line
    assert m.group(1) in typed, "sample before its TYPE: " + line
    assert typed[m.group(1)] != "counter" or m.group(1).endswith("_total"), line
PY
}
sample() { grep -x "slurm_mckernel_$1 $2" "$T/m.prom" > /dev/null; }

export SLURM_JOB_ID=42
json 'd["instances"] == [] and d["kept"] is None and d["jobs"] == [] and d["reserved"]["cpus"] == ""'
t $? "status --json: a fresh node holds nothing"
m --partition lwk boot --job 42 --uid 1001 --gid 1001 > /dev/null 2>&1; t $? "boot job 42"
json 'd["instances"][0]["status"] == "RUNNING" and d["instances"][0]["job"] == 42 and d["instances"][0]["owner_uid"] == 1001'
t $? "status --json: the RUNNING instance, its job and owner"
json 'd["jobs"][0]["job"] == 42 and d["jobs"][0]["state"] == "running" and d["jobs"][0]["partition"] == "lwk" and d["jobs"][0]["cpus"] == d["instances"][0]["cpus"]'
t $? "status --json: the job record"
grep "job 42: boot ok: instance 0 RUNNING; job 42; partition lwk; plan cpus " "$STATE/log/lifecycle.log" |
	grep -q "; reservation reserved; steps recovery=.*, ihk_reserve_mem=.*, ihk_os_boot=.*; total [0-9.]* ms$"
t $? "lifecycle.log: one boot line with job, partition, plan and every step's time"
m teardown --job 42 > /dev/null 2>&1; t $? "teardown job 42"

m metrics --output "$T/m.prom"; t $? "metrics --output"
valid_prom "$T/m.prom"; t $? "metrics: node exporter's textfile format"
sample boots_total 1 && sample teardowns_total 1 && sample drains_total 0 &&
	grep -q '^slurm_mckernel_last_boot_seconds{job="42"} [0-9.e-]*$' "$T/m.prom" &&
	grep -q '^slurm_mckernel_last_teardown_seconds{job="42"} [0-9.e-]*$' "$T/m.prom"
t $? "metrics: a boot, a teardown, their durations by job"
sample instances 0 && sample kept_reservation_cpus 0; t $? "metrics: no instance, nothing kept"

IHK_DOUBLE_FAULT=ihk_create_os:EINVAL:always m boot --job 43 --uid 1001 --gid 1001 > /dev/null 2>&1
m teardown --job 43 > /dev/null 2>&1
m metrics --output "$T/m.prom" && sample 'boot_failures_total{reason="ihk_create_os"}' 1 && sample boots_total 1
t $? "metrics: a failed boot counted by the step that failed"

# reservation = keep: the kept reservation is a gauge and in status --json
printf '[partition lwk]\nreservation = keep\n' >> "$CONF"
m --partition lwk boot --job 44 --uid 1001 --gid 1001 > /dev/null 2>&1 &&
	m teardown --job 44 > /dev/null 2>&1 && m --partition lwk boot --job 45 --uid 1001 --gid 1001 > /dev/null 2>&1 &&
	m teardown --job 45 > /dev/null 2>&1
t $? "two jobs with reservation = keep"
json 'd["kept"]["valid"] and d["kept"]["job"] == 45 and d["kept"]["partition"] == "lwk" and d["reserved"]["cpus"] == d["kept"]["cpus"]'
t $? "status --json: the kept reservation, valid"
m metrics --output "$T/m.prom" && sample reservations_reused_total 1 && sample kept_reservation_cpus 6 &&
	grep -q '^slurm_mckernel_kept_reservation_bytes [1-9][0-9]*$' "$T/m.prom"
t $? "metrics: the reuse counted, the kept CPUs and bytes"
grep -q "job 45: boot ok: .*; reservation kept from an earlier job; steps " "$STATE/log/lifecycle.log"
t $? "lifecycle.log: the boot line says the reservation was kept"
m release > /dev/null 2>&1 && m check; t $? "release: node clean"

# metrics_file: boots and teardowns rewrite it when its directory exists
mkdir -p "$T/textfile"
printf 'metrics_file = %s\n' "$T/textfile/slurm_mckernel.prom" > "$T/conf2"
cat "$CONF" >> "$T/conf2"
mv "$T/conf2" "$CONF"
m boot --job 46 --uid 1001 --gid 1001 > /dev/null 2>&1 && grep -qx 'slurm_mckernel_instances 1' "$T/textfile/slurm_mckernel.prom"
t $? "metrics_file rewritten by the boot"
m teardown --job 46 > /dev/null 2>&1 && grep -qx 'slurm_mckernel_teardowns_total 5' "$T/textfile/slurm_mckernel.prom"
t $? "metrics_file rewritten by the teardown"
left=$(find "$T/textfile" -mindepth 1 ! -name slurm_mckernel.prom)
test -z "$left"; t $? "no temporary file left beside it"
m metrics --output relative.prom 2> "$T/err"; test $? -eq 1 && grep -q "absolute path" "$T/err"
t $? "metrics --output needs an absolute path"
test -z "$(strict_kills)"; t $? "no caller killed by the strict double"

finish
