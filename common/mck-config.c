/* mck-config.c: see mck-config.h. */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mck-config.h"

enum key_type { K_PATH, K_STRING, K_FRACTION, K_SECONDS };

struct key_def {
	const char *name;
	enum key_type type;
	size_t offset;
	const char *help;
};

#define STR(f) offsetof(struct mck_config, f)

static const struct key_def keys[] = {
	{ "libihk", K_PATH, STR(libihk), "path of libihk.so" },
	{ "mcexec", K_PATH, STR(mcexec), "path of mcexec" },
	{ "mckctl", K_PATH, STR(mckctl), "path of mckctl" },
	{ "image", K_PATH, STR(image), "path of mckernel.img" },
	{ "kargs", K_STRING, STR(kargs), "kernel arguments containing hidos" },
	{ "state_dir", K_PATH, STR(state_dir), "directory for job records" },
	{ "device_dir", K_PATH, STR(device_dir), "directory of the mcosN devices" },
	{ "topology", K_STRING, STR(topology), "hwloc XML file, or empty for the live machine" },
	{ "mem_fraction", K_FRACTION, STR(mem_fraction), "a number in (0, 0.98]" },
	{ "boot_timeout", K_SECONDS, STR(boot_timeout), "whole seconds, 1 to 3600" },
	{ "shutdown_timeout", K_SECONDS, STR(shutdown_timeout), "whole seconds, 1 to 3600" },
	{ "ihk_double_state", K_PATH, STR(ihk_double_state), "state directory of the IHK double" },
	{ "ihk_double_topology", K_STRING, STR(ihk_double_topology), "hwloc XML for the IHK double" },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static char **str_field(struct mck_config *cfg, const struct key_def *k)
{
	return (char **)((char *)cfg + k->offset);
}

static int set_defaults(struct mck_config *cfg)
{
	static const struct { const char *key, *value; } defs[] = {
		{ "libihk", MCK_DEFAULT_LIBIHK },
		{ "mcexec", "/usr/bin/mcexec" },
		{ "mckctl", MCK_SBINDIR "/mckctl" },
		{ "image", "/usr/share/mckernel/mckernel.img" },
		{ "kargs", "hidos ksyslogd=0" },
		{ "state_dir", MCK_STATEDIR },
		{ "device_dir", "/dev" },
		{ "topology", "" },
		{ "ihk_double_state", "" },
		{ "ihk_double_topology", "" },
	};

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		for (size_t k = 0; k < NKEYS; k++)
			if (!strcmp(keys[k].name, defs[i].key)) {
				char **f = str_field(cfg, &keys[k]);
				*f = strdup(defs[i].value);
				if (!*f)
					return -ENOMEM;
			}
	cfg->path = strdup("");
	cfg->mem_fraction = 0.5;
	cfg->boot_timeout = 60;
	cfg->shutdown_timeout = 30;
	return cfg->path ? 0 : -ENOMEM;
}

const char *mck_config_default_path(int *explicit_env)
{
	static char buf[PATH_MAX];
	const char *env = getenv("SLURM_MCKERNEL_CONF");
	const char *slurm_conf = getenv("SLURM_CONF");

	if (explicit_env)
		*explicit_env = 0;
	if (env && *env) {
		if (explicit_env)
			*explicit_env = 1;
		return env;
	}
	if (slurm_conf && *slurm_conf) {
		const char *slash = strrchr(slurm_conf, '/');

		if (slash) {
			snprintf(buf, sizeof(buf), "%.*s/mckernel.conf",
				 (int)(slash - slurm_conf), slurm_conf);
			return buf;
		}
	}
	return MCK_CONFDIR "/mckernel.conf";
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static const struct key_def *find_key(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

/* Validate and store one value. */
static int apply_value(struct mck_config *cfg, const struct key_def *k,
		       const char *value, const char *file, int line,
		       struct mck_error *err)
{
	char *end;

	switch (k->type) {
	case K_PATH:
		if (value[0] != '/')
			return mck_fail(err, -EINVAL,
					"%s:%d: %s = '%s': expected an absolute path (%s)",
					file, line, k->name, value, k->help);
		/* fall through */
	case K_STRING: {
		char **f = str_field(cfg, k);
		char *v = strdup(value);

		if (!v)
			return mck_fail(err, -ENOMEM, "out of memory");
		free(*f);
		*f = v;
		return 0;
	}
	case K_FRACTION: {
		double d;

		errno = 0;
		d = strtod(value, &end);
		if (errno || end == value || *end || !(d > 0.0 && d <= 0.98))
			return mck_fail(err, -EINVAL,
					"%s:%d: %s = '%s': expected %s",
					file, line, k->name, value, k->help);
		*(double *)((char *)cfg + k->offset) = d;
		return 0;
	}
	case K_SECONDS: {
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (errno || end == value || *end || v < 1 || v > 3600)
			return mck_fail(err, -EINVAL,
					"%s:%d: %s = '%s': expected %s",
					file, line, k->name, value, k->help);
		*(int *)((char *)cfg + k->offset) = (int)v;
		return 0;
	}
	}
	return mck_fail(err, -EINVAL, "%s:%d: internal error", file, line);
}

static int parse_file(FILE *f, const char *file, const char *partition,
		      struct mck_config *cfg, struct mck_error *err)
{
	char raw[4096];
	int line = 0;
	/* 0: global, 1: the partition asked for, 2: another partition */
	int section = 0;
	char seen[64][128];
	int nseen = 0;

	while (fgets(raw, sizeof(raw), f)) {
		char *s, *eq, *key, *value, *hash;
		const struct key_def *k;
		size_t len = strlen(raw);

		line++;
		if (len == sizeof(raw) - 1 && raw[len - 1] != '\n')
			return mck_fail(err, -EINVAL, "%s:%d: line longer than %zu characters",
					file, line, sizeof(raw) - 2);
		hash = strchr(raw, '#');
		if (hash)
			*hash = '\0';
		s = trim(raw);
		if (!*s)
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']'), *name;

			if (!close || close[1])
				return mck_fail(err, -EINVAL,
						"%s:%d: expected a section header '[partition NAME]'",
						file, line);
			*close = '\0';
			name = trim(s + 1);
			if (strncmp(name, "partition", 9) || !isspace((unsigned char)name[9]))
				return mck_fail(err, -EINVAL,
						"%s:%d: unknown section '[%s]': expected '[partition NAME]'",
						file, line, name);
			name = trim(name + 9);
			if (!*name || strpbrk(name, " \t"))
				return mck_fail(err, -EINVAL,
						"%s:%d: expected one partition name in '[partition NAME]'",
						file, line);
			for (int i = 0; i < nseen; i++)
				if (!strcmp(seen[i], name))
					return mck_fail(err, -EINVAL,
							"%s:%d: partition '%s' has a second section; merge them",
							file, line, name);
			if (nseen < 64)
				snprintf(seen[nseen++], sizeof(seen[0]), "%s", name);
			section = (partition && !strcmp(partition, name)) ? 1 : 2;
			continue;
		}
		eq = strchr(s, '=');
		if (!eq)
			return mck_fail(err, -EINVAL, "%s:%d: expected 'key = value', got '%s'",
					file, line, s);
		*eq = '\0';
		key = trim(s);
		value = trim(eq + 1);
		k = find_key(key);
		if (!k) {
			char list[1024] = "";

			for (size_t i = 0; i < NKEYS; i++) {
				strncat(list, keys[i].name, sizeof(list) - strlen(list) - 3);
				if (i + 1 < NKEYS)
					strncat(list, ", ", sizeof(list) - strlen(list) - 1);
			}
			return mck_fail(err, -EINVAL,
					"%s:%d: unknown key '%s': expected one of %s",
					file, line, key, list);
		}
		if (section == 2) {
			/* Validate, but do not apply, other partitions' settings. */
			struct mck_config scratch;
			int rc;

			if (set_defaults(&scratch))
				return mck_fail(err, -ENOMEM, "out of memory");
			rc = apply_value(&scratch, k, value, file, line, err);
			mck_config_free(&scratch);
			if (rc)
				return rc;
			continue;
		}
		if (apply_value(cfg, k, value, file, line, err))
			return err ? err->code : -EINVAL;
	}
	if (ferror(f))
		return mck_fail(err, -EIO, "%s: read error", file);
	return 0;
}

static int check_config(const struct mck_config *cfg, struct mck_error *err)
{
	const char *p = cfg->kargs;
	int found = 0;

	/* IHK refuses kernel arguments without the token "hidos". */
	while (p && *p) {
		size_t n;

		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, " \t");
		if (n == 5 && !strncmp(p, "hidos", 5))
			found = 1;
		p += n;
	}
	if (!found)
		return mck_fail(err, -EINVAL,
				"%s: kargs = '%s': McKernel's kernel arguments must contain the word 'hidos'",
				*cfg->path ? cfg->path : "built-in defaults", cfg->kargs);
	if (strlen(cfg->kargs) > 1023)
		return mck_fail(err, -EINVAL,
				"%s: kargs is %zu bytes long; IHK keeps at most 1023",
				*cfg->path ? cfg->path : "built-in defaults", strlen(cfg->kargs));
	return 0;
}

