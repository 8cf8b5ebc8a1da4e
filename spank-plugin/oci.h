/*
 * oci.h: an OCI bundle's config.json as the plugin changes it for a
 * --mckernel container step (see doc/containers.md). No Slurm here, so
 * that unit tests (spank-plugin/tests/test-oci) run the same code as the
 * plugin and mck-oci-run.
 *
 * A step's change, struct mck_oci_edit, is applied to the spooled
 * config.json Slurm wrote for the task:
 *   - prefix words go in front of process.args (Slurm 22.05, where the
 *     plugin cannot prepend to the task's argv);
 *   - each NAME=VALUE of env replaces the process.env entry of that NAME
 *     or is appended (the rank's environment);
 *   - mounts are appended to mounts[] as bind mounts (what mcexec needs
 *     inside the container).
 * Before anything is written, the bundle's root filesystem is checked for
 * what the change needs (oci-rootfs.c): a bundle that lacks it is refused
 * with one line naming what to add.
 */
#ifndef MCK_OCI_H
#define MCK_OCI_H

#include "mck-error.h"

/* config.json is refused above this size. */
#define MCK_OCI_MAX_CONFIG (4 << 20)

/* One bind mount: source on the node, destination inside the container. */
struct mck_oci_mount {
	char *source;
	char *destination;
	int readonly;
	char *why;		/* what it is for, in messages ("mcexec's directory") */
};

struct mck_oci_edit {
	char **prefix;			/* words before process.args, or NULL */
	int nprefix;
	char **env;			/* NAME=VALUE, or NULL */
	int nenv;
	struct mck_oci_mount *mounts;
	int nmounts;
	char *mcexec;			/* checked in the rootfs (its ELF needs), or NULL */
};

/* A loaded config.json; opaque outside oci.c. */
struct mck_oci;

/*
 * Read and parse path (a regular file, at most MCK_OCI_MAX_CONFIG bytes,
 * an object with a process object whose args is a list of strings).
 */
int mck_oci_load(const char *path, struct mck_oci **out, struct mck_error *err);

/* Parse text (len bytes); name is used in messages. */
int mck_oci_parse(const char *text, size_t len, const char *name, struct mck_oci **out,
		  struct mck_error *err);

/*
 * The container's root filesystem: root.path, made absolute against the
 * directory of the config.json when relative (malloc'd).
 */
int mck_oci_rootfs(const struct mck_oci *doc, char **out, struct mck_error *err);

/* process.args as a NULL-terminated malloc'd copy (mck_argv_free). */
int mck_oci_args(const struct mck_oci *doc, char ***out, int *outc, struct mck_error *err);

/* The value of NAME in process.env (inside doc), or NULL. */
const char *mck_oci_getenv(const struct mck_oci *doc, const char *name);

/* Remove NAME from process.env; 1 when it was there. */
int mck_oci_unsetenv(struct mck_oci *doc, const char *name);

/*
 * Check the rootfs for the edit (mount points, mcexec's interpreter and
 * libraries), then apply it to doc. Nothing changes on error.
 */
int mck_oci_apply(struct mck_oci *doc, const struct mck_oci_edit *e, struct mck_error *err);

/* The document as JSON text (malloc'd, pretty, '/' not escaped). */
int mck_oci_dump(const struct mck_oci *doc, char **out, struct mck_error *err);

/* Write it back to the file it came from (temporary file + rename). */
int mck_oci_save(const struct mck_oci *doc, struct mck_error *err);

void mck_oci_free(struct mck_oci *doc);

/*
 * The mounts of an edit as a JSON list of {"source", "destination",
 * "readonly"} (malloc'd), and back: how the plugin hands them to
 * mck-oci-run on Slurm 23.11+ (the variable MCK_OCI_EDIT_VAR in the
 * task's environment, which Slurm copies into config.json).
 */
#define MCK_OCI_EDIT_VAR "SLURM_MCKERNEL_CONTAINER"
int mck_oci_edit_encode(const struct mck_oci_edit *e, char **out, struct mck_error *err);
int mck_oci_edit_decode(const char *text, struct mck_oci_edit *e, struct mck_error *err);

/* Free what an edit holds (not e itself). */
void mck_oci_edit_free(struct mck_oci_edit *e);

#endif
