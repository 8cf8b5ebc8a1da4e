/*
 * test-ihk-double-rules.c: the IHK double is as strict as real IHK
 * 3114d9e / McKernel (shared/reference/ihk-interface.md, "Observed on a
 * real IHK/McKernel"):
 *   - a status query, shutdown or destroy of an instance that is not
 *     booted kills the caller (SIGKILL) and poisons the instance until the
 *     node is reset; destroy_unbooted = leak models an IHK with that fixed,
 *     where a destroyed never-booted instance keeps its CPUs and memory;
 *   - ihk_os_release_cpu / ihk_os_release_mem;
 *   - a missing image crashes the node's IHK (-EIO) until reset;
 *   - Linux's view (STATE/sys), device files as character devices, the
 *     mcexec run records, the latency model.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "double-test.h"
#include "mck-test.h"
#include "mck-util.h"

/* ------------------------------------------------------- child helpers */

static int os_arg;

static int call_status(void *arg)
{
	(void)arg;
	return I.ihk_os_get_status(os_arg);
}

static int call_destroy(void *arg)
{
	(void)arg;
	return I.ihk_destroy_os(0, os_arg);
}

static int call_shutdown(void *arg)
{
	(void)arg;
	return I.ihk_os_shutdown(os_arg);
}

static int call_load_missing(void *arg)
{
	(void)arg;
	return I.ihk_os_load(os_arg, "/nonexistent/mckernel.img");
}

static int call_reserved_cpus(void *arg)
{
	(void)arg;
	return I.ihk_get_num_reserved_cpus(0);
}

static int call_assigned_cpus(void *arg)
{
	(void)arg;
	return I.ihk_os_get_num_assigned_cpus(os_arg);
}

static int become_nobody(void)
{
	struct passwd *pw = getpwnam("nobody");

	return pw && setgid(pw->pw_gid) == 0 && setuid(pw->pw_uid) == 0 ? 0 : -1;
}

struct as_nobody {
	int (*fn)(void *);
	void *arg;
};

static int run_as_nobody(void *arg)
{
	struct as_nobody *n = arg;

	if (become_nobody())
		return -EPERM;
	return n->fn(n->arg);
}

/* 1: killed; 0: returned (value in *rc); -1: something else. */
static int nobody_child(int (*fn)(void *), int *rc)
{
	struct as_nobody n = { fn, NULL };

	return dt_in_child(run_as_nobody, &n, rc);
}

static int killed(int (*fn)(void *), int os)
{
	int rc = 0;

	os_arg = os;
	return dt_in_child(fn, NULL, &rc) == 1;
}

static int poisoned(int os)
{
	struct ihk_double_peek p;

	return X.os_peek(os, &p) == 0 && p.poisoned;
}

static int node_file_has(const char *rel, const char *needle)
{
	char path[PATH_MAX + 128];

	dt_node_path(path, sizeof(path), rel);
	return dt_file_contains(path, needle);
}

/* A process holding path open (flags O_RDWR or O_PATH) for 30 s. */
/* Ends a holder of hold(); never kill(-1) or kill(0) when the fork failed. */
static void unhold(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

static pid_t hold(const char *path, int flags)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(path, flags);

		sleep(fd >= 0 ? 30 : 0);
		_exit(0);
	}
	dt_sleep_ms(200);
	return pid;
}

static void chown_device(int os, const char *user)
{
	struct passwd *pw = getpwnam(user);
	char path[PATH_MAX + 128];

	snprintf(path, sizeof(path), "%s/dev/mcos%d", dt_node, os);
	if (!pw || chown(path, pw->pw_uid, pw->pw_gid))
		printf("# cannot chown %s to %s\n", path, user);
}

/* --------------------------------------------------------- fatal calls */

