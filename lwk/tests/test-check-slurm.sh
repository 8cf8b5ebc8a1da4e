#!/bin/sh
# test-check-slurm: `mckctl check-slurm` against sample slurm.conf files:
# a good one passes silently; each setting that breaks McKernel nodes is
# one line naming it and what to set; errors exit 1, warnings alone 0.
. "$top_srcdir/lwk/tests/lib.sh"

E=$T/etc
mkdir -p "$E"
cp "$CONF" "$E/mckernel.conf"
# boot_timeout 5, shutdown_timeout 1: the prologue's budget (lwk/mck-budget.h)
# is 2 x (teardown 5+1+10 + 5 + 20) + 15 + 5 = 102 s
good() {
	cat > "$E/slurm.conf" <<EOC
# a good McKernel cluster
ClusterName=x
prolog=/opt/sbin/mck-prologue   # keys are case-insensitive
Epilog=/opt/sbin/mck-epilogue
PrologFlags=Contain,X11
PrologEpilogTimeout=150
BatchStartTimeout=120
KillOnBadExit=1
SlurmdParameters=config_overrides
TaskPlugin=task/affinity,task/cgroup
NodeName=n[1-2] CPUs=8 Prolog=/not/a/global/key
PartitionName=mck Nodes=ALL OverSubscribe=EXCLUSIVE
EOC
	printf 'ConstrainCores=no\nConstrainRAMSpace=yes\n' > "$E/cgroup.conf"
	printf '# plugins\noptional /opt/lib/other.so\nrequired /opt/lib/slurm-mckernel/spank_mckernel.so config=/etc/slurm/mckernel.conf\n\n' > "$E/plugstack.conf"
}
cs() { "$MCKCTL" --config "$E/mckernel.conf" check-slurm "$@" > "$T/out" 2> "$T/err"; }
lines() { wc -l < "$T/out" | tr -d ' '; }
# edit SED-SCRIPT: apply to slurm.conf
edit() { sed -i "$1" "$E/slurm.conf"; }

"$MCKCTL" --help | grep -q "^  check-slurm "; t $? "--help lists check-slurm"

good
cs; t $? "good slurm.conf (beside mckernel.conf): exit 0 ($(cat "$T/out" "$T/err"))"
test ! -s "$T/out"; t $? "good slurm.conf: nothing printed"
cp "$E/slurm.conf" "$T/other.conf"
cp "$E/plugstack.conf" "$E/cgroup.conf" "$T/"
edit 's/^PrologFlags=.*/PrologFlags=Serial/'
cs --slurm-conf "$T/other.conf"; t $? "--slurm-conf picks the file to check"
SLURM_CONF=$T/other.conf cs; t $? "\$SLURM_CONF picks the file when --slurm-conf is not given"

