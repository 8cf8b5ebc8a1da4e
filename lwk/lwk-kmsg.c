/*
 * lwk-kmsg.c: the one place that saves an instance's kernel messages,
 * STATE_DIR/kmsg/NAME.kmsg (NAME: JOBID, or JOBID.stepS when a step found
 * its instance unusable), mode 0640, owner root, group the job's: the
 * job's user may read the log of its own kernel, others may not. Called
 * only for instances that may be queried, before they are destroyed (the
 * buffer cannot be read afterwards). See lwk-internal.h.
 */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lwk-internal.h"
#include "mck-util.h"

#define KMSG_MODE 0640
/* IHK's kernel message buffer: 4 MiB - 4096 bytes at most. */
#define KMSG_MAX (4 * 1024 * 1024 - 4096)

int lwk_kmsg_save(struct lwk_ctx *c, int os, const char *name, gid_t gid,
		  char *saved, size_t saved_len)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], args[32];
	struct mck_error e = { 0 };
	double t0 = mck_now_ms();
	char *buf = NULL;
	int size, rc;

	if (saved && saved_len)
		saved[0] = '\0';
	snprintf(args, sizeof(args), "%d", os);
	size = c->ihk.ihk_os_get_kmsg_size(os);
	if (size <= 0) {
		lwk_log_call(c, "ihk_os_get_kmsg_size", args, size < 0 ? size : 0, t0);
		return size < 0 ? size : -ENODATA;
	}
	if (size > KMSG_MAX)
		size = KMSG_MAX;
	buf = calloc(1, size + 1);
	if (!buf)
		return -ENOMEM;
	rc = c->ihk.ihk_os_kmsg(os, buf, size);
	lwk_log_call(c, "ihk_os_kmsg", args, rc, t0);
	if (rc < 0)
		goto out;
	snprintf(dir, sizeof(dir), "%s/kmsg", c->cfg->state_dir);
	snprintf(path, sizeof(path), "%s/%s.kmsg", dir, name);
	rc = mck_mkdir_p(dir, 0755, &e);
	if (!rc)
		rc = mck_write_file_atomic(path, buf, strnlen(buf, size), KMSG_MODE, &e);
	if (rc) {
		lwk_log(c, "saving kmsg failed: %s", e.msg);
		goto out;
	}
	if (chown(path, 0, gid)) {
		rc = -errno;
		lwk_log(c, "chown %s to root:%lu failed: %s", path, (unsigned long)gid,
			strerror(errno));
		unlink(path);
		goto out;
	}
	lwk_log(c, "kmsg saved to %s", path);
	if (saved && saved_len)
		snprintf(saved, saved_len, "%s", path);
	rc = 0;
out:
	free(buf);
	return rc < 0 ? rc : 0;
}
