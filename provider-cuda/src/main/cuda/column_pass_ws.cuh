// ColumnPassSpecialized, pass 2 on sm_90a (DP ≤ 128, F16/BF16), warp specialised as
// attention_output_ws.cuh: the work of column_pass.cuh's 8-warp kernel (a block owns 128 keys,
// 16 a warp with K in registers, and streams items of 128 queries of every query head of its KV
// group), but one producer thread loads each item's Q tile and its row statistics by TMA
// (tma.cuh) into a ring of QS stages that mbarriers hand over: no cp.async address arithmetic
// and no block-wide barrier on the consumers' path, so the two consumer warpgroups drift apart
// and one's exponentials run under the other's products.
// The epilogues (reduce_item, write_columns) are column_pass.cuh's; sums run in the same fixed
// order (SPEC §8.1). Each consumer warpgroup takes two items a step and reduces the first while
// the second's product runs (one item a step measured within 1.5 % of the cp.async kernel on the
// H200: two consumer warpgroups at one block per SM hid the epilogue no better than two cp.async
// blocks of two warpgroups each).
#pragma once
#include "column_pass.cuh"
#include "tma.cuh"

namespace colreduce {

template <int DP, int QS_ = 4>
struct SpecializedColumnTiles {
    static constexpr int THREADS = 384;                 // producer warpgroup, two consumer warpgroups
    static constexpr int BN = 128, BM = 128, CH = DP / 8, QS = QS_;
    static constexpr int smem() { return (BN + QS * BM) * DP * 2 + QS * BM * 8 + (1 + 2 * QS) * 8 + 1024; }
};

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
// a box of a 1-d tensor map (the row statistics as 8-byte (m, lg) pairs) into shared memory
__device__ __forceinline__ void tma_load_1d(void* dst, const CUtensorMap* map, int c0, uint64_t* bar) {
    asm volatile("cp.async.bulk.tensor.1d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2}], [%3];\n" ::"r"(
                     smem_u32(dst)),
                 "l"(map), "r"(c0), "r"(smem_u32(bar))
                 : "memory");
}
#endif

template <typename T, int DP, bool IS_MAX, int QS = 4>
__device__ void column_pass_specialized(const Problem& p, const CUtensorMap* tmQ, const CUtensorMap* tmK, const CUtensorMap* tmL) {
#ifdef COLREDUCE_WGMMA
    using TL = SpecializedColumnTiles<DP, QS>;
    constexpr int BN = TL::BN, BM = TL::BM, CH = TL::CH;
    static_assert(DP <= 128 && QS >= 3, "DP <= 128; two stages in use and one filling");
    extern __shared__ uint4 smem_raw[];
    uint4* sK = aligned_smem(smem_raw);
    uint4* sQ = sK + BN * CH;
    float* sL = (float*)(sQ + QS * BM * CH);
    uint64_t* kFull = (uint64_t*)(sL + QS * BM * 2);
    uint64_t* qFull = kFull + 1;
    uint64_t* qEmpty = qFull + QS;

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int kt = blockIdx.x, bkv = blockIdx.y;
    const int b = bkv / p.Hkv, kvh = bkv % p.Hkv, G = p.Hq / p.Hkv;
    const BatchMask mask = BatchMask::of(p, b);
    const int64_t j0 = (int64_t)kt * BN;
    const int64_t j1 = min(j0 + BN, mask.lenK);
    int64_t rlo = 0, rhi = 0;
    if (j0 < j1) {
        rlo = mask.rowLo(j0);
        rhi = mask.rowHi(j1);
    }
    const int64_t q0 = rlo / BM, q1 = rhi > rlo ? (rhi + BM - 1) / BM : q0;
    const int64_t perHead = q1 - q0, items = perHead * G;

    if (items == 0) {
        // keys no row sees (past lenK, or outside every row's range): 0 for every query head
        for (int e = threadIdx.x; e < BN * G; e += TL::THREADS) {
            int64_t j = j0 + e % BN;
            int hq = kvh * G + e / BN;
            if (j < p.N) p.colval[((int64_t)b * p.Hq + hq) * p.N + j] = 0.f;
        }
        return;
    }

    if (threadIdx.x == 0) {
        mbarrier_init(kFull, 1);
        for (int s = 0; s < QS; s++) mbarrier_init(&qFull[s], 1), mbarrier_init(&qEmpty[s], 8);
        fence_barrier_init();
    }
    __syncthreads();

    if (warp < 4) {   // the producer warpgroup: one thread issues every copy
        registers_release<WS_PRODUCER_REGS>();
        if (warp == 0 && lane == 0) {
            prefetch_tensor_map(tmQ);
            mbarrier_expect_bytes(kFull, BN * DP * 2);
            tma_load_rows<BN, DP>(sK, tmK, (int)j0, kvh, b, kFull);
            int head = 0;
            int64_t tile = q0;
            for (int64_t u = 0; u < items; u++) {
                const int s = (int)(u % QS);
                if (u >= QS) mbarrier_wait(&qEmpty[s], (uint32_t)((u / QS - 1) & 1));
                const int hq = kvh * G + head;
                const int64_t i0 = tile * BM;
                mbarrier_expect_bytes(&qFull[s], BM * DP * 2 + BM * 8);
                tma_load_rows<BM, DP>(sQ + s * BM * CH, tmQ, (int)i0, hq, b, &qFull[s]);
                tma_load_1d(sL + s * BM * 2, tmL, (int)(((int64_t)b * p.Hq + hq) * p.M + i0), &qFull[s]);
                if (++tile == q1) tile = q0, head++;
            }
        }
        return;
    }
    registers_claim<WS_CONSUMER_REGS>();

    const int cw = (threadIdx.x - 128) >> 5;          // consumer warp 0..7: keys cw·16 ..
    const int64_t jw0 = j0 + cw * 16;
    mbarrier_wait(kFull, 0);
    uint32_t ka[CH / 2][4];
    load_a_fragments<BN, CH>(ka, sK, cw * 16);

    float red[2] = {IS_MAX ? -INFINITY : 0.f, IS_MAX ? -INFINITY : 0.f};
    int head = 0;
    int64_t tile = q0;
    const BatchMask::Narrow narrow = mask.narrow();
    // one item's reduction, then the stage goes back to the producer
    auto epilogue = [&](const float (*acc)[4], int s) {
        reduce_item<BM, IS_MAX>(red, acc, sL + s * BM * 2, p, mask, narrow, tile * BM, jw0);
        if (lane == 0) mbarrier_arrive(&qEmpty[s]);   // this warp is done with the stage (Q and statistics)
        if (++tile == q1) {
            write_columns<IS_MAX>(red, p, mask, b, kvh * G + head, jw0);
            red[0] = red[1] = IS_MAX ? -INFINITY : 0.f;
            tile = q0;
            head++;
        }
    };
    // two items a step: the second one's product runs under the first one's epilogue. Both
    // products are always issued (an odd last item repeats its stage into the second, unused):
    // no wgmma under a branch, none in flight across the back edge.
    for (int64_t u = 0; u < items; u += 2) {
        const bool two = u + 1 < items;
        const int s0 = (int)(u % QS), s1 = two ? (int)((u + 1) % QS) : s0;
        mbarrier_wait(&qFull[s0], (uint32_t)((u / QS) & 1));
        if (two) mbarrier_wait(&qFull[s1], (uint32_t)(((u + 1) / QS) & 1));
        float accA[BM / 8][4], accB[BM / 8][4];
        tile_mma_issue<T, BM, BM, CH, true>(accA, ka, sQ + s0 * BM * CH);
        tile_mma_issue<T, BM, BM, CH, true>(accB, ka, sQ + s1 * BM * CH);
        tile_mma_wait<1, BM, true>(accA);
        epilogue(accA, s0);
        tile_mma_wait<0, BM, true>(accB);
        if (two) epilogue(accB, s1);
    }
#endif
}

}  // namespace colreduce

