// Pass 1 with VK_NV_cooperative_matrix2 (F16, D a multiple of 16 given as HEAD_DIM): a workgroup
// owns RBQ query rows of one (batch, query head) and one key split; per key tile S = Q·Kᵀ, the
// scale (and, on tiles the mask cuts, the mask) per element, then row reductions keep the running
// max and sum in registers. Key tiles come through the driver's tensor loads, or (RSM) through
// shared memory the shader fills itself one tile ahead.
// Tile shape from the host (ShaderSet.Cm2): RBQ rows × RBK keys, RWG invocations; RFULL gives
// tiles wholly inside the mask a branch without the per-element mask test; RWIDE keeps m and l as
// full RBQ×RBK matrices (one row reduction into the tile's own shape, as llama.cpp's
// flash_attn_cm2 does) instead of narrow ones smeared back; RONES (with RWIDE) takes the row sums
// as a product with a ones matrix; LU loads key tiles wholly inside K without bounds checks; RPF
// issues the next key tile's load before this tile's work; RABL (timing only, wrong results)
// cuts the work after the product (1) or after the max (2); RSM stages key tiles in shared memory
// (16-byte loads a tile ahead, two padded buffers, one barrier a tile); RSG (with RSM) is a second
// main on subgroup-scope 16×16 fragments, SGR rows a subgroup, and SGM does its row reductions by
// hand (see there), SGU unrolls every loop of fixed trip count, SGF (with SGM) uses NVIDIA's
// accumulator layout as constants. RPIPE (with
// RSM, RWIDE) issues the product of key tile t + 1 before the epilogue of tile t; FMAX takes the row
// max as a plain max; RLZ skips the rescale's exp2 while a row's max stands. RDIRECT writes the
// merged (m, log2 l) where the keys are not split (the host then skips the merge); RPER (with RPIPE)
// walks several row tiles a workgroup (see there). ShaderSet.Cm2.defaults
// is the measured choice; docs/PERFORMANCE.md has the measurements.
#extension GL_NV_cooperative_matrix2 : require
#ifdef SGM
#extension GL_KHR_shader_subgroup_clustered : require
#extension GL_KHR_shader_subgroup_vote : require
#endif
#extension GL_EXT_shader_explicit_arithmetic_types_int32 : require
#extension GL_EXT_control_flow_attributes : require
// SGU: every loop of fixed trip count unrolled ([[unroll]]), so that arrays of fragments,
// fragment elements and staging registers are only indexed by constants (no local memory)
#ifdef SGU
#define UNROLL [[unroll]]
#else
#define UNROLL
#endif
#ifndef RBQ
#define RBQ 32
#endif
#ifndef RBK
#define RBK 64
#endif
#ifndef RWG
#define RWG 128
#endif
layout(local_size_x = RWG) in;
// RPIPE pipelines the RSM staging with RWIDE statistics: without them, off
#if defined(RPIPE) && !(defined(RSM) && defined(RWIDE))
#undef RPIPE
#endif
#define BQ RBQ
#define BK RBK
#ifdef RWIDE
#define NARROW BK
#else
#define NARROW 16
#endif
#define ACC(r, c) coopmat<float, gl_ScopeWorkgroup, r, c, gl_MatrixUseAccumulator>

layout(std430, binding = 0) readonly buffer QBuf { float16_t qData[]; };
layout(std430, binding = 1) readonly buffer KBuf { float16_t kData[]; };
#ifdef RSM
// RSM: key tiles staged by the shader itself: 16-byte loads from K into registers one tile ahead,
// stored into one of two shared buffers (rows padded by 16 bytes, so the matrix loads of 8 rows
// hit distinct banks), one barrier per tile, and the B matrix loaded from shared memory.
layout(std430, binding = 1) readonly buffer KBuf4 { uvec4 kData4[]; };
#define ROW4 (HEAD_DIM / 8)                         // 16-byte words per K row
#define KROW (ROW4 + 1)                             // padded row in shared memory
#define TILE4 (BK * ROW4)
#define PER_THREAD ((TILE4 + RWG - 1) / RWG)
#if 2 * BK * KROW * 16 > 40960
#error RSM: the two K buffers exceed 40 KiB (NVIDIA offers 48 KiB of shared memory to a workgroup; a larger request lost the device)
#endif
shared uvec4 kStage[2 * BK * KROW];
// 16 bytes of K row `row` (zeros past N, never read)
uvec4 kWord(const uint base4, const uint row, const uint c) {
    uvec4 w = uvec4(0);
    if (row < P.N) w = kData4[base4 + row * ROW4 + c];
    return w;
}
// the end of a step: the prefetched tile into the other buffer, one barrier
#define STAGE_NEXT \
    if (more) { \
        UNROLL for (uint e = 0; e < PER_THREAD; e++) { \
            uint idx = e * RWG + lane, r = idx / ROW4, c = idx % ROW4; \
            if (idx < TILE4) kStage[(buf ^ 1u) * (BK * KROW) + r * KROW + c] = pre[e]; \
        } \
    } \
    barrier(); \
    buf ^= 1u;
#else
#define STAGE_NEXT
#endif
// partial (max, sum) per split z and row: stats[2 * (z·B·Hq·M + bh·M + i) + {0, 1}]
layout(std430, binding = 2) writeonly buffer Stats { float stats[]; };

