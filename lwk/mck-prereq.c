/* mck-prereq.c: the node prerequisites and the mckctl commands; see mck-prereq.h. */
#include "config.h"
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mck-ihk.h"
#include "mck-prereq.h"
#include "mck-util.h"

/* The architecture's IHK SMP module as /proc/modules names it ('-' reads '_'). */
#if defined(__x86_64__)
#define MCK_IHK_SMP_MODULE "ihk_smp_x86_64"
#elif defined(__aarch64__)
#define MCK_IHK_SMP_MODULE "ihk_smp_arm64"
#else
#define MCK_IHK_SMP_MODULE "ihk_smp_" /* any architecture's */
#endif

/* What the double exports besides libihk (ihk/double/ihk-double.h). */
#define MCK_IHK_DOUBLE_SYMBOL "ihk_double_state_dir"

static const char *conf_name(const struct mck_config *cfg)
{
	return cfg->path && *cfg->path ? cfg->path : MCK_CONFDIR "/mckernel.conf";
}

/* Is dir/name an executable regular file? */
static int executable_in(const char *dir, size_t dirlen, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (dirlen == 0)
		snprintf(path, sizeof(path), "./%s", name);
	else
		snprintf(path, sizeof(path), "%.*s/%s", (int)dirlen, dir, name);
	return !stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK);
}

/* Is name found as an executable on path_env, as execvp would look? */
static int on_path(const char *path_env, const char *name)
{
	const char *p = path_env;

	for (;;) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);

		if (executable_in(p, len, name))
			return 1;
		if (!colon)
			return 0;
		p = colon + 1;
	}
}

int mck_prereq_objdump(const char *path_env, char *why, size_t len)
{
	if (!path_env || !*path_env)
		path_env = MCK_PREREQ_DEFAULT_PATH;
	if (on_path(path_env, "objdump"))
		return 0;
	snprintf(why, len, "objdump: not found on PATH (%s): install binutils; without it "
		 "mcexec writes 'RPATH not found: 22' and 'warning: did not set LD_PRELOAD' "
		 "into every rank's error output (it runs objdump on every program)", path_env);
	return -ENOENT;
}

int mck_prereq_modules(const char *modules_file, FILE *out, struct mck_error *err)
{
	static const char *const wanted[] = { "ihk", MCK_IHK_SMP_MODULE, "mcctrl" };
	int found[3] = { 0, 0, 0 };
	char line[512];
	FILE *f;
	int i, missing = 0;

	f = fopen(modules_file, "re");
	if (!f)
		return mck_fail(err, -errno, "cannot read %s: %s", modules_file, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		size_t len = strcspn(line, " \t\n");

		for (i = 0; i < 3; i++) {
			size_t wl = strlen(wanted[i]);
			/* "ihk_smp_" without an architecture matches any */
			int prefix = wanted[i][wl - 1] == '_';

			if ((len == wl || (prefix && len > wl)) && !strncmp(line, wanted[i], wl))
				found[i] = 1;
		}
		if (!strchr(line, '\n'))	/* skip the rest of an over-long line */
			while (fgets(line, sizeof(line), f) && !strchr(line, '\n'))
				;
	}
	fclose(f);
	for (i = 0; i < 3; i++) {
		if (found[i])
			continue;
		missing++;
		fprintf(out, "IHK module %s%s: not loaded (%s): load ihk.ko, ihk-smp-<arch>.ko "
			"and mcctrl.ko from McKernel's kmod directory at node boot, in that order "
			"(as mcreboot.sh does)\n", wanted[i], wanted[i][strlen(wanted[i]) - 1] == '_' ?
			"<arch>" : "", modules_file);
	}
	return missing;
}

/* Do two paths name the same directory (both resolved; else compared as text)? */
static int same_dir(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];

	if (realpath(a, ra) && realpath(b, rb))
		return !strcmp(ra, rb);
	return !strcmp(a, b);
}

