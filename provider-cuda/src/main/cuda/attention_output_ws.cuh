// AttentionOutputSpecialized, the attention output pass on sm_90a (E ≤ 128, F16/BF16), warp
// specialised as FlashAttention-3 is: the work of attention_output_wg.cuh (S = Q·K^T on SS wgmma,
// O += P·V with P from registers, the softmax of tile u while P_{u-1}·V_{u-1} runs), but
//   - one producer thread loads Q, K and V tiles by TMA (tma.cuh) into rings of KS and VS stages
//     and mbarriers hand them over: the consumers spend no issue slots on copies and never wait
//     at a block-wide barrier, so the two consumer warpgroups (64 query rows each) drift apart
//     and one's tensor-core work covers the other's softmax;
//   - tiles of 128 keys (m64n128k16 for S): half the per-tile bookkeeping of 64-key tiles;
//   - on tiles every row sees, the logit scale is folded into the exponential's FFMA.
// The producer warpgroup hands its registers to the consumers (setmaxnreg).
// Masks, modes (online or given row statistics) and the fixed summation order are those of
// attention_output_wg.cuh; SPEC §7.3 (a tile not visible to every row of the block, holding a
// non-finite V) is the one place the consumers meet, and its values are added after the loop.
#pragma once
#include "attention_output_wg.cuh"
#include "tma.cuh"

