/*
 * test-ihk-double.c: the IHK double driven through the libihk loader
 * (mck_ihk_open on the built libihk-double.so), one fresh node per part:
 * the lifecycle of booted instances, every errno row, exact counts, chunk
 * splitting, destroy while held, latency, hang, panic, faults, access as
 * nobody, concurrent processes, where the double finds its node.
 * test-ihk-double-rules.c has what real IHK 3114d9e does wrong.
 */
#include "config.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "double-test.h"
#include "mck-test.h"
#include "mck-util.h"

static void test_fresh_node(void)
{
	char path[PATH_MAX + 128];
	struct stat sb;

	dt_new_node("fresh");
	is_int(I.ihk_os_get_status(0), -ENOENT, "no instance: get_status -ENOENT");
	is_int(I.ihk_os_shutdown(0), -ENOENT, "no instance: shutdown -ENOENT");
	is_int(I.ihk_destroy_os(0, 0), -EINVAL, "no instance: destroy -EINVAL");
	ok(stat(dt_node, &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 07777) == 0755,
	   "a missing state directory becomes a fresh node, mode 0755");
	dt_node_path(path, sizeof(path), "dev/mcd0");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600 && sb.st_uid == 0,
	   "dev/mcd0 exists, 0600 root");
	is_int(I.ihk_get_num_reserved_cpus(0), 0, "nothing reserved");
	is_int(I.ihk_get_num_reserved_mem_chunks(0), 0, "no memory reserved");
	is_int(I.ihk_get_num_os_instances(0), 0, "no instance");
	is_int(I.ihk_get_num_reserved_cpus(1), -ENOENT, "device 1 does not exist");
	is_int(I.ihk_os_get_num_assigned_cpus(3), -ENOENT, "queries on a missing OS: -ENOENT");
	dt_node_path(path, sizeof(path), "events.log");
	ok(dt_file_contains(path, "call=destroy_os os=0 gen=- rc=-22"),
	   "failed state-changing calls are logged");
}

static void test_cpus(void)
{
	int bad1[] = { 99 }, bad2[] = { -1 }, dup[] = { 2, 2 }, mixed[] = { 2, 99 };
	int good[] = { 7, 2, 6, 3 }, q[8], again[] = { 3 }, notres[] = { 1 };
	int many[IHK_MAX_NUM_CPUS + 1];

	dt_new_node("cpus");
	memset(many, 0, sizeof(many));
	is_int(I.ihk_reserve_cpu(0, bad1, 1), -EINVAL, "CPU not present: -EINVAL");
	is_int(I.ihk_reserve_cpu(0, bad2, 1), -EINVAL, "negative CPU: -EINVAL");
	is_int(I.ihk_reserve_cpu(0, dup, 2), -EINVAL, "a CPU twice in one call: -EINVAL");
	is_int(I.ihk_reserve_cpu(0, mixed, 2), -EINVAL, "one bad CPU fails the call");
	is_int(I.ihk_get_num_reserved_cpus(0), 0, "... and nothing was reserved");
	is_int(I.ihk_reserve_cpu(0, many, IHK_MAX_NUM_CPUS + 1), -EINVAL, "n > 1024: -EINVAL");
	is_int(I.ihk_reserve_cpu(0, good, -1), -EINVAL, "n < 0: -EINVAL");
	is_int(I.ihk_reserve_cpu(0, good, 4), 0, "reserve 7,2,6,3");
	is_int(I.ihk_reserve_cpu(0, again, 1), -EINVAL, "already offline: -EINVAL");
	is_int(I.ihk_get_num_reserved_cpus(0), 4, "4 reserved");
	is_int(I.ihk_query_cpu(0, q, 3), -EINVAL, "query with too small a count: -EINVAL");
	is_int(I.ihk_query_cpu(0, q, 5), -EINVAL, "query with too large a count: -EINVAL");
	is_int(I.ihk_query_cpu(0, q, 4), 0, "query with the exact count");
	ok(q[0] == 2 && q[1] == 3 && q[2] == 6 && q[3] == 7, "reserved CPUs come sorted: %d,%d,%d,%d",
	   q[0], q[1], q[2], q[3]);
	is_int(I.ihk_release_cpu(0, notres, 1), -EINVAL, "release of a CPU not reserved: -EINVAL");
	is_int(I.ihk_release_cpu(0, again, 1), 0, "release CPU 3");
	is_int(I.ihk_get_num_reserved_cpus(0), 3, "3 reserved");
}

