/*
 * fuzz-config.c: libFuzzer target for the mckernel.conf parser.
 *
 * Oracles besides the sanitizers: a refused file gives a one-line message
 * that names the file; an accepted one prints settings that load back and
 * print the same (for the global settings and for partition "batch").
 */
#include "config.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mck-config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int cond, const char *what, const char *detail)
{
	if (!cond) {
		fprintf(stderr, "fuzz-config: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
		abort();
	}
}

static char *print(const struct mck_config *cfg)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	must(f != NULL, "open_memstream", NULL);
	mck_config_print(cfg, f);
	fclose(f);
	return out;
}

static void one(const char *text, size_t size, const char *partition)
{
	struct mck_config cfg, again;
	struct mck_error err = { 0 };
	char *first, *second;

	if (mck_config_load_buffer(text, size, "fuzz.conf", partition, &cfg, &err)) {
		must(err.code < 0, "a refusal without an error code", err.msg);
		must(!strncmp(err.msg, "fuzz.conf", 9), "a message that does not name the file", err.msg);
		must(!strchr(err.msg, '\n'), "a message of more than one line", err.msg);
		return;
	}
	first = print(&cfg);
	mck_config_free(&cfg);
	if (mck_config_load_buffer(first, strlen(first), "printed", partition, &again, &err)) {
		fprintf(stderr, "%s\n", first);
		must(0, "printed settings do not load", err.msg);
	}
	second = print(&again);
	mck_config_free(&again);
	if (strcmp(strchr(first, '\n'), strchr(second, '\n'))) {
		fprintf(stderr, "--- first\n%s--- second\n%s", first, second);
		must(0, "printed settings change when loaded again", NULL);
	}
	free(first);
	free(second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one((const char *)data, size, NULL);
	one((const char *)data, size, "batch");
	return 0;
}
