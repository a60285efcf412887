// Pass 2 with VK_NV_cooperative_matrix2 (F16, D a multiple of 16 given as HEAD_DIM): workgroup-
// scope matrices, so the compiler stages operands and no score ever goes through our shared
// memory. A workgroup OWNS CBK keys of one (batch, KV head): Sᵀ = K·Qᵀ (CBK keys × CBQ queries)
// per query tile, then per element the mask, the scale and p = exp2((s·c − m) − log2 l), a row reduction
// into a narrow matrix (one value per key, smeared over 16 columns) and a fixed-order sum over
// the query tiles. Tensor loads clamp to zero outside the tensor; the CSG fragments read the slack.
// Tile shape from the host (ShaderSet.Cm2): CBK keys × CBQ queries, CWG invocations; CFULL gives
// tiles wholly inside the mask a branch without the per-element mask test; CBCAST reads the
// tile's row statistics once as two broadcast matrices (a clamp-to-edge tensor load of the planar
// copy the merge pass writes) instead of per element; LU loads query tiles wholly inside Q
// without bounds checks; CPF issues the next query tile's load before this tile's work; CABL
// (timing only, wrong results) cuts the work after the product (1) or before the reduction (2);
// CSM stages query tiles in shared memory (16-byte loads a tile ahead, two padded buffers, one
// barrier a tile); CSG (with CSM) is a second main on subgroup-scope 16×16 fragments, SGK keys a
// subgroup, and SGM does its reductions by hand (see there). CPIPE (with CSM, CFULL, CBCAST) issues
// the product of query tile t + 1 before the epilogue of tile t; CSST (with CPIPE) stages the query
// statistics in shared memory with their tile; CKP makes a workgroup own CKP key tiles, the next
// one's load issued first; CLK loads key tiles inside K without bounds checks; CKLD loads them as
// plain matrix loads (coopMatLoad, not the tensor load: −4 % to −8 % of the pass, branch vk8).
// ShaderSet.Cm2.defaults is the measured choice; docs/PERFORMANCE.md has the measurements.
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
#ifndef CBK
#define CBK 64
#endif
#ifndef CBQ
#define CBQ 64
#endif
#ifndef CWG
#define CWG 128
#endif
#ifndef CKP
#define CKP 1
#endif
layout(local_size_x = CWG) in;
#define BK CBK
#define BQ CBQ
#define NARROW 16
#define ACC(r, c) coopmat<float, gl_ScopeWorkgroup, r, c, gl_MatrixUseAccumulator>

layout(std430, binding = 0) readonly buffer QBuf { float16_t qData[]; };
layout(std430, binding = 1) readonly buffer KBuf { float16_t kData[]; };
layout(std430, binding = 2) readonly buffer RowStats { vec2 rowStats[]; };   // (m, log2 l) per row
// the same binding as floats: the merge pass's planar copy, m at 2R + r and log2 l at 3R + r (R = B·Hq·M)
layout(std430, binding = 2) readonly buffer RowStatsPlanar { float planar[]; };
layout(std430, binding = 4) writeonly buffer Partial { float partial[]; };
// CPIPE pipelines the CSM staging of full tiles with broadcast statistics: without them, off.
// With CPIPE: CSST stages each query tile's (m, log2 l) in shared memory with the tile (read per
// element, no broadcast matrices).
#if defined(CPIPE) && !(defined(CSM) && defined(CFULL) && defined(CBCAST))
#undef CPIPE
#endif
#if defined(CSG) || !defined(CPIPE)
#undef CSST
#endif
#ifdef CSM
// CSM: query tiles staged by the shader itself: 16-byte loads from Q into registers one tile
// ahead, stored into one of two shared buffers (rows padded by 16 bytes, so the matrix loads of
// 8 rows hit distinct banks), one barrier per tile, and the B matrix loaded from shared memory.
layout(std430, binding = 0) readonly buffer QBuf4 { uvec4 qData4[]; };
#define ROW4 (HEAD_DIM / 8)                         // 16-byte words per Q row
#define QROW (ROW4 + 1)                             // padded row in shared memory
#define TILE4 (BQ * ROW4)
#define PER_THREAD ((TILE4 + CWG - 1) / CWG)
#if 2 * BQ * QROW * 16 > 40960
#error CSM: the two Q buffers exceed 40 KiB (NVIDIA offers 48 KiB of shared memory to a workgroup; a larger request lost the device)
#endif
shared uvec4 qStage[2 * BQ * QROW];
// 16 bytes of Q row `row` (zeros past M, never read)
uvec4 qWord(const uint base4, const uint row, const uint c) {
    uvec4 w = uvec4(0);
    if (row < P.M) w = qData4[base4 + row * ROW4 + c];
    return w;
}
// the end of a step: the prefetched tile into the other buffer, one barrier
#define STAGE_NEXT \
    if (more) { \
        UNROLL for (uint e = 0; e < PER_THREAD; e++) { \
            uint idx = e * CWG + lane, r = idx / ROW4, c = idx % ROW4; \
            if (idx < TILE4) qStage[(buf ^ 1u) * (BQ * QROW) + r * QROW + c] = pre[e]; \
        } \
    } \
    barrier(); \
    buf ^= 1u;
