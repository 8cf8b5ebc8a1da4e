/*
 * test-schema.c: every key of the schema (common/mck-schema.h) through its
 * parser, its limits and who may set it, and the man pages and help text
 * against the rows: a man page that misses a key, or lists one the
 * schema does not have, fails here.
 */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mck-config.h"
#include "mck-options.h"
#include "mck-schema.h"
#include "mck-test.h"

/*
 * Values of every key: a good value with its canonical text, or a bad one
 * (canon NULL; range: refused as above IHK's cap, -ERANGE).
 */
static const struct {
	const char *key, *value, *canon;
	int range;
} cases[] = {
#define GOOD(k, v, c) { k, v, c, 0 }
#define BAD(k, v) { k, v, NULL, 0 }
#define RANGE(k, v) { k, v, NULL, 1 }
	GOOD("libihk", "/opt/ihk/lib/libihk.so", "/opt/ihk/lib/libihk.so"),
	BAD("libihk", "lib/libihk.so"),
	BAD("libihk", ""),
	GOOD("mcexec", "/opt/mck/bin/mcexec", "/opt/mck/bin/mcexec"),
	BAD("mcexec", "mcexec"),
	GOOD("mcexec_uti", "yes", "yes"),
	GOOD("mcexec_uti", "no", "no"),
	BAD("mcexec_uti", "maybe"),
	GOOD("mckctl", "/usr/sbin/mckctl", "/usr/sbin/mckctl"),
	BAD("mckctl", "./mckctl"),
	GOOD("image", "/opt/mck/mckernel.img", "/opt/mck/mckernel.img"),
	BAD("image", "mckernel.img"),
	GOOD("kargs", "hidos ksyslogd=0", "hidos ksyslogd=0"),
	GOOD("state_dir", "/var/lib/mck", "/var/lib/mck"),
	BAD("state_dir", "var/lib"),
	GOOD("device_dir", "/dev", "/dev"),
	BAD("device_dir", "dev"),
	GOOD("topology", "/etc/node.xml", "/etc/node.xml"),
	GOOD("topology", "", ""),
	GOOD("boot_timeout", "1", "1"),
	GOOD("boot_timeout", "3600", "3600"),
	BAD("boot_timeout", "0"),
	BAD("boot_timeout", "3601"),
	BAD("boot_timeout", "soon"),
	GOOD("shutdown_timeout", "30", "30"),
	BAD("shutdown_timeout", "-1"),
	GOOD("sysfs_dir", "/var/tmp/sys", "/var/tmp/sys"),
	BAD("sysfs_dir", "sys"),
	GOOD("metrics_file", "/var/lib/prometheus/node-exporter/mck.prom",
	     "/var/lib/prometheus/node-exporter/mck.prom"),
	GOOD("metrics_file", "", ""),
	BAD("metrics_file", "mck.prom"),
	GOOD("boot_report", "no", "no"),
	BAD("boot_report", "off"),
	GOOD("reservation", "keep", "keep"),
	GOOD("reservation", "per-job", "per-job"),
	BAD("reservation", "always"),
	GOOD("keep_idle", "0", "0"),
	GOOD("keep_idle", "604800", "604800"),
	BAD("keep_idle", "604801"),
	BAD("keep_idle", "5m"),
	GOOD("quiet", "yes", "yes"),
	BAD("quiet", "loud"),
	GOOD("ihk_destroy_unbooted", "safe", "safe"),
	GOOD("ihk_destroy_unbooted", "crash", "crash"),
	BAD("ihk_destroy_unbooted", "maybe"),
	GOOD("linux_cores", "2", "2"),
	BAD("linux_cores", "+2"),
	BAD("linux_cores", "2 "),
	GOOD("linux_cores_per_package", "3", "3"),
	BAD("linux_cores_per_package", "x"),
	GOOD("linux_cpus", "0,24-25", "0,24-25"),
	BAD("linux_cpus", "3-1"),
	BAD("linux_cpus", ""),
	GOOD("smt", "one", "one"),
	GOOD("smt", "all", "all"),
	BAD("smt", "ONE"),
	GOOD("lwk_cpu_kind", "auto", "auto"),
	GOOD("lwk_cpu_kind", "performance", "performance"),
	GOOD("lwk_cpu_kind", "all", "all"),
	BAD("lwk_cpu_kind", "efficiency"),
	GOOD("assistant_cores", "linux", "linux"),
	GOOD("assistant_cores", "mckernel", "mckernel"),
	BAD("assistant_cores", "some"),
	GOOD("mem_fraction", "0.5", "0.5"),
	GOOD("mem_fraction", ".25", "0.25"),
	GOOD("mem_fraction", "0.123456", "0.123456"),
	GOOD("mem_fraction", "0.95", "0.95"),
	RANGE("mem_fraction", "0.951"),
	RANGE("mem_fraction", "1"),
	BAD("mem_fraction", "0"),
	BAD("mem_fraction", "1.5"),
	BAD("mem_fraction", "0.1234567"),
	BAD("mem_fraction", "1e-1"),
	BAD("mem_fraction", "nan"),
	GOOD("mem_size", "8192M", "8G"),
	GOOD("mem_size", "4194304", "4M"),
	BAD("mem_size", "5M"),
	BAD("mem_size", "0"),
	GOOD("mem_keep", "2G", "2G"),
	BAD("mem_keep", "lots"),
	GOOD("memory_only_nodes", "dax,hbm,cxl", "hbm,cxl,dax"),
	GOOD("memory_only_nodes", "include", "include"),
	GOOD("memory_only_nodes", "exclude", "exclude"),
	BAD("memory_only_nodes", "hbm,gpu"),
	BAD("memory_only_nodes", "yes"),
	GOOD("ikc", "per-numa", "per-numa"),
	GOOD("ikc", "spread", "spread"),
	BAD("ikc", "round-robin"),
	GOOD("mpol_threshold", "1M", "1M"),
	GOOD("mpol_threshold", "0", "0"),
	BAD("mpol_threshold", "1M --foo"),
	GOOD("extend_heap_by", "8m", "8M"),
	BAD("extend_heap_by", ";rm"),
	GOOD("stack_premap", "2M:1G", "2M:1G"),
	GOOD("stack_premap", "2M,1G", "2M:1G"),
	GOOD("stack_premap", "0", "0"),
	BAD("stack_premap", "1G:2M"),
	BAD("stack_premap", ":2M"),
	GOOD("uti", "yes", "yes"),
	BAD("uti", "1"),
	GOOD("disable_sched_yield", "yes", "yes"),
	BAD("disable_sched_yield", "on"),
	GOOD("mpol_no_heap", "no", "no"),
	BAD("mpol_no_heap", "y"),
	GOOD("mpol_no_stack", "yes", "yes"),
	BAD("mpol_no_stack", "Y"),
	GOOD("mpol_no_bss", "yes", "yes"),
	BAD("mpol_no_bss", "ja"),
	GOOD("mpol_shm_premap", "yes", "yes"),
	BAD("mpol_shm_premap", "1"),
	GOOD("env", "A=1", "A=1"),
	GOOD("env", "", ""),
	BAD("env", "1X=2"),
	BAD("env", "A B=1"),
	GOOD("instance_policy", "per-step", "per-step"),
	BAD("instance_policy", "per-node"),
	GOOD("require_exclusive", "no", "no"),
	BAD("require_exclusive", "maybe"),
	GOOD("container_mounts", " /var/lib/x:ro, /opt/y:rw ,/z", " /var/lib/x:ro, /opt/y:rw ,/z"),
	GOOD("container_mounts", "", ""),
	BAD("container_mounts", "relative"),
	BAD("container_mounts", "/a:rx"),
	BAD("container_mounts", "/a b"),
	GOOD("user_keys", "smt mem", "mem, smt"),
	GOOD("user_keys", "all", "mem, linux_cores, smt, procs, mpol_threshold, extend_heap_by, "
	     "stack_premap, uti, quiet"),
	GOOD("user_keys", "", "none"),
	BAD("user_keys", "mem, image"),
	BAD("user_keys", "mem mem"),
	GOOD("max_mem_fraction", "0.95", "0.95"),
	RANGE("max_mem_fraction", "0.96"),
	GOOD("max_mem_size", "64G", "64G"),
	GOOD("max_mem_size", "0", "0"),
	BAD("max_mem_size", "lots"),
	GOOD("min_linux_cores", "1", "1"),
	BAD("min_linux_cores", "0"),
	GOOD("max_linux_cores", "0", "0"),
	BAD("max_linux_cores", "2000"),
	GOOD("max_procs_per_node", "0", "0"),
	BAD("max_procs_per_node", "-3"),
	GOOD("mem", "0.6", "0.6"),
	GOOD("mem", "8G", "8G"),
	GOOD("mem", "4096MiB", "4G"),
	RANGE("mem", "0.96"),
	BAD("mem", "5M"),
	BAD("mem", "1000000"),
	BAD("mem", ""),
	GOOD("procs", "4", "4"),
	BAD("procs", "99999999999"),
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Every case through mck_key_parse and mck_key_format. */
static void test_values(void)
{
	for (size_t i = 0; i < NCASES; i++) {
		const struct mck_key *k = mck_key_find(~0u, cases[i].key, strlen(cases[i].key));
		struct mck_error why = { 0 };
		struct mck_value v;
		char buf[256];
		int rc;

		if (!k) {
			ok(0, "%s is a key of the schema", cases[i].key);
			continue;
		}
		rc = mck_key_parse(k, cases[i].value, &v, &why);
		if (!cases[i].canon) {
			is_int(rc, cases[i].range ? -ERANGE : -EINVAL, "%s refuses '%s'%s", k->name,
			       cases[i].value, cases[i].range ? " as above IHK's cap" : "");
			continue;
		}
		is_int(rc, 0, "%s accepts '%s'", k->name, cases[i].value);
		mck_key_format(k, &v, buf, sizeof(buf));
		is_str(buf, cases[i].canon, "%s: '%s' reads as '%s'", k->name, cases[i].value,
		       cases[i].canon);
	}
}

/* Every row: tested above with a good and a bad value; its default parses; its limits hold. */
static void test_rows(void)
{
	const struct mck_key *keys;
	size_t n;

	keys = mck_keys(&n);
	for (size_t i = 0; i < n; i++) {
		const struct mck_key *k = &keys[i];
		int good = 0, bad = 0;

		for (size_t c = 0; c < NCASES; c++)
			if (!strcmp(cases[c].key, k->name))
				cases[c].canon ? good++ : bad++;
		ok(good && (bad || k->type == MCK_T_STRING), "%s: the cases hold a good value%s",
		   k->name, k->type == MCK_T_STRING ? "" : " and a bad one");
		ok(k->who && k->arg && k->expected && k->doc, "%s: who, arg, expected and doc", k->name);
		if (k->def) {
			struct mck_error why = { 0 };
			struct mck_value v;

			is_int(mck_key_parse(k, k->def, &v, &why), 0, "%s: the default '%s' parses",
			       k->name, k->def);
		}
		if (k->type == MCK_T_COUNT) {
			struct mck_value v;
			char s[32];
			int lo, hi;

			snprintf(s, sizeof(s), "%ld", k->min);
			lo = !mck_key_parse(k, s, &v, NULL);
			snprintf(s, sizeof(s), "%ld", k->max);
			hi = !mck_key_parse(k, s, &v, NULL);
			snprintf(s, sizeof(s), "%ld", k->min - 1);
			lo = lo && (k->min == 0 ? 1 : mck_key_parse(k, s, &v, NULL) == -EINVAL);
			snprintf(s, sizeof(s), "%ld", k->max + 1);
			hi = hi && mck_key_parse(k, s, &v, NULL) == -EINVAL;
			ok(lo && hi, "%s: %ld and %ld accepted, %ld and %ld refused", k->name, k->min,
			   k->max, k->min - 1, k->max + 1);
			ok(k->max <= (k->type == MCK_T_COUNT && !strcmp(k->arg, "SECONDS") ? MCK_KEEP_IDLE_MAX :
				      MCK_OPT_MAX_COUNT), "%s: at most the one count limit", k->name);
		}
		if (k->type == MCK_T_CHOICE) {
			struct mck_value v;

			for (long c = 0; k->choices[c]; c++)
				ok(!mck_key_parse(k, k->choices[c], &v, NULL) && v.n == c &&
				   strstr(k->expected, k->choices[c]) && strstr(k->arg, k->choices[c]),
				   "%s: '%s' is value %ld, expected and arg name it", k->name,
				   k->choices[c], c);
		}
	}
}

/* A good value of key from the cases. */
static const char *good_value(const char *key)
{
	for (size_t c = 0; c < NCASES; c++)
		if (!strcmp(cases[c].key, key) && cases[c].canon)
			return cases[c].value;
	return NULL;
}

/* mckernel.conf takes exactly the operator's keys, --mckernel the users', mck-maps its flags. */
static void test_who(void)
{
	const struct mck_key *keys;
	size_t n;

	keys = mck_keys(&n);
	for (size_t i = 0; i < n; i++) {
		const struct mck_key *k = &keys[i];
		const char *value = good_value(k->name);
		struct mck_error err = { 0 };
		struct mck_config cfg;
		struct mck_options o;
		char text[512], flag[64];
		int rc;

		if (!value)
			continue;
		/* uti = yes needs mcexec_uti; mem_fraction 0.95 needs max_mem_fraction */
		snprintf(text, sizeof(text), "%s%s%s = %s\n",
			 strcmp(k->name, "mcexec_uti") ? "mcexec_uti = yes\n" : "",
			 strcmp(k->name, "max_mem_fraction") ? "max_mem_fraction = 0.95\n" : "",
			 k->name, value);
		rc = mck_config_load_buffer(text, strlen(text), "who.conf", NULL, &cfg, &err);
		if (!rc)
			mck_config_free(&cfg);
		if (k->who & MCK_BY_OPERATOR)
			ok(rc == 0, "mckernel.conf: %s = %s (%s)", k->name, value, err.msg);
		else
			ok(rc == -EINVAL && strstr(err.msg, "unknown key"),
			   "mckernel.conf: %s is not an operator's key", k->name);

		snprintf(text, sizeof(text), "%s=%s", k->name, value);
		rc = mck_options_parse(text, &o, &err);
		if (k->who & MCK_BY_USER)
			ok(rc == 0 && o.set == MCK_OPT_BIT(k->opt) &&
			   mck_key_of_option(k->opt) == k, "--mckernel=%s (%s)", text, err.msg);
		else
			ok(rc == -EINVAL && strstr(err.msg, "unknown key"),
			   "--mckernel: %s is not a user's key", k->name);

		mck_key_flag(k, flag, sizeof(flag));
		ok(!(k->who & MCK_BY_MAPS) == !mck_key_find(MCK_BY_MAPS, flag + 2, strlen(flag + 2)),
		   "mck-maps %s %s", flag, k->who & MCK_BY_MAPS ? "is a flag" : "is no flag");
		if (k->who & MCK_BY_USER)
			ok(k->cfg[0] || k->opts[0] || k->opt == MCK_OPT_MEM, "%s: stored somewhere",
			   k->name);
	}
	for (int opt = 0; opt < MCK_OPT_NKEYS; opt++)
		ok(mck_key_of_option(opt) != NULL, "user key %d has a row", opt);
	ok(mck_key_find(MCK_BY_USER, "image", 5) == NULL && mck_key_find(MCK_BY_USER, "kargs", 5) == NULL &&
	   mck_key_find(MCK_BY_USER, "mcexec", 6) == NULL, "no path, image or kernel argument is a user key");
}

/* The messages of each interface name the key, the value and what is allowed. */
static void test_messages(void)
{
	const struct mck_key *smt = mck_key_find(MCK_BY_OPERATOR, "smt", 3);
	const struct mck_key *mem = mck_key_find(MCK_BY_USER, "mem", 3);
	const struct mck_key *frac = mck_key_find(MCK_BY_MAPS, "mem-fraction", 12);
	struct mck_error err = { 0 }, why = { 0 };

	mck_key_fail(&err, smt, MCK_BY_OPERATOR, "two", -EINVAL, &why);
	is_str(err.msg, "smt = 'two': expected all or one", "mckernel.conf's words");
	mck_key_fail(&err, smt, MCK_BY_USER, "two", -EINVAL, &why);
	is_str(err.msg, "--mckernel: smt='two' is not valid: expected all or one", "--mckernel's words");
	mck_key_fail(&err, smt, MCK_BY_MAPS, "two", -EINVAL, &why);
	is_str(err.msg, "--smt \"two\": give all or one", "mck-maps's words");
	mck_key_fail(&err, mem, MCK_BY_USER, "0.96", -ERANGE, &why);
	is_str(err.msg, "--mckernel: mem=0.96 is above 0.95: IHK reserves at most 95% of a NUMA "
	       "node's memory; ask for at most mem=0.95", "a user's value above IHK's cap");
	mck_key_fail(&err, frac, MCK_BY_MAPS, "0.99", -ERANGE, &why);
	is_str(err.msg, "--mem-fraction 0.99 is above 0.95: IHK reserves at most 95% of a NUMA "
	       "node's memory", "a flag above IHK's cap");
	mck_fail(&why, -EINVAL, "gpu: a GPU's memory is never given to McKernel");
	mck_key_fail(&err, mck_key_find(MCK_BY_MAPS, "memory-only-nodes", 17), MCK_BY_MAPS,
		     "hbm,gpu", -EINVAL, &why);
	is_str(err.msg, "--memory-only-nodes \"hbm,gpu\": gpu: a GPU's memory is never given to McKernel",
	       "a parser's own reason replaces the expected text");
	is_str(MCK_MEM_FRACTION_MAX_TEXT, "0.95", "the cap as text");
	ok(MCK_MEM_FRACTION_MAX == 0.95, "the cap as a number");
}

/* ------------------------------------------------------------ man pages */

static char *read_page(const char *rel)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	char *text = NULL;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", top ? top : ".", rel);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, n + 1);
	if (text && fread(text, 1, n, f) != (size_t)n) {
		free(text);
		text = NULL;
	}
	fclose(f);
	return text;
}

