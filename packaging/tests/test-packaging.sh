#!/bin/sh
# test-packaging: the RPM spec and the Debian packaging follow the build.
# Same version as configure.ac; `make install` into a temporary DESTDIR
# installs exactly the files the spec's %files and the debian/*.install
# lists name (each in one package), no libtool archive, and `make
# uninstall` removes them all again.
: "${top_srcdir:?run me through make check}"
: "${top_builddir:?run me through make check}"
: "${PACKAGE_VERSION:?run me through make check}"

. "$top_srcdir/tests/tap.sh"
SPEC=$top_srcdir/packaging/rpm/slurm-mckernel.spec
DEB=$top_srcdir/packaging/debian
for f in "$SPEC" "$DEB/changelog" "$DEB/control" "$DEB/slurm-mckernel.install" \
	 "$DEB/slurm-mckernel-test-doubles.install"; do
	[ -e "$f" ] || { echo "# missing $f" >&2; exit 99; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/test-packaging.XXXXXX") || exit 99

# --- versions
v=$(sed -n 's/^Version:[[:space:]]*//p' "$SPEC")
test "$v" = "$PACKAGE_VERSION"
t $? "spec Version ($v) is configure's ($PACKAGE_VERSION)"
v=$(sed -n '1s/^slurm-mckernel (\([^)-]*\)-[^)]*).*/\1/p' "$DEB/changelog")
test "$v" = "$PACKAGE_VERSION"
t $? "debian/changelog upstream version ($v) is configure's"
test "$(sed -n 's/^Name:[[:space:]]*//p' "$SPEC")" = slurm-mckernel &&
	test "$(sed -n 's/^Source:[[:space:]]*//p' "$DEB/control")" = slurm-mckernel
t $? "spec Name and debian Source are slurm-mckernel"

# --- what make install installs, with the configured directories abstracted
${MAKE:-make} -s -C "$top_builddir" install DESTDIR="$T/root" > "$T/install.log" 2>&1
t $? "make install DESTDIR=... (log: $T/install.log)"
(cd "$T/root" && find . \( -type f -o -type l \) | sed 's|^\.||') > "$T/raw"
abstract() {	# stdin: absolute paths; stdout: {dir}/rest, sorted
	sed -e "s|^$mck_pkglibexecdir/|{pkglibexecdir}/|" \
	    -e "s|^$mck_pkglibdir/|{pkglibdir}/|" \
	    -e "s|^$mck_docdir/|{docdir}/|" \
	    -e "s|^$mck_mandir/|{mandir}/|" \
	    -e "s|^$mck_slurmconfdir/|{slurmconfdir}/|" \
	    -e "s|^$mck_sbindir/|{sbindir}/|" \
	    -e "s|^$mck_bindir/|{bindir}/|" | LC_ALL=C sort
}
abstract < "$T/raw" > "$T/installed"
! grep -v '^{' "$T/installed"
t $? "every installed file is under a configured directory"
! grep '\.la$' "$T/installed"
t $? "no libtool archive installed"
for f in '{pkglibdir}/spank_mckernel.so' '{sbindir}/mckctl' '{sbindir}/mck-prologue' \
	 '{sbindir}/mck-epilogue' '{bindir}/mck-maps' \
	 '{slurmconfdir}/plugstack.conf.d/mckernel.conf' \
	 '{docdir}/examples/mckernel.conf.example' \
	 '{mandir}/man8/spank_mckernel.8' '{mandir}/man8/mckctl.8' \
	 '{mandir}/man1/mck-maps.1' '{mandir}/man5/mckernel.conf.5' \
	 '{pkglibdir}/libihk-double.so' '{pkglibexecdir}/mcexec'; do
	grep -qxF "$f" "$T/installed"
	t $? "installed: $f"
done
test "$(head -c 4 "$T/root$mck_pkglibdir/spank_mckernel.so" | tail -c 3)" = ELF
t $? "installed plugin is an ELF file"

# --- the spec's %files
sed -n '/^%files/,/^%changelog/p' "$SPEC" |
	grep -v -e '^%files' -e '^%changelog' -e '^%dir ' -e '^#' -e '^[[:space:]]*$' |
	sed -e 's/^%config(noreplace) //' -e 's/\*$//' \
	    -e 's|^%{_libexecdir}/%{name}/|{pkglibexecdir}/|' \
	    -e 's|^%{_libdir}/%{name}/|{pkglibdir}/|' \
	    -e 's|^%{_docdir}/%{name}/|{docdir}/|' \
	    -e 's|^%{_mandir}/|{mandir}/|' \
	    -e 's|^%{_sysconfdir}/slurm/|{slurmconfdir}/|' \
	    -e 's|^%{_sbindir}/|{sbindir}/|' \
	    -e 's|^%{_bindir}/|{bindir}/|' | LC_ALL=C sort > "$T/spec"
diff "$T/installed" "$T/spec" > "$T/diff"
t $? "spec %files lists exactly the installed files $(tr '\n' ' ' < "$T/diff")"
grep -q '^%config(noreplace) %{_sysconfdir}/slurm/plugstack.conf.d/mckernel.conf$' "$SPEC"
t $? "spec: the plugstack.conf.d snippet is %config(noreplace)"

# --- debian/*.install (pkglibdir is /usr/lib/<multiarch>/slurm-mckernel there)
debabstract() {
	sed -e 's|^usr/libexec/slurm-mckernel/|{pkglibexecdir}/|' \
	    -e 's|^usr/lib/\*/slurm-mckernel/|{pkglibdir}/|' \
	    -e 's|^usr/share/doc/slurm-mckernel/|{docdir}/|' \
	    -e 's|^usr/share/man/|{mandir}/|' \
	    -e 's|^etc/slurm/|{slurmconfdir}/|' \
	    -e 's|^usr/sbin/|{sbindir}/|' \
	    -e 's|^usr/bin/|{bindir}/|' "$@"
}
debabstract "$DEB/slurm-mckernel.install" > "$T/deb-main"
debabstract "$DEB/slurm-mckernel-test-doubles.install" > "$T/deb-doubles"
LC_ALL=C sort "$T/deb-main" "$T/deb-doubles" > "$T/deb"
diff "$T/installed" "$T/deb" > "$T/diff"
t $? "debian/*.install list exactly the installed files $(tr '\n' ' ' < "$T/diff")"
grep -q '^{pkglibdir}/libihk-double.so$' "$T/deb-doubles" &&
	grep -q '^{pkglibexecdir}/mcexec$' "$T/deb-doubles" &&
	! grep -q 'double\|mcexec' "$T/deb-main"
t $? "debian: the doubles are in -test-doubles only"

# --- uninstall leaves no file behind
${MAKE:-make} -s -C "$top_builddir" uninstall DESTDIR="$T/root" > "$T/uninstall.log" 2>&1
t $? "make uninstall DESTDIR=..."
left=$(cd "$T/root" && find . \( -type f -o -type l \) | tr '\n' ' ')
test -z "$left"
t $? "uninstall removes every file ($left)"

tap_done
