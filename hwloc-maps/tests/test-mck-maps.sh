#!/bin/sh
# Golden tests of the mck-maps CLI: every case of cases.txt is run and its
# output (stdout, or "exit N" and stderr for errors) compared byte for byte
# with expected/NAME.expected.
#   test-mck-maps.sh           compare (what make check runs)
#   test-mck-maps.sh --regen   rewrite the expected files (review the diff!)
set -u
src=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-.}
maps=$build/hwloc-maps/mck-maps
dir=$src/hwloc-maps/tests
regen=0
[ "${1:-}" = --regen ] && regen=1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

if [ ! -x "$maps" ]; then
	echo "Bail out! $maps not built"
	exit 1
fi

run_case() {	# run_case ARGS...: stdout, or "exit N" then stderr
	if "$maps" "$@" >"$tmp/out" 2>"$tmp/err"; then
		cat "$tmp/out"
	else
		echo "exit $?"
		cat "$tmp/err"
	fi
}

n=0 failed=0
while IFS='	' read -r name args; do
	case $name in ''|'#'*) continue ;; esac
	n=$((n + 1))
	args=$(printf '%s' "$args" | sed "s|F:|$dir/fixtures/|g")
	eval "set -- $args"
	run_case "$@" | sed "s|$dir/fixtures/|FIXTURES/|g" >"$tmp/got"
	want=$dir/expected/$name.expected
	if [ $regen = 1 ]; then
		cp "$tmp/got" "$want"
		echo "ok $n - $name (regenerated)"
	elif [ -f "$want" ] && cmp -s "$tmp/got" "$want"; then
		echo "ok $n - $name"
	else
		failed=$((failed + 1))
		echo "not ok $n - $name"
		diff -u "$want" "$tmp/got" 2>&1 | sed 's/^/#   /' | head -40
	fi
done <"$dir/cases.txt"

# Every error names the setting to change and starts with "mck-maps: ".
n=$((n + 1))
if "$maps" --synthetic "numa:2 core:1 pu:1" >/dev/null 2>"$tmp/err"; then
	failed=$((failed + 1)); echo "not ok $n - a node without spare cores is refused"
elif grep -q '^mck-maps: no CPU left for McKernel: .*--linux-cores' "$tmp/err"; then
	echo "ok $n - a node without spare cores is refused with the setting to change"
else
	failed=$((failed + 1)); echo "not ok $n - error message: $(cat "$tmp/err")"
fi

# The SVG is well-formed XML (when an XML checker is installed).
n=$((n + 1))
"$maps" --topology "$dir/fixtures/knl-flat.xml" --format svg --memory-only-nodes include >"$tmp/svg"
if command -v xmllint >/dev/null 2>&1; then
	if xmllint --noout "$tmp/svg"; then echo "ok $n - SVG is well-formed"
	else failed=$((failed + 1)); echo "not ok $n - SVG is not well-formed"; fi
elif command -v python3 >/dev/null 2>&1; then
	if python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$tmp/svg"; then
		echo "ok $n - SVG is well-formed"
	else failed=$((failed + 1)); echo "not ok $n - SVG is not well-formed"; fi
else
	echo "ok $n # SKIP no xmllint or python3 to check the SVG"
fi

# --help documents every policy option.
n=$((n + 1))
missing=
for o in --topology --synthetic --cache --format --linux-cores --linux-cores-per-package \
	 --linux-cpus --smt --mem-fraction --mem-size --mem-keep --memory-only-nodes --ikc --job-cpus; do
	"$maps" --help | grep -q -- "$o" || missing="$missing $o"
	grep -q -- "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" "$src/hwloc-maps/mck-maps.1" || missing="$missing man:$o"
done
if [ -z "$missing" ]; then echo "ok $n - --help and the man page document every option"
else failed=$((failed + 1)); echo "not ok $n - undocumented:$missing"; fi

echo "1..$n"
[ $failed = 0 ]