# each error alone
good; edit '/^PrologFlags=/d'
cs; test $? -eq 1 && test "$(lines)" = 1 && grep -q "^$E/slurm.conf: error: PrologFlags not set: set PrologFlags=Alloc" "$T/out"
t $? "PrologFlags missing: error ($(cat "$T/out"))"
good; edit 's/^PrologFlags=.*/PrologFlags=Serial,X11/'
cs; test $? -eq 1 && test "$(lines)" = 1 && grep -q "^$E/slurm.conf:5: error: PrologFlags=Serial,X11 lacks Alloc" "$T/out"
t $? "PrologFlags without Alloc/Contain: error with the line number ($(cat "$T/out"))"
good; edit 's|^prolog=.*|Prolog=/etc/slurm/prolog.sh|'
cs; test $? -eq 1 && test "$(lines)" = 1 && grep -q "^$E/slurm.conf:3: error: Prolog=/etc/slurm/prolog.sh does not run mck-prologue: set Prolog=.*/mck-prologue" "$T/out"
t $? "Prolog not mck-prologue: error ($(cat "$T/out"))"
good; edit '/^Epilog=/d'
cs; test $? -eq 1 && test "$(lines)" = 1 && grep -q "error: Epilog not set, does not run mck-epilogue" "$T/out"
t $? "Epilog missing: error ($(cat "$T/out"))"
good; edit 's/^PrologEpilogTimeout=.*/PrologEpilogTimeout=6/'
cs; test $? -eq 1 && test "$(lines)" = 1 && grep -q "error: PrologEpilogTimeout=6 is shorter than the 102 s mck-prologue may need .*boot_timeout = 5 and shutdown_timeout = 1 .*set PrologEpilogTimeout=132" "$T/out"
t $? "PrologEpilogTimeout too short: error ($(cat "$T/out"))"
good; edit 's/^PrologEpilogTimeout=.*/PrologEpilogTimeout=101/'
cs; test $? -eq 1; t $? "PrologEpilogTimeout one second short of the budget: error"
good; edit 's/^PrologEpilogTimeout=.*/PrologEpilogTimeout=102/'
cs; t $? "PrologEpilogTimeout just long enough: no error"
good; edit '/^KillOnBadExit=/d'
cs; test $? -eq 0 && test "$(lines)" = 1 && grep -q "warning: KillOnBadExit not set (0): when McKernel panics or hangs on one node only .*set KillOnBadExit=1" "$T/out"
t $? "KillOnBadExit missing: warning, exit 0 ($(cat "$T/out"))"
good; edit '/^PrologEpilogTimeout=/d'
cs; t $? "PrologEpilogTimeout unset: only a warning, exit 0"
test "$(lines)" = 1 && grep -q "warning: PrologEpilogTimeout not set (unlimited): .*set PrologEpilogTimeout=132" "$T/out"
t $? "PrologEpilogTimeout unset: one warning ($(cat "$T/out"))"
good; edit 's/^SlurmdParameters=.*/SlurmdParameters=shutdown_on_reboot/'
cs; test $? -eq 1 && test "$(lines)" = 1 && grep -q "error: SlurmdParameters lacks config_overrides" "$T/out"
t $? "SlurmdParameters without config_overrides: error ($(cat "$T/out"))"
good; printf 'ConstrainCores=yes\n' > "$E/cgroup.conf"
cs; test $? -eq 1 && test "$(lines)" = 1 && grep -q "^$E/cgroup.conf:1: error: ConstrainCores=yes with TaskPlugin=task/affinity,task/cgroup" "$T/out"
t $? "task/cgroup with ConstrainCores=yes: error in cgroup.conf ($(cat "$T/out"))"
good; printf 'ConstrainCores=yes\n' > "$E/cgroup.conf"; edit 's|^TaskPlugin=.*|TaskPlugin=task/affinity|'
cs; t $? "ConstrainCores=yes without task/cgroup: no error"
good; edit 's|^TaskPlugin=.*|TaskPlugin=task/cgroup|'
cs; t $? "TaskPlugin without task/affinity: warning only, exit 0"
grep -q "warning: TaskPlugin=task/cgroup: add task/affinity" "$T/out"; t $? "TaskPlugin without task/affinity: warned"
good; edit '/^BatchStartTimeout=/d'
cs; test $? -eq 0 && test "$(lines)" = 1 && grep -q "warning: BatchStartTimeout 10 s is shorter than the 102 s mck-prologue may need: .*set BatchStartTimeout=102" "$T/out"
t $? "BatchStartTimeout default 10 < the prologue's 102 s: warning, exit 0 ($(cat "$T/out"))"
good; edit 's/^BatchStartTimeout=.*/BatchStartTimeout=102/'
cs; t $? "BatchStartTimeout of the budget: fine"

# plugstack.conf
good; printf 'optional /opt/lib/slurm-mckernel/spank_mckernel.so\n' > "$E/plugstack.conf"
cs; test $? -eq 1 && grep -q "^$E/plugstack.conf:1: error: spank_mckernel.so is not 'required'" "$T/out"
t $? "plugin optional: error ($(cat "$T/out"))"
good; printf 'required /x/spank_mckernel.so\noptional /x/other.so\n' > "$E/plugstack.conf"
cs; test $? -eq 1 && grep -q "^$E/plugstack.conf:1: error: spank_mckernel.so is not the last plugin (line 2 follows)" "$T/out"
t $? "plugin not last: error ($(cat "$T/out"))"
good; printf 'required /x/other.so\n' > "$E/plugstack.conf"
cs; test $? -eq 1 && grep -q "^$E/plugstack.conf: error: no spank_mckernel.so line" "$T/out"
t $? "no plugin line: error"
good; printf 'required /x/spank_mckernel.so\n' > "$T/ps.conf"; echo "PlugStackConfig=$T/ps.conf" >> "$E/slurm.conf"; rm "$E/plugstack.conf"
cs; t $? "PlugStackConfig names the plugstack.conf to read ($(cat "$T/out"))"
good; rm "$E/plugstack.conf"
cs; test $? -eq 1 && grep -q "^$E/plugstack.conf: error: cannot read" "$T/out"; t $? "no plugstack.conf: error"