static void test_status_unbooted(void)
{
	int cpus[] = { 6, 2 }, os, n;
	char kmsg[4096];

	dt_new_node("fatal-status-created");
	os = dt_prepare_os(cpus, 2);
	is_int(os, 0, "an instance created, set up, never booted");
	n = I.ihk_os_kmsg(os, kmsg, sizeof(kmsg));
	ok(n >= 0, "its kernel message buffer can be read (%d)", n);
	ok(killed(call_status, os), "status of a never-booted instance: the caller dies of SIGKILL");
	ok(poisoned(os), "the instance is poisoned");
	ok(killed(call_status, os), "a second status query dies too");
	ok(killed(call_destroy, os), "and so does a destroy");
	ok(killed(call_shutdown, os), "and a shutdown");
	is_int(I.ihk_os_get_num_assigned_cpus(os), 2, "queries of its CPUs still answer");
	is_int(I.ihk_os_boot(os), -EBUSY, "a poisoned instance cannot boot (-EBUSY)");
	is_int(I.ihk_get_num_os_instances(0), 1, "it stays on the node");
	ok(node_file_has("events.log", "call=os_get_status os=0 gen=1 rc=killed"),
	   "events.log records the killed call");
	ok(node_file_has("dmesg", "smp_ihk_os_query_status"), "STATE/dmesg has the oops");
	is_int(X.reset(), 0, "ihk-double reset (as after a reboot)");
	is_int(I.ihk_get_num_os_instances(0), 0, "no instance after reset");
	is_int(I.ihk_get_num_reserved_cpus(0), 0, "nothing reserved after reset");
	{
		char path[PATH_MAX + 128];
		struct stat sb;

		dt_node_path(path, sizeof(path), "dev/mcd0");
		ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "dev/mcd0 is there again");
		dt_node_path(path, sizeof(path), "dev/mcos0");
		ok(access(path, F_OK) != 0, "dev/mcos0 is gone");
	}
	os = dt_prepare_os(cpus, 2);
	is_int(I.ihk_os_boot(os), 0, "the node boots instances again");
	is_int(I.ihk_os_get_status(os), IHK_STATUS_RUNNING, "and its status can be read");
	is_int(I.ihk_destroy_os(0, os), 0, "and it is destroyed");
}

static void test_after_shutdown(void)
{
	int cpus[] = { 6, 2 }, os;
	char cmd[PATH_MAX + 128];

	dt_new_node("fatal-after-shutdown");
	os = dt_prepare_os(cpus, 2);
	is_int(I.ihk_os_boot(os), 0, "boot");
	is_int(I.ihk_os_shutdown(os), 0, "ihk_os_shutdown on its own is allowed");
	is_int(I.ihk_get_num_reserved_cpus(0), 4, "it returned the CPUs to the reserved pool");
	ok(killed(call_status, os), "status after shutdown: the caller dies of SIGKILL");
	ok(poisoned(os), "the instance is poisoned");
	ok(killed(call_status, os), "a second status query dies too");
	ok(killed(call_destroy, os), "destroy after shutdown dies too");

	dt_new_node("fatal-destroy-after-shutdown");
	os = dt_prepare_os(cpus, 2);
	is_int(I.ihk_os_boot(os), 0, "boot");
	is_int(I.ihk_os_shutdown(os), 0, "shutdown");
	ok(killed(call_destroy, os), "destroy after shutdown: the caller dies of SIGKILL");
	ok(killed(call_destroy, os), "a second destroy dies too");
	ok(killed(call_status, os), "and a status query");
	ok(killed(call_shutdown, os), "and a second shutdown");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dt_node);
	is_int(system(cmd), 0, "reset by deleting the state directory");
	is_int(I.ihk_get_num_os_instances(0), 0, "a node fresh from boot");
}

static void test_destroy_unbooted(void)
{
	int cpus[] = { 6, 2 }, os, rc = 0;
	char path[PATH_MAX + 128];
	pid_t holder;

	dt_new_node("fatal-destroy-created");
	os = dt_prepare_os(cpus, 2);
	ok(killed(call_destroy, os), "destroy of a never-booted instance: the caller dies of SIGKILL");
	ok(poisoned(os), "the instance is poisoned");
	ok(killed(call_destroy, os), "a second destroy dies too");
	ok(killed(call_status, os), "and a status query");
	is_int(X.reset(), 0, "reset");

	dt_new_node("held-never-booted");
	dt_write_conf("destroy_retries = 3\n");
	os = dt_prepare_os(cpus, 2);
	snprintf(path, sizeof(path), "%s/dev/mcos%d", dt_node, os);
	holder = hold(path, O_RDWR);
	os_arg = os;
	is_int(dt_in_child(call_destroy, NULL, &rc), 0,
	       "destroy of a held never-booted instance returns (holders come first)");
	is_int(rc, -EBUSY, "... -EBUSY");
	unhold(holder);
	ok(!poisoned(os), "and the instance is not poisoned");

	os_arg = os;
	chown_device(os, "nobody");
	ok(nobody_child(call_status, &rc) == 1,
	   "the device's owner (not root) querying it dies of SIGKILL too");
}