// FMAX: the row max as a plain max (one instruction); a NaN score still poisons the row through
// its sum (2^(NaN − m) is NaN, and so is l and the row's statistics: SPEC 7.3)
#ifdef FMAX
#define MAXF(a, b) max(a, b)
#else
#define MAXF(a, b) stickyMax(a, b)
#endif
float addOp(const in float a, const in float b) { return a + b; }
float maxOp(const in float a, const in float b) { return MAXF(a, b); }
float smear(const in float a, const in float b) { return a; }
float maxPair(const in uint32_t row, const in uint32_t col, const in float a, const in float b) { return MAXF(a, b); }

// row = query within the tile, col = key within the tile: the scaled logit, −inf where hidden
float rowLogit(const in uint32_t row, const in uint32_t col, const in float s, const in int i0, const in int j0,
               const in int lq, const in int lk, const in int off) {
    return visible(i0 + int(row), j0 + int(col), lq, lk, off) ? logit(s) : NEG_INF;
}

// a tile wholly inside the mask: only the scale
float scaled(const in uint32_t row, const in uint32_t col, const in float s) { return logit(s); }

float expBelow(const in uint32_t row, const in uint32_t col, const in float t, const in float m) {
    return t == NEG_INF ? 0.0 : exp2(t - m);
}

// l·2^(mOld − mNew) + tile sum, per element of the wide matrices
float rescale(const in uint32_t row, const in uint32_t col, const in float l, const in float mOld, const in float mNew, const in float sum) {
#ifdef RLZ
    // RLZ: the max rarely moves after the first tiles: no exp2 then (a branch, not a select)
    float r = l;
    [[dont_flatten]] if (mOld != mNew) r = mOld == NEG_INF ? 0.0 : l * exp2(mOld - mNew);
    return r + sum;
#else
    return (mOld == NEG_INF ? 0.0 : l * exp2(mOld - mNew)) + sum;
#endif
}

// column 0 carries the max, column 1 the sum
float pickPair(const in uint32_t row, const in uint32_t col, const in float mv, const in float lv) {
#ifdef RDIRECT
    // RDIRECT: where the keys are not split (one split), the merge's result (m, log2 l) itself,
    // computed as row_statistics_merge does (bit for bit), and the host skips the merge pass
    if (P.splitKeys >= int(P.N)) {
        bool any = lv != 0.0 || isnan(lv);
        float mx = any ? stickyMax(NEG_INF, mv) : NEG_INF;
        float sum = any ? 0.0 + lv * exp2(mv - mx) : 0.0;
        return col == 0u ? (sum == 0.0 ? NEG_INF : mx) : (sum == 0.0 ? 0.0 : log2(sum));
    }
#endif
    return col == 0u ? mv : lv;
}

float storeStats(const in uint32_t row, const in uint32_t col, const in float v, const in uint32_t base, const in int i0) {
    uint i = uint(i0) + row;
    if (col < 2u && i < P.M) {
        stats[2u * (base + i) + col] = v;
#ifdef RDIRECT
        // and the planar copy the merge writes for column_pass_cm2 (m at 2R + r, log2 l at 3R + r)
        if (P.splitKeys >= int(P.N)) stats[(2u + col) * (P.B * P.Hq * P.M) + base + i] = v;
#endif
    }
    return v;
}

#ifdef RPIPE
// RPIPE's step: the epilogue of tile t (in CUR; the row max, exp2, row sum, rescale) and the product
// of tile t + 1 into NXT, in one basic block per mask case; tile t + 2 staged (see main)
#define WG_EPI(S) { \
    ACC(BQ, NARROW) tileMax, mNew; \
    coopMatReduceNV(tileMax, S, gl_CooperativeMatrixReduceRowNV, maxOp); \
    coopMatPerElementNV(mNew, m, maxPair, tileMax); \
    coopMatPerElementNV(S, S, expBelow, mNew); \
    ACC(BQ, BK) tileSum; \
    coopMatReduceNV(tileSum, S, gl_CooperativeMatrixReduceRowNV, addOp); \
    coopMatPerElementNV(l, l, rescale, m, mNew, tileSum); \
    m = mNew; }
#define WG_STEP(CUR, NXT) { \
    bool more2 = j0 + 2 * BK < jEnd; \
    if (more2) { \
        UNROLL for (uint e = 0; e < PER_THREAD; e++) { \
            uint idx = e * RWG + lane, r = idx / ROW4, c = idx % ROW4; \
            pre[e] = uvec4(0); \
            if (idx < TILE4) pre[e] = kWord(kBase4, uint(j0 + 2 * BK) + r, c); \
        } \
    } \
    uint nb = ((t + 1u) & 1u) * uint(BK * KROW); \
    if (tileVisible(i0, BQ, j0, BK, lq, lk, off)) { \
        coopMatLoad(kb, kStage, nb, KROW, gl_CooperativeMatrixLayoutColumnMajor); \
        NXT = coopMatMulAdd(qa, kb, ACC(BQ, BK)(0.0)); \
        coopMatPerElementNV(CUR, CUR, scaled); \
        WG_EPI(CUR) \
    } else { \
        coopMatLoad(kb, kStage, nb, KROW, gl_CooperativeMatrixLayoutColumnMajor); \
        NXT = coopMatMulAdd(qa, kb, ACC(BQ, BK)(0.0)); \
        coopMatPerElementNV(CUR, CUR, rowLogit, i0, j0, lq, lk, off); \
        WG_EPI(CUR) \
    } \
    if (more2) { \
        UNROLL for (uint e = 0; e < PER_THREAD; e++) { \
            uint idx = e * RWG + lane, r = idx / ROW4, c = idx % ROW4; \
            if (idx < TILE4) kStage[(t & 1u) * (BK * KROW) + r * KROW + c] = pre[e]; \
        } \
    } \
    barrier(); \
    t++; \
    j0 += BK; }
