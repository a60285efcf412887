// The last, small pass: out[b, oh, j] = (j < L ? previous[b, oh, j] : 0) + Σ_h colval[b, h, j] / div
// over the query heads h of output head oh, summed in head order (deterministic). previous may
// be the very buffer out is (accumulate in place): each element is read before it is written.
#pragma once
#include "problem.cuh"

namespace colreduce {

__device__ void head_reduction(const Problem& p) {
    const int64_t total = (int64_t)p.B * p.outHeads * p.N;
    const int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= total) return;
    const int64_t j = e % p.N;
    const int64_t bo = e / p.N;
    const int oh = (int)(bo % p.outHeads), b = (int)(bo / p.outHeads);
    const int per = p.Hq / p.outHeads;
    float s = 0.f;
    for (int h = oh * per; h < (oh + 1) * per; h++) s += p.colval[((int64_t)b * p.Hq + h) * p.N + j];
    if (p.headDivisor > 1) s /= (float)p.headDivisor;
    float prev = 0.f;
    if (p.previous != nullptr && j < p.prevLen) prev = p.previous[bo * p.prevLen + j];
    p.out[e] = prev + s;
}

}  // namespace colreduce
