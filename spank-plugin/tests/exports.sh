#!/bin/sh
# The built plugin exports only what Slurm's plugin loader needs:
# slurm_spank_* callbacks and the plugin_* data (version script).
set -u
so="${top_builddir:-.}/spank-plugin/.libs/spank_mckernel.so"
# shellcheck disable=SC1091
. "${top_srcdir:?run me through make check}/tests/tap.sh"

[ -f "$so" ]; t $? "plugin built: $so"
syms=$(nm -D --defined-only "$so" 2>/dev/null | awk 'NF >= 3 { print $3 }' | sort -u)
[ -n "$syms" ]; t $? "nm -D lists defined symbols"
extra=$(printf '%s\n' "$syms" | grep -Ev '^(slurm_spank_[a-z_]+|plugin_name|plugin_type|plugin_version|spank_plugin_version)$')
[ -z "$extra" ]; t $? "no other exported symbol${extra:+: $(echo $extra)}"
for s in slurm_spank_init slurm_spank_init_post_opt slurm_spank_task_init \
	 slurm_spank_exit plugin_name plugin_type plugin_version; do
	printf '%s\n' "$syms" | grep -qx "$s"; t $? "exports $s"
done
# Internal helpers (common/, argv.c) stay hidden.
printf '%s\n' "$syms" | grep -q '^mck_'; [ $? != 0 ]; t $? "no mck_* helper leaks"
# Which task-launch path was built: 22.05 execs mcexec itself.
undef=$(nm -D --undefined-only "$so" | awk '{ print $NF }' | sed 's/@.*//')
if grep -q '^#define HAVE_SPANK_PREPEND_TASK_ARGV' "${top_builddir:-.}/config.h"; then
	printf '%s\n' "$undef" | grep -qx spank_prepend_task_argv; t $? "23.11 path uses spank_prepend_task_argv"
else
	printf '%s\n' "$undef" | grep -qx execve; t $? "22.05 path execs the rank through mcexec"
	printf '%s\n' "$undef" | grep -qx spank_prepend_task_argv; [ $? != 0 ]; t $? "22.05 path does not need spank_prepend_task_argv"
fi
tap_plan