/* What keeps path from being a directory, or NULL. */
static const char *dir_problem(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return strerror(errno);
	return S_ISDIR(st.st_mode) ? NULL : "not a directory";
}

/* A regular file readable (mode R_OK) or executable (X_OK); else 0 and errno. */
static int usable_file(const char *path, int mode)
{
	struct stat st;

	if (stat(path, &st))
		return 0;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return 0;
	}
	return !access(path, mode);
}

/* Both markers (see mck-prereq.h), and how much of a binary is read at most. */
#define UTI_MISSING_MARKER "uti is not available"
#define UTI_OPTION_MARKER "enable-uti"
#define UTI_PROBE_MAX (256L << 20)

int mck_prereq_mcexec_uti(const char *path, struct mck_error *err)
{
	static const char *const marker[2] = { UTI_MISSING_MARKER, UTI_OPTION_MARKER };
	const size_t keep = sizeof(UTI_MISSING_MARKER) - 1;
	char buf[65536 + sizeof(UTI_MISSING_MARKER)];
	int found[2] = { 0, 0 }, rc = -1;
	size_t have = 0;
	long total = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return mck_fail(err, -errno, "cannot read %s: %s", path, strerror(errno));
	for (;;) {
		size_t got = fread(buf + have, 1, sizeof(buf) - have, f);

		if (got == 0)
			break;
		have += got;
		total += got;
		for (int m = 0; m < 2; m++)
			if (!found[m] && memmem(buf, have, marker[m], strlen(marker[m])))
				found[m] = 1;
		if (total > UTI_PROBE_MAX) {
			rc = mck_fail(err, -EFBIG, "%s: larger than %ld MiB, not an mcexec binary",
				      path, UTI_PROBE_MAX >> 20);
			goto out;
		}
		/* keep the tail: a marker may straddle two reads */
		if (have > keep) {
			memmove(buf, buf + have - keep, keep);
			have = keep;
		}
	}
	if (ferror(f)) {
		rc = mck_fail(err, -EIO, "%s: read error", path);
		goto out;
	}
	rc = found[0] ? MCK_UTI_WITHOUT : found[1] ? MCK_UTI_WITH : MCK_UTI_UNKNOWN;
out:
	fclose(f);
	return rc;
}

/* mcexec is executable, and mcexec_uti agrees with the binary. Problems found. */
static int check_mcexec(const struct mck_config *cfg, const char *conf, int verbose, FILE *out)
{
	struct mck_error err = { 0 };
	int uti;

	if (!usable_file(cfg->mcexec, X_OK)) {
		fprintf(out, "mcexec %s: %s: set 'mcexec' in %s to McKernel's mcexec "
			"(an executable)\n", cfg->mcexec, strerror(errno), conf);
		return 1;
	}
	if (verbose)
		fprintf(out, "ok: mcexec %s\n", cfg->mcexec);
	uti = mck_prereq_mcexec_uti(cfg->mcexec, &err);
	if (uti < 0) {
		fprintf(out, "mcexec %s: %s: cannot tell whether it supports UTI\n",
			cfg->mcexec, err.msg);
		return 1;
	}
	if (cfg->mcexec_uti && uti == MCK_UTI_WITHOUT) {
		fprintf(out, "mcexec %s: built without UTI (it carries McKernel's \"%s\" "
			"refusal of --enable-uti) but %s says mcexec_uti = yes, so every uti=yes "
			"rank would fail: set mcexec_uti = no, or install a McKernel built with "
			"UTI (configure --with-syscall_intercept)\n", cfg->mcexec,
			UTI_MISSING_MARKER, conf);
		return 1;
	}
	if (cfg->mcexec_uti && uti == MCK_UTI_UNKNOWN) {
		fprintf(out, "mcexec %s: cannot tell whether it supports UTI (it does not "
			"mention %s: not McKernel's mcexec binary, e.g. a wrapper script?) but %s "
			"says mcexec_uti = yes: point mcexec at McKernel's mcexec, or set "
			"mcexec_uti = no\n", cfg->mcexec, UTI_OPTION_MARKER, conf);
		return 1;
	}
	if (verbose)
		fprintf(out, "ok: mcexec_uti = %s; mcexec %s %s\n",
			cfg->mcexec_uti ? "yes" : "no", cfg->mcexec,
			uti == MCK_UTI_WITH ? "is built with UTI" :
			uti == MCK_UTI_WITHOUT ? "is built without UTI" :
			"is not known to support UTI");
	return 0;
}

