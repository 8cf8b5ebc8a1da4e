#!/bin/sh
# Both task paths of remote.c compile, whatever Slurm this is: the 23.11+
# path (spank_prepend_task_argv) against this system's spank.h plus the
# 23.11 declaration, generated into a temporary directory (no Slurm header
# is committed), and the 22.05 exec path. test-remote runs the path this
# Slurm has.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck disable=SC1091
. "${top_srcdir:?run me through make check}/tests/tap.sh"
mk_var() { sed -n "s/^$1 = //p" "$top_builddir/Makefile" | head -n 1; }

CC=$(mk_var CC)
SLURM_CPPFLAGS=$(mk_var SLURM_CPPFLAGS)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Where the compiler finds slurm/spank.h.
printf '#include <slurm/spank.h>\n' >"$tmp/probe.c"
spank_h=$($CC $SLURM_CPPFLAGS -M "$tmp/probe.c" 2>/dev/null | tr ' \\' '\n\n' | grep '/slurm/spank\.h$' | head -n 1)
[ -n "$spank_h" ] && [ -f "$spank_h" ]; t $? "found the system spank.h: $spank_h"

mkdir -p "$tmp/fake-slurm-23.11/slurm"
# The system header, then the Slurm 23.11 declaration appended (a repeated
# extern declaration is harmless if the header is included twice).
cp "$spank_h" "$tmp/fake-slurm-23.11/slurm/spank.h"
cat >>"$tmp/fake-slurm-23.11/slurm/spank.h" <<'DECL'
/* Appended by slurm-mckernel's test: what Slurm 23.11 declares. */
extern spank_err_t spank_prepend_task_argv(spank_t spank, int argc, const char *argv[]);
DECL
grep -q 'spank_prepend_task_argv' "$tmp/fake-slurm-23.11/slurm/spank.h"; t $? "fake 23.11 spank.h generated"

flags="-std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -DHAVE_SPANK_PREPEND_TASK_ARGV=1
	-I$top_builddir -I$top_srcdir -I$top_srcdir/common -I$top_srcdir/spank-plugin
	-I$tmp/fake-slurm-23.11 $SLURM_CPPFLAGS"
$CC $flags -c "$top_srcdir/spank-plugin/remote.c" -o "$tmp/remote-2311.o" 2>"$tmp/err"
rc=$?; [ $rc = 0 ] || sed 's/^/# /' "$tmp/err"
t $rc "remote.c compiles (-Werror) with spank_prepend_task_argv"
nm "$tmp/remote-2311.o" 2>/dev/null | grep -q ' U spank_prepend_task_argv$'; t $? "23.11 path calls spank_prepend_task_argv"
nm "$tmp/remote-2311.o" 2>/dev/null | grep -q ' U execve$'; [ $? != 0 ]; t $? "23.11 path does not exec mcexec itself"

# The same file without the declaration takes the 22.05 exec path: the
# build's config.h says whether this Slurm has it, so the 22.05 compile
# reads a copy that does not (on Slurm 23.11+ the build's own defines it).
mkdir -p "$tmp/config-2205"
grep -v 'HAVE_SPANK_PREPEND_TASK_ARGV' "$top_builddir/config.h" >"$tmp/config-2205/config.h"
! grep -q HAVE_SPANK_PREPEND_TASK_ARGV "$tmp/config-2205/config.h"; t $? "config.h without HAVE_SPANK_PREPEND_TASK_ARGV for the 22.05 compile"
$CC $(echo "$flags" | sed "s|-DHAVE_SPANK_PREPEND_TASK_ARGV=1||; s|-I$tmp/fake-slurm-23.11||; s|-I$top_builddir |-I$tmp/config-2205 |") \
	-c "$top_srcdir/spank-plugin/remote.c" -o "$tmp/remote-2205.o" 2>"$tmp/err"
rc=$?; [ $rc = 0 ] || sed 's/^/# /' "$tmp/err"
t $rc "remote.c compiles (-Werror) for 22.05"
nm "$tmp/remote-2205.o" 2>/dev/null | grep -q ' U execve$'; t $? "22.05 path execs mcexec"
nm "$tmp/remote-2205.o" 2>/dev/null | grep -q ' U spank_prepend_task_argv$'; [ $? != 0 ]; t $? "22.05 path does not call spank_prepend_task_argv"

# container.c (srun --container): 23.11+ hands the mounts to mck-oci-run
# and lets the usual path prepend; 22.05 rewrites the spooled config.json.
if grep -q '^#define HAVE_JSONC 1' "$top_builddir/config.h"; then
	$CC $flags -c "$top_srcdir/spank-plugin/container.c" -o "$tmp/container-2311.o" 2>"$tmp/err"
	rc=$?; [ $rc = 0 ] || sed 's/^/# /' "$tmp/err"
	t $rc "container.c compiles (-Werror) with spank_prepend_task_argv"
	syms=$(nm "$tmp/container-2311.o" 2>/dev/null)
	echo "$syms" | grep -q ' U mck_oci_edit_encode$' && echo "$syms" | grep -q ' U spank_setenv$' &&
		! echo "$syms" | grep -q ' U mck_oci_load$'
	t $? "23.11 container steps hand the mounts on in the environment, no config.json rewrite"
	$CC $(echo "$flags" | sed "s|-DHAVE_SPANK_PREPEND_TASK_ARGV=1||; s|-I$tmp/fake-slurm-23.11||; s|-I$top_builddir |-I$tmp/config-2205 |") \
		-c "$top_srcdir/spank-plugin/container.c" -o "$tmp/container-2205.o" 2>"$tmp/err"
	rc=$?; [ $rc = 0 ] || sed 's/^/# /' "$tmp/err"
	t $rc "container.c compiles (-Werror) for 22.05"
	syms=$(nm "$tmp/container-2205.o" 2>/dev/null)
	# This Slurm's own headers decide the rest: from 23.02 a build without
	# spank_prepend_task_argv refuses container steps (nothing to rewrite).
	newer=$(printf '#include <slurm/slurm_version.h>\n#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(23, 2, 0)\nnewer\n#endif\n' |
		$CC $SLURM_CPPFLAGS -E -P - 2>/dev/null | grep -c newer)
	if [ "$newer" = 0 ]; then
		echo "$syms" | grep -q ' U mck_oci_load$' && echo "$syms" | grep -q ' U mck_oci_save$'
		t $? "22.05 container steps rewrite the spooled config.json"
	else
		! echo "$syms" | grep -q ' U mck_oci_load$'
		t $? "on this Slurm (23.02+) a build without spank_prepend_task_argv refuses container steps, rewrites nothing"
	fi
else
	echo "# json-c not configured: container.c only refuses container steps"
fi
tap_plan
