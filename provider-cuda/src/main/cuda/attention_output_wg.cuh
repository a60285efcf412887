// AttentionOutputPipelined, the attention output pass on sm_90a (E ≤ 128, F16/BF16): the work of
// attention_output.cuh for 128 query rows per block (two warpgroups of 64), on wgmma, software
// pipelined as in FlashAttention-3 (intra-warpgroup overlap):
//   - S_u = Q·K_u^T with both operands in shared memory (SS wgmma), Q staged once;
//   - O += P_{u-1}·V_{u-1} with P in registers (the S accumulators, rounded to the input type, are
//     the A fragments) and V read as staged, keys by rows (N-major B, imm-trans-b = 1): no
//     transpose pass;
//   - both issued together, then tile u's exponentials run while P_{u-1}·V_{u-1} does; O is
//     rescaled once it has landed. Every group is waited for inside the iteration (a group in
//     flight across the back edge makes ptxas serialise every wgmma, C7514).
// Measured on the H200 (attend_lab, 1,32,4096,4096,128: 0.87 ms, 315 TF/s; mma.sync 1.41 ms):
// issuing S_{u+1} one tile earlier (two score buffers, 5 stages) gained nothing (0.88 ms), nor
// did 3 or 5 stages: the exposed S latency is not what is left (commit 2f847d9 has that variant).
// K and V tiles of 64 keys share the 128 rows of a block through a ring of STAGES stages filled
// by cp.async two tiles ahead (tile u+S-2 goes into the stage of tile u-2, the last one every
// warp is done with at the barrier of iteration u).
// Masks: compile-time FULL / masked epilogues (no per-score branch where every pair is visible).
// SPEC §7.3 (0·NaN is NaN): in a tile not visible to every row of the block, a non-finite V
// value reaches O directly, for the rows that see its key, and is zeroed in shared memory before
// the tile's wgmma, so that a masked key (p = 0) never multiplies it.
// Sums run in a fixed order (wgmma, fixed quad shuffles): same bits on every run (SPEC §8.1).
#pragma once
#include <type_traits>
#include "attention_output.cuh"
#include "wgmma.cuh"