/* The safe way: destroy the RUNNING instance directly, then release. */
static void test_safe_teardown(void)
{
	int cpus[] = { 6, 2 }, all[] = { 2, 3, 6, 7 }, os;
	struct ihk_mem_chunk any = dt_chunk((unsigned long)-1, -1);
	char *text;

	dt_new_node("safe-teardown");
	os = dt_prepare_os(cpus, 2);
	is_int(I.ihk_os_boot(os), 0, "boot");
	is_int(I.ihk_destroy_os(0, os), 0, "destroy the RUNNING instance (no separate shutdown)");
	is_int(I.ihk_get_num_reserved_cpus(0), 4, "its CPUs are back in the reserved pool");
	is_int(I.ihk_release_cpu(0, all, 4), 0, "release the CPUs");
	is_int(I.ihk_release_mem(0, &any, 1), 0, "release the memory");
	text = dt_read("sys/devices/system/cpu/offline");
	is_str(text, "\n", "Linux has every CPU back (offline is empty)");
	free(text);
	ok(node_file_has("sys/devices/system/node/node0/meminfo",
			 "Node 0 MemFree:         1048576 kB"), "and all of its memory");
}

/* --------------------------------------------------------- leak mode */

static void test_leak_mode(void)
{
	int cpus[] = { 6, 2 }, two[] = { 2 }, rest[] = { 3, 7 }, all[] = { 2, 3, 6, 7 }, os, n;
	int online[8];
	struct ihk_mem_chunk big = dt_chunk(720 * MiB, 0), fits = dt_chunk(716 * MiB, 0), q[8];
	struct ihk_mem_chunk any = dt_chunk((unsigned long)-1, -1);
	char *text;

	dt_new_node("leak");
	dt_write_conf("destroy_unbooted = leak\n");
	os = dt_prepare_os(cpus, 2);
	is_int(I.ihk_os_get_status(os), IHK_STATUS_INACTIVE, "leak mode: a never-booted instance reads INACTIVE");
	is_int(I.ihk_os_shutdown(os), 0, "its shutdown does nothing");
	is_int(I.ihk_destroy_os(0, os), 0, "its destroy returns 0");
	is_int(I.ihk_get_num_os_instances(0), 0, "the instance is gone");
	is_int(I.ihk_get_num_reserved_cpus(0), 2, "only the unassigned CPUs are in the pool");
	is_int(I.ihk_release_cpu(0, two, 1), -EINVAL, "a leaked CPU isn't reserved: release -EINVAL");
	is_int(I.ihk_reserve_cpu(0, two, 1), -EINVAL, "nor can it be reserved again: -EINVAL");
	is_int(I.ihk_release_cpu(0, rest, 2), 0, "release the others");
	text = dt_read("sys/devices/system/cpu/offline");
	is_str(text, "2,6\n", "the leaked CPUs stay offline to Linux");
	free(text);
	n = X.online_cpus(online, 8);
	is_int(n, 6, "the double's online CPUs leave them out");
	is_int(I.ihk_get_num_reserved_mem_chunks(0), 0, "the leaked memory is not in the pool");
	ok(node_file_has("sys/devices/system/node/node0/meminfo", "Node 0 MemFree:          786432 kB"),
	   "nor free to Linux (256 MiB of node 0)");
	is_int(I.ihk_reserve_mem(0, &big, 1), -ENOMEM, "the 95%% cap counts the leaked memory");
	is_int(I.ihk_reserve_mem(0, &fits, 1), 0, "what is left of it can be reserved");
	is_int(X.reset(), 0, "only a reset (reboot) gives them back");
	text = dt_read("sys/devices/system/cpu/offline");
	is_str(text, "\n", "every CPU online after reset");
	free(text);

	os = dt_prepare_os(cpus, 2);
	is_int(I.ihk_os_release_cpu(os, cpus, 2), 0, "give the CPUs back first (os_release_cpu)");
	n = I.ihk_os_get_num_assigned_mem_chunks(os);
	is_int(I.ihk_os_query_mem(os, q, n), 0, "query its memory chunks");
	is_int(I.ihk_os_release_mem(os, q, n), 0, "and give them back (os_release_mem)");
	is_int(I.ihk_destroy_os(0, os), 0, "then destroy");
	is_int(I.ihk_release_cpu(0, all, 4), 0, "every CPU can be released");
	is_int(I.ihk_release_mem(0, &any, 1), 0, "and all memory");
	text = dt_read("sys/devices/system/cpu/offline");
	is_str(text, "\n", "nothing leaked");
	free(text);

	os = dt_prepare_os(cpus, 2);
	is_int(I.ihk_os_boot(os), 0, "boot");
	is_int(I.ihk_os_shutdown(os), 0, "shutdown");
	is_int(I.ihk_os_get_status(os), IHK_STATUS_INACTIVE, "leak mode: shut down reads INACTIVE");
	is_int(I.ihk_destroy_os(0, os), 0, "destroy after shutdown returns 0");
	is_int(I.ihk_get_num_reserved_cpus(0), 4, "nothing leaks: the CPUs are in the pool");
}

