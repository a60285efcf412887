// Hopper (sm_90a) asynchronous copies: the tensor memory accelerator (TMA) fills a swizzled
// shared tile from a tensor map the host encoded (cuTensorMapEncodeTiled, 128-byte swizzle: the
// layout of warp_mma.cuh's swz, which wgmma reads), and mbarriers say when a tile has landed
// (transaction bytes) and when its consumers are done with it (arrivals). One thread issues the
// copies: no per-thread address arithmetic on the consumers' issue slots.
#pragma once
#include <cuda.h>
#include "warp_mma.cuh"

namespace colreduce {

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)

__device__ __forceinline__ void mbarrier_init(uint64_t* bar, int count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(smem_u32(bar)), "r"(count));
}

// makes the initialised barriers visible to the async proxy (the TMA unit) before first use
__device__ __forceinline__ void fence_barrier_init() { asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory"); }

// one arrival that also announces `bytes` of TMA transactions for the current phase
__device__ __forceinline__ void mbarrier_expect_bytes(uint64_t* bar, uint32_t bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(smem_u32(bar)), "r"(bytes) : "memory");
}

__device__ __forceinline__ void mbarrier_arrive(uint64_t* bar) {
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(smem_u32(bar)) : "memory");
}

// waits until the phase of the given parity has completed (acquire: the tile's bytes are visible)
__device__ __forceinline__ void mbarrier_wait(uint64_t* bar, uint32_t parity) {
    asm volatile(
        "{\n.reg .pred done;\n"
        "WAIT_%=:\n"
        "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
        "@!done bra WAIT_%=;\n}\n" ::"r"(smem_u32(bar)),
        "r"(parity)
        : "memory");
}

// a box of a 4-d tensor map (coordinates innermost first) into shared memory, completing on bar
__device__ __forceinline__ void tma_load_4d(void* dst, const CUtensorMap* map, int c0, int c1, int c2, int c3, uint64_t* bar) {
    asm volatile(
        "cp.async.bulk.tensor.4d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4, %5}], [%6];\n" ::"r"(
            smem_u32(dst)),
        "l"(map), "r"(c0), "r"(c1), "r"(c2), "r"(c3), "r"(smem_u32(bar))
        : "memory");
}

__device__ __forceinline__ void prefetch_tensor_map(const CUtensorMap* map) {
    asm volatile("prefetch.tensormap [%0];\n" ::"l"(map) : "memory");
}

// Rows [row, row + ROWS) of a [B][H][rows][E] tensor (E ≤ 128, 2-byte elements) as E/64 column
// blocks of [ROWS][64], each 128-byte-swizzled: the layout swz<ROWS> names.
template <int ROWS, int E>
__device__ __forceinline__ void tma_load_rows(uint4* tile, const CUtensorMap* map, int row, int h, int b, uint64_t* bar) {
#pragma unroll
    for (int c = 0; c < E / 64; c++) tma_load_4d(tile + c * ROWS * 8, map, c * 64, row, h, b, bar);
}

// warp-specialised kernels hand registers from the producer warpgroup to the consumers (per
// thread; 128·P + 256·C ≤ 384·168, what a block of three warpgroups is given)
template <int REGS>
__device__ __forceinline__ void registers_release() { asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(REGS)); }
template <int REGS>
__device__ __forceinline__ void registers_claim() { asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(REGS)); }

// a barrier of the consumer warpgroups alone (id 0 is __syncthreads; 1 both consumer
// warpgroups, or another id for one of them)
template <int THREADS>
__device__ __forceinline__ void consumers_sync(int id = 1) { asm volatile("bar.sync %0, %1;\n" ::"r"(id), "n"(THREADS) : "memory"); }
template <int THREADS>
__device__ __forceinline__ bool consumers_any(bool x, int id = 1) {
    int r;
    asm volatile(
        "{\n.reg .pred p, q;\nsetp.ne.b32 p, %1, 0;\n"
        "bar.red.or.pred q, %3, %2, p;\n"
        "selp.b32 %0, 1, 0, q;\n}\n"
        : "=r"(r)
        : "r"((int)x), "n"(THREADS), "r"(id)
        : "memory");
    return r != 0;
}

#endif

}  // namespace colreduce

// sm_90a only (elsewhere the TMA kernels trap; the Java side picks them on sm_90 alone)
#if defined(__CUDA_ARCH__) && !defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define TMA_KERNEL_BODY(call) __trap();
#else
#define TMA_KERNEL_BODY(call) call;
#endif
