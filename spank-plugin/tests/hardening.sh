#!/bin/sh
# The built plugin is hardened (issue 5 item 3): full RELRO (GNU_RELRO
# segment and BIND_NOW), stack protector (__stack_chk_fail referenced) and
# FORTIFY_SOURCE (some __*_chk function used), read from the .so itself.
set -u
so="${top_builddir:-.}/spank-plugin/.libs/spank_mckernel.so"
# shellcheck disable=SC1091
. "${top_srcdir:?run me through make check}/tests/tap.sh"
command -v readelf >/dev/null || { echo "# SKIP: readelf not installed (binutils)"; exit 77; }

[ -f "$so" ]; t $? "plugin built: $so"
readelf -lW "$so" 2>/dev/null | grep -q 'GNU_RELRO'; t $? "GNU_RELRO segment (-z relro)"
dyn=$(readelf -dW "$so" 2>/dev/null)
printf '%s\n' "$dyn" | grep -Eq '\(BIND_NOW\)|\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW'; t $? "BIND_NOW (-z now)"
undef=$(readelf --dyn-syms -W "$so" 2>/dev/null | awk '$7 == "UND" { print $8 }' | sed 's/@.*//')
printf '%s\n' "$undef" | grep -qx '__stack_chk_fail'; t $? "stack protector: __stack_chk_fail referenced"
chk=$(printf '%s\n' "$undef" | grep -E '^__[a-z_]+_chk$' | grep -vx '__stack_chk_fail' | tr '\n' ' ')
[ -n "$chk" ]; t $? "FORTIFY_SOURCE: checked functions used (${chk% })"
# No executable stack, no text relocations.
readelf -lW "$so" | grep 'GNU_STACK' | grep -q 'RWE'; [ $? != 0 ]; t $? "stack not executable"
printf '%s\n' "$dyn" | grep -q 'TEXTREL'; [ $? != 0 ]; t $? "no text relocations"
tap_plan
