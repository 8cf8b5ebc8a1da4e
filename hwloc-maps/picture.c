/*
 * picture.c: the plan drawn per package, NUMA node and core, for an
 * operator: in the terminal (text) and as an SVG document. Both show the
 * same states (McKernel, Linux, idle), the plan's warnings, memory in one
 * unit per picture, and with MCK_PLAN_EXPLAIN every decision.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mck-plan.h"
#include "model.h"

enum { PIC_IDLE, PIC_LINUX, PIC_LWK };

struct picture {
	struct mck_model m;
	int *state;		/* per PU: PIC_* */
	int *target;		/* per PU: IKC target of an LWK PU, -1 */
	int *serves;		/* per PU: number of LWK CPUs it serves */
	uint64_t unit;		/* bytes of the picture's memory unit */
	char unit_name;		/* 'G', 'M' or 'k' */
};

static void picture_free(struct picture *p)
{
	free(p->state);
	free(p->target);
	free(p->serves);
	mck_model_free(&p->m);
}

static int pu_index(const struct picture *p, int os)
{
	return os >= 0 && os < p->m.max_os ? p->m.pu_by_os[os] : -1;
}

/* One unit for every size of the picture: the largest that every node's size reaches. */
static void picture_unit(struct picture *p)
{
	uint64_t min = 0;

	for (int i = 0; i < p->m.n_numas; i++)
		if (p->m.numas[i].mem && (!min || p->m.numas[i].mem < min))
			min = p->m.numas[i].mem;
	p->unit_name = min >= (1ULL << 30) ? 'G' : min >= (1ULL << 20) ? 'M' : 'k';
	p->unit = p->unit_name == 'G' ? 1ULL << 30 : p->unit_name == 'M' ? 1ULL << 20 : 1ULL << 10;
}

static int picture_build(hwloc_topology_t topo, const struct mck_plan *plan, struct picture *p)
{
	struct mck_error err = { 0 };
	int rc;

	memset(p, 0, sizeof(*p));
	rc = mck_model_build(topo, &p->m, &err);
	if (!rc)
		rc = mck_model_describe(topo, &p->m, &err);
	if (rc) {
		mck_model_free(&p->m);
		return rc;
	}
	p->state = calloc(p->m.n_pus, sizeof(int));
	p->target = calloc(p->m.n_pus, sizeof(int));
	p->serves = calloc(p->m.n_pus, sizeof(int));
	if (!p->state || !p->target || !p->serves) {
		picture_free(p);
		return -ENOMEM;
	}
	for (int i = 0; i < p->m.n_pus; i++) {
		p->state[i] = p->m.pus[i].allowed ? PIC_LINUX : PIC_IDLE;
		p->target[i] = -1;
	}
	for (int i = 0; i < plan->n_idle; i++)
		if (pu_index(p, plan->idle_cpus[i]) >= 0)
			p->state[pu_index(p, plan->idle_cpus[i])] = PIC_IDLE;
	for (int i = 0; i < plan->n_lwk; i++) {
		int ci = pu_index(p, plan->ikc[i].lwk_cpu), di = pu_index(p, plan->ikc[i].linux_cpu);

		if (ci < 0)
			continue;
		p->state[ci] = PIC_LWK;
		p->target[ci] = plan->ikc[i].linux_cpu;
		if (di >= 0)
			p->serves[di]++;
	}
	picture_unit(p);
	return 0;
}

/* A size in the picture's unit: "16G", "22.35G", "0G". */
static void size_text(const struct picture *p, uint64_t bytes, char *buf, size_t len)
{
	char *dot;

	snprintf(buf, len, "%.2f", (double)bytes / (double)p->unit);
	dot = strchr(buf, '.');
	if (dot) {
		char *end = buf + strlen(buf) - 1;

		while (end > dot && *end == '0')
			*end-- = '\0';
		if (end == dot)
			*end = '\0';
	}
	snprintf(buf + strlen(buf), len - strlen(buf), "%c", p->unit_name);
}

