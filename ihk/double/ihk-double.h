/*
 * ihk-double.h: what the IHK double offers beyond libihk's own functions
 * (ihk/ihklib-abi.h). Used by the mcexec double, ihk-double-ctl and
 * tests; production code never calls these. None of them is fatal: they
 * look at the double's state without the real module's rules.
 *
 * The double finds its node by $IHK_DOUBLE_STATE, else ihk-double.conf
 * (see README.md), else MCK_STATEDIR/ihk-double.
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
 * Open a device of the double (STATE/dev/mcosN) read-write as mcexec
 * does; a character device without a driver is held with O_PATH once its
 * mode allows the caller read-write. A file descriptor, or -1 with errno.
 */
int ihk_double_open_device(const char *path);

/*
 * Make a booted instance fail now, as a real McKernel can:
 * what = "panic" (status PANIC, panic lines in kmsg) or "hang"
 * (status HUNGUP). Needs euid 0; -ENOENT without such an instance,
 * -EINVAL when it is not booted or what is unknown.
 */
int ihk_double_os_inject(int os, const char *what);

/*
 * The CPUs Linux still has on this node: the double's present CPUs minus
 * those reserved, assigned or leaked (offline on a real node). Fills up
 * to max entries, sorted; returns how many there are, or a negative errno.
 */
int ihk_double_online_cpus(int *cpus, int max);

/* Where an instance is in its life (what a status query may not show). */
enum ihk_double_phase {
	IHK_DOUBLE_CREATED,	/* never booted */
	IHK_DOUBLE_BOOTED,	/* booting, running, panicked, hung */
	IHK_DOUBLE_SHUTTING,	/* shutdown under way */
	IHK_DOUBLE_DOWN,	/* shut down */
};

struct ihk_double_peek {
	unsigned gen;		/* as ihk_double_os_generation */
	int phase;		/* enum ihk_double_phase */
	int status;		/* the IHK status value it has now */
	int poisoned;		/* a fatal call hit it: status/destroy kill */
};

/*
 * Look at instance os without touching it. 0, -ENOENT (no instance),
 * -EIO (the node's IHK crashed: ihk_double_crashed says why).
 */
int ihk_double_os_peek(int os, struct ihk_double_peek *p);

/* 1 and why (NUL-terminated) when the node's IHK crashed, 0 when not. */
int ihk_double_crashed(char *why, size_t len);

/*
 * Make the node if it is not there yet (root): dev/mcd0, Linux's view.
 * Every state-changing call does it too. 0 or a negative errno.
 */
int ihk_double_init(void);

/*
 * A node fresh from boot again (root): no reservation, no instance, no
 * crash or poison, every CPU online; double.conf, topology.xml,
 * events.log and mcexec.log stay. 0 or a negative errno.
 */
int ihk_double_reset(void);

/* What the node's double.conf says for the mcexec double. */
struct ihk_double_mcexec_conf {
	long startup_ms;	/* a draw of mcexec_latency_ms */
	int uti;		/* the McKernel build has UTI (--enable-uti) */
};
int ihk_double_mcexec_conf(struct ihk_double_mcexec_conf *out);

#endif
