// Pass 1, RowStatistics: the log-sum-exp of every query row over the keys it sees, as two floats
// in the units of the raw scores: with t = sgn(scale)·q·k and c = |scale|·log2 e, m = max t and
// lg = log2(Σ_j 2^((t_j − m)·c)), so that p = 2^((t − m)·c − lg). Subtracting before scaling keeps
// p exact to rounding for huge logits and never overflows (SPEC §7.2). A block (one warpgroup) keeps 64 query rows in registers
// as A fragments and streams K tiles through a cp.async ring of STAGES tiles; S = Q·K^T comes from
// wgmma on sm_90a (WG) or mma.sync elsewhere. Each thread keeps an online (max, sum) for its two
// rows. With splits > 1 (few query tiles: decoding, SnapKV windows) blockIdx.z takes one slice
// of the keys and writes a partial (max, sum) that row_statistics_combine folds in a fixed order.
#pragma once
#include <type_traits>
#include "problem.cuh"
#include "tiles.cuh"
#include "warp_mma.cuh"
#include "wgmma.cuh"

namespace colreduce {

// Folds (m2, l2) into (m, l) (maxima in raw units, c scales them); -inf maxima stay exact and
// NaN propagates through l.
__device__ __forceinline__ void merge_stats(float& m, float& l, float m2, float l2, float c) {
    float mn = fmaxf(m, m2);
    float base = mn == -INFINITY ? 0.f : mn;
    l = l * exp2f((m - base) * c) + l2 * exp2f((m2 - base) * c);
    m = mn;
}

// A row's statistics as two floats (m, lg = log2 l), p = 2^((t − m)·c − lg): kept apart, not
// folded into one lse_t = m + lg/c, whose rounding at huge logits (|t| ~ 1e5, an ulp of 0.03)
// would move every p of the row by up to half a percent (SPEC 7.2 asks each row's mass to
// stay 1). (-inf, 0) where the row sees nothing.
__device__ __forceinline__ void store_row_stats(float* lse, int64_t row, float m, float l) {
    lse[row * 2] = l == 0.f ? -INFINITY : m;
    lse[row * 2 + 1] = l == 0.f ? 0.f : log2f(l);
}
// the row's log-sum-exp in the log2 domain, m·c + lg (the attention output pass's normaliser)
__device__ __forceinline__ float row_stats_log2(const float* lse, int64_t row, float c) { return lse[row * 2] * c + lse[row * 2 + 1]; }

// acc (16 rows of this warp x N columns) = A fragments x the rows of a shared [N][DP] tile.
// On sm_90a (WG) this only starts a wgmma group, finished by tile_mma_wait; mma.sync is immediate.
template <typename T, int N, int ROWS, int CH, bool WG>
__device__ __forceinline__ void tile_mma_issue(float (*acc)[4], const uint32_t (*a)[4], const uint4* s) {
#ifdef COLREDUCE_WGMMA
    if constexpr (WG) {
        warpgroup_mma_issue<T, N, CH / 2>(acc, a, s);
    } else
#endif
    {
#pragma unroll
        for (int n = 0; n < N / 8; n++) acc[n][0] = acc[n][1] = acc[n][2] = acc[n][3] = 0.f;
#pragma unroll
        for (int ks = 0; ks < CH / 2; ks++) {
#pragma unroll
            for (int n = 0; n < N / 8; n += 2) {
                uint32_t b00, b01, b10, b11;
                load_b_pair<ROWS>(b00, b01, b10, b11, s, n * 8, ks);
                mma16816<T>(acc[n], a[ks], b00, b01);
                mma16816<T>(acc[n + 1], a[ks], b10, b11);
            }
        }
    }
}

// acc of the group started PENDING groups ago is ready
template <int PENDING, int N, bool WG>
__device__ __forceinline__ void tile_mma_wait(float (*acc)[4]) {
#ifdef COLREDUCE_WGMMA
    if constexpr (WG) warpgroup_wait<PENDING, N>(acc);
#endif
}

// KEYS: keys of a tile when not the Tiles default (0)
template <typename T, int DP, int WARPS, bool WG, int STAGES = 4, bool PIPE = false, int KEYS = 0>
__device__ void row_statistics(const Problem& p) {
    using TL = Tiles<DP, WARPS, STAGES>;
    constexpr int BM = TL::RS_BM, BN = KEYS ? KEYS : TL::RS_BN, CH = TL::CHUNKS, THREADS = TL::RS_WARPS * 32, S = TL::STAGES;
    extern __shared__ uint4 smem_raw[];
    // the Q tile goes to registers before the ring's last stage is first filled: where it fits
    // in one stage it borrows that stage (less shared memory, more blocks per SM)
    // PIPE and tiles of 128 keys read Q (the A operand) from shared memory throughout: no registers for it
    constexpr bool Q_SHARED = WG && (PIPE || BN > 64);
    constexpr bool Q_IN_RING = BM <= BN && !Q_SHARED;
    uint4* sK = aligned_smem(smem_raw);
    uint4* sQ = Q_IN_RING ? sK + (S - 1) * BN * CH : sK + S * BN * CH;

    // warp read from lane 0: known warp-uniform, so wgmma descriptors built from it stay uniform
    const int warp = __shfl_sync(0xffffffffu, threadIdx.x >> 5, 0), lane = threadIdx.x & 31;
    // causal rows late in the sequence see the most keys: run those blocks first (shorter tail)
    const int qt = p.causal ? gridDim.x - 1 - blockIdx.x : blockIdx.x, bh = blockIdx.y, split = blockIdx.z;
    const int b = bh / p.Hq, h = bh % p.Hq, kvh = h / (p.Hq / p.Hkv);
    const BatchMask mask = BatchMask::of(p, b);
    const int64_t i0 = (int64_t)qt * BM;
    const int64_t i1 = min(i0 + BM, mask.lenQ);

    int64_t jlo = 0, jhi = 0;
    if (i0 < i1) {
        jlo = mask.keyLo(i0);
        jhi = mask.keyHi(i1);
    }
    if (p.splits > 1) {
        jlo = max(jlo, (int64_t)split * p.keysPerSplit);
        jhi = min(jhi, (int64_t)(split + 1) * p.keysPerSplit);
    }
    const int64_t t0 = jlo / BN, t1 = jhi > jlo ? (jhi + BN - 1) / BN : t0;

    const T* Q = (const T*)p.q + b * p.qsb + h * p.qsh;
    const T* K = (const T*)p.k + b * p.ksb + kvh * p.ksh;

    float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};
    const int g = lane >> 2, t = lane & 3;