/* ------------------------------------------------- os_release_cpu/mem */

static void test_os_release_cpu(int os)
{
	int one[] = { 3 }, far[] = { 5000 }, two[] = { 2 }, dup[] = { 6, 6 }, q[2];
	struct ihk_ikc_cpu_map map[2] = { { 6, 4 }, { 2, 1 } }, m[1];

	is_int(I.ihk_os_release_cpu(os, one, -1), -EINVAL, "os_release_cpu n < 0: -EINVAL");
	is_int(I.ihk_os_release_cpu(os, one, IHK_MAX_NUM_CPUS + 1), -EINVAL, "n > 1024: -EINVAL");
	is_int(I.ihk_os_release_cpu(os, NULL, 1), -EFAULT, "NULL CPUs: -EFAULT");
	is_int(I.ihk_os_release_cpu(9, one, 1), -ENOENT, "no such instance: -ENOENT");
	is_int(I.ihk_os_release_cpu(os, one, 0), 0, "n = 0 does nothing");
	is_int(I.ihk_os_release_cpu(os, one, 1), -EINVAL, "a CPU not assigned to it: -EINVAL");
	is_int(I.ihk_os_release_cpu(os, far, 1), -EINVAL, "a CPU out of range: -EINVAL");
	is_int(I.ihk_os_get_num_assigned_cpus(os), 2, "nothing released");
	is_int(I.ihk_os_set_ikc_map(os, map, 2), 0, "an IKC map");
	is_int(I.ihk_os_release_cpu(os, two, 1), 0, "release CPU 2");
	is_int(I.ihk_os_query_cpu(os, q, 1), 0, "one CPU left");
	is_int(q[0], 6, "CPU 6 (LWK CPU 0)");
	is_int(I.ihk_os_get_ikc_map(os, m, 1), 0, "its IKC map");
	ok(m[0].src_cpu == 6 && m[0].dst_cpu == 4, "the map of the CPU left is kept");
	is_int(I.ihk_get_num_reserved_cpus(0), 3, "CPU 2 is back in the reserved pool");
	is_int(I.ihk_os_release_cpu(os, dup, 2), 0, "a CPU listed twice is released once");
	is_int(I.ihk_os_get_num_assigned_cpus(os), 0, "no CPU left");
	is_int(I.ihk_os_assign_cpu(os, dup, 1), 0, "assign CPU 6 again");
}

