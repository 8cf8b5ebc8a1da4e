#!/bin/bash
# Quick start, step 1 (as root on Debian bookworm): install what is needed,
# build, start the test cluster and run the MPI demo job through McKernel:
#     srun -N2 -n4 --mpi=pmix --mckernel ./mpi_hello
# The cluster stays up afterwards; `test-cluster/cluster down` removes it.
set -euo pipefail
src=$(dirname "$(readlink -f "$0")")
build=${MCK_BUILD_DIR:-$src}
"$src/scripts/install-deps"
"$src/scripts/build" "$build"
build=$(readlink -f "$build")
cluster=$src/test-cluster/cluster
"$cluster" up --build "$build"
eval "$("$cluster" env)"
install -m 0755 "$build/tests/programs/mpi_hello" "$TC_SHARE/mpi_hello"

echo "== how each node is split (mck-maps --format picture):"
"$build/hwloc-maps/mck-maps" --topology "$TC_ROOT/etc/node-topology.xml" --format picture
for n in $TC_NODE_NAMES; do
	echo "== plan of $n as mcreboot.sh arguments (mckctl plan):"
	"$cluster" node "$n" "$build/lwk/mckctl" plan --format mcreboot
done
echo "== srun -N2 -n4 --mpi=pmix --mckernel ./mpi_hello  (as $TC_USER)"
"$cluster" run srun -N2 -n4 --mpi=pmix --mckernel ./mpi_hello
sleep 2
for n in $TC_NODE_NAMES; do
	echo "== $n after the job (mckctl check):"
	"$cluster" node "$n" "$build/lwk/mckctl" check && echo "$n: clean"
done
echo "The cluster is still up: try '$cluster run srun -N2 --mckernel hostname'; '$cluster down' removes it."
