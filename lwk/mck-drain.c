/* mck-drain.c: see mck-drain.h. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mck-drain.h"
#include "mck-util.h"

#ifndef MCK_BINDIR
#define MCK_BINDIR "/usr/bin"
#endif

void mck_drain_reason(const char *text, char *buf, size_t len)
{
	size_t max = len < MCK_DRAIN_REASON_MAX ? len : MCK_DRAIN_REASON_MAX;
	size_t used;
	int space = 0;

	if (!max)
		return;
	used = snprintf(buf, max, "%s", MCK_DRAIN_PREFIX);
	if (used >= max)
		return;
	if (!strncmp(text, MCK_DRAIN_PREFIX, strlen(MCK_DRAIN_PREFIX)))
		text += strlen(MCK_DRAIN_PREFIX);
	for (const unsigned char *p = (const unsigned char *)text; *p && used + 1 < max; p++) {
		if (*p == '\n' || *p == '\r') {
			/* one line: "a\nb" -> "a; b" (trailing newlines dropped) */
			if (p[1] && p[1] != '\n' && p[1] != '\r' && used + 3 < max) {
				buf[used++] = ';';
				buf[used++] = ' ';
			}
			space = 1;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			if (!space)
				buf[used++] = ' ';
			space = 1;
			continue;
		}
		buf[used++] = (char)*p;
		space = *p == ' ';
	}
	while (used > strlen(MCK_DRAIN_PREFIX) && (buf[used - 1] == ' ' || buf[used - 1] == ';'))
		used--;
	buf[used] = '\0';
}

int mck_drain_node_name(char *buf, size_t len)
{
	const char *v = getenv("SLURMD_NODENAME");
	char host[256];

	if (v && *v && strlen(v) < len && !strpbrk(v, " \t\n=")) {
		snprintf(buf, len, "%s", v);
		return 0;
	}
	if (gethostname(host, sizeof(host)))
		return -1;
	host[sizeof(host) - 1] = '\0';
	host[strcspn(host, ".")] = '\0';
	if (!*host || strlen(host) >= len)
		return -1;
	snprintf(buf, len, "%s", host);
	return 0;
}

int mck_scontrol_path(char *buf, size_t len)
{
	const char *path = getenv("PATH");
	static const char *const fixed[] = { MCK_BINDIR, "/usr/bin", "/usr/local/bin" };

	if (path) {
		char *copy = strdup(path), *save = NULL;

		if (copy) {
			for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
				if (*d != '/')
					continue;
				snprintf(buf, len, "%s/scontrol", d);
				if (access(buf, X_OK) == 0) {
					free(copy);
					return 0;
				}
			}
			free(copy);
		}
	}
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		snprintf(buf, len, "%s/scontrol", fixed[i]);
		if (access(buf, X_OK) == 0)
			return 0;
	}
	return -1;
}

int mck_drain_node(const char *node, const char *text, int timeout_s,
		   char *errbuf, size_t errlen)
{
	char scontrol[PATH_MAX], node_arg[300], reason[MCK_DRAIN_REASON_MAX];
	char reason_arg[MCK_DRAIN_REASON_MAX + 16], out[1024];
	char *argv[8];
	int status, timed_out, rc = -1;

	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (!node || !*node || strpbrk(node, " \t\n=,")) {
		snprintf(errbuf, errlen, "drain: node name '%s' is not usable", node ? node : "");
		goto fail;
	}
	if (mck_scontrol_path(scontrol, sizeof(scontrol))) {
		snprintf(errbuf, errlen, "drain: scontrol not found in PATH, %s, /usr/bin, /usr/local/bin",
			 MCK_BINDIR);
		goto fail;
	}
	mck_drain_reason(text, reason, sizeof(reason));
	snprintf(node_arg, sizeof(node_arg), "NodeName=%s", node);
	snprintf(reason_arg, sizeof(reason_arg), "Reason=%s", reason);
	argv[0] = scontrol;
	argv[1] = "update";
	argv[2] = node_arg;
	argv[3] = "State=DRAIN";
	argv[4] = reason_arg;
	argv[5] = NULL;
	status = mck_run_bounded(argv, MCK_RUN_STDOUT, out, sizeof(out), timeout_s, &timed_out);
	if (timed_out) {
		snprintf(errbuf, errlen, "drain: %s update did not finish within %d s: killed",
			 scontrol, timeout_s);
		goto fail;
	}
	if (status < 0) {
		snprintf(errbuf, errlen, "drain: cannot run %s: %s", scontrol, strerror(errno));
		goto fail;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		out[strcspn(out, "\n")] = '\0';
		snprintf(errbuf, errlen, "drain: %s update NodeName=%s failed (status %d)%s%.300s",
			 scontrol, node, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			 *out ? ": " : "", out);
		goto fail;
	}
	rc = 0;
fail:
	return rc;
}

/*
 * The node's state and reason from `scontrol show node NODE`: 1 when it
 * is drained (DRAIN in State=), with *ours telling whether the reason is
 * one of ours; 0 when not drained; -1 when unknown.
 */
static int node_drain_state(const char *scontrol, const char *node, int timeout_s, int *ours)
{
	char out[8192], *state, *reason;
	char *argv[] = { (char *)scontrol, "show", "node", (char *)node, NULL };
	int status, timed_out;

	status = mck_run_bounded(argv, MCK_RUN_STDOUT, out, sizeof(out), timeout_s, &timed_out);
	if (timed_out || status < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	state = strstr(out, "State=");
	reason = strstr(out, "Reason=");
	if (!state)
		return -1;
	state[strcspn(state, " \n")] = '\0';
	*ours = reason && !strncmp(reason + 7, MCK_DRAIN_PREFIX, strlen(MCK_DRAIN_PREFIX));
	return strstr(state, "DRAIN") != NULL;
}

int mck_drain_node_persist(const char *node, const char *text, int timeout_s,
			   int watch_s, char *errbuf, size_t errlen)
{
	char scontrol[PATH_MAX];
	pid_t pid;
	int rc;

	rc = mck_drain_node(node, text, timeout_s, errbuf, errlen);
	if (rc || watch_s <= 0 || mck_scontrol_path(scontrol, sizeof(scontrol)))
		return rc;
	pid = fork();
	if (pid < 0)
		return 0;	/* drained; only the watcher is missing */
	if (pid == 0) {
		/* detached: own session, no inherited pipes (slurmd reads ours) */
		double deadline;
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		pid_t inner;

		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
			_exit(1);
		for (int fd = 3; fd < 1024; fd++)
			if (fd != null)
				close(fd);
		setsid();
		inner = fork();
		if (inner != 0)
			_exit(inner < 0);
		deadline = mck_now_ms() + watch_s * 1000.0;
		while (mck_now_ms() < deadline) {
			char e[256];
			int ours = 0, drained;

			sleep(1);
			drained = node_drain_state(scontrol, node, timeout_s, &ours);
			if (drained == 0)
				break;		/* resumed by the operator: done */
			if (drained == 1 && !ours) {
				mck_drain_node(node, text, timeout_s, e, sizeof(e));
				break;
			}
		}
		_exit(0);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return 0;
}
