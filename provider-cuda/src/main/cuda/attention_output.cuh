// AttentionOutput, the pass of attend (SPEC §11): O_i = Σ_j p_ij·v_j for a block of 64 query rows
// (16 per warp), streaming K and V tiles of the keys those rows can see (causal: no tile past the
// diagonal) through a double-buffered cp.async ring. S = Q·K^T and O += P·V on mma.sync m16n8k16;
// P is rounded to the input type for the second product, as FlashAttention does (BF16: twice).
// Two modes (OutputProblem.online):
//  - lse given (row statistics ran first, e.g. split over keys for few query tiles):
//    p_ij = 2^((t_ij − m_i)·c − lg_i), already normalised, no rescaling ((m, lg) the row statistics
//    of row_statistics.cuh, t = sgn·q·k; here lse2 = m·c + lg, the log2-domain value);
//  - online: this pass replaces the row statistics: a running (max, sum) per row rescales O as
//    the tiles go by, and the pass writes the row statistics for the column pass. One pass over K saved.
// On sm_90a, E ≤ 128, attention_output_wg.cuh does the same work on wgmma, 128 rows a block.
// With OutputProblem.splits > 1 (online, few query tiles: decoding) blockIdx.z takes one slice of
// the keys and writes its O unnormalised with its (max, sum); attention_output_combine folds the
// slices in a fixed order, as FlashDecoding does.
// Every sum runs in a fixed order (mma, then fixed quad shuffles): same bits on every run.
// A masked key has p = 0, but 0·NaN is NaN: a tile that is not fully visible and holds a
// non-finite V is multiplied on the FMA units over the visible keys only (SPEC §7.3).
#pragma once
#include <string.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include "problem.cuh"
#include "warp_mma.cuh"
#include "simt_f32.cuh"

namespace colreduce {

// The second by-value parameter of the attention output kernels (org.colreduce.cuda.OutputBlock).
struct OutputProblem {
    const void* v;      // [B, Hkv, N, ldv]
    void* o;            // [B, Hq, M, Dv] dense, F32 or the inputs' type
    int64_t vsb, vsh, vsn;
    int Dv, ldv;        // value dimension and the row length of v in elements
    int outF32;         // 1: O in F32; 0: in the inputs' type
    int online;         // 1: running (max, sum) here, lse written; 0: p.lse read
    int* scheduler;     // the persistent kernel's counters (next item, blocks done), zero between launches
    float* partialO;    // splits > 1: [splits][B*Hq*M][Dv] O of each key slice, unnormalised
    float* partialStats;  // splits > 1: [splits][B*Hq*M][2] (max in the log2 domain, sum) of each slice
    int splits, keysPerSplit;  // key slices of the mma.sync kernel (keysPerSplit a multiple of 128)
};

// The start of an output pass for this thread's rows row0, row0 + 8: m is the running max
// (online) or the given lse2 (row statistics first), and O is zero.
template <int E>
__device__ __forceinline__ void start_output_rows(const Problem& p, const OutputProblem& o, int bh, int64_t row0, float (&m)[2],
                                                  float (*oacc)[4]) {
#pragma unroll
    for (int r = 0; r < 2; r++) {
        int64_t i = row0 + r * 8;
        m[r] = o.online != 0 || i >= p.M ? -INFINITY : row_stats_log2(p.lse, (int64_t)bh * p.M + i, p.c);
    }
#pragma unroll
    for (int n = 0; n < E / 8; n++) oacc[n][0] = oacc[n][1] = oacc[n][2] = oacc[n][3] = 0.f;
}

template <int E>
struct OutputTiles {
    static constexpr int WARPS = 4, THREADS = WARPS * 32;
    static constexpr int BM = 16 * WARPS;                 // query rows of a block
    static constexpr int BN = E <= 128 ? 64 : 32;         // keys of a tile
    static constexpr int CH = E / 8;                      // 16-byte chunks of a padded row
    static constexpr bool Q_IN_REGISTERS = E <= 128;      // E = 256 reads Q fragments from shared memory
    static constexpr int smem() { return (BM + 4 * BN) * E * 2 + 1024; }  // Q, 2 stages of K and V, alignment
};

__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t& r0, uint32_t& r1, uint32_t& r2, uint32_t& r3, const void* p) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(smem_u32(p)));
}

