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

# Hand-described nodes: the tree is written here, cpusets and nodesets are
# computed from it (hwloc 2 XML), then a few are run through lstopo.
gp = [0]

def O(type, attrs=None, children=(), infos=()):
    return {'type': type, 'attrs': dict(attrs or {}), 'children': list(children), 'infos': list(infos)}

def pu(i):
    return O('PU', {'os_index': i})

def core(i, cpus):
    return O('Core', {'os_index': i}, [pu(c) for c in cpus])

def memnode(i, gib, subtype=None, infos=()):
    a = {'os_index': i, 'local_memory': gib << 30}
    if subtype:
        a['subtype'] = subtype
    return O('NUMANode', a, infos=infos)

def cpus_of(o):
    if o['type'] == 'PU':
        return 1 << o['attrs']['os_index']
    v = 0
    for c in o['children']:
        if c['type'] != 'NUMANode':
            v |= cpus_of(c)
    return v

def nodes_below(o):
    v = 1 << o['attrs']['os_index'] if o['type'] == 'NUMANode' else 0
    for c in o['children']:
        v |= nodes_below(c)
    return v

def emit(o, depth, parent_cpus, above, lines, root=False):
    """above: the nodes attached to o's ancestors (their locality)."""
    gp[0] += 1
    cpus = parent_cpus if o['type'] == 'NUMANode' else cpus_of(o)
    local = sum(1 << c['attrs']['os_index'] for c in o['children'] if c['type'] == 'NUMANode')
    nodes = nodes_below(o) if o['type'] == 'NUMANode' else nodes_below(o) | above | local
    a = dict(o['attrs'])
    attrs = ['type="%s"' % o['type']]
    if 'os_index' in a:
        attrs.append('os_index="%d"' % a.pop('os_index'))
    attrs.append('cpuset="%s" complete_cpuset="%s"' % (fmt(cpus), fmt(cpus)))
    if root:
        attrs.append('allowed_cpuset="%s"' % fmt(cpus))
    attrs.append('nodeset="%s" complete_nodeset="%s"' % (fmt(nodes), fmt(nodes)))
    if root:
        attrs.append('allowed_nodeset="%s"' % fmt(nodes))
    attrs.append('gp_index="%d"' % gp[0])
    for k, v in a.items():
        attrs.append('%s="%s"' % (k, v))
    pad = '  ' * depth
    inner = ['%s  <info name="%s" value="%s"/>' % (pad, k, v) for k, v in o['infos']]
    if o['type'] == 'NUMANode':
        lines.append('%s<object %s>' % (pad, ' '.join(attrs)))
        lines.extend(inner)
        lines.append('%s</object>' % pad)
        return
    lines.append('%s<object %s>' % (pad, ' '.join(attrs)))
    lines.extend(inner)
    for c in o['children']:
        emit(c, depth + 1, cpus, above | local, lines)
    lines.append('%s</object>' % pad)

def write(name, root, extra=''):
    gp[0] = 0
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<!DOCTYPE topology SYSTEM "hwloc2.dtd">',
             '<topology version="2.0">']
    emit(root, 1, 0, 0, lines, root=True)
    if extra:
        lines.append(extra)
    lines.append('</topology>')
    with open('%s/%s.xml' % (out, name), 'w') as f:
        f.write('\n'.join(lines) + '\n')

# A64FX-like (FX1000): 4 CMGs, each a NUMA node of 8 GiB HBM2 with an L2
# shared by its 12 compute cores (CPUs 12-59); 2 assistant cores (CPUs 0
# and 1, in CMG 0 and CMG 1) sit beside the CMGs' L2s, in none of them.
cmgs = []
for g in range(4):
    l2 = O('L2Cache', {'cache_size': 8 << 20, 'depth': 2, 'cache_linesize': 256,
                       'cache_associativity': 16, 'cache_type': 0},
           [core(12 + 12 * g + k, [12 + 12 * g + k]) for k in range(12)])
    kids = [memnode(g, 8)] + ([core(g, [g])] if g < 2 else []) + [l2]
    cmgs.append(O('Group', {'kind': 1000, 'subkind': 0}, kids))
write('a64fx-assist', O('Machine', {'os_index': 0},
      [O('Package', {'os_index': 0}, cmgs, infos=[('CPUModel', 'A64FX')])]))

