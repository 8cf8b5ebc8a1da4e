/*
 * mck-oci-run: the OCI runtime command of oci.conf on McKernel nodes with
 * Slurm 23.11 and later, in front of the real runtime:
 *
 *   RunTimeRun="PKGLIBEXECDIR/mck-oci-run %b runc --rootless=true ... run ... -b %b"
 *
 * Slurm writes the task's config.json into the bundle directory %b after
 * the SPANK task_init, with the task's argv (mcexec already prepended by
 * spank_mckernel) and environment; mounts cannot be added that way. For
 * a --mckernel task the plugin leaves the mounts mcexec needs in the
 * variable SLURM_MCKERNEL_CONTAINER of that environment: this program
 * takes it out of process.env, checks the bundle's root filesystem for
 * them (one line naming what to add, exit 1, no container started),
 * adds them to config.json and execs the runtime. Other tasks' bundles
 * are left alone. It runs as the job's user and never uses a shell.
 */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mck-error.h"
#include "oci.h"

#define PREFIX "spank_mckernel: "

static int usage(void)
{
	fprintf(stderr, "usage: mck-oci-run BUNDLE RUNTIME [ARG...]\n"
		"  (oci.conf: RunTimeRun=\"mck-oci-run %%b runc ... run ID -b %%b\", see "
		"spank_mckernel(8))\n");
	return 2;
}

/* Add the step's mounts to BUNDLE/config.json when it is a --mckernel task. */
static int prepare(const char *bundle, struct mck_error *err)
{
	struct mck_oci_edit e = { 0 };
	struct mck_oci *doc = NULL;
	const char *text;
	char path[PATH_MAX];
	int rc;

	if (snprintf(path, sizeof(path), "%s/config.json", bundle) >= (int)sizeof(path))
		return mck_fail(err, -ENAMETOOLONG, "bundle path too long: %s", bundle);
	if ((rc = mck_oci_load(path, &doc, err)) < 0)
		return rc;
	text = mck_oci_getenv(doc, MCK_OCI_EDIT_VAR);
	if (!text) {
		rc = 0;		/* not a --mckernel task */
		goto out;
	}
	if ((rc = mck_oci_edit_decode(text, &e, err)) < 0)
		goto out;
	mck_oci_unsetenv(doc, MCK_OCI_EDIT_VAR);
	if ((rc = mck_oci_apply(doc, &e, err)) < 0 || (rc = mck_oci_save(doc, err)) < 0)
		goto out;
	rc = 0;
out:
	mck_oci_edit_free(&e);
	mck_oci_free(doc);
	return rc;
}

int main(int argc, char **argv)
{
	struct mck_error err = { 0 };

	if (argc < 3 || argv[1][0] == '-')
		return usage();
	if (prepare(argv[1], &err) < 0) {
		fprintf(stderr, PREFIX "%s\n", err.msg);
		return 1;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, PREFIX "cannot run the OCI runtime %s: %s: check RunTimeRun in oci.conf\n",
		argv[2], strerror(errno));
	return 127;
}
