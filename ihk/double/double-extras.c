/*
 * double-extras.c: the functions of ihk-double.h, for the mcexec double,
 * ihk-double-ctl and tests: looking at the node without the real
 * module's fatal rules, injecting failures, resetting the node.
 */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "double-internal.h"
#include "ihk-double.h"
#include "mck-util.h"

int ihk_double_state_dir(char *buf, size_t len)
{
	return ihkd_state_dir(buf, len);
}

int ihk_double_os_generation(int os)
{
	struct ihkd_ctx c;
	int rc = ihkd_begin(&c, __func__, 0);

	if (rc)
		return rc;
	rc = ihkd_get_os(&c, os) ? (int)c.st->os[os].gen : -ENOENT;
	return ihkd_end(&c, 0, rc);
}

int ihk_double_os_peek(int os, struct ihk_double_peek *p)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = ihkd_begin(&c, __func__, 0);

	if (rc)
		return rc;
	if (c.st->crashed[0])
		return ihkd_end(&c, 0, IHKD_CRASHED_ERR);
	if (!(o = ihkd_get_os(&c, os)))
		return ihkd_end(&c, 0, -ENOENT);
	p->gen = o->gen;
	p->phase = (int)o->phase;
	p->status = ihkd_status(o, ihkd_now_ms());
	p->poisoned = o->poisoned;
	return ihkd_end(&c, 0, 0);
}

int ihk_double_crashed(char *why, size_t len)
{
	struct ihkd_ctx c;
	int rc = ihkd_begin(&c, __func__, 0);

	if (rc)
		return rc;
	if (why && len)
		snprintf(why, len, "%s", c.st->crashed);
	return ihkd_end(&c, 0, c.st->crashed[0] != '\0');
}

int ihk_double_os_inject(int os, const char *what)
{
	struct ihkd_ctx c;
	struct ihkd_os *o;
	int rc = ihkd_start_os(&c, __func__, os, &o);

	if (rc)
		return ihkd_failed_start(&c, os, rc);
	if (o->phase != IHKD_BOOTED || !what)
		return ihkd_finish(&c, os, -EINVAL);
	if (!strcmp(what, "panic"))
		o->panic_ms = ihkd_now_ms();
	else if (!strcmp(what, "hang"))
		o->hang_ms = ihkd_now_ms();
	else
		return ihkd_finish(&c, os, -EINVAL);
	return ihkd_finish(&c, os, 0);
}

/*
 * The CPUs Linux still has, as on a real node where CPUs IHK holds are
 * offline: present CPUs (the double's topology) that are Linux's, sorted.
 */
int ihk_double_online_cpus(int *cpus, int max)
{
	struct ihkd_ctx c;
	int n = 0, rc = ihkd_begin(&c, __func__, 0);

	if (rc)
		return rc;
	for (int i = 0; i < c.topo->ncpus; i++) {
		int cpu = c.topo->cpus[i];

		if (cpu < 0 || cpu >= IHKD_MAX_CPUS || c.st->cpu_owner[cpu] != IHKD_LINUX)
			continue;
		if (n < max && cpus)
			cpus[n] = cpu;
		n++;
	}
	return ihkd_end(&c, 0, n);
}

int ihk_double_mcexec_conf(struct ihk_double_mcexec_conf *out)
{
	char dir[PATH_MAX];
	struct ihkd_conf conf;
	int rc = ihkd_state_dir(dir, sizeof(dir));

	if (rc)
		return rc;
	ihkd_conf_load(dir, &conf);
	out->startup_ms = ihkd_latency(&conf, IHKD_LAT_MCEXEC);
	out->uti = conf.uti;
	return 0;
}

/* Everything a reboot clears, under the exclusive lock. */
static void clear_node(const char *dir)
{
	static const char *const gone[] = { "ihk.state", "dmesg", "sys", "mcexec", "dev" };
	char path[PATH_MAX + 32];

	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, gone[i]);
		ihkd_remove_tree(path);
	}
	for (int os = 0; os < IHK_MAX_NUM_OS; os++) {
		ihkd_kmsg_path(dir, os, path, sizeof(path));
		unlink(path);
	}
}

/* Make the node (init), or clear it first as a reboot does (reset). */
static int make_node(const char *call, int reboot)
{
	struct ihkd_ctx c;
	int rc;

	if (geteuid() != 0)
		return -EACCES;
	if ((rc = ihkd_begin(&c, call, 1)))
		return rc;
	if (!reboot)
		return ihkd_end(&c, 1, 0);
	clear_node(c.dir);
	ihkd_state_init(c.st);
	rc = ihkd_init_node(c.dir, &c.conf);
	if (rc == 0)
		ihkd_dmesg(c.dir, "ihk-double: node reset (as after a reboot)");
	return ihkd_finish(&c, -1, rc);
}

int ihk_double_init(void)
{
	return make_node("ihk_double_init", 0);
}

int ihk_double_reset(void)
{
	return make_node("ihk_double_reset", 1);
}
