## epilogue: fragment of the top-level Makefile.am
## mck-epilogue: what slurmd runs as Epilog= (tears the job's McKernel down).
sbin_PROGRAMS += epilogue/mck-epilogue
epilogue_mck_epilogue_SOURCES = epilogue/mck-epilogue.c
epilogue_mck_epilogue_LDADD = lwk/libmckrun.la common/libmckcommon.la
dist_man_MANS += epilogue/mck-epilogue.8
