"""Markdown tables for docs/PERFORMANCE.md from one device command's outputs: the Vulkan provider
beside the CUDA provider and the peer, and attend beside SDPA forward and eager attention.

  python3 final_tables.py DIR     (DIR holds peer.jsonl, cuda.jsonl, vulkan.txt, attend.txt, attend_peers.txt)
"""
import json, math, os, sys


def jsonl(path, key="shape"):
    rows = {}
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            try:
                o = json.loads(line)
            except ValueError:
                continue
            if key in o:
                rows[o[key]] = o
    return rows


def gmean(xs):
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else float("nan")


d = sys.argv[1]
peer, cuda = jsonl(os.path.join(d, "peer.jsonl")), jsonl(os.path.join(d, "cuda.jsonl"))

# Vulkan: "| shape | path | median | min | pass 1 | TFLOP/s |" rows
vk = {}
for line in open(os.path.join(d, "vulkan.txt")):
    f = [x.strip() for x in line.strip().strip("|").split("|")]
    if len(f) == 6 and f[0][:1].isdigit():
        try:
            vk[f[0]] = (float(f[2]), float(f[4]), f[1])
        except ValueError:
            pass
print("| shape | vulkan ms | pass 1 ms | cuda ms | peer ms | vulkan / cuda |")
print("|---|---|---|---|---|---|")
ratios = []
for s, c in cuda.items():
    if s not in vk:
        continue
    r = vk[s][0] / c["cuda_ms"]
    ratios.append(r)
    print(f"| {s} | {vk[s][0]:.3f} | {vk[s][1]:.3f} | {c['cuda_ms']:.3f} | {peer.get(s, {}).get('peer_ms', float('nan')):.3f} | {r:.2f} |")
print(f"| geometric mean | | | | | {gmean(ratios):.2f} |")
print()

att, ap = jsonl(os.path.join(d, "attend.txt")), jsonl(os.path.join(d, "attend_peers.txt"))
print("| shape | sdpa_fwd ms | attend ms | attend / sdpa | eager O + P ms | eager / attend | output pass ms | after it ms | one block a tile ms | attend on the 8-warp kernel ms | on mma.sync ms | unfused ms | scores alone ms |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for s, a in att.items():
    p = ap.get(s, {})
    sd, ea = p.get("sdpa_fwd_ms", float("nan")), p.get("eager_o_p_ms", float("nan"))
    nan = float("nan")
    print(f"| {s} | {sd:.3f} | {a['attend_ms']:.3f} | {a['attend_ms'] / sd:.2f} | {ea:.2f} | {ea / a['attend_ms']:.1f}× | "
          f"{a.get('output_pass_ms', nan):.3f} | {a.get('after_output_ms', nan):.3f} | {a.get('attend_per_tile_ms', nan):.3f} | "
          f"{a.get('attend_wg_ms', nan):.3f} | {a['attend_mma_ms']:.3f} | {a['attend_unfused_ms']:.3f} | {a['scores_only_ms']:.3f} |")