static const char *plural(int n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/*
 * The CPU kinds legend of a hybrid part, e.g. "[P] performance (IntelCore):
 * CPUs 0-15, McKernel; [E] efficiency (IntelAtom): CPUs 16,18, Linux"; NULL
 * when the node has fewer than two kinds or on allocation failure. malloc'd.
 */
static char *kinds_legend(const struct picture *p)
{
	const struct mck_model *m = &p->m;
	char *buf = NULL, mark[16];
	size_t len = 0;
	FILE *f;
	int *cpus;

	if (m->n_kinds < 2)
		return NULL;
	cpus = calloc(m->n_pus, sizeof(*cpus));
	f = cpus ? open_memstream(&buf, &len) : NULL;
	if (!f) {
		free(cpus);
		return NULL;
	}
	for (int j = 0; j <= m->n_kinds; j++) {
		/* P first when ranked, else in hwloc's order; PUs of no kind last */
		int k = j == m->n_kinds ? -1 : m->kinds_ranked ? m->n_kinds - 1 - j : j, n = 0, lwk = 0;
		char *list;

		for (int i = 0; i < m->n_pus; i++)
			if (m->pus[i].kind == k) {
				cpus[n++] = m->pus[i].os;
				lwk |= p->state[i] == PIC_LWK;
			}
		if (!n)
			continue;
		mck_model_kind_mark(m, k, mark, sizeof(mark));
		list = mck_cpulist_format(cpus, n);
		fprintf(f, "%s[%s] %s", ftell(f) ? "; " : "", mark,
			k < 0 ? "no kind" :
			!m->kinds_ranked ? "unranked kind" :
			k == m->n_kinds - 1 ? "performance" : k == 0 ? "efficiency" : "intermediate");
		if (k >= 0 && m->kind_type[k])
			fprintf(f, " (%s)", m->kind_type[k]);
		fprintf(f, ": CPUs %s, %s", list ? list : "?", lwk ? "McKernel" : "Linux");
		free(list);
	}
	free(cpus);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static uint64_t numa_lwk_memory(const struct mck_plan *plan, int numa_os)
{
	for (int i = 0; i < plan->n_mem; i++)
		if (plan->mem[i].numa == numa_os)
			return plan->mem[i].size;
	return 0;
}

/* "NUMA 1 (memory only, MCDRAM, used)": the node's name and what it is. */
static void numa_name(const struct picture *p, const struct mck_plan *plan, int ni,
		      char *buf, size_t len)
{
	const struct mck_model_numa *n = &p->m.numas[ni];
	const char *kind = n->subtype ? n->subtype : mck_memkind_name(n->memkind);

	if (ni == p->m.no_numa)
		snprintf(buf, len, "CPUs in no NUMA node");
	else if (n->n_pus)
		snprintf(buf, len, "NUMA %d", n->os);
	else
		snprintf(buf, len, "NUMA %d (memory only, %s%s, %s)", n->os, kind,
			 !n->subtype && n->memkind != MCK_MEMKIND_UNKNOWN ? " guessed" : "",
			 numa_lwk_memory(plan, n->os) ? "used" :
			 n->memkind == MCK_MEMKIND_GPU ? "never used" : "not used");
}

static void numa_title(const struct picture *p, const struct mck_plan *plan, int ni,
		       char *buf, size_t len)
{
	const struct mck_model_numa *n = &p->m.numas[ni];
	char name[96], total[32], lwk_s[32], linux_s[32];
	uint64_t lwk = numa_lwk_memory(plan, n->os);

	numa_name(p, plan, ni, name, sizeof(name));
	size_text(p, n->mem, total, sizeof(total));
	size_text(p, lwk, lwk_s, sizeof(lwk_s));
	size_text(p, n->mem - lwk, linux_s, sizeof(linux_s));
	if (ni == p->m.no_numa)
		snprintf(buf, len, "%s: no memory of their own", name);
	else
		snprintf(buf, len, "%s: %s, McKernel %s, Linux %s", name, total, lwk_s, linux_s);
}

static void print_warnings(const struct mck_plan *plan, FILE *out)
{
	for (int i = 0; i < plan->n_notes; i++)
		if (plan->notes[i].kind == MCK_NOTE_WARNING)
			fprintf(out, "warning: %s\n", plan->notes[i].text);
}

static void text_cores(const struct picture *p, int ni, FILE *out)
{
	char mark[16];

	for (int ci = 0; ci < p->m.n_cores; ci++) {
		const struct mck_model_core *c = &p->m.cores[ci];

		if (c->numa != ni)
			continue;
		fprintf(out, "    core %-4d", c->os >= 0 ? c->os : ci);
		if (p->m.n_kinds >= 2) {
			mck_model_kind_mark(&p->m, p->m.pus[c->first_pu].kind, mark, sizeof(mark));
			fprintf(out, " [%s]", mark);
		}
		for (int k = 0; k < c->n_pu; k++) {
			int pi = c->first_pu + k;

			if (p->state[pi] == PIC_LWK)
				fprintf(out, " M %d>%d", p->m.pus[pi].os, p->target[pi]);
			else if (p->state[pi] == PIC_LINUX)
				fprintf(out, " L %d%s", p->m.pus[pi].os, p->serves[pi] ? "*" : "");
			else
				fprintf(out, " - %d", p->m.pus[pi].os);
		}
		fputc('\n', out);
	}
}

int mck_plan_picture_flags(hwloc_topology_t topo, const struct mck_plan *plan,
			   unsigned flags, FILE *out)
{
	struct picture p;
	char title[320];
	char *lwk = NULL, *ikc = NULL, *kinds;
	int rc = picture_build(topo, plan, &p);

	if (rc)
		return rc;
	fprintf(out, "%d %s, %d %s: %d to McKernel, %d %s with Linux, %d idle\n",
		p.m.n_pus, plural(p.m.n_pus, "PU", "PUs"), p.m.n_numas,
		plural(p.m.n_numas, "NUMA node", "NUMA nodes"), plan->n_lwk, plan->n_linux,
		plural(plan->n_linux, "stays", "stay"), plan->n_idle);
	fputs("L n = Linux CPU n (* serves LWK system calls), M n>t = McKernel CPU n served by t,\n"
	      "- n = idle (the other hardware threads of McKernel's cores with --smt one,\n"
	      "      or outside the allowed cpuset)\n", out);
	kinds = kinds_legend(&p);
	if (kinds)
		fprintf(out, "CPU kinds: %s\n", kinds);
	free(kinds);
	print_warnings(plan, out);
	for (int j = 0; j <= p.m.n_pkgs; j++) {
		int pkg = j < p.m.n_pkgs ? j : -1;	/* machine-wide nodes last */

		if (pkg >= 0)
			fprintf(out, "Package %d\n", pkg);
		for (int ni = 0; ni < p.m.n_numas; ni++) {
			if (p.m.numas[ni].pkg != pkg)
				continue;
			numa_title(&p, plan, ni, title, sizeof(title));
			fprintf(out, "%s%s\n", pkg >= 0 ? "  " : "", title);
			text_cores(&p, ni, out);
		}
	}
	lwk = mck_cpulist_format(plan->lwk_cpus, plan->n_lwk);
	ikc = mck_ikcmap_format(plan->ikc, plan->n_lwk);
	fprintf(out, "McKernel CPUs %s, IKC map %s\n", lwk ? lwk : "?", ikc ? ikc : "?");
	free(lwk);
	free(ikc);
	for (int i = 0; i < plan->n_notes && (flags & MCK_PLAN_EXPLAIN); i++)
		if (plan->notes[i].kind != MCK_NOTE_WARNING)
			fprintf(out, "%s: %s\n", mck_plan_note_kind_name(plan->notes[i].kind),
				plan->notes[i].text);
	picture_free(&p);
	return ferror(out) ? -EIO : 0;
}

int mck_plan_picture(hwloc_topology_t topo, const struct mck_plan *plan, FILE *out)
{
	return mck_plan_picture_flags(topo, plan, 0, out);
}

/* SVG layout, in pixels. */
#define CELL_W 56
#define CELL_H 30
#define PAD 8
#define TITLE_H 22
#define MEMBAR_H 16
#define CORES_PER_ROW 8

static const char *cell_fill(int state)
{
	return state == PIC_LWK ? "#4a90d9" : state == PIC_LINUX ? "#6abf69" : "#c8c8c8";
}

static void xml_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", out);
		else if (*s == '>')
			fputs("&gt;", out);
		else if (*s == '&')
			fputs("&amp;", out);
		else
			fputc(*s, out);
	}
}

