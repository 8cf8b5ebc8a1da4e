/* mck-metrics.c: see mck-metrics.h. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "mck-metrics.h"
#include "mck-util.h"

#define STATE_FILE "metrics.state"
#define LOCK_FILE "metrics.lock"
#define MAX_SAMPLES 256

static const struct family {
	const char *name, *type, *help;
} families[] = {
	{ "boots_total", "counter", "McKernel instances booted for jobs on this node." },
	{ "boot_failures_total", "counter",
	  "Boots that failed, by the boot step that failed (refused: the job may not boot here)." },
	{ "teardowns_total", "counter", "Jobs' instances torn down by the epilogue." },
	{ "teardown_failures_total", "counter", "Teardowns that left the node not clean." },
	{ "drains_total", "counter", "Times slurm-mckernel drained this node with a reason." },
	{ "reservations_reused_total", "counter",
	  "Boots that used CPUs and memory kept from an earlier job (reservation = keep)." },
	{ "last_boot_seconds", "gauge", "Duration of the last job's boot (mckctl boot)." },
	{ "last_teardown_seconds", "gauge", "Duration of the last job's teardown." },
	{ "kept_reservation_cpus", "gauge", "CPUs kept reserved for the next job (0: none)." },
	{ "kept_reservation_bytes", "gauge", "Memory kept reserved for the next job (0: none)." },
	{ "instances", "gauge", "McKernel instances IHK lists now." },
};

struct sample {
	char name[160];		/* without the prefix, with labels */
	double value;
};

static size_t family_len(const char *name)
{
	return strcspn(name, "{ ");
}

static const struct family *family_of(const char *name)
{
	size_t n = family_len(name);

	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (strlen(families[i].name) == n && !strncmp(families[i].name, name, n))
			return &families[i];
	return NULL;
}

/* The samples of STATE_DIR/metrics.state (missing: none). */
static int read_samples(const char *state_dir, struct sample *s, int *n)
{
	char path[PATH_MAX], line[256];
	FILE *f;

	*n = 0;
	snprintf(path, sizeof(path), "%s/%s", state_dir, STATE_FILE);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f) && *n < MAX_SAMPLES) {
		char *sp = strrchr(line, ' ');

		if (!sp || sp - line >= (long)sizeof(s->name))
			continue;
		memcpy(s[*n].name, line, sp - line);
		s[*n].name[sp - line] = '\0';
		s[*n].value = strtod(sp + 1, NULL);
		if (family_of(s[*n].name))
			(*n)++;
	}
	fclose(f);
	return 0;
}

static int write_samples(const char *state_dir, const struct sample *s, int n)
{
	char path[PATH_MAX], *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	int rc;

	if (!m)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		fprintf(m, "%s %.17g\n", s[i].name, s[i].value);
	fclose(m);
	snprintf(path, sizeof(path), "%s/%s", state_dir, STATE_FILE);
	rc = text ? mck_write_file_atomic(path, text, len, 0644, NULL) : -ENOMEM;
	free(text);
	return rc;
}

/* Change one sample under the lock: add delta, or set value (only_one: alone in its family). */
static int change(const char *state_dir, const char *sample, double v, int set, int only_one)
{
	static struct sample s[MAX_SAMPLES];
	char path[PATH_MAX];
	int fd, n, rc, k = 0, found = 0;

	if (!family_of(sample) || strlen(sample) >= sizeof(s[0].name))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/%s", state_dir, LOCK_FILE);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = read_samples(state_dir, s, &n);
	for (int i = 0; !rc && i < n; i++) {
		if (!strcmp(s[i].name, sample)) {
			s[i].value = set ? v : s[i].value + v;
			found = 1;
		} else if (only_one && family_len(s[i].name) == family_len(sample) &&
			   !strncmp(s[i].name, sample, family_len(sample))) {
			continue;	/* the family's earlier sample goes */
		}
		s[k++] = s[i];
	}
	if (!rc && !found && k < MAX_SAMPLES) {
		snprintf(s[k].name, sizeof(s[k].name), "%s", sample);
		s[k++].value = v;
	}
	if (!rc)
		rc = write_samples(state_dir, s, k);
	close(fd);
	return rc;
}

int mck_metrics_add(const char *state_dir, const char *sample, double delta)
{
	return change(state_dir, sample, delta, 0, 0);
}

int mck_metrics_set(const char *state_dir, const char *sample, double value, int only_one)
{
	return change(state_dir, sample, value, 1, only_one);
}

/* Every sample of family f, from the node's and extra's. */
static void print_family(FILE *m, const struct family *f, const struct sample *s, int n,
			 const char *extra)
{
	int header = 0;

	for (int pass = 0; pass < 2; pass++) {
		const char *p = extra;

		for (int i = 0; pass == 0 && i < n; i++) {
			if (family_of(s[i].name) != f)
				continue;
			if (!header++)
				fprintf(m, "# HELP %s%s %s\n# TYPE %s%s %s\n", MCK_METRICS_PREFIX, f->name,
					f->help, MCK_METRICS_PREFIX, f->name, f->type);
			fprintf(m, "%s%s %.17g\n", MCK_METRICS_PREFIX, s[i].name, s[i].value);
		}
		while (pass == 1 && p && *p) {
			size_t len = strcspn(p, "\n");

			if (family_of(p) == f) {
				if (!header++)
					fprintf(m, "# HELP %s%s %s\n# TYPE %s%s %s\n", MCK_METRICS_PREFIX,
						f->name, f->help, MCK_METRICS_PREFIX, f->name, f->type);
				fprintf(m, "%s%.*s\n", MCK_METRICS_PREFIX, (int)len, p);
			}
			p += len + (p[len] == '\n');
		}
	}
	/* counters start at 0 on a node that has not counted yet */
	if (!header && !strcmp(f->type, "counter") &&
	    strcmp(f->name, "boot_failures_total"))
		fprintf(m, "# HELP %s%s %s\n# TYPE %s%s %s\n%s%s 0\n", MCK_METRICS_PREFIX, f->name,
			f->help, MCK_METRICS_PREFIX, f->name, f->type, MCK_METRICS_PREFIX, f->name);
}

int mck_metrics_write(const char *state_dir, const char *path, const char *extra,
		      struct mck_error *err)
{
	static struct sample s[MAX_SAMPLES];
	char *text = NULL;
	size_t len = 0;
	FILE *m;
	int n, rc;

	rc = read_samples(state_dir, s, &n);
	if (rc)
		return mck_fail(err, rc, "cannot read %s/%s: %s", state_dir, STATE_FILE,
				strerror(-rc));
	m = open_memstream(&text, &len);
	if (!m)
		return mck_fail(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		print_family(m, &families[i], s, n, extra);
	fclose(m);
	/* mck_write_file_atomic: a temporary file beside path, then rename */
	rc = text ? mck_write_file_atomic(path, text, len, 0644, err) : -ENOMEM;
	free(text);
	return rc;
}