int mck_prereq_check(const struct mck_config *cfg, const char *modules_file,
		     const char *path_env, int verbose, FILE *out)
{
	const char *conf = conf_name(cfg), *dir_why;
	int (*double_dir)(char *buf, size_t len);
	char double_dev[PATH_MAX] = "";
	struct mck_ihk ihk;
	struct mck_error err = { 0 };
	char path[PATH_MAX], why[PATH_MAX + 300];
	struct stat st;
	int missing = 0, loaded = 0, modules_ok = 1;

	/* objdump: mcexec runs it on every program it loads */
	if (mck_prereq_objdump(path_env, why, sizeof(why)) == 0) {
		if (verbose)
			fprintf(out, "ok: objdump on PATH\n");
	} else {
		missing++;
		fprintf(out, "%s\n", why);
	}

	/* libihk: loadable, every call resolves */
	if (mck_ihk_open(&ihk, cfg->libihk, &err)) {
		missing++;
		fprintf(out, "libihk %s: %s (%s)\n", cfg->libihk, err.msg, conf);
	} else {
		loaded = 1;
		if (verbose)
			fprintf(out, "ok: libihk %s provides every IHK call\n", cfg->libihk);
	}

	/* the kernel modules, unless the library stands in for them */
	if (loaded && (double_dir = (int (*)(char *, size_t))dlsym(ihk.handle,
							     MCK_IHK_DOUBLE_SYMBOL))) {
		if (double_dir(double_dev, sizeof(double_dev) - 4) == 0)
			strcat(double_dev, "/dev");
		else
			double_dev[0] = '\0';
		if (verbose)
			fprintf(out, "ok: IHK modules: provided by the IHK double (libihk exports %s)\n",
				MCK_IHK_DOUBLE_SYMBOL);
	} else {
		int r = mck_prereq_modules(modules_file, out, &err);

		if (r < 0) {
			missing++;
			modules_ok = 0;
			fprintf(out, "IHK modules: %s: run mckctl prereq on the node itself\n", err.msg);
		} else if (r > 0) {
			missing += r;
			modules_ok = 0;
		} else if (verbose) {
			fprintf(out, "ok: IHK modules loaded (%s)\n", modules_file);
		}
	}

	/* IHK device 0 answers through libihk (needs the modules; root) */
	if (loaded && modules_ok) {
		int r = ihk.ihk_get_num_os_instances(0);

		if (r < 0) {
			missing++;
			fprintf(out, "IHK device 0: libihk cannot query it: %s (%d): load the IHK "
				"modules and run mckctl as root\n", strerror(-r), r);
		} else if (verbose) {
			fprintf(out, "ok: IHK device 0 answers (%d instance%s)\n", r, r == 1 ? "" : "s");
		}
	}
	if (loaded)
		mck_ihk_close(&ihk);

	/* the device directory and mcd0 in it (mcosN follow at boot) */
	snprintf(path, sizeof(path), "%s/mcd0", cfg->device_dir);
	if (*double_dev && !same_dir(cfg->device_dir, double_dev)) {
		missing++;
		fprintf(out, "device_dir %s: the IHK double creates its devices in %s: set "
			"'device_dir = %s' in %s\n", cfg->device_dir, double_dev, double_dev, conf);
	} else if (*double_dev && stat(cfg->device_dir, &st) && errno == ENOENT) {
		/* a node of the double fresh from boot: its first change creates mcd0 */
		if (verbose)
			fprintf(out, "ok: IHK device %s: created by the IHK double at its first "
				"change\n", path);
	} else if ((dir_why = dir_problem(cfg->device_dir))) {
		missing++;
		fprintf(out, "device_dir %s: %s: set 'device_dir' in %s to where IHK creates "
			"mcd0 (/dev)\n", cfg->device_dir, dir_why, conf);
	} else if (lstat(path, &st)) {
		missing++;
		fprintf(out, "IHK device %s: %s: load ihk-smp-<arch>.ko (it creates mcd0), "
			"or set 'device_dir' in %s to where IHK creates it\n", path,
			strerror(errno), conf);
	} else if (verbose) {
		fprintf(out, "ok: IHK device %s\n", path);
	}

	/* the kernel image and mcexec */
	if (usable_file(cfg->image, R_OK)) {
		if (verbose)
			fprintf(out, "ok: image %s\n", cfg->image);
	} else {
		missing++;
		fprintf(out, "image %s: %s: set 'image' in %s to McKernel's kernel image "
			"(mckernel.img)\n", cfg->image, strerror(errno), conf);
	}
	missing += check_mcexec(cfg, conf, verbose, out);
	return missing;
}

