#!/bin/sh
# mck-oci-run (oci.conf RunTimeRun on Slurm 23.11+): adds the mounts the
# plugin left in SLURM_MCKERNEL_CONTAINER to BUNDLE/config.json, takes the
# variable out, then execs the runtime; leaves other bundles alone; a
# bundle that lacks a mount point fails with one line and no runtime.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck disable=SC1091
. "${top_srcdir:?run me through make check}/tests/tap.sh"
run=$top_builddir/spank-plugin/mck-oci-run
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/b/rootfs/opt/mck" "$tmp/host/mck" "$tmp/plain/rootfs"
: >"$tmp/runtime-ran"
cat >"$tmp/runtime" <<SH
#!/bin/sh
echo "\$@" >"$tmp/runtime-ran"
SH
chmod +x "$tmp/runtime"
# config DIR ROOT [EDIT]: a config.json as Slurm 23.11+ writes it, with the
# plugin's variable when EDIT is given
config() {
	var=
	[ -n "${3:-}" ] && var=", \"SLURM_MCKERNEL_CONTAINER=$3\""
	cat >"$1/config.json" <<JSON
{"process": {"args": ["/opt/mck/mcexec", "-n", "1", "--", "0", "app"],
 "env": ["PATH=/bin"$var]},
 "root": {"path": "$2"}, "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}]}
JSON
}
edit() { # edit DESTINATION: the plugin's variable for one read-only mount
	echo "{\\\"mounts\\\": [{\\\"source\\\": \\\"$tmp/host/mck\\\", \\\"destination\\\": \\\"$1\\\", \\\"readonly\\\": true, \\\"why\\\": \\\"mcexec's directory\\\"}]}"
}
config "$tmp/b" rootfs "$(edit /opt/mck)"
config "$tmp/plain" rootfs
cp "$tmp/plain/config.json" "$tmp/plain.orig"

"$run" "$tmp/b" "$tmp/runtime" run x -b "$tmp/b"
t $? "a --mckernel bundle: exit status of the runtime"
grep -q "run x -b $tmp/b" "$tmp/runtime-ran"; t $? "the runtime ran with its arguments"
grep -q '"destination": "/opt/mck"' "$tmp/b/config.json"; t $? "the mount is added"
grep -q 'SLURM_MCKERNEL_CONTAINER' "$tmp/b/config.json"; [ $? != 0 ]; t $? "the variable is taken out of process.env"
grep -q '"PATH=/bin"' "$tmp/b/config.json"; t $? "the rest of process.env stays"

: >"$tmp/runtime-ran"
"$run" "$tmp/plain" "$tmp/runtime" run y
t $? "another bundle: the runtime runs"
cmp -s "$tmp/plain/config.json" "$tmp/plain.orig"; t $? "and its config.json is not touched"

# A root filesystem owned by someone else, without the mount point.
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$tmp/other-root"
	chown 65534 "$tmp/other-root"
	other=$tmp/other-root
else
	other=/
fi
config "$tmp/b" "$other" "$(edit /nonexistent-mck-test/mck)"
: >"$tmp/runtime-ran"
err=$("$run" "$tmp/b" "$tmp/runtime" run z 2>&1)
rc=$?
[ $rc = 1 ] && [ ! -s "$tmp/runtime-ran" ] &&
	[ "$(echo "$err" | grep -c "^spank_mckernel: .*lacks /nonexistent-mck-test/mck")" = 1 ]
t $? "a bundle without the mount point: exit 1, one line, no runtime ($err)"
"$run" 2>/dev/null; [ $? = 2 ]; t $? "no arguments: usage, exit 2"
tap_plan
