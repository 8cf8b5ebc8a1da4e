/*
 * container.c: the tasks of a --mckernel step that runs in an OCI
 * container (srun --container=BUNDLE, oci.conf). Inside the container,
 * mcexec starts the program on McKernel; the container needs to see
 * mcexec, the instance's device and what mcexec reads at run time, and the
 * program gets the rank's environment. Where Slurm puts the command
 * differs by version (doc/containers.md has the Slurm functions read):
 *
 *   Slurm 22.05: at step start slurmstepd moves the task's command into
 *     the step's spooled config.json (the task's working directory) and
 *     leaves "/bin/sh -c 'echo ...'" as the task's argv; the container is
 *     started after task_init with that file. Here the plugin changes the
 *     spooled file: mcexec words in front of process.args, the rank's
 *     environment into process.env, bind mounts; then it returns and lets
 *     Slurm start the container (no exec of its own).
 *   Slurm 23.11+: slurmstepd writes config.json after task_init, from the
 *     task's argv and environment: spank_prepend_task_argv and
 *     spank_setenv (remote.c) reach it. Only the mounts cannot: they go
 *     to mck-oci-run (oci.conf RunTimeRun) in MCK_OCI_EDIT_VAR.
 *   Slurm 23.02 (containers in the task, no spank_prepend_task_argv):
 *     not supported, refused with a message.
 *
 * The mounts, each at the same path inside as outside: the operator's
 * container_mounts, mcexec's directory, the instance's device file,
 * mckernel.conf (SLURM_MCKERNEL_CONF names it inside), and on 22.05
 * Slurm's PMIx server directory (later Slurm mounts its own).
 */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <slurm/slurm.h>

#include "mck-spank.h"

/*
 * Slurm 22.05's container path: the task's command is Slurm's placeholder
 * and the step's spooled config.json is still ours to rewrite. (A Slurm
 * from 23.02 without spank_prepend_task_argv has neither: refused.)
 */
#if !defined(HAVE_SPANK_PREPEND_TASK_ARGV) && SLURM_VERSION_NUMBER < SLURM_VERSION_NUM(23, 2, 0)
#define MCK_SPOOLED_CONFIG 1
#endif
#ifdef HAVE_JSONC
#include "oci.h"
#include "oci-rootfs.h"
#endif

/* What slurmstepd 22.05 leaves as a container task's argv (container.c). */
static const char *const placeholder[] = { "/bin/sh", "-c", NULL };
#define PLACEHOLDER_TEXT "should never execute with a container"

/*
 * Is argv Slurm 22.05's placeholder? Reads at most argv[0..3], never past
 * the first NULL: argv has 3 entries there while argc still counts the
 * user's words.
 */
int mck_spank_container_placeholder(char *const argv[])
{
	if (!argv)
		return 0;
	for (int i = 0; placeholder[i]; i++)
		if (!argv[i] || strcmp(argv[i], placeholder[i]))
			return 0;
	return argv[2] && strstr(argv[2], PLACEHOLDER_TEXT) && !argv[3];
}

/* The mounts of a container step: for 22.05's config.json or 23.11+'s mck-oci-run. */
#if defined(HAVE_JSONC) && (defined(MCK_SPOOLED_CONFIG) || defined(HAVE_SPANK_PREPEND_TASK_ARGV))
static int push_mount(struct mck_oci_edit *e, const char *src, int ro, const char *why,
		      struct mck_error *err)
{
	struct mck_oci_mount *m = realloc(e->mounts, (e->nmounts + 1) * sizeof(*m));

	if (!m)
		return mck_fail(err, -ENOMEM, "out of memory");
	e->mounts = m;
	m += e->nmounts;
	memset(m, 0, sizeof(*m));
	e->nmounts++;
	m->source = strdup(src);
	m->destination = strdup(src);
	m->why = strdup(why);
	m->readonly = ro;
	return m->source && m->destination && m->why ? 0 : mck_fail(err, -ENOMEM, "out of memory");
}

