/*
 * lwk-validate.c: what must be known to be right before ihk_create_os.
 * An instance that was created but never booted cannot be removed from
 * real IHK without crashing the node, so everything that ihk_os_load,
 * ihk_os_kargs or the ranks would otherwise find out after the create is
 * checked first: the image (a McKernel ELF image for this machine, not
 * too big) and the kernel arguments; and the node must have objdump for
 * mcexec. (The plan and
 * the reservations come before the create in the boot's step table.)
 * See lwk-internal.h.
 */
#include "config.h"
#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lwk-internal.h"
#include "mck-prereq.h"

#if defined(__x86_64__)
#define NODE_MACHINE EM_X86_64
#define NODE_MACHINE_NAME "x86-64"
#elif defined(__aarch64__)
#define NODE_MACHINE EM_AARCH64
#define NODE_MACHINE_NAME "aarch64"
#else
#define NODE_MACHINE EM_NONE
#define NODE_MACHINE_NAME "this machine"
#endif

#if __BYTE_ORDER == __LITTLE_ENDIAN
#define NODE_ELFDATA ELFDATA2LSB
#else
#define NODE_ELFDATA ELFDATA2MSB
#endif

/*
 * What of the first got bytes of the image (h, zero-filled) is not a
 * McKernel image for this node, or NULL.
 */
static const char *elf_problem(const Elf64_Ehdr *h, ssize_t got)
{
	if (got < SELFMAG || memcmp(h->e_ident, ELFMAG, SELFMAG))
		return "not an ELF file (no ELF magic)";
	if (h->e_ident[EI_CLASS] != ELFCLASS64)
		return "not a 64-bit ELF image";
	if (h->e_ident[EI_DATA] != NODE_ELFDATA)
		return "an ELF image of the other byte order";
	if (got < (ssize_t)sizeof(*h))
		return "too short for an ELF header";
	if (h->e_machine != NODE_MACHINE)
		return "an ELF image for another machine than " NODE_MACHINE_NAME;
	if (h->e_type != ET_EXEC && h->e_type != ET_DYN)
		return "an ELF file that is not an executable image";
	if (h->e_ehsize != sizeof(Elf64_Ehdr) || h->e_phnum == 0 ||
	    h->e_phentsize != sizeof(Elf64_Phdr))
		return "an ELF image without program headers to load";
	return NULL;
}

int lwk_check_image(const char *image, char *why, size_t len)
{
	Elf64_Ehdr h;
	struct stat st;
	const char *problem;
	ssize_t got;
	int fd, rc;

	/* O_NONBLOCK: a FIFO named as the image must not stall the boot */
	fd = open(image, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		snprintf(why, len, "%s: %s", image, strerror(errno));
		return rc;
	}
	rc = -EINVAL;
	if (fstat(fd, &st)) {
		rc = -errno;
		snprintf(why, len, "%s: %s", image, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, len, "%s: not a regular file", image);
		goto out;
	}
	if (st.st_size > LWK_IMAGE_MAX_BYTES) {
		rc = -E2BIG;
		snprintf(why, len, "%s: %lld bytes, more than the %ld MiB a McKernel image has",
			 image, (long long)st.st_size, LWK_IMAGE_MAX_BYTES >> 20);
		goto out;
	}
	memset(&h, 0, sizeof(h));
	got = pread(fd, &h, sizeof(h), 0);
	if (got < 0) {
		rc = -errno;
		snprintf(why, len, "%s: %s", image, strerror(errno));
		goto out;
	}
	problem = elf_problem(&h, got);
	if (problem) {
		snprintf(why, len, "%s: %s", image, problem);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

int lwk_check_before_create(const struct mck_config *cfg, struct mck_error *err)
{
	const char *conf = cfg->path && *cfg->path ? cfg->path : "mckernel.conf";
	char why[4096];
	int rc;

	rc = lwk_check_image(cfg->image, why, sizeof(why));
	if (rc)
		return mck_fail(err, rc, "boot failed at image check: %s; set 'image' in %s "
				"to McKernel's mckernel.img", why, conf);
	rc = mck_config_kargs_check(cfg->kargs, why, sizeof(why));
	if (rc)
		return mck_fail(err, rc, "boot failed at kargs check: %s; fix 'kargs' in %s",
				why, conf);
	return 0;
}

int lwk_check_node_ready(struct mck_error *err)
{
	char why[4096];
	int rc = mck_prereq_objdump(getenv("PATH"), why, sizeof(why));

	if (rc)
		return mck_fail(err, rc, "node not ready for McKernel jobs: %s", why);
	return 0;
}
