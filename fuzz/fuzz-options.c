/*
 * fuzz-options.c: libFuzzer target for the --mckernel option parser.
 *
 * Oracles besides the sanitizers: an accepted value formats to a
 * canonical text that parses back to the same options; the mcexec words
 * built from it hold only option syntax and digits (no user text); a
 * refused value gives a one-line message.
 */
#include "config.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mck-config.h"
#include "mck-options.h"
#include "mck-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int cond, const char *what, const char *text)
{
	if (!cond) {
		fprintf(stderr, "fuzz-options: %s (input '%s')\n", what, text);
		abort();
	}
}

static void check_message(const struct mck_error *err, const char *text)
{
	must(err->code < 0 && err->msg[0], "a refusal without a message", text);
	for (const char *p = err->msg; *p; p++)
		must(*p >= 0x20 && *p < 0x7f, "a message with a control or non-ASCII byte", text);
}

/* Only "--name" or "--name=digits[,digits]" words. */
static void check_words(char **argv, int argc, const char *text)
{
	must(argv[argc] == NULL, "argv not NULL-terminated", text);
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];

		must(!strncmp(w, "--", 2), "an mcexec word without --", text);
		for (const char *p = w + 2; *p; p++)
			must((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			     *p == '-' || *p == '=' || *p == ',',
			     "an mcexec word with a character outside the option syntax", text);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mck_config open_cfg, tight_cfg;
	static int loaded;
	static const char tight[] =
		"user_keys = mem, procs\nmax_mem_fraction = 0.5\nmax_mem_size = 4G\n"
		"max_procs_per_node = 4\nmpol_threshold = 1M\nuti = yes\nmcexec_uti = yes\n";
	struct mck_options o, again;
	struct mck_error err = { 0 };
	char text[MCK_OPTIONS_MAX_LEN + 64], canon[2048], canon2[2048];
	char **argv;
	int argc;

	if (!loaded) {
		if (mck_config_load_buffer("", 0, "", NULL, &open_cfg, &err) ||
		    mck_config_load_buffer(tight, strlen(tight), "tight", "batch", &tight_cfg, &err)) {
			fprintf(stderr, "fuzz-options: %s\n", err.msg);
			abort();
		}
		loaded = 1;
	}
	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';

	if (mck_options_parse(text, &o, &err)) {
		check_message(&err, text);
		must(o.set == 0, "options set after a refusal", text);
		return 0;
	}
	must(mck_options_format(&o, canon, sizeof(canon)) == 0, "format failed", text);
	must(mck_options_parse(canon, &again, &err) == 0, "the canonical form does not parse", text);
	must(mck_options_format(&again, canon2, sizeof(canon2)) == 0 && !strcmp(canon, canon2),
	     "the canonical form changes when parsed again", text);
	must(again.set == o.set, "keys differ after a round trip", text);

	for (int i = 0; i < 2; i++) {
		const struct mck_config *cfg = i ? &tight_cfg : &open_cfg;

		mck_error_clear(&err);
		if (mck_options_check(&o, cfg, &err))
			check_message(&err, text);
		must(mck_options_mcexec_args(&o, cfg, &argv, &argc, &err) == 0, "mcexec words failed", text);
		check_words(argv, argc, text);
		mck_argv_free(argv);
	}
	return 0;
}
