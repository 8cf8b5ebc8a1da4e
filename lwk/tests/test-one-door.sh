#!/bin/sh
# test-one-door: lwk (mckctl, mck-healthcheck) is the only door to IHK:
# the SPANK plugin, mck-prologue and mck-epilogue neither link libihk nor
# can load it (no dlopen), and call no IHK function.
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
finish
