/*
 * test-oci: container steps' config.json changes (oci.c), the rootfs
 * checks (oci-rootfs.c) and the ELF reader (oci-elf.c) on sample
 * config.json files (spank-plugin/tests/oci) and scratch root filesystems.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mck-options.h"
#include "mck-test.h"
#include "mck-util.h"
#include "oci.h"
#include "oci-rootfs.h"

#if defined(__x86_64__)
#define LIBDIR "/usr/lib/x86_64-linux-gnu"
#elif defined(__aarch64__)
#define LIBDIR "/usr/lib/aarch64-linux-gnu"
#else
#define LIBDIR "/usr/lib64"
#endif

static char scratch[64];

static char *fixture_text(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[PATH_MAX];
	struct mck_error err = { 0 };
	char *text = NULL;

	snprintf(path, sizeof(path), "%s/spank-plugin/tests/oci/%s", top ? top : ".", name);
	if (mck_read_file(path, &text, len, &err) < 0) {
		printf("# %s\n", err.msg);
		exit(1);
	}
	return text;
}

static void mkdirs(const char *rel)
{
	char p[PATH_MAX];
	struct mck_error err = { 0 };

	snprintf(p, sizeof(p), "%s/%s", scratch, rel);
	mck_mkdir_p(p, 0755, &err);
}

static void touch(const char *rel)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", scratch, rel);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
}

static void link_rel(const char *target, const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", scratch, rel);
	if (symlink(target, p) < 0)
		printf("# symlink %s: %s\n", p, strerror(errno));
}

/* scratch/rel; a test process, so it is never freed */
static char *path_of(const char *rel)
{
	char *p = malloc(PATH_MAX);

	snprintf(p, PATH_MAX, "%s/%s", scratch, rel);
	return p;
}

/* The spooled sample with DATA_SOURCE made real and the process's uid. */
static struct mck_oci *spooled_uid(long uid, struct mck_error *err)
{
	size_t len;
	char *text = fixture_text("slurm-22.05-spooled.json", &len), *at, *out, *u;
	char name[PATH_MAX];
	struct mck_oci *doc = NULL;
	const char *src = path_of("data");

	at = strstr(text, "DATA_SOURCE");
	u = strstr(text, "\"uid\": 0");
	len += strlen(src) + 32;
	out = malloc(len);
	snprintf(out, len, "%.*s\"uid\": %ld%.*s%s%s", (int)(u - text), text, uid,
		 (int)(at - (u + 8)), u + 8, src, at + 11);
	snprintf(name, sizeof(name), "%s/bundle/config.json", scratch);
	if (mck_oci_parse(out, strlen(out), name, &doc, err) < 0)
		doc = NULL;
	free(text);
	free(out);
	return doc;
}

static struct mck_oci *spooled(struct mck_error *err)
{
	return spooled_uid(0, err);
}

