/* mck-lists.c: see mck-lists.h. */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mck-lists.h"

/* A growable string. */
struct strbuf {
	char *s;
	size_t len, cap;
};

static int strbuf_add(struct strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int strbuf_add(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int need;

	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		need = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
		va_end(ap);
		if (need < 0)
			return -1;
		if (b->s && (size_t)need < room) {
			b->len += need;
			return 0;
		}
		size_t cap = b->cap ? b->cap * 2 : 64;
		while (cap < b->len + need + 1)
			cap *= 2;
		char *s = realloc(b->s, cap);
		if (!s)
			return -1;
		b->s = s;
		b->cap = cap;
	}
}

static char *strbuf_finish(struct strbuf *b)
{
	if (!b->s)
		return strdup("");
	return b->s;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Parse a non-negative decimal number at *p, advancing *p. */
static int parse_uint(const char **p, long *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)**p))
		return -1;
	errno = 0;
	v = strtol(*p, &end, 10);
	if (errno || v < 0 || v > 1000000)
		return -1;
	*p = end;
	*out = v;
	return 0;
}

int mck_cpulist_parse(const char *s, int **cpus, int *n, struct mck_error *err)
{
	const char *p = s;
	int *v = NULL, cnt = 0, cap = 0, i, j;

	*cpus = NULL;
	*n = 0;
	if (!s || !*s)
		return mck_fail(err, -EINVAL, "empty CPU list: expected numbers and ranges such as 1,2,4-7");
	while (*p) {
		long lo, hi;

		if (parse_uint(&p, &lo))
			goto bad;
		hi = lo;
		if (*p == '-') {
			p++;
			if (parse_uint(&p, &hi) || hi < lo)
				goto bad;
		}
		if (hi >= MCK_MAX_CPUS * 64)
			goto bad;
		for (long c = lo; c <= hi; c++) {
			if (cnt == cap) {
				cap = cap ? cap * 2 : 16;
				int *nv = realloc(v, cap * sizeof(*v));
				if (!nv) {
					free(v);
					return mck_fail(err, -ENOMEM, "out of memory");
				}
				v = nv;
			}
			v[cnt++] = (int)c;
		}
		if (*p == ',')
			p++;
		else if (*p)
			goto bad;
		if (*p == '\0' && p[-1] == ',')
			goto bad;
	}
	qsort(v, cnt, sizeof(*v), cmp_int);
	for (i = 0, j = 0; i < cnt; i++)
		if (j == 0 || v[j - 1] != v[i])
			v[j++] = v[i];
	*cpus = v;
	*n = j;
	return 0;
bad:
	free(v);
	return mck_fail(err, -EINVAL,
			"invalid CPU list '%s': expected ascending numbers and ranges such as 1,2,4-7", s);
}

char *mck_cpulist_format(const int *cpus, int n)
{
	struct strbuf b = { 0 };
	int *v, i;

	if (n <= 0)
		return strdup("");
	v = malloc(n * sizeof(*v));
	if (!v)
		return NULL;
	memcpy(v, cpus, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_int);
	for (i = 0; i < n;) {
		int j = i;

		while (j + 1 < n && v[j + 1] <= v[j] + 1)
			j++;
		if (strbuf_add(&b, "%s%d", b.len ? "," : "", v[i]))
			goto oom;
		if (v[j] != v[i] && strbuf_add(&b, "-%d", v[j]))
			goto oom;
		i = j + 1;
	}
	free(v);
	return strbuf_finish(&b);
oom:
	free(v);
	free(b.s);
	return NULL;
}

int mck_size_parse(const char *s, uint64_t *bytes)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (tolower((unsigned char)*end)) {
	case '\0': break;
	case 'k': shift = 10; end++; break;
	case 'm': shift = 20; end++; break;
	case 'g': shift = 30; end++; break;
	case 't': shift = 40; end++; break;
	default: return -1;
	}
	if (*end == 'i' || *end == 'I')	/* accept GiB-style "Gi" / "GiB" */
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -1;
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*bytes = (uint64_t)v << shift;
	return 0;
}