namespace colreduce {

// KSPLIT_: both consumer warpgroups on the same 64 query rows, taking alternate key tiles (few
// query rows: decoding), their (max, sum, O) merged through shared memory at the end
template <int E, int BN_ = 128, int KS_ = 2, int VS_ = 2, bool KSPLIT_ = false>
struct SpecializedOutputTiles {
    static constexpr int CONSUMERS = 2;                    // warpgroups of 64 query rows
    static constexpr int CONSUMER_THREADS = CONSUMERS * 128;
    static constexpr int THREADS = CONSUMER_THREADS + 128; // and the producer warpgroup
    static constexpr int BM = KSPLIT_ ? 64 : 64 * CONSUMERS, BN = BN_, CH = E / 8, KS = KS_, VS = VS_;
    static constexpr int BARRIERS = 2 + 2 * KS + 2 * VS;   // Q full / empty; K and V full / empty
    static constexpr int MERGE = KSPLIT_ ? (E / 2 + 4) * 128 * 4 : 0;   // a warpgroup's O, m and l
    // registers a thread after the producer's hand-over (128·P + 256·C ≤ 384·168): the persistent
    // producer takes items from the counter and spills at 24; BF16's consumers spill at 232
    template <bool PERSIST> static constexpr int PRODUCER_REGS = PERSIST ? 32 : 24;
    template <bool PERSIST> static constexpr int CONSUMER_REGS = PERSIST ? 232 : 240;
    static constexpr int smem() { return (BM + (KS + VS) * BN) * E * 2 + MERGE + BARRIERS * 8 + 8 + 1024; }   // and the item
};

// PINGPONG: the consumer warpgroups take turns issuing their tile's two products (named barriers
// 2 and 3), so that one's softmax runs while the other's products occupy the tensor cores.
// PERSIST: a grid of at most one block per multiprocessor walks the query tiles (items), each
// block taking the next item from a counter in global memory (o.scheduler) as it runs out (in the
// order the hardware would schedule blocks: head by head, a head's longest causal tiles first, so
// that the short ones even out the end), and the rings and barrier phases run on from one item
// to the next: the producer loads the next item's Q and first K and V tiles while the consumers
// finish this one (its last softmax, P·V and output rows), which a new block would start cold.
// The producer hands the item to the consumers in shared memory with the Q tile's barrier; the
// last block to stop taking items sets the counters back to zero for the next launch.
// KSPLIT: 64 query rows a block, the consumer warpgroups on alternate key tiles (no ping-pong).
template <typename T, int E, int BN = 128, int KS = 2, int VS = 2, bool PINGPONG = false, bool PERSIST = false, bool KSPLIT = false>
__device__ void attention_output_specialized(const Problem& p, const OutputProblem& o, const CUtensorMap* tmQ,
                                             const CUtensorMap* tmK, const CUtensorMap* tmV) {
#ifdef COLREDUCE_WGMMA
    using TL = SpecializedOutputTiles<E, BN, KS, VS, KSPLIT>;
    constexpr int BM = TL::BM, CH = TL::CH, CT = TL::CONSUMER_THREADS;
    static_assert(!(KSPLIT && PINGPONG), "the warpgroups of a key split take turns on nothing: no ping-pong");
    constexpr int TILE_READERS = KSPLIT ? 4 : 8;   // consumer warps that read a K or V tile
    static_assert(E <= 128 && (BN == 64 || BN == 128), "E <= 128; key tiles of 64 or 128");
    constexpr bool PSPLIT = MmaType<T>::BF16;   // P·V as (hi + lo)·V for BF16, as attention_output.cuh
    using True = std::integral_constant<bool, true>;
    using False = std::integral_constant<bool, false>;
    extern __shared__ uint4 smem_raw[];
    uint4* sQ = aligned_smem(smem_raw);
    uint4* sK = sQ + BM * CH;
    uint4* sV = sK + KS * BN * CH;
    uint64_t* qFull = (uint64_t*)(sV + VS * BN * CH);
    uint64_t* qEmpty = qFull + 1;
    uint64_t* kFull = qFull + 2;
    uint64_t* kEmpty = kFull + KS;
    uint64_t* vFull = kEmpty + KS;
    uint64_t* vEmpty = vFull + VS;
    volatile int* sItem = (volatile int*)(vEmpty + VS);   // PERSIST: the item of the Q tile in flight
    float* sMerge = (float*)(sV + VS * BN * CH) + (TL::BARRIERS * 8 + 8) / 4;   // KSPLIT: [E/2 + 4][128]
    auto kTile = [&](int n) { return sK + (n % KS) * BN * CH; };
    auto vTile = [&](int n) { return sV + (n % VS) * BN * CH; };

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    // items: (query tile, batch·head) pairs; the longest (causal) query tiles of a head first
    const int qtiles = PERSIST ? (p.M + BM - 1) / BM : gridDim.x;
    const int items = PERSIST ? qtiles * p.B * p.Hq : 1;
    struct Item {
        int qt, bh, b, h, kvh, tiles;
        int64_t i0, t0;
    };
    auto item = [&](int it) {
        Item x;
        x.qt = PERSIST ? qtiles - 1 - it % qtiles : gridDim.x - 1 - blockIdx.x;
        x.bh = PERSIST ? it / qtiles : blockIdx.y;
        x.b = x.bh / p.Hq;
        x.h = x.bh % p.Hq;
        x.kvh = x.h / (p.Hq / p.Hkv);
        const BatchMask mask = BatchMask::of(p, x.b);
        x.i0 = (int64_t)x.qt * BM;
        const int64_t i1 = min(x.i0 + BM, mask.lenQ);
        int64_t jlo = 0, jhi = 0;
        if (x.i0 < i1) {
            jlo = mask.keyLo(x.i0);
            jhi = mask.keyHi(i1);
        }
        x.t0 = jlo / BN;
        const int64_t t1 = jhi > jlo ? (jhi + BN - 1) / BN : x.t0;
        x.tiles = (int)(t1 - x.t0);
        return x;
    };

    if (threadIdx.x == 0) {
        mbarrier_init(qFull, 1);
        mbarrier_init(qEmpty, CT / 32);
        for (int s = 0; s < KS; s++) mbarrier_init(&kFull[s], 1), mbarrier_init(&kEmpty[s], TILE_READERS);
        for (int s = 0; s < VS; s++) mbarrier_init(&vFull[s], 1), mbarrier_init(&vEmpty[s], TILE_READERS);
        fence_barrier_init();
    }
    __syncthreads();

    if (warp < 4) {   // the producer warpgroup: one thread issues every copy
        registers_release<TL::template PRODUCER_REGS<PERSIST>>();
        if (warp == 0 && lane == 0) {
            prefetch_tensor_map(tmK);
            prefetch_tensor_map(tmV);
            int g = 0, qi = 0;   // K and V tiles, items handed over so far (ring positions, barrier phases)
            for (;; qi++) {
                if (!PERSIST && qi > 0) break;   // one item: the block's own query tile
                const int it = PERSIST ? atomicAdd(&o.scheduler[0], 1) : 0;
                if (qi > 0) mbarrier_wait(qEmpty, (qi - 1) & 1);
                if constexpr (PERSIST) {
                    *sItem = it;   // published by the arrival on qFull (release), read after its wait (acquire)
                    if (it >= items) {
                        mbarrier_arrive(qFull);   // no more items
                        break;
                    }
                }
                const Item job = item(it);
                if (job.tiles == 0) {
                    if constexpr (PERSIST) mbarrier_arrive(qFull);
                    continue;
                }
                mbarrier_expect_bytes(qFull, BM * E * 2);
                tma_load_rows<BM, E>(sQ, tmQ, (int)job.i0, job.h, job.b, qFull);
                for (int n = g; n < g + job.tiles; n++) {
                    const int row = (int)((job.t0 + n - g) * BN);
                    if (n >= KS) mbarrier_wait(&kEmpty[n % KS], (n / KS - 1) & 1);
                    mbarrier_expect_bytes(&kFull[n % KS], BN * E * 2);
                    tma_load_rows<BN, E>(kTile(n), tmK, row, job.kvh, job.b, &kFull[n % KS]);
                    if (n >= VS) mbarrier_wait(&vEmpty[n % VS], (n / VS - 1) & 1);
                    mbarrier_expect_bytes(&vFull[n % VS], BN * E * 2);
                    tma_load_rows<BN, E>(vTile(n), tmV, row, job.kvh, job.b, &vFull[n % VS]);
                }
                g += job.tiles;
            }
            if constexpr (PERSIST) {
                // the last block to stop taking items: every other block's last atomicAdd on the
                // counter came before its arrival here (the fence), so none reads it again
                __threadfence();
                if (atomicAdd(&o.scheduler[1], 1) == (int)gridDim.x - 1) {
                    o.scheduler[0] = 0;
                    o.scheduler[1] = 0;
                }
            }
        }
        return;
    }
    registers_claim<TL::template CONSUMER_REGS<PERSIST>>();

    // wg read from lane 0: the compiler then knows it is warp-uniform, and the wgmma descriptors
    // built from it stay in uniform registers (no R2UR per descriptor)
    const int ctid = threadIdx.x - 128, wg = __shfl_sync(0xffffffffu, ctid >> 7, 0), cw = (ctid >> 5) & 3, g = lane >> 2, t = lane & 3;
    const bool online = o.online != 0;
    int ring = 0;   // as the producer's: K and V tiles consumed so far
    for (int qi = 0;; qi++) {
        int it = 0;
        if constexpr (PERSIST) {
            mbarrier_wait(qFull, qi & 1);
            it = *sItem;
            if (it >= items) break;
        } else if (qi > 0) {
            break;
        }
        const Item job = item(it);
        const int bh = job.bh, b = job.b, kvh = job.kvh, tiles = job.tiles;
        const int64_t i0 = job.i0, t0 = job.t0;
        const BatchMask mask = BatchMask::of(p, b);
        const int64_t w0 = i0 + (KSPLIT ? 0 : wg * 64) + cw * 16;   // this warp's 16 rows
        const int64_t row0 = w0 + g;                  // this thread's rows: row0, row0 + 8

        float m[2], l[2] = {0.f, 0.f}, oacc[E / 8][4];
        start_output_rows<E>(p, o, bh, row0, m, oacc);

        if (tiles > 0) {
            const int rb = ring;   // this item's n-th key tile is the ring's (rb + n)-th
            const BatchMask::Narrow narrow = mask.narrow();
            const float cs = p.c * p.sgn;
            const int r0 = (int)row0;
            float sacc[BN / 8][4];
            uint32_t pa[BN / 16][4], pl[PSPLIT ? BN / 16 : 1][4];

            // (every wait comes before the wgmma groups are issued: none spins with a group in flight)
            // the ring stage read from lane 0, as wg: the descriptors of its tile stay uniform
            auto stage = [](int n) { return __shfl_sync(0xffffffffu, n, 0); };
            auto issue_scores = [&](int n) {
                warpgroup_mma_issue_ss<T, BN, CH / 2, BM>(sacc, sQ, KSPLIT ? 0 : wg * 64, kTile(stage(rb + n)));
            };
            // the stage's last reader in this warp is done: one arrival per consumer warp
            auto release = [&](uint64_t* bar) {
                if (lane == 0) mbarrier_arrive(bar);
            };
            auto issue_values = [&](int n) {
                fence_acc<E>(oacc);
                asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
                // all E value columns in one instruction per k step (the 64-column blocks LBO apart):
                // 3-5 % faster than one m64n64k16 per block at E = 128 (attend_lab, H200)
                const uint4* vt = vTile(stage(rb + n));
#pragma unroll
                for (int kk = 0; kk < BN / 16; kk++) {
                    const uint64_t d = n_major_descriptor<BN>(vt, kk);
                    WgmmaT<T, E>::mma(oacc, pa[kk], d, 1);
                    if constexpr (PSPLIT) WgmmaT<T, E>::mma(oacc, pl[kk], d, 1);
                }
                asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
                fence_acc<E>(oacc);
            };
            // logits (log2 domain), tile maximum and exponentials; FULL: every score visible, the
            // scale goes into the exponential's FFMA (the extreme of the raw scores, by the scale's sign)
            float alpha[2] = {1.f, 1.f};
            int64_t badLo = INT64_MAX, badHi = -1;   // the tiles whose non-finite V was zeroed
            auto softmax = [&](int64_t u, auto fullTag) {
                constexpr bool FULL = decltype(fullTag)::value;
                if constexpr (!FULL) {
                    const int j0 = (int)(u * BN);
#pragma unroll
                    for (int n = 0; n < BN / 8; n++)
#pragma unroll
                        for (int e = 0; e < 4; e++)
                            sacc[n][e] = narrow.visible(r0 + (e >> 1) * 8, j0 + n * 8 + 2 * t + (e & 1)) ? sacc[n][e] * cs : -INFINITY;
                }
                const float k = FULL ? cs : 1.f;
#pragma unroll
                for (int r = 0; r < 2; r++) {
                    float base;
                    if (online) {
                        float mx = !FULL || cs >= 0.f ? quad_extreme<BN, true>(sacc, r) : quad_extreme<BN, false>(sacc, r);
                        if constexpr (FULL) mx *= cs;
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
                        float p0 = fast_exp2(fmaf(sacc[n][2 * r], k, -base)), p1 = fast_exp2(fmaf(sacc[n][2 * r + 1], k, -base));
                        sacc[n][2 * r] = p0;
                        sacc[n][2 * r + 1] = p1;
                        s0 += p0;
                        s1 += p1;
                    }
                    l[r] = (online ? l[r] * alpha[r] : l[r]) + (s0 + s1);
                }
            };
            auto softmax_tile = [&](int64_t u) {
                if (mask.full(w0, w0 + 16, u * BN, u * BN + BN)) softmax(u, True());
                else softmax(u, False());
            };
            // SPEC §7.3 on a tile not visible to every row of the block: non-finite V values are
            // zeroed for the wgmma (both consumer warpgroups agree first) and the tile is noted; the
            // rows that see them get them from global memory after the loop, when P is dead
            auto nonfinite_values = [&](int64_t u, int n) {
                if (mask.full(i0, i0 + BM, u * BN, u * BN + BN)) return;
                mbarrier_wait(&vFull[(rb + n) % VS], ((rb + n) / VS) & 1);
                uint4* vt = vTile(rb + n);
                // the tile's readers: both consumer warpgroups (barrier 1), or with KSPLIT this one (2 + wg)
                constexpr int R = KSPLIT ? 128 : CT;
                const int rt = KSPLIT ? ctid & 127 : ctid, bar = KSPLIT ? 2 + wg : 1;
                bool bad = false;
                for (int e = rt; e < BN * CH; e += R) bad |= nonfinite_any<T>(vt[e]);
                if (!consumers_any<R>(bad, bar)) return;
                badLo = min(badLo, u);
                badHi = u;
                sanitize_values<T, BN * CH, R>(vt, rt);
                fence_async_shared();
                consumers_sync<R>(bar);
            };

            // ping-pong: warpgroup w waits at barrier 2 + w for the other's products of the same step
            auto my_turn = [&]() {
                if constexpr (PINGPONG) asm volatile("bar.sync %0, %1;\n" ::"r"(2 + wg), "n"(CT) : "memory");
            };
            auto your_turn = [&]() {
                if constexpr (PINGPONG) asm volatile("bar.arrive %0, %1;\n" ::"r"(3 - wg), "n"(CT) : "memory");
            };
            if (wg == 1 && tiles > 1) your_turn();   // warpgroup 0 goes first

            // this warpgroup's tiles: every one, or with KSPLIT every other (n = 2k + wg)
            const int mine = KSPLIT ? (tiles - wg + 1) / 2 : tiles;
            auto nth = [&](int k) { return KSPLIT ? 2 * k + wg : k; };
            if constexpr (!PERSIST) mbarrier_wait(qFull, 0);
            if (mine > 0) {
                const int n0 = nth(0);
                mbarrier_wait(&kFull[(rb + n0) % KS], ((rb + n0) / KS) & 1);
                issue_scores(n0);
                warpgroup_wait<0, BN>(sacc);
                release(&kEmpty[(rb + n0) % KS]);
                if (mine == 1) release(qEmpty);   // the item's last read of Q
                softmax_tile(t0 + n0);
                probability_fragments<T, BN>(pa, pl, sacc);
                nonfinite_values(t0 + n0, n0);
                for (int kk = 1; kk < mine; kk++) {
                    const int n = nth(kk), np = nth(kk - 1);
                    const int64_t u = t0 + n;
                    const int k = rb + n, kp = rb + np;   // ring positions of K_u and of the previous V
                    mbarrier_wait(&kFull[k % KS], (k / KS) & 1);
                    mbarrier_wait(&vFull[kp % VS], (kp / VS) & 1);
                    my_turn();
                    issue_scores(n);
                    issue_values(np);
                    if (wg == 0 || kk < mine - 1) your_turn();
                    warpgroup_wait<1, BN>(sacc);   // S_u landed; the previous P·V may still run
                    release(&kEmpty[k % KS]);
                    if (kk == mine - 1) release(qEmpty);
                    softmax_tile(u);
                    warpgroup_wait<0, E>(oacc);
                    release(&vEmpty[kp % VS]);
                    if (online) rescale_output<E>(oacc, alpha);
                    probability_fragments<T, BN>(pa, pl, sacc);
                    nonfinite_values(u, n);
                }
                const int nl = nth(mine - 1), last = rb + nl;
                mbarrier_wait(&vFull[last % VS], (last / VS) & 1);
                issue_values(nl);
                warpgroup_wait<0, E>(oacc);
                release(&vEmpty[last % VS]);
            } else {
                release(qEmpty);   // KSPLIT, one tile: the other warpgroup's
            }

            // the non-finite V values of the noted tiles (this warpgroup's), for the rows that see their keys
            const T* V = (const T*)o.v + b * o.vsb + kvh * o.vsh;
            for (int64_t u = badLo; u <= badHi; u++) {
                if (KSPLIT && ((u - t0) & 1) != wg) continue;
                if (mask.full(i0, i0 + BM, u * BN, u * BN + BN)) continue;
                for (int j = 0; j < BN && u * BN + j < p.N; j++)
#pragma unroll
                    for (int r = 0; r < 2; r++) {
                        if (!narrow.visible(r0 + r * 8, (int)(u * BN) + j)) continue;
                        const unsigned short* vrow = (const unsigned short*)(V + (u * BN + j) * o.vsn);
#pragma unroll
                        for (int n8 = 0; n8 < E / 8; n8++)
#pragma unroll
                            for (int e = 0; e < 2; e++) {
                                const int x = n8 * 8 + 2 * t + e;
                                if (x >= o.ldv) continue;
                                const float v = to_float<T>(vrow[x]);
                                if (!isfinite(v)) oacc[n8][2 * r + e] += v;
                            }
                    }
            }
        }

        else if (PERSIST) {
            if (lane == 0) mbarrier_arrive(qEmpty);   // an item with no keys: its (empty) Q tile is done
        }
        ring += tiles;

        if constexpr (KSPLIT) {
            // warpgroup 1's (m, l, O) into warpgroup 0's: the same rows and columns per thread, so
            // thread by thread, through shared memory ([value][thread]: no bank conflicts)
            const int me = ctid & 127;
            if (wg == 1) {
#pragma unroll
                for (int n = 0; n < E / 8; n++)
#pragma unroll
                    for (int e = 0; e < 4; e++) sMerge[(n * 4 + e) * 128 + me] = oacc[n][e];
#pragma unroll
                for (int r = 0; r < 2; r++) sMerge[(E / 2 + r) * 128 + me] = m[r], sMerge[(E / 2 + 2 + r) * 128 + me] = l[r];
            }
            consumers_sync<CT>();
            if (wg == 0) {
                float a0[2], a1[2];
#pragma unroll
                for (int r = 0; r < 2; r++) {
                    const float m1 = sMerge[(E / 2 + r) * 128 + me], mn = fmaxf(m[r], m1), base = mn == -INFINITY ? 0.f : mn;
                    a0[r] = fast_exp2(m[r] - base);
                    a1[r] = fast_exp2(m1 - base);
                    l[r] = l[r] * a0[r] + sMerge[(E / 2 + 2 + r) * 128 + me] * a1[r];
                    m[r] = mn;
                }
#pragma unroll
                for (int n = 0; n < E / 8; n++)
#pragma unroll
                    for (int e = 0; e < 4; e++) oacc[n][e] = oacc[n][e] * a0[e >> 1] + sMerge[(n * 4 + e) * 128 + me] * a1[e >> 1];
            }
            consumers_sync<CT>();   // read before warpgroup 1 writes the next item's
            if (wg == 1) continue;
        }

        write_output_rows<T, E>(p, o, bh, row0, oacc, m, l);
    }
#endif
}

}  // namespace colreduce