/* <text> of one line at (x, y): prefix and text. */
static void svg_line(FILE *out, const char *cls, int x, int y, const char *prefix,
		     const char *text)
{
	fprintf(out, "<text class=\"%s\" x=\"%d\" y=\"%d\">", cls, x, y);
	xml_text(out, prefix);
	xml_text(out, text);
	fputs("</text>\n", out);
}

struct svg {
	const struct picture *p;
	const struct mck_plan *plan;
	FILE *out;
	int core_w, numa_w;
};

static int numa_rows(const struct picture *p, int ni)
{
	int n = 0;

	for (int ci = 0; ci < p->m.n_cores; ci++)
		n += p->m.cores[ci].numa == ni;
	return (n + CORES_PER_ROW - 1) / CORES_PER_ROW;
}

/* The height of NUMA node ni's box: title, memory bar, rows of cores. */
static int numa_height(const struct picture *p, int ni)
{
	return TITLE_H + MEMBAR_H + numa_rows(p, ni) * (CELL_H + 2 * PAD) + PAD;
}

/* The height of the boxes of the NUMA nodes drawn at pkg, each with a gap. */
static int numas_height(const struct picture *p, int pkg)
{
	int h = 0;

	for (int ni = 0; ni < p->m.n_numas; ni++)
		if (p->m.numas[ni].pkg == pkg)
			h += numa_height(p, ni) + PAD;
	return h;
}