/* The bind mounts of the step, in the order they are made. */
static int step_mounts(const struct mck_config *cfg, int os, char *const env[], int pmix,
		       struct mck_oci_edit *e, struct mck_error *err)
{
	char path[PATH_MAX], *p;
	size_t pos = 0;
	const char *pmixdir;
	struct stat st;
	int ro, rc;

	while ((rc = mck_config_next_mount(cfg->container_mounts, &pos, &p, &ro)) > 0) {
		rc = push_mount(e, p, ro, "container_mounts of mckernel.conf", err);
		free(p);
		if (rc < 0)
			return rc;
	}
	if (rc < 0)
		return mck_fail(err, rc, "container_mounts of %s is malformed", cfg->path);
	snprintf(path, sizeof(path), "%s", cfg->mcexec);
	p = strrchr(path, '/');
	if (p && p != path)
		*p = '\0';
	if ((rc = push_mount(e, path, 1, "mcexec's directory", err)) < 0)
		return rc;
	snprintf(path, sizeof(path), "%s/mcos%d", cfg->device_dir, os);
	if ((rc = push_mount(e, path, 0, "the McKernel instance's device", err)) < 0)
		return rc;
	if (cfg->path && *cfg->path &&
	    (rc = push_mount(e, cfg->path, 1, "mckernel.conf", err)) < 0)
		return rc;
	/*
	 * The directory holding Slurm's PMIx server directory (SlurmdSpoolDir):
	 * a path the bundle can have once, where the server's own changes
	 * with every step.
	 */
	pmixdir = mck_spank_env_get(env, "PMIX_SERVER_TMPDIR");
	if (!pmix || !pmixdir || pmixdir[0] != '/' || strlen(pmixdir) >= sizeof(path))
		return 0;
	strcpy(path, pmixdir);
	while ((p = strrchr(path, '/')) && p != path && !p[1])
		*p = '\0';		/* trailing slashes */
	p = strrchr(path, '/');
	if (!p || p == path)
		return 0;
	*p = '\0';
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	return push_mount(e, path, 0, "the directory of Slurm's PMIx server", err);
}

#ifdef MCK_SPOOLED_CONFIG
/* Slurm 22.05: rewrite the spooled config.json in the task's working directory. */
static int spooled_config(const struct mck_config *cfg, const struct mck_spank_container *c,
			  struct mck_error *err)
{
	struct mck_oci_edit e = { 0 };
	struct mck_oci *doc = NULL;
	char cwd[PATH_MAX], file[PATH_MAX + 16], conf[PATH_MAX + 32];
	char **env = NULL;
	int n, rc;

	if (!getcwd(cwd, sizeof(cwd)))
		return mck_fail(err, -errno, "getcwd: %s", strerror(errno));
	snprintf(file, sizeof(file), "%s/config.json", cwd);
	if ((rc = mck_oci_load(file, &doc, err)) < 0) {
		mck_error_prefix(err, "the container's spooled configuration: ");
		goto out;
	}
	rc = mck_spank_build_argv_ex(cfg->mcexec, c->words, c->nwords, c->ntasks, c->os, NULL, 0,
				     NULL, &e.prefix, &e.nprefix, err);
	if (rc < 0 || (rc = mck_spank_build_env(c->env, cfg->env, cfg->n_env, c->omp, &env, err)) < 0)
		goto out;
	for (n = 0; env[n]; n++)
		;
	if (cfg->path && *cfg->path) {
		char **grown = realloc(env, (n + 2) * sizeof(*env));

		snprintf(conf, sizeof(conf), "SLURM_MCKERNEL_CONF=%s", cfg->path);
		if (!grown || !(grown[n] = strdup(conf))) {
			env = grown ? grown : env;
			rc = mck_fail(err, -ENOMEM, "out of memory");
			goto out;
		}
		env = grown;
		env[++n] = NULL;
	}
	e.env = env;
	e.nenv = n;
	env = NULL;
	if ((rc = step_mounts(cfg, c->os, c->env, 1, &e, err)) < 0)
		goto out;
	if (!(e.mcexec = strdup(cfg->mcexec))) {
		rc = mck_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = mck_oci_apply(doc, &e, err)) < 0 || (rc = mck_oci_save(doc, err)) < 0)
		goto out;
	rc = 0;