static void test_parse_errors(void)
{
	static const struct { const char *file, *msg; } bad[] = {
		{ "truncated.json", "not valid JSON" },
		{ "trailing.json", "text after the JSON document" },
		{ "args-not-strings.json", "process.args is not a list of strings" },
		{ "no-root.json", "no root.path" },
		{ "not-object.json", "top level is not a JSON object" },
		{ "env-not-list.json", "process.env is not a list of strings" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mck_error err = { 0 };
		struct mck_oci *doc = NULL;
		size_t len;
		char *text = fixture_text(bad[i].file, &len);
		int rc = mck_oci_parse(text, len, bad[i].file, &doc, &err);

		ok(rc == -EINVAL && !doc && strstr(err.msg, bad[i].msg) && strstr(err.msg, bad[i].file),
		   "%s refused: %s", bad[i].file, err.msg);
		free(text);
	}
	{
		struct mck_error err = { 0 };
		struct mck_oci *doc = NULL;
		size_t len;
		char *text = fixture_text("minimal.json", &len);

		ok(mck_oci_parse(text, len, "minimal.json", &doc, &err) == 0 && doc,
		   "a minimal configuration loads");
		ok(mck_oci_getenv(doc, "PATH") == NULL, "no process.env: no variable");
		mck_oci_free(doc);
		free(text);
	}
	{
		struct mck_error err = { 0 };
		struct mck_oci *doc = NULL;
		char *big = malloc(MCK_OCI_MAX_CONFIG + 2);

		memset(big, ' ', MCK_OCI_MAX_CONFIG + 1);
		ok(mck_oci_parse(big, MCK_OCI_MAX_CONFIG + 1, "big", &doc, &err) == -EFBIG,
		   "a configuration above %d bytes is refused", MCK_OCI_MAX_CONFIG);
		free(big);
	}
}

static struct mck_oci_mount mount_of(const char *src, const char *dst, int ro)
{
	struct mck_oci_mount m = { .source = (char *)src, .destination = (char *)dst,
				   .readonly = ro, .why = (char *)"a test mount" };
	return m;
}

/* A rootfs the mounts of the sample fit in. */
static void make_rootfs(void)
{
	mkdirs("bundle/rootfs/etc");
	mkdirs("bundle/rootfs/usr/bin");
	mkdirs("bundle/rootfs/opt/mck/bin");
	mkdirs("data/sub");
	mkdirs("host/opt/mck/bin");
	touch("host/dev-mcos0");
	link_rel("usr/bin", "bundle/rootfs/bin");
}

static void test_apply(void)
{
	struct mck_error err = { 0 };
	struct mck_oci *doc = spooled(&err);
	char *prefix[] = { "/opt/mck/bin/mcexec", "-n", "1", "--", "0", NULL };
	char *env[] = { "PATH=/usr/bin:/bin", "SLURM_PROCID=0", "OMP_NUM_THREADS=2", "NOEQUALS", NULL };
	struct mck_oci_mount mounts[3];
	struct mck_oci_edit e = { .prefix = prefix, .nprefix = 5, .env = env, .nenv = 4,
				  .mounts = mounts, .nmounts = 3 };
	char *before = NULL, *after = NULL, **args = NULL;
	int argc = 0;

	ok(doc != NULL, "the spooled sample loads: %s", err.msg);
	if (!doc)
		return;
	mounts[0] = mount_of(path_of("host/opt/mck/bin"), "/opt/mck/bin", 1);
	mounts[1] = mount_of(path_of("host/dev-mcos0"), "/dev/mcos0", 0);
	mounts[2] = mount_of(path_of("host/opt/mck/bin"), "/data/sub", 1);
	is_int(mck_oci_apply(doc, &e, &err), 0, "the edit applies: %s", err.msg);
	mck_oci_args(doc, &args, &argc, &err);
	is_int(argc, 7, "process.args: 5 mcexec words and the 2 of the command");
	is_str(args[0], "/opt/mck/bin/mcexec", "mcexec first");
	is_str(args[4], "0", "the instance index after --");
	is_str(args[5], "cat", "then the command Slurm moved there");
	is_str(args[6], "/etc/os-release", "with its argument");
	mck_argv_free(args);
	is_str(mck_oci_getenv(doc, "PATH"), "/usr/bin:/bin", "PATH replaced (the first of two)");
	is_str(mck_oci_getenv(doc, "SLURM_PROCID"), "0", "SLURM_PROCID added");
	is_str(mck_oci_getenv(doc, "TERM"), "xterm", "the bundle's own variables kept");
	ok(mck_oci_getenv(doc, "NOEQUALS") == NULL, "an entry without '=' is not added");
	mck_oci_dump(doc, &after, &err);
	ok(strstr(after, "\"/etc/os-release\"") != NULL, "'/' is not escaped");
	ok(strstr(after, "18446744073709551615") != NULL, "a 64-bit unsigned limit survives");
	ok(strstr(after, "-0.5") != NULL, "a fraction survives");
	ok(strstr(after, "\"hostID\": 1001") || strstr(after, "\"hostID\":1001"),
	   "members the edit does not touch are kept");
	ok(strstr(after, "\"destination\": \"/dev/mcos0\"") != NULL, "the device mount is added");
	ok(strstr(after, "\"ro\"") != NULL, "read-only mounts say ro");
	is_int(mck_oci_unsetenv(doc, "SLURM_CONTAINER"), 1, "a variable can be taken out");
	ok(mck_oci_getenv(doc, "SLURM_CONTAINER") == NULL, "and is gone");
	free(after);
	mck_oci_free(doc);

	/* A failing edit changes nothing. */
	doc = spooled(&err);
	mck_oci_dump(doc, &before, &err);
	mounts[1] = mount_of(path_of("host/nonexistent"), "/dev/mcos0", 0);
	ok(mck_oci_apply(doc, &e, &err) < 0 && strstr(err.msg, "does not exist on this node"),
	   "a mount source this node lacks is refused: %s", err.msg);
	mck_oci_dump(doc, &after, &err);
	is_str(after, before, "and the document is as it was");
	free(before);
	free(after);
	mck_oci_free(doc);
}

/* A rank that reaches PMIx must report the job's uid inside the container. */
static void test_pmix_uid(void)
{
	char *env[] = { "PMIX_SERVER_URI41=pmix-server.1;tcp4://127.0.0.1:1", NULL };
	struct mck_oci_edit e = { .env = env, .nenv = 1 };
	struct mck_error err = { 0 };
	struct mck_oci *doc = spooled_uid((long)getuid() + 1, &err);

	ok(mck_oci_apply(doc, &e, &err) == -EPERM && strstr(err.msg, "--mpi=pmix") &&
	   strstr(err.msg, "process.user.uid"), "PMIx with another uid inside is refused: %s", err.msg);
	mck_oci_free(doc);
	doc = spooled_uid((long)getuid(), &err);
	is_int(mck_oci_apply(doc, &e, &err), 0, "PMIx with the job's uid inside is not: %s", err.msg);
	mck_oci_free(doc);
	e.nenv = 0;
	doc = spooled_uid((long)getuid() + 1, &err);
	is_int(mck_oci_apply(doc, &e, &err), 0, "another uid without PMIx is fine: %s", err.msg);
	mck_oci_free(doc);
}

static void test_locate(void)
{
	struct mck_rootfs_mount m[] = {
		{ .source = "tmpfs", .destination = "/dev", .bind = 0 },
		{ .source = path_of("data"), .destination = "/data", .bind = 1 },
	};
	struct mck_rootfs_view v = { .rootfs = path_of("bundle/rootfs"), .mounts = m, .nmounts = 2 };
	struct mck_error err = { 0 };
	char *host = NULL, want[PATH_MAX];

	link_rel("/etc", "bundle/rootfs/usr/bin/abs-etc");
	link_rel("loop2", "bundle/rootfs/loop1");
	link_rel("loop1", "bundle/rootfs/loop2");
	is_int(mck_rootfs_locate(&v, "/bin", &host, &err), MCK_ROOTFS_FOUND, "a link inside the rootfs");
	snprintf(want, sizeof(want), "%s/usr/bin", v.rootfs);
	is_str(host, want, "resolves inside the rootfs");
	free(host);
	is_int(mck_rootfs_locate(&v, "/bin/abs-etc/x", &host, &err), MCK_ROOTFS_MISSING,
	       "an absolute link resolves against the rootfs, not this node");
	snprintf(want, sizeof(want), "%s/etc", v.rootfs);
	is_str(host, want, "its nearest existing parent is the rootfs's /etc");
	free(host);
	is_int(mck_rootfs_locate(&v, "/../../../etc", &host, &err), MCK_ROOTFS_FOUND,
	       "'..' stops at the rootfs");
	is_str(host, want, "and stays inside");
	free(host);
	is_int(mck_rootfs_locate(&v, "/dev/mcos0", &host, &err), MCK_ROOTFS_VIRTUAL,
	       "a path inside a tmpfs mount can hold anything");
	is_int(mck_rootfs_locate(&v, "/data/sub", &host, &err), MCK_ROOTFS_FOUND,
	       "a path inside a bind mount is looked up in its source");
	is_str(host, path_of("data/sub"), "at the source's path");
	free(host);
	is_int(mck_rootfs_locate(&v, "/loop1/x", &host, &err), -ELOOP, "a link loop ends: %s", err.msg);
}

static void test_mount_points(void)
{
	struct mck_rootfs_view v = { .rootfs = path_of("bundle/rootfs") };
	struct mck_error err = { 0 };
	struct mck_oci_mount m;

	v.uid = geteuid() == 65534 ? 65533 : 65534;	/* someone who owns nothing here */
	m = mount_of(path_of("host/opt/mck/bin"), "/opt/mck/bin", 1);
	is_int(mck_rootfs_check_mount(&v, &m, &err), 0, "an existing directory takes a directory");
	m = mount_of(path_of("host/opt/mck/bin"), "/var/lib/mck", 1);
	ok(mck_rootfs_check_mount(&v, &m, &err) == -ENOENT && strstr(err.msg, "lacks /var/lib/mck") &&
	   strstr(err.msg, "mkdir -p"), "a missing mount point the user cannot create: %s", err.msg);
	v.uid = geteuid();
	is_int(mck_rootfs_check_mount(&v, &m, &err), 0, "one the user can create (owns the parent)");
	m = mount_of(path_of("host/dev-mcos0"), "/etc", 0);
	ok(mck_rootfs_check_mount(&v, &m, &err) == -EISDIR, "a file on a directory: %s", err.msg);
	m = mount_of(path_of("host/opt/mck/bin"), "/bin/sh", 0);
	touch("bundle/rootfs/usr/bin/sh");
	ok(mck_rootfs_check_mount(&v, &m, &err) == -ENOTDIR, "a directory on a file: %s", err.msg);
}

static void test_elf(void)
{
	struct mck_elf_needs n;
	struct mck_error err = { 0 };
	int has_libc = 0, fd;
	char buf[512];

	ok(mck_elf_needs("/proc/self/exe", &n, &err) == 0, "this test program is read: %s", err.msg);
	ok(n.interp && n.interp[0] == '/', "it has a program interpreter (%s)", n.interp);
	for (int i = 0; i < n.nneeded; i++)
		has_libc |= !strncmp(n.needed[i], "libc.so", 7);
	ok(has_libc, "it needs the C library (%d libraries)", n.nneeded);
	mck_elf_needs_free(&n);
	touch("text");
	ok(mck_elf_needs(path_of("text"), &n, &err) == -ENOEXEC, "an empty file is not ELF");
	/* The first 512 bytes of an ELF file: headers point past the end. */
	fd = open("/proc/self/exe", O_RDONLY);
	if (fd >= 0 && read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf)) {
		int out = open(path_of("cut"), O_WRONLY | O_CREAT | O_TRUNC, 0755);

		if (out >= 0 && write(out, buf, sizeof(buf)) == (ssize_t)sizeof(buf))
			close(out);
	}
	if (fd >= 0)
		close(fd);
	ok(mck_elf_needs(path_of("cut"), &n, &err) == -ENOEXEC && strstr(err.msg, "damaged"),
	   "a cut ELF file is reported, not read past its end: %s", err.msg);
}