static void svg_core(const struct svg *s, const struct mck_model_core *c, int x, int y)
{
	const struct picture *p = s->p;
	char label[64], mark[16];

	fprintf(s->out, "<rect class=\"core\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#eeeeee\" stroke=\"#888\"/>\n",
		x - 2, y - 2, c->n_pu * CELL_W + 4, CELL_H + 4);
	for (int k = 0; k < c->n_pu; k++) {
		int pi = c->first_pu + k;

		if (p->state[pi] == PIC_LWK)
			snprintf(label, sizeof(label), "%d&gt;%d", p->m.pus[pi].os, p->target[pi]);
		else
			snprintf(label, sizeof(label), "%d%s", p->m.pus[pi].os,
				 p->state[pi] == PIC_LINUX && p->serves[pi] ? "*" : "");
		fprintf(s->out, "<rect class=\"pu\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"white\"/>"
			"<text x=\"%d\" y=\"%d\" fill=\"white\">%s</text>\n",
			x + k * CELL_W, y, CELL_W, CELL_H, cell_fill(p->state[pi]),
			x + k * CELL_W + 4, y + CELL_H / 2 + 4, label);
	}
	if (p->m.n_kinds >= 2) {
		mck_model_kind_mark(&p->m, p->m.pus[c->first_pu].kind, mark, sizeof(mark));
		fprintf(s->out, "<text class=\"kind\" x=\"%d\" y=\"%d\" font-size=\"9\" fill=\"white\">",
			x + c->n_pu * CELL_W - 14, y + 10);
		xml_text(s->out, mark);
		fputs("</text>\n", s->out);
	}
}

/* NUMA node ni's box at (x, y): title, labelled memory bar, its cores. */
static void svg_numa(const struct svg *s, int ni, int x, int y)
{
	const struct picture *p = s->p;
	const struct mck_model_numa *n = &p->m.numas[ni];
	uint64_t lwk = numa_lwk_memory(s->plan, n->os);
	int bar_w = s->numa_w - 2 * PAD, lwk_w, col = 0, row_y = y + TITLE_H + MEMBAR_H;
	char name[96], total[32], text[192], a[32], b[32];

	lwk_w = n->mem ? (int)((double)lwk / (double)n->mem * bar_w) : 0;
	numa_name(p, s->plan, ni, name, sizeof(name));
	size_text(p, n->mem, total, sizeof(total));
	size_text(p, lwk, a, sizeof(a));
	size_text(p, n->mem - lwk, b, sizeof(b));
	fprintf(s->out, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>\n",
		n->n_pus ? "numa" : "numa memory-only", x, y, s->numa_w, numa_height(p, ni));
	snprintf(text, sizeof(text), "%s: %s", name, total);
	svg_line(s->out, "numa-title", x + PAD, y + TITLE_H - 7, "", text);
	fprintf(s->out, "<rect class=\"membar\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#6abf69\"/>"
		"<rect class=\"membar-lwk\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#4a90d9\"/>\n",
		x + PAD, y + TITLE_H - 2, bar_w, MEMBAR_H - 2, x + PAD, y + TITLE_H - 2, lwk_w, MEMBAR_H - 2);
	snprintf(text, sizeof(text), "memory: McKernel %s (blue), Linux %s (green)", a, b);
	fprintf(s->out, "<text class=\"membar-label\" x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"white\">",
		x + PAD + 4, y + TITLE_H + MEMBAR_H - 7);
	xml_text(s->out, text);
	fputs("</text>\n", s->out);
	for (int ci = 0; ci < p->m.n_cores; ci++) {
		if (p->m.cores[ci].numa != ni)
			continue;
		if (col == CORES_PER_ROW) {
			col = 0;
			row_y += CELL_H + 2 * PAD;
		}
		svg_core(s, &p->m.cores[ci], x + PAD + col * (s->core_w + PAD), row_y + PAD);
		col++;
	}
}

