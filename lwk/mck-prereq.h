/*
 * mck-prereq.h: what a McKernel node needs besides slurm-mckernel itself.
 *
 *   mckctl prereq       the node's prerequisites: objdump on PATH, the IHK
 *                       kernel modules, libihk, the IHK device, the kernel
 *                       image and mcexec of mckernel.conf (and its UTI
 *                       support where mcexec_uti = yes)
 *   mckctl check-slurm  the slurm.conf (and its plugstack.conf, cgroup.conf)
 *                       settings that break McKernel nodes
 *
 * Both print one line per problem, each saying what to change, and exit 1
 * when something must be fixed. See mckctl(8) and doc/slurm-settings.md.
 */
#ifndef MCK_PREREQ_H
#define MCK_PREREQ_H

#include <stdio.h>

#include "mck-config.h"
#include "mck-error.h"

/* Where the running kernel lists its loaded modules. */
#define MCK_PREREQ_PROC_MODULES "/proc/modules"

/* The PATH looked at when none is given. */
#define MCK_PREREQ_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/*
 * The one check for binutils' objdump, which mcexec runs on every program
 * it loads: found as an executable on path_env (NULL or "": the default
 * PATH)? 0, or -ENOENT with the fixing line in why.
 */
int mck_prereq_objdump(const char *path_env, char *why, size_t len);

/*
 * The IHK modules missing from modules_file (the /proc/modules format: the
 * module name is the first word of a line), one line each to out, saying
 * how to load them. Returns the number missing, negative errno when the
 * file cannot be read (err says which).
 */
int mck_prereq_modules(const char *modules_file, FILE *out, struct mck_error *err);

/*
 * Whether the mcexec binary at path is built with UTI, read from the
 * binary itself (running it cannot tell: real mcexec opens /dev/mcosN
 * before it looks at --enable-uti). McKernel's mcexec.c refuses
 * --enable-uti only when built without UTI (#ifndef ENABLE_UTI: "uti is
 * not available when not configured with --with-syscall_intercept"), and
 * every mcexec that knows the option names it in its option table:
 *   MCK_UTI_WITHOUT  the refusal's text is in the binary
 *   MCK_UTI_WITH     it is not, but "enable-uti" is
 *   MCK_UTI_UNKNOWN  neither (not McKernel's mcexec: a wrapper script,
 *                    another launcher, a McKernel older than UTI)
 * Limits: a McKernel that rewords the refusal reads as MCK_UTI_WITH; a
 * wrapper script around mcexec reads as MCK_UTI_UNKNOWN. Returns one of
 * these, or a negative errno (err says why).
 */
enum mck_uti_build { MCK_UTI_UNKNOWN = 0, MCK_UTI_WITHOUT, MCK_UTI_WITH };
int mck_prereq_mcexec_uti(const char *path, struct mck_error *err);

/*
 * Every prerequisite of the node configured by cfg: objdump on path_env
 * (a PATH value), the IHK modules (modules_file; not checked when the
 * configured libihk is the IHK double, which exports ihk_double_state_dir
 * and stands in for the modules), libihk loadable with every call, IHK
 * device 0 reachable through it, device_dir and its mcd0, image, mcexec
 * (and, with mcexec_uti = yes, that it is built with UTI).
 * One line per missing item to out ("WHAT: PROBLEM: FIX"); verbose also
 * prints "ok: WHAT" for each item present. Returns the number missing.
 */
int mck_prereq_check(const struct mck_config *cfg, const char *modules_file,
		     const char *path_env, int verbose, FILE *out);

/*
 * Check the Slurm settings of slurm_conf (and the plugstack.conf and
 * cgroup.conf it implies) against cfg. Each finding is one line to out,
 * "FILE[:LINE]: error|warning|note: what: what to set". Returns 1 when
 * there is at least one error, 0 when none (warnings and notes allowed),
 * negative errno when slurm_conf cannot be read.
 */
/* The slurm.conf of this node: $SLURM_CONF, beside mckernel.conf, MCK_CONFDIR. */
void mck_slurm_conf_default(const struct mck_config *cfg, char *buf, size_t len);

/*
 * PrologEpilogTimeout of slurm_conf in seconds (read like check-slurm
 * reads it); 0 when unset or unlimited, -1 when the file cannot be read.
 */
long mck_slurm_prolog_epilog_timeout(const char *slurm_conf);

int mck_check_slurm(const struct mck_config *cfg, const char *slurm_conf, FILE *out,
		    struct mck_error *err);

/*
 * The mckctl subcommands "prereq" and "check-slurm": argv[0] is the
 * command word; config and partition are mckctl's --config and
 * --partition (may be NULL). Returns the exit status.
 */
int mck_prereq_command(int argc, char **argv, const char *config, const char *partition);

#endif
