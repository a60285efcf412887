"""Joins CudaBenchmark's JSON lines with peer_bench's, shape by shape: ours/peer and the geometric mean.

  python3 compare_peer.py peer.jsonl cuda.jsonl [cuda-variant.jsonl ...]
Prints a plain table and the same as Markdown (for docs/PERFORMANCE.md).
"""
import json, math, sys


def load(path):
    rows, head = {}, {}
    for line in open(path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if "shape" in o:
            rows[o["shape"]] = o
        else:
            head.update(o)
    return head, rows


peer_head, peer = load(sys.argv[1])
ours = [load(p) for p in sys.argv[2:]]
print("peer:", json.dumps(peer_head))
for path, (h, _) in zip(sys.argv[2:], ours):
    print(path, json.dumps(h))
shapes = list(peer.keys()) or list(ours[0][1].keys())
for o in ours:
    for s in o[1]:
        if s not in shapes:
            shapes.append(s)
names = [p.rsplit("/", 1)[-1].replace(".jsonl", "") for p in sys.argv[2:]]
hdr = ["shape", "peer_ms", "sdpa_ms", "floorQK", "floorMem"] + [f"{n}_ms" for n in names] + [f"{n}/peer" for n in names]
print(" ".join(f"{x:>14s}" if i else f"{x:34s}" for i, x in enumerate(hdr)))
md = ["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
logs = [[] for _ in ours]
for s in shapes:
    p = peer.get(s, {})
    pm = p.get("peer_ms", float("nan"))
    vals = [pm, p.get("sdpa_fwd_ms", float("nan")), p.get("floor_two_qk_passes_ms", float("nan")), p.get("floor_read_inputs_once_ms", float("nan"))]
    ratios = []
    for i, (_, rows) in enumerate(ours):
        c = rows.get(s, {}).get("cuda_ms", float("nan"))
        vals.append(c)
        r = c / pm if pm and not math.isnan(pm) and not math.isnan(c) else float("nan")
        ratios.append(r)
        if not math.isnan(r):
            logs[i].append(math.log(r))
    cells = [f"{v:.3f}" for v in vals] + [f"{r:.3f}" for r in ratios]
    print(f"{s:34s} " + " ".join(f"{c:>14s}" for c in cells))
    md.append("| " + " | ".join([s] + cells) + " |")
gm = [math.exp(sum(l) / len(l)) if l else float("nan") for l in logs]
print("geometric mean ours/peer: " + ", ".join(f"{n} {g:.3f}" for n, g in zip(names, gm)))
md.append("| geometric mean | | | | | " + " | " * len(names) + " | ".join(f"{g:.3f}" for g in gm) + " |")
print("\n".join(md))
