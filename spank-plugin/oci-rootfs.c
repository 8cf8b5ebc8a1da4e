/*
 * oci-rootfs.c: look paths up as the container will see them and check
 * that a bundle can take the step's mounts and start mcexec (see
 * oci-rootfs.h). Nothing here changes the bundle.
 */
#include "config.h"
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "oci-rootfs.h"

#define MAX_LINKS 40
#define MAX_LIBDIRS 64

#if defined(__x86_64__)
#define MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define MULTIARCH "aarch64-linux-gnu"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define MULTIARCH "powerpc64le-linux-gnu"
#else
#define MULTIARCH ""
#endif

static int oom(struct mck_error *err)
{
	return mck_fail(err, -ENOMEM, "out of memory");
}

/* Does dir (absolute, normalised) cover path: equal, or a parent of it? */
static size_t covers(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		return 1;
	if (strncmp(dir, path, n) || (path[n] != '\0' && path[n] != '/'))
		return 0;
	return n + 1;
}

/* The last mount whose destination covers path; *rest: what follows it. */
static const struct mck_rootfs_mount *covering(const struct mck_rootfs_view *v, const char *path,
					       const char **rest)
{
	for (int i = v->nmounts - 1; i >= 0; i--) {
		size_t n = covers(v->mounts[i].destination, path);

		if (n) {
			*rest = path + (n > strlen(path) ? strlen(path) : n);
			while (**rest == '/')
				(*rest)++;
			return &v->mounts[i];
		}
	}
	return NULL;
}

static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), n;
	char *s;

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	n = la + strlen(b) + 2;
	s = malloc(n);
	if (s)
		snprintf(s, n, "%.*s%s%s", (int)la, a, *b && !(la == 1 && a[0] == '/') ? "/" : "", b);
	return s;
}

/*
 * Resolve path inside the root filesystem: symbolic links are followed
 * with the rootfs as "/", ".." stops at it. *canon: the container path
 * reached; *missing: 1 when a component did not exist (canon then holds
 * the existing part and *tail what was left).
 */
static int resolve_in_root(const char *rootfs, const char *path, char *canon, char *tail,
			   int *missing)
{
	char work[PATH_MAX * 2], link[PATH_MAX], host[PATH_MAX * 2];
	char *p = work;
	int links = 0;

	*missing = 0;
	strcpy(canon, "");
	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	strcpy(work, path);
	while (*p) {
		char comp[NAME_MAX + 1];
		size_t l;
		struct stat st;
		ssize_t r;

		while (*p == '/')
			p++;
		l = strcspn(p, "/");
		if (!l)
			break;
		if (l > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(comp, p, l);
		comp[l] = '\0';
		p += l;
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			char *slash = strrchr(canon, '/');

			if (slash)
				*slash = '\0';
			continue;
		}
		if (snprintf(host, sizeof(host), "%s%s/%s", rootfs, canon, comp) >= (int)sizeof(host))
			return -ENAMETOOLONG;
		if (lstat(host, &st) < 0) {
			*missing = 1;
			snprintf(tail, PATH_MAX, "%s%s", comp, p);
			return 0;
		}
		if (S_ISLNK(st.st_mode)) {
			char rest[PATH_MAX * 2];

			if (++links > MAX_LINKS)
				return -ELOOP;
			r = readlink(host, link, sizeof(link) - 1);
			if (r < 0)
				return -errno;
			link[r] = '\0';
			if (link[0] == '/')
				canon[0] = '\0';
			if (snprintf(rest, sizeof(rest), "%s/%s", link, p) >= (int)sizeof(rest))
				return -ENAMETOOLONG;
			strcpy(work, rest);
			p = work;
			continue;
		}
		if (strlen(canon) + l + 2 > PATH_MAX)
			return -ENAMETOOLONG;
		strcat(canon, "/");
		strcat(canon, comp);
	}
	return 0;
}

