# lib.sh: shared set-up of the lwk shell tests: a node of the IHK double in
# a temporary directory, and the TAP harness (tests/tap.sh). Sourced, not run.

: "${top_srcdir:?run me through make check}"
: "${top_builddir:?run me through make check}"

. "$top_srcdir/tests/tap.sh"
finish() { tap_done state; }

MCKCTL=$top_builddir/lwk/mckctl
PROLOGUE=$top_builddir/prologue/mck-prologue
EPILOGUE=$top_builddir/epilogue/mck-epilogue
# the IHK double: real IHK's crash on touching an unbooted instance included
LIBIHK=$top_builddir/ihk/double/.libs/libihk-double.so
TOPO=$top_srcdir/hwloc-maps/tests/fixtures/testnode.xml
for f in "$MCKCTL" "$LIBIHK" "$TOPO"; do
	if [ ! -e "$f" ]; then
		echo "# missing $f" >&2
		exit 99
	fi
done

T=$(mktemp -d "${TMPDIR:-/tmp}/test-lwk-sh.XXXXXX")
STATE=$T/state
DEV=$T/ihk/dev
CONF=$T/mckernel.conf
chmod 0755 "$T"
# an ELF executable of this machine passes the image check like mckernel.img
cp /bin/true "$T/mckernel.img"
cat > "$CONF" <<EOC
libihk = $LIBIHK
mckctl = $(cd "$(dirname "$MCKCTL")" && pwd)/mckctl
image = $T/mckernel.img
kargs = hidos ksyslogd=0
state_dir = $STATE
device_dir = $DEV
topology = $TOPO
sysfs_dir = $T/sys
mem_fraction = 0.25
boot_timeout = 5
shutdown_timeout = 1
EOC
# The IHK double's node, in its own file beside mckernel.conf.
printf 'state = %s\ntopology = %s\n' "$T/ihk" "$TOPO" > "$T/ihk-double.conf"
# MCK_TEST_DEVICE_FILES=char (test-char-devices.sh): the double's mcd0 and
# mcosN are character devices, as real IHK's are, rather than regular files.
node_conf() {
	if [ "${MCK_TEST_DEVICE_FILES:-regular}" = char ]; then
		mkdir -p "$T/ihk"
		echo "device_files = char" > "$T/ihk/double.conf"
	fi
}
node_conf
# The node's reboot: the double's state is gone (its double.conf made again).
reboot_node() { rm -rf "$T/ihk" && node_conf; }
# A process holding the device DEV for SECONDS (tests/programs/hold, which
# holds a character device without a driver too); its pid in $holder.
HOLD=$top_builddir/tests/programs/hold
hold_device() { # hold_device DEV SECONDS
	"$HOLD" "$1" "$2" &
	holder=$!
	sleep 0.3
}
# Nothing of the caller's environment selects another node.
unset IHK_DOUBLE_STATE IHK_DOUBLE_TOPOLOGY IHK_DOUBLE_FAULT SLURM_MCKERNEL_CONF IHK_DOUBLE_DESTROY_UNBOOTED \
	IHK_DOUBLE_CONF
# unit tests: no boot takes seconds (the double's default is the observed latency)
IHK_DOUBLE_LATENCY=zero
export IHK_DOUBLE_LATENCY

# scontrol: for the lifecycle's questions about other jobs $T/slurm/JOB holds
# "STATE NODES" (no file: slurmctld does not know the job); any other use
# (a drain: update NodeName=...) leaves its arguments in $T/scontrol.args,
# one a line, and exits $FAKE_SCONTROL_RC.
mkdir -p "$T/bin" "$T/slurm"
cat > "$T/bin/scontrol" <<EOS
#!/bin/sh
case "\$1 \$2 \$3" in
"-o show job")
	[ -f "$T/slurm/\$4" ] || { echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1; }
	read st nodes < "$T/slurm/\$4"
	echo "JobId=\$4 JobState=\$st NodeList=\$nodes" ;;
"show hostnames "*) echo "\$3" | tr ',' '\n' ;;
"show node "*) echo "NodeName=\$3 State=IDLE" ;;	# the drain watcher stops
*) printf '%s\n' "\$@" > "$T/scontrol.args"; exit \${FAKE_SCONTROL_RC:-0} ;;
esac
EOS
chmod +x "$T/bin/scontrol"
PATH=$T/bin:$PATH
export PATH
# the double notes every caller it kills (rc=killed; a test asserts none)
strict_kills() { grep -s " rc=killed" "$T/ihk/events.log"; }