// ROWS rows of CH chunks from global rows of `valid` chunks (zero beyond them and past `limit`)
// (a fixed trip count, as load_tile's)
template <int ROWS, int CH, int THREADS, typename T>
__device__ __forceinline__ void load_rows(uint4* s, const T* g, int64_t stride, int64_t first, int64_t limit, int valid) {
    static_assert(ROWS * CH % THREADS == 0 && THREADS % CH == 0, "every thread copies the same number of chunks");
    const int c = threadIdx.x % CH, r0 = threadIdx.x / CH;
    const int rows = (int)min((int64_t)ROWS, max((int64_t)0, limit - first));
    const T* src = g + (first + r0) * stride + c * 8;
#pragma unroll
    for (int it = 0; it < ROWS * CH / THREADS; it++) {
        const int r = r0 + it * (THREADS / CH);
        const bool ok = r < rows && c < valid;
        cp_async16(&s[swz<ROWS>(r, c)], ok ? src + (int64_t)it * (THREADS / CH) * stride : g, ok ? 16 : 0);
    }
}

template <typename T>
__host__ __device__ __forceinline__ uint32_t pack2(float lo, float hi) {
    if constexpr (MmaType<T>::BF16) {
        __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
        return *reinterpret_cast<uint32_t*>(&h);
    } else {
        __half2 h = __floats2half2_rn(lo, hi);
        return *reinterpret_cast<uint32_t*>(&h);
    }
}

