/* mck-ihk.c: see mck-ihk.h. */
#include "config.h"
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mck-ihk.h"

int mck_ihk_open(struct mck_ihk *ihk, const char *path, struct mck_error *err)
{
	memset(ihk, 0, sizeof(*ihk));
	ihk->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!ihk->handle)
		return mck_fail(err, -ENOENT,
				"cannot load libihk from %s (%s): check 'libihk' in mckernel.conf",
				path, dlerror());
#define MCK_IHK_RESOLVE(name, ret, params) \
	*(void **)&ihk->name = dlsym(ihk->handle, #name); \
	if (!ihk->name) { \
		mck_fail(err, -ENOSYS, "%s does not provide %s: is it libihk?", path, #name); \
		goto fail; \
	}
	MCK_IHK_CALLS(MCK_IHK_RESOLVE)
#undef MCK_IHK_RESOLVE
	ihk->path = strdup(path);
	if (!ihk->path) {
		mck_fail(err, -ENOMEM, "out of memory");
		goto fail;
	}
	return 0;
fail:
	dlclose(ihk->handle);
	memset(ihk, 0, sizeof(*ihk));
	return err ? err->code : -ENOSYS;
}

void mck_ihk_close(struct mck_ihk *ihk)
{
	if (ihk->handle)
		dlclose(ihk->handle);
	free(ihk->path);
	memset(ihk, 0, sizeof(*ihk));
}

const char *mck_ihk_status_name(int status)
{
	static const char *const names[] = {
		"INACTIVE", "BOOTING", "RUNNING", "SHUTDOWN",
		"PANIC", "HUNGUP", "FREEZING", "FROZEN",
	};

	if (status >= 0 && status < (int)(sizeof(names) / sizeof(names[0])))
		return names[status];
	return "UNKNOWN";
}