static void test_os_release_mem(int os)
{
	struct ihk_mem_chunk q[8], wrong = dt_chunk(4 * MiB, 0), all = dt_chunk((unsigned long)-1, 0);
	struct ihk_mem_chunk mixed[2];
	int n;

	is_int(I.ihk_os_release_mem(os, q, -1), -EINVAL, "os_release_mem n < 0: -EINVAL");
	is_int(I.ihk_os_release_mem(os, q, IHK_MAX_NUM_MEM_CHUNKS + 1), -EINVAL, "n > 2048: -EINVAL");
	is_int(I.ihk_os_release_mem(os, NULL, 1), -EFAULT, "NULL chunks: -EFAULT");
	is_int(I.ihk_os_release_mem(9, q, 1), -ENOENT, "no such instance: -ENOENT");
	is_int(I.ihk_os_release_mem(os, q, 0), 0, "n = 0 does nothing");
	is_int(I.ihk_os_release_mem(os, &wrong, 1), -EINVAL, "a chunk it does not have: -EINVAL");
	is_int(I.ihk_os_release_mem(os, &all, 1), -EINVAL, "no \"all\" (size -1): -EINVAL");
	n = I.ihk_os_get_num_assigned_mem_chunks(os);
	is_int(n, 4, "4 physical chunks assigned");
	is_int(I.ihk_os_query_mem(os, q, n), 0, "query them");
	mixed[0] = q[0];
	mixed[1] = wrong;
	is_int(I.ihk_os_release_mem(os, mixed, 2), -EINVAL, "one good, one wrong: -EINVAL");
	is_int(I.ihk_os_get_num_assigned_mem_chunks(os), 3, "the good one before it stays released");
	is_int(I.ihk_get_num_reserved_mem_chunks(0), 1, "into the reserved pool");
	is_int(I.ihk_os_release_mem(os, &q[1], 1), 0, "release another exactly");
	is_int(I.ihk_os_get_num_assigned_mem_chunks(os), 2, "2 left");
}

static void test_os_release(void)
{
	int cpus[] = { 6, 2 }, one[] = { 6 }, os, n;
	struct ihk_mem_chunk q[8];

	dt_new_node("os-release");
	os = dt_prepare_os(cpus, 2);
	test_os_release_cpu(os);
	test_os_release_mem(os);
	is_int(I.ihk_os_boot(os), 0, "boot");
	is_int(I.ihk_os_release_cpu(os, one, 1), -EBUSY, "after boot: os_release_cpu -EBUSY");
	is_int(I.ihk_os_release_cpu(os, one, 0), 0, "(n = 0 never reaches the module)");
	n = I.ihk_os_get_num_assigned_mem_chunks(os);
	is_int(I.ihk_os_query_mem(os, q, n), 0, "query its memory");
	is_int(I.ihk_os_release_mem(os, q, 1), -EBUSY, "after boot: os_release_mem -EBUSY");
	is_int(I.ihk_destroy_os(0, os), 0, "destroy");
}

/* ------------------------------------------------------- missing image */

static void test_missing_image(void)
{
	int cpus[] = { 6, 2 }, one[] = { 1 }, os, rc = 0;
	char why[256] = "", cmd[PATH_MAX + 128];

	dt_new_node("missing-image");
	os = dt_prepare_os(cpus, 2);
	ok(killed(call_load_missing, os), "ihk_os_load of a missing image: the caller dies of SIGKILL");
	is_int(X.crashed(why, sizeof(why)), 1, "the node's IHK has crashed");
	ok(strstr(why, "/nonexistent/mckernel.img") != NULL, "and says why: %s", why);
	is_int(I.ihk_reserve_cpu(0, one, 1), -EIO, "every later call fails with -EIO: reserve_cpu");
	is_int(I.ihk_get_num_os_instances(0), -EIO, "get_num_os_instances");
	is_int(I.ihk_os_get_status(os), -EIO, "get_status");
	is_int(I.ihk_destroy_os(0, os), -EIO, "destroy_os");
	is_int(I.ihk_os_load(os, dt_image), -EIO, "a load of a good image");
	ok(nobody_child(call_reserved_cpus, &rc) == 0 && rc == -EIO, "another user's query too (%d)", rc);
	ok(node_file_has("events.log", "call=os_load os=-"), "events.log records the oops");
	ok(node_file_has("dmesg", "does not exist"), "STATE/dmesg too");
	is_int(X.reset(), 0, "reset");
	is_int(X.crashed(NULL, 0), 0, "not crashed any more");
	is_int(I.ihk_reserve_cpu(0, one, 1), 0, "calls work again");

	os = dt_prepare_os(cpus, 2);
	ok(killed(call_load_missing, os), "crash it again");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dt_node);
	is_int(system(cmd), 0, "delete the state directory");
	is_int(I.ihk_reserve_cpu(0, one, 1), 0, "a node fresh from boot");
}

