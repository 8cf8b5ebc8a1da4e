/*
 * oci.c: load, change and write an OCI bundle's config.json (json-c),
 * see oci.h. The document keeps every member it does not change, in
 * order; only process.args, process.env and mounts are replaced, each
 * built completely before the old one goes, so that a failure leaves
 * the document as it was.
 */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "mck-options.h"
#include "mck-util.h"
#include "oci.h"
#include "oci-rootfs.h"

struct mck_oci {
	json_object *root;
	char *path;		/* file it was read from, or the name given to parse */
	char *dir;		/* its directory (relative root.path is against it) */
};

static int oom(struct mck_error *err)
{
	return mck_fail(err, -ENOMEM, "out of memory");
}

/* member of an object, or NULL when absent or obj is not an object */
static json_object *member(json_object *obj, const char *key)
{
	json_object *v = NULL;

	if (!obj || !json_object_is_type(obj, json_type_object))
		return NULL;
	return json_object_object_get_ex(obj, key, &v) ? v : NULL;
}

/* Every element of a list is a string. */
static int all_strings(json_object *list)
{
	size_t n = json_object_array_length(list);

	for (size_t i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(list, i), json_type_string))
			return 0;
	return 1;
}

/* The shape the rest of this file relies on. */
static int check_shape(const struct mck_oci *doc, struct mck_error *err)
{
	json_object *proc = member(doc->root, "process"), *v;

	if (!json_object_is_type(doc->root, json_type_object))
		return mck_fail(err, -EINVAL, "%s: not an OCI runtime configuration "
				"(the top level is not a JSON object)", doc->path);
	if (!json_object_is_type(proc, json_type_object))
		return mck_fail(err, -EINVAL, "%s: no \"process\" object", doc->path);
	v = member(proc, "args");
	if (!json_object_is_type(v, json_type_array) || !all_strings(v))
		return mck_fail(err, -EINVAL, "%s: process.args is not a list of strings", doc->path);
	v = member(proc, "env");
	if (v && (!json_object_is_type(v, json_type_array) || !all_strings(v)))
		return mck_fail(err, -EINVAL, "%s: process.env is not a list of strings", doc->path);
	v = member(doc->root, "mounts");
	if (v && !json_object_is_type(v, json_type_array))
		return mck_fail(err, -EINVAL, "%s: mounts is not a list", doc->path);
	v = member(member(doc->root, "root"), "path");
	if (!json_object_is_type(v, json_type_string) || !*json_object_get_string(v))
		return mck_fail(err, -EINVAL, "%s: no root.path (the container's root filesystem)",
				doc->path);
	return 0;
}

static int set_names(struct mck_oci *doc, const char *name, struct mck_error *err)
{
	const char *slash = strrchr(name, '/');

	doc->path = strdup(name);
	if (slash)
		doc->dir = strndup(name, slash == name ? 1 : (size_t)(slash - name));
	else
		doc->dir = strdup(".");
	return doc->path && doc->dir ? 0 : oom(err);
}

int mck_oci_parse(const char *text, size_t len, const char *name, struct mck_oci **out,
		  struct mck_error *err)
{
	struct mck_oci *doc = NULL;
	json_tokener *tok = NULL;
	enum json_tokener_error jerr;
	size_t end;
	int rc = -1;

	*out = NULL;
	if (len > MCK_OCI_MAX_CONFIG)
		return mck_fail(err, -EFBIG, "%s: larger than %d bytes", name, MCK_OCI_MAX_CONFIG);
	doc = calloc(1, sizeof(*doc));
	tok = json_tokener_new_ex(64);
	if (!doc || !tok || set_names(doc, name, err) < 0) {
		rc = oom(err);
		goto fail;
	}
	doc->root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!doc->root || jerr != json_tokener_success) {
		rc = mck_fail(err, -EINVAL, "%s: not valid JSON at byte %zu: %s", name,
			      json_tokener_get_parse_end(tok),
			      jerr == json_tokener_continue ? "unexpected end of file"
							    : json_tokener_error_desc(jerr));
		goto fail;
	}
	for (end = json_tokener_get_parse_end(tok); end < len; end++)
		if (!strchr(" \t\r\n", text[end])) {
			rc = mck_fail(err, -EINVAL, "%s: text after the JSON document at byte %zu",
				      name, end);
			goto fail;
		}
	if ((rc = check_shape(doc, err)) < 0)
		goto fail;
	json_tokener_free(tok);
	*out = doc;
	return 0;