void mck_size_format(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = { 'T', 'G', 'M', 'k' };
	static const unsigned shifts[] = { 40, 30, 20, 10 };

	for (int i = 0; i < 4; i++) {
		uint64_t u = 1ULL << shifts[i];

		if (bytes && bytes % u == 0) {
			snprintf(buf, len, "%llu%c",
				 (unsigned long long)(bytes / u), units[i]);
			return;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)bytes);
}

int mck_memlist_parse(const char *s, struct mck_mem_chunk **chunks, int *n,
		      struct mck_error *err)
{
	struct mck_mem_chunk *v = NULL;
	int cnt = 0;
	char *copy, *tok, *save = NULL;

	*chunks = NULL;
	*n = 0;
	if (!s || !*s)
		return mck_fail(err, -EINVAL, "empty memory list");
	copy = strdup(s);
	if (!copy)
		return mck_fail(err, -ENOMEM, "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct mck_mem_chunk c = { .numa = -1 };
		char *at = strchr(tok, '@');
		long numa;

		if (at) {
			const char *p = at + 1;

			*at = '\0';
			if (parse_uint(&p, &numa) || *p)
				goto bad;
			c.numa = (int)numa;
		}
		if (!strcmp(tok, "all"))
			c.size = UINT64_MAX;
		else if (mck_size_parse(tok, &c.size) || c.size == 0)
			goto bad;
		if (cnt == MCK_MAX_MEM_CHUNKS)
			goto bad;
		struct mck_mem_chunk *nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv)
			goto bad;
		v = nv;
		v[cnt++] = c;
	}
	free(copy);
	if (!cnt)
		goto bad_nocopy;
	*chunks = v;
	*n = cnt;
	return 0;
bad:
	free(copy);
bad_nocopy:
	free(v);
	return mck_fail(err, -EINVAL,
			"invalid memory list '%s': expected SIZE[k|M|G|T][@NUMA],... such as 512M@0,1G@1, or all", s);
}

char *mck_memlist_format(const struct mck_mem_chunk *chunks, int n)
{
	struct strbuf b = { 0 };

	for (int i = 0; i < n; i++) {
		char size[32];

		if (chunks[i].size == UINT64_MAX)
			snprintf(size, sizeof(size), "all");
		else
			mck_size_format(chunks[i].size, size, sizeof(size));
		if (strbuf_add(&b, "%s%s", i ? "," : "", size))
			goto oom;
		if (chunks[i].numa >= 0 && strbuf_add(&b, "@%d", chunks[i].numa))
			goto oom;
	}
	return strbuf_finish(&b);
oom:
	free(b.s);
	return NULL;
}

int mck_ikcmap_parse(const char *s, struct mck_ikc_pair **pairs, int *n,
		     struct mck_error *err)
{
	struct mck_ikc_pair *v = NULL;
	int cnt = 0;
	char *copy, *tok, *save = NULL;
	struct mck_error sub;

