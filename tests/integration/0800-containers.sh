#!/bin/bash
# Issue 14: srun --mckernel --container=BUNDLE runs the program inside the
# container's root filesystem through mcexec, with the rank's environment,
# bound to its share of the LWK CPUs; exit status and a killing signal pass
# through the container; a bundle that lacks what mcexec needs is refused
# at step start with one line naming what to add; an MPI step the
# container cannot authenticate is refused before it starts; scancel of a
# container job leaves the nodes clean. The test bundle is a Debian
# minbase built from packages (tests/containers/make-rootfs, cached).
. "$(dirname "$0")/lib.sh"

# Rootless runc (the test cluster's oci.conf) starts each container in a
# user namespace of the job's user; a node that refuses its users one
# cannot run any container step, with or without --mckernel.
if ! on_node node1 runuser -u "$TC_USER" -- unshare -Ur true >/dev/null 2>&1; then
	skip_all "node1 refuses user namespaces to $TC_USER (unshare -Ur), which rootless runc needs: Docker's default seccomp profile refuses them in a container without --privileged; the container tests run on the namespace cluster"
fi

CONF=$TC_ROOT/etc/mckernel.conf
MAKE_BUNDLE=$TOP_SRC/tests/containers/make-bundle
B=$TC_SHARE/bundle
conf_value() { sed -n "s/^$1 = //p" "${2:-$CONF}" | tail -n 1; }
DOUBLE_CONF=$(dirname "$CONF")/ihk-double.conf	# the IHK double's own settings
mcexec=$(conf_value mcexec)

# Mount points the step's mounts need (spank_mckernel(8), CONTAINERS).
points=(--dir "$(dirname "$mcexec")" --file "$CONF")
IFS=, read -ra extra <<<"$(conf_value container_mounts)"
for m in "${extra[@]}"; do
	m=$(echo "$m" | sed 's/^ *//; s/ *$//; s/:r[ow]$//')
	[ -n "$m" ] || continue
	if [ -d "$m" ] || [ "${m#/var/lib/slurm-mckernel}" != "$m" ]; then
		points+=(--dir "$m")
	else
		points+=(--file "$m")
	fi
done

# The nodes' Debian release (a compose cluster says; else this machine's).
export MCK_ROOTFS_SUITE=${TC_RELEASE:-}
[ -n "$MCK_ROOTFS_SUITE" ] || unset MCK_ROOTFS_SUITE
ok "the test bundle is built from Debian packages" "$MAKE_BUNDLE" "$B" "$TC_USER" "${points[@]}"
token=bundle-$RANDOM-$$
echo "$token" >"$B/rootfs/etc/mck-test-token"
codename=$(. "$B/rootfs/etc/os-release" && echo "$VERSION_CODENAME")

# One line per rank: rank, its parent, OMP_NUM_THREADS, CPUs, the operator's
# env list, the file only the bundle has.
probe='echo "job=$SLURM_JOB_ID rank=$SLURM_PROCID parent=$(cat /proc/$PPID/comm 2>/dev/null) omp=$OMP_NUM_THREADS cpus=$(sed -n "s/^Cpus_allowed_list:[[:space:]]*//p" /proc/self/status) gds=$PMIX_MCA_gds token=$(cat /etc/mck-test-token 2>/dev/null)"'

# --- without --mckernel: Slurm's own container step, untouched
out=$(as_user srun -N2 --container="$B" sh -c "$probe" 2>&1 | grep '^job=')
diag "$out"
is "$(grep -c "token=$token" <<<"$out")" 2 "no --mckernel: both tasks run in the bundle's root filesystem"
is "$(grep -c 'parent=mcexec' <<<"$out")" 0 "no --mckernel: no mcexec"

# --- with --mckernel
# (srun may say it waits for the nodes: only the probe's lines count)
ref=$(as_user srun -N2 --mckernel sh -c "$probe" 2>&1 | grep '^job=' | sort -t' ' -k2)
out=$(as_user srun -N2 --mckernel --container="$B" sh -c "$probe" 2>&1 | grep '^job=' | sort -t' ' -k2)
job=$(sed -n 's/^job=\([0-9]*\) .*/\1/p' <<<"$out" | head -n 1)
diag "$out"
is "$(grep -c "token=$token" <<<"$out")" 2 "--mckernel: both ranks run in the bundle's root filesystem"
is "$(grep -c 'parent=mcexec' <<<"$out")" 2 "--mckernel: each rank's parent is mcexec"
is "$(grep -o 'rank=[0-9]*' <<<"$out" | tr '\n' ' ')" "rank=0 rank=1 " "--mckernel: the ranks have their own SLURM_PROCID"
is "$(grep -c 'gds=hash' <<<"$out")" 2 "--mckernel: the operator's environment (PMIX_MCA_gds=hash) reaches the container"
same() { sed 's/^job=[0-9]* //; s/ token=.*//; s/ parent=[^ ]*//' <<<"$1"; }
is "$(same "$out")" "$(same "$ref")" \
	"--mckernel: the same rank, OMP_NUM_THREADS and CPU share as without the container"
ran_on() { # ran_on NODE JOB: the mcexec double recorded a run of JOB on NODE
	[ -n "$(runs_of "$1" "$2")" ]
}
for n in $TC_NODE_NAMES; do
	ok "--mckernel: mcexec ran job $job on $n" ran_on "$n" "$job"
done
out=$(as_user srun -N1 --mckernel --container="$B" sh -c '. /etc/os-release; echo "codename=$VERSION_CODENAME"' 2>&1 |
	sed -n 's/^codename=//p')
is "$out" "$codename" "--mckernel: the program sees the bundle's /etc/os-release"

