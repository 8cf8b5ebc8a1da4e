/*
 * replay.c: run a fuzz target over its seed corpus without libFuzzer, so
 * that `make check` exercises it with any compiler (and with ASan/UBSan
 * when configure found them). Usage: replay-NAME [FILE|DIR...]; without
 * arguments $top_srcdir/fuzz/corpus/NAME. A target aborts on a finding.
 */
#include "config.h"
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MIN_SEEDS 5

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t len;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	buf = malloc(n ? n : 1);
	len = buf ? fread(buf, 1, n, f) : 0;
	fclose(f);
	if (!buf || len != (size_t)n) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		free(buf);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	printf("ok - %s\n", path);
	return 0;
}

static int run_path(const char *path, int *count)
{
	struct dirent **names;
	struct stat st;
	int n, rc = 0;

	if (stat(path, &st)) {
		fprintf(stderr, "replay: no such file or directory %s\n", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: cannot list %s\n", path);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char full[4096];

		if (names[i]->d_name[0] != '.' && !rc) {
			snprintf(full, sizeof(full), "%s/%s", path, names[i]->d_name);
			rc = run_path(full, count);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir");
	char dflt[4096];
	int count = 0;

	if (argc < 2) {
		snprintf(dflt, sizeof(dflt), "%s/fuzz/corpus/%s", top ? top : ".", FUZZ_TARGET);
		if (run_path(dflt, &count))
			return 1;
		if (count < MIN_SEEDS) {
			fprintf(stderr, "replay: %d seeds in %s, expected at least %d\n",
				count, dflt, MIN_SEEDS);
			return 1;
		}
	} else {
		for (int i = 1; i < argc; i++)
			if (run_path(argv[i], &count))
				return 1;
	}
	printf("# %s: %d inputs, no finding\n", FUZZ_TARGET, count);
	return 0;
}
