/*
 * mck-ihk.h: libihk, loaded at run time with dlopen from the configured
 * path (mckernel.conf "libihk"). Production code calls IHK only through
 * this table, so the real libihk and the double are interchangeable by
 * configuration alone.
 */
#ifndef MCK_IHK_H
#define MCK_IHK_H

#include "ihklib-abi.h"
#include "mck-error.h"

struct mck_ihk {
	void *handle;
	char *path;
#define MCK_IHK_MEMBER(name, ret, params) ret (*name) params;
	MCK_IHK_CALLS(MCK_IHK_MEMBER)
#undef MCK_IHK_MEMBER
};

/* dlopen path and resolve every call; a missing symbol is an error. */
int mck_ihk_open(struct mck_ihk *ihk, const char *path, struct mck_error *err);
void mck_ihk_close(struct mck_ihk *ihk);

/* Name of a status value ("RUNNING"), as ihkosctl prints it. */
const char *mck_ihk_status_name(int status);

#endif
