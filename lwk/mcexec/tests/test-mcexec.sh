#!/bin/sh
# The mcexec double against the IHK double, in a temporary node state:
# messages and exit codes like the real mcexec, partitioning, binding,
# signals and the records in STATE/mcexec.
set -u
: "${top_builddir:=.}"
n=0 failed=0
t() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
has() { grep -qF -- "$1" "$2"; }

if [ "$(id -u)" != 0 ]; then
	echo "# SKIP: the IHK double changes node state as root only"
	exit 77
fi

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
mkdir "$T/bin"
# A copy of mcexec any user can run (the build tree may not be reachable).
cp "$top_builddir/lwk/mcexec/mcexec" "$T/bin/mcexec"
chmod 755 "$T/bin/mcexec"
MCEXEC=$T/bin/mcexec
NODE=$top_builddir/lwk/mcexec/tests/mcexec-node
echo image >"$T/mckernel.img"
# An 8-CPU, 2-NUMA node: more CPUs than this machine has.
lstopo-no-graphics --input "numa:2(memory=1GB) core:4 pu:1" --of xml "$T/topo.xml"
t $? "fake topology generated"
export IHK_DOUBLE_TOPOLOGY="$T/topo.xml"
unset SLURM_JOB_ID SLURM_STEP_ID SLURM_PROCID MCEXEC_DOUBLE_PARTITION_TIMEOUT_MS

# --- no instance at all
export IHK_DOUBLE_STATE="$T/empty"
"$MCEXEC" /bin/true 2>"$T/err"; rc=$?
t $([ $rc = 1 ] && echo 0 || echo 1) "no instance: exit 1 (got $rc)"
has "Error: Failed to open /dev/mcos0." "$T/err"; t $? "no instance: message like mcexec"

# --- instance created but not booted
export IHK_DOUBLE_STATE="$T/created"
os=$("$NODE" boot 1-3,5 64M "$T/mckernel.img" noboot); t $? "created an instance (not booted)"
"$MCEXEC" /bin/true 2>"$T/err"; rc=$?
t $([ $rc = 1 ] && echo 0 || echo 1) "not booted: exit 1 (got $rc)"
has "/bin/true: could not load program: Unknown error -1" "$T/err"; t $? "not booted: message like mcexec"

# --- a RUNNING instance on LWK CPUs 1-3,5
export IHK_DOUBLE_STATE="$T/node"
os=$("$NODE" boot 1-3,5 64M "$T/mckernel.img"); t $? "booted an instance"
[ "$os" = 0 ]; t $? "instance is OS 0"
chmod 755 "$IHK_DOUBLE_STATE"

"$MCEXEC" sh -c 'exit 7'; rc=$?
t $([ $rc = 7 ] && echo 0 || echo 1) "exit status 7 passes through (got $rc)"
"$MCEXEC" 0 /bin/true; t $? "explicit OS index 0"
"$MCEXEC" 5 /bin/true 2>"$T/err"; rc=$?
t $([ $rc = 1 ] && has "Error: Failed to open /dev/mcos5." "$T/err" && echo 0 || echo 1) "OS 5 does not exist: exit 1"

"$MCEXEC" no-such-program-here 2>"$T/err"; rc=$?
t $([ $rc = 1 ] && echo 0 || echo 1) "missing program: exit 1 (got $rc)"
has "no-such-program-here: could not load program: No such file or directory" "$T/err"
t $? "missing program: message like mcexec"

# The program is a child of a process named mcexec.
out=$("$MCEXEC" sh -c 'cat /proc/$PPID/comm')
[ "$out" = mcexec ]; t $? "the rank's parent process is named mcexec (got '$out')"

# Options stop at the first non-option: the program's own -c/-n stay its own.
out=$("$MCEXEC" /bin/echo -c 3 -n 9 --enable-uti)
[ "$out" = "-c 3 -n 9 --enable-uti" ]; t $? "no permutation without -- (got '$out')"
out=$("$MCEXEC" -n 1 -t 2 --mpol-threshold=1M --enable-uti -- 0 /bin/echo -c x -- -n)
[ "$out" = "-c x -- -n" ]; t $? "options, --, OS index, then program args (got '$out')"

