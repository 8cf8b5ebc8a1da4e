#!/bin/sh
# check-packages.sh: build the Debian packages (and the RPMs when rpmbuild is
# installed) from a release tarball and check them:
#   - unpack the tarball in a temporary directory, copy packaging/debian to
#     ./debian, dpkg-buildpackage -us -uc -b;
#   - list each .deb (dpkg -c) and check the key files are in the right one;
#   - install both into a scratch dpkg root (dpkg --root, no chroot, nothing
#     touches this machine's /etc or /usr), check the conffile, remove and
#     purge them again;
#   - with rpmbuild: rpmbuild -ta --nodeps (Debian cannot resolve the RPM
#     BuildRequires) and rpm -qlp of each RPM.
#
# Usage: packaging/check-packages.sh [--no-rpm] [--nocheck] [--keep] [--out DIR]
#                                     [--system-install] TARBALL
#   --no-rpm   skip the RPM build even when rpmbuild is there
#   --nocheck  DEB_BUILD_OPTIONS=nocheck and rpmbuild --without check
#   --keep     keep the work directory (printed at the end)
#   --out DIR  copy the built .deb and .rpm files to DIR
#   --system-install  also install both .deb packages into this system
#              (dpkg -i: their dependencies must be installed), check the
#              installed tools and purge them again; for throwaway
#              containers, such as the test cluster's images
# Needs (Debian): dpkg-dev debhelper dh-autoreconf build-essential, the
# Build-Depends of packaging/debian/control; for RPMs: rpm.
# `make check-packages` runs it on the tarball of `make dist`.
set -eu

do_rpm=yes nocheck= keep= out= system=
while [ $# -gt 1 ]; do
	case $1 in
	--out) out=$2; shift ;;
	--system-install) system=yes ;;
	--no-rpm) do_rpm=no ;;
	--nocheck) nocheck=yes ;;
	--keep) keep=yes ;;
	*) echo "check-packages: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
[ $# -eq 1 ] || { echo "usage: $0 [--no-rpm] [--nocheck] [--keep] [--out DIR] [--system-install] TARBALL" >&2; exit 2; }
if [ -n "$system" ] && [ "$(id -u)" != 0 ]; then
	echo "check-packages: --system-install needs root" >&2; exit 2
fi
case $1 in /*) tarball=$1 ;; *) tarball=$(pwd)/$1 ;; esac
[ -f "$tarball" ] || { echo "check-packages: no tarball $tarball" >&2; exit 2; }
for t in dpkg-buildpackage dpkg-deb dh; do
	command -v $t > /dev/null || {
		echo "check-packages: $t not found: apt-get install dpkg-dev debhelper dh-autoreconf" >&2
		exit 2; }
done

base=$(basename "$tarball" .tar.gz)	# slurm-mckernel-X.Y.Z
version=${base##*-}
W=$(mktemp -d "${TMPDIR:-/tmp}/check-packages.XXXXXX")
cleanup() { if [ -z "$keep" ]; then rm -rf "$W"; else echo "check-packages: kept $W"; fi; }
trap cleanup EXIT

# shellcheck disable=SC1091
. "$(dirname "$(readlink -f "$0")")/../tests/tap.sh"	# ok DESCRIPTION COMMAND...
has() {	# has LISTING PATH-REGEX
	grep -Eq "[[:space:]]\./$2\$" "$1"
}
hasnt() { ! has "$@"; }

# --- Debian packages ------------------------------------------------------
echo "# building Debian packages from $(basename "$tarball") in $W/deb"
mkdir -p "$W/deb"
cp "$tarball" "$W/deb/slurm-mckernel_$version.orig.tar.gz"
tar -C "$W/deb" -xzf "$tarball"
src=$W/deb/$base
[ -d "$src/packaging/debian" ] || { echo "check-packages: the tarball has no packaging/debian" >&2; exit 1; }
cp -r "$src/packaging/debian" "$src/debian"
debv=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
[ "${debv%-*}" = "$version" ] || {
	echo "check-packages: debian/changelog says $debv, the tarball is $version" >&2; exit 1; }
opts=
[ -n "$nocheck" ] && opts=nocheck
if ! (cd "$src" && DEB_BUILD_OPTIONS="$opts ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -us -uc -b > "$W/deb/build.log" 2>&1); then
	tail -n 60 "$W/deb/build.log"
	echo "check-packages: dpkg-buildpackage failed (log above)" >&2
	keep=yes
	exit 1
fi
arch=$(dpkg --print-architecture)
main=$W/deb/slurm-mckernel_${debv}_$arch.deb
dbl=$W/deb/slurm-mckernel-test-doubles_${debv}_$arch.deb
ok "built $(basename "$main")" test -f "$main"
ok "built $(basename "$dbl")" test -f "$dbl"
for d in "$main" "$dbl"; do
	echo "# dpkg -c $(basename "$d")"
	dpkg -c "$d" | tee "$d.list" | sed 's/^/#   /'
done
lib='usr/lib/[^/]+/slurm-mckernel'
ok "main: spank_mckernel.so in pkglibdir" has "$main.list" "$lib/spank_mckernel.so"
for f in usr/sbin/mckctl usr/sbin/mck-prologue usr/sbin/mck-epilogue \
	 usr/sbin/mck-healthcheck usr/bin/mck-maps \
	 etc/slurm/plugstack.conf.d/mckernel.conf \
	 usr/share/doc/slurm-mckernel/examples/mckernel.conf.example \
	 'usr/share/man/man8/spank_mckernel.8(\.gz)?' 'usr/share/man/man8/mckctl.8(\.gz)?' \
	 'usr/share/man/man1/mck-maps.1(\.gz)?' 'usr/share/man/man5/mckernel.conf.5(\.gz)?'; do
	ok "main: $f" has "$main.list" "$f"
done
ok "main: no test double" hasnt "$main.list" "($lib/libihk-double.so|.*/mcexec)"
ok "main: no libtool archive" hasnt "$main.list" '.*\.la'
ok "test-doubles: libihk-double.so in pkglibdir" has "$dbl.list" "$lib/libihk-double.so"
ok "test-doubles: mcexec double" has "$dbl.list" usr/libexec/slurm-mckernel/mcexec
ok "test-doubles: ihk-double.7" has "$dbl.list" 'usr/share/man/man7/ihk-double.7(\.gz)?'
dpkg-deb -I "$main" conffiles > "$W/conffiles" 2>/dev/null || :
ok "main: the plugstack.conf.d snippet is a conffile (once)" \
	test "$(grep -c '^/etc/slurm/plugstack.conf.d/mckernel.conf$' "$W/conffiles")" -eq 1
