/*
 * test-report: the user's one line per job (report.c): the summary of the
 * nodes' figures (one line per plan, the longest boot, a missing node
 * said), and srun's listener with nodes' first tasks sending over the
 * loopback (token checked, printed once all nodes reported or at exit).
 */
#include "config.h"
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mck-spank.h"
#include "mck-test.h"
#include "report.h"

/* ---------------------------------------------- the fake SPANK runtime */
static uint32_t fake_nnodes;
static char fake_env[256];

spank_err_t spank_get_item(spank_t sp, spank_item_t item, ...)
{
	va_list ap;

	(void)sp;
	if (item != S_JOB_NNODES)
		return ESPANK_BAD_ARG;
	va_start(ap, item);
	*va_arg(ap, uint32_t *) = fake_nnodes;
	va_end(ap);
	return ESPANK_SUCCESS;
}

spank_err_t spank_setenv(spank_t sp, const char *var, const char *val, int overwrite)
{
	(void)sp;
	(void)overwrite;
	snprintf(fake_env, sizeof(fake_env), "%s=%s", var, val);
	return ESPANK_SUCCESS;
}

void slurm_debug(const char *fmt, ...)
{
	(void)fmt;
}

/* ------------------------------------------------------------ the tests */

static void test_summary(void)
{
	char *lines[] = {
		"node1 boot_ms=1500;cpus=6;mem=2G@0,2G@1;kmsg=/var/lib/slurm-mckernel/kmsg/17.kmsg",
		"node2 boot_ms=1620;cpus=6;mem=2G@0,2G@1;kmsg=/var/lib/slurm-mckernel/kmsg/17.kmsg",
		"node3 boot_ms=900;cpus=2;mem=1G@0,512M@1;kmsg=/var/lib/slurm-mckernel/kmsg/17.kmsg",
		"garbage",
	};
	char out[2048];

	is_int(mck_report_summary(lines, 2, 2, out, sizeof(out)), 1, "two nodes, one plan: one line");
	is_str(out, "mckernel: 2 nodes: McKernel booted in 1.62 s (max), 6 CPUs, 2 x 2.0 GiB per "
	       "node; kernel messages: /var/lib/slurm-mckernel/kmsg/17.kmsg\n",
	       "the line says the nodes, the longest boot, CPUs, memory, kmsg");
	is_int(mck_report_summary(lines, 4, 4, out, sizeof(out)), 2, "two plans: two lines");
	ok(strstr(out, "mckernel: 1 node: McKernel booted in 0.90 s, 2 CPUs, 1.0 + 0.5 GiB per node") &&
	   strstr(out, "(3 of 4 nodes reported)"), "a node alone, unequal memory, a bad line left "
	   "out and said (%s)", out);
	is_int(mck_report_summary(lines + 3, 1, 1, out, sizeof(out)), 0, "nothing valid: no line");
}

/* stderr into a file while fn runs; its content in out. */
static void capture_stderr(void (*fn)(void), char *out, size_t len)
{
	char path[] = "/tmp/test-report.XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	ssize_t n;

	fflush(stderr);
	dup2(fd, 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, out, len - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
}

static struct mck_spank_ctx ctx;

static void send_as(const char *node, const char *env_report)
{
	char e1[300], e2[64];
	char *env[] = { e1, "SLURM_SRUN_COMM_HOST=127.0.0.1", e2, NULL };

	snprintf(e1, sizeof(e1), "%s", env_report);
	snprintf(e2, sizeof(e2), "SLURMD_NODENAME=%s", node);
	snprintf(ctx.node_report, sizeof(ctx.node_report),
		 "boot_ms=1500;cpus=6;mem=2G@0,2G@1;kmsg=/k/17.kmsg");
	mck_report_send(&ctx, env);
}

static void two_nodes(void)
{
	char forged[300];

	ok(mck_report_listen(NULL, &ctx) == 0 && ctx.report, "srun listens");
	ok(!strncmp(fake_env, MCK_REPORT_ENV "=", strlen(MCK_REPORT_ENV) + 1) &&
	   strchr(fake_env, ':'), "and tells the tasks where (%s)", fake_env);
	/* a connection with another token is ignored */
	snprintf(forged, sizeof(forged), "%.*s:0123456789abcdef0123456789abcdef",
		 (int)strcspn(fake_env, ":"), fake_env);
	send_as("intruder", forged);
	send_as("node1", fake_env);
	send_as("node2", fake_env);
	usleep(300 * 1000);	/* the listener prints once both came */
	mck_report_finish(&ctx);
}

static void one_of_two(void)
{
	mck_report_listen(NULL, &ctx);
	send_as("node1", fake_env);
	mck_report_finish(&ctx);	/* srun ends: what came */
}

static void quiet_node(void)
{
	mck_report_listen(NULL, &ctx);
	mck_report_finish(&ctx);	/* no node had anything to say: no line */
}

int main(void)
{
	char out[2048];

	test_summary();
	fake_nnodes = 2;
	capture_stderr(two_nodes, out, sizeof(out));
	is_str(out, "mckernel: 2 nodes: McKernel booted in 1.50 s (max), 6 CPUs, 2 x 2.0 GiB per "
	       "node; kernel messages: /k/17.kmsg\n", "one line for two nodes, the forged one ignored");
	capture_stderr(one_of_two, out, sizeof(out));
	ok(strstr(out, "mckernel: 1 node: McKernel booted in 1.50 s") &&
	   strstr(out, "(1 of 2 nodes reported)"), "at exit, what came, and that a node is missing");
	capture_stderr(quiet_node, out, sizeof(out));
	is_str(out, "", "no report, no line");
	return done_testing();
}
