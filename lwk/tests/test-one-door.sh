#!/bin/sh
# test-one-door: lwk (mckctl, mck-healthcheck) is the only door to IHK:
# the SPANK plugin, mck-prologue and mck-epilogue neither link libihk nor
# can load it (no dlopen), and call no IHK function. And the door opens on
# whatever libihk is configured: no production program names the IHK
# double (no symbol of its own, no setting of it).
. "$top_srcdir/lwk/tests/lib.sh"

PLUGIN=$top_builddir/spank-plugin/.libs/spank_mckernel.so
for f in "$PLUGIN" "$PROLOGUE" "$EPILOGUE"; do
	[ -e "$f" ] || { echo "# missing $f" >&2; exit 99; }
done
for f in "$PLUGIN" "$PROLOGUE" "$EPILOGUE"; do
	name=$(basename "$f")
	ldd "$f" > "$T/ldd" 2>&1
	! grep -qi ihk "$T/ldd"; t $? "$name does not link libihk ($(tr '\n' ' ' < "$T/ldd" | head -c 200))"
	nm -D --undefined-only "$f" > "$T/undef" 2>&1; t $? "$name: its imports can be read"
	! grep -qw -e dlopen -e dlmopen "$T/undef"; t $? "$name cannot load a library (no dlopen)"
	! grep -q ihk_ "$T/undef"; t $? "$name calls no IHK function"
done
nm -D --undefined-only "$MCKCTL" | grep -qw dlopen; t $? "mckctl is the one that loads libihk"
for f in "$PLUGIN" "$PROLOGUE" "$EPILOGUE" "$MCKCTL" "$top_builddir/lwk/mck-healthcheck" \
	"$top_builddir/hwloc-maps/mck-maps"; do
	[ -e "$f" ] || { t 1 "$(basename "$f") is built"; continue; }
	! grep -aqi -e 'ihk_double' -e 'ihk-double' -e 'IHK double' "$f"
	t $? "$(basename "$f") names nothing of the IHK double"
done
finish