#endif

#if !defined(RSG) && !defined(RPER)
void main() {
    uint bh = gl_WorkGroupID.y, b = bh / P.Hq, h = bh % P.Hq;
    uint kvh = h / (P.Hq / P.Hkv);
    int lq = lengths[b], lk = lengths[P.B + b], off = causalOffset(lq, lk);
    int i0 = int(gl_WorkGroupID.x) * BQ;

    ACC(BQ, NARROW) m = ACC(BQ, NARROW)(NEG_INF);
    ACC(BQ, NARROW) l = ACC(BQ, NARROW)(0.0);

    if (i0 < lq && lk > 0) {
        tensorLayoutNV<2, gl_CooperativeMatrixClampModeConstantNV> layoutQ = createTensorLayoutNV(2, gl_CooperativeMatrixClampModeConstantNV);
        layoutQ = setTensorLayoutDimensionNV(layoutQ, P.M, HEAD_DIM);
        tensorLayoutNV<2, gl_CooperativeMatrixClampModeConstantNV> layoutK = createTensorLayoutNV(2, gl_CooperativeMatrixClampModeConstantNV);
        layoutK = setTensorLayoutDimensionNV(layoutK, P.N, HEAD_DIM);
        tensorViewNV<2, false, 1, 0> transposed = createTensorViewNV(2, false, 1, 0);
#ifdef LU
        // tiles wholly inside K load without bounds checks
        tensorLayoutNV<2, gl_CooperativeMatrixClampModeUndefinedNV> layoutKIn = createTensorLayoutNV(2, gl_CooperativeMatrixClampModeUndefinedNV);
        layoutKIn = setTensorLayoutDimensionNV(layoutKIn, P.N, HEAD_DIM);
#endif
        coopmat<float16_t, gl_ScopeWorkgroup, BQ, HEAD_DIM, gl_MatrixUseA> qa;
        coopMatLoadTensorNV(qa, qData, bh * P.M * HEAD_DIM, sliceTensorLayoutNV(layoutQ, i0, BQ, 0, HEAD_DIM));
        uint kBase = (b * P.Hkv + kvh) * P.N * HEAD_DIM;

        int iLast = min(i0 + BQ, lq) - 1;
        int jEnd = P.maskKind == 0 ? lk : min(lk, iLast + off + 1);
        int jBegin = P.maskKind == 2 ? max(0, i0 + off - P.window + 1) : 0;
        int split0 = int(gl_WorkGroupID.z) * P.splitKeys;
        jBegin = max(jBegin, split0);
        jEnd = min(jEnd, split0 + P.splitKeys);
#ifdef RPIPE
        // RPIPE (with RSM, RWIDE): software pipelined: the product of key tile t + 1 is issued before
        // the epilogue of tile t, in the same basic block, so the tensor cores work under the epilogue.
        // Tile t sits in buffer t & 1; tile t + 2 is loaded into registers during step t and stored
        // into buffer t & 1 (read by the product of step t − 1) before the step's one barrier.
        uvec4 pre[PER_THREAD];
        uint kBase4 = kBase / 8u, lane = gl_LocalInvocationIndex;
        int j0 = (jBegin / BK) * BK;
        if (j0 < jEnd) {
            UNROLL for (uint e = 0; e < PER_THREAD; e++) {
                uint idx = e * RWG + lane, r = idx / ROW4, c = idx % ROW4;
                if (idx < TILE4) {
                    kStage[r * KROW + c] = kWord(kBase4, uint(j0) + r, c);
                    kStage[BK * KROW + r * KROW + c] = kWord(kBase4, uint(j0 + BK) + r, c);
                }
            }
            barrier();
            coopmat<float16_t, gl_ScopeWorkgroup, HEAD_DIM, BK, gl_MatrixUseB> kb;
            coopMatLoad(kb, kStage, 0u, KROW, gl_CooperativeMatrixLayoutColumnMajor);
            ACC(BQ, BK) sa = coopMatMulAdd(qa, kb, ACC(BQ, BK)(0.0)), sb;
            uint t = 0;
            bool inB = false;
            for (;;) {
                if (j0 + BK >= jEnd) break;
                WG_STEP(sa, sb)
                if (j0 + BK >= jEnd) { inB = true; break; }
                WG_STEP(sb, sa)
            }
            if (inB) sa = sb;
            if (tileVisible(i0, BQ, j0, BK, lq, lk, off)) coopMatPerElementNV(sa, sa, scaled);
            else coopMatPerElementNV(sa, sa, rowLogit, i0, j0, lq, lk, off);
            WG_EPI(sa)
        }
#else
#if defined(RABL) && RABL == 1
        ACC(BQ, BK) acc = ACC(BQ, BK)(0.0);
#endif
#ifdef RONES
        const coopmat<float16_t, gl_ScopeWorkgroup, BK, BK, gl_MatrixUseB> ones = coopmat<float16_t, gl_ScopeWorkgroup, BK, BK, gl_MatrixUseB>(1.0);
#endif
#ifdef RPF
        coopmat<float16_t, gl_ScopeWorkgroup, HEAD_DIM, BK, gl_MatrixUseB> kNext;
        coopMatLoadTensorNV(kNext, kData, kBase, sliceTensorLayoutNV(layoutK, (jBegin / BK) * BK, BK, 0, HEAD_DIM), transposed);
#endif
#if defined(RSM) && !defined(RPIPE)
        // K rows past N read as zeros (their scores are masked); the first tile goes straight to buffer 0
        uvec4 pre[PER_THREAD];
        uint kBase4 = kBase / 8u, lane = gl_LocalInvocationIndex;
        int jFirst = (jBegin / BK) * BK;
        if (jFirst < jEnd) {
            UNROLL for (uint e = 0; e < PER_THREAD; e++) {
                uint idx = e * RWG + lane, r = idx / ROW4, c = idx % ROW4;
                if (idx < TILE4) kStage[r * KROW + c] = kWord(kBase4, uint(jFirst) + r, c);
            }
        }
        barrier();
        uint buf = 0;
#endif
        for (int j0 = (jBegin / BK) * BK; j0 < jEnd; j0 += BK) {
            coopmat<float16_t, gl_ScopeWorkgroup, HEAD_DIM, BK, gl_MatrixUseB> kb;
#ifdef RSM
            bool more = j0 + BK < jEnd;
            if (more) {
                UNROLL for (uint e = 0; e < PER_THREAD; e++) {
                    uint idx = e * RWG + lane, r = idx / ROW4, c = idx % ROW4;
                    pre[e] = uvec4(0);
                    if (idx < TILE4) pre[e] = kWord(kBase4, uint(j0 + BK) + r, c);
                }
            }
            // shared memory holds K row-major, i.e. Kᵀ column-major
            coopMatLoad(kb, kStage, buf * (BK * KROW), KROW, gl_CooperativeMatrixLayoutColumnMajor);
#elif defined(RPF)
            kb = kNext;   // the next tile's load is issued before this tile's work
            if (j0 + BK < jEnd) coopMatLoadTensorNV(kNext, kData, kBase, sliceTensorLayoutNV(layoutK, j0 + BK, BK, 0, HEAD_DIM), transposed);
#else
#ifdef LU
            if (j0 + BK <= int(P.N)) coopMatLoadTensorNV(kb, kData, kBase, sliceTensorLayoutNV(layoutKIn, j0, BK, 0, HEAD_DIM), transposed);
            else
#endif
            coopMatLoadTensorNV(kb, kData, kBase, sliceTensorLayoutNV(layoutK, j0, BK, 0, HEAD_DIM), transposed);
#endif
#if defined(RABL) && RABL == 1
            acc = coopMatMulAdd(qa, kb, acc);
            STAGE_NEXT
        }
        coopMatReduceNV(m, acc, gl_CooperativeMatrixReduceRowNV, maxOp);
        {
#else
            ACC(BQ, BK) s = ACC(BQ, BK)(0.0);
            s = coopMatMulAdd(qa, kb, s);
#ifdef RFULL
            if (tileVisible(i0, BQ, j0, BK, lq, lk, off)) coopMatPerElementNV(s, s, scaled);
            else
#endif
            coopMatPerElementNV(s, s, rowLogit, i0, j0, lq, lk, off);
            ACC(BQ, NARROW) tileMax, mNew;
            coopMatReduceNV(tileMax, s, gl_CooperativeMatrixReduceRowNV, maxOp);
            coopMatPerElementNV(mNew, m, maxPair, tileMax);
#if defined(RABL) && RABL == 2
            m = mNew;
            l += tileMax;
            STAGE_NEXT
            continue;
#endif
#ifdef RWIDE
            coopMatPerElementNV(s, s, expBelow, mNew);
            ACC(BQ, BK) tileSum;
#ifdef RONES
            // the row sums as a product with ones (p rounded to F16 for the tensor cores)
            tileSum = coopMatMulAdd(coopmat<float16_t, gl_ScopeWorkgroup, BQ, BK, gl_MatrixUseA>(s), ones, ACC(BQ, BK)(0.0));
#else
            coopMatReduceNV(tileSum, s, gl_CooperativeMatrixReduceRowNV, addOp);
#endif
            coopMatPerElementNV(l, l, rescale, m, mNew, tileSum);
#else
            ACC(BQ, BK) mWide;
            coopMatReduceNV(mWide, mNew, gl_CooperativeMatrixReduceRowNV, smear);
            coopMatPerElementNV(s, s, expBelow, mWide);
            ACC(BQ, NARROW) tileSum;
            coopMatReduceNV(tileSum, s, gl_CooperativeMatrixReduceRowNV, addOp);
            coopMatPerElementNV(l, l, rescale, m, mNew, tileSum);
#endif
            m = mNew;
            STAGE_NEXT
#endif
        }
#endif // RPIPE
    }
    // column 0 of the stats pair is the max, column 1 the sum: pack them into one matrix
    ACC(BQ, NARROW) pair;
    coopMatPerElementNV(pair, m, pickPair, l);
    coopMatPerElementNV(pair, pair, storeStats, (gl_WorkGroupID.z * P.B * P.Hq + bh) * P.M, i0);
}
#endif // !RSG && !RPER

