// Pass 2, ColumnPass: a block owns CP_BN keys of one (batch, KV head) and streams the query
// tiles of every query head of the group that can see them, computing S^T = K·Q^T on tensor
// cores. Keys sit on accumulator rows, so the reduction over queries stays inside a thread and
// ends with one fixed-order quad shuffle: no atomics, the same bits on every run (SPEC §8.1).
// SUM/MEAN add p = 2^(s·c − lse2); MAX keeps the largest s·c − lse2 and takes one exp2 at the end.
// Writes one value per (batch, query head, key) into colval: the head reduction and the
// previous scores are head_reduction's job.
#pragma once
#include "problem.cuh"
#include "tiles.cuh"
#include "warp_mma.cuh"

namespace colreduce {

template <typename T, int DP, bool IS_MAX>
__device__ void column_pass(const Problem& p) {
    using TL = Tiles<DP>;
    constexpr int BN = TL::CP_BN, BM = TL::CP_BM, CH = TL::CHUNKS, THREADS = TL::CP_WARPS * 32;
    constexpr int QSTAGE = BM * CH;
    constexpr int TILE_CHUNKS = (BN > 2 * BM ? BN : 2 * BM) * CH;
    extern __shared__ uint4 smem[];
    uint4* sT = smem;                                  // K tile first, then the Q ring
    float* sL = (float*)(smem + TILE_CHUNKS);          // lse ring

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

    uint32_t ka[CH / 2][4];
    if (items > 0) {
        load_tile<BN, CH, THREADS>(sT, K, p.ksn, j0, p.N);
        cp_async_commit();
        cp_async_wait<0>();
        __syncthreads();
        load_a_fragments<CH>(ka, sT, warp * 16);
        __syncthreads();
    }

    auto issue = [&](int64_t it) {
        const int stage = (int)(it & 1);
        const int hq = kvh * G + (int)(it / perHead);
        const int64_t i0 = (q0 + it % perHead) * BM;
        const T* Q = (const T*)p.q + b * p.qsb + hq * p.qsh;
        load_tile<BM, CH, THREADS>(sT + stage * QSTAGE, Q, p.qsm, i0, p.M);
        const float* L = p.lse + ((int64_t)b * p.Hq + hq) * p.M;
        for (int e = threadIdx.x; e < BM; e += THREADS) {
            bool ok = i0 + e < p.M;
            cp_async4(&sL[stage * BM + e], ok ? L + i0 + e : L, ok ? 4 : 0);
        }
    };

    float red[2] = {IS_MAX ? -INFINITY : 0.f, IS_MAX ? -INFINITY : 0.f};
    if (items > 0) issue(0);
    cp_async_commit();
    for (int64_t it = 0; it < items; it++) {
        const int stage = (int)(it & 1);
        if (it + 1 < items) issue(it + 1);
        cp_async_commit();
        cp_async_wait<1>();
        __syncthreads();
        const uint4* s = sT + stage * QSTAGE;
        const float* lse = sL + stage * BM;
        float acc[BM / 8][4];
#pragma unroll
        for (int n = 0; n < BM / 8; n++) acc[n][0] = acc[n][1] = acc[n][2] = acc[n][3] = 0.f;
#pragma unroll
        for (int ks = 0; ks < CH / 2; ks++) {
#pragma unroll
            for (int n = 0; n < BM / 8; n += 2) {
                uint32_t b00, b01, b10, b11;
                load_b_pair<CH>(b00, b01, b10, b11, s, n * 8, ks);
                mma16816<T>(acc[n], ka[ks], b00, b01);
                mma16816<T>(acc[n + 1], ka[ks], b10, b11);
            }
        }
        const int64_t i0 = (q0 + it % perHead) * BM;
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
        // a head's last tile: fold the quad, write one value per key, start the next head
        if ((it + 1) % perHead == 0) {
            const int hq = kvh * G + (int)(it / perHead);
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
        }
        __syncthreads();
    }
    // keys no row sees (past lenK, or outside every row's range): 0 for every query head
    if (items == 0) {
        for (int e = threadIdx.x; e < BN * G; e += THREADS) {
            int64_t j = j0 + e % BN;
            int hq = kvh * G + e / BN;
            if (j < p.N) p.colval[((int64_t)b * p.Hq + hq) * p.N + j] = 0.f;
        }
    }
}

}  // namespace colreduce