fail:
	if (tok)
		json_tokener_free(tok);
	mck_oci_free(doc);
	return rc;
}

int mck_oci_load(const char *path, struct mck_oci **out, struct mck_error *err)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (lstat(path, &st) < 0)
		return mck_fail(err, -errno, "cannot read %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return mck_fail(err, -EINVAL, "%s is not a regular file", path);
	if (st.st_size > MCK_OCI_MAX_CONFIG)
		return mck_fail(err, -EFBIG, "%s: larger than %d bytes", path, MCK_OCI_MAX_CONFIG);
	if ((rc = mck_read_file(path, &text, &len, err)) < 0)
		return rc;
	rc = mck_oci_parse(text, len, path, out, err);
	free(text);
	return rc;
}

void mck_oci_free(struct mck_oci *doc)
{
	if (!doc)
		return;
	if (doc->root)
		json_object_put(doc->root);
	free(doc->path);
	free(doc->dir);
	free(doc);
}

int mck_oci_rootfs(const struct mck_oci *doc, char **out, struct mck_error *err)
{
	const char *p = json_object_get_string(member(member(doc->root, "root"), "path"));
	size_t n;

	*out = NULL;
	if (p[0] == '/') {
		*out = strdup(p);
	} else {
		n = strlen(doc->dir) + strlen(p) + 2;
		*out = malloc(n);
		if (*out)
			snprintf(*out, n, "%s/%s", doc->dir, p);
	}
	return *out ? 0 : oom(err);
}

static json_object *process_of(const struct mck_oci *doc)
{
	return member(doc->root, "process");
}

static json_object *proc_list(const struct mck_oci *doc, const char *key)
{
	return member(process_of(doc), key);
}

int mck_oci_args(const struct mck_oci *doc, char ***out, int *outc, struct mck_error *err)
{
	json_object *args = proc_list(doc, "args");
	size_t n = json_object_array_length(args);
	char **v = calloc(n + 1, sizeof(*v));

	*out = NULL;
	*outc = 0;
	if (!v)
		return oom(err);
	for (size_t i = 0; i < n; i++) {
		v[i] = strdup(json_object_get_string(json_object_array_get_idx(args, i)));
		if (!v[i]) {
			mck_argv_free(v);
			return oom(err);
		}
	}
	*out = v;
	*outc = (int)n;
	return 0;
}

/* Index of NAME=... in a list of strings, or -1. */
static int env_index(json_object *env, const char *name, size_t nlen)
{
	size_t n = env ? json_object_array_length(env) : 0;

	for (size_t i = 0; i < n; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(env, i));

		if (!strncmp(s, name, nlen) && s[nlen] == '=')
			return (int)i;
	}
	return -1;
}

const char *mck_oci_getenv(const struct mck_oci *doc, const char *name)
{
	json_object *env = proc_list(doc, "env");
	size_t nlen = strlen(name);
	int i = env_index(env, name, nlen);

	return i < 0 ? NULL : json_object_get_string(json_object_array_get_idx(env, i)) + nlen + 1;
}

int mck_oci_unsetenv(struct mck_oci *doc, const char *name)
{
	json_object *env = proc_list(doc, "env");
	int i = env_index(env, name, strlen(name)), found = 0;

	while (i >= 0) {
		json_object_array_del_idx(env, i, 1);
		found = 1;
		i = env_index(env, name, strlen(name));
	}
	return found;
}

