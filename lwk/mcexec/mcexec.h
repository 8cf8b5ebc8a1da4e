/*
 * mcexec.h: the mcexec double's parts, shared by its source files.
 *
 *   mcexec.c            command line, the instance, checks, main
 *   mcexec-partition.c  -n N: the processes of one parent share the CPUs
 *   mcexec-run.c        binding, the proxy's CPUs, signals, watching
 *   mcexec-record.c     STATE/mcexec/osN/PID.rec
 */
#ifndef MCEXEC_DOUBLE_H
#define MCEXEC_DOUBLE_H

#include <limits.h>
#include <sys/types.h>

#define MCEXEC_MAX_NUMA 1024

struct opts {
	int nproc;		/* -n, 0 = no partitioning */
	int threads;		/* -t */
	int target_cpu;		/* -c, -1 = none */
	const char *numa_arg;	/* -m */
	int enable_uti;		/* --enable-uti */
	int nenv;		/* -e NAME=VALUE, first one of a name wins */
	char **env;
	int os;			/* leading decimal argument, default 0 */
	int prog_index;		/* argv index of the program */
};

/* The instance as this process sees it. */
struct lwk {
	char state[PATH_MAX];
	int devfd;		/* held open (O_PATH on a character device) */
	unsigned gen;
	int ncpus;
	int *cpus;		/* Linux CPU numbers, LWK CPU order */
	int nnuma;
	int numa[MCEXEC_MAX_NUMA];
};

struct share {
	int slot;		/* 0..N-1, -1 without partitioning */
	int first, count;	/* LWK CPU range */
};

struct record {
	char path[PATH_MAX + 64];
	char *text;		/* everything but the end lines */
};

/* mcexec-partition.c: take this process's share of the LWK CPUs. */
void take_share(const struct opts *o, const struct lwk *l, struct share *s);

/* mcexec-run.c */
int in_list(const int *v, int n, int x);
/* The Linux CPUs this (proxy) process may run on, as a list; exits like a
 * real node's refused sched_setaffinity when they are all LWK CPUs. */
char *proxy_cpus(const struct lwk *l);
/* Fork the program bound to its share and wait for it like mcexec. */
int run_program(const struct opts *o, const struct lwk *l, const char *program,
		char **argv, const int *numa, int nnuma, const struct share *s,
		struct record *rec, const char *proxy);

/* mcexec-record.c */
void record_start(struct record *r, const struct opts *o, const struct lwk *l, pid_t child,
		  const char *cpus, const char *numa, const char *argv0, const char *proxy);
void record_end(struct record *r, const char *key, const char *value);

#endif
