// Pass 2 with VK_NV_cooperative_matrix2 (F16, D a multiple of 16 given as HEAD_DIM): workgroup-
// scope matrices, so the compiler stages operands and no score ever goes through our shared
// memory. A workgroup OWNS BK keys of one (batch, KV head): Sᵀ = K·Qᵀ (BK keys × BQ queries)
// per query tile, then per element the mask, the scale and p = exp2((s·c − m) − log2 l), a row reduction
// into a narrow matrix (one value per key, smeared over 16 columns) and a fixed-order sum over
// the query tiles. Loads clamp to zero outside the tensor, so no slack is read.
#extension GL_NV_cooperative_matrix2 : require
#extension GL_EXT_shader_explicit_arithmetic_types_int32 : require
layout(local_size_x = 128) in;
#define BK 64
#define BQ 64
#define NARROW 16

layout(std430, binding = 0) readonly buffer QBuf { float16_t qData[]; };
layout(std430, binding = 1) readonly buffer KBuf { float16_t kData[]; };
layout(std430, binding = 2) readonly buffer RowStats { vec2 rowStats[]; };   // (m, log2 l) per row
layout(std430, binding = 4) writeonly buffer Partial { float partial[]; };

float addOp(const in float a, const in float b) { return a + b; }
float maxOp(const in float a, const in float b) { return stickyMax(a, b); }

// row = key within the tile, col = query within the tile
float columnTerm(const in uint32_t row, const in uint32_t col, const in float s, const in int i0, const in int j0,
                 const in int lq, const in int lk, const in int off, const in uint32_t statsBase) {
    int i = i0 + int(col), j = j0 + int(row);
    bool isMax = P.reduction == 2;
    if (!visible(i, j, lq, lk, off)) return isMax ? NEG_INF : 0.0;
    vec2 st = rowStats[statsBase + uint(i)];
    float x = (logit(s) - st.x) - st.y;
    return isMax ? x : exp2(x);
}

// the per-key value of one head: MAX back from the log2 domain, MEAN divided by the rows that see the key
float finish(const in uint32_t row, const in uint32_t col, const in float v, const in int j0, const in int lq, const in int lk, const in int off) {
    int j = j0 + int(row);
    float r = v;
    if (P.reduction == 2) r = v == NEG_INF ? 0.0 : exp2(v);
    if (P.reduction == 1) { int n = rowsSeeing(j, lq, lk, off); r = n > 0 ? r / float(n) : 0.0; }
    return r;
}

float storeColumn0(const in uint32_t row, const in uint32_t col, const in float v, const in uint32_t base, const in int j0) {
    uint j = uint(j0) + row;
    if (col == 0u && j < P.N) partial[base + j] = v;
    return v;
}

void main() {
    uint bkv = gl_WorkGroupID.y, b = bkv / P.Hkv, kvh = bkv % P.Hkv;
    uint group = P.Hq / P.Hkv;
    int lq = lengths[b], lk = lengths[P.B + b], off = causalOffset(lq, lk);
    int j0 = int(gl_WorkGroupID.x) * BK;
    bool isMax = P.reduction == 2;

    tensorLayoutNV<2, gl_CooperativeMatrixClampModeConstantNV> layoutK = createTensorLayoutNV(2, gl_CooperativeMatrixClampModeConstantNV);
    layoutK = setTensorLayoutDimensionNV(layoutK, P.N, HEAD_DIM);
    tensorLayoutNV<2, gl_CooperativeMatrixClampModeConstantNV> layoutQ = createTensorLayoutNV(2, gl_CooperativeMatrixClampModeConstantNV);
    layoutQ = setTensorLayoutDimensionNV(layoutQ, P.M, HEAD_DIM);
    tensorViewNV<2, false, 1, 0> transposed = createTensorViewNV(2, false, 1, 0);

    coopmat<float16_t, gl_ScopeWorkgroup, BK, HEAD_DIM, gl_MatrixUseA> kt;
    coopMatLoadTensorNV(kt, kData, bkv * P.N * HEAD_DIM, sliceTensorLayoutNV(layoutK, j0, BK, 0, HEAD_DIM));

    coopmat<float, gl_ScopeWorkgroup, BK, NARROW, gl_MatrixUseAccumulator> groupAcc = coopmat<float, gl_ScopeWorkgroup, BK, NARROW, gl_MatrixUseAccumulator>(0.0);
    for (uint hg = 0; hg < group; hg++) {
        uint bh = b * P.Hq + kvh * group + hg;
        coopmat<float, gl_ScopeWorkgroup, BK, NARROW, gl_MatrixUseAccumulator> acc = coopmat<float, gl_ScopeWorkgroup, BK, NARROW, gl_MatrixUseAccumulator>(isMax ? NEG_INF : 0.0);
        if (j0 < lk && lq > 0) {
            int jLast = min(j0 + BK, lk) - 1;
            int iBegin = P.maskKind == 0 ? 0 : max(0, j0 - off);
            int iEnd = P.maskKind == 2 ? min(lq, jLast - off + P.window) : lq;
            for (int i0 = (iBegin / BQ) * BQ; i0 < iEnd; i0 += BQ) {
                coopmat<float16_t, gl_ScopeWorkgroup, HEAD_DIM, BQ, gl_MatrixUseB> qt;
                coopMatLoadTensorNV(qt, qData, bh * P.M * HEAD_DIM, sliceTensorLayoutNV(layoutQ, i0, BQ, 0, HEAD_DIM), transposed);
                coopmat<float, gl_ScopeWorkgroup, BK, BQ, gl_MatrixUseAccumulator> s = coopmat<float, gl_ScopeWorkgroup, BK, BQ, gl_MatrixUseAccumulator>(0.0);
                s = coopMatMulAdd(kt, qt, s);
                coopMatPerElementNV(s, s, columnTerm, i0, j0, lq, lk, off, bh * P.M);
                coopmat<float, gl_ScopeWorkgroup, BK, NARROW, gl_MatrixUseAccumulator> tile;
                if (isMax) {
                    coopMatReduceNV(tile, s, gl_CooperativeMatrixReduceRowNV, maxOp);
                    for (uint e = 0; e < acc.length(); e++) acc[e] = stickyMax(acc[e], tile[e]);
                } else {
                    coopMatReduceNV(tile, s, gl_CooperativeMatrixReduceRowNV, addOp);
                    acc += tile;
                }
            }
        }
        coopMatPerElementNV(acc, acc, finish, j0, lq, lk, off);
        if (P.groupHeads == 0) coopMatPerElementNV(acc, acc, storeColumn0, bh * P.N, j0);
        else groupAcc += acc;
    }
    if (P.groupHeads != 0) coopMatPerElementNV(groupAcc, groupAcc, storeColumn0, bkv * P.N, j0);
}