static void test_memory(void)
{
	struct ihk_mem_chunk odd = dt_chunk(5 * MiB, 0), offline = dt_chunk(4 * MiB, 5);
	struct ihk_mem_chunk toobig = dt_chunk(1024 * MiB, 0), cap = dt_chunk(1004 * MiB, 0);
	struct ihk_mem_chunk two[2] = { dt_chunk(256 * MiB, 0), dt_chunk(2048 * MiB, 1) };
	struct ihk_mem_chunk all = dt_chunk((unsigned long)-1, -1), q[8];
	struct ihk_mem_chunk half = dt_chunk(512 * MiB, 0), twelve = dt_chunk(12 * MiB, 1);
	struct ihk_mem_chunk fours[3] = { dt_chunk(4 * MiB, 1), dt_chunk(4 * MiB, 1), dt_chunk(4 * MiB, 1) };
	struct ihk_mem_chunk nomatch = dt_chunk(512 * MiB, 0);

	dt_new_node("memory");
	is_int(I.ihk_reserve_mem(0, &odd, 1), -EINVAL, "size not a 4 MiB multiple: -EINVAL");
	is_int(I.ihk_reserve_mem(0, &offline, 1), -EINVAL, "NUMA node not online: -EINVAL");
	is_int(I.ihk_reserve_mem(0, &odd, IHK_MAX_NUM_MEM_CHUNKS + 1), -EINVAL, "n > 2048: -EINVAL");
	is_int(I.ihk_reserve_mem(0, &toobig, 1), -ENOMEM, "all of a node's memory: -ENOMEM");
	is_int(I.ihk_reserve_mem(0, &cap, 1), -ENOMEM, "98%% of a node: -ENOMEM");
	{
		struct ihk_mem_chunk over = dt_chunk(976 * MiB, 1), under = dt_chunk(972 * MiB, 1);
		struct ihk_mem_chunk node1 = dt_chunk((unsigned long)-1, 1);

		is_int(I.ihk_reserve_mem(0, &over, 1), -ENOMEM,
		       "above 95%% of a node (where real IHK stops): -ENOMEM");
		is_int(I.ihk_reserve_mem(0, &under, 1), 0, "95%% of a node can be reserved");
		is_int(I.ihk_release_mem(0, &node1, 1), 0, "release all of node 1");
	}
	is_int(I.ihk_reserve_mem(0, two, 2), -ENOMEM, "second chunk too big: -ENOMEM");
	is_int(I.ihk_get_num_reserved_mem_chunks(0), 2,
	       "the first chunk stayed reserved, as 2 physical chunks");
	is_int(I.ihk_query_mem(0, q, 2), 0, "query them");
	ok(q[0].size + q[1].size == 256 * MiB && q[0].numa_node_number == 0 && q[1].size != 256 * MiB,
	   "physical chunks differ from the size asked: %lu + %lu", q[0].size, q[1].size);
	is_int(I.ihk_release_mem(0, &all, 1), 0, "release all (size -1)");
	is_int(I.ihk_get_num_reserved_mem_chunks(0), 0, "nothing left");

	is_int(I.ihk_reserve_mem(0, &half, 1), 0, "reserve 512M@0");
	is_int(I.ihk_get_num_reserved_mem_chunks(0), 2, "came back as 2 chunks");
	is_int(I.ihk_query_mem(0, q, 1), -EINVAL, "query_mem with a wrong count: -EINVAL");
	is_int(I.ihk_query_mem(0, q, 3), -EINVAL, "query_mem with a larger count: -EINVAL");
	is_int(I.ihk_release_mem(0, &nomatch, 1), -EINVAL,
	       "release must match a physical chunk exactly: -EINVAL");
	is_int(I.ihk_get_num_reserved_mem_chunks(0), 2, "... and nothing was released");

	dt_write_conf("chunk_split = 3\n");
	is_int(I.ihk_reserve_mem(0, &twelve, 1), 0, "reserve 12M@1 with chunk_split = 3");
	is_int(I.ihk_get_num_reserved_mem_chunks(0), 5, "3 more chunks");
	is_int(I.ihk_query_mem(0, q, 5), 0, "query 5 chunks");
	ok(q[2].size == 4 * MiB && q[3].size == 4 * MiB && q[4].size == 4 * MiB &&
	   q[4].numa_node_number == 1, "three 4M chunks on node 1");
	is_int(I.ihk_release_mem(0, fours, 3), 0, "release them exactly");
	is_int(I.ihk_release_mem(0, fours, 1), -EINVAL, "they are gone: -EINVAL");
	is_int(I.ihk_get_num_reserved_mem_chunks(0), 2, "the 512M remains");
	is_int(I.ihk_query_mem(0, q, 2), 0, "query them");
	is_int(I.ihk_release_mem(0, q, 2), 0, "release what query_mem returned");
	is_int(I.ihk_get_num_reserved_mem_chunks(0), 0, "nothing reserved");
}