#else
#define STAGE_NEXT
#endif

float addOp(const in float a, const in float b) { return a + b; }
float maxOp(const in float a, const in float b) { return stickyMax(a, b); }
#ifdef CSST
// three buffers: tile t at t % 3, so tile t + 2 is stored while tile t is being read
shared vec2 statTile[3 * BQ];
// a tile wholly inside the mask, its queries' (m, log2 l) from shared memory
float fullTermS(const in uint32_t row, const in uint32_t col, const in float s, const in uint32_t sBase) {
    vec2 st = statTile[sBase + col];
    float x = (logit(s) - st.x) - st.y;
    return P.reduction == 2 ? x : exp2(x);
}
#endif

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

// a tile wholly inside the mask: no mask test
float fullTerm(const in uint32_t row, const in uint32_t col, const in float s, const in int i0, const in uint32_t statsBase) {
    vec2 st = rowStats[statsBase + uint(i0) + col];
    float x = (logit(s) - st.x) - st.y;
    return P.reduction == 2 ? x : exp2(x);
}

// the same with the row statistics as broadcast matrices
float fullTermB(const in uint32_t row, const in uint32_t col, const in float s, const in float mRow, const in float lRow) {
    float x = (logit(s) - mRow) - lRow;
    return P.reduction == 2 ? x : exp2(x);
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

#ifndef CSG
void main() {
    uint bkv = gl_WorkGroupID.y, b = bkv / P.Hkv, kvh = bkv % P.Hkv;
    uint group = P.Hq / P.Hkv;
    int lq = lengths[b], lk = lengths[P.B + b], off = causalOffset(lq, lk);
    int jWG = int(gl_WorkGroupID.x) * (BK * CKP);   // CKP key tiles of BK keys, one after the other
    bool isMax = P.reduction == 2;

    tensorLayoutNV<2, gl_CooperativeMatrixClampModeConstantNV> layoutK = createTensorLayoutNV(2, gl_CooperativeMatrixClampModeConstantNV);
    layoutK = setTensorLayoutDimensionNV(layoutK, P.N, HEAD_DIM);
    tensorLayoutNV<2, gl_CooperativeMatrixClampModeConstantNV> layoutQ = createTensorLayoutNV(2, gl_CooperativeMatrixClampModeConstantNV);
    layoutQ = setTensorLayoutDimensionNV(layoutQ, P.M, HEAD_DIM);
    tensorViewNV<2, false, 1, 0> transposed = createTensorViewNV(2, false, 1, 0);
#ifdef LU
    // tiles wholly inside Q load without bounds checks
    tensorLayoutNV<2, gl_CooperativeMatrixClampModeUndefinedNV> layoutQIn = createTensorLayoutNV(2, gl_CooperativeMatrixClampModeUndefinedNV);
    layoutQIn = setTensorLayoutDimensionNV(layoutQIn, P.M, HEAD_DIM);
#endif
#ifdef CBCAST
    // one row of M statistics; the CBK rows of a slice clamp to it: every key row sees the query's (m, log2 l)
    tensorLayoutNV<2, gl_CooperativeMatrixClampModeClampToEdgeNV> layoutStats = createTensorLayoutNV(2, gl_CooperativeMatrixClampModeClampToEdgeNV);
    layoutStats = setTensorLayoutDimensionNV(layoutStats, 1, P.M);
    uint rows = P.B * P.Hq * P.M;
#endif

    coopmat<float16_t, gl_ScopeWorkgroup, BK, HEAD_DIM, gl_MatrixUseA> kt;
#ifdef CKLD
#define LOAD_K(MAT, J) \
    if ((J) + BK <= int(P.N)) coopMatLoad(MAT, kData, (bkv * P.N + uint(J)) * HEAD_DIM, HEAD_DIM, gl_CooperativeMatrixLayoutRowMajor); \
    else coopMatLoadTensorNV(MAT, kData, bkv * P.N * HEAD_DIM, sliceTensorLayoutNV(layoutK, (J), BK, 0, HEAD_DIM));
#elif defined(CLK)
    // CLK: a key tile wholly inside K loads without bounds checks
    tensorLayoutNV<2, gl_CooperativeMatrixClampModeUndefinedNV> layoutKIn = createTensorLayoutNV(2, gl_CooperativeMatrixClampModeUndefinedNV);
    layoutKIn = setTensorLayoutDimensionNV(layoutKIn, P.N, HEAD_DIM);
#define LOAD_K(MAT, J) \
    if ((J) + BK <= int(P.N)) coopMatLoadTensorNV(MAT, kData, bkv * P.N * HEAD_DIM, sliceTensorLayoutNV(layoutKIn, (J), BK, 0, HEAD_DIM)); \
    else coopMatLoadTensorNV(MAT, kData, bkv * P.N * HEAD_DIM, sliceTensorLayoutNV(layoutK, (J), BK, 0, HEAD_DIM));
#else
#define LOAD_K(MAT, J) coopMatLoadTensorNV(MAT, kData, bkv * P.N * HEAD_DIM, sliceTensorLayoutNV(layoutK, (J), BK, 0, HEAD_DIM));
#endif
    LOAD_K(kt, jWG)
#if CKP > 1
    // CKP: the next key tile's load is issued before this tile's work
    coopmat<float16_t, gl_ScopeWorkgroup, BK, HEAD_DIM, gl_MatrixUseA> ktNext;
#endif
    for (int kk = 0; kk < CKP; kk++) {
    int j0 = jWG + kk * BK;
    if (j0 >= int(P.N)) break;
#if CKP > 1
    if (kk + 1 < CKP && j0 + BK < int(P.N)) { LOAD_K(ktNext, j0 + BK) }
#endif

    ACC(BK, NARROW) groupAcc = ACC(BK, NARROW)(0.0);
    for (uint hg = 0; hg < group; hg++) {
        uint bh = b * P.Hq + kvh * group + hg;
        ACC(BK, NARROW) acc = ACC(BK, NARROW)(isMax ? NEG_INF : 0.0);
        if (j0 < lk && lq > 0) {
            int jLast = min(j0 + BK, lk) - 1;
            int iBegin = P.maskKind == 0 ? 0 : max(0, j0 - off);
            int iEnd = P.maskKind == 2 ? min(lq, jLast - off + P.window) : lq;
#ifdef CPIPE
            // CPIPE (with CSM, CFULL, CBCAST): software pipelined as row_statistics_cm2's RPIPE: the
            // product of query tile t + 1 is issued in the same basic block as the epilogue of tile t
            // (one copy per reduction and mask case). Tile t in buffer t & 1; tile t + 2 is loaded into
            // registers during step t and stored into buffer t & 1 before the step's one barrier.
            uvec4 pre[PER_THREAD];
            uint qBase4 = bh * P.M * (HEAD_DIM / 8), lane = gl_LocalInvocationIndex;
            int i0 = (iBegin / BQ) * BQ;
            if (i0 < iEnd) {
                UNROLL for (uint e = 0; e < PER_THREAD; e++) {
                    uint idx = e * CWG + lane, r = idx / ROW4, c = idx % ROW4;
                    if (idx < TILE4) {
                        qStage[r * QROW + c] = qWord(qBase4, uint(i0) + r, c);
                        qStage[BQ * QROW + r * QROW + c] = qWord(qBase4, uint(i0 + BQ) + r, c);
                    }
                }
#ifdef CSST
                if (lane < uint(BQ)) {
                    uint ia = uint(i0) + lane, ib = uint(i0 + BQ) + lane;
                    statTile[lane] = ia < P.M ? rowStats[bh * P.M + ia] : vec2(0.0);
                    statTile[BQ + lane] = ib < P.M ? rowStats[bh * P.M + ib] : vec2(0.0);
                }
                vec2 stPre = vec2(0.0);
#endif
                barrier();
                coopmat<float16_t, gl_ScopeWorkgroup, HEAD_DIM, BQ, gl_MatrixUseB> qt;
                coopMatLoad(qt, qStage, 0u, QROW, gl_CooperativeMatrixLayoutColumnMajor);
                ACC(BK, BQ) sa = coopMatMulAdd(kt, qt, ACC(BK, BQ)(0.0)), sb;
                uint t = 0;
#ifdef CSST
#define COL_FULL(S) coopMatPerElementNV(S, S, fullTermS, (t % 3u) * uint(BQ));
#else
#define COL_FULL(S) { \
                ACC(BK, BQ) mRow, lRow; \
                coopMatLoadTensorNV(mRow, planar, 2u * rows + bh * P.M, sliceTensorLayoutNV(layoutStats, 0, BK, i0, BQ)); \
                coopMatLoadTensorNV(lRow, planar, 3u * rows + bh * P.M, sliceTensorLayoutNV(layoutStats, 0, BK, i0, BQ)); \
                coopMatPerElementNV(S, S, fullTermB, mRow, lRow); }
#endif
#define COL_MASKED(S) coopMatPerElementNV(S, S, columnTerm, i0, j0, lq, lk, off, bh * P.M);
#define COL_SUM(S) { ACC(BK, NARROW) tile; coopMatReduceNV(tile, S, gl_CooperativeMatrixReduceRowNV, addOp); acc += tile; }
#define COL_MAX(S) { ACC(BK, NARROW) tile; coopMatReduceNV(tile, S, gl_CooperativeMatrixReduceRowNV, maxOp); \
                UNROLL for (uint e = 0; e < acc.length(); e++) acc[e] = stickyMax(acc[e], tile[e]); }
#define COL_PRODUCT(NXT) \
                coopMatLoad(qt, qStage, nb, QROW, gl_CooperativeMatrixLayoutColumnMajor); \
                NXT = coopMatMulAdd(kt, qt, ACC(BK, BQ)(0.0));
#ifdef CSST
#define STAT_LOAD if (lane < uint(BQ)) { uint ic = uint(i0 + 2 * BQ) + lane; stPre = ic < P.M ? rowStats[bh * P.M + ic] : vec2(0.0); }
#define STAT_STORE if (lane < uint(BQ)) statTile[((t + 2u) % 3u) * uint(BQ) + lane] = stPre;
#else
#define STAT_LOAD
#define STAT_STORE
#endif
#define COL_STEP(CUR, NXT) { \
                bool more2 = i0 + 2 * BQ < iEnd; \
                if (more2) { \
                    UNROLL for (uint e = 0; e < PER_THREAD; e++) { \
                        uint idx = e * CWG + lane, r = idx / ROW4, c = idx % ROW4; \
                        pre[e] = uvec4(0); \
                        if (idx < TILE4) pre[e] = qWord(qBase4, uint(i0 + 2 * BQ) + r, c); \
                    } \
                    STAT_LOAD \
                } \
                uint nb = ((t + 1u) & 1u) * uint(BQ * QROW); \
                bool full = tileVisible(i0, BQ, j0, BK, lq, lk, off); \
                if (isMax) { \
                    if (full) { COL_PRODUCT(NXT) COL_FULL(CUR) COL_MAX(CUR) } \
                    else { COL_PRODUCT(NXT) COL_MASKED(CUR) COL_MAX(CUR) } \
                } else { \
                    if (full) { COL_PRODUCT(NXT) COL_FULL(CUR) COL_SUM(CUR) } \
                    else { COL_PRODUCT(NXT) COL_MASKED(CUR) COL_SUM(CUR) } \
                } \
                if (more2) { \
                    UNROLL for (uint e = 0; e < PER_THREAD; e++) { \
                        uint idx = e * CWG + lane, r = idx / ROW4, c = idx % ROW4; \
                        if (idx < TILE4) qStage[(t & 1u) * (BQ * QROW) + r * QROW + c] = pre[e]; \
                    } \
                    STAT_STORE \
                } \
                barrier(); \
                t++; \
                i0 += BQ; }
                bool inB = false;
                for (;;) {
                    if (i0 + BQ >= iEnd) break;
                    COL_STEP(sa, sb)
                    if (i0 + BQ >= iEnd) { inB = true; break; }
                    COL_STEP(sb, sa)
                }
                if (inB) sa = sb;
                bool full = tileVisible(i0, BQ, j0, BK, lq, lk, off);
                if (full) { COL_FULL(sa) }
                else { COL_MASKED(sa) }
                if (isMax) { COL_MAX(sa) }
                else { COL_SUM(sa) }
#undef STAT_LOAD
#undef STAT_STORE
#undef COL_STEP
#undef COL_PRODUCT
#undef COL_MAX
#undef COL_SUM
#undef COL_MASKED
#undef COL_FULL
            }
#else
#if defined(CABL)
            ACC(BK, BQ) sAcc = ACC(BK, BQ)(0.0);
#endif
#ifdef CPF
            coopmat<float16_t, gl_ScopeWorkgroup, HEAD_DIM, BQ, gl_MatrixUseB> qNext;
            coopMatLoadTensorNV(qNext, qData, bh * P.M * HEAD_DIM, sliceTensorLayoutNV(layoutQ, (iBegin / BQ) * BQ, BQ, 0, HEAD_DIM), transposed);
#endif
#ifdef CSM
            uvec4 pre[PER_THREAD];
            uint qBase4 = bh * P.M * (HEAD_DIM / 8), lane = gl_LocalInvocationIndex;
            int iFirst = (iBegin / BQ) * BQ;
            if (iFirst < iEnd) {
                UNROLL for (uint e = 0; e < PER_THREAD; e++) {
                    uint idx = e * CWG + lane, r = idx / ROW4, c = idx % ROW4;
                    if (idx < TILE4) qStage[r * QROW + c] = qWord(qBase4, uint(iFirst) + r, c);
                }
            }
            barrier();
            uint buf = 0;
#endif
            for (int i0 = (iBegin / BQ) * BQ; i0 < iEnd; i0 += BQ) {
                coopmat<float16_t, gl_ScopeWorkgroup, HEAD_DIM, BQ, gl_MatrixUseB> qt;
#ifdef CSM
                bool more = i0 + BQ < iEnd;
                if (more) {
                    UNROLL for (uint e = 0; e < PER_THREAD; e++) {
                        uint idx = e * CWG + lane, r = idx / ROW4, c = idx % ROW4;
                        pre[e] = uvec4(0);
                        if (idx < TILE4) pre[e] = qWord(qBase4, uint(i0 + BQ) + r, c);
                    }
                }
                // shared memory holds Q row-major, i.e. Qᵀ column-major
                coopMatLoad(qt, qStage, buf * (BQ * QROW), QROW, gl_CooperativeMatrixLayoutColumnMajor);
#elif defined(CPF)
                qt = qNext;   // the next tile's load is issued before this tile's work
                if (i0 + BQ < iEnd) coopMatLoadTensorNV(qNext, qData, bh * P.M * HEAD_DIM, sliceTensorLayoutNV(layoutQ, i0 + BQ, BQ, 0, HEAD_DIM), transposed);
#else
#ifdef LU
                if (i0 + BQ <= int(P.M)) coopMatLoadTensorNV(qt, qData, bh * P.M * HEAD_DIM, sliceTensorLayoutNV(layoutQIn, i0, BQ, 0, HEAD_DIM), transposed);
                else
#endif
                coopMatLoadTensorNV(qt, qData, bh * P.M * HEAD_DIM, sliceTensorLayoutNV(layoutQ, i0, BQ, 0, HEAD_DIM), transposed);
#endif
#if defined(CABL) && CABL == 1
                sAcc = coopMatMulAdd(kt, qt, sAcc);
                STAGE_NEXT
                continue;
#endif
                ACC(BK, BQ) s = ACC(BK, BQ)(0.0);
                s = coopMatMulAdd(kt, qt, s);
#ifdef CFULL
                if (tileVisible(i0, BQ, j0, BK, lq, lk, off)) {
#ifdef CBCAST
                    ACC(BK, BQ) mRow, lRow;
                    coopMatLoadTensorNV(mRow, planar, 2u * rows + bh * P.M, sliceTensorLayoutNV(layoutStats, 0, BK, i0, BQ));
                    coopMatLoadTensorNV(lRow, planar, 3u * rows + bh * P.M, sliceTensorLayoutNV(layoutStats, 0, BK, i0, BQ));
                    coopMatPerElementNV(s, s, fullTermB, mRow, lRow);
#else
                    coopMatPerElementNV(s, s, fullTerm, i0, bh * P.M);
#endif
                } else
#endif
                coopMatPerElementNV(s, s, columnTerm, i0, j0, lq, lk, off, bh * P.M);
#if defined(CABL) && CABL == 2
                sAcc += s;
                STAGE_NEXT
                continue;
#endif
                ACC(BK, NARROW) tile;
                if (isMax) {
                    coopMatReduceNV(tile, s, gl_CooperativeMatrixReduceRowNV, maxOp);
                    UNROLL for (uint e = 0; e < acc.length(); e++) acc[e] = stickyMax(acc[e], tile[e]);
                } else {
                    coopMatReduceNV(tile, s, gl_CooperativeMatrixReduceRowNV, addOp);
                    acc += tile;
                }
                STAGE_NEXT
            }
#if defined(CABL)
            coopMatReduceNV(acc, sAcc, gl_CooperativeMatrixReduceRowNV, addOp);
#endif
#endif // CPIPE
        }
        coopMatPerElementNV(acc, acc, finish, j0, lq, lk, off);
        if (P.groupHeads == 0) coopMatPerElementNV(acc, acc, storeColumn0, bh * P.N, j0);
        else groupAcc += acc;
    }
    if (P.groupHeads != 0) coopMatPerElementNV(groupAcc, groupAcc, storeColumn0, bkv * P.N, j0);
