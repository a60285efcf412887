// Pass 2, ColumnPass: a block owns CP_BN keys of one (batch, KV head) and streams the query
// tiles of every query head of the group that can see them through a cp.async ring, computing
// S^T = K·Q^T on tensor cores (wgmma on sm_90a, mma.sync elsewhere) with K held in registers.
// Keys sit on accumulator rows, so the reduction over queries stays inside a thread and ends with
// one fixed-order quad shuffle: no atomics, the same bits on every run (SPEC §8.1).
// SUM/MEAN add p = 2^((t − m)·c − lg) (the row statistics, row_statistics.cuh); MAX keeps the
// largest (t − m)·c − lg and takes one exp2 at the end.
// Writes one value per (batch, query head, key) into colval: the head reduction and the
// previous scores are head_reduction's job.
#pragma once
#include "problem.cuh"
#include "tiles.cuh"
#include "warp_mma.cuh"
#include "row_statistics.cuh"

namespace colreduce {

// Adds one item's p (or, for MAX, takes the largest (t − m)·c − lg) over its BM queries into the
// two key rows (g, g+8) a thread holds; stats holds (m, lg) of each query. Two compile-time cases
// keep the inner loop free of branches: FULL (every pair visible, no mask test) and POS (the
// sign of the scale). t − m is formed before scaling by c, as in the row statistics (exact for
// huge logits, SPEC 7.2).
template <int BM, bool IS_MAX, bool FULL, bool POS>
__device__ __forceinline__ void accumulate_columns(float (&red)[2], const float (*acc)[4], const float* stats, float c,
                                                   const BatchMask::Narrow& narrow, int i0, int jw0) {
    const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    float part[2][2] = {{0.f, 0.f}, {0.f, 0.f}};         // SUM: two chains per key row
#pragma unroll
    for (int n = 0; n < BM / 8; n++) {
        const float4 L = *reinterpret_cast<const float4*>(stats + (n * 8 + 2 * t) * 2);   // (m, lg) of two queries
#pragma unroll
        for (int e = 0; e < 4; e++) {
            const float x = fmaf((POS ? acc[n][e] : -acc[n][e]) - ((e & 1) ? L.z : L.x), c, -((e & 1) ? L.w : L.y));
            bool vis = true;
            if constexpr (!FULL) vis = narrow.visible(i0 + n * 8 + 2 * t + (e & 1), jw0 + g + (e >> 1) * 8);
            if constexpr (IS_MAX) red[e >> 1] = vis ? max_nan(red[e >> 1], x) : red[e >> 1];
            else part[e >> 1][e & 1] += vis ? fast_exp2(x) : 0.f;
        }
    }
    if constexpr (!IS_MAX) {
        red[0] += part[0][0] + part[0][1];
        red[1] += part[1][0] + part[1][1];
    }
}

// Finishes a query head's reduction of this warp's keys (g, g+8): the fixed-order quad fold,
// MAX's one exp2, MEAN's divisor; writes colval[b, hq, key].
template <bool IS_MAX>
__device__ __forceinline__ void write_columns(const float (&red)[2], const Problem& p, const BatchMask& mask, int b, int hq, int64_t jw0) {
    const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
#pragma unroll
    for (int r = 0; r < 2; r++) {
        float v = red[r];
        if (IS_MAX) {
            v = max_nan(v, __shfl_xor_sync(0xffffffffu, v, 1));
            v = max_nan(v, __shfl_xor_sync(0xffffffffu, v, 2));
            v = v == -INFINITY ? 0.f : exp2f(v);
        } else {
            v += __shfl_xor_sync(0xffffffffu, v, 1);
            v += __shfl_xor_sync(0xffffffffu, v, 2);
        }
        const int64_t j = jw0 + g + r * 8;
        if (p.reduction == REDUCE_MEAN) {
            int64_t cnt = mask.rowsSeeing(j);
            v = cnt > 0 ? v / (float)cnt : 0.f;
        }
        if (t == 0 && j < p.N) p.colval[((int64_t)b * p.Hq + hq) * p.N + j] = v;
    }
}

// accumulate_columns for one item of queries [i0, i0+BM) against this warp's keys [jw0, jw0+16)
template <int BM, bool IS_MAX>
__device__ __forceinline__ void reduce_item(float (&red)[2], const float (*acc)[4], const float* stats, const Problem& p,
                                            const BatchMask& mask, const BatchMask::Narrow& narrow, int64_t i0, int64_t jw0) {
    const bool full = mask.full(i0, i0 + BM, jw0, jw0 + 16);
    if (p.sgn > 0) {
        if (full) accumulate_columns<BM, IS_MAX, true, true>(red, acc, stats, p.c, narrow, (int)i0, (int)jw0);
        else accumulate_columns<BM, IS_MAX, false, true>(red, acc, stats, p.c, narrow, (int)i0, (int)jw0);
    } else {
        if (full) accumulate_columns<BM, IS_MAX, true, false>(red, acc, stats, p.c, narrow, (int)i0, (int)jw0);
        else accumulate_columns<BM, IS_MAX, false, false>(red, acc, stats, p.c, narrow, (int)i0, (int)jw0);
    }
}

// The query tiles [q0, q1) of BM rows that can see some of the keys [j0, j0 + BN) of a block
template <int BN, int BM>
__device__ __forceinline__ void query_tiles(const BatchMask& mask, int64_t j0, int64_t& q0, int64_t& q1) {
    const int64_t j1 = min(j0 + BN, mask.lenK);
    int64_t rlo = 0, rhi = 0;
    if (j0 < j1) {
        rlo = mask.rowLo(j0);
        rhi = mask.rowHi(j1);
    }
    q0 = rlo / BM;
    q1 = rhi > rlo ? (rhi + BM - 1) / BM : q0;
}

// Keys no row sees (past lenK, or outside every row's range): 0 for every query head of the group
template <int BN, int THREADS>
__device__ __forceinline__ void zero_unseen_keys(const Problem& p, int b, int kvh, int64_t j0) {
    const int G = p.Hq / p.Hkv;
    for (int e = threadIdx.x; e < BN * G; e += THREADS) {
        int64_t j = j0 + e % BN;
        int hq = kvh * G + e / BN;
        if (j < p.N) p.colval[((int64_t)b * p.Hq + hq) * p.N + j] = 0.f;
    }
}

// QROWS, STAGES: queries of an item and ring depth when not the Tiles defaults (0)
template <typename T, int DP, int WARPS, bool IS_MAX, bool WG, int QROWS = 0, int STAGES = 0>
__device__ void column_pass(const Problem& p) {
    using TL = Tiles<DP, WARPS, STAGES ? STAGES : 4>;
    constexpr int BN = TL::CP_BN, BM = QROWS ? QROWS : TL::CP_BM, CH = TL::CHUNKS, THREADS = TL::CP_WARPS * 32, S = TL::STAGES;
    constexpr int QSTAGE = BM * CH;
    extern __shared__ uint4 smem_raw[];
    uint4* sK = aligned_smem(smem_raw);
    uint4* sQ = sK + BN * CH;
    float* sL = (float*)(sQ + S * QSTAGE);

    const int warp = threadIdx.x >> 5;
    const int kt = blockIdx.x, bkv = blockIdx.y;
    const int b = bkv / p.Hkv, kvh = bkv % p.Hkv, G = p.Hq / p.Hkv;
    const BatchMask mask = BatchMask::of(p, b);
    const int64_t j0 = (int64_t)kt * BN;
    const int64_t jw0 = j0 + warp * 16;               // this warp's first key

    const T* K = (const T*)p.k + b * p.ksb + kvh * p.ksh;
    int64_t q0, q1;
    query_tiles<BN, BM>(mask, j0, q0, q1);
    const int64_t perHead = q1 - q0, items = perHead * G;

    if (items == 0) {
        zero_unseen_keys<BN, THREADS>(p, b, kvh, j0);
        return;
    }

    // the item stream: query tiles q0..q1-1 of head 0 of the group, then of head 1, ...
    int issueHead = 0;
    int64_t issueTile = q0;
    auto issue = [&](int stage) {
        const int hq = kvh * G + issueHead;
        const int64_t i0 = issueTile * BM;
        const T* Q = (const T*)p.q + b * p.qsb + hq * p.qsh;
        load_tile<BM, CH, THREADS>(sQ + stage * QSTAGE, Q, p.qsm, i0, p.M);
        const float* L = p.lse + ((int64_t)b * p.Hq + hq) * p.M * 2;
#pragma unroll
        for (int it = 0; it < (BM + THREADS - 1) / THREADS; it++) {   // a fixed trip count (as load_tile's)
            const int e = threadIdx.x + it * THREADS;
            if (BM % THREADS == 0 || e < BM) {
                const bool ok = i0 + e < p.M;
                cp_async8(&sL[(stage * BM + e) * 2], ok ? L + (i0 + e) * 2 : L, ok ? 8 : 0);
            }
        }
        if (++issueTile == q1) { issueTile = q0; issueHead++; }
    };

    // ring: K, then items 0 .. S-2 in flight; each step adds one item
    constexpr int AHEAD = S - 1;
    load_tile<BN, CH, THREADS>(sK, K, p.ksn, j0, p.N);
    cp_async_commit();
#pragma unroll
    for (int s = 0; s < AHEAD; s++) {
        if (s < items) issue(s);
        cp_async_commit();
    }
    cp_async_wait<AHEAD - 1>();
    fence_async_shared();
    __syncthreads();
    uint32_t ka[CH / 2][4];
    load_a_fragments<BN, CH>(ka, sK, warp * 16);

    float red[2] = {IS_MAX ? -INFINITY : 0.f, IS_MAX ? -INFINITY : 0.f};
    int head = 0;
    int64_t tile = q0;
    const BatchMask::Narrow narrow = mask.narrow();

    // reduce one item's p over its queries into red; after a head's last tile, write its keys
    auto epilogue = [&](const float (*acc)[4], const float* stats) {
        reduce_item<BM, IS_MAX>(red, acc, stats, p, mask, narrow, tile * BM, jw0);
        if (++tile == q1) {
            write_columns<IS_MAX>(red, p, mask, b, kvh * G + head, jw0);
            red[0] = red[1] = IS_MAX ? -INFINITY : 0.f;
            tile = q0;
            head++;
        }
    };

    // one item per step: wait for it, start the load S-1 items ahead, multiply, reduce. (The
    // software pipeline of row_statistics' PIPE path was slower here: kernel_lab, PERFORMANCE.md.)
    int fill = S - 1, st = 0;
    for (int64_t u = 0; u < items; u++) {
        cp_async_wait<S - 2>();            // item u has landed
        fence_async_shared();
        __syncthreads();                   // ... for every thread, and item u-1's stage is free
        if (u + S - 1 < items) issue(fill);
        cp_async_commit();
        fill = fill + 1 == S ? 0 : fill + 1;
        float acc[BM / 8][4];
        tile_mma_issue<T, BM, BM, CH, WG>(acc, ka, sQ + st * QSTAGE);
        tile_mma_wait<0, BM, WG>(acc);
        epilogue(acc, sL + st * BM * 2);
        st = st + 1 == S ? 0 : st + 1;
    }
    cp_async_wait<0>();
}

}  // namespace colreduce