static void test_instance_setup(void)
{
	int lwk[] = { 2, 3, 6, 7 }, assign[] = { 6, 2 }, q[4], idx[2], zero[] = { 0 };
	struct ihk_ikc_cpu_map m[2], bad_n[1] = { { 6, 0 } };
	struct ihk_ikc_cpu_map bad_src[2] = { { 6, 0 }, { 3, 1 } };
	struct ihk_ikc_cpu_map bad_dst[2] = { { 6, 0 }, { 2, 3 } };
	struct ihk_ikc_cpu_map good[2] = { { 6, 4 }, { 2, 1 } };
	struct ihk_mem_chunk res[2] = { dt_chunk(256 * MiB, 0), dt_chunk(256 * MiB, 1) };
	struct ihk_mem_chunk toomuch = dt_chunk(300 * MiB, 1), part = dt_chunk(200 * MiB, 0), mq[8];
	char path[PATH_MAX + 128];
	struct stat sb;
	int os, os1, gen0, gen1;

	dt_new_node("setup");
	/* instances destroyed unbooted here hold nothing: IHK without the oops */
	dt_write_conf("destroy_unbooted = leak\n");
	is_int(I.ihk_reserve_cpu(0, lwk, 4), 0, "reserve 4 CPUs");
	is_int(I.ihk_reserve_mem(0, res, 2), 0, "reserve 256M on each node");
	os = I.ihk_create_os(0);
	is_int(os, 0, "create_os returns index 0");
	dt_node_path(path, sizeof(path), "dev/mcos0");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600 && sb.st_uid == 0,
	   "dev/mcos0 created, 0600 root");
	os1 = I.ihk_create_os(0);
	is_int(os1, 1, "the next one is index 1");
	is_int(I.ihk_get_num_os_instances(0), 2, "2 instances");
	is_int(I.ihk_get_os_instances(0, idx, 1), -EINVAL, "get_os_instances wants the exact count");
	is_int(I.ihk_get_os_instances(0, idx, 2), 0, "get_os_instances");
	ok(idx[0] == 0 && idx[1] == 1, "indices 0 and 1");
	gen0 = X.os_generation(0);
	gen1 = X.os_generation(1);
	ok(gen0 > 0 && gen1 > gen0, "generations %d < %d", gen0, gen1);
	is_int(I.ihk_destroy_os(0, 1), 0, "destroy instance 1");
	dt_node_path(path, sizeof(path), "dev/mcos1");
	ok(access(path, F_OK) != 0, "dev/mcos1 removed");
	is_int(X.os_generation(1), -ENOENT, "no generation without instance");
	is_int(I.ihk_create_os(0), 1, "create again: lowest free index 1");
	ok(X.os_generation(1) > gen1, "a new generation at every create_os (%d)", X.os_generation(1));
	is_int(I.ihk_destroy_os(0, 1), 0, "destroy it");

	is_int(I.ihk_os_assign_cpu(0, zero, 1), -EINVAL, "assign a CPU not reserved: -EINVAL");
	is_int(I.ihk_os_assign_cpu(9, assign, 2), -ENOENT, "assign to a missing OS: -ENOENT");
	is_int(I.ihk_os_assign_cpu(0, assign, 2), 0, "assign CPUs 6,2 (in this order)");
	is_int(I.ihk_get_num_reserved_cpus(0), 2, "2 CPUs left in the pool");
	is_int(I.ihk_os_get_num_assigned_cpus(0), 2, "2 CPUs assigned");
	is_int(I.ihk_os_query_cpu(0, q, 1), -EINVAL, "os_query_cpu wants the exact count");
	is_int(I.ihk_os_query_cpu(0, q, 2), 0, "os_query_cpu");
	ok(q[0] == 6 && q[1] == 2, "assignment order kept: %d,%d", q[0], q[1]);
	is_int(I.ihk_os_get_ikc_map(0, m, 2), 0, "IKC map before any was set");
	ok(m[0].src_cpu == 6 && m[0].dst_cpu == 0 && m[1].src_cpu == 2 && m[1].dst_cpu == 0,
	   "no map: every LWK CPU offloads to Linux CPU 0");
	is_int(I.ihk_os_set_ikc_map(0, bad_n, 1), -EINVAL, "IKC map size != assigned CPUs: -EINVAL");
	is_int(I.ihk_os_set_ikc_map(0, bad_src, 2), -EINVAL, "IKC src not assigned: -EINVAL");
	is_int(I.ihk_os_set_ikc_map(0, bad_dst, 2), -EINVAL, "IKC dst reserved (offline): -EINVAL");
	is_int(I.ihk_os_set_ikc_map(0, good, 2), 0, "set IKC map 6:4, 2:1");
	is_int(I.ihk_os_get_ikc_map(0, m, 1), -EINVAL, "get_ikc_map wants the exact count");
	is_int(I.ihk_os_get_ikc_map(0, m, 2), 0, "get the IKC map");
	ok(m[0].dst_cpu == 4 && m[1].dst_cpu == 1, "IKC map as set");

	is_int(I.ihk_os_assign_mem(0, &toomuch, 1), -ENOMEM, "assign more than reserved: -ENOMEM");
	is_int(I.ihk_os_get_num_assigned_mem_chunks(0), 0, "... nothing assigned");
	is_int(I.ihk_os_load(0, dt_image), -EINVAL, "load without memory: -EINVAL");
	is_int(I.ihk_os_assign_mem(0, &part, 1), 0, "assign 200M@0 (splits the chunks)");
	is_int(I.ihk_os_get_num_assigned_mem_chunks(0), 2, "as 2 physical chunks");
	is_int(I.ihk_os_query_mem(0, mq, 2), 0, "os_query_mem");
	ok(mq[0].size + mq[1].size == 200 * MiB, "200M assigned");
	is_int(I.ihk_get_num_reserved_mem_chunks(0), 3, "the pool keeps the rest (3 chunks)");
	is_int(I.ihk_query_mem(0, mq, 3), 0, "query the pool");
	ok(mq[0].size + mq[1].size + mq[2].size == 312 * MiB, "312M left in the pool");
}