/* *host: the nearest existing parent of p on this node (p itself if it exists). */
static int nearest_existing(const char *p, char **host)
{
	char *s = strdup(p), *slash;
	struct stat st;

	if (!s)
		return -ENOMEM;
	while (lstat(s, &st) < 0 && (slash = strrchr(s, '/')) && slash != s)
		*slash = '\0';
	if (lstat(s, &st) < 0)
		strcpy(s, "/");
	*host = s;
	return 0;
}

int mck_rootfs_locate(const struct mck_rootfs_view *v, const char *path, char **host,
		      struct mck_error *err)
{
	char canon[PATH_MAX], tail[PATH_MAX], *full = NULL;
	const struct mck_rootfs_mount *m;
	const char *rest;
	struct stat st;
	int missing, rc;

	*host = NULL;
	/* A mount covering the path as written, or once resolved in the rootfs. */
	m = covering(v, path, &rest);
	if (!m) {
		rc = resolve_in_root(v->rootfs, path, canon, tail, &missing);
		if (rc < 0)
			return mck_fail(err, rc, "cannot look up %s in %s: %s", path, v->rootfs,
					strerror(-rc));
		full = missing ? join(canon[0] ? canon : "/", tail) : strdup(canon[0] ? canon : "/");
		if (!full)
			return oom(err);
		m = covering(v, full, &rest);
		if (!m) {
			char *h = join(v->rootfs, canon);

			free(full);
			if (!h)
				return oom(err);
			*host = h;
			return missing ? MCK_ROOTFS_MISSING : MCK_ROOTFS_FOUND;
		}
	}
	if (!m->bind) {
		free(full);
		return MCK_ROOTFS_VIRTUAL;
	}
	*host = join(m->source, rest);
	free(full);
	if (!*host)
		return oom(err);
	if (stat(*host, &st) == 0)
		return MCK_ROOTFS_FOUND;
	{
		char *near = NULL;

		if (nearest_existing(*host, &near) < 0)
			return oom(err);
		free(*host);
		*host = near;
	}
	return MCK_ROOTFS_MISSING;
}

/* Could the container's user create an entry in the directory dir? */
static int creatable_in(const struct mck_rootfs_view *v, const char *dir)
{
	uid_t uid = v->uid ? v->uid : geteuid();
	struct statvfs fs;
	struct stat st;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	if (statvfs(dir, &fs) == 0 && (fs.f_flag & ST_RDONLY))
		return 0;
	/* In its user namespace the user acts on what it owns, and on others' as "other". */
	return st.st_uid == uid || (st.st_mode & S_IWOTH);
}

int mck_rootfs_check_mount(const struct mck_rootfs_view *v, const struct mck_oci_mount *m,
			   struct mck_error *err)
{
	const char *why = m->why ? m->why : "a mount of spank_mckernel";
	struct stat src, dst;
	char *host = NULL;
	int where, rc = 0;

	if (stat(m->source, &src) < 0)
		return mck_fail(err, -errno, "%s does not exist on this node (%s): %s", m->source,
				why, strerror(errno));
	where = mck_rootfs_locate(v, m->destination, &host, err);
	if (where < 0)
		return where;
	if (where == MCK_ROOTFS_VIRTUAL)
		goto out;
	if (where == MCK_ROOTFS_FOUND) {
		if (stat(host, &dst) < 0)
			rc = mck_fail(err, -errno, "cannot check %s: %s", host, strerror(errno));
		else if (S_ISDIR(src.st_mode) && !S_ISDIR(dst.st_mode))
			rc = mck_fail(err, -ENOTDIR, "the bundle's %s is not a directory, but %s (%s) "
				      "is mounted there: make it a directory", m->destination,
				      m->source, why);
		else if (!S_ISDIR(src.st_mode) && S_ISDIR(dst.st_mode))
			rc = mck_fail(err, -EISDIR, "the bundle's %s is a directory, but %s (%s) "
				      "is a file mounted there: make it an empty file", m->destination,
				      m->source, why);
		goto out;
	}
	if (!creatable_in(v, host))
		rc = mck_fail(err, -ENOENT, "the bundle's root filesystem %s lacks %s, the mount "
			      "point of %s (%s): add it (%s %s%s)", v->rootfs, m->destination, why,
			      m->source, S_ISDIR(src.st_mode) ? "mkdir -p" : "an empty file:",
			      v->rootfs, m->destination);
out:
	free(host);
	return rc;
}

