/* print.c: the plan's textual forms (mcreboot, JSON, ihk-env). */
#include "config.h"
#include <errno.h>
#include <stdlib.h>

#include "mck-plan.h"
#include "mck-util.h"

struct plan_strings {
	char *cpus, *mem, *ikc, *linux_cpus, *idle_cpus;
};

static void plan_strings_free(struct plan_strings *s)
{
	free(s->cpus);
	free(s->mem);
	free(s->ikc);
	free(s->linux_cpus);
	free(s->idle_cpus);
}

static int plan_strings_make(const struct mck_plan *plan, struct plan_strings *s)
{
	s->cpus = mck_cpulist_format(plan->lwk_cpus, plan->n_lwk);
	s->mem = mck_memlist_format(plan->mem, plan->n_mem);
	s->ikc = mck_ikcmap_format(plan->ikc, plan->n_lwk);
	s->linux_cpus = mck_cpulist_format(plan->linux_cpus, plan->n_linux);
	s->idle_cpus = mck_cpulist_format(plan->idle_cpus, plan->n_idle);
	if (!s->cpus || !s->mem || !s->ikc || !s->linux_cpus || !s->idle_cpus) {
		plan_strings_free(s);
		return -ENOMEM;
	}
	return 0;
}

static void print_int_array(FILE *out, const int *v, int n)
{
	fputc('[', out);
	for (int i = 0; i < n; i++)
		fprintf(out, "%s%d", i ? "," : "", v[i]);
	fputc(']', out);
}

/* "warnings" (always) or "explain" (every note): an array of strings. */
static void print_json_notes(const struct mck_plan *plan, int all, FILE *out)
{
	int n = 0;

	fprintf(out, ",\n  \"%s\": [", all ? "explain" : "warnings");
	for (int i = 0; i < plan->n_notes; i++) {
		const struct mck_plan_note *note = &plan->notes[i];
		char *line = NULL;

		if (!all && note->kind != MCK_NOTE_WARNING)
			continue;
		fprintf(out, "%s\n    ", n++ ? "," : "");
		if (all && asprintf(&line, "%s: %s", mck_plan_note_kind_name(note->kind),
				    note->text) >= 0) {
			mck_json_string(out, line);
			free(line);
		} else {
			mck_json_string(out, note->text);
		}
	}
	fputs(n ? "\n  ]" : "]", out);
}

/* Strings from the list formatters hold only digits, letters, ',', '-', ':', '+', '@'. */
static void print_json(const struct mck_plan *plan, const struct plan_strings *s,
		       unsigned flags, FILE *out)
{
	fprintf(out, "{\n  \"cpus\": \"%s\",\n  \"mem\": \"%s\",\n  \"ikc_map\": \"%s\",\n",
		s->cpus, s->mem, s->ikc);
	fprintf(out, "  \"linux_cpus\": \"%s\",\n  \"idle_cpus\": \"%s\",\n  \"lwk_cpu_order\": ",
		s->linux_cpus, s->idle_cpus);
	print_int_array(out, plan->lwk_cpus, plan->n_lwk);
	fputs(",\n  \"memory\": [", out);
	for (int i = 0; i < plan->n_mem; i++) {
		fprintf(out, "%s\n    {\"numa\": %d, \"bytes\": %llu", i ? "," : "",
			plan->mem[i].numa, (unsigned long long)plan->mem[i].size);
		if (plan->mem_total)
			fprintf(out, ", \"node_bytes\": %llu",
				(unsigned long long)plan->mem_total[i]);
		fputc('}', out);
	}
	fputs("\n  ],\n  \"ikc\": [", out);
	for (int i = 0; i < plan->n_lwk; i++)
		fprintf(out, "%s\n    {\"lwk_cpu\": %d, \"linux_cpu\": %d}", i ? "," : "",
			plan->ikc[i].lwk_cpu, plan->ikc[i].linux_cpu);
	fputs("\n  ]", out);
	print_json_notes(plan, 0, out);
	if (flags & MCK_PLAN_EXPLAIN)
		print_json_notes(plan, 1, out);
	fputs("\n}\n", out);
}

int mck_plan_print(const struct mck_plan *plan, enum mck_plan_format format, FILE *out)
{
	return mck_plan_print_flags(plan, format, 0, out);
}

int mck_plan_print_flags(const struct mck_plan *plan, enum mck_plan_format format,
			 unsigned flags, FILE *out)
{
	struct plan_strings s = { 0 };
	int rc = plan_strings_make(plan, &s);

	if (rc)
		return rc;
	switch (format) {
	case MCK_PLAN_MCREBOOT:
		fprintf(out, "-c %s -m %s -r %s\n", s.cpus, s.mem, s.ikc);
		break;
	case MCK_PLAN_JSON:
		print_json(plan, &s, flags, out);
		break;
	case MCK_PLAN_IHK_ENV:
		fprintf(out, "IHK_CPUS=%s\nIHK_MEM=%s\nIHK_IKC_MAP=%s\n", s.cpus, s.mem, s.ikc);
		break;
	default:
		rc = -EINVAL;
	}
	if (!rc && format != MCK_PLAN_JSON && (flags & MCK_PLAN_EXPLAIN))
		rc = mck_plan_explain(plan, "# ", out);
	plan_strings_free(&s);
	if (!rc && ferror(out))
		rc = -EIO;
	return rc;
}
