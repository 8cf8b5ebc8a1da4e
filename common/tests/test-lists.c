/* Unit tests of the CPU, memory and IKC list forms. */
#include "config.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "mck-lists.h"
#include "mck-test.h"

static void cpulist_roundtrip(const char *in, const char *want, int count)
{
	int *cpus, n;
	struct mck_error err;
	char *out;

	ok(mck_cpulist_parse(in, &cpus, &n, &err) == 0, "parse '%s'", in);
	is_int(n, count, "'%s' has %d CPUs", in, count);
	out = mck_cpulist_format(cpus, n);
	is_str(out, want, "format '%s'", in);
	free(out);
	free(cpus);
}

static void cpulist_bad(const char *in)
{
	int *cpus, n;
	struct mck_error err = { 0 };

	is_int(mck_cpulist_parse(in, &cpus, &n, &err), -EINVAL, "reject CPU list '%s'", in);
	ok(strstr(err.msg, "expected") != NULL, "error says what is expected: %s", err.msg);
}

int main(void)
{
	struct mck_error err;

	cpulist_roundtrip("1,2,4-7", "1-2,4-7", 6);
	cpulist_roundtrip("7,6,5,1", "1,5-7", 4);
	cpulist_roundtrip("0", "0", 1);
	cpulist_roundtrip("3,3,3", "3", 1);
	cpulist_roundtrip("0-1023", "0-1023", 1024);
	cpulist_bad("");
	cpulist_bad("1,");
	cpulist_bad("a");
	cpulist_bad("5-3");
	cpulist_bad("1;2");
	cpulist_bad("-1");

	{
		struct mck_mem_chunk *c;
		int n;
		char *out;

		ok(mck_memlist_parse("512M@0,1G@1", &c, &n, &err) == 0, "parse memory list");
		is_int(n, 2, "two chunks");
		is_int(c[0].size, 512ULL << 20, "512M");
		is_int(c[0].numa, 0, "@0");
		is_int(c[1].size, 1ULL << 30, "1G");
		out = mck_memlist_format(c, n);
		is_str(out, "512M@0,1G@1", "format memory list");
		free(out);
		free(c);
		ok(mck_memlist_parse("all", &c, &n, &err) == 0 && n == 1 && c[0].size == UINT64_MAX,
		   "parse 'all'");
		free(c);
		ok(mck_memlist_parse("1536m@2", &c, &n, &err) == 0, "lower-case unit");
		out = mck_memlist_format(c, n);
		is_str(out, "1536M@2", "1536M stays in M");
		free(out);
		free(c);
		is_int(mck_memlist_parse("12X@0", &c, &n, &err), -EINVAL, "reject bad unit");
		is_int(mck_memlist_parse("1G@x", &c, &n, &err), -EINVAL, "reject bad node");
		is_int(mck_memlist_parse("0@0", &c, &n, &err), -EINVAL, "reject zero size");
	}
	{
		struct mck_ikc_pair *p;
		int n;
		char *out;

		ok(mck_ikcmap_parse("1-3:0+5-7:4", &p, &n, &err) == 0, "parse IKC map");
		is_int(n, 6, "six pairs");
		is_int(p[4].lwk_cpu, 6, "pair 4 src");
		is_int(p[4].linux_cpu, 4, "pair 4 dst");
		out = mck_ikcmap_format(p, n);
		is_str(out, "1-3:0+5-7:4", "format IKC map");
		free(out);
		free(p);
		is_int(mck_ikcmap_parse("1-3", &p, &n, &err), -EINVAL, "reject map without target");
		is_int(mck_ikcmap_parse("1-3:x", &p, &n, &err), -EINVAL, "reject bad target");
	}
	{
		enum mck_memonly_mode mode;
		unsigned kinds;
		char buf[64];

		ok(mck_memonly_parse("cxl,hbm", &mode, &kinds, &err) == 0 && mode == MCK_MEMONLY_KINDS &&
		   kinds == (MCK_MEMKIND_CXL | MCK_MEMKIND_HBM), "parse memory-only kinds");
		mck_memonly_format(mode, kinds, buf, sizeof(buf));
		is_str(buf, "hbm,cxl", "kinds format in one order");
		ok(mck_memonly_parse("include", &mode, &kinds, &err) == 0 && mode == MCK_MEMONLY_INCLUDE,
		   "include");
		mck_memonly_format(mode, kinds, buf, sizeof(buf));
		is_str(buf, "include", "include formats back");
		ok(mck_memonly_parse("exclude", &mode, &kinds, &err) == 0 && mode == MCK_MEMONLY_EXCLUDE,
		   "exclude");
		ok(mck_memonly_parse("hbm,gpu", &mode, &kinds, &err) == -EINVAL &&
		   strstr(err.msg, "never given to McKernel"), "gpu refused: %s", err.msg);
		ok(mck_memonly_parse("hbm,,", &mode, &kinds, &err) == 0 && kinds == MCK_MEMKIND_HBM,
		   "empty list items are skipped");
		ok(mck_memonly_parse(",", &mode, &kinds, &err) == -EINVAL && strstr(err.msg, "no kind"),
		   "no kind at all refused");
		ok(mck_memonly_parse("flash", &mode, &kinds, &err) == -EINVAL &&
		   strstr(err.msg, "hbm, cxl, nvdimm, dax, unknown"), "unknown kind names the kinds");
	}
	return done_testing();
}