/* Append a new string to list; -ENOMEM. */
static int add_string(json_object *list, const char *s)
{
	json_object *v = json_object_new_string(s);

	if (!v || json_object_array_add(list, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* Append a reference to an existing value. */
static int add_ref(json_object *list, json_object *v)
{
	if (json_object_array_add(list, json_object_get(v)) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* prefix words, then the old args */
static json_object *new_args(const struct mck_oci *doc, const struct mck_oci_edit *e)
{
	json_object *old = proc_list(doc, "args"), *args = json_object_new_array();
	size_t n = json_object_array_length(old);

	if (!args)
		return NULL;
	for (int i = 0; i < e->nprefix; i++)
		if (add_string(args, e->prefix[i]) < 0)
			goto fail;
	for (size_t i = 0; i < n; i++)
		if (add_ref(args, json_object_array_get_idx(old, i)) < 0)
			goto fail;
	return args;
fail:
	json_object_put(args);
	return NULL;
}

/* the old env with each of e->env replacing its NAME or appended */
static json_object *new_env(const struct mck_oci *doc, const struct mck_oci_edit *e)
{
	json_object *old = proc_list(doc, "env"), *env = json_object_new_array();
	size_t n = old ? json_object_array_length(old) : 0;

	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (add_ref(env, json_object_array_get_idx(old, i)) < 0)
			goto fail;
	for (int i = 0; i < e->nenv; i++) {
		const char *eq = strchr(e->env[i], '=');
		int at = eq ? env_index(env, e->env[i], (size_t)(eq - e->env[i])) : -1;

		if (!eq)
			continue;
		if (at >= 0) {
			json_object *v = json_object_new_string(e->env[i]);

			if (!v || json_object_array_put_idx(env, at, v) < 0) {
				json_object_put(v);
				goto fail;
			}
		} else if (add_string(env, e->env[i]) < 0) {
			goto fail;
		}
	}
	return env;
fail:
	json_object_put(env);
	return NULL;
}

/* {"destination", "type": "none", "source", "options": ["bind"(, "ro")]} */
static json_object *mount_object(const struct mck_oci_mount *m)
{
	json_object *o = json_object_new_object(), *opts = json_object_new_array();

	if (!o || !opts)
		goto fail;
	if (json_object_object_add(o, "destination", json_object_new_string(m->destination)) ||
	    json_object_object_add(o, "type", json_object_new_string("none")) ||
	    json_object_object_add(o, "source", json_object_new_string(m->source)) ||
	    add_string(opts, "bind") < 0 || (m->readonly && add_string(opts, "ro") < 0) ||
	    json_object_object_add(o, "options", opts))
		goto fail;
	return o;
fail:
	json_object_put(opts);
	json_object_put(o);
	return NULL;
}

static json_object *new_mounts(const struct mck_oci *doc, const struct mck_oci_edit *e)
{
	json_object *old = member(doc->root, "mounts"), *mounts = json_object_new_array();
	size_t n = old ? json_object_array_length(old) : 0;

	if (!mounts)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (add_ref(mounts, json_object_array_get_idx(old, i)) < 0)
			goto fail;
	for (int i = 0; i < e->nmounts; i++) {
		json_object *m = mount_object(&e->mounts[i]);

		if (!m || json_object_array_add(mounts, m) < 0) {
			json_object_put(m);
			goto fail;
		}
	}
	return mounts;
fail:
	json_object_put(mounts);
	return NULL;
}

/* The mounts already in the document, for the rootfs checks. */
static int doc_mounts(const struct mck_oci *doc, struct mck_rootfs_mount **out, int *n,
		      struct mck_error *err)
{
	json_object *list = member(doc->root, "mounts");
	size_t len = list ? json_object_array_length(list) : 0;

	*out = calloc(len + 1, sizeof(**out));
	*n = 0;
	if (!*out)
		return oom(err);
	for (size_t i = 0; i < len; i++) {
		json_object *m = json_object_array_get_idx(list, i), *opts = member(m, "options");
		const char *type = json_object_get_string(member(m, "type"));
		struct mck_rootfs_mount *r = &(*out)[*n];
		size_t nopt = json_object_is_type(opts, json_type_array) ?
			      json_object_array_length(opts) : 0;

		r->destination = json_object_get_string(member(m, "destination"));
		r->source = json_object_get_string(member(m, "source"));
		if (!r->destination || r->destination[0] != '/')
			continue;	/* runc refuses these itself */
		r->bind = type && !strcmp(type, "bind");
		for (size_t j = 0; j < nopt; j++) {
			const char *o = json_object_get_string(json_object_array_get_idx(opts, j));

			if (o && (!strcmp(o, "bind") || !strcmp(o, "rbind")))
				r->bind = 1;
		}
		(*n)++;
	}
	return 0;
}

/* Is the edit possible in this bundle (mount points, mcexec's needs)? */
static int check_rootfs(const struct mck_oci *doc, const struct mck_oci_edit *e,
			json_object *env, struct mck_error *err)
{
	struct mck_rootfs_mount *have = NULL, *all = NULL;
	struct mck_rootfs_view view = { 0 };
	char *rootfs = NULL;
	const char *ldpath = NULL, *path = NULL;
	int nhave = 0, rc;

	if ((rc = mck_oci_rootfs(doc, &rootfs, err)) < 0)
		return rc;
	if ((rc = doc_mounts(doc, &have, &nhave, err)) < 0)
		goto out;
	all = calloc(nhave + e->nmounts + 1, sizeof(*all));
	if (!all) {
		rc = oom(err);
		goto out;
	}
	memcpy(all, have, nhave * sizeof(*all));
	for (int i = 0; i < e->nmounts; i++) {
		all[nhave + i].source = e->mounts[i].source;
		all[nhave + i].destination = e->mounts[i].destination;
		all[nhave + i].bind = 1;
	}
	view.rootfs = rootfs;
	view.mounts = all;
	for (int i = 0; i < e->nmounts; i++) {
		view.nmounts = nhave + i;	/* the mounts made before this one */
		if ((rc = mck_rootfs_check_mount(&view, &e->mounts[i], err)) < 0)
			goto out;
	}
	view.nmounts = nhave + e->nmounts;
	if (env) {
		int i = env_index(env, "LD_LIBRARY_PATH", 15);

		if (i >= 0)
			ldpath = json_object_get_string(json_object_array_get_idx(env, i)) + 16;
		i = env_index(env, "PATH", 4);
		if (i >= 0)
			path = json_object_get_string(json_object_array_get_idx(env, i)) + 5;
	}
	if (e->mcexec && (rc = mck_rootfs_check_program(&view, e->mcexec, ldpath, err)) == 0)
		rc = mck_rootfs_check_tool(&view, "objdump", "binutils", path, "mcexec", err);
out:
	free(have);
	free(all);
	free(rootfs);
	return rc;
}

/*
 * A rank that reaches Slurm's PMIx server (PMIX_SERVER_URI* in its
 * environment) is authenticated by the uid it reports, its uid inside the
 * container: one that is not the job's is refused, and Slurm 22.05's PMIx
 * server then hangs at the step's end. Refused here, before it starts.
 */
static int check_pmix_uid(const struct mck_oci *doc, json_object *env, struct mck_error *err)
{
	json_object *uid = member(member(process_of(doc), "user"), "uid");
	size_t n = json_object_array_length(env);
	long inside = uid ? (long)json_object_get_int64(uid) : 0;
	int pmix = 0;

	for (size_t i = 0; i < n && !pmix; i++)
		pmix = !strncmp(json_object_get_string(json_object_array_get_idx(env, i)),
				"PMIX_SERVER_URI", 15);
	if (!pmix || inside == (long)getuid())
		return 0;
	return mck_fail(err, -EPERM, "an MPI step (--mpi=pmix) cannot run in this container: the "
			"bundle runs the program as uid %ld, and PMIx refuses a rank whose uid is not "
			"the job's (%ld); run MPI steps without --container, or with a runtime and "
			"bundle that keep the job's uid inside (process.user.uid %ld)", inside,
			(long)getuid(), (long)getuid());
}

int mck_oci_apply(struct mck_oci *doc, const struct mck_oci_edit *e, struct mck_error *err)
{
	json_object *proc = member(doc->root, "process");
	json_object *args = NULL, *env = NULL, *mounts = NULL;
	int rc = -1;

	if (!(args = new_args(doc, e)) || !(env = new_env(doc, e)) ||
	    !(mounts = new_mounts(doc, e))) {
		rc = oom(err);
		goto fail;
	}
	if ((rc = check_pmix_uid(doc, env, err)) < 0 || (rc = check_rootfs(doc, e, env, err)) < 0)
		goto fail;
	/* json_object_object_add only fails for lack of memory for a new key. */
	if (json_object_object_add(proc, "args", args) < 0) {
		rc = oom(err);
		goto fail;
	}
	args = NULL;
	if (json_object_object_add(proc, "env", env) < 0) {
		rc = oom(err);
		goto fail;
	}
	env = NULL;
	if (json_object_object_add(doc->root, "mounts", mounts) < 0) {
		rc = oom(err);
		goto fail;
	}
	return 0;
fail:
	json_object_put(args);
	json_object_put(env);
	json_object_put(mounts);
	return rc;
}

int mck_oci_dump(const struct mck_oci *doc, char **out, struct mck_error *err)
{
	const char *s = json_object_to_json_string_ext(doc->root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						      JSON_C_TO_STRING_NOSLASHESCAPE);

	*out = s ? malloc(strlen(s) + 2) : NULL;
	if (!*out)
		return oom(err);
	snprintf(*out, strlen(s) + 2, "%s\n", s);
	return 0;
}

int mck_oci_save(const struct mck_oci *doc, struct mck_error *err)
{
	char *text = NULL;
	int rc;

	if ((rc = mck_oci_dump(doc, &text, err)) < 0)
		return rc;
	/* Readable by the job's group like the file Slurm wrote; the user's own. */
	rc = mck_write_file_atomic(doc->path, text, strlen(text), 0640, err);
	free(text);
	return rc;
}

/* ---- the edit as JSON (Slurm 23.11+: plugin -> mck-oci-run) */

int mck_oci_edit_encode(const struct mck_oci_edit *e, char **out, struct mck_error *err)
{
	json_object *o = json_object_new_object(), *list = json_object_new_array();
	const char *s;
	int rc = -ENOMEM;

	*out = NULL;
	if (!o || !list)
		goto out;
	for (int i = 0; i < e->nmounts; i++) {
		json_object *m = json_object_new_object();

		if (!m || json_object_array_add(list, m) < 0) {
			json_object_put(m);
			goto out;
		}
		if (json_object_object_add(m, "source", json_object_new_string(e->mounts[i].source)) ||
		    json_object_object_add(m, "destination",
					   json_object_new_string(e->mounts[i].destination)) ||
		    json_object_object_add(m, "readonly",
					   json_object_new_boolean(e->mounts[i].readonly)) ||
		    (e->mounts[i].why &&
		     json_object_object_add(m, "why", json_object_new_string(e->mounts[i].why))))
			goto out;
	}
	if (json_object_object_add(o, "mounts", list))
		goto out;
	list = NULL;
	if (e->mcexec && json_object_object_add(o, "mcexec", json_object_new_string(e->mcexec)))
		goto out;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s && (*out = strdup(s)))
		rc = 0;
out:
	json_object_put(list);
	json_object_put(o);
	return rc < 0 ? oom(err) : 0;
}

static int decode_mount(json_object *m, struct mck_oci_mount *out, struct mck_error *err)
{
	json_object *src = member(m, "source"), *dst = member(m, "destination");
	json_object *ro = member(m, "readonly"), *why = member(m, "why");

	if (!json_object_is_type(src, json_type_string) ||
	    !json_object_is_type(dst, json_type_string) ||
	    (ro && !json_object_is_type(ro, json_type_boolean)))
		return mck_fail(err, -EINVAL, "%s: a mount lacks source, destination or readonly",
				MCK_OCI_EDIT_VAR);
	out->source = strdup(json_object_get_string(src));
	out->destination = strdup(json_object_get_string(dst));
	out->readonly = ro ? json_object_get_boolean(ro) : 0;
	if (!out->source || !out->destination)
		return oom(err);
	if (json_object_is_type(why, json_type_string) &&
	    !(out->why = strdup(json_object_get_string(why))))
		return oom(err);
	if (out->source[0] != '/' || out->destination[0] != '/')
		return mck_fail(err, -EINVAL, "%s: mount paths must be absolute", MCK_OCI_EDIT_VAR);
	return 0;
}

int mck_oci_edit_decode(const char *text, struct mck_oci_edit *e, struct mck_error *err)
{
	json_object *o = json_tokener_parse(text), *list = member(o, "mounts");
	json_object *mcexec = member(o, "mcexec");
	size_t n;
	int rc = 0;

	memset(e, 0, sizeof(*e));
	if (!json_object_is_type(list, json_type_array)) {
		rc = mck_fail(err, -EINVAL, "%s is not what spank_mckernel wrote "
			      "(no list of mounts)", MCK_OCI_EDIT_VAR);
		goto out;
	}
	n = json_object_array_length(list);
	e->mounts = calloc(n + 1, sizeof(*e->mounts));
	if (!e->mounts) {
		rc = oom(err);
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++, e->nmounts++)
		rc = decode_mount(json_object_array_get_idx(list, i), &e->mounts[i], err);
	if (rc == 0 && mcexec) {
		if (!json_object_is_type(mcexec, json_type_string))
			rc = mck_fail(err, -EINVAL, "%s: mcexec is not a string", MCK_OCI_EDIT_VAR);
		else if (!(e->mcexec = strdup(json_object_get_string(mcexec))))
			rc = oom(err);
	}
out:
	json_object_put(o);
	if (rc < 0)
		mck_oci_edit_free(e);
	return rc;
}

void mck_oci_edit_free(struct mck_oci_edit *e)
{
	for (int i = 0; e->mounts && i < e->nmounts; i++) {
		free(e->mounts[i].source);
		free(e->mounts[i].destination);
		free(e->mounts[i].why);
	}
	free(e->mounts);
	mck_argv_free(e->prefix);
	mck_argv_free(e->env);
	free(e->mcexec);
	memset(e, 0, sizeof(*e));
}
