// Pass 2 for few query rows (decoding, SnapKV windows: G·ceil(M/BM) ≤ 4 query tiles per KV
// head): the column pass turned around. Every query tile of the group (and its lse) stays in
// shared memory for the block's life, and K streams through a cp.async ring, one tile of 64 keys
// per step: K is read once from memory at full speed instead of once per tiny block. Same
// arithmetic, order and output as column_pass.
#pragma once
#include "problem.cuh"
#include "tiles.cuh"
#include "warp_mma.cuh"
#include "column_pass.cuh"

namespace colreduce {

constexpr int STREAM_MAX_QTILES = 4;

template <typename T, int DP, bool IS_MAX, bool WG, int STAGES = 4>
__device__ void column_stream(const Problem& p) {
    using TL = Tiles<DP, 4, STAGES>;
    constexpr int BN = TL::CP_BN, BM = TL::CP_BM, CH = TL::CHUNKS, THREADS = 128, S = TL::STAGES;
    constexpr int QSTAGE = BM * CH, KSTAGE = BN * CH;
    const int G = p.Hq / p.Hkv;
    const int QT = (p.M + BM - 1) / BM;                // resident query tiles per head
    extern __shared__ uint4 smem_raw[];
    uint4* sK = aligned_smem(smem_raw);
    uint4* sQ = sK + S * KSTAGE;
    float* sL = (float*)(sQ + G * QT * QSTAGE);

    const int warp = threadIdx.x >> 5;
    const int bkv = blockIdx.y;
    const int b = bkv / p.Hkv, kvh = bkv % p.Hkv;
    const BatchMask mask = BatchMask::of(p, b);
    const BatchMask::Narrow narrow = mask.narrow();
    const int64_t tilesPerBlock = p.keysPerSplit / BN;
    const int64_t kt0 = (int64_t)blockIdx.x * tilesPerBlock;
    const int64_t kt1 = min(kt0 + tilesPerBlock, ((int64_t)p.N + BN - 1) / BN);
    const T* K = (const T*)p.k + b * p.ksb + kvh * p.ksh;

    // every query tile of every head of the group, with its lse: one group
    for (int gh = 0; gh < G; gh++) {
        const int hq = kvh * G + gh;
        const T* Q = (const T*)p.q + b * p.qsb + hq * p.qsh;
        const float* L = p.lse + ((int64_t)b * p.Hq + hq) * p.M * 2;
        for (int q = 0; q < QT; q++) {
            load_tile<BM, CH, THREADS>(sQ + (gh * QT + q) * QSTAGE, Q, p.qsm, (int64_t)q * BM, p.M);
            for (int e = threadIdx.x; e < BM; e += THREADS) {
                int64_t i = (int64_t)q * BM + e;
                cp_async8(&sL[((gh * QT + q) * BM + e) * 2], i < p.M ? L + i * 2 : L, i < p.M ? 8 : 0);
            }
        }
    }
    cp_async_commit();
#pragma unroll
    for (int s = 0; s < S - 1; s++) {
        if (kt0 + s < kt1) load_tile<BN, CH, THREADS>(sK + s * KSTAGE, K, p.ksn, (kt0 + s) * BN, p.N);
        cp_async_commit();
    }

    int stage = 0, fill = S - 1;
    for (int64_t kt = kt0; kt < kt1; kt++) {
        cp_async_wait<S - 2>();            // key tile kt (and the query tiles) have landed
        fence_async_shared();
        __syncthreads();                   // ... for every thread, and key tile kt-1's stage is free
        if (kt + S - 1 < kt1) load_tile<BN, CH, THREADS>(sK + fill * KSTAGE, K, p.ksn, (kt + S - 1) * BN, p.N);
        cp_async_commit();
        fill = fill + 1 == S ? 0 : fill + 1;
        const uint4* kTile = sK + stage * KSTAGE;
        stage = stage + 1 == S ? 0 : stage + 1;

        const int64_t j0 = kt * BN, j1 = min(j0 + BN, mask.lenK), jw0 = j0 + warp * 16;
        int64_t rlo = 0, rhi = 0;
        if (j0 < j1) { rlo = mask.rowLo(j0); rhi = mask.rowHi(j1); }
        const int q0 = (int)(rlo / BM), q1 = rhi > rlo ? (int)((rhi + BM - 1) / BM) : q0;
        // mma.sync takes K as register fragments; wgmma reads it from the shared tile (no
        // ldmatrix pass over every K tile)
        uint32_t ka[WG ? 1 : CH / 2][4];
        if constexpr (!WG) {
            if (q0 < q1) load_a_fragments<BN, CH>(ka, kTile, warp * 16);
        }
        for (int gh = 0; gh < G; gh++) {
            float red[2] = {IS_MAX ? -INFINITY : 0.f, IS_MAX ? -INFINITY : 0.f};
            for (int q = q0; q < q1; q++) {
                float acc[BM / 8][4];
#ifdef COLREDUCE_WGMMA
                if constexpr (WG) warpgroup_mma_issue_ss<T, BM, CH / 2, BN>(acc, kTile, 0, sQ + (gh * QT + q) * QSTAGE);
                else
#endif
                    tile_mma_issue<T, BM, BM, CH, WG>(acc, ka, sQ + (gh * QT + q) * QSTAGE);
                tile_mma_wait<0, BM, WG>(acc);
                reduce_item<BM, IS_MAX>(red, acc, sL + (gh * QT + q) * BM * 2, p, mask, narrow, (int64_t)q * BM, jw0);
            }
            write_columns<IS_MAX>(red, p, mask, b, kvh * G + gh, jw0);
        }
    }
    cp_async_wait<0>();
}

}  // namespace colreduce
