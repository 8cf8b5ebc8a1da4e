/*
 * topo.c: loading a node's hwloc topology, from XML, a synthetic
 * description, the live machine, or the node-side XML cache.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mck-plan.h"
#include "mck-util.h"

#define FINGERPRINT_SUFFIX ".fingerprint"

static int topo_init(hwloc_topology_t *topo, struct mck_error *err)
{
	mck_hwloc_skip_device_plugins();
	if (hwloc_topology_init(topo) < 0)
		return mck_fail(err, -ENOMEM, "hwloc: cannot initialise a topology: %s",
				strerror(errno));
	/* Keep CPUs outside the allowed set so the planner can refuse them. */
	hwloc_topology_set_flags(*topo, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
	return 0;
}

int mck_topo_load(const char *xml_path, const char *synthetic,
		  hwloc_topology_t *topo, struct mck_error *err)
{
	hwloc_topology_t t = NULL;
	int rc;

	if (xml_path && synthetic)
		return mck_fail(err, -EINVAL,
				"give either a topology XML file or a synthetic description, not both");
	rc = topo_init(&t, err);
	if (rc)
		return rc;
	rc = -EINVAL;
	if (xml_path) {
		if (access(xml_path, R_OK) < 0) {
			rc = -errno;
			mck_fail(err, rc, "topology file %s: %s", xml_path, strerror(errno));
			goto fail;
		}
		if (hwloc_topology_set_xml(t, xml_path) < 0) {
			mck_fail(err, rc, "topology file %s: not an hwloc XML topology", xml_path);
			goto fail;
		}
	} else if (synthetic) {
		if (hwloc_topology_set_synthetic(t, synthetic) < 0) {
			mck_fail(err, rc,
				 "synthetic topology \"%s\": hwloc cannot parse it (expected e.g. \"pack:2 numa:2 core:8 pu:2\")",
				 synthetic);
			goto fail;
		}
	}
	if (hwloc_topology_load(t) < 0) {
		mck_fail(err, rc, "hwloc: cannot load the %s topology%s%s: %s",
			 xml_path ? "XML" : synthetic ? "synthetic" : "live",
			 xml_path ? " " : "", xml_path ? xml_path : "", strerror(errno));
		goto fail;
	}
	*topo = t;
	return 0;
fail:
	hwloc_topology_destroy(t);
	return rc;
}

/* Append one sysfs file's first line (or "-" when missing) to the fingerprint. */
static int fingerprint_add(char *buf, size_t len, const char *sysfs_root,
			   const char *rel)
{
	char path[4096], line[256] = "-";
	FILE *f;
	size_t used = strlen(buf);

	snprintf(path, sizeof(path), "%s/%s", sysfs_root, rel);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(line, sizeof(line), f))
			strcpy(line, "-");
		fclose(f);
	}
	line[strcspn(line, "\n")] = '\0';
	if (snprintf(buf + used, len - used, "%s=%s\n", rel, line) >= (int)(len - used))
		return -1;
	return 0;
}

static int fingerprint_compute(const char *sysfs_root, char *buf, size_t len)
{
	static const char *const files[] = {
		"devices/system/cpu/present",
		"devices/system/cpu/possible",
		"devices/system/node/possible",
	};
	unsigned v = hwloc_get_api_version();

	snprintf(buf, len, "hwloc=%u.%u.%u\n", v >> 16, (v >> 8) & 0xff, v & 0xff);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (fingerprint_add(buf, len, sysfs_root, files[i]) < 0)
			return -1;
	return 0;
}

static int cache_matches(const char *cache_xml, const char *fp_path, const char *fp)
{
	struct mck_error ignored = { 0 };
	char *stored = NULL;
	size_t len = 0;
	int same;

	if (access(cache_xml, R_OK) < 0)
		return 0;
	if (mck_read_file(fp_path, &stored, &len, &ignored) < 0)
		return 0;
	same = !strcmp(stored, fp);
	free(stored);
	return same;
}

static int cache_write(hwloc_topology_t t, const char *cache_xml, const char *fp_path,
		       const char *fp, struct mck_error *err)
{
	char *xml = NULL;
	int xml_len = 0, rc;

	if (hwloc_topology_export_xmlbuffer(t, &xml, &xml_len, 0) < 0)
		return mck_fail(err, -EIO, "hwloc: cannot export the topology as XML for %s",
				cache_xml);
	/* xml_len counts the final NUL. */
	rc = mck_write_file_atomic(cache_xml, xml, xml_len > 0 ? (size_t)xml_len - 1 : 0,
				   0644, err);
	hwloc_free_xmlbuffer(t, xml);
	if (rc)
		return rc;
	/* Fingerprint last: a crash in between leaves a cache that is refreshed. */
	return mck_write_file_atomic(fp_path, fp, strlen(fp), 0644, err);
}

int mck_topo_load_cached_at(const char *cache_xml, const char *sysfs_root,
			    hwloc_topology_t *topo, int *from_cache,
			    struct mck_error *err)
{
	char fp[2048], fp_path[4096];
	hwloc_topology_t t = NULL;
	int rc;

	if (from_cache)
		*from_cache = 0;
	if (!cache_xml || !*cache_xml)
		return mck_topo_load(NULL, NULL, topo, err);
	if ((size_t)snprintf(fp_path, sizeof(fp_path), "%s%s", cache_xml,
			     FINGERPRINT_SUFFIX) >= sizeof(fp_path))
		return mck_fail(err, -ENAMETOOLONG, "topology cache path too long: %s", cache_xml);
	if (fingerprint_compute(sysfs_root, fp, sizeof(fp)) < 0)
		return mck_fail(err, -EOVERFLOW, "hardware fingerprint under %s too long",
				sysfs_root);

	if (cache_matches(cache_xml, fp_path, fp)) {
		struct mck_error cache_err = { 0 };

		if (mck_topo_load(cache_xml, NULL, topo, &cache_err) == 0) {
			if (from_cache)
				*from_cache = 1;
			return 0;
		}
		/* A damaged cache is rediscovered and rewritten below. */
	}
	rc = mck_topo_load(NULL, NULL, &t, err);
	if (rc)
		return rc;
	rc = cache_write(t, cache_xml, fp_path, fp, err);
	if (rc) {
		mck_error_prefix(err, "topology cache: ");
		hwloc_topology_destroy(t);
		return rc;
	}
	*topo = t;
	return 0;
}

int mck_topo_load_cached(const char *cache_xml, hwloc_topology_t *topo,
			 struct mck_error *err)
{
	return mck_topo_load_cached_at(cache_xml, "/sys", topo, NULL, err);
}