# --- signals
"$MCEXEC" sh -c 'kill -TERM $$' 2>"$T/err"; rc=$?
t $([ $rc = 143 ] && echo 0 || echo 1) "program killed by SIGTERM: shell sees 143 (got $rc)"
has "Terminate by signal 15" "$T/err"; t $? "prints Terminate by signal 15"

"$MCEXEC" sleep 30 2>"$T/err" & mpid=$!
i=0; while [ ! -f "$IHK_DOUBLE_STATE/mcexec/$mpid.rec" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -USR1 "$mpid"; wait "$mpid"; rc=$?
t $([ $rc = $((128 + 10)) ] && echo 0 || echo 1) "SIGUSR1 to mcexec reaches the program and comes back (got $rc)"
has "signal=10" "$IHK_DOUBLE_STATE/mcexec/$mpid.rec"; t $? "record says signal=10"
has "Terminate by signal 10" "$T/err"; t $? "prints Terminate by signal 10"

# --- partitioned execution
"$MCEXEC" -n 8 /bin/true 2>"$T/err"; rc=$?
t $([ $rc = 22 ] && echo 0 || echo 1) "-n 8 with 4 LWK CPUs: exit 22 (got $rc)"
has "error: nr_processes can't exceed nr. of CPUs" "$T/err"; t $? "-n 8: message like mcexec"

start=$(date +%s%N)
MCEXEC_DOUBLE_PARTITION_TIMEOUT_MS=400 "$MCEXEC" -n 2 /bin/true 2>"$T/err"; rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
t $([ $rc = 1 ] && echo 0 || echo 1) "-n 2 with one process: exit 1 (got $rc)"
has "getting CPU set for partitioned execution: Connection timed out" "$T/err"; t $? "-n 2 alone: timeout message"
[ $ms -ge 400 ] && [ $ms -lt 5000 ]; t $? "-n 2 alone waited the timeout ($ms ms)"

# Two processes of the same parent share the 4 LWK CPUs, two each.
export SLURM_JOB_ID=4242 SLURM_STEP_ID=3
SLURM_PROCID=0 "$MCEXEC" -n 2 -- sh -c 'grep Cpus_allowed_list /proc/self/status' >"$T/p0" & p0=$!
SLURM_PROCID=1 "$MCEXEC" -n 2 -- sh -c 'grep Cpus_allowed_list /proc/self/status' >"$T/p1" & p1=$!
wait $p0; r0=$?; wait $p1; r1=$?
t $([ $r0 = 0 ] && [ $r1 = 0 ] && echo 0 || echo 1) "-n 2 with two processes: both run ($r0, $r1)"
for p in $p0 $p1; do
	[ -f "$IHK_DOUBLE_STATE/mcexec/$p.rec" ]; t $? "record $p.rec written"
done
shares=$(cat "$IHK_DOUBLE_STATE/mcexec/$p0.rec" "$IHK_DOUBLE_STATE/mcexec/$p1.rec" | sed -n 's/^cpus=//p' | sort | tr '\n' ' ')
[ "$shares" = "1-2 3,5 " ]; t $? "each gets ncpu/N LWK CPUs, disjoint (got '$shares')"
r0rec="$IHK_DOUBLE_STATE/mcexec/$p0.rec"
has "job=4242" "$r0rec" && has "step=3" "$r0rec" && has "rank=0" "$r0rec" && has "exit=0" "$r0rec" &&
	has "os=0" "$r0rec" && has "pid=$p0" "$r0rec" && grep -q '^child=[0-9]' "$r0rec" &&
	grep -q '^argv0=/' "$r0rec" && grep -q '^numa=0$' "$r0rec"
t $? "record has pid, child, job, step, rank, os, numa, argv0, exit"
gen=$(sed -n 's/^gen=//p' "$r0rec")
grep -q "call=create_os os=0 gen=$gen " "$IHK_DOUBLE_STATE/events.log" ||
	grep -q "call=create_os.* gen=$gen" "$IHK_DOUBLE_STATE/events.log"
t $? "record's gen ($gen) is the instance's generation"
# Binding: only to CPUs this machine has (LWK CPU 1 is real here if CPU 1 is online).
slot_with_1=$(grep -l '^cpus=1-2$' "$IHK_DOUBLE_STATE/mcexec/$p0.rec" "$IHK_DOUBLE_STATE/mcexec/$p1.rec")
out_with_1=$T/p0; [ "$slot_with_1" = "$IHK_DOUBLE_STATE/mcexec/$p1.rec" ] && out_with_1=$T/p1
if grep -qE '(^|,)(1|0-[1-9][0-9]*|1-[0-9]+)(,|$)' /sys/devices/system/cpu/online; then
	grep -q 'Cpus_allowed_list:[[:space:]]*1$' "$out_with_1"
	t $? "share 1-2 is bound to CPU 1, the one this machine has ($(cat "$out_with_1"))"
else
	echo "# this machine has no CPU 1: binding check not run"
fi
unset SLURM_JOB_ID SLURM_STEP_ID

# --- another user
if command -v setpriv >/dev/null; then
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	as_nobody "$MCEXEC" /bin/true 2>"$T/err"; rc=$?
	t $([ $rc = 1 ] && has "Error: Failed to open /dev/mcos0." "$T/err" && echo 0 || echo 1) \
		"a user who does not own mcos0 is refused (rc $rc)"
	chown nobody "$IHK_DOUBLE_STATE/dev/mcos0"
	out=$(as_nobody "$MCEXEC" sh -c 'id -un; echo $PPID; exit 3'); rc=$?
	user=$(echo "$out" | sed -n 1p); mpid=$(echo "$out" | sed -n 2p)
	t $([ $rc = 3 ] && [ "$user" = nobody ] && echo 0 || echo 1) "after chown the owner runs (rc $rc, '$user')"
	rec="$IHK_DOUBLE_STATE/mcexec/$mpid.rec"
	grep -qx "uid=$(id -u nobody)" "$rec" && grep -qx "exit=3" "$rec"
	t $? "the user's run is recorded in the sticky record directory"
	[ "$(stat -c %a "$IHK_DOUBLE_STATE/mcexec")" = 1777 ]; t $? "STATE/mcexec is mode 1777"
	chown root "$IHK_DOUBLE_STATE/dev/mcos0"
else
	t 1 "setpriv (util-linux) is needed to run as another user"
fi

# --- Linux CPUs: reserved CPUs are offline for Linux (instance on 1-3,5 of 0-7)
export IHK_DOUBLE_STATE="$T/node"
out=$("$NODE" online)
[ "$out" = "0,4,6-7" ]; t $? "the double's online CPUs shrink by the reserved ones (got '$out')"
if [ "$(nproc --all)" -ge 2 ]; then
	taskset -c 1 "$MCEXEC" /bin/true 2>"$T/err"; rc=$?
	t $([ $rc = 22 ] && echo 0 || echo 1) "proxy bound only to an LWK CPU: EINVAL like a real node (got $rc)"
	has "which are reserved for McKernel" "$T/err"; t $? "the message says the CPUs are reserved"
	mpid=$(taskset -c 0 "$MCEXEC" sh -c 'echo $PPID')
	grep -qx "proxy_cpus=0" "$IHK_DOUBLE_STATE/mcexec/$mpid.rec"
	t $? "a proxy on a Linux CPU runs and its CPUs are recorded"
else
	t 1 "this check needs a machine with 2 CPUs or more (CPU 1 stands for an LWK CPU)"
fi
OMP_NUM_THREADS=3 "$MCEXEC" /bin/true; mpid=$("$MCEXEC" sh -c 'echo $PPID')
grep -qx "omp_num_threads=" "$IHK_DOUBLE_STATE/mcexec/$mpid.rec"; t $? "OMP_NUM_THREADS recorded (unset)"

echo "1..$n"
[ $failed = 0 ]
