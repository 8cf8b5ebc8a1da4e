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

# The SVG of every fixture parses as XML (python3's xml.etree), is an SVG
# document, draws one cell per PU inside its canvas, and on the hybrid
# parts marks every core with its CPU kind (P or E; K<i> when hwloc does
# not rank the kinds).
svg_check() {	# svg_check SVG JSON EXPECTED-KIND-MARKS none|ranked|unranked
	python3 - "$@" <<'PY'
import json, sys, xml.etree.ElementTree as ET
svg, plan, kinds, mode = sys.argv[1], json.load(open(sys.argv[2])), int(sys.argv[3]), sys.argv[4]
ns = '{http://www.w3.org/2000/svg}'
root = ET.parse(svg).getroot()
assert root.tag == ns + 'svg', 'root element is %s' % root.tag
w, h = int(root.get('width')), int(root.get('height'))
def expand(lst):
    n = 0
    for part in filter(None, lst.split(',')):
        a, _, b = part.partition('-')
        n += int(b or a) - int(a) + 1
    return n
n_pus = len(plan['lwk_cpu_order']) + expand(plan['linux_cpus']) + expand(plan['idle_cpus'])
cells = [r for r in root.iter(ns + 'rect') if r.get('class') == 'pu']
assert len(cells) == n_pus, '%d PU cells for %d PUs' % (len(cells), n_pus)
for r in root.iter(ns + 'rect'):
    x, y = int(r.get('x', 0)), int(r.get('y', 0))
    assert x + int(r.get('width')) <= w and y + int(r.get('height')) <= h, \
        'rect %s outside the %dx%d canvas' % (r.attrib, w, h)
marks = [t.text for t in root.iter(ns + 'text') if t.get('class') == 'kind']
assert len(marks) == kinds, '%d kind marks, expected %d' % (len(marks), kinds)
legend = [t.text for t in root.iter(ns + 'text') if t.get('class') == 'kinds']
if mode == 'ranked':
    assert set(marks) == {'P', 'E'}, 'kind marks %s' % set(marks)
    assert legend and 'performance' in legend[0] and 'efficiency' in legend[0], legend
elif mode == 'unranked':
    assert set(marks) == {'K0', 'K1'}, 'kind marks %s' % set(marks)
    assert legend and 'unranked' in legend[0], legend
else:
    assert not legend, 'a CPU kinds legend on a node with one kind'
PY
}
if command -v python3 >/dev/null 2>&1; then
	for f in "$dir"/fixtures/*.xml "$dir/fixtures/hybrid.xml --lwk-cpu-kind performance" \
		 "$dir/fixtures/knl-flat.xml --memory-only-nodes include"; do
		case $f in */nomemory.xml) continue ;; esac	# refused: err-nomemory
		n=$((n + 1))
		set -- $f
		marks=0 mode=none
		case $1 in
		*/hybrid.xml) marks=16 mode=ranked ;;
		*/hybrid-unranked.xml) marks=16 mode=unranked ;;
		esac
		name="$(basename "$1")${2:+ $2 $3}"
		if "$maps" --topology "$@" --format svg >"$tmp/svg" 2>"$tmp/err" &&
		   "$maps" --topology "$@" --format json >"$tmp/json" 2>>"$tmp/err" &&
		   svg_check "$tmp/svg" "$tmp/json" "$marks" "$mode" 2>>"$tmp/err"; then
			echo "ok $n - SVG of $name is valid XML and draws every PU"
		else
			failed=$((failed + 1)); echo "not ok $n - SVG of $name"
			sed 's/^/#   /' "$tmp/err" | tail -5
		fi
	done
	# The checker can fail: a truncated SVG is refused.
	n=$((n + 1))
	head -c 300 "$tmp/svg" >"$tmp/bad.svg"
	if svg_check "$tmp/bad.svg" "$tmp/json" 0 none 2>/dev/null; then
		failed=$((failed + 1)); echo "not ok $n - a truncated SVG passes the check"
	else
		echo "ok $n - a truncated SVG is refused by the check"
	fi
else
	n=$((n + 1))
	echo "ok $n # SKIP no python3 to check the SVG"
fi

# --help documents every policy option.
n=$((n + 1))
missing=
for o in --topology --synthetic --cache --format --explain --linux-cores --linux-cores-per-package \
	 --linux-cpus --smt --lwk-cpu-kind --assistant-cores --mem-fraction --mem-size --mem-keep \
	 --memory-only-nodes --ikc --job-cpus; do
	"$maps" --help | grep -q -- "$o" || missing="$missing $o"
	grep -q -- "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" "$src/hwloc-maps/mck-maps.1" || missing="$missing man:$o"
done
if [ -z "$missing" ]; then echo "ok $n - --help and the man page document every option"
else failed=$((failed + 1)); echo "not ok $n - undocumented:$missing"; fi

# --explain: after the plan, one "# KIND: reason" line per decision, on every fixture.
n=$((n + 1))
bad=
for f in "$dir"/fixtures/*.xml; do
	case $f in */nomemory.xml) continue ;; esac
	"$maps" --topology "$f" --explain >"$tmp/explain" 2>&1 || { bad="$bad $(basename "$f")"; continue; }
	tail -n +2 "$tmp/explain" | grep -qvE '^# (cpus|memory|ikc|unused|warning): [^ ]' && bad="$bad $(basename "$f")"
	grep -q '^# cpus: ' "$tmp/explain" && grep -q '^# ikc: ' "$tmp/explain" &&
		grep -q '^# memory: ' "$tmp/explain" || bad="$bad $(basename "$f"):kinds"
done
if [ -z "$bad" ]; then echo "ok $n - --explain explains every fixture's plan, one line per decision"
else failed=$((failed + 1)); echo "not ok $n - --explain:$bad"; fi

echo "1..$n"
[ $failed = 0 ]