// the shipped configuration: 2 stages of K and of V, ping-pong (attend_lab on the H200: 2 + 2 is
// 0.5-1 % faster than 3 + 2 with ping-pong, 2-7 % slower without; OutputPlan mirrors its shared
// memory); _wsp persistent, for F16 (BF16's second P fragment spills it); for few query rows
// (decoding) _wsk, 64 rows a block with the key tiles split between the consumers, 3 stages of V
// (with 2 the producer's in-order loads wait on one warpgroup's V while the other starves: 18 %
// slower at 16,32,64,16384, attend_lab), persistent for F16 (_wskp)
#define ATTENTION_OUTPUT_SPECIALIZED_KERNEL(TN, T, E, SUFFIX, PINGPONG, PERSIST, KSPLIT)                        \
    extern "C" __global__ void __launch_bounds__(384, 1)                                                          \
        attention_output_##TN##_e##E##_##SUFFIX(const colreduce::Problem p, const colreduce::OutputProblem o,    \
                                          const __grid_constant__ CUtensorMap tmQ, const __grid_constant__ CUtensorMap tmK, \
                                          const __grid_constant__ CUtensorMap tmV) {                             \
        TMA_KERNEL_BODY((colreduce::attention_output_specialized<T, E, 128, 2, KSPLIT ? 3 : 2, PINGPONG, PERSIST, KSPLIT>(p, o, &tmQ, &tmK, &tmV))) \
    }
