#!/bin/sh
# test-prereq: `mckctl prereq` on a node of the IHK double: a node fresh
# from boot lacks its device until `ihk-double-ctl init` (the modules'
# loading at boot); then every prerequisite present (exit 0, nothing
# printed), then each one missing in turn (exit 1, exactly one line naming
# it and what to fix), then several. prereq asks libihk and Linux only,
# never whether libihk is the double; the IHK modules themselves are
# covered by test-prereq (C).
. "$top_srcdir/lwk/tests/lib.sh"

MCEXEC=$top_builddir/lwk/mcexec/mcexec
CTL=$top_builddir/ihk/double/ihk-double-ctl
for f in "$MCEXEC" "$CTL"; do
	[ -x "$f" ] || { echo "# missing $f" >&2; exit 99; }
done
echo "mcexec = $MCEXEC" >> "$CONF"

# objdump of our own: the test does not depend on binutils being installed
mkdir -p "$T/bin" "$T/nobin"
printf '#!/bin/sh\nexit 0\n' > "$T/bin/objdump"
chmod 0755 "$T/bin/objdump"

# prereq CONF: run with PATH=$T/bin unless P is set; output in $T/out
prereq() { PATH=${P:-$T/bin} "$MCKCTL" --config "$1" prereq > "$T/out" 2> "$T/err"; }
lines() { wc -l < "$T/out" | tr -d ' '; }
# conf_with KEY VALUE: a copy of the configuration with KEY replaced
conf_with() {
	grep -v "^$1 = " "$CONF" > "$T/c.conf"
	echo "$1 = $2" >> "$T/c.conf"
	echo "$T/c.conf"
}

"$MCKCTL" --help | grep -q "^  prereq "; t $? "--help lists prereq"

# a node of the double fresh from boot: no device file yet
prereq "$CONF"; test $? -eq 1 && test "$(lines)" = 1 &&
	grep -q "^device_dir $DEV: No such file or directory: set 'device_dir' in $CONF to where IHK creates mcd0" "$T/out"
t $? "a fresh node of the double: its device_dir is missing, one line ($(cat "$T/out"))"
SLURM_MCKERNEL_CONF=$CONF "$CTL" init; t $? "ihk-double-ctl init (ihk-double.conf beside mckernel.conf)"
test -e "$DEV/mcd0"; t $? "init made $DEV/mcd0"

prereq "$CONF"; t $? "everything present: exit 0 ($(cat "$T/out" "$T/err"))"
test ! -s "$T/out"; t $? "everything present: nothing printed"
PATH=$T/bin "$MCKCTL" --config "$CONF" prereq --verbose > "$T/out"; t $? "--verbose: exit 0"
grep -q "^ok: IHK modules: libihk answers for device 0" "$T/out" && ! grep -q 'IHK double' "$T/out"
t $? "--verbose: the modules judged without naming the double ($(grep '^ok: IHK modules' "$T/out"))"
test "$(grep -c '^ok: ' "$T/out")" -eq 8; t $? "--verbose: eight items checked, mcexec_uti the last ($(lines))"
grep -q "^ok: mcexec_uti = no; mcexec " "$T/out"; t $? "--verbose: mcexec_uti against the binary"

# objdump
P=$T/nobin prereq "$CONF"; test $? -eq 1; t $? "no objdump: exit 1"
test "$(lines)" = 1 && grep -q "^objdump: not found on PATH ($T/nobin).*install binutils" "$T/out"
t $? "no objdump: one line saying to install binutils ($(cat "$T/out"))"
chmod 0644 "$T/bin/objdump"
prereq "$CONF"; test $? -eq 1 && grep -q "^objdump: not found" "$T/out"
t $? "an objdump that is not executable does not count"
chmod 0755 "$T/bin/objdump"

# image
prereq "$(conf_with image "$T/missing.img")"; test $? -eq 1; t $? "no image: exit 1"
test "$(lines)" = 1 && grep -q "^image $T/missing.img: No such file or directory: set 'image' in $T/c.conf" "$T/out"
t $? "no image: one line saying what to set ($(cat "$T/out"))"
prereq "$(conf_with image "$T")"; test $? -eq 1 && grep -q "^image $T: Is a directory" "$T/out"
t $? "an image that is a directory"