dpkg-deb --fsys-tarfile "$main" | tar -xO ./etc/slurm/plugstack.conf.d/mckernel.conf > "$W/snippet"
ok "snippet: required /usr/lib/<multiarch>/slurm-mckernel/spank_mckernel.so config=/etc/slurm/mckernel.conf" \
	grep -Eqx "required /$lib/spank_mckernel.so config=/etc/slurm/mckernel.conf" "$W/snippet"

# Install into a scratch dpkg root: dependencies (libc, hwloc, ...) are not
# in it, hence --force-depends; the packages have no maintainer scripts.
R=$W/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers"
: > "$R/var/lib/dpkg/status"
: > "$R/var/lib/dpkg/available"
dpkgr() { dpkg --root="$R" --force-not-root --force-depends --force-script-chrootless \
	--log=/dev/null "$@" > "$W/dpkg.out" 2>&1 || { cat "$W/dpkg.out"; return 1; }; }
ok "dpkg -i both packages into a scratch root" dpkgr -i "$main" "$dbl"
ok "installed: spank_mckernel.so" sh -c "ls '$R'/usr/lib/*/slurm-mckernel/spank_mckernel.so"
ok "installed: mckctl runs (--help)" sh -c "'$R/usr/sbin/mckctl' --help | grep -q 'config --check'"
ok "installed: mckctl config --check accepts the installed example" \
	sh -c "'$R/usr/sbin/mckctl' config --check '$R/usr/share/doc/slurm-mckernel/examples/mckernel.conf.example' > /dev/null 2>&1"
ok "dpkg -s: both installed" sh -c "dpkg --root='$R' -s slurm-mckernel slurm-mckernel-test-doubles | grep -c '^Status: install ok installed' | grep -qx 2"
ok "dpkg -r slurm-mckernel-test-doubles" dpkgr -r slurm-mckernel-test-doubles
ok "doubles removed" sh -c "! ls '$R'/usr/lib/*/slurm-mckernel/libihk-double.so 2>/dev/null"
ok "dpkg -r slurm-mckernel" dpkgr -r slurm-mckernel
ok "remove keeps the conffile" test -f "$R/etc/slurm/plugstack.conf.d/mckernel.conf"
ok "remove drops the plugin" sh -c "! ls '$R'/usr/lib/*/slurm-mckernel/spank_mckernel.so 2>/dev/null"
ok "dpkg -P slurm-mckernel" dpkgr -P slurm-mckernel
ok "purge removes the conffile" test ! -e "$R/etc/slurm/plugstack.conf.d/mckernel.conf"