ATTENTION_OUTPUT_SPECIALIZED_KERNEL(f16, __half, 64, ws, true, false, false)
ATTENTION_OUTPUT_SPECIALIZED_KERNEL(f16, __half, 128, ws, true, false, false)
ATTENTION_OUTPUT_SPECIALIZED_KERNEL(bf16, __nv_bfloat16, 64, ws, true, false, false)
ATTENTION_OUTPUT_SPECIALIZED_KERNEL(bf16, __nv_bfloat16, 128, ws, true, false, false)
ATTENTION_OUTPUT_SPECIALIZED_KERNEL(f16, __half, 64, wsp, true, true, false)
ATTENTION_OUTPUT_SPECIALIZED_KERNEL(f16, __half, 128, wsp, true, true, false)
ATTENTION_OUTPUT_SPECIALIZED_KERNEL(f16, __half, 64, wskp, false, true, true)
ATTENTION_OUTPUT_SPECIALIZED_KERNEL(f16, __half, 128, wskp, false, true, true)
ATTENTION_OUTPUT_SPECIALIZED_KERNEL(f16, __half, 64, wsk, false, false, true)
ATTENTION_OUTPUT_SPECIALIZED_KERNEL(f16, __half, 128, wsk, false, false, true)
ATTENTION_OUTPUT_SPECIALIZED_KERNEL(bf16, __nv_bfloat16, 64, wsk, false, false, true)
ATTENTION_OUTPUT_SPECIALIZED_KERNEL(bf16, __nv_bfloat16, 128, wsk, false, false, true)