/* The NUMA boxes drawn at pkg (-1: the machine's), from y; the y after them. */
static int svg_numas(const struct svg *s, int pkg, int x, int y)
{
	for (int ni = 0; ni < s->p->m.n_numas; ni++) {
		if (s->p->m.numas[ni].pkg != pkg)
			continue;
		svg_numa(s, ni, x, y);
		y += numa_height(s->p, ni) + PAD;
	}
	return y;
}

/* The header lines: legend, kinds, warnings; and with explain the notes at the end. */
static int svg_n_lines(const struct mck_plan *plan, int warnings)
{
	int n = 0;

	for (int i = 0; i < plan->n_notes; i++)
		n += (plan->notes[i].kind == MCK_NOTE_WARNING) == warnings;
	return n;
}

int mck_plan_svg_flags(hwloc_topology_t topo, const struct mck_plan *plan,
		       unsigned flags, FILE *out)
{
	struct picture p;
	struct svg s = { .p = &p, .plan = plan, .out = out };
	int rc = picture_build(topo, plan, &p), max_pu = 1, width, height, y, n_head;
	int explain = (flags & MCK_PLAN_EXPLAIN) != 0;
	char text[320], *kinds;

	if (rc)
		return rc;
	kinds = kinds_legend(&p);
	for (int ci = 0; ci < p.m.n_cores; ci++)
		if (p.m.cores[ci].n_pu > max_pu)
			max_pu = p.m.cores[ci].n_pu;
	s.core_w = max_pu * CELL_W;
	s.numa_w = CORES_PER_ROW * (s.core_w + PAD) + PAD;
	width = s.numa_w + 4 * PAD;
	n_head = 1 + (kinds != NULL) + svg_n_lines(plan, 1);
	height = n_head * TITLE_H + PAD + numas_height(&p, -1) + PAD +
		 (explain ? svg_n_lines(plan, 0) * TITLE_H : 0);
	for (int pkg = 0; pkg < p.m.n_pkgs; pkg++)
		height += TITLE_H + numas_height(&p, pkg) + 2 * PAD;

	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"font-family=\"monospace\" font-size=\"12\">\n", width, height);
	fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", width, height);
	snprintf(text, sizeof(text), "McKernel plan: %d LWK %s (blue, n>t = served by Linux CPU t), "
		 "%d Linux %s (green, * serves system calls), %d idle (grey)",
		 plan->n_lwk, plural(plan->n_lwk, "CPU", "CPUs"), plan->n_linux,
		 plural(plan->n_linux, "CPU", "CPUs"), plan->n_idle);
	y = TITLE_H;
	svg_line(out, "legend", PAD, y - 6, "", text);
	if (kinds) {
		y += TITLE_H;
		svg_line(out, "kinds", PAD, y - 6, "CPU kinds: ", kinds);
	}
	free(kinds);
	for (int i = 0; i < plan->n_notes; i++)
		if (plan->notes[i].kind == MCK_NOTE_WARNING) {
			y += TITLE_H;
			svg_line(out, "warning", PAD, y - 6, "warning: ", plan->notes[i].text);
		}
	y += PAD;
	for (int pkg = 0; pkg < p.m.n_pkgs; pkg++) {
		int pkg_h = TITLE_H + numas_height(&p, pkg) + PAD;

		fprintf(out, "<g class=\"package\">\n<rect class=\"pkg\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"black\"/>"
			"<text x=\"%d\" y=\"%d\" font-weight=\"bold\">Package %d</text>\n",
			PAD, y, s.numa_w + 2 * PAD, pkg_h, 2 * PAD, y + TITLE_H - 6, pkg);
		svg_numas(&s, pkg, 2 * PAD, y + TITLE_H);
		fputs("</g>\n", out);
		y += pkg_h + PAD;
	}
	y = svg_numas(&s, -1, PAD, y);
	for (int i = 0; i < plan->n_notes && explain; i++)
		if (plan->notes[i].kind != MCK_NOTE_WARNING) {
			snprintf(text, sizeof(text), "%s: ", mck_plan_note_kind_name(plan->notes[i].kind));
			y += TITLE_H;
			svg_line(out, "explain", PAD, y - 6, text, plan->notes[i].text);
		}
	fputs("</svg>\n", out);
	picture_free(&p);
	return ferror(out) ? -EIO : 0;
}

int mck_plan_svg(hwloc_topology_t topo, const struct mck_plan *plan, FILE *out)
{
	return mck_plan_svg_flags(topo, plan, 0, out);
}
