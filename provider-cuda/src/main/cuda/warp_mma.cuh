// Warp-level tensor-core primitives (sm_80+): cp.async into a swizzled shared-memory tile,
// ldmatrix and mma.sync m16n8k16 with fp32 accumulators.
#pragma once
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <stdint.h>

namespace colreduce {

__device__ __forceinline__ uint32_t smem_u32(const void* p) { return (uint32_t)__cvta_generic_to_shared(p); }

template <typename T> struct MmaType;
template <> struct MmaType<__half> { static constexpr bool BF16 = false; };
template <> struct MmaType<__nv_bfloat16> { static constexpr bool BF16 = true; };

// A tile of ROWS rows of DP 2-byte elements is stored as DP/64 column blocks of [ROWS][64]
// (128 bytes a row), the 16-byte chunk c of a row at c ^ (row & 7): the 8 rows an ldmatrix phase
// reads fall in 8 bank groups, and it is the K-major 128-byte-swizzle layout wgmma reads
// (tiles start 1024-byte aligned).
template <int ROWS>
__device__ __forceinline__ int swz(int row, int chunk) { return (chunk >> 3) * ROWS * 8 + row * 8 + ((chunk & 7) ^ (row & 7)); }

// The dynamic shared memory, rounded up to 1024 bytes (the kernels ask for 1 KB more).
__device__ __forceinline__ uint4* aligned_smem(uint4* raw) {
    uint32_t a = smem_u32(raw);
    return raw + (((a + 1023u) & ~1023u) - a) / 16;
}


// 16-byte async copy; src_bytes 0 zero-fills (rows past the end).
__device__ __forceinline__ void cp_async16(void* dst, const void* src, int src_bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_u32(dst)), "l"(src), "r"(src_bytes));
}
__device__ __forceinline__ void cp_async16_at(uint32_t dst, const void* src, int src_bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(src_bytes));
}
__device__ __forceinline__ void cp_async4(void* dst, const void* src, int src_bytes) {
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(smem_u32(dst)), "l"(src), "r"(src_bytes));
}
__device__ __forceinline__ void cp_async8(void* dst, const void* src, int src_bytes) {
    asm volatile("cp.async.ca.shared.global [%0], [%1], 8, %2;\n" ::"r"(smem_u32(dst)), "l"(src), "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }

__device__ __forceinline__ void ldmatrix_x4(uint32_t& r0, uint32_t& r1, uint32_t& r2, uint32_t& r3, const void* p) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(smem_u32(p)));
}

template <typename T>
__device__ __forceinline__ void mma16816(float* c, const uint32_t* a, uint32_t b0, uint32_t b1) {
    if constexpr (MmaType<T>::BF16) {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    } else {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    }
}

// Copies ROWS rows of a [rows][ld] global tile (rows from `first`, valid below `limit`) into a
// swizzled shared tile; THREADS threads take part.
// A fixed trip count, so that the loop unrolls to straight-line cp.async (a loop from threadIdx.x
// compiled to a counted loop with remainder handling: ~40 instructions a copy). A thread's rows
// lie STEP apart; when STEP is a multiple of 8 they share their swizzle phase, so on a whole tile
// one shared address and one global pointer serve every copy (immediate offsets, one 64-bit add
// each, no zero-fill selects; a partial, last tile takes the general loop): the column pass spent
// ~200 instructions a warp per 128-row tile here before (ncu, 2026-11-22), a third of its own.
template <int ROWS, int CHUNKS, int THREADS, typename T>
__device__ __forceinline__ void load_tile(uint4* s, const T* g, int64_t stride, int64_t first, int64_t limit) {
    static_assert(ROWS * CHUNKS % THREADS == 0 && THREADS % CHUNKS == 0, "every thread copies the same number of chunks");
    constexpr int STEP = THREADS / CHUNKS, IT = ROWS * CHUNKS / THREADS;
    const int c = threadIdx.x % CHUNKS, r0 = threadIdx.x / CHUNKS;
    const int64_t valid = limit - first;                                  // rows inside the tensor (may be <= 0)
    const T* src = g + (first + r0) * stride + c * 8;
    const int64_t step = (int64_t)STEP * stride;
    if constexpr (STEP % 8 == 0 && THREADS >= 256) {   // (the 4-warp decode kernels spilled on sm_80 with it)
        if (valid >= ROWS) {
            const uint32_t dst = smem_u32(&s[swz<ROWS>(r0, c)]);
#pragma unroll
            for (int it = 0; it < IT; it++) cp_async16_at(dst + it * STEP * 128, src + it * step, 16);
            return;
        }
    }
#pragma unroll
    for (int it = 0; it < IT; it++) {
        const int r = r0 + it * STEP;
        const bool ok = r < valid;
        cp_async16(&s[swz<ROWS>(r, c)], ok ? src + it * step : g, ok ? 16 : 0);
    }
}

// A fragments (16 rows x DP) of a swizzled tile of ROWS rows, rows from row0.
template <int ROWS, int CHUNKS>
__device__ __forceinline__ void load_a_fragments(uint32_t (*a)[4], const uint4* s, int row0) {
    int lane = threadIdx.x & 31;
    int r = row0 + (lane & 15);
#pragma unroll
    for (int ks = 0; ks < CHUNKS / 2; ks++) {
        int c = ks * 2 + (lane >> 4);
        ldmatrix_x4(a[ks][0], a[ks][1], a[ks][2], a[ks][3], &s[swz<ROWS>(r, c)]);
    }
}

// B fragments of two n8 tiles (rows n0..n0+15 of a [n][k] tile of ROWS rows) for k step ks.
template <int ROWS>
__device__ __forceinline__ void load_b_pair(uint32_t& b00, uint32_t& b01, uint32_t& b10, uint32_t& b11, const uint4* s, int n0, int ks) {
    int lane = threadIdx.x & 31;
    int r = n0 + (lane & 7) + ((lane >> 4) << 3);
    int c = ks * 2 + ((lane >> 3) & 1);
    ldmatrix_x4(b00, b01, b10, b11, &s[swz<ROWS>(r, c)]);
}

__device__ __forceinline__ float fast_exp2(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}
// max that keeps NaN (fmaxf drops it)
__device__ __forceinline__ float max_nan(float a, float b) {
    float y;
    asm("max.NaN.f32 %0, %1, %2;" : "=f"(y) : "f"(a), "f"(b));
    return y;
}

}  // namespace colreduce