/* The rootfs gets empty stand-ins of this program's interpreter and libraries. */
static void test_program(void)
{
	struct mck_rootfs_view v = { .rootfs = path_of("prog/rootfs") };
	struct mck_elf_needs n;
	struct mck_error err = { 0 };
	char rel[PATH_MAX];
	const char *victim = NULL;

	mck_elf_needs("/proc/self/exe", &n, &err);
	mkdirs("prog/rootfs/usr/lib64");
	mkdirs("prog/rootfs" LIBDIR);
	mkdirs("prog/rootfs/etc/ld.so.conf.d");
	mkdirs("prog/rootfs/opt/site/lib");
	link_rel("usr/lib64", "prog/rootfs/lib64");
	snprintf(rel, sizeof(rel), "prog/rootfs%s", n.interp);
	mkdirs("prog/rootfs/usr/lib64");
	touch(rel);
	for (int i = 0; i < n.nneeded; i++) {
		if (!strncmp(n.needed[i], "libc.so", 7)) {
			victim = n.needed[i];
			snprintf(rel, sizeof(rel), "prog/rootfs/opt/site/lib/%s", n.needed[i]);
		} else {
			snprintf(rel, sizeof(rel), "prog/rootfs%s/%s", LIBDIR, n.needed[i]);
		}
		touch(rel);
	}
	ok(mck_rootfs_check_program(&v, "/proc/self/exe", NULL, &err) == -ENOENT &&
	   strstr(err.msg, victim) && strstr(err.msg, "add it to the bundle"),
	   "a library in a directory ld.so does not know: %s", err.msg);
	ok(mck_rootfs_check_program(&v, "/proc/self/exe", "/opt/site/lib", &err) == 0,
	   "found through LD_LIBRARY_PATH: %s", err.msg);
	{
		int fd = open(path_of("prog/rootfs/etc/ld.so.conf"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int fd2 = open(path_of("prog/rootfs/etc/ld.so.conf.d/site.conf"),
			       O_WRONLY | O_CREAT | O_TRUNC, 0644);
		const char *a = "# comment\ninclude /etc/ld.so.conf.d/*.conf\n", *b = "/opt/site/lib\n";

		if (write(fd, a, strlen(a)) < 0 || write(fd2, b, strlen(b)) < 0)
			printf("# write: %s\n", strerror(errno));
		close(fd);
		close(fd2);
	}
	ok(mck_rootfs_check_program(&v, "/proc/self/exe", NULL, &err) == 0,
	   "found through ld.so.conf's include: %s", err.msg);
	snprintf(rel, sizeof(rel), "%s%s", v.rootfs, n.interp);
	unlink(rel);
	ok(mck_rootfs_check_program(&v, "/proc/self/exe", NULL, &err) == -ENOENT &&
	   strstr(err.msg, "program interpreter") && strstr(err.msg, "glibc"),
	   "a rootfs without the interpreter: %s", err.msg);
	touch("script");
	is_int(mck_rootfs_check_program(&v, path_of("script"), NULL, &err), 0,
	       "a file that is not ELF is not checked");
	mkdirs("prog/rootfs/usr/bin");
	ok(mck_rootfs_check_tool(&v, "objdump", "binutils", "/usr/local/bin:/usr/bin", "mcexec",
				 &err) == -ENOENT && strstr(err.msg, "add binutils"),
	   "no objdump in the container's PATH: %s", err.msg);
	touch("prog/rootfs/usr/bin/objdump");
	ok(mck_rootfs_check_tool(&v, "objdump", "binutils", "/usr/bin", "mcexec", &err) == -ENOENT,
	   "an objdump that cannot be executed does not count");
	chmod(path_of("prog/rootfs/usr/bin/objdump"), 0755);
	is_int(mck_rootfs_check_tool(&v, "objdump", "binutils", "/usr/local/bin:/usr/bin", "mcexec",
				     &err), 0, "objdump found in the container's PATH");
	mck_elf_needs_free(&n);
}

static void test_edit_roundtrip(void)
{
	struct mck_oci_mount mounts[2] = { mount_of("/opt/mck/bin", "/opt/mck/bin", 1),
					   mount_of("/dev/mcos1", "/dev/mcos1", 0) };
	struct mck_oci_edit e = { .mounts = mounts, .nmounts = 2, .mcexec = "/opt/mck/bin/mcexec" };
	struct mck_oci_edit back;
	struct mck_error err = { 0 };
	char *text = NULL;

	is_int(mck_oci_edit_encode(&e, &text, &err), 0, "the mounts encode");
	is_int(mck_oci_edit_decode(text, &back, &err), 0, "and decode: %s", err.msg);
	is_int(back.nmounts, 2, "both mounts");
	is_str(back.mounts[1].destination, "/dev/mcos1", "with their paths");
	is_int(back.mounts[0].readonly, 1, "read-only kept");
	is_str(back.mounts[0].why, "a test mount", "and what each is for");
	is_str(back.mcexec, "/opt/mck/bin/mcexec", "mcexec kept");
	mck_oci_edit_free(&back);
	free(text);
	ok(mck_oci_edit_decode("{\"mounts\": [{\"source\": \"rel\", \"destination\": \"/x\"}]}",
			       &back, &err) == -EINVAL, "a relative path is refused: %s", err.msg);
	ok(mck_oci_edit_decode("garbage", &back, &err) == -EINVAL, "garbage is refused");
}

static void test_save(void)
{
	struct mck_error err = { 0 };
	struct mck_oci *doc = NULL, *again = NULL;
	char *a = NULL, *b = NULL, path[PATH_MAX];
	size_t len;
	char *text = fixture_text("minimal.json", &len);
	struct stat st;

	mkdirs("save");
	snprintf(path, sizeof(path), "%s/config.json", path_of("save"));
	mck_write_file_atomic(path, text, len, 0750, &err);
	ok(mck_oci_load(path, &doc, &err) == 0, "loads from a file: %s", err.msg);
	is_int(mck_oci_save(doc, &err), 0, "saves back: %s", err.msg);
	ok(mck_oci_load(path, &again, &err) == 0, "and loads again");
	mck_oci_dump(doc, &a, &err);
	mck_oci_dump(again, &b, &err);
	is_str(b, a, "to the same document");
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640, "mode 0640");
	ok(mck_oci_load(path_of("save"), &again, &err) == -EINVAL, "a directory is not a file");
	free(a);
	free(b);
	free(text);
	mck_oci_free(doc);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

int main(void)
{
	snprintf(scratch, sizeof(scratch), "/tmp/test-oci.XXXXXX");
	if (!mkdtemp(scratch))
		return 1;
	make_rootfs();
	test_parse_errors();
	test_apply();
	test_pmix_uid();
	test_locate();
	test_mount_points();
	test_elf();
	test_program();
	test_edit_roundtrip();
	test_save();
	if (nftw(scratch, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		printf("# could not remove %s\n", scratch);
	return done_testing();
}