/* --------------------------------------------------------- Linux's view */

static void is_node_text(const char *rel, const char *want, const char *what)
{
	char *text = dt_read(rel);

	is_str(text, want, "%s", what);
	free(text);
}

static void test_linux_view(void)
{
	int some[] = { 1, 3, 5 };
	struct ihk_mem_chunk m = dt_chunk(256 * MiB, 1), any = dt_chunk((unsigned long)-1, -1);
	char path[PATH_MAX + 128];
	struct stat sb;

	dt_new_node("linux-view");
	is_int(I.ihk_get_num_reserved_cpus(0), 0, "a root call creates the node");
	is_node_text("sys/devices/system/cpu/offline", "\n", "fresh node: no CPU offline");
	is_node_text("sys/devices/system/cpu/online", "0-7\n", "CPUs 0-7 online");
	is_node_text("sys/devices/system/cpu/present", "0-7\n", "present");
	is_node_text("sys/devices/system/node/online", "0-1\n", "NUMA nodes 0-1");
	is_node_text("sys/devices/system/node/node0/cpulist", "0-3\n", "node 0 has CPUs 0-3");
	ok(node_file_has("sys/devices/system/node/node1/meminfo", "Node 1 MemTotal:        1048576 kB"),
	   "node 1 has 1 GiB");
	is_int(I.ihk_reserve_cpu(0, some, 3), 0, "reserve CPUs 1,3,5");
	is_node_text("sys/devices/system/cpu/offline", "1,3,5\n", "they are offline");
	is_node_text("sys/devices/system/cpu/online", "0,2,4,6-7\n", "the others online");
	is_node_text("sys/devices/system/node/node0/cpulist", "0,2\n", "node 0's online CPUs");
	is_int(I.ihk_reserve_mem(0, &m, 1), 0, "reserve 256M on node 1");
	ok(node_file_has("sys/devices/system/node/node1/meminfo", "Node 1 MemFree:          786432 kB"),
	   "node 1 has 256 MiB less free");
	is_int(I.ihk_release_cpu(0, some, 3), 0, "release the CPUs");
	is_int(I.ihk_release_mem(0, &any, 1), 0, "and the memory");
	is_node_text("sys/devices/system/cpu/offline", "\n", "no CPU offline again");
	ok(node_file_has("sys/devices/system/node/node1/meminfo", "Node 1 MemFree:         1048576 kB"),
	   "all memory free again");
	dt_node_path(path, sizeof(path), "sys/devices/system/cpu/offline");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0444, "read-only like sysfs");
}

/* ------------------------------------------------------- device files */