__host__ __device__ __forceinline__ float bits_float(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

// the two values minus what pack2 kept of them (`kept`), packed: the second term of P = hi + lo
template <typename T>
__host__ __device__ __forceinline__ uint32_t residue2(float x0, float x1, uint32_t kept) {
    static_assert(MmaType<T>::BF16, "residue2 is for bf16");
    return pack2<T>(x0 - bits_float(kept << 16), x1 - bits_float(kept & 0xFFFF0000u));
}

template <typename T>
__device__ __forceinline__ float to_float(unsigned short bits) {
    if constexpr (MmaType<T>::BF16) return __uint_as_float((uint32_t)bits << 16);
    else return __half2float(__ushort_as_half(bits));
}

// some 2-byte element of x has its exponent all ones: Inf or NaN
template <typename T>
__device__ __forceinline__ bool nonfinite_any(uint4 x) {
    constexpr uint32_t EXP = MmaType<T>::BF16 ? 0x7F80u : 0x7C00u;
    const uint32_t w[4] = {x.x, x.y, x.z, x.w};
    bool bad = false;
#pragma unroll
    for (int i = 0; i < 4; i++) bad |= (w[i] & EXP) == EXP || (w[i] >> 16 & EXP) == EXP;
    return bad;
}

// SPEC 7.3: |O| <= max |V|, so an infinite O can only come from an infinite V, which must give
// NaN (IEEE arithmetic alone gives ±Inf, or NaN where p rounded to 0 or infinities of both signs met)
__device__ __forceinline__ float nan_if_infinite(float v) { return fabsf(v) == INFINITY ? __int_as_float(0x7fc00000) : v; }

template <typename T>
__device__ __forceinline__ void store_output(const OutputProblem& o, int64_t at, float v) {
    if (o.outF32) ((float*)o.o)[at] = v;
    else if constexpr (MmaType<T>::BF16) ((__nv_bfloat16*)o.o)[at] = __float2bfloat16_rn(v);
    else ((__half*)o.o)[at] = __float2half_rn(v);
}

// The end of an output pass (mma.sync or wgmma) for this thread's rows row0, row0 + 8 (accumulators in the m16n8
// layout): the quad's partial sums in a fixed order, then O (0 for a row that sees no key) and,
// online, the row statistics (m, lg) for the column pass; m from the log2-domain max (m·c
// rounded: precise to an ulp of the logit, not exact as row_statistics' raw max is).
// SPLITS (the mma.sync kernel): where o.splits > 1, this block's key slice's O, unnormalised, and
// (m, l) go to the partial buffers instead.
template <typename T, int E, bool SPLITS = false>
__device__ __forceinline__ void write_output_rows(const Problem& p, const OutputProblem& o, int bh, int64_t row0,
                                                  const float (*oacc)[4], const float (&m)[2], float (&l)[2]) {
    const int t = threadIdx.x & 3;
    const bool online = o.online != 0;
#pragma unroll
    for (int r = 0; r < 2; r++) {
        l[r] += __shfl_xor_sync(0xffffffffu, l[r], 1);
        l[r] += __shfl_xor_sync(0xffffffffu, l[r], 2);
        const int64_t i = row0 + r * 8;
        if (i >= p.M) continue;
        if (SPLITS && o.splits > 1) {
            const int64_t rows = (int64_t)p.B * p.Hq * p.M, at = (int64_t)blockIdx.z * rows + (int64_t)bh * p.M + i;
            float* dst = o.partialO + at * o.Dv;
#pragma unroll
            for (int n = 0; n < E / 8; n++) {
                const int x = n * 8 + 2 * t;
                if (x < o.Dv) dst[x] = oacc[n][2 * r];
                if (x + 1 < o.Dv) dst[x + 1] = oacc[n][2 * r + 1];
            }
            if (t == 0) {
                o.partialStats[at * 2] = m[r];
                o.partialStats[at * 2 + 1] = l[r];
            }
            continue;
        }
        float inv;
        if (online) inv = l[r] == 0.f ? 0.f : 1.f / l[r];
        else inv = m[r] == -INFINITY ? 0.f : 1.f;
        const int64_t at = ((int64_t)bh * p.M + i) * o.Dv;
#pragma unroll
        for (int n = 0; n < E / 8; n++) {
            const int x = n * 8 + 2 * t;
            const float v0 = inv == 0.f ? 0.f : nan_if_infinite(oacc[n][2 * r] * inv), v1 = inv == 0.f ? 0.f : nan_if_infinite(oacc[n][2 * r + 1] * inv);
            if (!o.outF32 && x + 1 < o.Dv && (o.Dv & 1) == 0) {
                *(uint32_t*)((T*)o.o + at + x) = pack2<T>(v0, v1);
            } else {
                if (x < o.Dv) store_output<T>(o, at + x, v0);
                if (x + 1 < o.Dv) store_output<T>(o, at + x + 1, v1);
            }
        }
        if (online && t == 0) store_row_stats(p.lse, (int64_t)bh * p.M + i, m[r] / p.c, l[r]);
    }
}

template <typename T, int E>
__device__ void attention_output(const Problem& p, const OutputProblem& o) {
    using TL = OutputTiles<E>;
    constexpr int BM = TL::BM, BN = TL::BN, CH = TL::CH, THREADS = TL::THREADS;
    // BF16 keeps 8 bits of P: P·V as (hi + lo)·V, hi = bf16(P), lo = bf16(P − hi), keeps O within
    // SPEC 11.1's 2e-3 (one bf16 rounding alone exceeds it for few keys); F16 rounds P once.
    constexpr bool PSPLIT = MmaType<T>::BF16;
    extern __shared__ uint4 smem_raw[];
    uint4* sQ = aligned_smem(smem_raw);
    uint4* sK = sQ + BM * CH;          // 2 stages of [BN][E]
    uint4* sV = sK + 2 * BN * CH;      // 2 stages of [BN][E]

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const int qt = gridDim.x - 1 - blockIdx.x;            // longest (causal) tiles first
    const int bh = blockIdx.y, b = bh / p.Hq, h = bh % p.Hq, kvh = h / (p.Hq / p.Hkv);
    const BatchMask mask = BatchMask::of(p, b);
    const int64_t i0 = (int64_t)qt * BM, i1 = min(i0 + BM, mask.lenQ);
    const int64_t row0 = i0 + warp * 16 + g;              // this thread's rows: row0, row0 + 8
    const bool online = o.online != 0;

    int64_t jlo = 0, jhi = 0;
    if (i0 < i1) {
        jlo = mask.keyLo(i0);
        jhi = mask.keyHi(i1);
    }
    if (o.splits > 1) {   // this block's slice of the keys (tile-aligned: each key in one slice)
        jlo = max(jlo, (int64_t)blockIdx.z * o.keysPerSplit);
        jhi = min(jhi, (int64_t)(blockIdx.z + 1) * o.keysPerSplit);
    }
    const int64_t t0 = jlo / BN, t1 = jhi > jlo ? (jhi + BN - 1) / BN : t0;

    const T* Q = (const T*)p.q + b * p.qsb + h * p.qsh;
    const T* K = (const T*)p.k + b * p.ksb + kvh * p.ksh;
    const T* V = (const T*)o.v + b * o.vsb + kvh * o.vsh;
    auto load_values = [&](uint4* dst, int64_t j) { load_rows<BN, CH, THREADS>(dst, V, o.vsn, j, p.N, o.ldv / 8); };

    // m: the running max (online) or lse2 (given); l: this thread's part of the running sum
    float m[2], l[2] = {0.f, 0.f}, oacc[E / 8][4];
    start_output_rows<E>(p, o, bh, row0, m, oacc);

    if (t0 < t1) {
        load_rows<BM, CH, THREADS>(sQ, Q, p.qsm, i0, p.M, p.ld / 8);
        load_rows<BN, CH, THREADS>(sK, K, p.ksn, t0 * BN, p.N, p.ld / 8);
        load_values(sV, t0 * BN);
        cp_async_commit();
        uint32_t qa[TL::Q_IN_REGISTERS ? CH / 2 : 1][4];
        if constexpr (TL::Q_IN_REGISTERS) {
            cp_async_wait<0>();
            __syncthreads();
            load_a_fragments<BM, CH>(qa, sQ, warp * 16);
        }

        for (int64_t tt = t0; tt < t1; tt++) {
            const int stage = (int)((tt - t0) & 1);
            if (tt + 1 < t1) {
                load_rows<BN, CH, THREADS>(sK + (stage ^ 1) * BN * CH, K, p.ksn, (tt + 1) * BN, p.N, p.ld / 8);
                load_values(sV + (stage ^ 1) * BN * CH, (tt + 1) * BN);
            }
            cp_async_commit();
            cp_async_wait<1>();
            __syncthreads();
            uint4* kTile = sK + stage * BN * CH;
            const uint4* vTile = sV + stage * BN * CH;
            const int64_t j0 = tt * BN;

            // S = Q·K^T for this warp's 16 rows
            float s[BN / 8][4];
#pragma unroll
            for (int n = 0; n < BN / 8; n++) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
#pragma unroll
            for (int ks = 0; ks < CH / 2; ks++) {
                uint32_t a[4];
                if constexpr (TL::Q_IN_REGISTERS) {
                    a[0] = qa[ks][0]; a[1] = qa[ks][1]; a[2] = qa[ks][2]; a[3] = qa[ks][3];
                } else {
                    int r = warp * 16 + (lane & 15), c = ks * 2 + (lane >> 4);
                    ldmatrix_x4(a[0], a[1], a[2], a[3], &sQ[swz<BM>(r, c)]);
                }
#pragma unroll
                for (int n = 0; n < BN / 8; n += 2) {
                    uint32_t b00, b01, b10, b11;
                    load_b_pair<BN>(b00, b01, b10, b11, kTile, n * 8, ks);
                    mma16816<T>(s[n], a, b00, b01);
                    mma16816<T>(s[n + 1], a, b10, b11);
                }
            }

            // logits in the log2 domain (t·c = q·k·scale·log2 e), -inf where masked; then p (and the
            // rescaling, online)
            const float cs = p.c * p.sgn;
            const bool full = mask.full(i0 + warp * 16, i0 + warp * 16 + 16, j0, j0 + BN);
            // the common case without a mask test in the loop (it compiled to a branch per score);
            // not at E = 256, whose registers are full (the split spilled there)
            if (E <= 128 && full) {
#pragma unroll
                for (int n = 0; n < BN / 8; n++)
#pragma unroll
                    for (int e = 0; e < 4; e++) s[n][e] *= cs;
            } else {
                const BatchMask::Narrow narrow = mask.narrow();
#pragma unroll
                for (int n = 0; n < BN / 8; n++)
#pragma unroll
                    for (int e = 0; e < 4; e++)
                        s[n][e] = narrow.visible((int)row0 + (e >> 1) * 8, (int)j0 + n * 8 + 2 * t + (e & 1)) ? s[n][e] * cs : -INFINITY;
            }
#pragma unroll
            for (int r = 0; r < 2; r++) {
                float base;
                if (online) {
                    float mx = -INFINITY;
#pragma unroll
                    for (int n = 0; n < BN / 8; n++) mx = fmaxf(mx, fmaxf(s[n][2 * r], s[n][2 * r + 1]));
                    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
                    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
                    float mn = fmaxf(m[r], mx);
                    base = mn == -INFINITY ? 0.f : mn;
                    float alpha = fast_exp2(m[r] - base);
                    m[r] = mn;
                    l[r] *= alpha;
#pragma unroll
                    for (int n = 0; n < E / 8; n++) {
                        oacc[n][2 * r] *= alpha;
                        oacc[n][2 * r + 1] *= alpha;
                    }
                } else {
                    base = m[r] == -INFINITY ? 0.f : m[r];
                }
                float sum = 0.f;
#pragma unroll
                for (int n = 0; n < BN / 8; n++) {
                    float p0 = fast_exp2(s[n][2 * r] - base), p1 = fast_exp2(s[n][2 * r + 1] - base);
                    s[n][2 * r] = p0;
                    s[n][2 * r + 1] = p1;
                    sum += p0 + p1;
                }
                l[r] += sum;
            }

            // a tile not visible to every row of the block, holding a non-finite V: FMA fallback
            bool fallback = false;
            if (!mask.full(i0, i0 + BM, j0, j0 + BN)) {
                bool bad = false;
                for (int e = threadIdx.x; e < BN * CH; e += THREADS) bad |= nonfinite_any<T>(vTile[e]);
                fallback = __syncthreads_or(bad);
            }
            if (!fallback) {
                // A fragments of P for keys kk·16 ..: hi, and for BF16 the rounding residue lo
                auto fragments = [&](uint32_t* hi, uint32_t* lo, int kk) {
#pragma unroll
                    for (int q = 0; q < 4; q++) {
                        const float x0 = s[2 * kk + (q >> 1)][2 * (q & 1)], x1 = s[2 * kk + (q >> 1)][2 * (q & 1) + 1];
                        hi[q] = pack2<T>(x0, x1);
                        if constexpr (PSPLIT) lo[q] = residue2<T>(x0, x1, hi[q]);
                    }
                };
                // E = 256 has no registers for hi and lo at once: lo in a second sweep over V
                constexpr int SWEEPS = PSPLIT && E == 256 ? 2 : 1;
#pragma unroll
                for (int kk = 0; kk < BN / 16; kk++)
#pragma unroll
                    for (int sweep = 0; sweep < SWEEPS; sweep++) {
                        uint32_t pa[4], pl[4];
                        fragments(pa, pl, kk);
                        if (sweep == 1) pa[0] = pl[0], pa[1] = pl[1], pa[2] = pl[2], pa[3] = pl[3];
#pragma unroll
                        for (int np = 0; np < E / 16; np++) {
                            uint32_t b0, b1, b2, b3;
                            int key = kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8, c = np * 2 + (lane >> 4);
                            ldmatrix_x4_trans(b0, b1, b2, b3, &vTile[swz<BN>(key, c)]);
                            mma16816<T>(oacc[2 * np], pa, b0, b1);
                            mma16816<T>(oacc[2 * np + 1], pa, b2, b3);
                            if constexpr (PSPLIT && SWEEPS == 1) {
                                mma16816<T>(oacc[2 * np], pl, b0, b1);
                                mma16816<T>(oacc[2 * np + 1], pl, b2, b3);
                            }
                        }
                    }
            } else {
                // in fp32 over the visible keys: P into this stage's K tile (every warp is done
                // with it), KP keys at a time, each warp its own 16 rows
                constexpr int KP = BN * E / 128 < BN ? BN * E / 128 : BN;
                float* sP = (float*)kTile + warp * 16 * KP;   // [16][KP] of this warp
                const unsigned short* vs = (const unsigned short*)vTile;
#pragma unroll
                for (int k0 = 0; k0 < BN; k0 += KP) {
                    __syncwarp();
#pragma unroll
                    for (int n = k0 / 8; n < (k0 + KP) / 8; n++)
#pragma unroll
                        for (int e = 0; e < 4; e++) sP[(g + (e >> 1) * 8) * KP + n * 8 - k0 + 2 * t + (e & 1)] = s[n][e];
                    __syncwarp();
                    for (int j = k0; j < k0 + KP; j++) {
#pragma unroll
                        for (int r = 0; r < 2; r++) {
                            if (!mask.visible(row0 + r * 8, j0 + j)) continue;
                            const float pj = sP[(g + r * 8) * KP + j - k0];
#pragma unroll
                            for (int n = 0; n < E / 8; n++)
#pragma unroll
                                for (int e = 0; e < 2; e++) {
                                    const int x = n * 8 + 2 * t + e;
                                    const int at = swz<BN>(j, x >> 3) * 8 + (x & 7);
                                    oacc[n][2 * r + e] = fmaf(pj, to_float<T>(vs[at]), oacc[n][2 * r + e]);
                                }
                        }
                    }
                }
            }
            __syncthreads();
        }
        cp_async_wait<0>();
    }

    write_output_rows<T, E, true>(p, o, bh, row0, oacc, m, l);
}

// O and the row statistics of each row from its key slices (splits > 1): m the largest slice
// maximum, l and O the slices' sums rescaled to it, added in slice order (the same bits on every
// run); then as write_output_rows: O = 0 for a row that sees no key, NaN for an infinite O (SPEC
// 7.3: an infinite value the row sees). One warp per row, lane x holding columns x + 32u (Dv ≤ 256).
template <typename T>
__device__ void attention_output_combine(const Problem& p, const OutputProblem& o) {
    const int64_t rows = (int64_t)p.B * p.Hq * p.M;
    const int64_t row = (int64_t)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    const int lane = threadIdx.x & 31;
    if (row >= rows) return;
    float m = -INFINITY, l = 0.f, acc[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
    for (int s = 0; s < o.splits; s++) m = fmaxf(m, o.partialStats[(s * rows + row) * 2]);
    for (int s = 0; s < o.splits; s++) {
        const float ms = o.partialStats[(s * rows + row) * 2];
        if (ms == -INFINITY) continue;   // the row sees no key of this slice
        const float f = exp2f(ms - m);
        l += o.partialStats[(s * rows + row) * 2 + 1] * f;
        const float* slice = o.partialO + (s * rows + row) * o.Dv;
#pragma unroll
        for (int u = 0; u < 8; u++)
            if (lane + 32 * u < o.Dv) acc[u] += slice[lane + 32 * u] * f;
    }
    const float inv = l == 0.f ? 0.f : 1.f / l;
#pragma unroll
    for (int u = 0; u < 8; u++)
        if (lane + 32 * u < o.Dv) store_output<T>(o, row * o.Dv + lane + 32 * u, inv == 0.f ? 0.f : nan_if_infinite(acc[u] * inv));
    if (lane == 0) store_row_stats(p.lse, row, m / p.c, l);
}

// F32 inputs on the FMA units (SPEC §11.1 asks 1e-5): one warp per query row, (m, lg) from
// row_statistics_f32. Lanes take 32 keys at a time for the scores, then each lane accumulates
// its columns of O over those keys in key order.
__device__ void attention_output_f32(const Problem& p, const OutputProblem& o) {
    constexpr int ROWS = 8;
    __shared__ float sq[ROWS][256];
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int bh = blockIdx.y, b = bh / p.Hq, h = bh % p.Hq, kvh = h / (p.Hq / p.Hkv);
    const int64_t i = (int64_t)blockIdx.x * ROWS + warp;
    const BatchMask mask = BatchMask::of(p, b);
    const float* Q = (const float*)p.q + b * p.qsb + h * p.qsh;
    const float* K = (const float*)p.k + b * p.ksb + kvh * p.ksh;
    const float* V = (const float*)o.v + b * o.vsb + kvh * o.vsh;
    if (i < p.M)
        for (int x = lane; x < p.D; x += 32) sq[warp][x] = Q[i * p.qsm + x];
    __syncwarp();
    if (i >= p.M) return;
    float acc[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
    const float lm = p.lse[((int64_t)bh * p.M + i) * 2], lg = p.lse[((int64_t)bh * p.M + i) * 2 + 1];
    if (i < mask.lenQ && lm != -INFINITY) {
        const int64_t lo = mask.keyLo(i), hi = mask.keyHi(i + 1);   // exactly the keys row i sees
        for (int64_t jb = lo; jb < hi; jb += 32) {
            const int64_t j = jb + lane;
            float pj = j < hi ? exp2f(fmaf(fmaf(dot_f32(sq[warp], K + j * p.ksn, p.D), p.sgn, -lm), p.c, -lg)) : 0.f;
            const int count = (int)min((int64_t)32, hi - jb);
            for (int kk = 0; kk < count; kk++) {
                const float pk = __shfl_sync(0xffffffffu, pj, kk);
                const float* vrow = V + (jb + kk) * o.vsn;
#pragma unroll
                for (int u = 0; u < 8; u++) {
                    int x = lane + 32 * u;
                    if (x < o.Dv) acc[u] = fmaf(pk, vrow[x], acc[u]);
                }
            }
        }
    }
    float* out = (float*)o.o + ((int64_t)bh * p.M + i) * o.Dv;
#pragma unroll
    for (int u = 0; u < 8; u++) {
        int x = lane + 32 * u;
        if (x < o.Dv) out[x] = nan_if_infinite(acc[u]);
    }
}

}  // namespace colreduce

static_assert(sizeof(colreduce::OutputProblem) == 88, "OutputProblem layout changed: update org.colreduce.cuda.OutputBlock");

#define ATTENTION_OUTPUT_KERNEL(TN, T, E)                                                                         \
    extern "C" __global__ void __launch_bounds__(128) attention_output_##TN##_e##E(const colreduce::Problem p,   \
                                                                                   const colreduce::OutputProblem o) { \
        colreduce::attention_output<T, E>(p, o);                                                                  \
    }
ATTENTION_OUTPUT_KERNEL(f16, __half, 64)
ATTENTION_OUTPUT_KERNEL(f16, __half, 128)
ATTENTION_OUTPUT_KERNEL(f16, __half, 256)
ATTENTION_OUTPUT_KERNEL(bf16, __nv_bfloat16, 64)
ATTENTION_OUTPUT_KERNEL(bf16, __nv_bfloat16, 128)
ATTENTION_OUTPUT_KERNEL(bf16, __nv_bfloat16, 256)
extern "C" __global__ void __launch_bounds__(256) attention_output_combine_f16_k(const colreduce::Problem p, const colreduce::OutputProblem o) {
    colreduce::attention_output_combine<__half>(p, o);
}
extern "C" __global__ void __launch_bounds__(256) attention_output_combine_bf16_k(const colreduce::Problem p, const colreduce::OutputProblem o) {
    colreduce::attention_output_combine<__nv_bfloat16>(p, o);
}
extern "C" __global__ void __launch_bounds__(256) attention_output_f32_k(const colreduce::Problem p, const colreduce::OutputProblem o) {
    colreduce::attention_output_f32(p, o);
}
