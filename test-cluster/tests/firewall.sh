#!/bin/bash
# firewall.sh: the namespace cluster comes up on a host whose firewall
# drops forwarded traffic, as Docker leaves it (issue 15 item 5): in a
# network namespace of its own (the host's firewall is not touched), the
# FORWARD policy is DROP and net.bridge.bridge-nf-call-iptables=1; there
# `cluster up` must give a cluster whose nodes run jobs, through the one
# rule it added for its bridge, and `cluster down` must leave the chain and
# the interfaces exactly as they were.
#   firewall.sh [--build DIR]        as root; prints TAP
set -u
SELF=$(readlink -f "$0")
TOP_SRC=$(dirname "$(dirname "$(dirname "$SELF")")")
BUILD=$TOP_SRC
[ "${1:-}" = --build ] && BUILD=$(readlink -f "$2")
CLUSTER=$TOP_SRC/test-cluster/cluster

if [ -z "${MCK_FIREWALL_INSIDE:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (network namespaces)"; exit 0; }
	command -v iptables >/dev/null 2>&1 || { echo "not ok 1 - iptables is installed (apt-get install iptables)"; echo "1..1"; exit 1; }
	MCK_FIREWALL_INSIDE=1 exec unshare --net -- "$SELF" "$@"
fi

# shellcheck disable=SC1091
. "$TOP_SRC/tests/tap.sh"
links() { ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort; }
# A TCP connection from NODE to ADDRESS:PORT gets an answer (open or refused).
reaches() { # reaches NODE ADDRESS PORT
	local out
	out=$("$CLUSTER" node "$1" timeout 3 bash -c "exec 3<>/dev/tcp/$2/$3" 2>&1) && return 0
	grep -q refused <<<"$out"
}
blocked() { ! reaches "$@"; }

export MCK_TC_NAME=fw$$
iptables -P FORWARD DROP
echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null
ok "this namespace drops forwarded traffic: FORWARD policy DROP" sh -c "iptables -S FORWARD | grep -qx -- '-P FORWARD DROP'"
ok "... and bridged traffic passes iptables (bridge-nf-call-iptables=1)" \
	test "$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null)" = 1
before_rules=$(iptables -S)
before_links=$(links)

ok "cluster up (2 nodes) with FORWARD DROP" "$CLUSTER" up --nodes 2 --build "$BUILD"
eval "$("$CLUSTER" env 2>/dev/null)"
ok "the cluster added one FORWARD rule, for its bridge ${TC_BRIDGE:-?}" \
	test "$(iptables -S FORWARD | grep -c -- "-A FORWARD -i ${TC_BRIDGE:-none} -o ${TC_BRIDGE:-none} -j ACCEPT")" = 1
out=$("$CLUSTER" run srun -N2 hostname 2>&1)
ok "srun -N2 runs on both nodes ($(echo "$out" | sort | tr '\n' ' '))" test "$(echo "$out" | sort | tr '\n' ' ')" = "node1 node2 "
head_addr=$(sed -n 's/^SlurmctldHost=head(\(.*\))$/\1/p' "$TC_ROOT/etc/slurm.conf")
ok "node1 reaches slurmctld ($head_addr:6817) across the bridge" reaches node1 "$head_addr" 6817
# Without the rule, the same traffic is dropped: the rule is what makes it work.
iptables -D FORWARD -i "$TC_BRIDGE" -o "$TC_BRIDGE" -j ACCEPT
ok "without the cluster's rule, the bridge drops node1's traffic to the head" blocked node1 "$head_addr" 6817
iptables -I FORWARD -i "$TC_BRIDGE" -o "$TC_BRIDGE" -j ACCEPT

ok "cluster down" "$CLUSTER" down
ok "the firewall is as it was before up" test "$(iptables -S)" = "$before_rules"
ok "the interfaces are as they were before up" test "$(links)" = "$before_links"
ok "no namespace of the cluster left" test -z "$(ip netns list | grep "^mck-$MCK_TC_NAME-")"
ok "no directory of the cluster left" test ! -e "$TC_ROOT"
tap_plan