#ifdef RSG
// RSG (with RSM): subgroup-scope matrices. Each subgroup owns SGR query rows (Q as 16×16 A
// fragments in registers) and reads the workgroup's staged K tile from shared memory as 16×16 B
// fragments; its score strip (SGR × BK as 16×16 accumulators), the mask, exp2 and the row
// reductions stay inside the subgroup: the only barrier is the staging's, once per key tile.
#ifndef RSM
#error RSG needs RSM
#endif
#ifndef SGR
#define SGR 16
#endif
#if RBQ != (RWG / 32) * SGR
#error RSG: RBQ must be (RWG / 32) * SGR
#endif
#define FR (SGR / 16)                 // row fragments per subgroup
#define FC (BK / 16)                  // key fragments per tile
#define FD (HEAD_DIM / 16)            // fragments along D
#define SACC coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator>

float maxPairS(const in uint32_t row, const in uint32_t col, const in float a, const in float b) { return stickyMax(a, b); }
float rowOf(const in uint32_t row, const in uint32_t col, const in float x) { return float(row); }
float colOf(const in uint32_t row, const in uint32_t col, const in float x) { return float(col); }

#ifdef SGM
// SGM: the row reductions by hand. Each invocation's accumulator elements lie in two rows of the
// fragment (rowA, rowB) and the invocations of a cluster of 4 hold those rows whole, as NVIDIA's
// layout does; the shader checks that once (every element in rowA or rowB, the cluster agrees on
// both rows and holds 16 elements of each) and otherwise takes the coopMatReduceNV path.
// the cluster's max of x, a NaN in any lane kept (SPEC 7.3)
float clusterMax(const float x) {
    bool nan = subgroupClusteredOr(isnan(x) ? 1u : 0u, 4) != 0u;
    float m = subgroupClusteredMax(isnan(x) ? NEG_INF : x, 4);
    return nan ? uintBitsToFloat(0x7fc00000u) : m;
}
#ifdef FMAX
#define CLMAX(x) subgroupClusteredMax(x, 4)
#else
#define CLMAX(x) clusterMax(x)
#endif
#endif