# --- exit status and a killing signal pass through
as_user srun -N1 --mckernel --container="$B" sh -c 'exit 7' >/dev/null 2>&1
is "$?" 7 "exit status 7 passes through mcexec and the container"
as_user srun -N1 --container="$B" sh -c 'sh -c "kill -SEGV \$\$"' >/dev/null 2>&1
plain=$?
err=$(as_user srun -N1 --mckernel --container="$B" sh -c 'kill -SEGV $$' 2>&1 >/dev/null)
rc=$?
is "$rc" "$plain" "a program killed by SIGSEGV ends the step as in a container without --mckernel ($plain)"
ok "mcexec reports the signal" grep -q "Terminate by signal 11" <<<"$err"

# --- a bundle that lacks what mcexec needs: one line at step start
lacks() { # lacks NAME WHAT-IN-THE-MESSAGE: srun fails at once, with the line
	local start end err rc
	start=$(date +%s)
	err=$(as_user srun -N1 --mckernel --container="$TC_SHARE/$1" true 2>&1)
	rc=$?
	end=$(date +%s)
	diag "$err"
	[ "$rc" -ne 0 ] && [ $((end - start)) -lt 30 ] &&
		grep "^spank_mckernel: " <<<"$err" | grep -qF "$2"
}
# (the IHK double's state: /var/lib is root's in the bundle, where mcexec's
# directory may lie under the bundle's /tmp, a tmpfs runc can create it in)
double_state=$(conf_value state "$DOUBLE_CONF")
ok "a bundle without a mount point is built" "$MAKE_BUNDLE" "$TC_SHARE/no-mount-point" "$TC_USER" \
	--dir "$(dirname "$mcexec")" --file "$CONF" --file "$(conf_value topology "$DOUBLE_CONF")" \
	--file "$DOUBLE_CONF"
ok "a bundle without a mount point: refused, naming it" \
	lacks no-mount-point "lacks $double_state, the mount point of container_mounts of mckernel.conf"
ok "a bundle without a library mcexec needs is built" "$MAKE_BUNDLE" "$TC_SHARE/no-hwloc" "$TC_USER" "${points[@]}"
rm -f "$TC_SHARE"/no-hwloc/rootfs/usr/lib/*/libhwloc.so.*
ok "a bundle without libhwloc: refused, naming the library" lacks no-hwloc "lacks libhwloc.so.15"
ok "a bundle without objdump is built" "$MAKE_BUNDLE" "$TC_SHARE/no-objdump" "$TC_USER" "${points[@]}"
rm -f "$TC_SHARE"/no-objdump/rootfs/usr/bin/objdump "$TC_SHARE"/no-objdump/rootfs/usr/bin/*-objdump
ok "a bundle without objdump: refused, naming binutils" lacks no-objdump "has no objdump in its PATH"

# --- MPI: rootless runc runs the rank as uid 0 inside, which PMIx refuses
# (the step is refused before its program is looked at)
err=$(as_user srun -N2 --mpi=pmix --mckernel --container="$B" /usr/local/bin/mpi_hello 2>&1)
rc=$?
mpi_job=$(sed -n 's/^.*job \([0-9]*\) step.*/\1/p' <<<"$err" | head -n 1)
diag "$err"
ok "an MPI step in a rootless container is refused before it starts" \
	test "$rc" -ne 0 -a -n "$(grep '^spank_mckernel: .*--mpi=pmix.*uid 0' <<<"$err")"
stepds() { # slurmstepd processes of job $1 in this cluster's nodes
	local n pid c=0 ns
	for n in $TC_NODE_NAMES; do
		ns=$(ip netns identify "$(cat "$TC_ROOT/pids/$n.pid")")
		for pid in $(pgrep -f "slurmstepd: \[$1\." || true); do
			[ "$(ip netns identify "$pid")" = "$ns" ] && c=$((c + 1))
		done
	done
	echo "$c"
}
sleep 2
ok "the refused MPI step names its job" test -n "$mpi_job"
is "$(stepds "$mpi_job")" 0 "the refused MPI step leaves no slurmstepd behind"

# --- scancel of a container job
cat >"$TC_SHARE/container-sleep.sh" <<SCRIPT
#!/bin/bash
srun --container=$B sleep 600
SCRIPT
chmod 0755 "$TC_SHARE/container-sleep.sh"
containers_of() { # runc containers of job $1 on any node, one line each
	local n
	for n in $TC_NODE_NAMES; do
		on_node "$n" runuser -u "$TC_USER" -- runc --root=/tmp list -q 2>/dev/null | grep "\.$1\."
	done
}
running_on_all() { # every node runs a container of job $1 (up to 60 s)
	local i
	for i in $(seq 60); do
		[ "$(containers_of "$1" | wc -l)" -ge "$(echo "$TC_NODE_NAMES" | wc -w)" ] && return 0
		sleep 1
	done
	return 1
}
job=$(as_user sbatch --mckernel -N2 --parsable -o container-sleep-%j.out container-sleep.sh | cut -d';' -f1)
ok "scancel: container job $job runs on both nodes" running_on_all "$job"
as_user scancel "$job"
ok "scancel: the job is gone" wait_no_jobs 120
spool_left() { ls -d "$TC_ROOT"/nodes/*/spool/oci-job*"$1"* 2>/dev/null; }
sleep 2
is "$(containers_of "$job")" "" "scancel: no container of job $job is left"
is "$(spool_left "$job")" "" "scancel: no spooled bundle of job $job is left"
is "$(stepds "$job")" 0 "scancel: no slurmstepd of job $job is left"
ok "scancel: nodes are clean" wait_clean 60
is "$(spool_left '')" "" "no spooled bundle of any job is left"
done_testing
