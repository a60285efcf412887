// Pass 1 with VK_NV_cooperative_matrix2 (F16, D a multiple of 16 given as HEAD_DIM): a workgroup
// owns BQ query rows of one (batch, query head) and one key split; per key tile S = Q·Kᵀ, the
// mask and scale per element, then row reductions into narrow matrices (one value per row,
// smeared over 16 columns) keep the running max and sum in registers. No shared memory of ours.
#extension GL_NV_cooperative_matrix2 : require
#extension GL_EXT_shader_explicit_arithmetic_types_int32 : require
layout(local_size_x = 128) in;
#define BQ 32
#define BK 64
#define NARROW 16

layout(std430, binding = 0) readonly buffer QBuf { float16_t qData[]; };
layout(std430, binding = 1) readonly buffer KBuf { float16_t kData[]; };
// partial (max, sum) per split z and row: stats[2 * (z·B·Hq·M + bh·M + i) + {0, 1}]
layout(std430, binding = 2) writeonly buffer Stats { float stats[]; };

float addOp(const in float a, const in float b) { return a + b; }
float maxOp(const in float a, const in float b) { return stickyMax(a, b); }
float smear(const in float a, const in float b) { return a; }

// row = query within the tile, col = key within the tile: the scaled logit, −inf where hidden
float rowLogit(const in uint32_t row, const in uint32_t col, const in float s, const in int i0, const in int j0,
               const in int lq, const in int lk, const in int off) {
    return visible(i0 + int(row), j0 + int(col), lq, lk, off) ? logit(s) : NEG_INF;
}

float expBelow(const in uint32_t row, const in uint32_t col, const in float t, const in float m) {
    return t == NEG_INF ? 0.0 : exp2(t - m);
}

// column 0 carries the max, column 1 the sum
float pickPair(const in uint32_t row, const in uint32_t col, const in float mv, const in float lv) { return col == 0u ? mv : lv; }

float storeStats(const in uint32_t row, const in uint32_t col, const in float v, const in uint32_t base, const in int i0) {
    uint i = uint(i0) + row;
    if (col < 2u && i < P.M) stats[2u * (base + i) + col] = v;
    return v;
}

void main() {
    uint bh = gl_WorkGroupID.y, b = bh / P.Hq, h = bh % P.Hq;
    uint kvh = h / (P.Hq / P.Hkv);
    int lq = lengths[b], lk = lengths[P.B + b], off = causalOffset(lq, lk);
    int i0 = int(gl_WorkGroupID.x) * BQ;

    coopmat<float, gl_ScopeWorkgroup, BQ, NARROW, gl_MatrixUseAccumulator> m = coopmat<float, gl_ScopeWorkgroup, BQ, NARROW, gl_MatrixUseAccumulator>(NEG_INF);
    coopmat<float, gl_ScopeWorkgroup, BQ, NARROW, gl_MatrixUseAccumulator> l = coopmat<float, gl_ScopeWorkgroup, BQ, NARROW, gl_MatrixUseAccumulator>(0.0);

    if (i0 < lq && lk > 0) {
        tensorLayoutNV<2, gl_CooperativeMatrixClampModeConstantNV> layoutQ = createTensorLayoutNV(2, gl_CooperativeMatrixClampModeConstantNV);
        layoutQ = setTensorLayoutDimensionNV(layoutQ, P.M, HEAD_DIM);
        tensorLayoutNV<2, gl_CooperativeMatrixClampModeConstantNV> layoutK = createTensorLayoutNV(2, gl_CooperativeMatrixClampModeConstantNV);
        layoutK = setTensorLayoutDimensionNV(layoutK, P.N, HEAD_DIM);
        tensorViewNV<2, false, 1, 0> transposed = createTensorViewNV(2, false, 1, 0);
        coopmat<float16_t, gl_ScopeWorkgroup, BQ, HEAD_DIM, gl_MatrixUseA> qa;
        coopMatLoadTensorNV(qa, qData, bh * P.M * HEAD_DIM, sliceTensorLayoutNV(layoutQ, i0, BQ, 0, HEAD_DIM));

        int iLast = min(i0 + BQ, lq) - 1;
        int jEnd = P.maskKind == 0 ? lk : min(lk, iLast + off + 1);
        int jBegin = P.maskKind == 2 ? max(0, i0 + off - P.window + 1) : 0;
        int split0 = int(gl_WorkGroupID.z) * P.splitKeys;
        jBegin = max(jBegin, split0);
        jEnd = min(jEnd, split0 + P.splitKeys);
        for (int j0 = (jBegin / BK) * BK; j0 < jEnd; j0 += BK) {
            coopmat<float16_t, gl_ScopeWorkgroup, HEAD_DIM, BK, gl_MatrixUseB> kb;
            coopMatLoadTensorNV(kb, kData, (b * P.Hkv + kvh) * P.N * HEAD_DIM, sliceTensorLayoutNV(layoutK, j0, BK, 0, HEAD_DIM), transposed);
            coopmat<float, gl_ScopeWorkgroup, BQ, BK, gl_MatrixUseAccumulator> s = coopmat<float, gl_ScopeWorkgroup, BQ, BK, gl_MatrixUseAccumulator>(0.0);
            s = coopMatMulAdd(qa, kb, s);
            coopMatPerElementNV(s, s, rowLogit, i0, j0, lq, lk, off);
            coopmat<float, gl_ScopeWorkgroup, BQ, NARROW, gl_MatrixUseAccumulator> tileMax, mNew, tileSum;
            coopMatReduceNV(tileMax, s, gl_CooperativeMatrixReduceRowNV, maxOp);
            for (uint e = 0; e < m.length(); e++) mNew[e] = stickyMax(m[e], tileMax[e]);
            coopmat<float, gl_ScopeWorkgroup, BQ, BK, gl_MatrixUseAccumulator> mWide;
            coopMatReduceNV(mWide, mNew, gl_CooperativeMatrixReduceRowNV, smear);
            coopMatPerElementNV(s, s, expBelow, mWide);
            coopMatReduceNV(tileSum, s, gl_CooperativeMatrixReduceRowNV, addOp);
            for (uint e = 0; e < m.length(); e++) {
                float scaleOld = m[e] == NEG_INF ? 0.0 : exp2(m[e] - mNew[e]);
                l[e] = l[e] * scaleOld + tileSum[e];
                m[e] = mNew[e];
            }
        }
    }
    // column 0 of the stats pair is the max, column 1 the sum: pack them into one matrix
    coopmat<float, gl_ScopeWorkgroup, BQ, NARROW, gl_MatrixUseAccumulator> pair;
    coopMatPerElementNV(pair, m, pickPair, l);
    coopMatPerElementNV(pair, pair, storeStats, (gl_WorkGroupID.z * P.B * P.Hq + bh) * P.M, i0);
}