#if CKP > 1
    kt = ktNext;
#endif
    }
#undef LOAD_K
}
#endif // !CSG

#ifdef CSG
// CSG (with CSM): subgroup-scope matrices. Each subgroup owns SGK keys (K as 16×16 A fragments in
// registers) and reads the workgroup's staged query tile, and that tile's row statistics, from
// shared memory; its strip Sᵀ (SGK keys × BQ queries as 16×16 accumulators), the mask, exp2 and
// the reduction over queries stay inside the subgroup: the only barrier is the staging's.
#ifndef CSM
#error CSG needs CSM
#endif
#ifndef SGK
#define SGK 16
#endif
#if CBK != (CWG / 32) * SGK
#error CSG: CBK must be (CWG / 32) * SGK
#endif
#if BQ > CWG
#error CSG: one invocation stages each query's statistics
#endif
#define FK (SGK / 16)                 // key fragments per subgroup
#define FQ (BQ / 16)                  // query fragments per tile
#define FD (HEAD_DIM / 16)            // fragments along D
#define SACC coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator>
shared vec2 statStage[2 * BQ];

// row = key, col = query of a 16×16 fragment; the query's (m, log2 l) from shared memory
float columnTermS(const in uint32_t row, const in uint32_t col, const in float s, const in int i0, const in int j0,
                  const in int lq, const in int lk, const in int off, const in uint32_t sBase) {
    int i = i0 + int(col), j = j0 + int(row);
    bool isMax = P.reduction == 2;
    if (!visible(i, j, lq, lk, off)) return isMax ? NEG_INF : 0.0;
    vec2 st = statStage[sBase + col];
    float x = (logit(s) - st.x) - st.y;
    return isMax ? x : exp2(x);
}

