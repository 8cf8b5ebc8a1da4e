#!/bin/sh
# test-etc: the installed configuration files. The plugstack.conf.d snippet
# loads the plugin from the configured pkglibdir with the configured
# mckernel.conf; the example configuration passes `mckctl config --check`
# (globally and for each of its partitions) and shows every key the parser
# knows, each documented in mckernel.conf(5).
: "${top_srcdir:?run me through make check}"
: "${top_builddir:?run me through make check}"
: "${mck_pkglibdir:?run me through make check}"
: "${mck_slurmconfdir:?run me through make check}"

. "$top_srcdir/tests/tap.sh"

MCKCTL=$top_builddir/lwk/mckctl
SNIPPET=$top_builddir/etc/plugstack.conf.d/mckernel.conf
EXAMPLE=$top_builddir/etc/mckernel.conf.example
MAN5=$top_srcdir/doc/mckernel.conf.5
for f in "$MCKCTL" "$SNIPPET" "$EXAMPLE" "$MAN5"; do
	[ -e "$f" ] || { echo "# missing $f" >&2; exit 99; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/test-etc.XXXXXX") || exit 99
unset SLURM_MCKERNEL_CONF SLURM_CONF

# --- the plugstack.conf.d snippet
grep -v -e '^#' -e '^[[:space:]]*$' "$SNIPPET" > "$T/lines"
test "$(wc -l < "$T/lines")" -eq 1
t $? "snippet: exactly one plugin line"
want="required $mck_pkglibdir/spank_mckernel.so config=$mck_slurmconfdir/mckernel.conf"
test "$(cat "$T/lines")" = "$want"
t $? "snippet: '$want'"
! grep -q '@[a-z_]*@' "$SNIPPET"
t $? "snippet: every @dir@ substituted"
case $mck_pkglibdir$mck_slurmconfdir in *'$'*) false ;; *) true ;; esac
t $? "snippet: paths fully expanded (no \${prefix})"

# --- the example configuration
"$MCKCTL" config --check "$EXAMPLE" > "$T/out" 2> "$T/err"
t $? "mckctl config --check example exits 0"
! grep -v '^mckctl: warning: ' "$T/err"
t $? "config --check: nothing but warnings (missing IHK files) on stderr"
grep -q "^libihk = /opt/ihk/lib/libihk.so$" "$T/out" &&
	grep -q "^user_keys = mem, linux_cores, smt, procs$" "$T/out" &&
	grep -q "^env = PMIX_MCA_gds=hash$" "$T/out" &&
	grep -q "^env = OMP_WAIT_POLICY=passive$" "$T/out"
t $? "config --check: the example's global settings are in force"
! grep -q '@[a-z_]*@' "$EXAMPLE"
t $? "example: every @dir@ substituted"

parts=$(sed -n 's/^\[partition \([^]]*\)\]$/\1/p' "$EXAMPLE")
test -n "$parts"
t $? "example has partition sections ($(echo $parts))"
for p in $parts; do
	"$MCKCTL" --partition "$p" config --check "$EXAMPLE" > "$T/out.$p" 2> "$T/err"
	t $? "config --check --partition $p exits 0"
done
grep -q "^instance_policy = per-step$" "$T/out.mck" &&
	grep -q "^mem_size = 64G$\|^mem_size = 68719476736$" "$T/out.mck"
t $? "partition mck: its section applies (per-step, mem_size 64G)"

# Every key the parser knows: from its own "unknown key" message.
printf 'no_such_key_zz = 1\n' > "$T/unknown.conf"
"$MCKCTL" config --check "$T/unknown.conf" > /dev/null 2> "$T/err"
test $? -eq 1
t $? "config --check refuses an unknown key"
keys=$(sed -n "s/.*unknown key 'no_such_key_zz': expected one of //p" "$T/err" | tr -d ',')
test "$(echo $keys | wc -w)" -ge 30
t $? "the parser lists its keys ($(echo $keys | wc -w))"
for k in $keys; do
	grep -q "^#\{0,1\}$k = \{0,1\}" "$EXAMPLE"
	t $? "example shows key $k"
	grep -q "^\.B[IR]* .*\<$k\>" "$MAN5"
	t $? "mckernel.conf.5 documents key $k"
done

# A broken copy of the example is refused: the check above can fail.
sed 's/^kargs = .*/kargs = ksyslogd=0/' "$EXAMPLE" > "$T/broken.conf"
"$MCKCTL" config --check "$T/broken.conf" > /dev/null 2> "$T/err"
test $? -eq 1 && grep -q "broken.conf:[0-9]*: .*hidos" "$T/err"
t $? "a copy without hidos in kargs is refused with FILE:LINE"

tap_done
