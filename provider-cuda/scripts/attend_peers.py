"""The peers of attend (issue 5) on the GPU machine, for ratios taken in the same device command
as CudaAttendBenchmark: PyTorch SDPA forward (O alone) and the eager path that a KV-cache pruner
runs today (Hugging Face's eager attention with the attention weights returned, then summed
over the queries):
    S = Q·K^T·scale (+ causal mask), P = softmax(S, float32) rounded to the input type,
    O = P·V, scores = P.sum over queries (float32)
Times are medians of triton.testing.do_bench (L2 flushed before each run), in ms; one JSON
object per shape, then a table. Run with CudaAttendBenchmark's shapes:

  python3 attend_peers.py [--shape B,H,M,N,D[,causal]]... [--dtype fp16|bf16]
"""
import argparse, json
import torch, triton
import torch.nn.functional as F

# the anchor shapes (CudaBenchmark.ANCHOR), as CudaAttendBenchmark's default
SHAPES = ["1,32,1024,1024,128", "16,32,1024,1024,128", "64,32,1024,1024,128",
          "1,32,4096,4096,128", "1,32,16384,16384,128",
          "1,32,4096,4096,128,causal", "1,32,16384,16384,128,causal",
          "1,32,64,16384,128,causal", "16,32,64,16384,128,causal", "64,32,64,16384,128,causal",
          "1,32,512,32768,128,causal", "1,32,512,131072,128,causal",
          "1,32,4096,4096,64"]


def eager(q, k, v, causal):
    m, n = q.shape[2], k.shape[2]
    s = torch.matmul(q, k.transpose(-2, -1)) * (q.shape[-1] ** -0.5)
    if causal:  # right-aligned, as the library's default causal mask
        i = torch.arange(m, device=q.device).view(-1, 1); j = torch.arange(n, device=q.device).view(1, -1)
        s = s.masked_fill(j > i + (n - m), float("-inf"))
    p = torch.softmax(s, dim=-1, dtype=torch.float32).to(q.dtype)
    o = torch.matmul(p, v)
    return o, p.sum(dim=-2, dtype=torch.float32)


def bench(fn):
    return triton.testing.do_bench(fn, warmup=25, rep=200, return_mode="median")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", action="append", default=[])
    ap.add_argument("--dtype", default="fp16", choices=["fp16", "bf16"])
    a = ap.parse_args()
    dt = torch.float16 if a.dtype == "fp16" else torch.bfloat16
    rows = []
    for s in a.shape or SHAPES:
        f = s.split(",")
        B, H, M, N, D = map(int, f[:5]); causal = len(f) > 5 and f[5] == "causal"
        q = torch.randn(B, H, M, D, device="cuda", dtype=dt)
        k = torch.randn(B, H, N, D, device="cuda", dtype=dt)
        v = torch.randn(B, H, N, D, device="cuda", dtype=dt)
        t_sdpa = bench(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal and M == N))
        t_eager = float("nan")
        # S, the masked S, P in float32 and P rounded: ~10 bytes per score at the peak
        if B * H * M * N * 10 < 0.9 * torch.cuda.get_device_properties(0).total_memory:
            try:
                t_eager = bench(lambda: eager(q, k, v, causal))
            except torch.OutOfMemoryError:
                torch.cuda.empty_cache()
        r = dict(shape=s, dtype=a.dtype, sdpa_fwd_ms=t_sdpa, eager_o_p_ms=t_eager)
        rows.append(r); print(json.dumps(r), flush=True)
        del q, k, v; torch.cuda.empty_cache()
    print(f"{'shape':34s} {'sdpa_fwd':>9s} {'eager O+P':>10s}")
    for r in rows:
        print(f"{r['shape']:34s} {r['sdpa_fwd_ms']:9.3f} {r['eager_o_p_ms']:10.3f}")


if __name__ == "__main__":
    main()