# Into this system, with its real dependencies (a throwaway container).
if [ -n "$system" ]; then
	release=$(. /etc/os-release && echo "${PRETTY_NAME:-this system}")
	sysdpkg() { dpkg "$@" > "$W/dpkg.out" 2>&1 || { cat "$W/dpkg.out"; return 1; }; }
	ok "dpkg -i both packages on $release (dependencies met)" sysdpkg -i "$main" "$dbl"
	ok "$release: both installed" sh -c "dpkg -s slurm-mckernel slurm-mckernel-test-doubles | grep -c '^Status: install ok installed' | grep -qx 2"
	ok "$release: /usr/sbin/mckctl config --check accepts the installed example" \
		sh -c "/usr/sbin/mckctl config --check /usr/share/doc/slurm-mckernel/examples/mckernel.conf.example > /dev/null 2>&1"
	# Debian's plugstack.conf includes plugstack.conf.d/*.conf: check-slurm follows it.
	printf 'include /etc/slurm/plugstack.conf.d/*.conf\n' > "$W/plugstack.conf"
	printf 'ClusterName=x\nPlugStackConfig=%s\n' "$W/plugstack.conf" > "$W/slurm.conf"
	/usr/sbin/mckctl --config /usr/share/doc/slurm-mckernel/examples/mckernel.conf.example \
		check-slurm --slurm-conf "$W/slurm.conf" > "$W/check-slurm.out" 2>&1 || :
	ok "$release: mckctl check-slurm finds the installed 'required' line through 'include plugstack.conf.d/*.conf'" \
		sh -c "! grep -q 'spank_mckernel' '$W/check-slurm.out'"
	ok "$release: spank_mckernel.so links against this system's libraries" \
		sh -c "! ldd /usr/lib/*/slurm-mckernel/spank_mckernel.so | grep -q 'not found'"
	ok "$release: dpkg -P both" sysdpkg -P slurm-mckernel-test-doubles slurm-mckernel
	ok "$release: nothing left in /usr/lib/*/slurm-mckernel or /etc/slurm/plugstack.conf.d" \
		sh -c "! ls /usr/lib/*/slurm-mckernel/* /etc/slurm/plugstack.conf.d/mckernel.conf 2>/dev/null | grep -q ."
fi

# --- RPMs -------------------------------------------------------------------
if [ "$do_rpm" = yes ] && command -v rpmbuild > /dev/null; then
	echo "# rpmbuild -ta --nodeps (BuildRequires are RPM names, not resolvable here)"
	mkdir -p "$W/rpm"
	ropts=
	[ -n "$nocheck" ] && ropts="--without check"
	if rpmbuild -ta --nodeps $ropts --define "_topdir $W/rpm" "$tarball" > "$W/rpm/build.log" 2>&1; then
		ok "rpmbuild -ta" true
		for r in "$W"/rpm/RPMS/*/*.rpm; do
			echo "# rpm -qlp $(basename "$r")"
			rpm -qlp "$r" 2>/dev/null | tee "$r.list" | sed 's/^/#   /'
		done
		m=$(ls "$W"/rpm/RPMS/*/slurm-mckernel-$version-*.rpm | grep -v -e debug -e test-doubles)
		d=$(ls "$W"/rpm/RPMS/*/slurm-mckernel-test-doubles-$version-*.rpm)
		ok "rpm main: spank_mckernel.so" grep -Eq '/slurm-mckernel/spank_mckernel.so$' "$m.list"
		ok "rpm main: mckctl, prologue, epilogue, mck-maps" sh -c "grep -q /usr/sbin/mckctl$ '$m.list' &&
			grep -q /usr/sbin/mck-prologue$ '$m.list' && grep -q /usr/sbin/mck-epilogue$ '$m.list' &&
			grep -q /usr/bin/mck-maps$ '$m.list'"
		ok "rpm main: snippet is %config(noreplace)" sh -c \
			"rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' '$m' 2>/dev/null | grep -q '^cn /etc/slurm/plugstack.conf.d/mckernel.conf$'"
		ok "rpm test-doubles: libihk-double.so and mcexec" sh -c \
			"grep -q '/slurm-mckernel/libihk-double.so$' '$d.list' && grep -q '/slurm-mckernel/mcexec$' '$d.list'"
		ok "rpm main: no test double" sh -c "! grep -q 'libihk-double\|/mcexec$' '$m.list'"
	else
		tail -n 60 "$W/rpm/build.log"
		ok "rpmbuild -ta (log above)" false
	fi
else
	echo "# RPM build skipped ($( [ "$do_rpm" = yes ] && echo 'rpmbuild not installed: apt-get install rpm' || echo '--no-rpm'))"
fi

if ! tap_plan; then
	keep=yes
	echo "# $T_FAILED of $T_N failed"
	exit 1
fi
for d in "$W"/deb/*.deb "$W"/rpm/RPMS/*/*.rpm; do
	[ -e "$d" ] || continue
	echo "# package: $(basename "$d")"
	if [ -n "$out" ]; then mkdir -p "$out" && cp "$d" "$out/"; fi
done