# Include lines are followed as Slurm does (issue 15 item 7)
good; edit '/^PrologFlags=/d; /^KillOnBadExit=/d'
mkdir -p "$E/conf.d"
printf 'PrologFlags=Alloc\n' > "$E/conf.d/prolog.conf"
printf 'KillOnBadExit=1\n' > "$E/x-cluster.conf"
printf 'Include conf.d/prolog.conf\ninclude %s/%%c-cluster.conf\n' "$E" >> "$E/slurm.conf"
cs; t $? "slurm.conf: Include (relative to slurm.conf) and include %c (ClusterName) are read ($(cat "$T/out"))"
test ! -s "$T/out"; t $? "slurm.conf: settings from included files count, nothing printed"
printf 'PrologFlags=Serial\n' > "$E/conf.d/prolog.conf"
cs; test $? -eq 1 && grep -q "^$E/conf.d/prolog.conf:1: error: PrologFlags=Serial lacks Alloc" "$T/out"
t $? "a finding names the included file and its line ($(cat "$T/out"))"
good; echo "Include nodes.conf" >> "$E/slurm.conf"
cs; test $? -eq 1 && grep -q "^$E/slurm.conf:13: error: Include nodes.conf: cannot read $E/nodes.conf: No such file or directory" "$T/out"
t $? "Include of a missing file: error naming the resolved path ($(cat "$T/out"))"
good; sed -i '/^ClusterName=/d' "$E/slurm.conf"; echo 'Include %c.conf' >> "$E/slurm.conf"
cs; test $? -eq 1 && grep -q "error: Include %c.conf: %c needs ClusterName set before this line" "$T/out"
t $? "Include %c without ClusterName: error ($(cat "$T/out"))"
good; echo "Include slurm.conf" >> "$E/slurm.conf"
cs; test $? -eq 1 && grep -q "files nested more than 16 deep" "$T/out"
t $? "an Include loop ends with an error ($(cat "$T/out" | head -n 1))"
# plugstack.conf: what Debian ships plus the packages' snippet
good; mkdir -p "$E/plugstack.conf.d"
printf 'include %s/plugstack.conf.d/*.conf\n' "$E" > "$E/plugstack.conf"
printf 'required /usr/lib/x/slurm-mckernel/spank_mckernel.so config=/etc/slurm/mckernel.conf\n' > "$E/plugstack.conf.d/mckernel.conf"
cs; t $? "plugstack.conf including plugstack.conf.d/*.conf with the required line: exit 0 ($(cat "$T/out"))"
test ! -s "$T/out"; t $? "... and nothing printed"
printf 'optional /x/other.so\n' > "$E/plugstack.conf.d/zz-other.conf"
cs; test $? -eq 1 && grep -q "^$E/plugstack.conf.d/mckernel.conf:1: error: spank_mckernel.so is not the last plugin ($E/plugstack.conf.d/zz-other.conf:1 follows)" "$T/out"
t $? "a plugin in a later included file (glob order): not last ($(cat "$T/out"))"
mv "$E/plugstack.conf.d/zz-other.conf" "$E/plugstack.conf.d/aa-other.conf"
cs; t $? "the same plugin in an earlier file: fine ($(cat "$T/out"))"
printf 'include plugstack.conf.d/*.conf\n' > "$E/plugstack.conf"
cs; t $? "a relative include pattern is beside plugstack.conf ($(cat "$T/out"))"
printf 'include none.d/*.conf\n' > "$E/plugstack.conf"
cs; test $? -eq 1 && grep -q "^$E/plugstack.conf:1: note: include $E/none.d/\*.conf matches no file" "$T/out" &&
	grep -q "^$E/plugstack.conf: error: no spank_mckernel.so line" "$T/out"
t $? "an include matching nothing: a note, and the missing line is an error ($(cat "$T/out"))"
printf 'Include plugstack.conf.d/*.conf\n' > "$E/plugstack.conf"
cs; test $? -eq 1 && grep -q "^$E/plugstack.conf:1: warning: Slurm ignores this line" "$T/out"
t $? "plugstack.conf keywords are lower case, as Slurm reads them ($(cat "$T/out"))"

# several problems: one line each
good; edit '/^PrologFlags=/d; /^SlurmdParameters=/d; /^PrologEpilogTimeout=/d'
cs; test $? -eq 1 && test "$(lines)" = 3 && test "$(grep -c ': error: ' "$T/out")" = 2
t $? "three problems: two errors and a warning, three lines"

# the file itself
cs --slurm-conf "$T/none.conf"; test $? -eq 1 && grep -q "^mckctl: check-slurm: cannot read slurm.conf $T/none.conf: No such file or directory" "$T/err"
t $? "a missing slurm.conf: one-line error ($(cat "$T/err"))"
"$MCKCTL" --config "$E/mckernel.conf" check-slurm --verbose 2> "$T/err"; test $? -eq 1 && grep -q "unexpected option" "$T/err"
t $? "check-slurm rejects an option of prereq"

finish