void main() {
    uint bh = gl_WorkGroupID.y, b = bh / P.Hq, h = bh % P.Hq;
    uint kvh = h / (P.Hq / P.Hkv);
    int lq = lengths[b], lk = lengths[P.B + b], off = causalOffset(lq, lk);
    int i0 = int(gl_WorkGroupID.x) * BQ;
    uint warp = gl_LocalInvocationIndex / 32u;
    int iw = i0 + int(warp) * SGR;                        // this subgroup's first row

    SACC m[FR], l[FR];
    UNROLL for (int r = 0; r < FR; r++) { m[r] = SACC(NEG_INF); l[r] = SACC(0.0); }
#ifdef SGM
    SACC ridx, cidx;
    coopMatPerElementNV(ridx, SACC(0.0), rowOf);
    coopMatPerElementNV(cidx, SACC(0.0), colOf);
    int rowA = int(ridx[0]), rowB = -1;
    UNROLL for (int e = 0; e < ridx.length(); e++) if (int(ridx[e]) != rowA) rowB = int(ridx[e]);
    uint cntA = 0, cntB = 0;
    bool layoutOk = rowB >= 0;
    UNROLL for (int e = 0; e < ridx.length(); e++) {
        int rr = int(ridx[e]);
        if (rr == rowA) cntA++; else if (rr == rowB) cntB++; else layoutOk = false;
    }
    layoutOk = layoutOk && subgroupClusteredMin(rowA, 4) == subgroupClusteredMax(rowA, 4)
            && subgroupClusteredMin(rowB, 4) == subgroupClusteredMax(rowB, 4)
            && subgroupClusteredAdd(cntA, 4) == 16u && subgroupClusteredAdd(cntB, 4) == 16u;
    bool manual = subgroupAll(layoutOk);
#ifdef SGF
    // SGF: NVIDIA's 16×16 accumulator layout as the m16n8 pairs: elements 0, 1, 4, 5 in rowA and
    // 2, 3, 6, 7 in rowB (checked here; otherwise the generic manual path), so that each element's
    // row is known when the loops over elements are unrolled
    bool fixedOk = ridx.length() == 8;
    UNROLL for (int e = 0; e < ridx.length(); e++) fixedOk = fixedOk && ((int(ridx[e]) == rowA) == (((e >> 1) & 1) == 0));
    bool fixedRows = manual && subgroupAll(fixedOk);
#endif
    float mA[FR], mB[FR], lA[FR], lB[FR];
    UNROLL for (int r = 0; r < FR; r++) { mA[r] = NEG_INF; mB[r] = NEG_INF; lA[r] = 0.0; lB[r] = 0.0; }
#endif

    if (i0 < lq && lk > 0) {
        // Q rows past M read the binding's slack (at least 128 rows of zeros or data): they are masked
        coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseA> qa[FR][FD];
        UNROLL for (int r = 0; r < FR; r++)
            UNROLL for (int kc = 0; kc < FD; kc++)
                coopMatLoad(qa[r][kc], qData, (bh * P.M + uint(iw + 16 * r)) * HEAD_DIM + uint(16 * kc), HEAD_DIM, gl_CooperativeMatrixLayoutRowMajor);
        uint kBase = (b * P.Hkv + kvh) * P.N * HEAD_DIM;

        int iLast = min(i0 + BQ, lq) - 1;
        int jEnd = P.maskKind == 0 ? lk : min(lk, iLast + off + 1);
        int jBegin = P.maskKind == 2 ? max(0, i0 + off - P.window + 1) : 0;
        int split0 = int(gl_WorkGroupID.z) * P.splitKeys;
        jBegin = max(jBegin, split0);
        jEnd = min(jEnd, split0 + P.splitKeys);

        {
        uvec4 pre[PER_THREAD];
        uint kBase4 = kBase / 8u, lane = gl_LocalInvocationIndex;
        int jFirst = (jBegin / BK) * BK;
        if (jFirst < jEnd) {
            UNROLL for (uint e = 0; e < PER_THREAD; e++) {
                uint idx = e * RWG + lane, r = idx / ROW4, c = idx % ROW4;
                if (idx < TILE4) kStage[r * KROW + c] = kWord(kBase4, uint(jFirst) + r, c);
            }
        }
        barrier();
        uint buf = 0;
        for (int j0 = jFirst; j0 < jEnd; j0 += BK) {
            bool more = j0 + BK < jEnd;
            if (more) {
                UNROLL for (uint e = 0; e < PER_THREAD; e++) {
                    uint idx = e * RWG + lane, r = idx / ROW4, c = idx % ROW4;
                    pre[e] = uvec4(0);
                    if (idx < TILE4) pre[e] = kWord(kBase4, uint(j0 + BK) + r, c);
                }
            }
            SACC s[FR][FC];
            UNROLL for (int r = 0; r < FR; r++)
                UNROLL for (int n = 0; n < FC; n++) s[r][n] = SACC(0.0);
            UNROLL for (int kc = 0; kc < FD; kc++) {
                UNROLL for (int n = 0; n < FC; n++) {
                    // keys 16n.. of the tile, D 16kc..: Kᵀ column-major in shared memory (2 words per 16 halves)
                    coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseB> kb;
                    coopMatLoad(kb, kStage, buf * (BK * KROW) + uint(16 * n) * KROW + uint(2 * kc), KROW, gl_CooperativeMatrixLayoutColumnMajor);
                    UNROLL for (int r = 0; r < FR; r++) s[r][n] = coopMatMulAdd(qa[r][kc], kb, s[r][n]);
                }
            }
#if !(defined(RABL) && RABL == 1)
#ifdef SGM
            if (manual) {
                UNROLL for (int r = 0; r < FR; r++) {
                    int ir = iw + 16 * r;
                    bool full = false;
#ifdef RFULL
                    full = tileVisible(ir, 16, j0, BK, lq, lk, off);
#endif
                    float pA = NEG_INF, pB = NEG_INF;
                    // two copies of the loop: full tiles test no mask (a per-element test behind a
                    // run-time flag costs a branch per score, docs/PERFORMANCE.md, CUDA section)
#define SGM_LOGITS(TEST, INA) \
                    UNROLL for (int n = 0; n < FC; n++) { \
                        UNROLL for (int e = 0; e < s[r][n].length(); e++) { \
                            float t = logit(s[r][n][e]); \
                            if (TEST) t = NEG_INF; \
                            s[r][n][e] = t; \
                            if (INA) pA = MAXF(pA, t); else pB = MAXF(pB, t); \
                        } \
                    }
                    float sA = 0.0, sB = 0.0;
#ifdef SGF
                    if (fixedRows) {
                        if (full) { SGM_LOGITS(false, ((e >> 1) & 1) == 0) }
                        else { SGM_LOGITS(!visible(ir + int(ridx[e]), j0 + 16 * n + int(cidx[e]), lq, lk, off), ((e >> 1) & 1) == 0) }
                    } else
#endif
                    {
                        if (full) { SGM_LOGITS(false, int(ridx[e]) == rowA) }
                        else { SGM_LOGITS(!visible(ir + int(ridx[e]), j0 + 16 * n + int(cidx[e]), lq, lk, off), int(ridx[e]) == rowA) }
                    }
#undef SGM_LOGITS
                    float nA = MAXF(mA[r], CLMAX(pA)), nB = MAXF(mB[r], CLMAX(pB));
#ifdef SGF
                    if (fixedRows) {
                        // 2^(t − m) with m = 0 where the row is all −inf so far: t = −inf gives 0 either way
                        float zA = nA == NEG_INF ? 0.0 : nA, zB = nB == NEG_INF ? 0.0 : nB;
                        UNROLL for (int n = 0; n < FC; n++) {
                            UNROLL for (int e = 0; e < s[r][n].length(); e++) {
                                if (((e >> 1) & 1) == 0) sA += exp2(s[r][n][e] - zA);
                                else sB += exp2(s[r][n][e] - zB);
                            }
                        }
                    } else
#endif
                    {
                        UNROLL for (int n = 0; n < FC; n++) {
                            UNROLL for (int e = 0; e < s[r][n].length(); e++) {
                                bool inA = int(ridx[e]) == rowA;
                                float t = s[r][n][e];
                                float p = t == NEG_INF ? 0.0 : exp2(t - (inA ? nA : nB));
                                if (inA) sA += p; else sB += p;
                            }
                        }
                    }
                    sA = subgroupClusteredAdd(sA, 4);
                    sB = subgroupClusteredAdd(sB, 4);
                    lA[r] = (mA[r] == NEG_INF ? 0.0 : lA[r] * exp2(mA[r] - nA)) + sA;
                    lB[r] = (mB[r] == NEG_INF ? 0.0 : lB[r] * exp2(mB[r] - nB)) + sB;
                    mA[r] = nA;
                    mB[r] = nB;
                }
            } else
#endif
            UNROLL for (int r = 0; r < FR; r++) {
                int ir = iw + 16 * r;
                bool full = false;
#ifdef RFULL
                full = tileVisible(ir, 16, j0, BK, lq, lk, off);
#endif
                SACC tmax = SACC(NEG_INF);
                UNROLL for (int n = 0; n < FC; n++) {
                    if (full) coopMatPerElementNV(s[r][n], s[r][n], scaled);
                    else coopMatPerElementNV(s[r][n], s[r][n], rowLogit, ir, j0 + 16 * n, lq, lk, off);
                    SACC t;
                    coopMatReduceNV(t, s[r][n], gl_CooperativeMatrixReduceRowNV, maxOp);
                    coopMatPerElementNV(tmax, tmax, maxPairS, t);
                }
                SACC mNew;
                coopMatPerElementNV(mNew, m[r], maxPairS, tmax);
                SACC tsum = SACC(0.0);
                UNROLL for (int n = 0; n < FC; n++) {
                    coopMatPerElementNV(s[r][n], s[r][n], expBelow, mNew);
                    SACC t;
                    coopMatReduceNV(t, s[r][n], gl_CooperativeMatrixReduceRowNV, addOp);
                    tsum += t;
                }
                coopMatPerElementNV(l[r], l[r], rescale, m[r], mNew, tsum);
                m[r] = mNew;
            }
#else
            UNROLL for (int r = 0; r < FR; r++) UNROLL for (int n = 0; n < FC; n++) l[r] += s[r][n];
#endif
            STAGE_NEXT
        }
        }
    }
#ifdef SGM
    if (manual) {
        // every invocation of a cluster holds its two rows' (m, l): each writes them (the same values)
        uint base = (gl_WorkGroupID.z * P.B * P.Hq + bh) * P.M;
        UNROLL for (int r = 0; r < FR; r++) {
            uint iA = uint(iw + 16 * r + rowA), iB = uint(iw + 16 * r + rowB);
            if (iA < P.M) { stats[2u * (base + iA)] = mA[r]; stats[2u * (base + iA) + 1u] = lA[r]; }
            if (iB < P.M) { stats[2u * (base + iB)] = mB[r]; stats[2u * (base + iB) + 1u] = lB[r]; }
        }
        return;
    }
#endif
    UNROLL for (int r = 0; r < FR; r++) {
        SACC pair;
        coopMatPerElementNV(pair, m[r], pickPair, l[r]);
        coopMatPerElementNV(pair, pair, storeStats, (gl_WorkGroupID.z * P.B * P.Hq + bh) * P.M, iw + 16 * r);
    }
}
#endif // RSG