# POWER9 (AC922-like): 2 sockets of 16 cores x SMT4, 256 GiB each (NUMA 0
# and 8), and each socket's 2 NVLink GPUs' 16 GiB as CPU-less NUMA nodes
# 252-255 (subtype GPUMemory), attached beside the socket's memory.
def p9(subtypes):
    pkgs = []
    for s, (mem, gpus) in enumerate(((0, (252, 253)), (8, (254, 255)))):
        cores = [core(16 * s + k, [64 * s + 4 * k + t for t in range(4)]) for k in range(16)]
        pkgs.append(O('Package', {'os_index': 8 * s},
                      [memnode(mem, 256)] + [memnode(g, 16, 'GPUMemory' if subtypes else None) for g in gpus] + cores,
                      infos=[('CPUModel', 'POWER9, altivec supported')]))
    return O('Machine', {'os_index': 0}, pkgs)
write('power9-gpu', p9(True))
# The same node as an older hwloc wrote it: no subtypes.
write('power9-nosubtype', p9(False))

# Heterogeneous memory: 2 sockets of 8 cores x 2 threads, each with 64 GiB
# DRAM (subtype DRAM) and 256 GiB of NVDIMM onlined through DAX kmem (NVM,
# dax0.0/dax1.0); machine-wide a 128 GiB CXL expander (CXL-DRAM) and 16 GiB
# of specific-purpose memory (SPM, dax2.0).
pkgs = []
for s in range(2):
    cores = [core(8 * s + k, [8 * s + k, 16 + 8 * s + k]) for k in range(8)]
    pkgs.append(O('Package', {'os_index': s},
                  [memnode(2 * s, 64, 'DRAM'),
                   memnode(2 * s + 1, 256, 'NVM', [('DAXDevice', 'dax%d.0' % s), ('DAXType', 'NVM')])] + cores))
write('hetero-mem', O('Machine', {'os_index': 0},
      [memnode(4, 128, 'CXL-DRAM'), memnode(5, 16, 'SPM', [('DAXDevice', 'dax2.0'), ('DAXType', 'SPM')])] + pkgs))
PY
gen cod "pack:2 [numa(memory=32GiB)] [numa(memory=32GiB)] core:12 pu:2(indexes=2*24:1*2)"
gen nonuma0 "pack:1 numa:2(memory=16GiB) core:4 pu:2"
gen nomemory "pack:1 numa:2(memory=16GiB) core:4 pu:2"
lstopo --if synthetic --input "pack:1 [numa(memory=96GiB)] [numa(memory=16GiB)] core:68 pu:4" --of xml - 2>/dev/null >"$out/knl-v1.xml"
python3 - "$out" <<'PY'
import re, sys
out = sys.argv[1]
def edit(name, fn):
    path = '%s/%s.xml' % (out, name)
    s = open(path).read()
    open(path, 'w').write(fn(s))
# A node whose NUMA node 0 is not in the topology at all (cut by a cgroup's
# cpuset.mems before the XML was written): CPUs 0-7 belong to no NUMA node.
edit('nonuma0', lambda s: re.sub(r'\n *<object type="NUMANode" os_index="0".*?</object>', '', s, count=1, flags=re.S))
# A topology written without memory sizes (every NUMA node reports 0).
edit('nomemory', lambda s: re.sub(r'\n *<page_type[^>]*/>', '', re.sub(r' local_memory="[0-9]+"', '', s)))
# KNL 7250 flat-quadrant before hwloc named MCDRAM: the CPU model is all there is.
def knl_v1(s):
    s = re.sub(r'\n *<info name="(SyntheticDescription|hwlocVersion|ProcessName)"[^>]*/>', '', s)
    s = s.replace('name="Backend" value="Synthetic"', 'name="Backend" value="Linux"')
    i = s.index('<object type="Package" os_index="0"')
    j = s.index('>', i)
    return s[:j + 1] + '\n      <info name="CPUModel" value="Intel(R) Xeon Phi(TM) CPU 7250 @ 1.40GHz"/>' + s[j + 1:]
edit('knl-v1', knl_v1)
PY
# ... written out in hwloc 1.x's XML format (no subtypes, CPU-less NUMA nodes).
lstopo --if xml --input "$out/knl-v1.xml" --export-xml-flags 1 --of xml - >"$out/knl-v1.xml.new"
mv "$out/knl-v1.xml.new" "$out/knl-v1.xml"
for f in "$out"/*.xml; do
	lstopo --if xml --input "$f" --of console - >/dev/null
done
echo "fixtures written to $out"
