/*
 * notes.c: the plan's decisions with their reasons, one line each, as the
 * planner's steps record them, and their printing (mck-maps --explain).
 */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan-internal.h"

static const char *const note_kinds[] = {
	[MCK_NOTE_CPUS] = "cpus",
	[MCK_NOTE_MEMORY] = "memory",
	[MCK_NOTE_IKC] = "ikc",
	[MCK_NOTE_UNUSED] = "unused",
	[MCK_NOTE_WARNING] = "warning",
};

const char *mck_plan_note_kind_name(enum mck_note_kind kind)
{
	if ((int)kind < 0 || (size_t)kind >= sizeof(note_kinds) / sizeof(note_kinds[0]))
		return "note";
	return note_kinds[kind];
}

int mck_note_add(struct mck_plan *plan, enum mck_note_kind kind, const char *fmt, ...)
{
	struct mck_plan_note *v;
	va_list ap;
	char *text = NULL;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (len < 0)
		return -ENOMEM;
	v = realloc(plan->notes, (plan->n_notes + 1) * sizeof(*v));
	if (!v) {
		free(text);
		return -ENOMEM;
	}
	plan->notes = v;
	v[plan->n_notes].kind = kind;
	v[plan->n_notes].text = text;
	plan->n_notes++;
	return 0;
}

void mck_notes_free(struct mck_plan *plan)
{
	for (int i = 0; i < plan->n_notes; i++)
		free(plan->notes[i].text);
	free(plan->notes);
	plan->notes = NULL;
	plan->n_notes = 0;
}

int mck_plan_explain(const struct mck_plan *plan, const char *prefix, FILE *out)
{
	for (int i = 0; i < plan->n_notes; i++)
		fprintf(out, "%s%s: %s\n", prefix ? prefix : "",
			mck_plan_note_kind_name(plan->notes[i].kind), plan->notes[i].text);
	return ferror(out) ? -EIO : 0;
}

/* The CPU list of the marked OS indexes on[lo..hi] (malloc'd), walked in order: no sorting. */
static char *format_marked(const struct mck_model *m, const unsigned char *on, int lo, int hi)
{
	size_t cap = (size_t)m->max_os * 12 + 1, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	buf[0] = '\0';
	for (int c = lo; c <= hi; c++) {
		int e = c;

		if (!on[c])
			continue;
		while (e < hi && on[e + 1])
			e++;
		len += snprintf(buf + len, cap - len, e > c ? "%s%d-%d" : "%s%d", len ? "," : "", c, e);
		c = e;
	}
	return buf;
}

/* The CPU list of PUs: those i with sel[i] set (pis NULL), or pis[0..n). */
static char *format_pus(const struct mck_model *m, const unsigned char *sel, const int *pis, int n)
{
	unsigned char *on = calloc(m->max_os + 1, 1);
	int lo = m->max_os, hi = -1;
	char *s;

	if (!on)
		return NULL;
	for (int k = 0; k < (pis ? n : m->n_pus); k++) {
		int os;

		if (!pis && !sel[k])
			continue;
		os = m->pus[pis ? pis[k] : k].os;
		on[os] = 1;
		lo = os < lo ? os : lo;
		hi = os > hi ? os : hi;
	}
	s = format_marked(m, on, lo, hi);
	free(on);
	return s;
}

char *mck_pus_format(const struct mck_model *m, const unsigned char *sel)
{
	return format_pus(m, sel, NULL, 0);
}

char *mck_pus_format_list(const struct mck_model *m, const int *pis, int n)
{
	return format_pus(m, NULL, pis, n);
}

int mck_list_single(const char *list)
{
	return !strpbrk(list, ",-");
}

const char *mck_numa_name(const struct mck_model *m, int ni, char *buf, size_t len)
{
	if (ni == m->no_numa)
		snprintf(buf, len, "the CPUs in no NUMA node");
	else
		snprintf(buf, len, "NUMA node %d", m->numas[ni].os);
	return buf;
}

const char *mck_keep_option(const struct mck_plan_policy *pol)
{
	switch (pol->keep) {
	case MCK_KEEP_PER_PACKAGE: return "--linux-cores-per-package";
	case MCK_KEEP_CPULIST: return "--linux-cpus";
	default: return "--linux-cores";
	}
}