#ifdef RPER
// RPER (with RSM, RWIDE, RPIPE): a workgroup owns RPER consecutive row tiles of RBQ rows (one batch,
// head and key split) and runs RPIPE's loop (WG_STEP, unchanged) over each; between row tiles the
// pipeline is not drained to a new workgroup: the next row tile's Q and first two key tiles are
// loaded under the current one's last epilogue. Short workgroups (1024²: 16 key tiles) otherwise
// pay the launch, those loads' latency and the first product once per row tile.
#ifndef RPIPE
#error RPER needs RSM, RWIDE and RPIPE
#endif
// the key range of row tile r of this workgroup, [first, end) with first on a tile boundary; empty where first >= end
ivec2 keySpan(const int iBase, const int r, const int lq, const int lk, const int off, const int split0) {
    int i0 = iBase + r * BQ;
    if (i0 >= lq || lk <= 0) return ivec2(0, 0);
    int iLast = min(i0 + BQ, lq) - 1;
    int jEnd = P.maskKind == 0 ? lk : min(lk, iLast + off + 1);
    int jBegin = P.maskKind == 2 ? max(0, i0 + off - P.window + 1) : 0;
    jBegin = max(jBegin, split0);
    jEnd = min(jEnd, split0 + P.splitKeys);
    return ivec2((jBegin / BK) * BK, jEnd);
}

