/*
 * oci-rootfs.h: is a container's root filesystem ready for what a
 * --mckernel step mounts and runs in it? Paths inside the container are
 * looked up the way the container will see them: the mounts of the
 * bundle and of the step in order (the last whose destination covers a
 * path wins; a bind mount shows its source, any other mount - tmpfs,
 * proc - is taken as able to hold anything), else the root filesystem
 * with its symbolic links resolved inside it.
 *
 * Messages name what the bundle must gain, in one line.
 */
#ifndef MCK_OCI_ROOTFS_H
#define MCK_OCI_ROOTFS_H

#include <sys/types.h>

#include "mck-error.h"
#include "oci.h"

struct mck_rootfs_mount {
	const char *source;
	const char *destination;
	int bind;		/* bind mount: source is a path on this node */
};

struct mck_rootfs_view {
	const char *rootfs;	/* the root filesystem on this node */
	const struct mck_rootfs_mount *mounts;
	int nmounts;
	uid_t uid;		/* who runs the container (0: this process's euid) */
};

enum mck_rootfs_where {
	MCK_ROOTFS_FOUND,	/* *host exists */
	MCK_ROOTFS_MISSING,	/* *host does not exist; *host is its nearest existing parent */
	MCK_ROOTFS_VIRTUAL,	/* inside a mount that is not a bind mount */
};

/*
 * Where the container path `path` (absolute) is on this node. *host is
 * malloc'd (NULL for MCK_ROOTFS_VIRTUAL). Returns an mck_rootfs_where
 * value, or a negative errno (too many symbolic links, out of memory).
 */
int mck_rootfs_locate(const struct mck_rootfs_view *v, const char *path, char **host,
		      struct mck_error *err);

/*
 * Can m be mounted on top of v (whose mounts are those made before m)?
 * Its source must exist on this node; its destination must exist in the
 * container with the same kind (directory or not), or be creatable by
 * the container's user in a parent that exists.
 */
int mck_rootfs_check_mount(const struct mck_rootfs_view *v, const struct mck_oci_mount *m,
			   struct mck_error *err);

/*
 * Will program (a path on this node, mounted at the same path) start in
 * the container: its ELF interpreter and the libraries it names directly
 * (found through ld_library_path, its RUNPATH/RPATH, the container's
 * /etc/ld.so.conf and the standard directories)?
 */
int mck_rootfs_check_program(const struct mck_rootfs_view *v, const char *program,
			     const char *ld_library_path, struct mck_error *err);

/*
 * Is there an executable `tool` in the container's PATH (path_env, NULL:
 * "/usr/bin:/bin")? mcexec runs binutils' objdump on every program it
 * starts; without it, it cannot set LD_PRELOAD. why: what runs it.
 */
int mck_rootfs_check_tool(const struct mck_rootfs_view *v, const char *tool, const char *package,
			  const char *path_env, const char *why, struct mck_error *err);

/* What an ELF executable of this machine's kind needs to start. */
struct mck_elf_needs {
	char *interp;		/* PT_INTERP, or NULL for a static program */
	char **needed;		/* DT_NEEDED names, NULL-terminated */
	int nneeded;
	char **runpath;		/* DT_RUNPATH, else DT_RPATH, split at ':' */
	int nrunpath;
};

/* -ENOEXEC when path is not an ELF file of this machine's class and byte order. */
int mck_elf_needs(const char *path, struct mck_elf_needs *out, struct mck_error *err);
void mck_elf_needs_free(struct mck_elf_needs *n);

#endif
