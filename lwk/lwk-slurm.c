/*
 * lwk-slurm.c: whether Slurm still runs a job on this node, from what
 * slurmctld vouches for (scontrol -o show job, bounded, no shell), never
 * from a job's environment. A boot destroys another job's instance only
 * when Slurm says that job has left the node; when that cannot be told,
 * the boot is refused instead. See lwk-internal.h.
 */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lwk-internal.h"
#include "mck-drain.h"
#include "mck-util.h"

/* Job states in which the job still has (or is giving back) its nodes. */
static const char *const on_node_states[] = {
	"RUNNING", "SUSPENDED", "COMPLETING", "CONFIGURING", "STOPPED", "SIGNALING",
	"STAGE_OUT", "RESIZING", "REQUEUE_FED", "REQUEUE_HOLD", "RESV_DEL_HOLD",
	"SPECIAL_EXIT", "REQUEUED", "POWER_UP_NODE", "UPDATE_DB",
};
/* Job states in which it has none. */
static const char *const gone_states[] = {
	"PENDING", "COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL", "PREEMPTED",
	"BOOT_FAIL", "DEADLINE", "OUT_OF_MEMORY", "REVOKED",
};

static int in_list(const char *word, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(word, list[i]))
			return 1;
	return 0;
}

/* The value of KEY= in a "K=V K=V" line (copied, up to the next space). */
static int field(const char *line, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key);

	for (const char *p = line; (p = strstr(p, key)); p += kl) {
		if ((p == line || p[-1] == ' ' || p[-1] == '\n') && p[kl] == '=') {
			size_t n = strcspn(p + kl + 1, " \n");

			snprintf(buf, len, "%.*s", (int)n, p + kl + 1);
			return 0;
		}
	}
	return -1;
}

/* Run scontrol with args, output (stdout and stderr) into out; exit status or -1. */
static int run_scontrol(char *const args[], char *out, size_t len, int timeout_s,
			char *why, size_t wlen)
{
	char scontrol[PATH_MAX];
	char *argv[8];
	int a = 0, status, timed_out;

	if (mck_scontrol_path(scontrol, sizeof(scontrol))) {
		snprintf(why, wlen, "scontrol not found");
		return -1;
	}
	argv[a++] = scontrol;
	for (int i = 0; args[i] && a < 7; i++)
		argv[a++] = args[i];
	argv[a] = NULL;
	status = mck_run_bounded(argv, MCK_RUN_STDOUT, out, len, timeout_s, &timed_out);
	if (timed_out) {
		snprintf(why, wlen, "scontrol did not answer within %d s", timeout_s);
		return -1;
	}
	if (status < 0 || !WIFEXITED(status)) {
		snprintf(why, wlen, "scontrol failed to run");
		return -1;
	}
	return WEXITSTATUS(status);
}

/* Is node one of the hosts of the hostlist expression list? 1, 0, -1. */
static int node_in_list(const char *list, const char *node, int timeout_s, char *why,
			size_t wlen)
{
	char *args[] = { "show", "hostnames", (char *)list, NULL };
	char out[16384], *save = NULL;

	if (run_scontrol(args, out, sizeof(out), timeout_s, why, wlen) != 0) {
		if (!*why)
			snprintf(why, wlen, "scontrol show hostnames %.200s failed", list);
		return -1;
	}
	for (char *h = strtok_r(out, "\n", &save); h; h = strtok_r(NULL, "\n", &save))
		if (!strcmp(mck_trim(h), node))
			return 1;
	return 0;
}

int lwk_slurm_job_on_node(unsigned long job, const char *node, int timeout_s,
			  char *why, size_t len)
{
	char id[32], out[16384], state[64], nodes[4096];
	char *args[] = { "-o", "show", "job", id, NULL };
	double deadline = mck_now_ms() + timeout_s * 1000.0;
	int rc, left;

	why[0] = '\0';
	snprintf(id, sizeof(id), "%lu", job);
	rc = run_scontrol(args, out, sizeof(out), timeout_s, why, len);
	if (rc < 0)
		return -1;
	if (rc != 0) {
		/* purged from slurmctld (MinJobAge passed): long gone */
		if (strstr(out, "Invalid job id")) {
			snprintf(why, len, "slurmctld no longer knows job %lu", job);
			return 0;
		}
		out[strcspn(out, "\n")] = '\0';
		snprintf(why, len, "scontrol show job %lu: %.300s", job, *out ? out : "failed");
		return -1;
	}
	if (field(out, "JobState", state, sizeof(state))) {
		snprintf(why, len, "scontrol show job %lu: no JobState", job);
		return -1;
	}
	if (in_list(state, gone_states, sizeof(gone_states) / sizeof(gone_states[0]))) {
		snprintf(why, len, "Slurm says job %lu is %s", job, state);
		return 0;
	}
	if (!in_list(state, on_node_states, sizeof(on_node_states) / sizeof(on_node_states[0]))) {
		snprintf(why, len, "Slurm says job %lu is %s, a state not understood here", job, state);
		return -1;
	}
	if (field(out, "NodeList", nodes, sizeof(nodes)) || !strcmp(nodes, "(null)")) {
		snprintf(why, len, "Slurm says job %lu is %s on no node", job, state);
		return 0;
	}
	/* both questions together within timeout_s */
	left = (int)((deadline - mck_now_ms()) / 1000.0);
	rc = node_in_list(nodes, node, left > 0 ? left : 1, why, len);
	if (rc >= 0)
		snprintf(why, len, "Slurm says job %lu is %s on %s", job, state, nodes);
	return rc;
}