static void test_load_kargs_boot(void)
{
	int cpus[] = { 6, 2 }, more[] = { 3 }, cpus1[] = { 3 };
	struct ihk_ikc_cpu_map map[2] = { { 6, 4 }, { 2, 1 } };
	struct ihk_mem_chunk m = dt_chunk(8 * MiB, 1);
	char big[2100], path[PATH_MAX + 128], kmsg[65536];
	int os, os1, n;

	dt_new_node("boot");
	os = dt_prepare_os(cpus, 2);
	is_int(os, 0, "instance 0 prepared");
	is_int(I.ihk_os_load(7, "/nonexistent/mckernel.img"), -ENOENT,
	       "load on a missing instance: -ENOENT (the image is never read)");
	is_int(I.ihk_os_load(0, "/"), -EINVAL, "an image that is not a file: -EINVAL");
	os1 = I.ihk_create_os(0);
	is_int(I.ihk_os_load(os1, dt_image), -EINVAL, "load without CPUs: -EINVAL");
	dt_write_conf("image_max_bytes = 4\n");
	is_int(I.ihk_os_load(0, dt_image), -E2BIG, "image too big: -E2BIG");
	dt_write_conf("");
	is_int(I.ihk_os_load(0, dt_image), 0, "load");
	is_int(I.ihk_os_kargs(0, "ksyslogd=0"), -EINVAL, "kargs without hidos: -EINVAL");
	is_int(I.ihk_os_kargs(0, "hidosx allow_oversubscribe"), -EINVAL, "hidos must be a token");
	memset(big, 'x', sizeof(big));
	memcpy(big, "hidos dump_level=24 ", 20);
	big[sizeof(big) - 1] = '\0';
	is_int(I.ihk_os_kargs(0, big), 0, "2 KiB kargs accepted (cut)");
	is_int(I.ihk_os_kargs(0, "hidos dump_level=24"), 0, "kargs");
	is_int(I.ihk_os_boot(os1), -EINVAL, "boot of an instance never loaded: -EINVAL");
	is_int(I.ihk_os_get_num_numa_nodes(0), -EINVAL, "NUMA nodes only after boot");
	{
		struct ihk_double_peek p;

		ok(X.os_peek(0, &p) == 0 && p.phase == IHK_DOUBLE_CREATED &&
		   p.status == IHK_STATUS_INACTIVE, "never booted: INACTIVE (seen without a query)");
	}
	is_int(I.ihk_os_boot(0), 0, "boot");
	is_int(I.ihk_os_get_status(0), IHK_STATUS_RUNNING, "RUNNING after boot returns");
	is_int(I.ihk_os_boot(0), -EBUSY, "boot again: -EBUSY");
	is_int(I.ihk_reserve_mem(0, &m, 1), 0, "reserve 8M more");
	is_int(I.ihk_os_assign_cpu(os1, more, 1), 0, "a second instance gets a CPU");
	is_int(I.ihk_os_assign_mem(os1, &m, 1), 0, "and memory");
	is_int(I.ihk_os_load(os1, dt_image), 0, "and is loaded");
	is_int(I.ihk_os_boot(os1), -EBUSY, "another OS on the device is booted: -EBUSY");
	is_int(I.ihk_os_assign_cpu(0, cpus1, 1), -EBUSY, "assign_cpu after boot: -EBUSY");
	is_int(I.ihk_os_set_ikc_map(0, map, 2), -EBUSY, "set_ikc_map after boot: -EBUSY");
	is_int(I.ihk_os_assign_mem(0, &m, 1), -EBUSY, "assign_mem after boot: -EBUSY");
	is_int(I.ihk_os_load(0, dt_image), -EBUSY, "load after boot: -EBUSY");
	is_int(I.ihk_os_kargs(0, "hidos"), -EBUSY, "kargs after boot: -EBUSY");
	is_int(I.ihk_os_get_num_numa_nodes(0), 2, "memory on 2 NUMA nodes");
	ok(I.ihk_os_get_kmsg_size(0) > 0, "kmsg size %d", I.ihk_os_get_kmsg_size(0));
	n = I.ihk_os_kmsg(0, kmsg, sizeof(kmsg) - 1);
	ok(n > 0, "kmsg readable while running (%d bytes)", n);
	kmsg[n > 0 ? n : 0] = '\0';
	ok(strstr(kmsg, "KCommand Line: hidos dump_level=24") != NULL, "kmsg shows the kargs");
	ok(strstr(kmsg, "booted") != NULL, "kmsg shows the boot");
	is_int(I.ihk_os_clear_kmsg(0), 0, "clear kmsg");
	is_int(I.ihk_os_kmsg(0, kmsg, sizeof(kmsg)), 0, "kmsg empty after clear");

	is_int(I.ihk_os_shutdown(0), 0, "shutdown of a RUNNING instance is allowed");
	{
		struct ihk_double_peek p;

		ok(X.os_peek(0, &p) == 0 && p.phase == IHK_DOUBLE_DOWN && !p.poisoned,
		   "it is shut down (not queried: that is fatal, see test-ihk-double-rules)");
	}
	is_int(I.ihk_get_num_os_instances(0), 2, "the instance remains");
	is_int(I.ihk_os_get_num_assigned_cpus(0), 0, "its CPUs are gone");
	is_int(I.ihk_get_num_reserved_cpus(0), 3, "back in the reserved pool (2 + 1 free)");
	is_int(I.ihk_os_get_num_assigned_mem_chunks(0), 0, "its memory is gone");
	is_int(I.ihk_get_num_reserved_mem_chunks(0), 4, "back in the reserved pool");
	{
		struct ihk_mem_chunk q[4];

		is_int(I.ihk_query_mem(0, q, 4), 0, "query the pool");
		is_int(q[0].size + q[1].size + q[2].size + q[3].size, 512 * MiB, "all 512M are back");
	}
	ok(I.ihk_os_kmsg(0, kmsg, sizeof(kmsg)) < 0, "kmsg cannot be read after shutdown");
	ok(I.ihk_os_get_kmsg_size(0) < 0, "nor its size");
	is_int(I.ihk_os_clear_kmsg(0), -EINVAL, "nor cleared");
	is_int(I.ihk_os_assign_cpu(0, cpus1, 1), -EBUSY, "a shut-down instance: assign_cpu -EBUSY");
	is_int(I.ihk_os_boot(0), -EBUSY, "and boot -EBUSY");

	/* destroy of a running OS shuts it down first */
	is_int(I.ihk_os_boot(os1), 0, "the second instance boots now (the first is down)");
	is_int(I.ihk_destroy_os(0, os1), 0, "destroy a RUNNING instance");
	dt_node_path(path, sizeof(path), "dev/mcos1");
	ok(access(path, F_OK) != 0, "dev/mcos1 removed");
	is_int(I.ihk_os_get_status(os1), -ENOENT, "status of a destroyed instance: -ENOENT");
	is_int(I.ihk_get_num_os_instances(0), 1, "the shut-down instance 0 is left");
	is_int(I.ihk_get_num_reserved_cpus(0), 4, "the destroyed one's CPU went back to the pool");
	dt_node_path(path, sizeof(path), "events.log");
	ok(dt_file_contains(path, "call=os_boot os=1 gen="), "boot logged with generation");
}