/* ---- libraries */

struct libdirs {
	char *dir[MAX_LIBDIRS];
	int n;
};

static void add_dir(struct libdirs *d, const char *dir, size_t len)
{
	if (d->n < MAX_LIBDIRS && len && dir[0] == '/' && (d->dir[d->n] = strndup(dir, len)))
		d->n++;
}

static void add_path_list(struct libdirs *d, const char *list)
{
	while (list && *list) {
		size_t l = strcspn(list, ":;");

		add_dir(d, list, l);
		list += l + (list[l] != '\0');
	}
}

/* Directories named in one ld.so.conf file inside the container; depth: include level. */
static void add_ld_conf(const struct mck_rootfs_view *v, struct libdirs *d, const char *cpath,
			int depth)
{
	char *host = NULL, line[PATH_MAX];
	struct mck_error err = { 0 };
	FILE *f;

	if (mck_rootfs_locate(v, cpath, &host, &err) != MCK_ROOTFS_FOUND || !(f = fopen(host, "re"))) {
		free(host);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *hash = strchr(line, '#');

		if (hash)
			*hash = '\0';
		s += strspn(s, " \t");
		if (!strncmp(s, "include", 7) && (s[7] == ' ' || s[7] == '\t')) {
			char *pat = s + 8, *dirhost = NULL, *slash, hostpat[PATH_MAX * 2];
			glob_t g;

			pat += strspn(pat, " \t");
			pat[strcspn(pat, " \t\r\n")] = '\0';
			slash = strrchr(pat, '/');
			if (depth > 0 || pat[0] != '/' || !slash)
				continue;	/* Debian and RHEL use absolute patterns, one level */
			*slash = '\0';
			if (mck_rootfs_locate(v, pat[0] ? pat : "/", &dirhost, &err) == MCK_ROOTFS_FOUND &&
			    snprintf(hostpat, sizeof(hostpat), "%s/%s", dirhost, slash + 1) <
				    (int)sizeof(hostpat) &&
			    glob(hostpat, 0, NULL, &g) == 0) {
				for (size_t i = 0; i < g.gl_pathc; i++) {
					char cfile[PATH_MAX * 2];

					snprintf(cfile, sizeof(cfile), "%s/%s", pat,
						 strrchr(g.gl_pathv[i], '/') + 1);
					add_ld_conf(v, d, cfile, depth + 1);
				}
				globfree(&g);
			}
			free(dirhost);
			continue;
		}
		s[strcspn(s, " \t\r\n")] = '\0';
		add_dir(d, s, strlen(s));
	}
	fclose(f);
	free(host);
}

/* Where ld.so would look for the program's libraries, in its order. */
static void lib_dirs(const struct mck_rootfs_view *v, const struct mck_elf_needs *n,
		     const char *program, const char *ld_library_path, struct libdirs *d)
{
	static const char *const std[] = { "/lib/" MULTIARCH, "/usr/lib/" MULTIARCH, "/lib64",
					   "/usr/lib64", "/lib", "/usr/lib" };
	const char *slash = strrchr(program, '/');

	add_path_list(d, ld_library_path);
	for (int i = 0; i < n->nrunpath; i++) {
		const char *r = n->runpath[i];

		if (!strncmp(r, "$ORIGIN", 7) || !strncmp(r, "${ORIGIN}", 9)) {
			char buf[PATH_MAX * 2];
			const char *after = r + (r[1] == '{' ? 9 : 7);

			snprintf(buf, sizeof(buf), "%.*s%s", (int)(slash - program), program, after);
			add_dir(d, buf, strlen(buf));
		} else {
			add_dir(d, r, strlen(r));
		}
	}
	add_ld_conf(v, d, "/etc/ld.so.conf", 0);
	for (size_t i = 0; i < sizeof(std) / sizeof(std[0]); i++)
		if (strcmp(std[i], "/lib/") && strcmp(std[i], "/usr/lib/"))
			add_dir(d, std[i], strlen(std[i]));
}

