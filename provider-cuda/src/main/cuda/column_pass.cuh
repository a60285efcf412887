// Pass 2, ColumnPass: a block owns CP_BN keys of one (batch, KV head) and streams the query
// tiles of every query head of the group that can see them through a cp.async ring, computing
// S^T = K·Q^T on tensor cores (wgmma on sm_90a, mma.sync elsewhere) with K held in registers.
// Keys sit on accumulator rows, so the reduction over queries stays inside a thread and ends with
// one fixed-order quad shuffle: no atomics, the same bits on every run (SPEC §8.1).
// SUM/MEAN add p = 2^(s·c − lse2); MAX keeps the largest s·c − lse2 and takes one exp2 at the end.
// Writes one value per (batch, query head, key) into colval: the head reduction and the
// previous scores are head_reduction's job.
#pragma once
#include "problem.cuh"
#include "tiles.cuh"
#include "warp_mma.cuh"
#include "row_statistics.cuh"

namespace colreduce {

template <typename T, int DP, int WARPS, bool IS_MAX, bool WG>
__device__ void column_pass(const Problem& p) {
    using TL = Tiles<DP, WARPS>;
    constexpr int BN = TL::CP_BN, BM = TL::CP_BM, CH = TL::CHUNKS, THREADS = TL::CP_WARPS * 32, S = TL::STAGES;
    constexpr int QSTAGE = BM * CH;
    extern __shared__ uint4 smem_raw[];
    uint4* sK = aligned_smem(smem_raw);
    uint4* sQ = sK + BN * CH;
    float* sL = (float*)(sQ + S * QSTAGE);

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const int kt = blockIdx.x, bkv = blockIdx.y;
    const int b = bkv / p.Hkv, kvh = bkv % p.Hkv, G = p.Hq / p.Hkv;
    const BatchMask mask = BatchMask::of(p, b);
    const int64_t j0 = (int64_t)kt * BN;
    const int64_t j1 = min(j0 + BN, mask.lenK);
    const int64_t jw0 = j0 + warp * 16;               // this warp's first key

    const T* K = (const T*)p.k + b * p.ksb + kvh * p.ksh;
    int64_t rlo = 0, rhi = 0;
    if (j0 < j1) {
        rlo = mask.rowLo(j0);
        rhi = mask.rowHi(j1);
    }
    const int64_t q0 = rlo / BM, q1 = rhi > rlo ? (rhi + BM - 1) / BM : q0;
    const int64_t perHead = q1 - q0, items = perHead * G;

    if (items == 0) {
        // keys no row sees (past lenK, or outside every row's range): 0 for every query head
        for (int e = threadIdx.x; e < BN * G; e += THREADS) {
            int64_t j = j0 + e % BN;
            int hq = kvh * G + e / BN;
            if (j < p.N) p.colval[((int64_t)b * p.Hq + hq) * p.N + j] = 0.f;
        }
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
        const float* L = p.lse + ((int64_t)b * p.Hq + hq) * p.M;
        for (int e = threadIdx.x; e < BM; e += THREADS) {
            bool ok = i0 + e < p.M;
            cp_async4(&sL[stage * BM + e], ok ? L + i0 + e : L, ok ? 4 : 0);
        }
        if (++issueTile == q1) { issueTile = q0; issueHead++; }
    };

    // ring: K, then items 0 .. S-2 in flight; each step adds one item
    load_tile<BN, CH, THREADS>(sK, K, p.ksn, j0, p.N);
    cp_async_commit();
#pragma unroll
    for (int s = 0; s < S - 1; s++) {
        if (s < items) issue(s);
        cp_async_commit();
    }
    cp_async_wait<S - 2>();
    fence_async_shared();
    __syncthreads();
    uint32_t ka[CH / 2][4];
    load_a_fragments<BN, CH>(ka, sK, warp * 16);

    float red[2] = {IS_MAX ? -INFINITY : 0.f, IS_MAX ? -INFINITY : 0.f};
    int head = 0;
    int64_t tile = q0;

    // reduce one item's p over its queries into red; after a head's last tile, write its keys
    auto epilogue = [&](float (*acc)[4], const float* lse) {
        const int64_t i0 = tile * BM;
        const bool full = mask.full(i0, i0 + BM, jw0, jw0 + 16);
#pragma unroll
        for (int n = 0; n < BM / 8; n++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const int qi = n * 8 + 2 * t + (e & 1);
                float x = fmaf(acc[n][e], p.c, -lse[qi]);
                bool vis = full || mask.visible(i0 + qi, jw0 + g + (e >> 1) * 8);
                if (IS_MAX) red[e >> 1] = vis ? max_nan(red[e >> 1], x) : red[e >> 1];
                else red[e >> 1] += vis ? fast_exp2(x) : 0.f;
            }
        if (++tile == q1) {
            const int hq = kvh * G + head;
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
                red[r] = IS_MAX ? -INFINITY : 0.f;
            }
            tile = q0;
            head++;
        }
    };

    // one item per step: wait for it, start the load S-1 items ahead, multiply, reduce. (Issuing
    // item u+1's wgmma before reducing item u made ptxas serialize the wgmmas, C7514/C7515.)
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
        epilogue(acc, sL + st * BM);
        st = st + 1 == S ? 0 : st + 1;
    }
    cp_async_wait<0>();
}

}  // namespace colreduce
