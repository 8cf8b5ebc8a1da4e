/*
 * oci-elf.c: what an ELF executable needs to start (program interpreter,
 * DT_NEEDED libraries, DT_RUNPATH/DT_RPATH), read from the file without
 * running anything. Only executables of this machine's class and byte
 * order are read (the ones that can run here); every offset and size is
 * checked against the file and bounded.
 */
#include "config.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mck-options.h"
#include "mck-util.h"
#include "oci-rootfs.h"

#define MAX_PHDRS 256
#define MAX_DYN 8192
#define MAX_STRTAB (1 << 20)

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif
#if __SIZEOF_POINTER__ == 8
#define NATIVE_CLASS ELFCLASS64
#else
#define NATIVE_CLASS ELFCLASS32
#endif

struct elf_file {
	int fd;
	off_t size;
	const char *path;
	ElfW(Phdr) *ph;
	int nph;
};

/* Read exactly len bytes at off, inside the file. */
static int read_at(const struct elf_file *f, void *buf, size_t len, uint64_t off,
		   struct mck_error *err)
{
	size_t got = 0;

	if (off > (uint64_t)f->size || len > (uint64_t)f->size - off)
		return mck_fail(err, -ENOEXEC, "%s: damaged ELF file (data past its end)", f->path);
	while (got < len) {
		ssize_t r = pread(f->fd, (char *)buf + got, len - got, (off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return mck_fail(err, r < 0 ? -errno : -EIO, "cannot read %s: %s", f->path,
					r < 0 ? strerror(errno) : "short read");
		got += r;
	}
	return 0;
}

static int read_phdrs(struct elf_file *f, struct mck_error *err)
{
	ElfW(Ehdr) eh;
	int rc;

	if (f->size < (off_t)sizeof(eh) || (rc = read_at(f, &eh, sizeof(eh), 0, err)) < 0 ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != NATIVE_CLASS ||
	    eh.e_ident[EI_DATA] != NATIVE_DATA)
		return mck_fail(err, -ENOEXEC, "%s is not an ELF program of this machine", f->path);
	if (eh.e_phentsize != sizeof(ElfW(Phdr)) || eh.e_phnum > MAX_PHDRS)
		return mck_fail(err, -ENOEXEC, "%s: damaged ELF file (program headers)", f->path);
	f->nph = eh.e_phnum;
	f->ph = calloc(f->nph + 1, sizeof(*f->ph));
	if (!f->ph)
		return mck_fail(err, -ENOMEM, "out of memory");
	return read_at(f, f->ph, f->nph * sizeof(*f->ph), eh.e_phoff, err);
}

/* File offset of a virtual address, through the PT_LOAD segments. */
static int vaddr_offset(const struct elf_file *f, uint64_t vaddr, uint64_t *off)
{
	for (int i = 0; i < f->nph; i++) {
		const ElfW(Phdr) *p = &f->ph[i];

		if (p->p_type == PT_LOAD && vaddr >= p->p_vaddr &&
		    vaddr - p->p_vaddr < p->p_filesz) {
			*off = p->p_offset + (vaddr - p->p_vaddr);
			return 0;
		}
	}
	return -1;
}

static int read_interp(const struct elf_file *f, struct mck_elf_needs *n, struct mck_error *err)
{
	for (int i = 0; i < f->nph; i++) {
		const ElfW(Phdr) *p = &f->ph[i];
		int rc;

		if (p->p_type != PT_INTERP)
			continue;
		if (p->p_filesz < 2 || p->p_filesz > PATH_MAX)
			return mck_fail(err, -ENOEXEC, "%s: damaged ELF file (interpreter)", f->path);
		n->interp = calloc(1, p->p_filesz + 1);
		if (!n->interp)
			return mck_fail(err, -ENOMEM, "out of memory");
		if ((rc = read_at(f, n->interp, p->p_filesz, p->p_offset, err)) < 0)
			return rc;
		return 0;
	}
	return 0;
}

/* Append strdup(s) to a NULL-terminated vector. */
static int push(char ***v, int *n, const char *s, size_t len)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strndup(s, len);
	if (!nv[*n])
		return -ENOMEM;
	nv[++*n] = NULL;
	return 0;
}

/* The strings the dynamic section names, from a string table of len bytes. */
static int take_strings(const char *tab, size_t len, const ElfW(Dyn) *dyn, int ndyn,
			struct mck_elf_needs *n)
{
	const char *path = NULL;
	int have_runpath = 0;

