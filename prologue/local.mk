## prologue: fragment of the top-level Makefile.am
## mck-prologue: what slurmd runs as Prolog= (boots the job's McKernel).
sbin_PROGRAMS += prologue/mck-prologue
prologue_mck_prologue_SOURCES = prologue/mck-prologue.c
prologue_mck_prologue_LDADD = lwk/libmckrun.la common/libmckcommon.la
dist_man_MANS += prologue/mck-prologue.8
