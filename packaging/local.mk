## packaging: RPM spec and Debian packaging, both built from the tarball.
## `make check-packages` (not part of make check) builds the Debian packages
## (and the RPMs when rpmbuild is there) from `make dist` and checks them;
## see packaging/README.md.

EXTRA_DIST += packaging/README.md packaging/check-packages.sh \
	packaging/rpm/slurm-mckernel.spec packaging/debian \
	packaging/tests/test-packaging.sh

# The spec and debian/ follow the build: same version as configure.ac, and
# exactly the files `make install` installs (the test installs into a
# temporary DESTDIR and compares).
TESTS += packaging/tests/test-packaging.sh
TESTS_ENVIRONMENT += MAKE='$(MAKE)' PACKAGE_VERSION='$(PACKAGE_VERSION)' \
	mck_pkglibexecdir='$(pkglibexecdir)' mck_docdir='$(docdir)' \
	mck_mandir='$(mandir)' mck_sbindir='$(sbindir)' mck_bindir='$(bindir)'

check-packages: dist
	$(SHELL) $(srcdir)/packaging/check-packages.sh $(CHECK_PACKAGES_FLAGS) \
	  '$(abs_top_builddir)/$(PACKAGE)-$(VERSION).tar.gz'
.PHONY: check-packages