float fullTermS(const in uint32_t row, const in uint32_t col, const in float s, const in uint32_t sBase) {
    vec2 st = statStage[sBase + col];
    float x = (logit(s) - st.x) - st.y;
    return P.reduction == 2 ? x : exp2(x);
}

float maxPairS(const in uint32_t row, const in uint32_t col, const in float a, const in float b) { return stickyMax(a, b); }
float rowOf(const in uint32_t row, const in uint32_t col, const in float x) { return float(row); }
float colOf(const in uint32_t row, const in uint32_t col, const in float x) { return float(col); }

#ifdef SGM
// SGM: the reductions over queries by hand, as in row_statistics_cm2 (two rows of a fragment per
// invocation, held whole by a cluster of 4; checked once, else the coopMatReduceNV path).
float clusterMax(const float x) {
    bool nan = subgroupClusteredOr(isnan(x) ? 1u : 0u, 4) != 0u;
    float m = subgroupClusteredMax(isnan(x) ? NEG_INF : x, 4);
    return nan ? uintBitsToFloat(0x7fc00000u) : m;
}
// finish() for one key
float finishKey(const float v, const int j, const int lq, const int lk, const int off) {
    float r = v;
    if (P.reduction == 2) r = v == NEG_INF ? 0.0 : exp2(v);
    if (P.reduction == 1) { int n = rowsSeeing(j, lq, lk, off); r = n > 0 ? r / float(n) : 0.0; }
    return r;
}
#endif