int mck_config_load(const char *path, const char *partition,
		    struct mck_config *cfg, struct mck_error *err)
{
	int explicit_path = path != NULL;
	FILE *f;
	int rc;

	if (set_defaults(cfg)) {
		mck_config_free(cfg);
		return mck_fail(err, -ENOMEM, "out of memory");
	}
	if (partition && *partition) {
		cfg->partition = strdup(partition);
		if (!cfg->partition) {
			mck_config_free(cfg);
			return mck_fail(err, -ENOMEM, "out of memory");
		}
	}
	if (!path)
		path = mck_config_default_path(&explicit_path);
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT && !explicit_path)
			return check_config(cfg, err) ? (mck_config_free(cfg), err->code) : 0;
		rc = mck_fail(err, -errno, "cannot read configuration %s: %s",
			      path, strerror(errno));
		mck_config_free(cfg);
		return rc;
	}
	free(cfg->path);
	cfg->path = strdup(path);
	rc = cfg->path ? parse_file(f, path, partition, cfg, err)
		       : mck_fail(err, -ENOMEM, "out of memory");
	fclose(f);
	if (!rc)
		rc = check_config(cfg, err);
	if (rc)
		mck_config_free(cfg);
	return rc;
}

void mck_config_free(struct mck_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].type == K_PATH || keys[i].type == K_STRING) {
			char **f = str_field(cfg, &keys[i]);
			free(*f);
			*f = NULL;
		}
	free(cfg->path);
	free(cfg->partition);
	cfg->path = cfg->partition = NULL;
}

void mck_config_print(const struct mck_config *cfg, FILE *out)
{
	fprintf(out, "# configuration: %s%s%s\n",
		*cfg->path ? cfg->path : "built-in defaults",
		cfg->partition ? ", partition " : "",
		cfg->partition ? cfg->partition : "");
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key_def *k = &keys[i];
		const char *base = (const char *)cfg;

		switch (k->type) {
		case K_PATH:
		case K_STRING:
			fprintf(out, "%s = %s\n", k->name,
				*(char *const *)(base + k->offset));
			break;
		case K_FRACTION:
			fprintf(out, "%s = %g\n", k->name,
				*(const double *)(base + k->offset));
			break;
		case K_SECONDS:
			fprintf(out, "%s = %d\n", k->name,
				*(const int *)(base + k->offset));
			break;
		}
	}
}
