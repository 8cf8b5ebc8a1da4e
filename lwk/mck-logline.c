/* mck-logline.c: see mck-logline.h. */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mck-logline.h"
#include "mck-util.h"

void mck_log_line(FILE *f, const char *line)
{
	char stamp[64];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "%s pid=%ld %s\n", stamp, (long)getpid(), line);
	fflush(f);
}

int mck_log_append(const char *path, const char *line)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	FILE *f;

	if (slash && slash > path) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
		if (mck_mkdir_p(dir, 0755, NULL))
			return -EIO;
	}
	f = fopen(path, "ae");
	if (!f)
		return -errno;
	mck_log_line(f, line);
	fclose(f);
	return 0;
}
