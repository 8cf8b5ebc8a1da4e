#!/bin/sh
# The mcexec double against the IHK double, in temporary node states:
# parsing like the real mcexec (getopt_long "+...", then a leading decimal
# argument is the OS index), messages and exit codes, UTI, objdump,
# partitioning, binding, signals, the instance going away under a rank,
# start-up latency, character devices, the records in STATE/mcexec/osN.
set -u
: "${top_builddir:=.}"
# shellcheck disable=SC1091
. "${top_srcdir:?run me through make check}/tests/tap.sh"
has() { grep -qF -- "$1" "$2"; }

if [ "$(id -u)" != 0 ]; then
	echo "# SKIP: the IHK double changes node state as root only"
	exit 77
fi

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
mkdir "$T/bin" "$T/objbin" "$T/noobj"
# A copy of mcexec any user can run (the build tree may not be reachable).
cp "$top_builddir/lwk/mcexec/mcexec" "$T/bin/mcexec"
chmod 755 "$T/bin/mcexec"
MCEXEC=$T/bin/mcexec
NODE=$top_builddir/lwk/mcexec/tests/mcexec-node
echo image >"$T/mckernel.img"
printf '#!/bin/sh\necho "3dfft ran: $*"\n' >"$T/bin/3dfft"
printf '#!/bin/sh\nexit 0\n' >"$T/objbin/objdump"
chmod 755 "$T/bin/3dfft" "$T/objbin/objdump"
# An 8-CPU, 2-NUMA node: more CPUs than this machine has.
lstopo-no-graphics --input "numa:2(memory=1GB) core:4 pu:1" --of xml "$T/topo.xml"
t $? "fake topology generated"
export IHK_DOUBLE_TOPOLOGY="$T/topo.xml" IHK_DOUBLE_LATENCY=zero
unset SLURM_JOB_ID SLURM_STEP_ID SLURM_PROCID MCEXEC_DOUBLE_PARTITION_TIMEOUT_MS IHK_DOUBLE_CONF
rec() { echo "$IHK_DOUBLE_STATE/mcexec/os0/$1.rec"; }
wait_rec() { i=0; while [ ! -f "$(rec "$1")" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done; }

# --- no instance at all
export IHK_DOUBLE_STATE="$T/empty"
"$MCEXEC" /bin/true 2>"$T/err"; rc=$?
[ $rc = 1 ]
t $? "no instance: exit 1 (got $rc)"
has "Error: Failed to open /dev/mcos0." "$T/err"; t $? "no instance: message like mcexec"

# --- instance created but not booted (looked at without a fatal query)
export IHK_DOUBLE_STATE="$T/created"
os=$("$NODE" boot 1-3,5 64M "$T/mckernel.img" noboot); t $? "created an instance (not booted)"
"$MCEXEC" /bin/true 2>"$T/err"; rc=$?
[ $rc = 1 ]
t $? "not booted: exit 1 (got $rc)"
has "/bin/true: could not load program: Unknown error -1" "$T/err"; t $? "not booted: message like mcexec"
grep -q "rc=killed" "$IHK_DOUBLE_STATE/events.log"; t $((! $?)) "mcexec made no fatal call on it"

# --- a RUNNING instance on LWK CPUs 1-3,5
export IHK_DOUBLE_STATE="$T/node"
os=$("$NODE" boot 1-3,5 64M "$T/mckernel.img"); t $? "booted an instance"
is "$os" 0 "instance is OS 0"
chmod 755 "$IHK_DOUBLE_STATE"

"$MCEXEC" sh -c 'exit 7'; rc=$?
is $rc 7 "exit status 7 passes through"
"$MCEXEC" 0 /bin/true; t $? "explicit OS index 0"
"$MCEXEC" 5 /bin/true 2>"$T/err"; rc=$?
[ $rc = 1 ] && has "Error: Failed to open /dev/mcos5." "$T/err"
t $? "OS 5 does not exist: exit 1"

"$MCEXEC" no-such-program-here 2>"$T/err"; rc=$?
is $rc 1 "missing program: exit 1"
has "no-such-program-here: could not load program: No such file or directory" "$T/err"
t $? "missing program: message like mcexec"

# The program is a child of a process named mcexec.
out=$("$MCEXEC" sh -c 'cat /proc/$PPID/comm')
is "$out" mcexec "the rank's parent process is named mcexec"

# --- parsing: getopt_long with '+', then a leading decimal argument
out=$("$MCEXEC" /bin/echo -c 3 -n 9 --enable-uti)
is "$out" "-c 3 -n 9 --enable-uti" "options stop at the first non-option: the program's own -c stays its own"
out=$("$MCEXEC" -n 1 -t 2 --mpol-threshold=1M -- 0 /bin/echo -c x -- -n)
is "$out" "-c x -- -n" "options, --, OS index, then program args"
out=$(cd "$T/bin" && "$MCEXEC" -n 1 -- 0 ./3dfft -c 1)
is "$out" "3dfft ran: -c 1" "mcexec -n 1 -- 0 ./3dfft runs the program 3dfft"
out=$(PATH="$T/bin:$PATH" "$MCEXEC" -n 1 -- 0 3dfft)
is "$out" "3dfft ran: " "with the index given, 3dfft is found in PATH"
(cd "$T/bin" && PATH="$T/bin:$PATH" "$MCEXEC" 3dfft) 2>"$T/err"; rc=$?
[ $rc = 1 ] && grep -q "^usage: " "$T/err"
t $? "mcexec 3dfft: 3 is taken as the OS index and no program is left: usage, exit 1 ($rc)"
(cd "$T/bin" && PATH="$T/bin:$PATH" "$MCEXEC" -n 1 3dfft x) 2>"$T/err"; rc=$?
[ $rc = 1 ] && has "Error: Failed to open /dev/mcos3." "$T/err"
t $? "mcexec -n 1 3dfft x: misread as OS 3, fails like mcexec ($rc)"
"$MCEXEC" -- 3dfft x 2>"$T/err"; rc=$?
[ $rc = 1 ] && has "Error: Failed to open /dev/mcos3." "$T/err"
t $? "also right after --"
"$MCEXEC" -c x /bin/true 2>"$T/err"; rc=$?
[ $rc = 1 ] && has "error: -c: invalid target CPU" "$T/err"
t $? "-c x: mcexec's error"
"$MCEXEC" -n 0 /bin/true 2>"$T/err"; rc=$?
[ $rc = 1 ] && has "error: -n: invalid number of processes" "$T/err"
t $? "-n 0: mcexec's error"
"$MCEXEC" --no-such-option /bin/true 2>"$T/err"; rc=$?
[ $rc = 1 ] && grep -q "^usage: " "$T/err"
t $? "an unknown option: usage, exit 1"
out=$("$MCEXEC" -e FOO=bar -e FOO=baz -e BAR=1 sh -c 'echo $FOO $BAR')
is "$out" "bar 1" "-e sets the program's environment, the first of a name wins"

# --- UTI: a default McKernel build has none
"$MCEXEC" --enable-uti /bin/true 2>"$T/err"; rc=$?
is $rc 1 "--enable-uti without UTI: the rank fails"
has "uti is not available" "$T/err"; t $? "with mcexec's message ($(cat "$T/err"))"
echo "uti = yes" >"$IHK_DOUBLE_STATE/double.conf"
"$MCEXEC" --enable-uti /bin/true; t $? "--enable-uti runs where double.conf says uti = yes"
: >"$IHK_DOUBLE_STATE/double.conf"

# --- objdump: without it mcexec cannot find its RPATH (every launch)
PATH="$T/noobj" "$MCEXEC" /bin/true 2>"$T/err"; rc=$?
is $rc 0 "without objdump in PATH the program still runs"
has "RPATH not found: 22" "$T/err" && has "warning: did not set LD_PRELOAD" "$T/err"
t $? "and mcexec's two lines are on stderr"
PATH="$T/objbin" "$MCEXEC" /bin/true 2>"$T/err"; rc=$?
[ $rc = 0 ] && [ ! -s "$T/err" ]
t $? "with objdump: nothing on stderr"

# --- signals
"$MCEXEC" sh -c 'kill -TERM $$' 2>"$T/err"; rc=$?
is $rc 143 "program killed by SIGTERM: shell sees 143"
has "Terminate by signal 15" "$T/err"; t $? "prints Terminate by signal 15"

"$MCEXEC" sleep 30 2>"$T/err" & mpid=$!
wait_rec $mpid
kill -USR1 "$mpid"; wait "$mpid"; rc=$?
is $rc $((128 + 10)) "SIGUSR1 to mcexec reaches the program and comes back"
has "signal=10" "$(rec "$mpid")"; t $? "record says signal=10"
has "Terminate by signal 10" "$T/err"; t $? "prints Terminate by signal 10"

# --- partitioned execution
"$MCEXEC" -n 8 /bin/true 2>"$T/err"; rc=$?
is $rc 22 "-n 8 with 4 LWK CPUs: exit 22"
has "error: nr_processes can't exceed nr. of CPUs" "$T/err"; t $? "-n 8: message like mcexec"

start=$(date +%s%N)
MCEXEC_DOUBLE_PARTITION_TIMEOUT_MS=400 "$MCEXEC" -n 2 /bin/true 2>"$T/err"; rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
is $rc 1 "-n 2 with one process: exit 1"
has "getting CPU set for partitioned execution: Connection timed out" "$T/err"; t $? "-n 2 alone: timeout message"
[ $ms -ge 400 ]; t $? "-n 2 alone waited the timeout ($ms ms)"

# Two processes of the same parent share the 4 LWK CPUs, two each.
export SLURM_JOB_ID=4242 SLURM_STEP_ID=3
SLURM_PROCID=0 "$MCEXEC" -n 2 -- sh -c 'grep Cpus_allowed_list /proc/self/status' >"$T/p0" & p0=$!
SLURM_PROCID=1 "$MCEXEC" -n 2 -- sh -c 'grep Cpus_allowed_list /proc/self/status' >"$T/p1" & p1=$!
wait $p0; r0=$?; wait $p1; r1=$?
[ $r0 = 0 ] && [ $r1 = 0 ]
t $? "-n 2 with two processes: both run ($r0, $r1)"
for p in $p0 $p1; do
	[ -f "$(rec "$p")" ]; t $? "record mcexec/os0/$p.rec written"
done
shares=$(cat "$(rec "$p0")" "$(rec "$p1")" | sed -n 's/^cpus=//p' | sort | tr '\n' ' ')
is "$shares" "1-2 3,5 " "each gets ncpu/N LWK CPUs, disjoint"
r0rec=$(rec "$p0")
has "job=4242" "$r0rec" && has "step=3" "$r0rec" && has "rank=0" "$r0rec" && has "exit=0" "$r0rec" &&
	has "os=0" "$r0rec" && has "pid=$p0" "$r0rec" && grep -q '^child=[0-9]' "$r0rec" &&
	grep -q '^argv0=/' "$r0rec" && grep -q '^numa=0$' "$r0rec"
t $? "record has pid, child, job, step, rank, os, numa, argv0, exit"
gen=$(sed -n 's/^gen=//p' "$r0rec")
grep -q "call=create_os os=0 gen=$gen " "$IHK_DOUBLE_STATE/events.log"
t $? "record's gen ($gen) is the instance's generation"
! find "$IHK_DOUBLE_STATE/mcexec/os0" -type f ! -name '*.rec' | grep -q .
t $? "no group files in the state directory (they are the user's own)"
# Binding: only to CPUs this machine has (LWK CPU 1 is real here if CPU 1 is online).
out_with_1=$T/p0; grep -q '^cpus=1-2$' "$(rec "$p1")" && out_with_1=$T/p1
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
	[ $rc = 1 ] && has "Error: Failed to open /dev/mcos0." "$T/err"
	t $? "a user who does not own mcos0 is refused (rc $rc)"
	chown nobody "$IHK_DOUBLE_STATE/dev/mcos0"
	"$NODE" status 0 >/dev/null	# any call as root hands the records over
	is "$(stat -c %U:%a "$IHK_DOUBLE_STATE/mcexec/os0")" "nobody:700" \
		"the instance's record directory follows the device's owner"
	out=$(as_nobody "$MCEXEC" sh -c 'id -un; echo $PPID; exit 3'); rc=$?
	user=$(echo "$out" | sed -n 1p); mpid=$(echo "$out" | sed -n 2p)
	[ $rc = 3 ] && [ "$user" = nobody ]
	t $? "after chown the owner runs (rc $rc, '$user')"
	grep -qx "uid=$(id -u nobody)" "$(rec "$mpid")" && grep -qx "exit=3" "$(rec "$mpid")"
	t $? "the user's run is recorded"
	is "$(stat -c %a "$IHK_DOUBLE_STATE/mcexec")" 755 "STATE/mcexec is not writable by users"
	as_nobody sh -c ": > '$IHK_DOUBLE_STATE/mcexec/filler'" 2>/dev/null
	t $((! $?)) "a user cannot fill it"
	# (setpriv itself in the background: the two mcexec share this shell as parent)
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$MCEXEC" -n 2 /bin/true & a=$!
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$MCEXEC" -n 2 /bin/true & b=$!
	wait $a; ra=$?; wait $b; rb=$?
	[ $ra = 0 ] && [ $rb = 0 ]
	t $? "the user's -n 2 group meets in its own directory"
	chown root "$IHK_DOUBLE_STATE/dev/mcos0"
else
	t 1 "setpriv (util-linux) is needed to run as another user"
fi

# --- Linux CPUs: reserved CPUs are offline for Linux (instance on 1-3,5 of 0-7)
out=$("$NODE" online)
is "$out" "0,4,6-7" "the double's online CPUs shrink by the reserved ones"
is "$(cat "$IHK_DOUBLE_STATE/sys/devices/system/cpu/offline")" "1-3,5" "and STATE/sys says so"
if [ "$(nproc --all)" -ge 2 ]; then
	taskset -c 1 "$MCEXEC" /bin/true 2>"$T/err"; rc=$?
	is $rc 22 "proxy bound only to an LWK CPU: EINVAL like a real node"
	has "which are reserved for McKernel" "$T/err"; t $? "the message says the CPUs are reserved"
	mpid=$(taskset -c 0 "$MCEXEC" sh -c 'echo $PPID')
	grep -qx "proxy_cpus=0" "$(rec "$mpid")"
	t $? "a proxy on a Linux CPU runs and its CPUs are recorded"
else
	t 1 "this check needs a machine with 2 CPUs or more (CPU 1 stands for an LWK CPU)"
fi
OMP_NUM_THREADS=3 "$MCEXEC" /bin/true; mpid=$("$MCEXEC" sh -c 'echo $PPID')
grep -qx "omp_num_threads=" "$(rec "$mpid")"; t $? "OMP_NUM_THREADS recorded (unset)"

# --- start-up latency from the node's latency model
echo "mcexec_latency_ms = 400" >"$IHK_DOUBLE_STATE/double.conf"
start=$(date +%s%N)
"$MCEXEC" /bin/true; rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
[ $rc = 0 ] && [ $ms -ge 400 ]
t $? "mcexec_latency_ms = 400: start-up took $ms ms"
: >"$IHK_DOUBLE_STATE/double.conf"

# --- the instance going away under a rank
"$MCEXEC" sleep 30 2>"$T/err" & mpid=$!
wait_rec $mpid
is "$("$NODE" destroy 0)" -16 "destroy while mcexec holds the device: -EBUSY"
kill -0 $mpid; t $? "the rank still runs"
is "$("$NODE" shutdown 0)" 0 "shutdown while mcexec runs"
wait $mpid; rc=$?
is $rc 1 "the rank ends with exit 1"
has "mcexec: McKernel instance 0 was shut down while sleep ran: rank ended" "$T/err"
t $? "with a one-line reason ($(cat "$T/err"))"
grep -qx "lwk=shutdown" "$(rec "$mpid")"; t $? "and lwk=shutdown in its record"

export IHK_DOUBLE_STATE="$T/panic"
"$NODE" boot 1-3,5 64M "$T/mckernel.img" >/dev/null; t $? "another node, another instance"
"$MCEXEC" sleep 30 2>"$T/err" & mpid=$!
wait_rec $mpid
"$NODE" inject 0 panic; t $? "inject a panic"
wait $mpid; rc=$?
[ $rc = 1 ] && has "McKernel instance 0 went PANIC while sleep ran: rank ended" "$T/err"
t $? "a panic ends the rank with exit 1 and the reason"
is "$("$NODE" destroy 0)" 0 "the panicked instance is destroyed"
[ ! -e "$IHK_DOUBLE_STATE/mcexec/os0" ]; t $? "its records are removed"
grep -q "pid=$mpid .*lwk=PANIC" "$IHK_DOUBLE_STATE/mcexec.log"; t $? "and folded into STATE/mcexec.log"

# --- device files as character devices
export IHK_DOUBLE_STATE="$T/chardev"
mkdir -p "$IHK_DOUBLE_STATE" && echo "device_files = char" >"$IHK_DOUBLE_STATE/double.conf"
"$NODE" boot 1-3,5 64M "$T/mckernel.img" >/dev/null; t $? "a node with character devices"
[ -c "$IHK_DOUBLE_STATE/dev/mcos0" ]; t $? "dev/mcos0 is a character device"
out=$("$MCEXEC" sh -c 'echo ran')
is "$out" ran "mcexec runs on it (held with O_PATH after ENXIO)"
if command -v setpriv >/dev/null; then
	chmod 755 "$IHK_DOUBLE_STATE"
	as_nobody "$MCEXEC" /bin/true 2>"$T/err"; rc=$?
	[ $rc = 1 ] && has "Error: Failed to open /dev/mcos0." "$T/err"
	t $? "not its owner: refused like mcexec"
	chown nobody "$IHK_DOUBLE_STATE/dev/mcos0"
	"$NODE" status 0 >/dev/null
	as_nobody "$MCEXEC" /bin/true; t $? "its owner runs"
fi
"$MCEXEC" sleep 30 2>/dev/null & mpid=$!
wait_rec $mpid
is "$("$NODE" destroy 0)" -16 "a rank holding a character device: destroy -EBUSY"
kill $mpid; wait $mpid
is "$("$NODE" destroy 0)" 0 "destroy once the rank is gone"

tap_plan
