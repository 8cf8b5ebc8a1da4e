/*
 * double-locate.c: which node the IHK double is: its state directory and
 * its hardware. The double's own configuration file, ihk-double.conf,
 * names them for processes that do not inherit IHK_DOUBLE_STATE /
 * IHK_DOUBLE_TOPOLOGY (everything slurmd starts):
 *
 *   $IHK_DOUBLE_CONF, else ihk-double.conf beside mckernel.conf (the
 *   documented mckernel.conf lookup), else beside the library (or the
 *   program) holding this code. Keys: state = DIR, topology = FILE.
 *
 * Environment > ihk-double.conf > defaults (MCK_STATEDIR/ihk-double, the
 * live machine). mckernel.conf names nothing of the double: only its
 * place is used, to find ihk-double.conf beside it.
 */
#include "config.h"
#include <dlfcn.h>
#include <errno.h>
#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "double-internal.h"
#include "mck-config.h"
#include "mck-util.h"

static int copy_path(char *buf, size_t len, const char *src)
{
	if (snprintf(buf, len, "%s", src) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* ------------------------------------------------- ihk-double.conf */

/* What a settings file said, cached per path and modification time. */
struct settings {
	int valid;
	char path[PATH_MAX];
	struct timespec mtime;
	off_t size;
	int found;
	char state[PATH_MAX];
	char topology[PATH_MAX];
};

static int same_file(const struct settings *s, const char *path, int exists,
		     const struct stat *st)
{
	return s->valid && !strcmp(s->path, path) && s->found == exists &&
	       (!exists || (st->st_size == s->size &&
			    st->st_mtim.tv_sec == s->mtime.tv_sec &&
			    st->st_mtim.tv_nsec == s->mtime.tv_nsec));
}

static void remember_file(struct settings *s, const char *path, int exists,
			  const struct stat *st)
{
	copy_path(s->path, sizeof(s->path), path);
	s->found = exists;
	if (exists) {
		s->mtime = st->st_mtim;
		s->size = st->st_size;
	}
	s->valid = 1;
}

/* One "key = value" line of ihk-double.conf. */
static void apply_setting(struct settings *s, const char *path, int lineno, char *line)
{
	char *eq = strchr(line, '='), *key, *value;
	char *dest;

	if (!eq) {
		fprintf(stderr, "ihk-double: %s:%d: expected key = value, ignored\n", path, lineno);
		return;
	}
	*eq = '\0';
	key = mck_trim(line);
	value = mck_trim(eq + 1);
	if (!strcmp(key, "state"))
		dest = s->state;
	else if (!strcmp(key, "topology"))
		dest = s->topology;
	else {
		fprintf(stderr, "ihk-double: %s:%d: unknown key '%s' (state, topology), ignored\n",
			path, lineno, key);
		return;
	}
	if (value[0] != '/' || copy_path(dest, PATH_MAX, value)) {
		fprintf(stderr, "ihk-double: %s:%d: %s = '%s': expected an absolute path, ignored\n",
			path, lineno, key, value);
		dest[0] = '\0';
	}
}

/* Read ihk-double.conf at path into s (cached); 0 when it exists. */
static int read_settings(struct settings *s, const char *path)
{
	struct stat st;
	int exists = stat(path, &st) == 0, lineno = 0;
	char line[PATH_MAX + 64];
	FILE *f;

	if (same_file(s, path, exists, &st))
		return s->found ? 0 : -ENOENT;
	memset(s, 0, sizeof(*s));
	if (exists && (f = fopen(path, "re"))) {
		while (fgets(line, sizeof(line), f)) {
			char *t = mck_trim(line);

			lineno++;
			if (*t && *t != '#')
				apply_setting(s, path, lineno, t);
		}
		fclose(f);
	}
	remember_file(s, path, exists, &st);
	return exists ? 0 : -ENOENT;
}

/* The directory of the library or program holding this code. */
static int own_dir(char *buf, size_t len)
{
	Dl_info info;
	char *slash;

	if (!dladdr((void *)own_dir, &info) || !info.dli_fname ||
	    copy_path(buf, len, info.dli_fname))
		return -ENOENT;
	slash = strrchr(buf, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	return 0;
}

/* The ihk-double.conf in use, or NULL. */
static const struct settings *double_settings(void)
{
	static struct settings explicit_file, beside_conf, beside_lib;
	const char *env = getenv("IHK_DOUBLE_CONF");
	char path[PATH_MAX + 32], dir[PATH_MAX];
	const char *conf, *slash;

	if (env && *env && read_settings(&explicit_file, env) == 0)
		return &explicit_file;
	conf = mck_config_default_path(NULL);
	slash = strrchr(conf, '/');
	if (slash) {
		snprintf(path, sizeof(path), "%.*s/ihk-double.conf", (int)(slash - conf), conf);
		if (read_settings(&beside_conf, path) == 0)
			return &beside_conf;
	}
	if (own_dir(dir, sizeof(dir)) == 0) {
		snprintf(path, sizeof(path), "%s/ihk-double.conf", dir);
		if (read_settings(&beside_lib, path) == 0)
			return &beside_lib;
	}
	return NULL;
}

/* Environment, else ihk-double.conf; -ENOENT when neither names it. */
static int setting(const char *env, int want_state, char *buf, size_t len)
{
	const char *e = getenv(env);
	const struct settings *s;
	const char *v;

	if (e && *e)
		return copy_path(buf, len, e);
	s = double_settings();
	v = s ? (want_state ? s->state : s->topology) : "";
	return *v ? copy_path(buf, len, v) : -ENOENT;
}

int ihkd_state_dir(char *buf, size_t len)
{
	int rc = setting("IHK_DOUBLE_STATE", 1, buf, len);

	if (rc == -ENOENT)
		rc = copy_path(buf, len, MCK_STATEDIR "/ihk-double");
	return rc;
}

/* ------------------------------------------------------------- topology */

int ihkd_node_index(const struct ihkd_topo *t, int numa)
{
	for (int i = 0; i < t->nnodes; i++)
		if (t->nodes[i] == numa)
			return i;
	return -1;
}

int ihkd_cpu_present(const struct ihkd_topo *t, int cpu)
{
	for (int i = 0; i < t->ncpus; i++)
		if (t->cpus[i] == cpu)
			return 1;
	return 0;
}

static int cmp_cpu(const void *a, const void *b)
{
	const int *x = a, *y = b;

	return (x[0] > y[0]) - (x[0] < y[0]);
}

/* Present CPUs with their NUMA node, sorted by CPU number. */
static void read_cpus(hwloc_topology_t topo, struct ihkd_topo *t)
{
	static int pairs[IHKD_MAX_CPUS][2];
	hwloc_obj_t obj = NULL;
	int n = 0;

	while ((obj = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PU, obj))) {
		if (n >= IHKD_MAX_CPUS || obj->os_index >= IHKD_MAX_CPUS)
			continue;
		pairs[n][0] = (int)obj->os_index;
		pairs[n][1] = obj->nodeset ? hwloc_bitmap_first(obj->nodeset) : -1;
		n++;
	}
	qsort(pairs, n, sizeof(pairs[0]), cmp_cpu);
	for (int i = 0; i < n; i++) {
		t->cpus[i] = pairs[i][0];
		t->cpu_node[i] = pairs[i][1];
	}
	t->ncpus = n;
}

static int topo_read(const char *xml, struct ihkd_topo *t)
{
	hwloc_topology_t topo;
	hwloc_obj_t obj = NULL;
	int rc = -EINVAL;

	memset(t, 0, sizeof(*t));
	mck_hwloc_skip_device_plugins();
	if (hwloc_topology_init(&topo))
		return -ENOMEM;
	if (xml && *xml) {
		if (hwloc_topology_set_xml(topo, xml))
			goto fail;
		copy_path(t->source, sizeof(t->source), xml);
	}
	if (hwloc_topology_load(topo))
		goto fail;
	read_cpus(topo, t);
	while ((obj = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, obj))) {
		if (t->nnodes >= IHKD_MAX_NODES)
			break;
		t->nodes[t->nnodes] = (int)obj->os_index;
		t->node_mem[t->nnodes] = obj->attr ? obj->attr->numanode.local_memory : 0;
		t->nnodes++;
	}
	if (t->nnodes == 1 && t->node_mem[0] == 0) {
		/* Some machines report no per-node memory: use the total. */
		long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

		if (pages > 0 && psz > 0)
			t->node_mem[0] = (uint64_t)pages * (uint64_t)psz;
	}
	rc = t->ncpus > 0 ? 0 : -EINVAL;
fail:
	hwloc_topology_destroy(topo);
	return rc;
}

/* The node's hardware, cached for the process per source and mtime. */
int ihkd_topo_get(const char *dir, struct ihkd_topo **out)
{
	static struct ihkd_topo *cache;
	static char cached_src[PATH_MAX + 32] = "\1";
	static struct timespec cached_mtime;
	char src[PATH_MAX + 16];
	struct stat sb;
	int rc;

	if (setting("IHK_DOUBLE_TOPOLOGY", 0, src, sizeof(src))) {
		snprintf(src, sizeof(src), "%s/topology.xml", dir);
		if (access(src, R_OK))
			src[0] = '\0';
	}
	memset(&sb, 0, sizeof(sb));
	if (src[0] && stat(src, &sb))
		return -ENOENT;
	if (cache && !strcmp(cached_src, src) &&
	    sb.st_mtim.tv_sec == cached_mtime.tv_sec &&
	    sb.st_mtim.tv_nsec == cached_mtime.tv_nsec) {
		*out = cache;
		return 0;
	}
	if (!cache && !(cache = malloc(sizeof(*cache))))
		return -ENOMEM;
	rc = topo_read(src, cache);
	if (rc) {
		cached_src[0] = '\1';
		return rc;
	}
	strcpy(cached_src, src);
	cached_mtime = sb.st_mtim;
	*out = cache;
	return 0;
}
