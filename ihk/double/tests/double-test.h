/*
 * double-test.h: what the IHK double's C tests share: the double loaded
 * through the production loader, one fresh node (state directory) per
 * part, hardware from the 2-NUMA fixture (CPUs 0-7, 0-3 on node 0, 4-7
 * on node 1, 1 GiB per node), zero latency unless a part asks for more.
 */
#ifndef DOUBLE_TEST_H
#define DOUBLE_TEST_H

#include <limits.h>
#include <stddef.h>

#include "ihk-double.h"
#include "mck-ihk.h"

#define MiB (1UL << 20)

extern struct mck_ihk I;
extern char dt_base[PATH_MAX], dt_node[PATH_MAX + 64], dt_image[PATH_MAX + 64];

/* The double's extras, resolved in the loaded library. */
struct dt_extras {
	int (*os_generation)(int os);
	int (*os_inject)(int os, const char *what);
	int (*os_peek)(int os, struct ihk_double_peek *p);
	int (*crashed)(char *why, size_t len);
	int (*reset)(void);
	int (*init)(void);
	int (*online_cpus)(int *cpus, int max);
	int (*mcexec_conf)(struct ihk_double_mcexec_conf *out);
	int (*state_dir)(char *buf, size_t len);
};
extern struct dt_extras X;

/*
 * Set the test up: nothing from the caller's environment steers the
 * double, IHK_DOUBLE_LATENCY=zero, a temporary base directory, the
 * fixture topology, an image, the library. 0, 77 (not root: skip the
 * rest after the unprivileged checks the caller makes) or 1 (broken).
 */
int dt_setup(void);
/* Remove the base directory unless something failed (then say where). */
void dt_cleanup(int failed);

/* A node fresh from boot: a state directory that does not exist yet. */
void dt_new_node(const char *name);
void dt_write_conf(const char *text);
void dt_node_path(char *buf, size_t len, const char *rel);
/* The text of STATE/rel (malloc'd), NULL when unreadable. */
char *dt_read(const char *rel);
int dt_file_contains(const char *path, const char *needle);
int dt_count_lines_with(const char *path, const char *needle);
double dt_now_ms(void);
void dt_sleep_ms(long ms);

struct ihk_mem_chunk dt_chunk(unsigned long size, int numa);
/* Reserve CPUs 2,3,6,7 and 256M on each node, create, assign, load, kargs. */
int dt_prepare_os(const int *cpus, int ncpus);

/*
 * Run fn(arg) in a child process. 1 when the child died of SIGKILL,
 * 0 when it returned (fn's value in *rc), -1 otherwise.
 */
int dt_in_child(int (*fn)(void *), void *arg, int *rc);

#endif