    if (t0 < t1) {
        // ring: Q, then tiles t0 .. t0+S-2 in flight; each step adds one tile
        load_tile<BM, CH, THREADS>(sQ, Q, p.qsm, i0, p.M);
        cp_async_commit();
        constexpr int AHEAD = S - 1;
#pragma unroll
        for (int s = 0; s < AHEAD; s++) {
            if (t0 + s < t1) load_tile<BN, CH, THREADS>(sK + s * BN * CH, K, p.ksn, (t0 + s) * BN, p.N);
            cp_async_commit();
        }
        cp_async_wait<AHEAD - 1>();
        fence_async_shared();
        __syncthreads();
        uint32_t qa[Q_SHARED ? 1 : CH / 2][4];   // Q as A fragments, where wgmma does not read it from shared memory
        if constexpr (!Q_SHARED) load_a_fragments<BM, CH>(qa, sQ, warp * 16);
        const int64_t row0 = i0 + warp * 16 + g;
        const BatchMask::Narrow narrow = mask.narrow();

        // The online (max, sum) update of one tile's scores; reads acc, never writes it (under
        // PIPE the other accumulator set is in flight). Two compile-time cases keep the inner loop
        // free of branches: FULL (every pair visible, no mask test) and POS (the sign of the scale).
        // Masked scores are -inf; t - base is formed before scaling by c (exact for huge logits,
        // SPEC 7.2).
        const int r0 = (int)row0;
        auto update = [&](const float (*acc)[4], int64_t tt, auto fullTag, auto posTag) {
            constexpr bool FULL = decltype(fullTag)::value, POS = decltype(posTag)::value;
            const int j0 = (int)(tt * BN);
            auto score = [&](int n, int e) {
                float x = POS ? acc[n][e] : -acc[n][e];
                if constexpr (!FULL) {
                    if (!narrow.visible(r0 + (e >> 1) * 8, j0 + n * 8 + 2 * t + (e & 1))) x = -INFINITY;
                }
                return x;
            };
#pragma unroll
            for (int r = 0; r < 2; r++) {
                float mx = -INFINITY;
#pragma unroll
                for (int n = 0; n < BN / 8; n++) mx = fmaxf(mx, fmaxf(score(n, 2 * r), score(n, 2 * r + 1)));
                mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
                mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
                float mn = fmaxf(m[r], mx);
                float base = mn == -INFINITY ? 0.f : mn;
                // two partial sums: shorter dependency chains
                float s0 = 0.f, s1 = 0.f;
#pragma unroll
                for (int n = 0; n < BN / 8; n++) {
                    s0 += fast_exp2((score(n, 2 * r) - base) * p.c);
                    s1 += fast_exp2((score(n, 2 * r + 1) - base) * p.c);
                }
                l[r] = l[r] * fast_exp2((m[r] - base) * p.c) + (s0 + s1);
                m[r] = mn;
            }
        };
        using True = std::integral_constant<bool, true>;
        using False = std::integral_constant<bool, false>;
        auto epilogue = [&](const float (*acc)[4], int64_t tt) {
            const bool full = mask.full(i0 + warp * 16, i0 + warp * 16 + 16, tt * BN, tt * BN + BN);
            if (p.sgn > 0) {
                if (full) update(acc, tt, True(), True());
                else update(acc, tt, False(), True());
            } else {
                if (full) update(acc, tt, True(), False());
                else update(acc, tt, False(), False());
            }
        };

#ifdef COLREDUCE_WGMMA
        if constexpr (WG && PIPE) {
            // Software pipeline (FlashAttention-3's intra-warpgroup overlap): tile u+1's wgmma runs
            // while tile u is exponentiated. Two accumulator sets, the loop unrolled by two so
            // each is a fixed set of registers, and no wgmma group in flight across the loop's
            // back edge (ptxas serializes every wgmma otherwise, C7514). Past t1 the wgmma runs
            // on a stale stage and its result is dropped: no wgmma under a branch either.
            float accA[BN / 8][4], accB[BN / 8][4];
            int stage = 0;                     // ring stage of the tile issued next
            auto step = [&](float (*acc)[4], int64_t u) {
                cp_async_wait<S - 2>();        // tile u has landed
                fence_async_shared();
                __syncthreads();               // ... for every thread; tile u-1's wgmma is done
                const int fill = stage == 0 ? S - 1 : stage - 1;
                if (u + S - 1 < t1) load_tile<BN, CH, THREADS>(sK + fill * BN * CH, K, p.ksn, (u + S - 1) * BN, p.N);
                cp_async_commit();
                warpgroup_mma_issue_ss<T, BN, CH / 2, BM>(acc, sQ, (warp >> 2) * 64, sK + stage * BN * CH);
                stage = stage + 1 == S ? 0 : stage + 1;
            };
            step(accA, t0);
            warpgroup_wait<0, BN>(accA);
            for (int64_t u = t0; u < t1; u += 2) {
                step(accB, u + 1);
                epilogue(accA, u);
                warpgroup_wait<0, BN>(accB);
                step(accA, u + 2);
                if (u + 1 < t1) epilogue(accB, u + 1);
                warpgroup_wait<0, BN>(accA);
            }
        } else
#endif
        {
        // one tile per step: wait for it, start the load S-1 tiles ahead, multiply, reduce.
        int stage = 0, fill = S - 1;
        for (int64_t tt = t0; tt < t1; tt++) {
            cp_async_wait<S - 2>();        // tile tt has landed
            fence_async_shared();
            __syncthreads();               // ... for every thread, and tile tt-1's stage is free
            if (tt + S - 1 < t1) load_tile<BN, CH, THREADS>(sK + fill * BN * CH, K, p.ksn, (tt + S - 1) * BN, p.N);
            cp_async_commit();
            fill = fill + 1 == S ? 0 : fill + 1;
            float acc[BN / 8][4];
#ifdef COLREDUCE_WGMMA
            if constexpr (Q_SHARED) warpgroup_mma_issue_ss<T, BN, CH / 2, BM>(acc, sQ, (warp >> 2) * 64, sK + stage * BN * CH);
            else
#endif
                tile_mma_issue<T, BN, BN, CH, WG>(acc, qa, sK + stage * BN * CH);
            stage = stage + 1 == S ? 0 : stage + 1;
            tile_mma_wait<0, BN, WG>(acc);
            epilogue(acc, tt);
        }
        }
        cp_async_wait<0>();
    }
    // fold the quad's partial sums (m is already quad-uniform) in a fixed order
#pragma unroll
    for (int r = 0; r < 2; r++) {
        l[r] += __shfl_xor_sync(0xffffffffu, l[r], 1);
        l[r] += __shfl_xor_sync(0xffffffffu, l[r], 2);
    }
    if (t == 0) {
#pragma unroll
        for (int r = 0; r < 2; r++) {
            int64_t i = i0 + warp * 16 + g + r * 8;
            if (i >= p.M) continue;
            int64_t row = (int64_t)bh * p.M + i;
            if (p.splits > 1) {
                int64_t rows = (int64_t)p.B * p.Hq * p.M;
                p.partial[(split * rows + row) * 2] = m[r];
                p.partial[(split * rows + row) * 2 + 1] = l[r];
            } else {
                store_row_stats(p.lse, row, m[r], l[r]);
            }
        }
    }
}

// lse of each row from the partial (max, sum) of its key splits, folded in split order.
__device__ void row_statistics_combine(const Problem& p) {
    int64_t rows = (int64_t)p.B * p.Hq * p.M;
    int64_t row = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (row >= rows) return;
    float m = -INFINITY, l = 0.f;
    for (int s = 0; s < p.splits; s++) merge_stats(m, l, p.partial[(s * rows + row) * 2], p.partial[(s * rows + row) * 2 + 1], p.c);
    store_row_stats(p.lse, row, m, l);
}

}  // namespace colreduce
