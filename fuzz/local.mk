## fuzz: fuzz targets of the option and configuration parsers (see fuzz/README.md).
## Always: replay drivers run each target over its seed corpus in make check
## (with ASan/UBSan when the compiler has them). With --enable-fuzzing
## (CC=clang): libFuzzer binaries and a short fuzzing session in make check.

fuzz_parser_sources = \
	common/mck-config.c common/mck-options.c common/mck-error.c common/mck-lists.c \
	common/mck-schema.c common/mck-util.c

check_PROGRAMS += fuzz/replay-options fuzz/replay-config
TESTS += fuzz/replay-options fuzz/replay-config
fuzz_replay_options_SOURCES = fuzz/replay.c fuzz/fuzz-options.c $(fuzz_parser_sources)
fuzz_replay_options_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_TARGET=\"options\"
fuzz_replay_options_CFLAGS = $(AM_CFLAGS) $(MCK_SANITIZE_CFLAGS)
fuzz_replay_options_LDFLAGS = $(AM_LDFLAGS) $(MCK_SANITIZE_CFLAGS)
fuzz_replay_config_SOURCES = fuzz/replay.c fuzz/fuzz-config.c $(fuzz_parser_sources)
fuzz_replay_config_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_TARGET=\"config\"
fuzz_replay_config_CFLAGS = $(AM_CFLAGS) $(MCK_SANITIZE_CFLAGS)
fuzz_replay_config_LDFLAGS = $(AM_LDFLAGS) $(MCK_SANITIZE_CFLAGS)

if MCK_FUZZING
check_PROGRAMS += fuzz/fuzz-options fuzz/fuzz-config
TESTS += fuzz/run-libfuzzer.sh
fuzz_fuzz_options_SOURCES = fuzz/fuzz-options.c $(fuzz_parser_sources)
fuzz_fuzz_options_CFLAGS = $(AM_CFLAGS) $(MCK_FUZZ_CFLAGS)
fuzz_fuzz_options_LDFLAGS = $(AM_LDFLAGS) $(MCK_FUZZ_CFLAGS)
fuzz_fuzz_config_SOURCES = fuzz/fuzz-config.c $(fuzz_parser_sources)
fuzz_fuzz_config_CFLAGS = $(AM_CFLAGS) $(MCK_FUZZ_CFLAGS)
fuzz_fuzz_config_LDFLAGS = $(AM_LDFLAGS) $(MCK_FUZZ_CFLAGS)
endif

EXTRA_DIST += fuzz/README.md fuzz/run-libfuzzer.sh fuzz/corpus \
	fuzz/options.dict fuzz/config.dict