// the first row tile from r on that sees a key (RPER if none)
int nextTile(int r, const int iBase, const int lq, const int lk, const int off, const int split0) {
    for (; r < RPER; r++) {
        ivec2 s = keySpan(iBase, r, lq, lk, off, split0);
        if (s.x < s.y) break;
    }
    return r;
}

void main() {
    uint bh = gl_WorkGroupID.y, b = bh / P.Hq, h = bh % P.Hq;
    uint kvh = h / (P.Hq / P.Hkv);
    int lq = lengths[b], lk = lengths[P.B + b], off = causalOffset(lq, lk);
    int iBase = int(gl_WorkGroupID.x) * (BQ * RPER);
    int split0 = int(gl_WorkGroupID.z) * P.splitKeys;
    uint statBase = (gl_WorkGroupID.z * P.B * P.Hq + bh) * P.M;

    ACC(BQ, NARROW) m = ACC(BQ, NARROW)(NEG_INF);
    ACC(BQ, NARROW) l = ACC(BQ, NARROW)(0.0);
    ACC(BQ, NARROW) pair;
    // row tiles that see no key (rows past lq, or none visible): (−inf, 0); storeStats skips rows past M
    for (int r = 0; r < RPER; r++) {
        ivec2 s = keySpan(iBase, r, lq, lk, off, split0);
        if (iBase + r * BQ < int(P.M) && s.x >= s.y) {
            coopMatPerElementNV(pair, m, pickPair, l);
            coopMatPerElementNV(pair, pair, storeStats, statBase, iBase + r * BQ);
        }
    }
    int rt = nextTile(0, iBase, lq, lk, off, split0);
    if (rt >= RPER) return;

    tensorLayoutNV<2, gl_CooperativeMatrixClampModeConstantNV> layoutQ = createTensorLayoutNV(2, gl_CooperativeMatrixClampModeConstantNV);
    layoutQ = setTensorLayoutDimensionNV(layoutQ, P.M, HEAD_DIM);
    coopmat<float16_t, gl_ScopeWorkgroup, BQ, HEAD_DIM, gl_MatrixUseA> qa;
    uint qBase = bh * P.M * HEAD_DIM;
    int i0 = iBase + rt * BQ;
    coopMatLoadTensorNV(qa, qData, qBase, sliceTensorLayoutNV(layoutQ, i0, BQ, 0, HEAD_DIM));
    uint kBase4 = (b * P.Hkv + kvh) * P.N * HEAD_DIM / 8u, lane = gl_LocalInvocationIndex;
    ivec2 span = keySpan(iBase, rt, lq, lk, off, split0);
    int j0 = span.x, jEnd = span.y;
    // the first two key tiles into buffers 0 and 1 (K rows past N read as zeros; their scores are masked)
    UNROLL for (uint e = 0; e < PER_THREAD; e++) {
        uint idx = e * RWG + lane, r = idx / ROW4, c = idx % ROW4;
        if (idx < TILE4) {
            kStage[r * KROW + c] = kWord(kBase4, uint(j0) + r, c);
            kStage[BK * KROW + r * KROW + c] = kWord(kBase4, uint(j0 + BK) + r, c);
        }
    }
    barrier();
    uvec4 pre[PER_THREAD], pre2[PER_THREAD];
    coopmat<float16_t, gl_ScopeWorkgroup, HEAD_DIM, BK, gl_MatrixUseB> kb;
    coopMatLoad(kb, kStage, 0u, KROW, gl_CooperativeMatrixLayoutColumnMajor);
    ACC(BQ, BK) sa = coopMatMulAdd(qa, kb, ACC(BQ, BK)(0.0)), sb;
    uint t = 0;
    for (;;) {
        // RPIPE's loop over this row tile's key tiles, as in the other main
        bool inB = false;
        for (;;) {
            if (j0 + BK >= jEnd) break;
            WG_STEP(sa, sb)
            if (j0 + BK >= jEnd) { inB = true; break; }
            WG_STEP(sb, sa)
        }
        if (inB) sa = sb;
        // sa holds the row tile's last product. The next row tile's Q and first two key tiles load
        // into registers under this epilogue; both staging buffers are free once every invocation
        // is past the barrier below (their products were issued before it).
        int rn = nextTile(rt + 1, iBase, lq, lk, off, split0);
        ivec2 sn = rn < RPER ? keySpan(iBase, rn, lq, lk, off, split0) : ivec2(0, 0);
        if (rn < RPER) {
            UNROLL for (uint e = 0; e < PER_THREAD; e++) {
                uint idx = e * RWG + lane, r = idx / ROW4, c = idx % ROW4;
                pre[e] = uvec4(0);
                pre2[e] = uvec4(0);
                if (idx < TILE4) {
                    pre[e] = kWord(kBase4, uint(sn.x) + r, c);
                    pre2[e] = kWord(kBase4, uint(sn.x + BK) + r, c);
                }
            }
            coopMatLoadTensorNV(qa, qData, qBase, sliceTensorLayoutNV(layoutQ, iBase + rn * BQ, BQ, 0, HEAD_DIM));
        }
        if (tileVisible(i0, BQ, j0, BK, lq, lk, off)) coopMatPerElementNV(sa, sa, scaled);
        else coopMatPerElementNV(sa, sa, rowLogit, i0, j0, lq, lk, off);
        WG_EPI(sa)
        coopMatPerElementNV(pair, m, pickPair, l);
        coopMatPerElementNV(pair, pair, storeStats, statBase, i0);
        if (rn >= RPER) break;
        m = ACC(BQ, NARROW)(NEG_INF);
        l = ACC(BQ, NARROW)(0.0);
        barrier();   // a row tile of one key tile ran no step: its product's load may still be reading
        t++;
        UNROLL for (uint e = 0; e < PER_THREAD; e++) {
            uint idx = e * RWG + lane, r = idx / ROW4, c = idx % ROW4;
            if (idx < TILE4) {
                kStage[(t & 1u) * (BK * KROW) + r * KROW + c] = pre[e];
                kStage[((t + 1u) & 1u) * (BK * KROW) + r * KROW + c] = pre2[e];
            }
        }
        barrier();
        rt = rn;
        i0 = iBase + rt * BQ;
        j0 = sn.x;
        jEnd = sn.y;
        coopMatLoad(kb, kStage, (t & 1u) * uint(BK * KROW), KROW, gl_CooperativeMatrixLayoutColumnMajor);
        sa = coopMatMulAdd(qa, kb, ACC(BQ, BK)(0.0));
    }
}
#endif // RPER