out:
	mck_argv_free(env);
	mck_oci_edit_free(&e);
	mck_oci_free(doc);
	return rc;
}
#endif
#ifdef HAVE_SPANK_PREPEND_TASK_ARGV
/* Slurm 23.11+: the mounts for mck-oci-run, the configuration's name for mcexec. */
static int hand_mounts(spank_t sp, const struct mck_config *cfg,
		       const struct mck_spank_container *c, struct mck_error *err)
{
	struct mck_oci_edit e = { 0 };
	char *text = NULL;
	int rc;

	if ((rc = step_mounts(cfg, c->os, c->env, 0, &e, err)) < 0)
		goto out;
	if (!(e.mcexec = strdup(cfg->mcexec))) {
		rc = mck_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = mck_oci_edit_encode(&e, &text, err)) < 0)
		goto out;
	if (spank_setenv(sp, MCK_OCI_EDIT_VAR, text, 1) != ESPANK_SUCCESS ||
	    (cfg->path && *cfg->path &&
	     spank_setenv(sp, "SLURM_MCKERNEL_CONF", cfg->path, 1) != ESPANK_SUCCESS)) {
		rc = mck_fail(err, -EINVAL, "cannot set %s in the task's environment",
			      MCK_OCI_EDIT_VAR);
		goto out;
	}
	rc = 1;
out:
	free(text);
	mck_oci_edit_free(&e);
	return rc;
}
#endif
#endif

int mck_spank_container_task(spank_t sp, const struct mck_config *cfg,
			     const struct mck_spank_container *c, struct mck_error *err)
{
	const char *bundle = mck_spank_env_get(c->env, "SLURM_CONTAINER");
	int spooled = mck_spank_container_placeholder(c->argv);

	(void)sp;
	if (!spooled && !(bundle && *bundle))
		return 1;
#ifndef HAVE_JSONC
	return mck_fail(err, -ENOTSUP, "--mckernel with --container: spank_mckernel was built "
			"without json-c, which it needs to set up the container; rebuild it "
			"with libjson-c-dev installed");
#else
#ifdef HAVE_SPANK_PREPEND_TASK_ARGV
	if (spooled)
		return mck_fail(err, -ENOTSUP, "--mckernel with --container: this Slurm left a "
				"placeholder command in the task, which spank_mckernel knows only from "
				"Slurm 22.05; it was built for a Slurm with spank_prepend_task_argv");
	/*
	 * mcexec -n N shares McKernel's CPUs among the N processes of a node
	 * with the same parent; in a container step each task has its own
	 * container, so its own parent (the runtime).
	 */
	if (c->ntasks > 1)
		return mck_fail(err, -ENOTSUP, "--mckernel with --container runs one task per node, "
				"not %lu: mcexec -n N shares McKernel's CPUs among the N processes of "
				"a node that have the same parent, and each task's container gives "
				"its mcexec a parent of its own; use --ntasks-per-node=1 (threads "
				"inside the rank)", (unsigned long)c->ntasks);
	return hand_mounts(sp, cfg, c, err);
#elif SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(23, 2, 0)
	return mck_fail(err, -ENOTSUP, "--mckernel with --container needs Slurm 22.05 or 23.11 "
			"and later: this Slurm starts the container from the task's command after "
			"task_init but has no spank_prepend_task_argv to put mcexec in front of it");
#else
	/* Slurm 22.05 without oci.conf on this node runs the task without a container. */
	return spooled ? spooled_config(cfg, c, err) : 1;
#endif
#endif
}
