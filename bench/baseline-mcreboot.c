/*
 * baseline-mcreboot: the per-job boot and teardown the way the McKernel
 * scripts mcreboot.sh and mcstop+release.sh do it, driven through the same
 * libihk loader (ihk/mck-ihk.h) as mckctl, so that bench-node can compare
 * the two against the same libihk (the IHK double in `make bench`).
 *
 * Written from the documented procedure of those scripts (see
 * shared reference: "What mcreboot.sh / mcstop+release.sh do"), not from
 * their text. What they do per job and this program does too:
 *   boot: sync, drop the page cache, compact memory, sync; reserve memory,
 *         then CPUs; destroy leftover instances, retrying 4 x 0.25 s while
 *         refused; create, assign CPUs, IKC map, assign memory (the list as
 *         typed), load, kargs "hidos dump_level=24", boot (libihk polls for
 *         RUNNING); chown the device files to the user.
 *   stop: refuse while a process holds a /dev/mcosN; destroy every
 *         instance; sleep 2 s; release every reserved CPU and memory chunk
 *         (as queried).
 * What they do and this program leaves out (so the baseline is a lower
 * bound of the scripts' cost): stopping/starting irqbalance and rewriting
 * /proc/irq/ affinities, raising vm.swappiness, loading and unloading the
 * kernel modules, and the fork/exec of one ihkconfig/ihkosctl per step.
 *
 * usage: baseline-mcreboot --libihk LIB --dev-dir DIR boot -c CPUS -m MEM
 *            [-r IKCMAP] -i IMAGE -o UID:GID [--no-drop-caches]
 *        baseline-mcreboot --libihk LIB --dev-dir DIR stop
 * Exit 0 on success, 1 with one line on stderr otherwise.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mck-ihk.h"
#include "mck-lists.h"
#include "mck-util.h"

#define DEV 0

static struct mck_ihk ihk;
static const char *dev_dir;

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "baseline-mcreboot: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* "echo VALUE > FILE"; 0 or -errno (a container may refuse). */
static int write_proc(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, value, strlen(value)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Does any process hold path open? (what mcstop+release refuses on) */
static int held_open(const char *path)
{
	struct stat want, st;
	DIR *proc, *fds;
	struct dirent *p, *f;
	char dir[300], link[PATH_MAX + 320];
	int held = 0;

	if (stat(path, &want))
		return 0;
	proc = opendir("/proc");
	if (!proc)
		return 0;
	while (!held && (p = readdir(proc))) {
		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		snprintf(dir, sizeof(dir), "/proc/%s/fd", p->d_name);
		fds = opendir(dir);
		if (!fds)
			continue;
		while (!held && (f = readdir(fds))) {
			if (f->d_name[0] == '.')
				continue;
			snprintf(link, sizeof(link), "%s/%s", dir, f->d_name);
			if (stat(link, &st) == 0 && st.st_dev == want.st_dev &&
			    st.st_ino == want.st_ino)
				held = 1;
		}
		closedir(fds);
	}
	closedir(proc);
	return held;
}

static int instances(int **out)
{
	int n = ihk.ihk_get_num_os_instances(DEV), rc;

	*out = NULL;
	if (n <= 0)
		return n;
	*out = calloc(n, sizeof(int));
	if (!*out)
		return -ENOMEM;
	rc = ihk.ihk_get_os_instances(DEV, *out, n);
	return rc < 0 ? rc : n;
}

static int cmd_boot(const char *cpus_s, const char *mem_s, const char *ikc_s,
		    const char *image, uid_t uid, gid_t gid, int drop_caches)
{
	struct mck_error err = { 0 };
	struct mck_mem_chunk *m = NULL;
	struct ihk_mem_chunk *chunks;
	struct ihk_ikc_cpu_map *map = NULL;
	struct mck_ikc_pair *pairs = NULL;
	int *cpus = NULL, ncpu, nmem, npairs = 0, *oses, nos, os, rc;
	char path[PATH_MAX + 16], kargs[] = "hidos dump_level=24";

	if (mck_cpulist_parse(cpus_s, &cpus, &ncpu, &err) ||
	    mck_memlist_parse(mem_s, &m, &nmem, &err) ||
	    (ikc_s && mck_ikcmap_parse(ikc_s, &pairs, &npairs, &err)))
		return die("%s", err.msg);
	chunks = calloc(nmem, sizeof(*chunks));
	if (npairs)
		map = calloc(npairs, sizeof(*map));
	if (!chunks || (npairs && !map))
		return die("out of memory");
	for (int i = 0; i < nmem; i++) {
		chunks[i].size = m[i].size == UINT64_MAX ? (unsigned long)-1 : m[i].size;
		chunks[i].numa_node_number = m[i].numa < 0 ? 0 : m[i].numa;
	}
	for (int i = 0; i < npairs; i++) {
		map[i].src_cpu = pairs[i].lwk_cpu;
		map[i].dst_cpu = pairs[i].linux_cpu;
	}

	/* free memory for large reservations, every boot */
	sync();
	if (drop_caches) {
		write_proc("/proc/sys/vm/drop_caches", "3");
		write_proc("/proc/sys/vm/compact_memory", "1");
	}
	sync();

	if ((rc = ihk.ihk_reserve_mem(DEV, chunks, nmem)) < 0)
		return die("reserve mem %s: %d", mem_s, rc);
	if ((rc = ihk.ihk_reserve_cpu(DEV, cpus, ncpu)) < 0)
		return die("reserve cpu %s: %d", cpus_s, rc);

	/* destroy leftovers, retrying while refused */
	nos = instances(&oses);
	for (int i = 0; i < nos; i++) {
		int tries = 0;

		while ((rc = ihk.ihk_destroy_os(DEV, oses[i])) < 0 && tries < 4) {
			usleep(250 * 1000);
			tries++;
		}
		if (rc < 0)
			return die("destroying an old instance failed: %d", rc);
	}
	free(oses);

	if ((os = ihk.ihk_create_os(DEV)) < 0)
		return die("create: %d", os);
	if ((rc = ihk.ihk_os_assign_cpu(os, cpus, ncpu)) < 0)
		return die("assign cpu %s: %d", cpus_s, rc);
	if (npairs && (rc = ihk.ihk_os_set_ikc_map(os, map, npairs)) < 0)
		return die("set ikc_map %s: %d", ikc_s, rc);
	if ((rc = ihk.ihk_os_assign_mem(os, chunks, nmem)) < 0)
		return die("assign mem %s: %d", mem_s, rc);
	if ((rc = ihk.ihk_os_load(os, (char *)image)) < 0)
		return die("load %s: %d", image, rc);
	if ((rc = ihk.ihk_os_kargs(os, kargs)) < 0)
		return die("kargs: %d", rc);
	if ((rc = ihk.ihk_os_boot(os)) < 0)
		return die("boot: %d", rc);

	/* chown /dev/mcd* /dev/mcos* */
	snprintf(path, sizeof(path), "%s/mcd0", dev_dir);
	if (chown(path, uid, gid))
		fprintf(stderr, "baseline-mcreboot: warning: chown %s failed\n", path);
	snprintf(path, sizeof(path), "%s/mcos%d", dev_dir, os);
	if (chown(path, uid, gid))
		fprintf(stderr, "baseline-mcreboot: warning: chown %s failed\n", path);
	free(cpus);
	free(m);
	free(chunks);
	free(pairs);
	free(map);
	return 0;
}

static int cmd_stop(void)
{
	int *oses, nos, n, rc;
	char path[PATH_MAX + 16];

	nos = instances(&oses);
	if (nos < 0)
		return die("listing instances: %d", nos);
	for (int i = 0; i < nos; i++) {
		snprintf(path, sizeof(path), "%s/mcos%d", dev_dir, oses[i]);
		if (held_open(path))
			return die("%s is held open: refusing to stop", path);
	}
	for (int i = 0; i < nos; i++)
		if ((rc = ihk.ihk_destroy_os(DEV, oses[i])) < 0)
			return die("destroy: %d", rc);
	free(oses);

	sleep(2);	/* the scripts' fixed wait before release */

	n = ihk.ihk_get_num_reserved_cpus(DEV);
	if (n > 0) {
		int *cpus = calloc(n, sizeof(int));

		if (!cpus)
			return die("out of memory");
		if ((rc = ihk.ihk_query_cpu(DEV, cpus, n)) < 0 ||
		    (rc = ihk.ihk_release_cpu(DEV, cpus, n)) < 0)
			return die("release cpu: %d", rc);
		free(cpus);
	}
	n = ihk.ihk_get_num_reserved_mem_chunks(DEV);
	if (n > 0) {
		struct ihk_mem_chunk *mem = calloc(n, sizeof(*mem));

		if (!mem)
			return die("out of memory");
		if ((rc = ihk.ihk_query_mem(DEV, mem, n)) < 0 ||
		    (rc = ihk.ihk_release_mem(DEV, mem, n)) < 0)
			return die("release mem: %d", rc);
		free(mem);
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: baseline-mcreboot --libihk LIB --dev-dir DIR boot -c CPUS -m MEM [-r IKC] -i IMAGE -o UID:GID [--no-drop-caches]\n"
		"       baseline-mcreboot --libihk LIB --dev-dir DIR stop\n");
	return 1;
}

int main(int argc, char **argv)
{
	const char *lib = NULL, *cmd = NULL, *cpus = NULL, *mem = NULL, *ikc = NULL,
		   *image = NULL, *owner = NULL;
	struct mck_error err = { 0 };
	unsigned long uid = 0, gid = 0;
	int drop = 1, rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--no-drop-caches")) {
			drop = 0;
			continue;
		}
		if (!cmd && (!strcmp(a, "boot") || !strcmp(a, "stop"))) {
			cmd = a;
			continue;
		}
		if (!v)
			return usage();
		if (!strcmp(a, "--libihk"))
			lib = v;
		else if (!strcmp(a, "--dev-dir"))
			dev_dir = v;
		else if (!strcmp(a, "-c"))
			cpus = v;
		else if (!strcmp(a, "-m"))
			mem = v;
		else if (!strcmp(a, "-r"))
			ikc = v;
		else if (!strcmp(a, "-i"))
			image = v;
		else if (!strcmp(a, "-o"))
			owner = v;
		else
			return usage();
		i++;
	}
	if (!lib || !dev_dir || !cmd)
		return usage();
	if (!strcmp(cmd, "boot")) {
		char *colon;

		if (!cpus || !mem || !image || !owner || !(colon = strchr(owner, ':')))
			return usage();
		*colon = '\0';
		if (mck_parse_ulong(owner, &uid) || mck_parse_ulong(colon + 1, &gid))
			return usage();
	}
	if (mck_ihk_open(&ihk, lib, &err))
		return die("%s", err.msg);
	if (!strcmp(cmd, "boot"))
		rc = cmd_boot(cpus, mem, ikc, image, uid, gid, drop);
	else
		rc = cmd_stop();
	mck_ihk_close(&ihk);
	return rc;
}