static void test_char_devices(void)
{
	int cpus[] = { 6, 2 }, os, rc = 0, fd;
	char path[PATH_MAX + 128];
	struct stat sb;
	pid_t holder;

	dt_new_node("regular-devices");
	is_int(I.ihk_get_num_os_instances(0), 0, "a query as root makes Linux's view only");
	dt_node_path(path, sizeof(path), "dev");
	ok(access(path, F_OK) != 0, "not the IHK devices");
	is_int(X.init(), 0, "ihk-double init: a node with the default device_files");
	dt_node_path(path, sizeof(path), "dev/mcd0");
	ok(stat(path, &sb) == 0 && S_ISREG(sb.st_mode), "dev/mcd0 is a regular file");

	dt_new_node("char-devices");
	dt_write_conf("device_files = char\ndestroy_retries = 3\n");
	is_int(X.init(), 0, "a node with device_files = char");
	dt_node_path(path, sizeof(path), "dev/mcd0");
	ok(stat(path, &sb) == 0 && S_ISCHR(sb.st_mode) && (sb.st_mode & 0777) == 0600 &&
	   sb.st_uid == 0 && (minor(sb.st_rdev) & 0xff) == 0, "dev/mcd0 is crw------- root, minor 0 (of its node's block)");
	os = dt_prepare_os(cpus, 2);
	dt_node_path(path, sizeof(path), "dev/mcos0");
	ok(stat(path, &sb) == 0 && S_ISCHR(sb.st_mode) && (minor(sb.st_rdev) & 0xff) == 1,
	   "dev/mcos0 is a character device, minor 1 (of its node's block)");
	fd = open(path, O_RDWR);
	/* EPERM in a container whose device cgroup does not list it */
	ok(fd < 0 && (errno == ENXIO || errno == EPERM),
	   "opening it fails with ENXIO (no driver) or EPERM (device cgroup)");
	if (fd >= 0)
		close(fd);
	os_arg = os;
	ok(nobody_child(call_assigned_cpus, &rc) == 0 && rc == -EACCES,
	   "a user who does not own it: -EACCES (%d)", rc);
	chown_device(os, "nobody");
	ok(nobody_child(call_assigned_cpus, &rc) == 0 && rc == 2, "its owner queries it (%d)", rc);
	is_int(I.ihk_os_boot(os), 0, "boot");
	holder = hold(path, O_PATH);
	is_int(I.ihk_destroy_os(0, os), -EBUSY, "held with O_PATH: destroy -EBUSY");
	unhold(holder);
	is_int(I.ihk_destroy_os(0, os), 0, "destroy once the holder is gone");
	ok(access(path, F_OK) != 0, "the device node is removed");
}

/* --------------------------------------------------------- run records */

static int write_user_records(void *arg)
{
	const char *dir = arg;
	char path[PATH_MAX + 64];
	FILE *f;

	if (become_nobody())
		return -EPERM;
	snprintf(path, sizeof(path), "%s/123.rec", dir);
	if (!(f = fopen(path, "w")))
		return -errno;
	fprintf(f, "pid=123\njob=9\nexit=0\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/456.rec", dir);
	if (symlink("/etc/shadow", path))
		return -errno;
	snprintf(path, sizeof(path), "%s/../intruder", dir);
	return open(path, O_WRONLY | O_CREAT, 0644) >= 0 ? 1 : -errno;
}

static void test_records(void)
{
	int cpus[] = { 6, 2 }, os, rc = 0;
	char dir[PATH_MAX + 128];
	struct passwd *pw = getpwnam("nobody");
	struct stat sb;

	dt_new_node("records");
	os = dt_prepare_os(cpus, 2);
	dt_node_path(dir, sizeof(dir), "mcexec");
	ok(stat(dir, &sb) == 0 && (sb.st_mode & 07777) == 0755 && sb.st_uid == 0,
	   "STATE/mcexec is 0755 root: users cannot write there");
	dt_node_path(dir, sizeof(dir), "mcexec/os0");
	ok(stat(dir, &sb) == 0 && (sb.st_mode & 07777) == 0700 && sb.st_uid == 0,
	   "create_os makes STATE/mcexec/os0, 0700 root");
	is_int(I.ihk_os_boot(os), 0, "boot");
	chown_device(os, "nobody");
	is_int(I.ihk_get_num_os_instances(0), 1, "a call as root after the chown");
	ok(pw && stat(dir, &sb) == 0 && sb.st_uid == pw->pw_uid,
	   "the records directory now belongs to the device's owner");
	ok(dt_in_child(write_user_records, dir, &rc) == 0, "the owner writes records");
	ok(rc == -EACCES, "but nothing beside them (%d)", rc);
	is_int(I.ihk_destroy_os(0, os), 0, "destroy");
	ok(access(dir, F_OK) != 0, "the records are removed with the instance");
	ok(node_file_has("mcexec.log", "pid=123 job=9 exit=0"), "folded into STATE/mcexec.log");
	ok(!node_file_has("mcexec.log", "root:"), "a record linked elsewhere is not followed");
}

/* ------------------------------------------------------ latency model */

struct draw {
	const char *seed;	/* NULL: unset */
	const char *preset;	/* NULL: unset */
};

static int draw_mcexec(void *arg)
{
	const struct draw *d = arg;
	struct ihk_double_mcexec_conf c = { -1, -1 };

	if (d->seed)
		setenv("IHK_DOUBLE_SEED", d->seed, 1);
	if (d->preset)
		setenv("IHK_DOUBLE_LATENCY", d->preset, 1);
	else
		unsetenv("IHK_DOUBLE_LATENCY");
	return X.mcexec_conf(&c) ? -1 : (int)c.startup_ms;
}

