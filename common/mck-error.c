/* mck-error.c: see mck-error.h. */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mck-error.h"

int mck_fail(struct mck_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

void mck_error_prefix(struct mck_error *err, const char *fmt, ...)
{
	char head[256];
	size_t hlen, tlen;
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	hlen = strlen(head);
	if (hlen >= sizeof(err->msg))
		hlen = sizeof(err->msg) - 1;
	tlen = strlen(err->msg);
	if (hlen + tlen >= sizeof(err->msg))
		tlen = sizeof(err->msg) - 1 - hlen;
	memmove(err->msg + hlen, err->msg, tlen);
	memcpy(err->msg, head, hlen);
	err->msg[hlen + tlen] = '\0';
}

void mck_error_clear(struct mck_error *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}