	for (int i = 0; i < ndyn; i++) {
		uint64_t v = dyn[i].d_un.d_val;

		if (dyn[i].d_tag != DT_NEEDED && dyn[i].d_tag != DT_RUNPATH &&
		    dyn[i].d_tag != DT_RPATH)
			continue;
		if (v >= len || !memchr(tab + v, '\0', len - v))
			return -ENOEXEC;
		if (dyn[i].d_tag == DT_NEEDED) {
			if (push(&n->needed, &n->nneeded, tab + v, strlen(tab + v)) < 0)
				return -ENOMEM;
		} else if (dyn[i].d_tag == DT_RUNPATH || !have_runpath) {
			/* DT_RUNPATH replaces DT_RPATH (ld.so(8)) */
			have_runpath |= dyn[i].d_tag == DT_RUNPATH;
			path = tab + v;
		}
	}
	while (path && *path) {
		size_t l = strcspn(path, ":");

		if (l && push(&n->runpath, &n->nrunpath, path, l) < 0)
			return -ENOMEM;
		path += l + (path[l] == ':');
	}
	return 0;
}

static int read_dynamic(const struct elf_file *f, struct mck_elf_needs *n, struct mck_error *err)
{
	ElfW(Dyn) *dyn = NULL;
	char *tab = NULL;
	uint64_t strtab = 0, strsz = 0, off;
	int ndyn = 0, rc = 0;

	for (int i = 0; i < f->nph; i++) {
		const ElfW(Phdr) *p = &f->ph[i];

		if (p->p_type != PT_DYNAMIC)
			continue;
		if (p->p_filesz / sizeof(*dyn) > MAX_DYN)
			return mck_fail(err, -ENOEXEC, "%s: damaged ELF file (dynamic section)", f->path);
		ndyn = (int)(p->p_filesz / sizeof(*dyn));
		dyn = calloc(ndyn + 1, sizeof(*dyn));
		if (!dyn)
			return mck_fail(err, -ENOMEM, "out of memory");
		if ((rc = read_at(f, dyn, ndyn * sizeof(*dyn), p->p_offset, err)) < 0)
			goto out;
		break;
	}
	for (int i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
		if (dyn[i].d_tag == DT_STRTAB)
			strtab = dyn[i].d_un.d_ptr;
		else if (dyn[i].d_tag == DT_STRSZ)
			strsz = dyn[i].d_un.d_val;
	}
	if (!dyn || !strtab)
		goto out;		/* static: needs nothing */
	if (!strsz || strsz > MAX_STRTAB || vaddr_offset(f, strtab, &off) < 0) {
		rc = mck_fail(err, -ENOEXEC, "%s: damaged ELF file (string table)", f->path);
		goto out;
	}
	tab = malloc(strsz);
	if (!tab) {
		rc = mck_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = read_at(f, tab, strsz, off, err)) < 0)
		goto out;
	rc = take_strings(tab, strsz, dyn, ndyn, n);
	if (rc == -ENOEXEC)
		mck_fail(err, rc, "%s: damaged ELF file (dynamic strings)", f->path);
	else if (rc < 0)
		mck_fail(err, rc, "out of memory");
out:
	free(tab);
	free(dyn);
	return rc;
}

int mck_elf_needs(const char *path, struct mck_elf_needs *out, struct mck_error *err)
{
	struct elf_file f = { .fd = -1, .path = path };
	struct stat st;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	f.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f.fd < 0)
		return mck_fail(err, -errno, "cannot read %s: %s", path, strerror(errno));
	if (fstat(f.fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = mck_fail(err, -ENOEXEC, "%s is not a regular file", path);
		goto fail;
	}
	f.size = st.st_size;
	if ((rc = read_phdrs(&f, err)) < 0 || (rc = read_interp(&f, out, err)) < 0 ||
	    (rc = read_dynamic(&f, out, err)) < 0)
		goto fail;
	rc = 0;
fail:
	free(f.ph);
	close(f.fd);
	if (rc < 0)
		mck_elf_needs_free(out);
	return rc;
}

void mck_elf_needs_free(struct mck_elf_needs *n)
{
	free(n->interp);
	mck_argv_free(n->needed);
	mck_argv_free(n->runpath);
	memset(n, 0, sizeof(*n));
}
