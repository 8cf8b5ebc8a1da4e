# m4 macros of slurm-mckernel, one per --with option or concern.

# AX_MCK_WARNINGS: -Wall -Wextra on everything; a call to an undeclared
# function is an error everywhere, as trixie's gcc 14 makes it.
AC_DEFUN([AX_MCK_WARNINGS], [
  AC_ARG_ENABLE([werror],
    [AS_HELP_STRING([--enable-werror], [treat compiler warnings as errors])])
  MCK_WARN_CFLAGS="-Wall -Wextra -Wshadow -Wformat=2 -Wno-unused-parameter -Werror=implicit-function-declaration"
  AS_IF([test "x$enable_werror" = xyes],
        [MCK_WARN_CFLAGS="$MCK_WARN_CFLAGS -Werror"])
  AC_SUBST([MCK_WARN_CFLAGS])
])

# AX_MCK_HARDENING: stack protector, FORTIFY_SOURCE, RELRO/now.
AC_DEFUN([AX_MCK_HARDENING], [
  MCK_HARDEN_CFLAGS="-fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIC"
  MCK_HARDEN_LDFLAGS="-Wl,-z,relro -Wl,-z,now"
  AC_SUBST([MCK_HARDEN_CFLAGS])
  AC_SUBST([MCK_HARDEN_LDFLAGS])
])

# AX_MCK_WITH_HWLOC: hwloc through pkg-config.
AC_DEFUN([AX_MCK_WITH_HWLOC], [
  PKG_CHECK_MODULES([HWLOC], [hwloc >= 2.0], [],
    [AC_MSG_ERROR([hwloc >= 2.0 not found: install libhwloc-dev])])
])