void main() {
    uint bkv = gl_WorkGroupID.y, b = bkv / P.Hkv, kvh = bkv % P.Hkv;
    uint group = P.Hq / P.Hkv;
    int lq = lengths[b], lk = lengths[P.B + b], off = causalOffset(lq, lk);
    int j0 = int(gl_WorkGroupID.x) * BK;
    uint warp = gl_LocalInvocationIndex / 32u, lane = gl_LocalInvocationIndex;
    int jw = j0 + int(warp) * SGK;                        // this subgroup's first key
    bool isMax = P.reduction == 2;

    // K rows past N read the binding's slack: their columns are never stored
    coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseA> ka[FK][FD];
    UNROLL for (int f = 0; f < FK; f++)
        UNROLL for (int kc = 0; kc < FD; kc++)
            coopMatLoad(ka[f][kc], kData, (bkv * P.N + uint(jw + 16 * f)) * HEAD_DIM + uint(16 * kc), HEAD_DIM, gl_CooperativeMatrixLayoutRowMajor);

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
    float gA[FK], gB[FK];
    UNROLL for (int f = 0; f < FK; f++) { gA[f] = 0.0; gB[f] = 0.0; }
#endif
    SACC groupAcc[FK];
    UNROLL for (int f = 0; f < FK; f++) groupAcc[f] = SACC(0.0);
    for (uint hg = 0; hg < group; hg++) {
        uint bh = b * P.Hq + kvh * group + hg;
        uint statsBase = bh * P.M;
        SACC acc[FK];
        UNROLL for (int f = 0; f < FK; f++) acc[f] = SACC(isMax ? NEG_INF : 0.0);
#ifdef SGM
        float aA[FK], aB[FK];
        UNROLL for (int f = 0; f < FK; f++) { aA[f] = isMax ? NEG_INF : 0.0; aB[f] = isMax ? NEG_INF : 0.0; }
#endif
        if (j0 < lk && lq > 0) {
            int jLast = min(j0 + BK, lk) - 1;
            int iBegin = P.maskKind == 0 ? 0 : max(0, j0 - off);
            int iEnd = P.maskKind == 2 ? min(lq, jLast - off + P.window) : lq;
            uvec4 pre[PER_THREAD];
            vec2 stPre = vec2(0.0);
            uint qBase4 = bh * P.M * (HEAD_DIM / 8);
            int iFirst = (iBegin / BQ) * BQ;
            if (iFirst < iEnd) {
                UNROLL for (uint e = 0; e < PER_THREAD; e++) {
                    uint idx = e * CWG + lane, r = idx / ROW4, c = idx % ROW4;
                    if (idx < TILE4) qStage[r * QROW + c] = qWord(qBase4, uint(iFirst) + r, c);
                }
                if (lane < uint(BQ)) {
                    vec2 st = vec2(0.0);
                    if (uint(iFirst) + lane < P.M) st = rowStats[statsBase + uint(iFirst) + lane];
                    statStage[lane] = st;
                }
            }
            barrier();
            uint buf = 0;
            for (int i0 = iFirst; i0 < iEnd; i0 += BQ) {
                bool more = i0 + BQ < iEnd;
                if (more) {
                    UNROLL for (uint e = 0; e < PER_THREAD; e++) {
                        uint idx = e * CWG + lane, r = idx / ROW4, c = idx % ROW4;
                        pre[e] = uvec4(0);
                        if (idx < TILE4) pre[e] = qWord(qBase4, uint(i0 + BQ) + r, c);
                    }
                    stPre = vec2(0.0);
                    if (lane < uint(BQ) && uint(i0 + BQ) + lane < P.M) stPre = rowStats[statsBase + uint(i0 + BQ) + lane];
                }
                SACC s[FK][FQ];
                UNROLL for (int f = 0; f < FK; f++)
                    UNROLL for (int n = 0; n < FQ; n++) s[f][n] = SACC(0.0);
                UNROLL for (int kc = 0; kc < FD; kc++) {
                    UNROLL for (int n = 0; n < FQ; n++) {
                        // queries 16n.. of the tile, D 16kc..: Qᵀ column-major in shared memory (2 words per 16 halves)
                        coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseB> qb;
                        coopMatLoad(qb, qStage, buf * (BQ * QROW) + uint(16 * n) * QROW + uint(2 * kc), QROW, gl_CooperativeMatrixLayoutColumnMajor);
                        UNROLL for (int f = 0; f < FK; f++) s[f][n] = coopMatMulAdd(ka[f][kc], qb, s[f][n]);
                    }
                }
#if !(defined(CABL) && CABL == 1)
#ifdef SGM
                if (manual) {
                    UNROLL for (int f = 0; f < FK; f++) {
                        int jf = jw + 16 * f;
                        float pA = isMax ? NEG_INF : 0.0, pB = isMax ? NEG_INF : 0.0;
                        UNROLL for (int n = 0; n < FQ; n++) {
                            int in_ = i0 + 16 * n;
                            uint sBase = buf * uint(BQ) + uint(16 * n);
                            bool full = false;
#ifdef CFULL
                            full = tileVisible(in_, 16, jf, 16, lq, lk, off);
#endif
                            UNROLL for (int e = 0; e < s[f][n].length(); e++) {
                                int rr = int(ridx[e]), cc = int(cidx[e]);
                                float v;
                                if (!full && !visible(in_ + cc, jf + rr, lq, lk, off)) v = isMax ? NEG_INF : 0.0;
                                else {
                                    vec2 st = statStage[sBase + uint(cc)];
                                    float x = (logit(s[f][n][e]) - st.x) - st.y;
                                    v = isMax ? x : exp2(x);
                                }
                                bool inA = rr == rowA;
                                if (isMax) { if (inA) pA = stickyMax(pA, v); else pB = stickyMax(pB, v); }
                                else { if (inA) pA += v; else pB += v; }
                            }
                        }
                        if (isMax) {
                            aA[f] = stickyMax(aA[f], clusterMax(pA));
                            aB[f] = stickyMax(aB[f], clusterMax(pB));
                        } else {
                            aA[f] += subgroupClusteredAdd(pA, 4);
                            aB[f] += subgroupClusteredAdd(pB, 4);
                        }
                    }
                } else
#endif
                UNROLL for (int f = 0; f < FK; f++) {
                    int jf = jw + 16 * f;
                    UNROLL for (int n = 0; n < FQ; n++) {
                        int in_ = i0 + 16 * n;
                        uint sBase = buf * uint(BQ) + uint(16 * n);
                        bool full = false;
#ifdef CFULL
                        full = tileVisible(in_, 16, jf, 16, lq, lk, off);
#endif
                        if (full) coopMatPerElementNV(s[f][n], s[f][n], fullTermS, sBase);
                        else coopMatPerElementNV(s[f][n], s[f][n], columnTermS, in_, jf, lq, lk, off, sBase);
                        SACC t;
                        if (isMax) {
                            coopMatReduceNV(t, s[f][n], gl_CooperativeMatrixReduceRowNV, maxOp);
                            coopMatPerElementNV(acc[f], acc[f], maxPairS, t);
                        } else {
                            coopMatReduceNV(t, s[f][n], gl_CooperativeMatrixReduceRowNV, addOp);
                            acc[f] += t;
                        }
                    }
                }
#else
                UNROLL for (int f = 0; f < FK; f++) UNROLL for (int n = 0; n < FQ; n++) acc[f] += s[f][n];
#endif
                if (more) {
                    UNROLL for (uint e = 0; e < PER_THREAD; e++) {
                        uint idx = e * CWG + lane, r = idx / ROW4, c = idx % ROW4;
                        if (idx < TILE4) qStage[(buf ^ 1u) * (BQ * QROW) + r * QROW + c] = pre[e];
                    }
                    if (lane < uint(BQ)) statStage[(buf ^ 1u) * uint(BQ) + lane] = stPre;
                }
                barrier();
                buf ^= 1u;
            }
        }
#ifdef SGM
        if (manual) {
            UNROLL for (int f = 0; f < FK; f++) {
                int jA = jw + 16 * f + rowA, jB = jw + 16 * f + rowB;
                float vA = finishKey(aA[f], jA, lq, lk, off), vB = finishKey(aB[f], jB, lq, lk, off);
                if (P.groupHeads == 0) {
                    if (uint(jA) < P.N) partial[bh * P.N + uint(jA)] = vA;
                    if (uint(jB) < P.N) partial[bh * P.N + uint(jB)] = vB;
                } else { gA[f] += vA; gB[f] += vB; }
            }
            continue;
        }
#endif
        UNROLL for (int f = 0; f < FK; f++) {
            coopMatPerElementNV(acc[f], acc[f], finish, jw + 16 * f, lq, lk, off);
            if (P.groupHeads == 0) coopMatPerElementNV(acc[f], acc[f], storeColumn0, bh * P.N, jw + 16 * f);
            else groupAcc[f] += acc[f];
        }
    }
#ifdef SGM
    if (manual) {
        if (P.groupHeads != 0)
            UNROLL for (int f = 0; f < FK; f++) {
                int jA = jw + 16 * f + rowA, jB = jw + 16 * f + rowB;
                if (uint(jA) < P.N) partial[bkv * P.N + uint(jA)] = gA[f];
                if (uint(jB) < P.N) partial[bkv * P.N + uint(jB)] = gB[f];
            }
        return;
    }
#endif
    if (P.groupHeads != 0)
        UNROLL for (int f = 0; f < FK; f++) coopMatPerElementNV(groupAcc[f], groupAcc[f], storeColumn0, bkv * P.N, jw + 16 * f);
}
#endif // CSG
