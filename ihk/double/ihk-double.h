/*
 * ihk-double.h: what the IHK double offers beyond libihk's own functions
 * (ihk/ihklib-abi.h). Used by the mcexec double and by tests; production
 * code never calls these.
 *
 * The double is configured by its state directory (see README.md):
 * $IHK_DOUBLE_STATE, else ihk_double_state of mckernel.conf, else
 * MCK_STATEDIR/ihk-double.
 */
#ifndef IHK_DOUBLE_H
#define IHK_DOUBLE_H

#include <stddef.h>

/*
 * Generation number of OS instance os: a new one at every create_os,
 * never reused on the node. -ENOENT when there is no such instance.
 */
int ihk_double_os_generation(int os);

/*
 * Copy the state directory in use into buf (NUL-terminated).
 * 0 or a negative errno (-ENAMETOOLONG when it does not fit).
 */
int ihk_double_state_dir(char *buf, size_t len);

/*
 * Make a booted instance fail now, as a real McKernel can:
 * what = "panic" (status PANIC, panic lines in kmsg) or "hang"
 * (status HUNGUP). Needs euid 0; -ENOENT without such an instance,
 * -EINVAL when it is not booted or what is unknown.
 */
int ihk_double_os_inject(int os, const char *what);

/*
 * The CPUs Linux still has on this node: the double's present CPUs minus
 * those reserved or assigned (offline on a real node). Fills up to max
 * entries, sorted; returns how many there are, or a negative errno.
 */
int ihk_double_online_cpus(int *cpus, int max);

#endif
