// Pass 2 on tensor cores (VK_KHR_cooperative_matrix, F16, D a multiple of 16 given as HEAD_DIM).
// A workgroup of 4 subgroups OWNS 64 keys of one (batch, KV head); subgroup s keeps the A
// fragments of its 16 keys in registers. Query tiles of BM rows are staged in shared memory
// (the next one is prefetched into registers during the current one), and subgroup s computes
// its strip Sᵀ = K·Qᵀ (16 keys × BM queries) into its own shared region, so keys are rows and
// the reduction over queries stays in a lane: lane l takes key l%16 and every other query (l/16).
// The two lanes of a key are combined in a fixed order; no atomics (SPEC 8.1).
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
layout(local_size_x = 128) in;
#define BN 64
#if HEAD_DIM <= 128
#define BM 64
#else
#define BM 32
#endif
#define DB (HEAD_DIM / 16)
// LEAN: no register prefetch of the next tile (fewer registers, more workgroups per
// multiprocessor); by default the next tile is held in registers while the current one computes.
// (Unrolling hints raised the registers from ~100 to 155-188 on an H200 and cost 10 %: none here.)
#define QS (HEAD_DIM + 8)              // row stride of the staged Q tile (halves): rows stay 16-byte aligned, banks shift
#define VROW (HEAD_DIM / 8)            // 16-byte vectors per row
#define VTILE (BM * VROW)
#define VTHREAD ((VTILE + 127) / 128)
#define SS (BM + 4)                    // row stride of a score strip (floats)

layout(std430, binding = 0) readonly buffer QBuf { uvec4 qVec[]; };
layout(std430, binding = 1) readonly buffer KBuf { float16_t kData[]; };
layout(std430, binding = 2) readonly buffer RowStats { vec2 rowStats[]; };   // (m, log2 l) per row
layout(std430, binding = 4) writeonly buffer Partial { float partial[]; };

shared uvec4 sQ[BM * QS / 8];
shared vec2 sStats[BM];
shared float sS[4 * 16 * SS];

void main() {
    uint t = gl_LocalInvocationIndex, sg = gl_SubgroupID, lane = gl_SubgroupInvocationID;
    uint bkv = gl_WorkGroupID.y, b = bkv / P.Hkv, kvh = bkv % P.Hkv;
    uint group = P.Hq / P.Hkv;
    int lq = lengths[b], lk = lengths[P.B + b], off = causalOffset(lq, lk);
    int j0 = int(gl_WorkGroupID.x) * BN;
    bool isMax = P.reduction == 2;
    uint kk = lane % 16u, half_ = lane / 16u;
    int j = j0 + int(16u * sg + kk);
    uint strip = 16u * sg * SS;

    coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseA> kf[DB];
    for (int d = 0; d < DB; d++)
        coopMatLoad(kf[d], kData, (bkv * P.N + uint(j0) + 16u * sg) * HEAD_DIM + 16u * d, HEAD_DIM, gl_CooperativeMatrixLayoutRowMajor);

    float groupAcc = 0.0;
    for (uint hg = 0; hg < group; hg++) {
        uint bh = b * P.Hq + kvh * group + hg;
        uint qRow0 = bh * P.M;                     // first row of this head, in rows of HEAD_DIM
        float acc = isMax ? NEG_INF : 0.0;
        if (j0 < lk && lq > 0) {
            int jLast = min(j0 + BN, lk) - 1;
            int iBegin = P.maskKind == 0 ? 0 : max(0, j0 - off);
            int iEnd = P.maskKind == 2 ? min(lq, jLast - off + P.window) : lq;
            int iFirst = (iBegin / BM) * BM;
#ifndef LEAN
            uvec4 pre[VTHREAD];
            for (int v = 0; v < VTHREAD; v++) {
                uint e = t + 128u * v;
                if (e < VTILE) pre[v] = qVec[(qRow0 + uint(iFirst) + e / VROW) * VROW + e % VROW];
            }
#endif
            for (int i0 = iFirst; i0 < iEnd; i0 += BM) {
                barrier();                                        // everyone is done with the last tile
                for (int v = 0; v < VTHREAD; v++) {
                    uint e = t + 128u * v;
                    if (e < VTILE)
#ifdef LEAN
                        sQ[(e / VROW) * (QS / 8) + e % VROW] = qVec[(qRow0 + uint(i0) + e / VROW) * VROW + e % VROW];
#else
                        sQ[(e / VROW) * (QS / 8) + e % VROW] = pre[v];
#endif
                }
                if (t < BM) { uint i = uint(i0) + t; sStats[t] = i < P.M ? rowStats[qRow0 + i] : vec2(0.0); }
                barrier();
#ifndef LEAN
                if (i0 + BM < iEnd) {                             // prefetch the next tile while this one computes
                    for (int v = 0; v < VTHREAD; v++) {
                        uint e = t + 128u * v;
                        if (e < VTILE) pre[v] = qVec[(qRow0 + uint(i0 + BM) + e / VROW) * VROW + e % VROW];
                    }
                }
#endif
                for (int c = 0; c < BM / 16; c++) {
                    coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator> s = coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator>(0.0);
                    for (int d = 0; d < DB; d++) {
                        coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseB> qf;
                        coopMatLoad(qf, sQ, (16u * c * QS + 16u * d) / 8u, QS / 8, gl_CooperativeMatrixLayoutColumnMajor);
                        s = coopMatMulAdd(kf[d], qf, s);
                    }
                    coopMatStore(s, sS, strip + 16u * c, SS, gl_CooperativeMatrixLayoutRowMajor);
                }
                subgroupMemoryBarrierShared();
                subgroupBarrier();
                bool full = tileVisible(i0, BM, j0 + int(16u * sg), 16, lq, lk, off);
                for (int c = 0; c < BM / 2; c++) {
                    int q = 2 * c + int(half_);
                    if (!full && !visible(i0 + q, j, lq, lk, off)) continue;
                    float x = (logit(sS[strip + kk * SS + uint(q)]) - sStats[q].x) - sStats[q].y;
                    acc = isMax ? stickyMax(acc, x) : acc + exp2(x);
                }
                subgroupBarrier();                                // the strip is rewritten by the next tile
            }
        }
        float other = subgroupShuffleXor(acc, 16u);
        float lo = half_ == 0u ? acc : other, hi = half_ == 0u ? other : acc;
        float v = isMax ? stickyMax(lo, hi) : lo + hi;
        if (isMax) v = v == NEG_INF ? 0.0 : exp2(v);
        if (P.reduction == 1) { int n = rowsSeeing(j, lq, lk, off); v = n > 0 ? v / float(n) : 0.0; }
        if (P.groupHeads == 0) { if (half_ == 0u && uint(j) < P.N) partial[bh * P.N + uint(j)] = v; }
        else groupAcc += v;
    }
    if (P.groupHeads != 0 && half_ == 0u && uint(j) < P.N) partial[bkv * P.N + uint(j)] = groupAcc;
}