# libihk: missing, and not a library. With no libihk to answer, the IHK
# modules are looked for in /proc/modules: those this machine lacks are
# reported too. (No /proc/modules, as in some containers: one line says it
# cannot be read.)
mods=0
for m in 'ihk ' ihk_smp_ 'mcctrl '; do
	grep -q "^$m" /proc/modules 2>/dev/null || mods=$((mods + 1))
done
[ -r /proc/modules ] || mods=1
prereq "$(conf_with libihk "$T/missing.so")"; test $? -eq 1; t $? "no libihk: exit 1"
test "$(grep -c '^libihk ' "$T/out")" = 1 && grep -q "^libihk $T/missing.so: cannot load libihk from $T/missing.so" "$T/out"
t $? "no libihk: one line naming it ($(head -n 1 "$T/out"))"
test "$(grep -c '^IHK module' "$T/out")" = "$mods" && test "$(lines)" = $((1 + mods))
t $? "no libihk: the modules ($mods lines) reported, nothing else"
prereq "$(conf_with libihk "$T/mckernel.img")"; test $? -eq 1 && grep -q "^libihk $T/mckernel.img: cannot load" "$T/out"
t $? "a libihk that is not a library"

# mcexec: missing, not executable
prereq "$(conf_with mcexec "$T/missing-mcexec")"; test $? -eq 1; t $? "no mcexec: exit 1"
test "$(lines)" = 1 && grep -q "^mcexec $T/missing-mcexec: No such file or directory: set 'mcexec'" "$T/out"
t $? "no mcexec: one line ($(cat "$T/out"))"
cp "$MCEXEC" "$T/mcexec-noexec" && chmod 0644 "$T/mcexec-noexec"
prereq "$(conf_with mcexec "$T/mcexec-noexec")"; test $? -eq 1 && grep -q "^mcexec $T/mcexec-noexec: Permission denied" "$T/out"
t $? "mcexec not executable ($(cat "$T/out"))"

# device dir: missing; a directory without mcd0 while libihk answers
prereq "$(conf_with device_dir "$T/elsewhere")"; test $? -eq 1; t $? "a missing device_dir: exit 1"
test "$(lines)" = 1 && grep -q "^device_dir $T/elsewhere: No such file or directory: set 'device_dir' in $T/c.conf to where IHK creates mcd0" "$T/out"
t $? "device_dir: one line saying what to set ($(cat "$T/out"))"
mkdir "$T/elsewhere"
prereq "$(conf_with device_dir "$T/elsewhere")"; test $? -eq 1 && test "$(lines)" = 1 &&
	grep -q "^IHK device $T/elsewhere/mcd0: No such file or directory: libihk answers for device 0, so IHK created mcd0 elsewhere: set 'device_dir' in $T/c.conf" "$T/out"
t $? "device_dir without mcd0 while libihk answers: one line ($(cat "$T/out"))"
"$MCKCTL" --config "$CONF" boot --job 7 --uid 0 --gid 0 2>/dev/null && "$MCKCTL" --config "$CONF" teardown --job 7 2>/dev/null
t $? "the double's node touched by a boot (its devices exist now)"
prereq "$CONF"; t $? "after a boot and teardown: everything present"
mv "$DEV/mcd0" "$T/mcd0.away"
prereq "$(conf_with libihk "$T/missing.so")"; test $? -eq 1 &&
	grep -q "^IHK device $DEV/mcd0: No such file or directory: load ihk-smp-<arch>.ko" "$T/out"
t $? "no mcd0 and no libihk to answer: the line says to load ihk-smp ($(grep '^IHK device' "$T/out"))"
mv "$T/mcd0.away" "$DEV/mcd0"

# several missing at once: one line each
grep -v '^image = \|^mcexec = ' "$CONF" > "$T/multi.conf"
printf 'image = %s\nmcexec = %s\n' "$T/no.img" "$T/no-mcexec" >> "$T/multi.conf"
P=$T/nobin prereq "$T/multi.conf"; test $? -eq 1 && test "$(lines)" = 3
t $? "three missing: exit 1, three lines ($(lines))"

# strict arguments
"$MCKCTL" --config "$CONF" prereq --slurm-conf x 2> "$T/err"; test $? -eq 1 && grep -q "^mckctl: prereq: unexpected option" "$T/err"
t $? "prereq rejects an option of check-slurm"
"$MCKCTL" --config "$CONF" prereq extra 2> "$T/err"; test $? -eq 1 && test "$(wc -l < "$T/err")" -eq 1
t $? "prereq rejects an argument, one line"

finish