static int draw(const char *seed, const char *preset)
{
	struct draw d = { seed, preset };
	int v = -1;

	return dt_in_child(draw_mcexec, &d, &v) == 0 ? v : -1;
}

static void test_latency_presets(void)
{
	int a, b, c, v;

	dt_new_node("latency-presets");
	dt_write_conf("");
	v = draw("1", NULL);
	ok(v >= 330 && v <= 560, "default preset is observed: mcexec start-up %d ms in 330-560", v);
	v = draw("1", "zero");
	is_int(v, 0, "IHK_DOUBLE_LATENCY=zero");
	dt_write_conf("latency = zero\n");
	is_int(draw("1", NULL), 0, "latency = zero in double.conf");
	dt_write_conf("latency = observed\n");
	is_int(draw("1", "zero"), 0, "the environment's preset wins over the file's");
	dt_write_conf("mcexec_latency_ms = 250\n");
	is_int(draw("1", "zero"), 250, "a key of the file overrides the preset");
	dt_write_conf("mcexec_latency_ms = 100-900\n");
	a = draw("42", "zero");
	b = draw("42", "zero");
	c = draw("7", "zero");
	ok(a >= 100 && a <= 900, "a draw is within its range (%d)", a);
	is_int(a, b, "IHK_DOUBLE_SEED makes the jitter repeatable");
	ok(c != a, "another seed draws another value (%d, %d)", a, c);
	dt_write_conf("mcexec_latency_ms = 9-3\n");
	v = draw("1", NULL);
	ok(v >= 330 && v <= 560, "a bad range is ignored (observed kept: %d)", v);
}

static void test_latency_steps(void)
{
	int two[] = { 2, 3 };
	struct ihk_mem_chunk half = dt_chunk(512 * MiB, 0), any = dt_chunk((unsigned long)-1, -1);
	double t0;

	dt_new_node("latency-steps");
	dt_write_conf("reserve_cpu_latency_ms = 150\nrelease_cpu_latency_ms = 100\n"
		      "reserve_mem_latency_ms = 100\nreserve_mem_latency_ms_per_gib = 800\n"
		      "create_latency_ms = 200\n");
	t0 = dt_now_ms();
	is_int(I.ihk_reserve_cpu(0, two, 2), 0, "reserve 2 CPUs at 150 ms each");
	ok(dt_now_ms() - t0 >= 300, "took at least 300 ms (%.0f)", dt_now_ms() - t0);
	t0 = dt_now_ms();
	is_int(I.ihk_reserve_mem(0, &half, 1), 0, "reserve 512 MiB at 100 ms + 800 ms/GiB");
	ok(dt_now_ms() - t0 >= 500, "took at least 500 ms (%.0f)", dt_now_ms() - t0);
	t0 = dt_now_ms();
	is_int(I.ihk_create_os(0), 0, "create at 200 ms");
	ok(dt_now_ms() - t0 >= 200, "took at least 200 ms (%.0f)", dt_now_ms() - t0);
	t0 = dt_now_ms();
	is_int(I.ihk_release_cpu(0, two, 2), 0, "release 2 CPUs at 100 ms each");
	ok(dt_now_ms() - t0 >= 200, "took at least 200 ms (%.0f)", dt_now_ms() - t0);
	is_int(I.ihk_release_mem(0, &any, 1), 0, "release the memory");
}

int main(void)
{
	int rc = dt_setup();

	if (rc == 1) {
		ok(0, "set up the IHK double test");
		return done_testing();
	}
	if (rc == 77) {
		printf("# SKIP: these rules need root\n");
		done_testing();
		return 77;
	}
	test_status_unbooted();
	test_after_shutdown();
	test_destroy_unbooted();
	test_safe_teardown();
	test_leak_mode();
	test_os_release();
	test_missing_image();
	test_linux_view();
	test_char_devices();
	test_records();
	test_latency_presets();
	test_latency_steps();
	dt_cleanup(mck_test_failed);
	return done_testing();
}
