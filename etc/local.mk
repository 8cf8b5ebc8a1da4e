## etc: the plugstack.conf.d snippet that loads the plugin and an example
## mckernel.conf. Both are generated with the configured paths at make time
## (they name $(pkglibdir), $(sysconfdir), ... as installed).

plugstackdir = $(slurmconfdir)/plugstack.conf.d
plugstack_DATA = etc/plugstack.conf.d/mckernel.conf
mckexamplesdir = $(docdir)/examples
mckexamples_DATA = etc/mckernel.conf.example

etc_edit = sed \
	-e 's|@pkglibdir[@]|$(pkglibdir)|g' \
	-e 's|@pkglibexecdir[@]|$(pkglibexecdir)|g' \
	-e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@docdir[@]|$(docdir)|g' \
	-e 's|@slurmconfdir[@]|$(slurmconfdir)|g' \
	-e 's|@mckstatedir[@]|$(mckstatedir)|g'

etc/plugstack.conf.d/mckernel.conf: $(srcdir)/etc/plugstack-mckernel.conf.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc/plugstack.conf.d && rm -f $@ $@.tmp && \
	$(etc_edit) $(srcdir)/etc/plugstack-mckernel.conf.in > $@.tmp && mv $@.tmp $@
etc/mckernel.conf.example: $(srcdir)/etc/mckernel.conf.example.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc && rm -f $@ $@.tmp && \
	$(etc_edit) $(srcdir)/etc/mckernel.conf.example.in > $@.tmp && mv $@.tmp $@
CLEANFILES += etc/plugstack.conf.d/mckernel.conf etc/mckernel.conf.example

EXTRA_DIST += etc/plugstack-mckernel.conf.in etc/mckernel.conf.example.in \
	etc/tests/test-etc.sh
TESTS += etc/tests/test-etc.sh
TESTS_ENVIRONMENT += mck_pkglibdir='$(pkglibdir)' mck_slurmconfdir='$(slurmconfdir)'