/* "mckctl: MESSAGE" on stderr; 1 */
#define say(...) mck_complain("mckctl", __VA_ARGS__)

void mck_slurm_conf_default(const struct mck_config *cfg, char *buf, size_t len)
{
	const char *env = getenv("SLURM_CONF");
	const char *slash = cfg->path ? strrchr(cfg->path, '/') : NULL;

	if (env && *env)
		snprintf(buf, len, "%s", env);
	else if (slash)
		snprintf(buf, len, "%.*s/slurm.conf", (int)(slash - cfg->path), cfg->path);
	else
		snprintf(buf, len, "%s/slurm.conf", MCK_CONFDIR);
}

int mck_prereq_command(int argc, char **argv, const char *config, const char *partition)
{
	static const struct option longopts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "slurm-conf", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0], *slurm_conf = NULL, *path_env;
	int prereq = !strcmp(cmd, "prereq");
	struct mck_config cfg;
	struct mck_error err = { 0 };
	char buf[PATH_MAX];
	int ch, verbose = 0, rc = -1, r;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+v", longopts, NULL)) != -1) {
		if (ch == 'v' && prereq) {
			verbose = 1;
		} else if (ch == 's' && !prereq) {
			slurm_conf = optarg;
		} else {
			return say("%s: unexpected option '%s'; see mckctl --help", cmd, argv[optind - 1]);
		}
	}
	if (optind < argc)
		return say("%s: unexpected argument '%s'; see mckctl --help", cmd, argv[optind]);

	if (mck_config_load(config, partition, &cfg, &err))
		return say("%s", err.msg);
	/* libihk (the double) reads the same configuration as mckctl */
	if (*cfg.path)
		setenv("SLURM_MCKERNEL_CONF", cfg.path, 1);

	if (prereq) {
		path_env = getenv("PATH");
		if (!path_env || !*path_env)
			path_env = "/usr/local/bin:/usr/bin:/bin";
		r = mck_prereq_check(&cfg, MCK_PREREQ_PROC_MODULES, path_env, verbose, stdout);
		rc = r ? 1 : 0;
	} else {
		if (!slurm_conf) {
			mck_slurm_conf_default(&cfg, buf, sizeof(buf));
			slurm_conf = buf;
		}
		r = mck_check_slurm(&cfg, slurm_conf, stdout, &err);
		if (r < 0)
			rc = say("check-slurm: %s", err.msg);
		else
			rc = r;
	}
	mck_config_free(&cfg);
	return rc;
}