static void test_destroy_busy(void)
{
	int cpus[] = { 2, 3 }, go[2], ready[2];
	char path[PATH_MAX + 128], c = 0;
	double t0, took;
	pid_t pid;
	int os, status;

	dt_new_node("busy");
	os = dt_prepare_os(cpus, 2);
	is_int(I.ihk_os_boot(os), 0, "boot");
	snprintf(path, sizeof(path), "%s/dev/mcos%d", dt_node, os);
	if (pipe(go) || pipe(ready))
		return;
	pid = fork();
	if (pid == 0) {
		int fd = open(path, O_RDWR);

		close(go[1]);
		if (write(ready[1], fd >= 0 ? "y" : "n", 1) != 1)
			_exit(2);
		if (read(go[0], &c, 1) < 0)
			_exit(2);
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	ok(read(ready[0], &c, 1) == 1 && c == 'y', "a child holds %s open", path);
	t0 = dt_now_ms();
	is_int(I.ihk_destroy_os(0, os), -EBUSY, "destroy while the device is held: -EBUSY");
	took = dt_now_ms() - t0;
	ok(took >= 900, "the library retried for about 1 s (%.0f ms)", took);
	is_int(I.ihk_os_get_status(os), IHK_STATUS_RUNNING, "the instance stays RUNNING");
	close(go[1]);
	waitpid(pid, &status, 0);
	close(ready[0]);
	is_int(I.ihk_destroy_os(0, os), 0, "destroy once the holder is gone");
	is_int(I.ihk_get_num_reserved_cpus(0), 4, "everything back in the pool");
}

static int peek_status(int os)
{
	struct ihk_double_peek p;

	return X.os_peek(os, &p) ? -1 : p.status;
}

static int call_shutdown(void *arg)
{
	return I.ihk_os_shutdown(*(int *)arg);
}

/* Boot and shutdown with latency: BOOTING and SHUTDOWN are visible. */
static void test_boot_shutdown_latency(void)
{
	int cpus[] = { 2, 3 }, os, status, saw_booting = 0, saw_shutdown = 0, st, rc = 0;
	struct ihk_double_peek p;
	double t0, took;
	pid_t pid;

	dt_new_node("latency");
	dt_write_conf("boot_latency_ms = 400\nboot_poll_interval_ms = 20\nshutdown_latency_ms = 1500\n");
	os = dt_prepare_os(cpus, 2);
	t0 = dt_now_ms();
	pid = fork();
	if (pid == 0)
		_exit(I.ihk_os_boot(os) == 0 ? 0 : 1);
	while (dt_now_ms() - t0 < 3000) {
		/* not before the boot has started: that query would be fatal */
		if (X.os_peek(os, &p) || p.phase != IHK_DOUBLE_BOOTED) {
			dt_sleep_ms(2);
			continue;
		}
		st = I.ihk_os_get_status(os);
		if (st == IHK_STATUS_BOOTING)
			saw_booting = 1;
		if (st == IHK_STATUS_RUNNING)
			break;
		dt_sleep_ms(10);
	}
	waitpid(pid, &status, 0);
	took = dt_now_ms() - t0;
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "boot with latency succeeds");
	ok(saw_booting, "status reads BOOTING while booting (another process may query)");
	ok(took >= 380, "boot took the configured latency (%.0f ms)", took);
	is_int(I.ihk_os_get_status(os), IHK_STATUS_RUNNING, "then RUNNING");

	t0 = dt_now_ms();
	pid = fork();
	if (pid == 0)
		_exit(I.ihk_os_shutdown(os) == 0 ? 0 : 1);
	while (dt_now_ms() - t0 < 5000 && !saw_shutdown) {
		saw_shutdown = peek_status(os) == IHK_STATUS_SHUTDOWN;
		dt_sleep_ms(5);
	}
	ok(saw_shutdown, "SHUTDOWN is visible while shutdown runs");
	is_int(dt_in_child(call_shutdown, &os, &rc), 0, "a second shutdown meanwhile returns");
	is_int(rc, -EBUSY, "... -EBUSY");
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "shutdown with latency succeeds");
	ok(X.os_peek(os, &p) == 0 && p.phase == IHK_DOUBLE_DOWN, "then the instance is shut down");
}

static void test_latency_and_failures(void)
{
	int cpus[] = { 2, 3 }, os, n;
	char kmsg[65536];

	test_boot_shutdown_latency();

	dt_new_node("hang");
	dt_write_conf("boot_hang = 1\nboot_poll_count = 5\nboot_poll_interval_ms = 10\n");
	os = dt_prepare_os(cpus, 2);
	is_int(I.ihk_os_boot(os), -EINVAL, "a boot that hangs: the poll gives up with -EINVAL");
	is_int(I.ihk_os_get_status(os), IHK_STATUS_BOOTING, "status stays BOOTING");
	is_int(I.ihk_destroy_os(0, os), 0, "a boot that timed out can be destroyed");
	is_int(I.ihk_get_num_reserved_cpus(0), 4, "CPUs back in the pool");

	dt_new_node("panic");
	dt_write_conf("panic_after_s = 0.3\n");
	os = dt_prepare_os(cpus, 2);
	is_int(I.ihk_os_boot(os), 0, "boot (panics 0.3 s later)");
	is_int(I.ihk_os_get_status(os), IHK_STATUS_RUNNING, "RUNNING at first");
	dt_sleep_ms(400);
	is_int(I.ihk_os_get_status(os), IHK_STATUS_PANIC, "then PANIC");
	n = I.ihk_os_kmsg(os, kmsg, sizeof(kmsg) - 1);
	kmsg[n > 0 ? n : 0] = '\0';
	ok(strstr(kmsg, "panic") != NULL, "kmsg tells of the panic");
	is_int(I.ihk_destroy_os(0, os), 0, "destroy a panicked instance");
	is_int(I.ihk_get_num_reserved_cpus(0), 4, "its CPUs back in the pool");

	dt_new_node("hungup");
	dt_write_conf("hang_after_s = 0.2\n");
	os = dt_prepare_os(cpus, 2);
	is_int(I.ihk_os_boot(os), 0, "boot (hangs 0.2 s later)");
	dt_sleep_ms(300);
	is_int(I.ihk_os_get_status(os), IHK_STATUS_HUNGUP, "HUNGUP");
	is_int(I.ihk_destroy_os(0, os), 0, "destroy a hung instance");

	dt_new_node("inject");
	os = dt_prepare_os(cpus, 2);
	is_int(X.os_inject(os, "panic"), -EINVAL, "inject before boot: -EINVAL");
	is_int(I.ihk_os_boot(os), 0, "boot");
	is_int(X.os_inject(os, "melt"), -EINVAL, "unknown injection: -EINVAL");
	is_int(X.os_inject(os, "panic"), 0, "inject a panic");
	is_int(I.ihk_os_get_status(os), IHK_STATUS_PANIC, "PANIC at once");
	is_int(I.ihk_destroy_os(0, os), 0, "destroy");
}

