// Hopper (sm_90a) warpgroup MMA: wgmma.mma_async m64nNk16 with A (64 rows over the 4 warps of
// the block, the same register fragments as mma.sync) from registers and B from a shared tile
// in the 128-byte-swizzled K-major layout of warp_mma.cuh. Accumulators have the m16n8 layout,
// so the epilogues do not change. Compiled only where __CUDA_ARCH_FEAT_SM90_ALL is defined.
#pragma once
#include "warp_mma.cuh"

namespace colreduce {

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define COLREDUCE_WGMMA 1

// operand lists of the inline wgmma asm: N/8 x 4 accumulators, and their %-lists
#define COLREDUCE_ACC_4(c, i) "+f"(c[i][0]), "+f"(c[i][1]), "+f"(c[i][2]), "+f"(c[i][3])
#define COLREDUCE_ACC_32(c) COLREDUCE_ACC_4(c, 0), COLREDUCE_ACC_4(c, 1), COLREDUCE_ACC_4(c, 2), COLREDUCE_ACC_4(c, 3)
#define COLREDUCE_ACC_64(c) COLREDUCE_ACC_32(c), COLREDUCE_ACC_4(c, 4), COLREDUCE_ACC_4(c, 5), COLREDUCE_ACC_4(c, 6), COLREDUCE_ACC_4(c, 7)
#define COLREDUCE_D16 "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15}"
#define COLREDUCE_D32 "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}"
#define COLREDUCE_ACC_128(c) COLREDUCE_ACC_64(c), COLREDUCE_ACC_4(c, 8), COLREDUCE_ACC_4(c, 9), COLREDUCE_ACC_4(c, 10), COLREDUCE_ACC_4(c, 11), \
    COLREDUCE_ACC_4(c, 12), COLREDUCE_ACC_4(c, 13), COLREDUCE_ACC_4(c, 14), COLREDUCE_ACC_4(c, 15)
#define COLREDUCE_D64 "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31," \
    "%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63}"

template <typename T, int N> struct Wgmma;

template <> struct Wgmma<__half, 32> {
    __device__ __forceinline__ static void mma(float (*c)[4], const uint32_t* a, uint64_t desc, int scaleD) {
        asm volatile(
            "{\n.reg .pred p;\nsetp.ne.b32 p, %21, 0;\n"
            "wgmma.mma_async.sync.aligned.m64n32k16.f32.f16.f16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15}, {%16,%17,%18,%19}, %20, p, 1, 1, 0;\n}\n"
            : "+f"(c[0][0]), "+f"(c[0][1]), "+f"(c[0][2]), "+f"(c[0][3]), "+f"(c[1][0]), "+f"(c[1][1]), "+f"(c[1][2]), "+f"(c[1][3]), "+f"(c[2][0]), "+f"(c[2][1]), "+f"(c[2][2]), "+f"(c[2][3]), "+f"(c[3][0]), "+f"(c[3][1]), "+f"(c[3][2]), "+f"(c[3][3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc), "r"(scaleD));
    }
};

template <> struct Wgmma<__nv_bfloat16, 32> {
    __device__ __forceinline__ static void mma(float (*c)[4], const uint32_t* a, uint64_t desc, int scaleD) {
        asm volatile(
            "{\n.reg .pred p;\nsetp.ne.b32 p, %21, 0;\n"
            "wgmma.mma_async.sync.aligned.m64n32k16.f32.bf16.bf16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15}, {%16,%17,%18,%19}, %20, p, 1, 1, 0;\n}\n"
            : "+f"(c[0][0]), "+f"(c[0][1]), "+f"(c[0][2]), "+f"(c[0][3]), "+f"(c[1][0]), "+f"(c[1][1]), "+f"(c[1][2]), "+f"(c[1][3]), "+f"(c[2][0]), "+f"(c[2][1]), "+f"(c[2][2]), "+f"(c[2][3]), "+f"(c[3][0]), "+f"(c[3][1]), "+f"(c[3][2]), "+f"(c[3][3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc), "r"(scaleD));
    }
};

template <> struct Wgmma<__half, 64> {
    __device__ __forceinline__ static void mma(float (*c)[4], const uint32_t* a, uint64_t desc, int scaleD) {
        asm volatile(
            "{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"
            "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, {%32,%33,%34,%35}, %36, p, 1, 1, 0;\n}\n"
            : "+f"(c[0][0]), "+f"(c[0][1]), "+f"(c[0][2]), "+f"(c[0][3]), "+f"(c[1][0]), "+f"(c[1][1]), "+f"(c[1][2]), "+f"(c[1][3]), "+f"(c[2][0]), "+f"(c[2][1]), "+f"(c[2][2]), "+f"(c[2][3]), "+f"(c[3][0]), "+f"(c[3][1]), "+f"(c[3][2]), "+f"(c[3][3]), "+f"(c[4][0]), "+f"(c[4][1]), "+f"(c[4][2]), "+f"(c[4][3]), "+f"(c[5][0]), "+f"(c[5][1]), "+f"(c[5][2]), "+f"(c[5][3]), "+f"(c[6][0]), "+f"(c[6][1]), "+f"(c[6][2]), "+f"(c[6][3]), "+f"(c[7][0]), "+f"(c[7][1]), "+f"(c[7][2]), "+f"(c[7][3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc), "r"(scaleD));
    }
};

template <> struct Wgmma<__nv_bfloat16, 64> {
    __device__ __forceinline__ static void mma(float (*c)[4], const uint32_t* a, uint64_t desc, int scaleD) {
        asm volatile(
            "{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"
            "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, {%32,%33,%34,%35}, %36, p, 1, 1, 0;\n}\n"
            : "+f"(c[0][0]), "+f"(c[0][1]), "+f"(c[0][2]), "+f"(c[0][3]), "+f"(c[1][0]), "+f"(c[1][1]), "+f"(c[1][2]), "+f"(c[1][3]), "+f"(c[2][0]), "+f"(c[2][1]), "+f"(c[2][2]), "+f"(c[2][3]), "+f"(c[3][0]), "+f"(c[3][1]), "+f"(c[3][2]), "+f"(c[3][3]), "+f"(c[4][0]), "+f"(c[4][1]), "+f"(c[4][2]), "+f"(c[4][3]), "+f"(c[5][0]), "+f"(c[5][1]), "+f"(c[5][2]), "+f"(c[5][3]), "+f"(c[6][0]), "+f"(c[6][1]), "+f"(c[6][2]), "+f"(c[6][3]), "+f"(c[7][0]), "+f"(c[7][1]), "+f"(c[7][2]), "+f"(c[7][3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc), "r"(scaleD));
    }
};

// O += P (registers) x V with V an N-major ("transposed", imm-trans-b = 1) shared tile: rows of
// keys, value columns contiguous, the swizzled layout the mma.sync kernels stage V in. 16-bit
// types only (wgmma allows the transpose for them alone).
#define COLREDUCE_WGMMA_RT(TYPE, PTXT)                                                                      \
    template <> struct WgmmaT<TYPE, 64> {                                                                   \
        __device__ __forceinline__ static void mma(float (*c)[4], const uint32_t* a, uint64_t desc, int scaleD) { \
            asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"                                        \
                         "wgmma.mma_async.sync.aligned.m64n64k16.f32." PTXT "." PTXT " " COLREDUCE_D32      \
                         ", {%32,%33,%34,%35}, %36, p, 1, 1, 1;\n}\n"                                        \
                         : COLREDUCE_ACC_64(c) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc), "r"(scaleD)); \
        }                                                                                                   \
    };
template <typename T, int N> struct WgmmaT;
COLREDUCE_WGMMA_RT(__half, "f16")
COLREDUCE_WGMMA_RT(__nv_bfloat16, "bf16")

// The same with A from shared memory too (both operands K-major, 128B swizzle): no A fragments
// held in registers, which leaves room for a second accumulator set (software pipelining).
#define COLREDUCE_WGMMA_SS(TYPE, PTXT, N, REGS, ...)                                                         \
    template <> struct WgmmaSS<TYPE, N> {                                                                   \
        __device__ __forceinline__ static void mma(float (*c)[4], uint64_t da, uint64_t db, int scaleD) {   \
            asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %" #REGS ", 0;\n"                                 \
                         "wgmma.mma_async.sync.aligned.m64n" #N "k16.f32." PTXT "." PTXT " " __VA_ARGS__      \
                         : COLREDUCE_ACC_##N(c) : "l"(da), "l"(db), "r"(scaleD));                            \
        }                                                                                                   \
    };

// m64n128k16 with A from registers, as STRUCT<TYPE, 128>: Wgmma (B K-major, imm-trans-b = 0: the
// column pass's K fragments against 128 queries a step) and WgmmaT (B N-major, imm-trans-b = 1:
// O += P·V over both 64-column blocks of a V tile, LBO apart, in one instruction)
#define COLREDUCE_WGMMA_RS128(STRUCT, TYPE, PTXT, TRANS)                                                     \
    template <> struct STRUCT<TYPE, 128> {                                                                  \
        __device__ __forceinline__ static void mma(float (*c)[4], const uint32_t* a, uint64_t desc, int scaleD) { \
            asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"                                          \
                         "wgmma.mma_async.sync.aligned.m64n128k16.f32." PTXT "." PTXT " " COLREDUCE_D64          \
                         ", {%64,%65,%66,%67}, %68, p, 1, 1, " #TRANS ";\n}\n"                                   \
                         : COLREDUCE_ACC_128(c) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc), "r"(scaleD)); \
        }                                                                                                   \
    };
COLREDUCE_WGMMA_RS128(Wgmma, __half, "f16", 0)
COLREDUCE_WGMMA_RS128(Wgmma, __nv_bfloat16, "bf16", 0)
COLREDUCE_WGMMA_RS128(WgmmaT, __half, "f16", 1)
COLREDUCE_WGMMA_RS128(WgmmaT, __nv_bfloat16, "bf16", 1)

template <typename T, int N> struct WgmmaSS;
COLREDUCE_WGMMA_SS(__half, "f16", 32, 18, COLREDUCE_D16 ", %16, %17, p, 1, 1, 0, 0;\n}\n")
COLREDUCE_WGMMA_SS(__nv_bfloat16, "bf16", 32, 18, COLREDUCE_D16 ", %16, %17, p, 1, 1, 0, 0;\n}\n")
COLREDUCE_WGMMA_SS(__half, "f16", 64, 34, COLREDUCE_D32 ", %32, %33, p, 1, 1, 0, 0;\n}\n")
COLREDUCE_WGMMA_SS(__nv_bfloat16, "bf16", 64, 34, COLREDUCE_D32 ", %32, %33, p, 1, 1, 0, 0;\n}\n")
COLREDUCE_WGMMA_SS(__half, "f16", 128, 66, COLREDUCE_D64 ", %64, %65, p, 1, 1, 0, 0;\n}\n")
COLREDUCE_WGMMA_SS(__nv_bfloat16, "bf16", 128, 66, COLREDUCE_D64 ", %64, %65, p, 1, 1, 0, 0;\n}\n")

// A shared-memory matrix descriptor, 128-byte swizzle, stride byte offset 8 rows of 128 B, the
// leading byte offset given (16-byte units), for the tile at `tile`. A k step's descriptor is
// this plus its byte offset / 16 in the low 14 address bits (shared memory ends below 2^18 B, so
// the sum never carries out): one add per k step instead of masking and shifting each address
// (ncu on the output pass: descriptor arithmetic was ~2 of its 12 instructions per score).
template <uint32_t LBO>
__device__ __forceinline__ uint64_t tile_descriptor(const uint4* tile) {
    uint64_t d = (uint64_t)((smem_u32(tile) & 0x3FFFF) >> 4);
    d |= (uint64_t)LBO << 16;
    d |= (uint64_t)(1024 >> 4) << 32;
    d |= (uint64_t)1 << 62;
    return d;
}

// ... at `bytes` into the tile (a 32-bit add: the address field cannot carry out, see above)
template <uint32_t LBO>
__device__ __forceinline__ uint64_t tile_descriptor(const uint4* tile, uint32_t bytes) {
    const uint64_t d = tile_descriptor<LBO>(tile);
    return (d & 0xFFFFFFFF00000000ull) | (uint32_t)((uint32_t)d + (bytes >> 4));
}

// Descriptor of a K-major B tile of ROWS rows, 128B swizzle, at k step ks (16 elements).
template <int ROWS>
__device__ __forceinline__ uint64_t b_descriptor(const uint4* tile, int ks) {
    return tile_descriptor<1>(tile, (ks >> 2) * ROWS * 128 + (ks & 3) * 32);   // LBO unused with this swizzle
}

// Descriptor of an N-major B tile (ROWS rows of k, 64-column blocks of [ROWS][64], 128B
// swizzle) at k step ks (16 rows): SBO steps 8 rows (1024 B), LBO one 64-column block.
template <int ROWS>
__device__ __forceinline__ uint64_t n_major_descriptor(const uint4* tile, int ks) {
    constexpr uint32_t LBO = ROWS * 128 / 16;   // the next 64 columns
    return tile_descriptor<LBO>(tile, ks * 16 * 128);
}

template <int N>
__device__ __forceinline__ void fence_acc(float (*c)[4]) {
#pragma unroll
    for (int i = 0; i < N / 8; i++)
#pragma unroll
        for (int e = 0; e < 4; e++) asm volatile("" : "+f"(c[i][e])::"memory");
}

// Starts acc = A (registers, KSTEPS k16 steps) x B^T (shared tile of N rows) as one wgmma group;
// acc and a must stay untouched until warpgroup_wait says the group is done.
template <typename T, int N, int KSTEPS>
__device__ __forceinline__ void warpgroup_mma_issue(float (*acc)[4], const uint32_t (*a)[4], const uint4* tile) {
    fence_acc<N>(acc);
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#pragma unroll
    for (int ks = 0; ks < KSTEPS; ks++) Wgmma<T, N>::mma(acc, a[ks], b_descriptor<N>(tile, ks), ks > 0);
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
    fence_acc<N>(acc);
}

// Starts acc = A (rows row0.. of a shared tile of AROWS rows) x B^T (shared tile of N rows), both
// swizzled K-major, as one wgmma group.
template <typename T, int N, int KSTEPS, int AROWS>
__device__ __forceinline__ void warpgroup_mma_issue_ss(float (*acc)[4], const uint4* aTile, int row0, const uint4* bTile) {
    fence_acc<N>(acc);
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#pragma unroll
    for (int ks = 0; ks < KSTEPS; ks++)
        WgmmaSS<T, N>::mma(acc, b_descriptor<AROWS>(aTile + row0 * 8, ks), b_descriptor<N>(bTile, ks), ks > 0);
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
    fence_acc<N>(acc);
}

// Waits until at most PENDING wgmma groups are in flight; acc (of an older group) is then ready.
template <int PENDING, int N>
__device__ __forceinline__ void warpgroup_wait(float (*acc)[4]) {
    asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(PENDING) : "memory");
    fence_acc<N>(acc);
}
#endif

// Makes shared memory written by cp.async visible to the tensor cores' async proxy.
__device__ __forceinline__ void fence_async_shared() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
#endif
}

}  // namespace colreduce