namespace colreduce {

template <int E, int STAGES_ = 4, int BN_ = 64>
struct PipelinedOutputTiles {
    static constexpr int WARPS = 8, THREADS = WARPS * 32;
    static constexpr int BM = 16 * WARPS;   // query rows of a block, 64 per warpgroup
    static constexpr int BN = BN_;          // keys of a tile
    static constexpr int CH = E / 8;        // 16-byte chunks of a row
    static constexpr int STAGES = STAGES_;  // ring depth: tiles u-1 (its V read this iteration), u, u+1, u+2
    static constexpr int smem() { return (BM + STAGES * 2 * BN) * E * 2 + 1024; }   // Q, K and V stages, alignment
};

// zeroes the non-finite values of a staged tile (its threads' share); true if there were any
template <typename T, int CHUNKS, int THREADS>
__device__ __forceinline__ bool sanitize_values(uint4* tile, int tid) {
    constexpr uint32_t EXP = MmaType<T>::BF16 ? 0x7F80u : 0x7C00u;
    bool any = false;
#pragma unroll
    for (int it = 0; it < CHUNKS / THREADS; it++) {
        uint4 x = tile[tid + it * THREADS];
        uint32_t w[4] = {x.x, x.y, x.z, x.w};
#pragma unroll
        for (int i = 0; i < 4; i++) {
            if ((w[i] & EXP) == EXP) w[i] &= 0xFFFF0000u, any = true;
            if ((w[i] >> 16 & EXP) == EXP) w[i] &= 0x0000FFFFu, any = true;
        }
        tile[tid + it * THREADS] = make_uint4(w[0], w[1], w[2], w[3]);
    }
    return any;
}

// O·alpha for this thread's rows (online: the running max moved)
template <int E>
__device__ __forceinline__ void rescale_output(float (*oacc)[4], const float (&alpha)[2]) {
#pragma unroll
    for (int n = 0; n < E / 8; n++) {
        oacc[n][0] *= alpha[0];
        oacc[n][1] *= alpha[0];
        oacc[n][2] *= alpha[1];
        oacc[n][3] *= alpha[1];
    }
}

// The largest (MAX) or smallest score of accumulator row r (0: g, 1: g + 8) over the quad's columns
template <int BN, bool MAX>
__device__ __forceinline__ float quad_extreme(const float (*acc)[4], int r) {
    float x = MAX ? -INFINITY : INFINITY;
#pragma unroll
    for (int n = 0; n < BN / 8; n++) x = MAX ? fmaxf(x, fmaxf(acc[n][2 * r], acc[n][2 * r + 1])) : fminf(x, fminf(acc[n][2 * r], acc[n][2 * r + 1]));
#pragma unroll
    for (int lanes = 1; lanes <= 2; lanes *= 2) {
        const float y = __shfl_xor_sync(0xffffffffu, x, lanes);
        x = MAX ? fmaxf(x, y) : fminf(x, y);
    }
    return x;
}

// P (the S accumulators after the softmax) as wgmma A fragments: hi, and for BF16 the rounding
// residue lo (P·V as (hi + lo)·V)
template <typename T, int BN>
__device__ __forceinline__ void probability_fragments(uint32_t (*pa)[4], uint32_t (*pl)[4], const float (*sacc)[4]) {
#pragma unroll
    for (int kk = 0; kk < BN / 16; kk++)
#pragma unroll
        for (int q = 0; q < 4; q++) {
            const float x0 = sacc[2 * kk + (q >> 1)][2 * (q & 1)], x1 = sacc[2 * kk + (q >> 1)][2 * (q & 1) + 1];
            pa[kk][q] = pack2<T>(x0, x1);
            if constexpr (MmaType<T>::BF16) pl[kk][q] = residue2<T>(x0, x1, pa[kk][q]);
        }
}

template <typename T, int E, int STAGES = 4, int KEYS = 64>
__device__ void attention_output_pipelined(const Problem& p, const OutputProblem& o) {
#ifdef COLREDUCE_WGMMA
    using TL = PipelinedOutputTiles<E, STAGES, KEYS>;
    constexpr int BM = TL::BM, BN = TL::BN, CH = TL::CH, THREADS = TL::THREADS, S = TL::STAGES;
    static_assert(E <= 128 && S >= 3, "E <= 128; a stage for the V read this iteration");
    constexpr bool PSPLIT = MmaType<T>::BF16;   // P·V as (hi + lo)·V for BF16, as attention_output.cuh
    using True = std::integral_constant<bool, true>;
    using False = std::integral_constant<bool, false>;
    extern __shared__ uint4 smem_raw[];
    uint4* sQ = aligned_smem(smem_raw);
    uint4* sKV = sQ + BM * CH;   // stage s: K at sKV + 2s·BN·CH, V after it
    auto kTile = [&](int s) { return sKV + 2 * s * BN * CH; };
    auto vTile = [&](int s) { return sKV + (2 * s + 1) * BN * CH; };

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const int qt = gridDim.x - 1 - blockIdx.x;   // longest (causal) tiles first
    const int bh = blockIdx.y, b = bh / p.Hq, h = bh % p.Hq, kvh = h / (p.Hq / p.Hkv);
    const BatchMask mask = BatchMask::of(p, b);
    const int64_t i0 = (int64_t)qt * BM, i1 = min(i0 + BM, mask.lenQ);
    const int64_t row0 = i0 + warp * 16 + g;     // this thread's rows: row0, row0 + 8
    const bool online = o.online != 0;

    int64_t jlo = 0, jhi = 0;
    if (i0 < i1) {
        jlo = mask.keyLo(i0);
        jhi = mask.keyHi(i1);
    }
    const int64_t t0 = jlo / BN, t1 = jhi > jlo ? (jhi + BN - 1) / BN : t0;

    const T* Q = (const T*)p.q + b * p.qsb + h * p.qsh;
    const T* K = (const T*)p.k + b * p.ksb + kvh * p.ksh;
    const T* V = (const T*)o.v + b * o.vsb + kvh * o.vsh;
    auto load = [&](int s, int64_t u) {
        load_rows<BN, CH, THREADS>(kTile(s), K, p.ksn, u * BN, p.N, p.ld / 8);
        load_rows<BN, CH, THREADS>(vTile(s), V, o.vsn, u * BN, p.N, o.ldv / 8);
    };

    // m: the running max (online) or lse2 (given); l: this thread's part of the running sum
    float m[2], l[2] = {0.f, 0.f}, oacc[E / 8][4];
    start_output_rows<E>(p, o, bh, row0, m, oacc);

    if (t0 < t1) {
        load_rows<BM, CH, THREADS>(sQ, Q, p.qsm, i0, p.M, p.ld / 8);
        cp_async_commit();
#pragma unroll
        for (int s = 0; s < S - 2; s++) {
            if (t0 + s < t1) load(s, t0 + s);
            cp_async_commit();
        }
        const BatchMask::Narrow narrow = mask.narrow();
        const float cs = p.c * p.sgn;
        const int r0 = (int)row0;

        float sacc[BN / 8][4];
        uint32_t pa[BN / 16][4], pl[PSPLIT ? BN / 16 : 1][4];

        // waits for tile u, refills the stage of tile u-2 with tile u+S-2, starts S_u = Q·K_u^T
        auto begin = [&](int64_t u, int stage) {
            cp_async_wait<S - 3>();
            fence_async_shared();
            __syncthreads();
            const int fill = (stage + S - 2) % S;
            if (u + S - 2 < t1) load(fill, u + S - 2);
            cp_async_commit();
            warpgroup_mma_issue_ss<T, BN, CH / 2, BM>(sacc, sQ, (warp >> 2) * 64, kTile(stage));
        };
        // O += P_{u}·V_{u} (the fragments of the last tile) as one more wgmma group
        auto issue_values = [&](int stage) {
            fence_acc<E>(oacc);
            asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#pragma unroll
            for (int kk = 0; kk < BN / 16; kk++)
#pragma unroll
                for (int half = 0; half < E / 64; half++) {
                    const uint64_t d = n_major_descriptor<BN>(vTile(stage) + half * BN * 8, kk);
                    WgmmaT<T, 64>::mma(oacc + half * 8, pa[kk], d, 1);
                    if constexpr (PSPLIT) WgmmaT<T, 64>::mma(oacc + half * 8, pl[kk], d, 1);
                }
            asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
            fence_acc<E>(oacc);
        };
        // logits (log2 domain), tile maximum and exponentials of S_u; returns the rescaling of O
        // (applied by the caller once O is no longer in flight)
        float alpha[2] = {1.f, 1.f};
        auto softmax = [&](int64_t u, auto fullTag) {
            constexpr bool FULL = decltype(fullTag)::value;
            const int j0 = (int)(u * BN);
#pragma unroll
            for (int n = 0; n < BN / 8; n++)
#pragma unroll
                for (int e = 0; e < 4; e++) {
                    if constexpr (FULL) sacc[n][e] *= cs;
                    else sacc[n][e] = narrow.visible(r0 + (e >> 1) * 8, j0 + n * 8 + 2 * t + (e & 1)) ? sacc[n][e] * cs : -INFINITY;
                }
#pragma unroll
            for (int r = 0; r < 2; r++) {
                float base;
                if (online) {
                    const float mx = quad_extreme<BN, true>(sacc, r);
                    float mn = fmaxf(m[r], mx);
                    base = mn == -INFINITY ? 0.f : mn;
                    alpha[r] = fast_exp2(m[r] - base);
                    m[r] = mn;
                } else {
                    base = m[r] == -INFINITY ? 0.f : m[r];
                }
                float s0 = 0.f, s1 = 0.f;
#pragma unroll
                for (int n = 0; n < BN / 8; n++) {
                    float p0 = fast_exp2(sacc[n][2 * r] - base), p1 = fast_exp2(sacc[n][2 * r + 1] - base);
                    sacc[n][2 * r] = p0;
                    sacc[n][2 * r + 1] = p1;
                    s0 += p0;
                    s1 += p1;
                }
                l[r] = (online ? l[r] * alpha[r] : l[r]) + (s0 + s1);
            }
        };
        // tile u's scores are ready: softmax (FULL without a mask test), §7.3 for its V
        auto middle = [&](int64_t u, int stage) {
            warpgroup_wait<1, BN>(sacc);   // S_u landed; P_{u-1}·V_{u-1} may still run
            if (mask.full(i0 + warp * 16, i0 + warp * 16 + 16, u * BN, u * BN + BN)) softmax(u, True());
            else softmax(u, False());
        };
        // a tile not visible to every row of the block: non-finite V values go to the rows that
        // see them, then are zeroed for the wgmma (the next iteration's fence and barrier publish it)
        auto nonfinite_values = [&](int64_t u, int stage) {
            if (mask.full(i0, i0 + BM, u * BN, u * BN + BN)) return;
            bool bad = false;
            for (int e = threadIdx.x; e < BN * CH; e += THREADS) bad |= nonfinite_any<T>(vTile(stage)[e]);
            if (!__syncthreads_or(bad)) return;
            const unsigned short* vs = (const unsigned short*)vTile(stage);
            for (int j = 0; j < BN; j++)
#pragma unroll
                for (int r = 0; r < 2; r++) {
                    if (!mask.visible(row0 + r * 8, u * BN + j)) continue;
#pragma unroll
                    for (int n = 0; n < E / 8; n++)
#pragma unroll
                        for (int e = 0; e < 2; e++) {
                            const int x = n * 8 + 2 * t + e;
                            const float v = to_float<T>(vs[swz<BN>(j, x >> 3) * 8 + (x & 7)]);
                            if (!isfinite(v)) oacc[n][2 * r + e] += v;
                        }
                }
            __syncthreads();
            sanitize_values<T, BN * CH, THREADS>(vTile(stage), threadIdx.x);
        };

        // tile t0 alone, then each iteration: S_u and P_{u-1}·V_{u-1} together
        int stage = 0;
        begin(t0, stage);
        warpgroup_wait<0, BN>(sacc);
        if (mask.full(i0 + warp * 16, i0 + warp * 16 + 16, t0 * BN, t0 * BN + BN)) softmax(t0, True());
        else softmax(t0, False());
        probability_fragments<T, BN>(pa, pl, sacc);
        nonfinite_values(t0, stage);
        for (int64_t u = t0 + 1; u < t1; u++) {
            const int next = stage + 1 == S ? 0 : stage + 1;
            begin(u, next);
            issue_values(stage);
            middle(u, next);
            warpgroup_wait<0, E>(oacc);
            if (online) rescale_output<E>(oacc, alpha);
            probability_fragments<T, BN>(pa, pl, sacc);
            nonfinite_values(u, next);
            stage = next;
        }
        fence_async_shared();   // the last tile's V, if nonfinite_values rewrote it
        __syncthreads();
        issue_values(stage);
        warpgroup_wait<0, E>(oacc);
        cp_async_wait<0>();
    }

    write_output_rows<T, E>(p, o, bh, row0, oacc, m, l);
#endif
}

}  // namespace colreduce

// sm_90a only (elsewhere they trap; the Java side picks them on sm_90 alone)
#if defined(__CUDA_ARCH__) && !defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define ATTENTION_PIPELINED_BODY(call) __trap();
#else
#define ATTENTION_PIPELINED_BODY(call) call;
#endif
#define ATTENTION_OUTPUT_PIPELINED_KERNEL(TN, T, E)                                                               \
    extern "C" __global__ void __launch_bounds__(256, 1) attention_output_##TN##_e##E##_wg8(const colreduce::Problem p, \
                                                                                         const colreduce::OutputProblem o) { \
        ATTENTION_PIPELINED_BODY((colreduce::attention_output_pipelined<T, E>(p, o)))                             \
    }
ATTENTION_OUTPUT_PIPELINED_KERNEL(f16, __half, 64)
ATTENTION_OUTPUT_PIPELINED_KERNEL(f16, __half, 128)
ATTENTION_OUTPUT_PIPELINED_KERNEL(bf16, __nv_bfloat16, 64)
ATTENTION_OUTPUT_PIPELINED_KERNEL(bf16, __nv_bfloat16, 128)