# AX_MCK_WITH_SLURM: --with-slurm=PREFIX, where include/slurm/spank.h lives.
AC_DEFUN([AX_MCK_WITH_SLURM], [
  AC_ARG_WITH([slurm],
    [AS_HELP_STRING([--with-slurm=PREFIX],
      [Slurm installation prefix holding include/slurm/spank.h (default: the system's)])],
    [], [with_slurm=check])
  SLURM_CPPFLAGS=
  AS_CASE([$with_slurm],
    [check|yes|""], [],
    [no], [AC_MSG_ERROR([slurm-mckernel needs Slurm's spank.h])],
    [SLURM_CPPFLAGS="-I$with_slurm/include"])
  mck_save_CPPFLAGS=$CPPFLAGS
  CPPFLAGS="$CPPFLAGS $SLURM_CPPFLAGS"
  AC_CHECK_HEADER([slurm/spank.h], [],
    [AC_MSG_ERROR([slurm/spank.h not found: install libslurm-dev or pass --with-slurm=PREFIX])])
  AC_MSG_CHECKING([Slurm version])
  AC_COMPUTE_INT([mck_slurm_version], [SLURM_VERSION_NUMBER],
    [#include <slurm/slurm_version.h>], [mck_slurm_version=0])
  SLURM_VERSION_STRING="$(( mck_slurm_version >> 16 )).$(( (mck_slurm_version >> 8) & 255 ))"
  AC_MSG_RESULT([$SLURM_VERSION_STRING])
  AC_CHECK_DECL([spank_prepend_task_argv],
    [mck_have_prepend=yes
     AC_DEFINE([HAVE_SPANK_PREPEND_TASK_ARGV], [1],
       [Define if spank.h declares spank_prepend_task_argv (Slurm 23.11+)])],
    [mck_have_prepend=no],
    [#include <slurm/spank.h>])
  CPPFLAGS=$mck_save_CPPFLAGS
  AC_SUBST([SLURM_CPPFLAGS])
  AC_SUBST([SLURM_VERSION_STRING])
  AM_CONDITIONAL([HAVE_SPANK_PREPEND], [test "x$mck_have_prepend" = xyes])
])

# AX_MCK_WITH_JSONC: --with-json-c[=yes|no|check] (default check): json-c, which
# the plugin and mck-oci-run use to change a container step's config.json
# (srun --mckernel --container). Without it container steps are refused
# with a message saying so.
AC_DEFUN([AX_MCK_WITH_JSONC], [
  AC_ARG_WITH([json-c],
    [AS_HELP_STRING([--with-json-c],
      [json-c for --mckernel container steps (default: use it when found)])],
    [], [with_json_c=check])
  mck_have_jsonc=no
  AS_IF([test "x$with_json_c" != xno], [
    PKG_CHECK_MODULES([JSONC], [json-c >= 0.13], [mck_have_jsonc=yes],
      [AS_IF([test "x$with_json_c" = xyes],
             [AC_MSG_ERROR([json-c >= 0.13 not found: install libjson-c-dev])],
             [AC_MSG_WARN([json-c not found: --mckernel container steps will be refused (install libjson-c-dev)])])])
  ])
  AS_IF([test "x$mck_have_jsonc" = xyes],
        [AC_DEFINE([HAVE_JSONC], [1], [Define if json-c is available (container steps)])])
  AM_CONDITIONAL([HAVE_JSONC], [test "x$mck_have_jsonc" = xyes])
])

# AX_MCK_WITH_IHK: --with-ihk=PREFIX, default location of the real libihk.so.
AC_DEFUN([AX_MCK_WITH_IHK], [
  AC_ARG_WITH([ihk],
    [AS_HELP_STRING([--with-ihk=PREFIX],
      [IHK installation prefix; its lib/libihk.so is the default libihk (default: /usr)])],
    [], [with_ihk=/usr])
  AS_IF([test -f "$with_ihk/lib64/libihk.so"],
        [IHK_LIBRARY="$with_ihk/lib64/libihk.so"],
        [IHK_LIBRARY="$with_ihk/lib/libihk.so"])
  AC_DEFINE_UNQUOTED([MCK_DEFAULT_LIBIHK], ["$IHK_LIBRARY"], [Default path of libihk.so])
  AC_SUBST([IHK_LIBRARY])
])

# AX_MCK_WITH_MPI: an MPI compiler for the demo and tests (optional).
AC_DEFUN([AX_MCK_WITH_MPI], [
  AC_ARG_VAR([MPICC], [MPI C compiler used for test programs])
  AC_PATH_PROGS([MPICC], [mpicc mpicc.openmpi], [])
  AM_CONDITIONAL([HAVE_MPICC], [test -n "$MPICC"])
])

# AX_MCK_PATHS: directories compiled into the programs.
AC_DEFUN([AX_MCK_PATHS], [
  AC_SUBST([slurmconfdir], ['${sysconfdir}/slurm'])
  AC_SUBST([mckstatedir], ['${localstatedir}/lib/slurm-mckernel'])
])

# AX_MCK_FUZZING: --enable-fuzzing builds the libFuzzer targets under fuzz/
# (needs CC=clang with libFuzzer: apt-get install clang libclang-rt-14-dev)
# and runs a short fuzzing session in `make check`. Independently, the
# replay drivers that run every target over its seed corpus are always
# built; MCK_SANITIZE_CFLAGS holds -fsanitize=address,undefined when the
# compiler can build and run such a program (empty otherwise).
AC_DEFUN([AX_MCK_FUZZING], [
  AC_ARG_ENABLE([fuzzing],
    [AS_HELP_STRING([--enable-fuzzing],
      [build libFuzzer targets and run a short fuzzing session in make check (needs CC=clang)])],
    [], [enable_fuzzing=no])
  MCK_FUZZ_CFLAGS=
  AS_IF([test "x$enable_fuzzing" = xyes], [
    AC_MSG_CHECKING([whether $CC builds libFuzzer targets])
    mck_save_CFLAGS=$CFLAGS
    CFLAGS="$CFLAGS -fsanitize=fuzzer,address,undefined"
    AC_LINK_IFELSE([AC_LANG_SOURCE([[
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }
]])], [AC_MSG_RESULT([yes])],
      [AC_MSG_RESULT([no])
       AC_MSG_ERROR([--enable-fuzzing needs clang with libFuzzer: apt-get install clang libclang-rt-14-dev, then configure CC=clang --enable-fuzzing])])
    CFLAGS=$mck_save_CFLAGS
    MCK_FUZZ_CFLAGS="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g"
  ])
  AC_MSG_CHECKING([whether $CC builds and runs programs with -fsanitize=address,undefined])
  mck_save_CFLAGS=$CFLAGS
  CFLAGS="$CFLAGS -fsanitize=address,undefined"
  AC_RUN_IFELSE([AC_LANG_PROGRAM([[#include <stdlib.h>]],
                                 [[char *p = malloc(4); p[0] = 1; free(p); return 0;]])],
    [MCK_SANITIZE_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
     AC_MSG_RESULT([yes])],
    [MCK_SANITIZE_CFLAGS=; AC_MSG_RESULT([no])],
    [MCK_SANITIZE_CFLAGS=; AC_MSG_RESULT([no (cross compiling)])])
  CFLAGS=$mck_save_CFLAGS
  AC_SUBST([MCK_FUZZ_CFLAGS])
  AC_SUBST([MCK_SANITIZE_CFLAGS])
  AM_CONDITIONAL([MCK_FUZZING], [test "x$enable_fuzzing" = xyes])
])