/* A regular file at the container path (executable too when exec). */
static int file_in(const struct mck_rootfs_view *v, const char *cpath, int exec)
{
	struct mck_error err = { 0 };
	char *host = NULL;
	struct stat st;
	int where = mck_rootfs_locate(v, cpath, &host, &err);
	int yes = where == MCK_ROOTFS_FOUND && stat(host, &st) == 0 && S_ISREG(st.st_mode) &&
		  (!exec || (st.st_mode & 0111));

	free(host);
	return yes;
}

static int found_in(const struct mck_rootfs_view *v, const char *cpath)
{
	return file_in(v, cpath, 0);
}

int mck_rootfs_check_tool(const struct mck_rootfs_view *v, const char *tool, const char *package,
			  const char *path_env, const char *why, struct mck_error *err)
{
	const char *path = path_env && *path_env ? path_env : "/usr/bin:/bin";

	for (const char *p = path; *p;) {
		size_t l = strcspn(p, ":");
		char c[PATH_MAX + NAME_MAX + 2];

		if (l && p[0] == '/' && l < PATH_MAX) {
			snprintf(c, sizeof(c), "%.*s/%s", (int)l, p, tool);
			if (file_in(v, c, 1))
				return 0;
		}
		p += l + (p[l] == ':');
	}
	return mck_fail(err, -ENOENT, "the bundle's root filesystem %s has no %s in its PATH (%s), "
			"which %s runs on every program: add %s to the bundle", v->rootfs, tool, path,
			why, package);
}

/* Where this node has a library, for the message; "" when not in the usual places. */
static void node_copy(const char *name, char *buf, size_t len)
{
	static const char *const dirs[] = { "/lib/" MULTIARCH, "/usr/lib/" MULTIARCH, "/lib64",
					    "/usr/lib64", "/usr/lib" };
	struct stat st;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/%s", dirs[i], name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			snprintf(buf, len, " (this node has it as %s)", p);
			return;
		}
	}
}

int mck_rootfs_check_program(const struct mck_rootfs_view *v, const char *program,
			     const char *ld_library_path, struct mck_error *err)
{
	struct mck_elf_needs n;
	struct libdirs d = { .n = 0 };
	int rc;

	rc = mck_elf_needs(program, &n, err);
	if (rc == -ENOEXEC)
		return 0;	/* a script or another machine's program: ld.so cannot tell either */
	if (rc < 0)
		return rc;
	if (n.interp && !found_in(v, n.interp)) {
		rc = mck_fail(err, -ENOENT, "the bundle's root filesystem %s lacks %s, the program "
			      "interpreter of %s: add the C library (glibc) to the bundle",
			      v->rootfs, n.interp, program);
		goto out;
	}
	lib_dirs(v, &n, program, ld_library_path, &d);
	for (int i = 0; i < n.nneeded; i++) {
		const char *lib = n.needed[i];
		int found = 0;
		char where[PATH_MAX + 40];

		if (strchr(lib, '/')) {
			found = found_in(v, lib);
		} else {
			for (int j = 0; j < d.n && !found; j++) {
				char p[PATH_MAX * 2];

				snprintf(p, sizeof(p), "%s/%s", d.dir[j], lib);
				found = found_in(v, p);
			}
		}
		if (found)
			continue;
		node_copy(lib, where, sizeof(where));
		rc = mck_fail(err, -ENOENT, "the bundle's root filesystem %s lacks %s, which %s "
			      "needs: add it to the bundle%s", v->rootfs, lib, program, where);
		goto out;
	}
	rc = 0;
out:
	for (int i = 0; i < d.n; i++)
		free(d.dir[i]);
	mck_elf_needs_free(&n);
	return rc;
}
