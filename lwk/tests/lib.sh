# lib.sh: shared set-up of the lwk shell tests: a node of the IHK double in
# a temporary directory, and the TAP harness (tests/tap.sh). Sourced, not run.

: "${top_srcdir:?run me through make check}"
: "${top_builddir:?run me through make check}"

. "$top_srcdir/tests/tap.sh"
finish() { tap_done state; }

MCKCTL=$top_builddir/lwk/mckctl
PROLOGUE=$top_builddir/prologue/mck-prologue
EPILOGUE=$top_builddir/epilogue/mck-epilogue
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
echo "dummy McKernel image" > "$T/mckernel.img"
cat > "$CONF" <<EOC
libihk = $LIBIHK
mckctl = $(cd "$(dirname "$MCKCTL")" && pwd)/mckctl
image = $T/mckernel.img
kargs = hidos ksyslogd=0
state_dir = $STATE
device_dir = $DEV
topology = $TOPO
ihk_double_state = $T/ihk
ihk_double_topology = $TOPO
mem_fraction = 0.25
boot_timeout = 5
shutdown_timeout = 1
EOC
# Nothing of the caller's environment selects another node.
unset IHK_DOUBLE_STATE IHK_DOUBLE_TOPOLOGY IHK_DOUBLE_FAULT SLURM_MCKERNEL_CONF
