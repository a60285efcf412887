// Shared by every colreduce shader. The host prepends "#version", the extensions and the
// defines: ELEM_F32 / ELEM_F16 / ELEM_BF16 pick how Q and K are read.

#ifndef NO_COMMON
// Parameters of one column reduction; identical in the row-statistics and column passes.
layout(push_constant) uniform Params {
    uint B, Hq, Hkv, M, N, D;
    float logitScale;   // scale · log2(e): scores live in the log2 domain, so exp2 does the softmax
    int maskKind;       // 0 none, 1 causal, 2 sliding window
    int topLeft;        // causal alignment: 1 top-left (offset 0), 0 bottom-right (offset lenK − lenQ)
    int window;         // sliding window W, clamped to 2^30
    int reduction;      // 0 SUM, 1 MEAN, 2 MAX
    int groupHeads;     // column pass: 0 one partial per query head, 1 one per KV head (summed over its group)
    int splitKeys;      // row statistics: keys per split (grid z); partial (max, sum) pairs are merged after
    int valueDim;       // attend: Dv, the width of V and O
} P;

const float NEG_INF = -1.0 / 0.0;

// Per-batch lengths: lenQ[b] at b, lenK[b] at B + b.
layout(std430, binding = 3) readonly buffer Lengths { int lengths[]; };

int causalOffset(int lq, int lk) { return (P.maskKind == 0 || P.topLeft != 0) ? 0 : lk - lq; }

// SPEC §3: key j visible to row i of a batch with lengths lq, lk and causal offset off.
bool visible(int i, int j, int lq, int lk, int off) {
    if (i >= lq || j >= lk) return false;
    if (P.maskKind == 0) return true;
    if (j > i + off) return false;
    return P.maskKind != 2 || j > i + off - P.window;
}

// How many rows see key j: the divisor of MEAN (SPEC §4.2), in closed form.
int rowsSeeing(int j, int lq, int lk, int off) {
    if (j >= lk || lq <= 0) return 0;
    if (P.maskKind == 0) return lq;
    int first = max(0, j - off);
    int last = P.maskKind == 2 ? min(lq - 1, j - off + P.window - 1) : lq - 1;
    return max(0, last - first + 1);
}

// The scaled logit in the log2 domain, rounded on its own (no fused multiply-add with what
// follows), so both passes see the very same bits: with logits near 1e5 a fused and an unfused
// product differ by half an ulp, which moves p by a fraction of a percent.
float logit(float s) { precise float t = s * P.logitScale; return t; }

// max that keeps a NaN once seen (SPEC §7.3: a NaN score poisons what depends on it).
float stickyMax(float acc, float x) { return (isnan(acc) || x <= acc) ? acc : x; }

#ifndef COOPMAT
// Q and K: F32 as floats; F16 and BF16 as 16-bit elements packed two per 32-bit word, which
// needs no 16-bit storage feature, so it runs on every Vulkan device.
#if defined(ELEM_F32)
layout(std430, binding = 0) readonly buffer QBuf { float qData[]; };
layout(std430, binding = 1) readonly buffer KBuf { float kData[]; };
float loadQ(uint e) { return qData[e]; }
float loadK(uint e) { return kData[e]; }
#else
layout(std430, binding = 0) readonly buffer QBuf { uint qData[]; };
layout(std430, binding = 1) readonly buffer KBuf { uint kData[]; };
float unpack16(uint word, uint e) {
    uint bits = (e & 1u) == 0u ? (word & 0xFFFFu) : (word >> 16);
#if defined(ELEM_F16)
    return unpackHalf2x16(bits).x;
#else
    return uintBitsToFloat(bits << 16);
#endif
}
float loadQ(uint e) { return unpack16(qData[e >> 1], e); }
float loadK(uint e) { return unpack16(kData[e >> 1], e); }
#endif
#endif // COOPMAT
#endif // NO_COMMON

#ifndef NO_COMMON
// Whether every (row, key) of the tile [i0, i0+bm) × [j0, j0+bn) is visible: such tiles skip the per-element mask.
bool tileVisible(int i0, int bm, int j0, int bn, int lq, int lk, int off) {
    if (i0 + bm > lq || j0 + bn > lk) return false;
    if (P.maskKind == 0) return true;
    if (j0 + bn - 1 > i0 + off) return false;                 // the tile's top-right corner is the last to become visible
    return P.maskKind != 2 || j0 > i0 + bm - 1 + off - P.window;   // its bottom-left corner is the first to leave the window
}
#endif