static void test_faults(void)
{
	int cpu[] = { 1 }, fails = 0, os;
	char path[PATH_MAX + 128];

	dt_new_node("faults");
	dt_write_conf("fault = ihk_reserve_cpu:-EIO:once\nfault = ihk_create_os:ENOSPC:nth=2\n");
	is_int(I.ihk_reserve_cpu(0, cpu, 1), -EIO, "once: the first call fails");
	is_int(I.ihk_get_num_reserved_cpus(0), 0, "and changed nothing");
	is_int(I.ihk_reserve_cpu(0, cpu, 1), 0, "once: the second call succeeds");
	is_int(I.ihk_create_os(0), 0, "nth=2: first create works");
	is_int(I.ihk_create_os(0), -ENOSPC, "nth=2: second create fails");
	is_int(I.ihk_create_os(0), 1, "nth=2: third create works");
	dt_node_path(path, sizeof(path), "events.log");
	is_int(dt_count_lines_with(path, "injected=1"), 2, "injected faults are marked in events.log");

	dt_write_conf("fault = ihk_get_num_os_instances:EBUSY:once\n");
	is_int(I.ihk_get_num_os_instances(0), -EBUSY, "a query can fail once too");
	is_int(I.ihk_get_num_os_instances(0), 2, "and then works");

	dt_write_conf("fault = ihk_os_get_num_assigned_cpus:-EIO:prob=1\n");
	is_int(I.ihk_os_get_num_assigned_cpus(0), -EIO, "prob=1 always fails");
	dt_write_conf("fault = ihk_os_get_num_assigned_cpus:-EIO:prob=0\n");
	is_int(I.ihk_os_get_num_assigned_cpus(0), 0, "prob=0 never fails");
	dt_write_conf("fault = ihk_os_get_num_assigned_cpus:-EIO:prob=0.5\n");
	for (int i = 0; i < 200; i++)
		fails += I.ihk_os_get_num_assigned_cpus(0) == -EIO;
	ok(fails > 50 && fails < 150, "prob=0.5 fails about half the time (%d of 200)", fails);

	/* a label arms a new "once"; old counters give way when the table is full */
	dt_write_conf("fault = ihk_get_num_os_instances:EBUSY:once\n");
	is_int(I.ihk_get_num_os_instances(0), 2, "the same once does not fire again");
	for (int i = 0; i < 40; i++) {
		char conf[128];

		snprintf(conf, sizeof(conf), "fault = ihk_get_num_os_instances:EBUSY:once:L%d\n", i);
		dt_write_conf(conf);
		fails = I.ihk_get_num_os_instances(0) == -EBUSY;
		fails += (I.ihk_get_num_os_instances(0) == 2) << 1;
		if (fails != 3)
			break;
	}
	is_int(fails, 3, "40 labelled onces each fire once, past the 32 counters");
	dt_write_conf("fault = ihk_get_num_os_instances:EBUSY:once:bad/label\n");
	is_int(I.ihk_get_num_os_instances(0), 2, "a label outside [A-Za-z0-9_.-] is refused");
	dt_write_conf("");

	dt_new_node("boot-fault");
	setenv("IHK_DOUBLE_FAULT", "ihk_os_boot:-EINVAL:once", 1);
	{
		int cpus[] = { 2, 3 }, n;
		char kmsg[8192];

		os = dt_prepare_os(cpus, 2);
		is_int(I.ihk_os_boot(os), -EINVAL, "IHK_DOUBLE_FAULT from the environment");
		is_int(I.ihk_os_get_status(os), IHK_STATUS_BOOTING,
		       "an injected boot failure is a boot that did not come up (BOOTING)");
		n = I.ihk_os_kmsg(os, kmsg, sizeof(kmsg) - 1);
		kmsg[n > 0 ? n : 0] = '\0';
		ok(strstr(kmsg, "did not come up") != NULL, "its kmsg says so");
		is_int(I.ihk_os_boot(os), -EBUSY, "it was booted: a second boot -EBUSY");
	}
	unsetenv("IHK_DOUBLE_FAULT");
	is_int(I.ihk_destroy_os(0, os), 0, "a failed boot can be destroyed");
	is_int(I.ihk_get_num_reserved_cpus(0), 4, "its CPUs back in the pool");
}

/* Runs as nobody; each result goes back through the pipe. */
static void unprivileged_child(int fd, int os)
{
	int r[8], cpu[] = { 1 }, q[2];
	struct passwd *pw = getpwnam("nobody");

	if (!pw || setgid(pw->pw_gid) || setuid(pw->pw_uid))
		_exit(3);
	r[0] = I.ihk_reserve_cpu(0, cpu, 1);
	r[1] = I.ihk_create_os(0);
	r[2] = I.ihk_os_shutdown(os);
	r[3] = I.ihk_get_num_reserved_cpus(0);
	r[4] = I.ihk_os_get_status(os);
	r[5] = I.ihk_destroy_os(0, os);
	r[6] = X.os_generation(os);
	r[7] = 0;
	if (write(fd, r, sizeof(r)) != sizeof(r))
		_exit(2);
	/* the parent chowns dev/mcosN to us meanwhile */
	if (read(fd, &r[7], 1) < 0)
		_exit(2);
	r[0] = I.ihk_os_get_status(os);
	r[1] = I.ihk_os_get_num_assigned_cpus(os);
	r[2] = I.ihk_os_query_cpu(os, q, 2);
	r[3] = I.ihk_os_shutdown(os);
	r[4] = I.ihk_os_get_status(os);
	if (write(fd, r, sizeof(r)) != sizeof(r))
		_exit(2);
	_exit(0);
}

