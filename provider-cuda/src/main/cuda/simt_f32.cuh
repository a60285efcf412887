// F32 inputs: both passes on the FMA units in full fp32 (no TF32: SPEC §7.1 asks 1e-5), with
// accurate exp2f. One warp per query row for the row statistics, one thread per key for the
// column pass; query rows are staged in shared memory.
#pragma once
#include "problem.cuh"
#include "tiles.cuh"
#include "row_statistics.cuh"

namespace colreduce {

__device__ __forceinline__ float dot_f32(const float* __restrict__ a, const float* __restrict__ b, int d) {
    float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
    int x = 0;
    for (; x + 4 <= d; x += 4) {
        s0 = fmaf(a[x], b[x], s0);
        s1 = fmaf(a[x + 1], b[x + 1], s1);
        s2 = fmaf(a[x + 2], b[x + 2], s2);
        s3 = fmaf(a[x + 3], b[x + 3], s3);
    }
    for (; x < d; x++) s0 = fmaf(a[x], b[x], s0);
    return (s0 + s1) + (s2 + s3);
}

__device__ void row_statistics_f32(const Problem& p) {
    constexpr int ROWS = SimtTiles::RS_ROWS;
    __shared__ float sq[ROWS][256];
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int bh = blockIdx.y, b = bh / p.Hq, h = bh % p.Hq, kvh = h / (p.Hq / p.Hkv);
    const int64_t i = (int64_t)blockIdx.x * ROWS + warp;
    const BatchMask mask = BatchMask::of(p, b);
    const float* Q = (const float*)p.q + b * p.qsb + h * p.qsh;
    const float* K = (const float*)p.k + b * p.ksb + kvh * p.ksh;
    if (i < p.M)
        for (int x = lane; x < p.D; x += 32) sq[warp][x] = Q[i * p.qsm + x];
    __syncwarp();
    if (i >= p.M) return;
    float m = -INFINITY, l = 0.f;
    if (i < mask.lenQ) {
        int64_t lo = mask.keyLo(i), hi = mask.keyHi(i + 1);
        if (p.splits > 1) {
            lo = max(lo, (int64_t)blockIdx.z * p.keysPerSplit);
            hi = min(hi, (int64_t)(blockIdx.z + 1) * p.keysPerSplit);
        }
        for (int64_t j = lo + lane; j < hi; j += 32) {
            float x = dot_f32(sq[warp], K + j * p.ksn, p.D) * p.sgn;
            float mn = fmaxf(m, x);
            float base = mn == -INFINITY ? 0.f : mn;
            l = l * exp2f((m - base) * p.c) + exp2f((x - base) * p.c);
            m = mn;
        }
    }
#pragma unroll
    for (int o = 1; o < 32; o <<= 1) {
        float m2 = __shfl_xor_sync(0xffffffffu, m, o), l2 = __shfl_xor_sync(0xffffffffu, l, o);
        // both lanes of a pair fold in the same order (lower lane first): identical bits
        if (lane & o) { float tm = m, tl = l; m = m2; l = l2; m2 = tm; l2 = tl; }
        merge_stats(m, l, m2, l2, p.c);
    }
    if (lane == 0) {
        int64_t row = (int64_t)bh * p.M + i;
        if (p.splits > 1) {
            int64_t rows = (int64_t)p.B * p.Hq * p.M;
            p.partial[(blockIdx.z * rows + row) * 2] = m;
            p.partial[(blockIdx.z * rows + row) * 2 + 1] = l;
        } else {
            store_row_stats(p.lse, row, m, l);
        }
    }
}

template <bool IS_MAX>
__device__ void column_pass_f32(const Problem& p) {
    constexpr int KEYS = SimtTiles::CP_KEYS, QR = SimtTiles::CP_QROWS;
    extern __shared__ float sqf[];                        // [QR][D] query rows, then [QR][2] row statistics
    float* sl = sqf + QR * p.D;
    const int bkv = blockIdx.y, b = bkv / p.Hkv, kvh = bkv % p.Hkv, G = p.Hq / p.Hkv;
    const BatchMask mask = BatchMask::of(p, b);
    const int64_t j = (int64_t)blockIdx.x * KEYS + threadIdx.x;
    const int64_t j0 = (int64_t)blockIdx.x * KEYS, j1 = min(j0 + KEYS, mask.lenK);
    const float* K = (const float*)p.k + b * p.ksb + kvh * p.ksh;
    int64_t rlo = 0, rhi = 0;
    if (j0 < j1) { rlo = mask.rowLo(j0); rhi = mask.rowHi(j1); }
    for (int gq = 0; gq < G; gq++) {
        const int hq = kvh * G + gq;
        const float* Q = (const float*)p.q + b * p.qsb + hq * p.qsh;
        const float* L = p.lse + ((int64_t)b * p.Hq + hq) * p.M * 2;
        float red = IS_MAX ? -INFINITY : 0.f;
        for (int64_t i0 = rlo; i0 < rhi; i0 += QR) {
            __syncthreads();
            for (int e = threadIdx.x; e < QR * p.D; e += KEYS) {
                int64_t i = i0 + e / p.D;
                sqf[e] = i < rhi ? Q[i * p.qsm + e % p.D] : 0.f;
            }
            for (int e = threadIdx.x; e < 2 * QR; e += KEYS) sl[e] = i0 + e / 2 < rhi ? L[i0 * 2 + e] : 0.f;
            __syncthreads();
            if (j < j1) {
                for (int r = 0; r < QR && i0 + r < rhi; r++) {
                    if (!mask.visible(i0 + r, j)) continue;
                    float x = fmaf(dot_f32(sqf + r * p.D, K + j * p.ksn, p.D) * p.sgn - sl[2 * r], p.c, -sl[2 * r + 1]);
                    if (IS_MAX) red = max_nan(red, x);
                    else red += exp2f(x);
                }
            }
        }
        if (j < p.N) {
            float v = red;
            if (IS_MAX) v = v == -INFINITY ? 0.f : exp2f(v);
            if (p.reduction == REDUCE_MEAN) {
                int64_t cnt = mask.rowsSeeing(j);
                v = cnt > 0 ? v / (float)cnt : 0.f;
            }
            p.colval[((int64_t)b * p.Hq + hq) * p.N + j] = v;
        }
    }
}

}  // namespace colreduce
