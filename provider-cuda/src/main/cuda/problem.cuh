// The one parameter block every kernel takes by value, and the mask of SPEC §3 for one batch.
// The Java side (org.colreduce.cuda.ProblemBlock) writes the same layout: keep the two in step.
#pragma once
#include <stdint.h>

namespace colreduce {

struct Problem {
    // device pointers (8 bytes each)
    const void* q;          // [B, Hq, M, ld] (ld = DP for 2-byte types, D for F32)
    const void* k;          // [B, Hkv, N, ld]
    float* lse;             // [B*Hq*M][2] row statistics (m, lg): p = 2^((t − m)·c − lg)
    float* partial;         // [splits][B*Hq*M][2] (max, sum) of key splits
    float* colval;          // [B, Hq, N] per-head column values (or the output itself)
    const float* previous;  // [B, OH, L] or null
    float* out;             // [B, OH, N]
    const int* lenQ;        // [B]
    const int* lenK;        // [B]
    void* aux;              // fill and pad helpers
    // 64-bit strides (elements) and counts
    int64_t qsb, qsh, qsm;
    int64_t ksb, ksh, ksn;
    int64_t window;         // sliding window W, 0 for none
    int64_t count;          // element count for helpers
    uint64_t seed;          // random fill
    // 32-bit fields
    int B, Hq, Hkv, M, N, D;
    int causal, topLeft;
    int splits, keysPerSplit;
    int reduction;          // 0 SUM, 1 MEAN, 2 MAX
    int outHeads, headDivisor, prevLen;
    int ld;                 // row length in elements of q and k
    float c;                // |scale| * log2(e)
    float sgn;              // sign of scale: scores are handled as t = sgn·q·k, p = 2^((t − m)·c − lg)
};

constexpr int REDUCE_SUM = 0, REDUCE_MEAN = 1, REDUCE_MAX = 2;

// Visibility for one batch b: key j is visible to row i iff i < lenQ, j < lenK and, when causal,
// j <= i + off (and j > i + off - W for a window).
struct BatchMask {
    int64_t lenQ, lenK, off, W;
    bool causal;

    __device__ static BatchMask of(const Problem& p, int b) {
        BatchMask m;
        m.lenQ = p.lenQ[b];
        m.lenK = p.lenK[b];
        m.causal = p.causal != 0;
        m.off = (m.causal && !p.topLeft) ? m.lenK - m.lenQ : 0;
        m.W = p.window;
        return m;
    }
    __device__ bool visible(int64_t i, int64_t j) const {
        if (i >= lenQ || j >= lenK || i < 0 || j < 0) return false;
        if (causal) {
            if (j > i + off) return false;
            if (W > 0 && j <= i + off - W) return false;
        }
        return true;
    }
    // keys [lo, hi) that rows [i0, i1) can see (i1 clipped to lenQ by the caller)
    __device__ int64_t keyLo(int64_t i0) const { return (causal && W > 0) ? max((int64_t)0, i0 + off - W + 1) : 0; }
    __device__ int64_t keyHi(int64_t i1) const { return causal ? min(lenK, max((int64_t)0, i1 + off)) : lenK; }
    // rows [lo, hi) that see keys [j0, j1) (j1 clipped to lenK by the caller)
    __device__ int64_t rowLo(int64_t j0) const { return causal ? max((int64_t)0, j0 - off) : 0; }
    __device__ int64_t rowHi(int64_t j1) const { return (causal && W > 0) ? min(lenQ, max((int64_t)0, j1 - 1 - off + W)) : lenQ; }
    // every pair of rows [i0, i1) x keys [j0, j1) visible
    __device__ bool full(int64_t i0, int64_t i1, int64_t j0, int64_t j1) const {
        if (i1 > lenQ || j1 > lenK) return false;
        if (causal) {
            if (j1 - 1 > i0 + off) return false;
            if (W > 0 && j0 <= i1 - 1 + off - W) return false;
        }
        return true;
    }
    // 32-bit form of visible() for the hot loops (indices < 2^31): j - i must lie in (lo, hi]
    struct Narrow {
        int lenQ, lenK, lo, hi;
        __device__ bool visible(int i, int j) const { return i < lenQ && j < lenK && j - i <= hi && j - i > lo; }
    };
    __device__ Narrow narrow() const {
        Narrow n;
        n.lenQ = (int)lenQ;
        n.lenK = (int)lenK;
        n.hi = causal ? (int)off : INT32_MAX;
        // a window wider than any j - i clamps to INT_MIN (always satisfied, as unclamped)
        n.lo = (causal && W > 0) ? (int)max((int64_t)INT32_MIN, off - W) : INT32_MIN;
        return n;
    }
    // rows that see key j: the divisor of MEAN
    __device__ int64_t rowsSeeing(int64_t j) const {
        if (j >= lenK) return 0;
        int64_t first = causal ? max((int64_t)0, j - off) : 0;
        int64_t last = (causal && W > 0) ? min(lenQ - 1, j - off + W - 1) : lenQ - 1;
        return max((int64_t)0, last - first + 1);
    }
};

}  // namespace colreduce