/* The text of section ".SH name" (up to the next .SH), in place. */
static char *section(char *page, const char *name)
{
	char head[64], *s, *end;

	snprintf(head, sizeof(head), "\n.SH %s\n", name);
	s = page ? strstr(page, head) : NULL;
	if (!s)
		return NULL;
	s += strlen(head) - 1;
	end = strstr(s, "\n.SH ");
	if (end)
		*end = '\0';
	return s;
}

/* A word list " a b c ": is name in it; add it once. */
static int has_name(const char *list, const char *name)
{
	char word[96];

	snprintf(word, sizeof(word), " %s ", name);
	return strstr(list, word) != NULL;
}

static void add_name(char *list, size_t len, const char *name, size_t n)
{
	char word[80];

	snprintf(word, sizeof(word), "%.*s", (int)n, name);
	if (!list[0])
		snprintf(list, len, " ");
	if (!has_name(list, word) && strlen(list) + strlen(word) + 2 < len)
		strcat(strcat(list, word), " ");
}

/*
 * The keys on the .TP heading lines of text:
 *   operator: a word right before a quoted " = ..." or ", " ("libihk " = PATH"),
 *   user:     every word ending in '=' ("mem= F|SIZE"),
 *   flags:    every \-\-word.
 */
static void headings(const char *text, int style, char *list, size_t len)
{
	const char *p = text;

	snprintf(list, len, " ");
	while (p && (p = strstr(p, "\n.TP\n"))) {
		const char *line = p + 5, *eol = strchr(line, '\n'), *w = line;

		p = eol;
		if (!eol)
			break;
		if (strncmp(line, ".B", 2))
			continue;
		w = strchr(line, ' ');
		while (w && w < eol) {
			size_t n;

			while (*w == ' ' || *w == '"')
				w++;
			if (style == 2 && !strncmp(w, "\\-\\-", 4)) {
				char flag[64];
				size_t f = 0;

				for (w += 4; w < eol && f < sizeof(flag) - 1 &&
				     (isalnum((unsigned char)*w) || *w == '\\' || *w == '-'); w++)
					if (*w != '\\')
						flag[f++] = *w;
				add_name(list, len, flag, f);
				continue;
			}
			n = strspn(w, "abcdefghijklmnopqrstuvwxyz_");
			if (style == 1 && n && w[n] == '=')
				add_name(list, len, w, n);
			if (style == 0 && n && w[n] == ' ' &&
			    (!strncmp(w + n, " \" = ", 5) || !strncmp(w + n, " \", \"", 5) ||
			     !strncmp(w + n, " \"\\fR, \\fP\"", 11)))
				add_name(list, len, w, n);
			w += n ? n : 1;
			w = w < eol ? strpbrk(w, " \"") : NULL;
		}
	}
}

