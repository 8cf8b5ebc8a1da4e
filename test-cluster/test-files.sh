#!/bin/bash
# Checks the test cluster's files without starting anything: scripts parse,
# `cluster config` writes a consistent configuration, and the Docker files
# are valid (docker-compose.yml parses and names what the Dockerfile builds).
set -u
src=${top_srcdir:-$(dirname "$0")/..}
# shellcheck disable=SC1091
. "$src/tests/tap.sh"

for f in cluster host-exec docker-entry compose base-image tests/firewall.sh; do
	ok "$f parses" bash -n "$src/test-cluster/$f"
done
# Cluster names (MCK_TC_NAME): longer names are fine, bad ones refused first.
name_ok() { ! MCK_TC_NAME=$1 "$src/test-cluster/$2" env 2>&1 | grep -q 'MCK_TC_NAME must be'; }
name_bad() { MCK_TC_NAME=$1 "$src/test-cluster/$2" env 2>&1 | grep -q "MCK_TC_NAME must be .*not '$1'"; }
for c in cluster compose; do
	ok "$c: MCK_TC_NAME=bench (bench/bench-cluster.sh's default) is accepted" name_ok bench $c
	ok "$c: a 32-character name is accepted" name_ok abcdefghijklmnopqrstuvwxyz-12345 $c
	ok "$c: a 33-character name is refused" name_bad abcdefghijklmnopqrstuvwxyz-123456 $c
	ok "$c: an upper-case name is refused" name_bad Bench $c
	ok "$c: a name ending with '-' is refused" name_bad bench- $c
done
out=$(mktemp -d)
ok "cluster config writes files" "$src/test-cluster/cluster" config "$out" --nodes 3 --build /opt/b
ok "slurm.conf has 3 nodes" test "$(grep -c '^NodeName=node[123] ' "$out/slurm.conf")" = 3
ok "slurm.conf runs the prologue with PrologFlags=Alloc" grep -q '^PrologFlags=Alloc$' "$out/slurm.conf"
ok "slurm.conf points Prolog at the build" grep -q '^Prolog=/opt/b/prologue/mck-prologue$' "$out/slurm.conf"
ok "partition is exclusive" grep -q 'OverSubscribe=EXCLUSIVE' "$out/slurm.conf"
ok "plugstack.conf loads the plugin as required" grep -q '^required /opt/b/spank-plugin/.libs/spank_mckernel.so config=' "$out/plugstack.conf"
ok "mckernel.conf selects the IHK double" grep -q '^libihk = /opt/b/ihk/double/.libs/libihk-double.so$' "$out/mckernel.conf"
ok "node topology written" grep -q '<topology' "$out/node-topology.xml"
ok "mckernel.conf names nothing of the IHK double's own" bash -c '! grep -q "^ihk_double_" "$1"' _ "$out/mckernel.conf"
ok "ihk-double.conf beside it: the node's state and topology" bash -c '
grep -qx "state = /var/lib/slurm-mckernel/ihk-double" "$1/ihk-double.conf" &&
	grep -qx "topology = $1/node-topology.xml" "$1/ihk-double.conf"' _ "$out"
ok "container steps get ihk-double.conf" grep -q "^container_mounts = .*$out/ihk-double.conf:ro" "$out/mckernel.conf"
rm -rf "$out"

py=/usr/bin/python3
if $py -c 'import yaml' 2>/dev/null; then
	ok "docker-compose.yml is valid YAML with head, node1, node2" $py -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
s = d["services"]
assert sorted(s) == ["head", "node1", "node2"], s
for name in ("node1", "node2"):
    assert s[name]["command"] == ["node", name], s[name]
    assert s[name]["hostname"] == name
assert s["head"]["build"]["dockerfile"] == "test-cluster/Dockerfile"
' "$src/test-cluster/docker-compose.yml"
	ok "docker-compose.yml: every container has an init, SYS_NICE (task/affinity), SYS_PTRACE (device holders) and is never privileged" $py -c '
import sys, yaml
for name, svc in yaml.safe_load(open(sys.argv[1]))["services"].items():
    assert svc.get("init") is True, name
    assert "SYS_NICE" in svc.get("cap_add", []), name
    assert "SYS_PTRACE" in svc.get("cap_add", []), name
    assert not svc.get("privileged"), name
    assert "ALL" not in svc.get("cap_add", []), name
' "$src/test-cluster/docker-compose.yml"
	ok "docker-compose.yml: each added capability has a comment saying why" $py -c '
import re, sys
lines = open(sys.argv[1]).read().split("\n")
start = next(i for i, l in enumerate(lines) if l.strip() == "cap_add:")
caps = 0
for i in range(start + 1, len(lines)):
    l = lines[i].strip()
    if l.startswith("- "):
        caps += 1
        assert lines[i - 1].strip().startswith("#"), "no comment above " + l
    elif l and not l.startswith("#"):
        break
assert caps > 0
' "$src/test-cluster/docker-compose.yml"
else
	ok "python3-yaml is installed to check docker-compose.yml" false
fi
ok "Dockerfile copies files that exist" bash -c '
for f in $(sed -n "s/^COPY \([^ ]*\) .*/\1/p" "$1/test-cluster/Dockerfile"); do
	[ -e "$1/$f" ] || { echo "# missing $f"; exit 1; }
done' _ "$src"
ok "Dockerfile entrypoint exists" test -x "$src/test-cluster/docker-entry"
ok "Dockerfile builds only FROM the local debian:RELEASE (no other registry)" bash -c '
[ "$(grep -c "^FROM " "$1")" -ge 1 ] && ! grep "^FROM " "$1" | grep -v -e "^FROM debian:\${RELEASE} " -e "^FROM deps$"' _ "$src/test-cluster/Dockerfile"
ok "the Dockerfile's context leaves an in-tree build out (.dockerignore)" grep -qx 'config.status' "$src/.dockerignore"
tap_plan