	*pairs = NULL;
	*n = 0;
	if (!s || !*s)
		return mck_fail(err, -EINVAL, "empty IKC map");
	copy = strdup(s);
	if (!copy)
		return mck_fail(err, -ENOMEM, "out of memory");
	for (tok = strtok_r(copy, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
		char *colon = strrchr(tok, ':');
		const char *p;
		long dst;
		int *cpus, ncpus;

		if (!colon)
			goto bad;
		*colon = '\0';
		p = colon + 1;
		if (parse_uint(&p, &dst) || *p)
			goto bad;
		if (mck_cpulist_parse(tok, &cpus, &ncpus, &sub))
			goto bad;
		struct mck_ikc_pair *nv = realloc(v, (cnt + ncpus) * sizeof(*v));
		if (!nv) {
			free(cpus);
			goto bad;
		}
		v = nv;
		for (int i = 0; i < ncpus; i++) {
			v[cnt].lwk_cpu = cpus[i];
			v[cnt].linux_cpu = (int)dst;
			cnt++;
		}
		free(cpus);
	}
	free(copy);
	*pairs = v;
	*n = cnt;
	return 0;
bad:
	free(copy);
	free(v);
	return mck_fail(err, -EINVAL,
			"invalid IKC map '%s': expected CPULIST:LINUXCPU[+CPULIST:LINUXCPU...] such as 1-3:0+5-7:4", s);
}

char *mck_ikcmap_format(const struct mck_ikc_pair *pairs, int n)
{
	struct strbuf b = { 0 };
	int *done = calloc(n ? n : 1, sizeof(int));
	int *group = malloc((n ? n : 1) * sizeof(int));

	if (!done || !group)
		goto oom;
	for (int i = 0; i < n; i++) {
		int g = 0;
		char *list;

		if (done[i])
			continue;
		for (int j = i; j < n; j++)
			if (!done[j] && pairs[j].linux_cpu == pairs[i].linux_cpu) {
				group[g++] = pairs[j].lwk_cpu;
				done[j] = 1;
			}
		list = mck_cpulist_format(group, g);
		if (!list)
			goto oom;
		if (strbuf_add(&b, "%s%s:%d", b.len ? "+" : "", list, pairs[i].linux_cpu)) {
			free(list);
			goto oom;
		}
		free(list);
	}
	free(done);
	free(group);
	return strbuf_finish(&b);
oom:
	free(done);
	free(group);
	free(b.s);
	return NULL;
}

static const struct {
	unsigned kind;
	const char *name;
} memkinds[] = {
	{ MCK_MEMKIND_HBM, "hbm" },
	{ MCK_MEMKIND_CXL, "cxl" },
	{ MCK_MEMKIND_NVDIMM, "nvdimm" },
	{ MCK_MEMKIND_DAX, "dax" },
	{ MCK_MEMKIND_UNKNOWN, "unknown" },
	{ MCK_MEMKIND_GPU, "gpu" },
};

const char *mck_memkind_name(unsigned kind)
{
	for (size_t i = 0; i < sizeof(memkinds) / sizeof(memkinds[0]); i++)
		if (memkinds[i].kind == kind)
			return memkinds[i].name;
	return "?";
}

static unsigned memkind_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(memkinds) / sizeof(memkinds[0]); i++)
		if (!strcmp(memkinds[i].name, name))
			return memkinds[i].kind;
	return 0;
}

int mck_memonly_parse(const char *s, enum mck_memonly_mode *mode, unsigned *kinds,
		      struct mck_error *err)
{
	char *copy, *tok, *save = NULL;
	unsigned v = 0;
	int rc = -EINVAL;

	if (!s || !*s)
		return mck_fail(err, rc, "empty; give include, exclude or kinds from %s",
				MCK_MEMKINDS_NAMES);
	if (!strcmp(s, "include") || !strcmp(s, "exclude")) {
		*mode = !strcmp(s, "include") ? MCK_MEMONLY_INCLUDE : MCK_MEMONLY_EXCLUDE;
		*kinds = 0;
		return 0;
	}
	copy = strdup(s);
	if (!copy)
		return mck_fail(err, -ENOMEM, "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned k = memkind_by_name(tok);

		if (k == MCK_MEMKIND_GPU) {
			mck_fail(err, rc, "gpu: a GPU's memory is never given to McKernel (it belongs to the GPU)");
			goto fail;
		}
		if (!k) {
			mck_fail(err, rc, "'%.64s' is not a kind of memory-only node; give include, exclude or kinds from %s",
				 tok, MCK_MEMKINDS_NAMES);
			goto fail;
		}
		v |= k;
	}
	if (!v) {
		mck_fail(err, rc, "no kind given; give include, exclude or kinds from %s",
			 MCK_MEMKINDS_NAMES);
		goto fail;
	}
	*mode = MCK_MEMONLY_KINDS;
	*kinds = v;
	rc = 0;
fail:
	free(copy);
	return rc;
}

void mck_memonly_format(enum mck_memonly_mode mode, unsigned kinds, char *buf, size_t len)
{
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	if (mode != MCK_MEMONLY_KINDS || !kinds) {
		snprintf(buf, len, "%s", mode == MCK_MEMONLY_INCLUDE ? "include" : "exclude");
		return;
	}
	for (size_t i = 0; i < sizeof(memkinds) / sizeof(memkinds[0]) && used < len; i++)
		if (kinds & memkinds[i].kind)
			used += snprintf(buf + used, len - used, "%s%s", used ? "," : "",
					 memkinds[i].name);
}
