/*
 * picture.c: the plan drawn per package, NUMA node and core, for an
 * operator: in the terminal (text) and as an SVG document.
 */
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
};

static void picture_free(struct picture *p)
{
	free(p->state);
	free(p->target);
	free(p->serves);
	mck_model_free(&p->m);
}

static int picture_build(hwloc_topology_t topo, const struct mck_plan *plan, struct picture *p)
{
	struct mck_error err = { 0 };
	int rc;

	memset(p, 0, sizeof(*p));
	rc = mck_model_build(topo, &p->m, &err);
	if (rc)
		return rc;
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
	for (int i = 0; i < plan->n_lwk; i++) {
		int c = plan->ikc[i].lwk_cpu, d = plan->ikc[i].linux_cpu;
		int ci = c >= 0 && c < p->m.max_os ? p->m.pu_by_os[c] : -1;
		int di = d >= 0 && d < p->m.max_os ? p->m.pu_by_os[d] : -1;

		if (ci < 0)
			continue;
		p->state[ci] = PIC_LWK;
		p->target[ci] = d;
		if (di >= 0)
			p->serves[di]++;
	}
	return 0;
}

/*
 * The CPU kinds legend of a hybrid part, e.g. "[P] performance (IntelCore):
 * CPUs 0-15; [E] efficiency (IntelAtom): CPUs 16,18"; NULL when the node has
 * fewer than two kinds or on allocation failure. malloc'd.
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
		int k = j == m->n_kinds ? -1 : m->kinds_ranked ? m->n_kinds - 1 - j : j, n = 0;
		char *list;

		for (int i = 0; i < m->n_pus; i++)
			if (m->pus[i].kind == k)
				cpus[n++] = m->pus[i].os;
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
		fprintf(f, ": CPUs %s", list ? list : "?");
		free(list);
	}
	free(cpus);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void numa_memory(const struct mck_plan *plan, int numa_os, uint64_t *lwk)
{
	*lwk = 0;
	for (int i = 0; i < plan->n_mem; i++)
		if (plan->mem[i].numa == numa_os)
			*lwk = plan->mem[i].size;
}

static void numa_title(const struct picture *p, const struct mck_plan *plan, int ni,
		       char *buf, size_t len)
{
	const struct mck_model_numa *n = &p->m.numas[ni];
	char total[32], lwk_s[32], linux_s[32];
	uint64_t lwk;

	numa_memory(plan, n->os, &lwk);
	mck_size_format(n->mem, total, sizeof(total));
	mck_size_format(lwk, lwk_s, sizeof(lwk_s));
	mck_size_format(n->mem - lwk, linux_s, sizeof(linux_s));
	if (n->n_pus)
		snprintf(buf, len, "NUMA %d: %s, McKernel %s, Linux %s", n->os, total, lwk_s,
			 linux_s);
	else
		snprintf(buf, len, "NUMA %d (memory only%s%s): %s, McKernel %s, Linux %s", n->os,
			 n->subtype ? ", " : "", n->subtype ? n->subtype : "", total, lwk_s,
			 linux_s);
}

int mck_plan_picture(hwloc_topology_t topo, const struct mck_plan *plan, FILE *out)
{
	struct picture p;
	char title[256];
	char *lwk = NULL, *ikc = NULL, *kinds, mark[16];
	int rc = picture_build(topo, plan, &p);

	if (rc)
		return rc;
	fprintf(out, "%d PUs, %d NUMA nodes: %d to McKernel, %d stay with Linux\n",
		p.m.n_pus, p.m.n_numas, plan->n_lwk, plan->n_linux);
	fputs("L n = Linux CPU n (* serves LWK system calls), M n>t = McKernel CPU n served by t,\n"
	      "- n = stays idle with Linux (SMT sibling, or outside the allowed cpuset)\n", out);
	kinds = kinds_legend(&p);
	if (kinds)
		fprintf(out, "CPU kinds: %s\n", kinds);
	free(kinds);
	for (int pkg = 0; pkg < p.m.n_pkgs; pkg++) {
		fprintf(out, "Package %d\n", pkg);
		for (int ni = 0; ni < p.m.n_numas; ni++) {
			if (p.m.numas[ni].pkg != pkg)
				continue;
			numa_title(&p, plan, ni, title, sizeof(title));
			fprintf(out, "  %s\n", title);
			for (int ci = 0; ci < p.m.n_cores; ci++) {
				const struct mck_model_core *c = &p.m.cores[ci];

				if (c->numa != ni)
					continue;
				fprintf(out, "    core %-4d", c->os >= 0 ? c->os : ci);
				if (p.m.n_kinds >= 2) {
					mck_model_kind_mark(&p.m, p.m.pus[c->first_pu].kind, mark,
							    sizeof(mark));
					fprintf(out, " [%s]", mark);
				}
				for (int k = 0; k < c->n_pu; k++) {
					int pi = c->first_pu + k;

					if (p.state[pi] == PIC_LWK)
						fprintf(out, " M %d>%d", p.m.pus[pi].os, p.target[pi]);
					else if (p.state[pi] == PIC_LINUX)
						fprintf(out, " L %d%s", p.m.pus[pi].os, p.serves[pi] ? "*" : "");
					else
						fprintf(out, " - %d", p.m.pus[pi].os);
				}
				fputc('\n', out);
			}
		}
	}
	for (int ni = 0; ni < p.m.n_numas; ni++) {
		if (p.m.numas[ni].pkg >= 0)
			continue;
		numa_title(&p, plan, ni, title, sizeof(title));
		fprintf(out, "%s\n", title);
	}
	lwk = mck_cpulist_format(plan->lwk_cpus, plan->n_lwk);
	ikc = mck_ikcmap_format(plan->ikc, plan->n_lwk);
	fprintf(out, "McKernel CPUs %s, IKC map %s\n", lwk ? lwk : "?", ikc ? ikc : "?");
	free(lwk);
	free(ikc);
	picture_free(&p);
	return ferror(out) ? -EIO : 0;
}

/* SVG layout, in pixels. */
#define CELL_W 56
#define CELL_H 30
#define PAD 8
#define TITLE_H 22
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

