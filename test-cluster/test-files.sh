#!/bin/bash
# Checks the test cluster's files without starting anything: scripts parse,
# `cluster config` writes a consistent configuration, and the Docker files
# are valid (docker-compose.yml parses and names what the Dockerfile builds).
set -u
src=${top_srcdir:-$(dirname "$0")/..}
n=0 failed=0
ok() { n=$((n + 1)); if "${@:2}"; then echo "ok $n - $1"; else failed=$((failed + 1)); echo "not ok $n - $1"; fi; }

for f in cluster host-exec docker-entry; do
	ok "$f parses" bash -n "$src/test-cluster/$f"
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
else
	ok "python3-yaml is installed to check docker-compose.yml" false
fi
ok "Dockerfile copies files that exist" bash -c '
for f in $(sed -n "s/^COPY \([^ ]*\) .*/\1/p" "$1/test-cluster/Dockerfile"); do
	[ -e "$1/$f" ] || { echo "# missing $f"; exit 1; }
done' _ "$src"
ok "Dockerfile entrypoint exists" test -x "$src/test-cluster/docker-entry"
echo "1..$n"
[ $failed -eq 0 ]
