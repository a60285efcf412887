// Helpers: random operands generated on the device (benchmarks: 8.6 GB of K needs no host
// copy), and rows of D elements re-laid into zero-padded rows of DP (resident tensors whose
// D is not a tile width).
#pragma once
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include "problem.cuh"

namespace colreduce {

__device__ __forceinline__ uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// count elements of a standard normal (Box-Muller), stored as T
template <typename T>
__device__ void fill_normal(const Problem& p) {
    T* dst = (T*)p.aux;
    for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < p.count; e += (int64_t)gridDim.x * blockDim.x) {
        uint64_t r = splitmix64(p.seed ^ (uint64_t)e * 0xD1B54A32D192ED03ull);
        float u1 = ((r >> 40) + 1) * (1.0f / 16777217.0f);
        float u2 = ((r >> 16) & 0xFFFFFF) * (1.0f / 16777216.0f);
        float v = sqrtf(-2.f * __logf(u1)) * __cosf(6.2831853f * u2);
        if constexpr (sizeof(T) == 4) dst[e] = v;
        else if constexpr (std::is_same<T, __half>::value) dst[e] = __float2half_rn(v);
        else dst[e] = __float2bfloat16_rn(v);
    }
}

// [count rows][D] of 2-byte elements (p.q) to [count rows][ld] (p.aux), zero beyond D
__device__ void pad_rows(const Problem& p) {
    const unsigned short* src = (const unsigned short*)p.q;
    unsigned short* dst = (unsigned short*)p.aux;
    const int64_t total = p.count * p.ld;
    for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += (int64_t)gridDim.x * blockDim.x) {
        int64_t r = e / p.ld;
        int x = (int)(e % p.ld);
        dst[e] = x < p.D ? src[r * p.D + x] : (unsigned short)0;
    }
}

}  // namespace colreduce