/*
 * The names listed in a section of a man page are exactly the keys who
 * may set (their flags for MCK_BY_MAPS), plus extra (a word list of names
 * that are no key).
 */
static void page_lists(const char *rel, const char *sect, int style, unsigned who,
		       const char *extra)
{
	char *page = read_page(rel), *text = section(page, sect);
	char list[4096], missing[1024] = "", unknown[1024] = "";
	const struct mck_key *keys;
	size_t n;

	ok(text != NULL, "%s has a section %s", rel, sect);
	if (!text) {
		free(page);
		return;
	}
	headings(text, style, list, sizeof(list));
	keys = mck_keys(&n);
	for (size_t i = 0; i < n; i++) {
		char flag[64];
		const char *name = who == MCK_BY_MAPS ? mck_key_flag(&keys[i], flag, sizeof(flag)) + 2
						      : keys[i].name;

		if ((keys[i].who & who) && !has_name(list, name))
			add_name(missing, sizeof(missing), name, strlen(name));
	}
	for (char *w = strtok(list, " "); w; w = strtok(NULL, " "))
		if (!mck_key_find(who, w, strlen(w)) && !has_name(extra, w))
			add_name(unknown, sizeof(unknown), w, strlen(w));
	ok(!missing[0], "%s, %s: every key is listed%s%s", rel, sect, missing[0] ? "; missing: " : "",
	   missing);
	ok(!unknown[0], "%s, %s: every listed key is one of the schema%s%s", rel, sect,
	   unknown[0] ? "; not in it: " : "", unknown);
	free(page);
}

/* srun --help names every user key with its value and line. */
static void test_help(void)
{
	const char *help = mck_options_help();

	for (int opt = 0; opt < MCK_OPT_NKEYS; opt++) {
		const struct mck_key *k = mck_key_of_option(opt);
		char want[512];

		snprintf(want, sizeof(want), "%s=%s (%s)", k->name, k->arg, k->doc);
		ok(strstr(help, want) != NULL, "srun --help: %s", want);
	}
	ok(strlen(help) + 64 < 2048, "the help fits spank_mckernel's option usage buffer");
}

int main(void)
{
	test_values();
	test_rows();
	test_who();
	test_messages();
	test_help();
	page_lists("doc/mckernel.conf.5", "KEYS", 0, MCK_BY_OPERATOR, "");
	page_lists("doc/mckernel.conf.5", "USER OPTIONS", 1, MCK_BY_USER, "");
	page_lists("spank-plugin/spank_mckernel.8", "OPTIONS", 1, MCK_BY_USER, "");
	page_lists("hwloc-maps/mck-maps.1", "POLICY", 2, MCK_BY_MAPS, " job-cpus ");
	return done_testing();
}