static void test_privileges(void)
{
	int cpus[] = { 2, 3 }, sv[2], r[8], os, status, gen;
	struct passwd *pw = getpwnam("nobody");
	char path[PATH_MAX + 128], c = 'g';
	pid_t pid;

	dt_new_node("privileges");
	if (!pw || socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		ok(0, "user nobody and a socket pair are needed");
		return;
	}
	os = dt_prepare_os(cpus, 2);
	is_int(I.ihk_os_boot(os), 0, "boot as root");
	gen = X.os_generation(os);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		unprivileged_child(sv[1], os);
	}
	close(sv[1]);
	ok(read(sv[0], r, sizeof(r)) == sizeof(r), "results from the unprivileged child");
	is_int(r[0], -EACCES, "nobody: reserve_cpu -EACCES");
	is_int(r[1], -EACCES, "nobody: create_os -EACCES");
	is_int(r[2], -EACCES, "nobody: shutdown -EACCES");
	is_int(r[3], -EACCES, "nobody: queries on the root-only mcd0 -EACCES");
	is_int(r[4], -EACCES, "nobody: status of an mcos it does not own -EACCES");
	is_int(r[5], -EACCES, "nobody: destroy -EACCES");
	is_int(r[6], gen, "nobody can read the generation from the 0644 state");
	snprintf(path, sizeof(path), "%s/dev/mcos%d", dt_node, os);
	ok(chown(path, pw->pw_uid, pw->pw_gid) == 0, "chown dev/mcos%d to nobody", os);
	ok(write(sv[0], &c, 1) == 1, "tell the child");
	ok(read(sv[0], r, sizeof(r)) == sizeof(r), "results after chown");
	is_int(r[0], IHK_STATUS_RUNNING, "owner: status works");
	is_int(r[1], 2, "owner: assigned CPUs");
	is_int(r[2], 0, "owner: query CPUs");
	is_int(r[3], -EACCES, "owner: shutdown still needs root");
	is_int(r[4], IHK_STATUS_RUNNING, "and the instance still runs");
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child exited cleanly");
	close(sv[0]);
	is_int(I.ihk_destroy_os(0, os), 0, "root destroys");
}

/* Several processes reserve and release at the same time. */
static void test_concurrency(void)
{
	enum { NPROC = 6, ROUNDS = 25 };
	int all[] = { 0, 1, 2, 3, 4, 5, 6, 7 }, shared[] = { 7 };
	pid_t pids[NPROC];
	int bad = 0, status, wins_total = 0, fd[2];
	char path[PATH_MAX + 128];

	dt_new_node("concurrency");
	if (pipe(fd))
		return;
	for (int p = 0; p < NPROC; p++) {
		pids[p] = fork();
		if (pids[p] == 0) {
			int mine[] = { p }, errors = 0, wins = 0;
			struct ihk_mem_chunk m = dt_chunk(8 * MiB, p % 2), q[64];

			close(fd[0]);
			for (int i = 0; i < ROUNDS; i++) {
				int n, rc[5] = { 0 };

				rc[0] = I.ihk_reserve_cpu(0, mine, 1);
				rc[1] = I.ihk_reserve_mem(0, &m, 1);
				if (I.ihk_reserve_cpu(0, shared, 1) == 0) {
					wins++;
					rc[2] = I.ihk_release_cpu(0, shared, 1);
				}
				rc[3] = I.ihk_release_cpu(0, mine, 1);
				n = I.ihk_get_num_reserved_mem_chunks(0);
				rc[4] = n < 0 ? n : 0;
				for (int c = 0; c < 5; c++)
					if (rc[c]) {
						errors++;
						fprintf(stderr, "# process %d round %d: call %d returned %d\n",
							p, i, c, rc[c]);
					}
				(void)q;
			}
			if (write(fd[1], &wins, sizeof(wins)) != sizeof(wins))
				errors++;
			_exit(errors > 250 ? 250 : errors);
		}
	}
	close(fd[1]);
	for (int p = 0; p < NPROC; p++) {
		int w;

		waitpid(pids[p], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
		if (read(fd[0], &w, sizeof(w)) == sizeof(w))
			wins_total += w;
	}
	close(fd[0]);
	is_int(bad, 0, "every call of %d concurrent processes did what it should", NPROC);
	is_int(I.ihk_get_num_reserved_cpus(0), 0, "no CPU stays reserved");
	is_int(I.ihk_get_num_reserved_mem_chunks(0), NPROC * ROUNDS * 2,
	       "every memory reservation is there (2 chunks each)");
	ok(wins_total > 0, "the shared CPU was won %d times", wins_total);
	{
		struct ihk_mem_chunk all_mem = dt_chunk((unsigned long)-1, -1);

		is_int(I.ihk_release_mem(0, &all_mem, 1), 0, "release all memory");
	}
	is_int(I.ihk_reserve_cpu(0, all, 8), 0, "all CPUs can be reserved: none leaked");
	dt_node_path(path, sizeof(path), "events.log");
	is_int(dt_count_lines_with(path, "call=reserve_mem"), NPROC * ROUNDS,
	       "one event per reserve_mem, none lost");
	is_int(dt_count_lines_with(path, "call=release_cpu"), NPROC * ROUNDS + wins_total,
	       "one event per release_cpu");
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX + 64];
	struct mck_error err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (mck_mkdir_p(dir, 0755, &err) || mck_write_file_atomic(path, text, strlen(text), 0644, &err))
		printf("# cannot write %s: %s\n", path, err.msg);
}

static void state_dir_is(const char *want, const char *what)
{
	char got[PATH_MAX + 64] = "";

	is_int(X.state_dir(got, sizeof(got)), 0, "state directory resolved (%s)", what);
	is_str(got, want, "%s", what);
}