#define COLUMN_PASS_SPECIALIZED_KERNELS(TN, T, DP)                                                               \
    extern "C" __global__ void __launch_bounds__(384, 1)                                                         \
        column_sum_##TN##_d##DP##_ws(const colreduce::Problem p, const __grid_constant__ CUtensorMap tmQ,        \
                                     const __grid_constant__ CUtensorMap tmK, const __grid_constant__ CUtensorMap tmL) { \
        TMA_KERNEL_BODY((colreduce::column_pass_specialized<T, DP, false>(p, &tmQ, &tmK, &tmL)))         \
    }                                                                                                            \
    extern "C" __global__ void __launch_bounds__(384, 1)                                                         \
        column_max_##TN##_d##DP##_ws(const colreduce::Problem p, const __grid_constant__ CUtensorMap tmQ,        \
                                     const __grid_constant__ CUtensorMap tmK, const __grid_constant__ CUtensorMap tmL) { \
        TMA_KERNEL_BODY((colreduce::column_pass_specialized<T, DP, true>(p, &tmQ, &tmK, &tmL)))          \
    }
COLUMN_PASS_SPECIALIZED_KERNELS(f16, __half, 64)
COLUMN_PASS_SPECIALIZED_KERNELS(f16, __half, 128)
COLUMN_PASS_SPECIALIZED_KERNELS(bf16, __nv_bfloat16, 64)
COLUMN_PASS_SPECIALIZED_KERNELS(bf16, __nv_bfloat16, 128)
