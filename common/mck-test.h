/*
 * mck-test.h: a minimal TAP-style harness for unit tests.
 *   ok(cond, "what"), is_str(got, want, "what"), is_int(got, want, "what");
 *   return done_testing();
 */
#ifndef MCK_TEST_H
#define MCK_TEST_H

#include <stdio.h>
#include <string.h>

static int mck_test_n, mck_test_failed;

#define ok(cond, ...) do { \
	int ok_ = !!(cond); \
	mck_test_n++; \
	if (!ok_) mck_test_failed++; \
	printf("%s %d - ", ok_ ? "ok" : "not ok", mck_test_n); \
	printf(__VA_ARGS__); \
	printf("\n"); \
	if (!ok_) printf("#   failed at %s:%d\n", __FILE__, __LINE__); \
} while (0)

#define is_str(got, want, ...) do { \
	const char *g_ = (got), *w_ = (want); \
	int same_ = g_ && w_ && !strcmp(g_, w_); \
	ok(same_, __VA_ARGS__); \
	if (!same_) printf("#   got:  '%s'\n#   want: '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

#define is_int(got, want, ...) do { \
	long long g_ = (got), w_ = (want); \
	ok(g_ == w_, __VA_ARGS__); \
	if (g_ != w_) printf("#   got:  %lld\n#   want: %lld\n", g_, w_); \
} while (0)

static inline int done_testing(void)
{
	printf("1..%d\n", mck_test_n);
	if (mck_test_failed)
		printf("# %d of %d failed\n", mck_test_failed, mck_test_n);
	return mck_test_failed ? 1 : 0;
}

#endif