/* ihk-double.conf: explicit, beside mckernel.conf, beside slurm.conf. */
static void test_double_conf(const char *conf_dir)
{
	char text[2 * PATH_MAX], want[PATH_MAX + 64], other[PATH_MAX + 64], explicit[PATH_MAX + 64];

	snprintf(want, sizeof(want), "%s/fromdouble", dt_base);
	snprintf(text, sizeof(text), "# the double's own file\nstate = %s\nbogus line\n", want);
	write_file(conf_dir, "ihk-double.conf", text);
	state_dir_is(want, "ihk-double.conf beside mckernel.conf (a bad line ignored)");
	write_file(conf_dir, "ihk-double.conf", "state = relative/dir\n");
	state_dir_is(MCK_STATEDIR "/ihk-double",
		     "a relative state in ihk-double.conf is refused (the built-in default)");

	snprintf(other, sizeof(other), "%s/slurmetc", dt_base);
	snprintf(text, sizeof(text), "state = %s/beside-slurm\n", dt_base);
	write_file(other, "ihk-double.conf", text);
	unsetenv("SLURM_MCKERNEL_CONF");
	snprintf(text, sizeof(text), "%s/slurm.conf", other);
	setenv("SLURM_CONF", text, 1);
	snprintf(want, sizeof(want), "%s/beside-slurm", dt_base);
	state_dir_is(want, "ihk-double.conf beside $SLURM_CONF (mckernel.conf's own lookup)");

	snprintf(explicit, sizeof(explicit), "%s/explicit.conf", dt_base);
	snprintf(text, sizeof(text), "state = %s/explicit\n", dt_base);
	write_file(dt_base, "explicit.conf", text);
	setenv("IHK_DOUBLE_CONF", explicit, 1);
	snprintf(want, sizeof(want), "%s/explicit", dt_base);
	state_dir_is(want, "$IHK_DOUBLE_CONF wins over the files beside the configuration");
	setenv("IHK_DOUBLE_STATE", other, 1);
	state_dir_is(other, "$IHK_DOUBLE_STATE wins over everything");
	unsetenv("IHK_DOUBLE_STATE");
	unsetenv("IHK_DOUBLE_CONF");
	unsetenv("SLURM_CONF");
}

/* Without the environment, the double's own file names the node; mckernel.conf never does. */
static void test_configuration(void)
{
	char conf[PATH_MAX + 64], text[3 * PATH_MAX], want[PATH_MAX + 64];
	char path[PATH_MAX + 128];
	const char *topo = getenv("IHK_DOUBLE_TOPOLOGY");
	char *saved_topo = topo ? strdup(topo) : NULL;
	int cpu[] = { 5 };

	snprintf(conf, sizeof(conf), "%s/mckernel.conf", dt_base);
	snprintf(want, sizeof(want), "%s/fromconf", dt_base);
	/* the keys mckernel.conf once had for the double: not read any more */
	snprintf(text, sizeof(text), "ihk_double_state = %s\nihk_double_topology = %s\n",
		 want, saved_topo ? saved_topo : "");
	write_file(dt_base, "mckernel.conf", text);
	setenv("SLURM_MCKERNEL_CONF", conf, 1);
	unsetenv("IHK_DOUBLE_STATE");
	unsetenv("IHK_DOUBLE_TOPOLOGY");
	printf("# node from ihk-double.conf\n");
	state_dir_is(MCK_STATEDIR "/ihk-double",
		     "ihk_double_state in mckernel.conf names no node (the built-in default)");
	snprintf(text, sizeof(text), "state = %s\ntopology = %s\n", want, saved_topo ? saved_topo : "");
	write_file(dt_base, "mckernel.conf", "");
	write_file(dt_base, "ihk-double.conf", text);
	state_dir_is(want, "state of ihk-double.conf beside mckernel.conf is used");
	setenv("SLURM_JOB_ID", "4711", 1);
	is_int(I.ihk_reserve_cpu(0, cpu, 1), 0, "reserve a CPU on that node");
	unsetenv("SLURM_JOB_ID");
	snprintf(path, sizeof(path), "%s/ihk.state", want);
	ok(access(path, R_OK) == 0, "its state is there");
	snprintf(path, sizeof(path), "%s/events.log", want);
	ok(dt_file_contains(path, "job=4711 call=reserve_cpu os=- gen=- rc=0"),
	   "events carry the Slurm job id");
	{
		int big[] = { 8 };

		is_int(I.ihk_reserve_cpu(0, big, 1), -EINVAL,
		       "topology of ihk-double.conf is used (CPU 8 absent)");
	}
	test_double_conf(dt_base);
	snprintf(text, sizeof(text), "state = %s/fromdouble2\ntopology = %s\n", dt_base,
		 saved_topo ? saved_topo : "");
	write_file(dt_base, "ihk-double.conf", text);
	setenv("SLURM_MCKERNEL_CONF", conf, 1);
	{
		int big[] = { 8 }, seven[] = { 7 };

		is_int(I.ihk_reserve_cpu(0, big, 1), -EINVAL,
		       "a fresh node of ihk-double.conf: its topology (CPU 8 absent)");
		is_int(I.ihk_reserve_cpu(0, seven, 1), 0, "on the node ihk-double.conf names");
		is_int(I.ihk_release_cpu(0, seven, 1), 0, "released again");
	}
	if (saved_topo)
		setenv("IHK_DOUBLE_TOPOLOGY", saved_topo, 1);
	unsetenv("SLURM_MCKERNEL_CONF");
	free(saved_topo);
}

int main(void)
{
	int rc = dt_setup();

	if (rc == 1) {
		ok(0, "set up the IHK double test");
		return done_testing();
	}
	ok(dlsym(I.handle, "mck_config_load") == NULL && dlsym(I.handle, "ihkd_begin") == NULL,
	   "nothing but ihk_* is exported");
	if (rc == 77) {
		int cpu[] = { 1 };

		printf("# not root: only the unprivileged checks run\n");
		dt_new_node("nonroot");
		is_int(I.ihk_reserve_cpu(0, cpu, 1), -EACCES, "reserve_cpu needs root");
		is_int(I.ihk_create_os(0), -EACCES, "create_os needs root");
		printf("# SKIP: the rest of this test needs root\n");
		done_testing();
		return mck_test_failed ? 1 : 77;
	}
	test_fresh_node();
	test_cpus();
	test_memory();
	test_instance_setup();
	test_load_kargs_boot();
	test_destroy_busy();
	test_latency_and_failures();
	test_faults();
	test_privileges();
	test_concurrency();
	test_configuration();
	dt_cleanup(mck_test_failed);
	return done_testing();
}