int mck_plan_svg(hwloc_topology_t topo, const struct mck_plan *plan, FILE *out)
{
	struct picture p;
	char title[256], label[64], mark[16], *kinds;
	int rc = picture_build(topo, plan, &p), max_pu = 1, core_w, numa_w, width, y;
	int height, legend_h;

	if (rc)
		return rc;
	kinds = kinds_legend(&p);
	legend_h = kinds ? TITLE_H : 0;
	for (int ci = 0; ci < p.m.n_cores; ci++)
		if (p.m.cores[ci].n_pu > max_pu)
			max_pu = p.m.cores[ci].n_pu;
	core_w = max_pu * CELL_W + 2 * PAD / 2;
	numa_w = CORES_PER_ROW * (core_w + PAD) + PAD;
	width = numa_w + 4 * PAD;

	/* Height: computed with the same walk as the drawing below. */
	height = TITLE_H + legend_h + 3 * PAD;
	for (int pkg = 0; pkg < p.m.n_pkgs; pkg++) {
		height += TITLE_H + PAD;
		for (int ni = 0; ni < p.m.n_numas; ni++) {
			int n_cores = 0;

			if (p.m.numas[ni].pkg != pkg)
				continue;
			for (int ci = 0; ci < p.m.n_cores; ci++)
				n_cores += p.m.cores[ci].numa == ni;
			height += TITLE_H + ((n_cores + CORES_PER_ROW - 1) / CORES_PER_ROW) *
				  (CELL_H + 2 * PAD) + 2 * PAD;
		}
		height += PAD;
	}
	for (int ni = 0; ni < p.m.n_numas; ni++)
		if (p.m.numas[ni].pkg < 0)
			height += TITLE_H + 2 * PAD;

	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"font-family=\"monospace\" font-size=\"12\">\n", width, height);
	fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", width, height);
	fprintf(out, "<text x=\"%d\" y=\"%d\">McKernel plan: %d LWK CPUs (blue, n&gt;t = served by Linux CPU t), "
		"%d Linux CPUs (green, * serves system calls; grey idle)</text>\n",
		PAD, TITLE_H - 6, plan->n_lwk, plan->n_linux);
	if (kinds) {
		fprintf(out, "<text class=\"kinds\" x=\"%d\" y=\"%d\">CPU kinds: ", PAD,
			TITLE_H + legend_h - 6);
		xml_text(out, kinds);
		fputs("</text>\n", out);
	}
	free(kinds);
	y = TITLE_H + legend_h + PAD;
	for (int pkg = 0; pkg < p.m.n_pkgs; pkg++) {
		int pkg_y = y;

		y += TITLE_H;
		fprintf(out, "<g class=\"package\">\n");
		for (int ni = 0; ni < p.m.n_numas; ni++) {
			int numa_y = y, col = 0, row_y;
			uint64_t lwk;

			if (p.m.numas[ni].pkg != pkg)
				continue;
			numa_title(&p, plan, ni, title, sizeof(title));
			numa_memory(plan, p.m.numas[ni].os, &lwk);
			y += TITLE_H;
			row_y = y + PAD;
			for (int ci = 0; ci < p.m.n_cores; ci++) {
				const struct mck_model_core *c = &p.m.cores[ci];
				int x;

				if (c->numa != ni)
					continue;
				if (col == CORES_PER_ROW) {
					col = 0;
					row_y += CELL_H + 2 * PAD;
				}
				x = 2 * PAD + PAD + col * (core_w + PAD);
				fprintf(out, "<rect class=\"core\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#eeeeee\" stroke=\"#888\"/>\n",
					x - 2, row_y - 2, c->n_pu * CELL_W + 4, CELL_H + 4);
				for (int k = 0; k < c->n_pu; k++) {
					int pi = c->first_pu + k;

					if (p.state[pi] == PIC_LWK)
						snprintf(label, sizeof(label), "%d&gt;%d", p.m.pus[pi].os, p.target[pi]);
					else
						snprintf(label, sizeof(label), "%d%s", p.m.pus[pi].os,
							 p.state[pi] == PIC_LINUX && p.serves[pi] ? "*" : "");
					fprintf(out, "<rect class=\"pu\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"white\"/>"
						"<text x=\"%d\" y=\"%d\" fill=\"white\">%s</text>\n",
						x + k * CELL_W, row_y, CELL_W, CELL_H, cell_fill(p.state[pi]),
						x + k * CELL_W + 4, row_y + CELL_H / 2 + 4, label);
				}
				if (p.m.n_kinds >= 2) {
					mck_model_kind_mark(&p.m, p.m.pus[c->first_pu].kind, mark,
							    sizeof(mark));
					fprintf(out, "<text class=\"kind\" x=\"%d\" y=\"%d\" font-size=\"9\" fill=\"white\">",
						x + c->n_pu * CELL_W - 14, row_y + 10);
					xml_text(out, mark);
					fputs("</text>\n", out);
				}
				col++;
			}
			y = row_y + CELL_H + 2 * PAD;
			fprintf(out, "<rect class=\"numa\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>\n",
				2 * PAD, numa_y, numa_w, y - numa_y - PAD / 2);
			/* memory bar: McKernel share in blue */
			fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"6\" fill=\"#6abf69\"/>"
				"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"6\" fill=\"#4a90d9\"/>\n",
				3 * PAD, numa_y + TITLE_H - 6, numa_w - 2 * PAD,
				3 * PAD, numa_y + TITLE_H - 6,
				p.m.numas[ni].mem ? (int)((double)lwk / (double)p.m.numas[ni].mem *
							   (numa_w - 2 * PAD)) : 0);
			fprintf(out, "<text x=\"%d\" y=\"%d\">", 3 * PAD, numa_y + TITLE_H - 9);
			xml_text(out, title);
			fputs("</text>\n", out);
		}
		y += PAD;
		fprintf(out, "<rect class=\"pkg\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"black\"/>"
			"<text x=\"%d\" y=\"%d\" font-weight=\"bold\">Package %d</text>\n</g>\n",
			PAD, pkg_y, numa_w + 2 * PAD, y - pkg_y - PAD / 2, 2 * PAD, pkg_y + TITLE_H - 6, pkg);
	}
	for (int ni = 0; ni < p.m.n_numas; ni++) {
		if (p.m.numas[ni].pkg >= 0)
			continue;
		numa_title(&p, plan, ni, title, sizeof(title));
		fprintf(out, "<text x=\"%d\" y=\"%d\">", PAD, y + TITLE_H - 6);
		xml_text(out, title);
		fputs("</text>\n", out);
		y += TITLE_H + 2 * PAD;
	}
	fputs("</svg>\n", out);
	picture_free(&p);
	return ferror(out) ? -EIO : 0;
}
