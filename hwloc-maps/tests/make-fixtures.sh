#!/bin/sh
# Regenerate the hwloc XML fixtures from synthetic descriptions (lstopo),
# then edit those that describe hardware a synthetic description cannot
# (offline CPUs, restricted allowed cpuset, memory-only NUMA node kinds,
# hybrid cores). Run from anywhere; needs lstopo (hwloc) and python3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$here/fixtures
mkdir -p "$out"

gen() {	# gen NAME "SYNTHETIC DESCRIPTION"
	lstopo --if synthetic --input "$2" --of xml - >"$out/$1.xml" 2>/dev/null
}

gen testnode	"numa:2(memory=4GiB) core:4 pu:1"
gen a64fx	"pack:1 numa:4(memory=8GiB) core:13 pu:1"
gen knl-flat	"pack:1 [numa(memory=96GiB)] [numa(memory=16GiB)] core:68 pu:4"
gen xeon-2s-smt2 "pack:2 [numa(memory=96GiB)] core:24 pu:2(indexes=2*48:1*2)"
gen offline	"pack:1 numa:2(memory=16GiB) core:8 pu:2"
gen restricted	"pack:1 numa:2(memory=16GiB) core:4 pu:2"
gen cxl		"[numa(memory=256GiB)] pack:2 [numa(memory=64GiB)] core:16 pu:2(indexes=2*32:1*2)"
gen hybrid	"pack:1 numa:1(memory=32GiB) core:16 pu:2"
gen big1024	"pack:4 numa:2(memory=64GiB) core:64 pu:2"

python3 - "$out" <<'PY'
import sys, xml.etree.ElementTree as ET
out = sys.argv[1]

def parse(s):
    return int(s.replace(',', '').replace('0x', ''), 16)

def fmt(v):
    words = []
    while True:
        words.append('0x%08x' % (v & 0xffffffff))
        v >>= 32
        if not v:
            break
    return ','.join(reversed(words))

def load(name):
    return ET.parse('%s/%s.xml' % (out, name))

def save(tree, name):
    body = ET.tostring(tree.getroot(), encoding='unicode')
    with open('%s/%s.xml' % (out, name), 'w') as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<!DOCTYPE topology SYSTEM "hwloc2.dtd">\n' + body + '\n')

def objects(tree):
    return tree.getroot().iter('object')

def clear_bits(tree, mask, attrs):
    for o in objects(tree):
        for a in attrs:
            if a in o.attrib:
                o.set(a, fmt(parse(o.get(a)) & ~mask))

def remove_pus(tree, cpus, complete):
    """Offline CPUs (complete=False) stay in complete_cpuset; missing ones vanish."""
    mask = sum(1 << c for c in cpus)
    for parent in list(objects(tree)):
        for child in list(parent):
            if child.tag != 'object':
                continue
            if child.get('type') == 'PU' and int(child.get('os_index')) in cpus:
                parent.remove(child)
            elif child.get('type') == 'Core' and not [g for g in child if g.tag == 'object' and not (g.get('type') == 'PU' and int(g.get('os_index')) in cpus)]:
                parent.remove(child)
    attrs = ['cpuset', 'allowed_cpuset'] + (['complete_cpuset'] if complete else [])
    clear_bits(tree, mask, attrs)

def numa(tree, os_index):
    for o in objects(tree):
        if o.get('type') == 'NUMANode' and int(o.get('os_index')) == os_index:
            return o

# KNL flat mode: NUMA 1 is the MCDRAM.
t = load('knl-flat'); numa(t, 1).set('subtype', 'MCDRAM'); save(t, 'knl-flat')
# CXL: NUMA 2 is a CXL memory expander without CPUs.
t = load('cxl'); numa(t, 2).set('subtype', 'CXL'); save(t, 'cxl')
# Offline: CPU 0's sibling 1, the whole core of CPUs 4-5, and CPU 9.
t = load('offline'); remove_pus(t, {1, 4, 5, 9}, False); save(t, 'offline')
# Restricted cpuset (e.g. a cgroup): CPUs 0-1 (NUMA 0's first core) and 10 are not allowed.
t = load('restricted')
root = next(objects(t))
root.set('allowed_cpuset', fmt(parse(root.get('allowed_cpuset')) & ~((1 << 0) | (1 << 1) | (1 << 10))))
save(t, 'restricted')
# Hybrid: 8 P-cores with 2 threads (CPUs 0-15), 8 E-cores with one thread (16,18,...,30).
t = load('hybrid')
remove_pus(t, {17 + 2 * i for i in range(8)}, True)
topo = t.getroot()
for cpus, eff, kind in ((0xffff, 1, 'IntelCore'), (0x55550000, 0, 'IntelAtom')):
    k = ET.SubElement(topo, 'cpukind', {'cpuset': fmt(cpus), 'forced_efficiency': str(eff)})
    ET.SubElement(k, 'info', {'name': 'CoreType', 'value': kind})
save(t, 'hybrid')
# The same part with CPU kinds hwloc cannot rank (no efficiency, no CoreType).
for k in t.getroot().findall('cpukind'):
    k.attrib.pop('forced_efficiency', None)
    for i in list(k):
        k.remove(i)
save(t, 'hybrid-unranked')
PY
for f in "$out"/*.xml; do
	lstopo --if xml --input "$f" --of console - >/dev/null
done
echo "fixtures written to $out"
