/*
 * mcexec-record.c: each run of the mcexec double is recorded as
 * STATE/mcexec/osN/PID.rec (key=value lines, replaced atomically), in the
 * instance's record directory that the IHK double keeps owned by the
 * instance device's owner and folds into STATE/mcexec.log at destroy.
 */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "mcexec.h"
#include "mck-util.h"

static void rec_add(char **text, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void rec_add(char **text, const char *fmt, ...)
{
	char *line = NULL, *joined = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	if (!line)
		return;
	if (asprintf(&joined, "%s%s\n", *text ? *text : "", line) >= 0) {
		free(*text);
		*text = joined;
	}
	free(line);
}

static const char *env_or_empty(const char *name)
{
	const char *v = getenv(name);

	return v ? v : "";
}

static void add_now(char **text, const char *key)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	rec_add(text, "%s=%ld.%03ld", key, (long)tv.tv_sec, (long)tv.tv_usec / 1000);
}

static int save(struct record *r)
{
	struct mck_error err;

	if (!r->text)
		return -ENOMEM;
	return mck_write_file_atomic(r->path, r->text, strlen(r->text), 0644, &err);
}

void record_start(struct record *r, const struct opts *o, const struct lwk *l, pid_t child,
		  const char *cpus, const char *numa, const char *argv0, const char *proxy)
{
	char host[256] = "";
	int rc;

	r->text = NULL;
	snprintf(r->path, sizeof(r->path), "%s/mcexec/os%d/%ld.rec", l->state, o->os,
		 (long)getpid());
	gethostname(host, sizeof(host) - 1);
	rec_add(&r->text, "pid=%ld", (long)getpid());
	rec_add(&r->text, "ppid=%ld", (long)getppid());
	rec_add(&r->text, "child=%ld", (long)child);
	rec_add(&r->text, "job=%s", env_or_empty("SLURM_JOB_ID"));
	rec_add(&r->text, "step=%s", env_or_empty("SLURM_STEP_ID"));
	rec_add(&r->text, "rank=%s", env_or_empty("SLURM_PROCID"));
	rec_add(&r->text, "node=%s", host);
	rec_add(&r->text, "uid=%lu", (unsigned long)getuid());
	rec_add(&r->text, "os=%d", o->os);
	rec_add(&r->text, "gen=%u", l->gen);
	rec_add(&r->text, "nproc=%d", o->nproc);
	rec_add(&r->text, "cpus=%s", cpus);
	rec_add(&r->text, "numa=%s", numa);
	rec_add(&r->text, "argv0=%s", argv0);
	rec_add(&r->text, "proxy_cpus=%s", proxy ? proxy : "");
	rec_add(&r->text, "omp_num_threads=%s", env_or_empty("OMP_NUM_THREADS"));
	add_now(&r->text, "start");
	if ((rc = save(r)) < 0) {
		fprintf(stderr, "mcexec (double): warning: this run is not recorded: %s: %s (the "
			"IHK double hands STATE/mcexec/os%d to the owner of dev/mcos%d at its next "
			"call made as root)\n", r->path, strerror(-rc), o->os, o->os);
		r->path[0] = '\0';
	}
}

void record_end(struct record *r, const char *key, const char *value)
{
	if (!r->path[0])
		return;
	rec_add(&r->text, "%s=%s", key, value);
	add_now(&r->text, "end");
	save(r);
}
