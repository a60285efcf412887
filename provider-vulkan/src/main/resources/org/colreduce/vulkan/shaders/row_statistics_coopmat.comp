// Pass 1 on tensor cores (VK_KHR_cooperative_matrix, F16, D a multiple of 16 given as HEAD_DIM).
// A workgroup of 4 subgroups owns 64 query rows of one (batch, query head) and one key split;
// subgroup s keeps the A fragments of its 16 rows in registers. Key tiles of BN keys are staged
// in shared memory (the next one prefetched into registers), and subgroup s computes its strip
// S = Q·Kᵀ (16 rows × BN keys) into its own shared region; lane l takes row l%16 and every other
// key (l/16) and keeps a running (max, sum). The two lanes of a row are merged in a fixed order.
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
layout(local_size_x = 128) in;
#define BM 64
#if HEAD_DIM <= 128
#define BN 64
#else
#define BN 32
#endif
#define DB (HEAD_DIM / 16)
// LEAN: no register prefetch of the next tile (fewer registers, more workgroups per
// multiprocessor); by default the next tile is held in registers while the current one computes.
// (Unrolling hints raised the registers from ~100 to 155-188 on an H200 and cost 10 %: none here.)
#define KS (HEAD_DIM + 8)
#define VROW (HEAD_DIM / 8)
#define VTILE (BN * VROW)
#define VTHREAD ((VTILE + 127) / 128)
#define SS (BN + 4)

layout(std430, binding = 0) readonly buffer QBuf { float16_t qData[]; };
layout(std430, binding = 1) readonly buffer KBuf { uvec4 kVec[]; };
// partial (max, sum) per split z and row: stats[2 * (z·B·Hq·M + bh·M + i) + {0, 1}]
layout(std430, binding = 2) writeonly buffer Stats { float stats[]; };

shared uvec4 sK[BN * KS / 8];
shared float sS[4 * 16 * SS];

void main() {
    uint t = gl_LocalInvocationIndex, sg = gl_SubgroupID, lane = gl_SubgroupInvocationID;
    uint bh = gl_WorkGroupID.y, b = bh / P.Hq, h = bh % P.Hq;
    uint kvh = h / (P.Hq / P.Hkv);
    int lq = lengths[b], lk = lengths[P.B + b], off = causalOffset(lq, lk);
    int i0 = int(gl_WorkGroupID.x) * BM;
    uint kRow0 = (b * P.Hkv + kvh) * P.N;
    uint rr = lane % 16u, half_ = lane / 16u;
    int i = i0 + int(16u * sg + rr);
    uint strip = 16u * sg * SS;
    float m = NEG_INF, l = 0.0;

    if (i0 < lq && lk > 0) {
        coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseA> qf[DB];
        for (int d = 0; d < DB; d++)
            coopMatLoad(qf[d], qData, (bh * P.M + uint(i0) + 16u * sg) * HEAD_DIM + 16u * d, HEAD_DIM, gl_CooperativeMatrixLayoutRowMajor);
        int iLast = min(i0 + BM, lq) - 1;
        int jEnd = P.maskKind == 0 ? lk : min(lk, iLast + off + 1);
        int jBegin = P.maskKind == 2 ? max(0, i0 + off - P.window + 1) : 0;
        int split0 = int(gl_WorkGroupID.z) * P.splitKeys;
        jBegin = max(jBegin, split0);
        jEnd = min(jEnd, split0 + P.splitKeys);
        int jFirst = (jBegin / BN) * BN;
#ifndef LEAN
        uvec4 pre[VTHREAD];
        if (jFirst < jEnd) {
            for (int v = 0; v < VTHREAD; v++) {
                uint e = t + 128u * v;
                if (e < VTILE) pre[v] = kVec[(kRow0 + uint(jFirst) + e / VROW) * VROW + e % VROW];
            }
        }
#endif
        for (int j0 = jFirst; j0 < jEnd; j0 += BN) {
            barrier();
            for (int v = 0; v < VTHREAD; v++) {
                uint e = t + 128u * v;
                if (e < VTILE)
#ifdef LEAN
                        sK[(e / VROW) * (KS / 8) + e % VROW] = kVec[(kRow0 + uint(j0) + e / VROW) * VROW + e % VROW];
#else
                        sK[(e / VROW) * (KS / 8) + e % VROW] = pre[v];
#endif
            }
            barrier();
#ifndef LEAN
            if (j0 + BN < jEnd) {
                for (int v = 0; v < VTHREAD; v++) {
                    uint e = t + 128u * v;
                    if (e < VTILE) pre[v] = kVec[(kRow0 + uint(j0 + BN) + e / VROW) * VROW + e % VROW];
                }
            }
#endif
            for (int c = 0; c < BN / 16; c++) {
                coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator> s = coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator>(0.0);
                for (int d = 0; d < DB; d++) {
                    coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseB> kf;
                    coopMatLoad(kf, sK, (16u * c * KS + 16u * d) / 8u, KS / 8, gl_CooperativeMatrixLayoutColumnMajor);
                    s = coopMatMulAdd(qf[d], kf, s);
                }
                coopMatStore(s, sS, strip + 16u * c, SS, gl_CooperativeMatrixLayoutRowMajor);
            }
            subgroupMemoryBarrierShared();
            subgroupBarrier();
            bool full = tileVisible(i0 + int(16u * sg), 16, j0, BN, lq, lk, off);
            float tileMax = NEG_INF;
            bool any = false;
            for (int c = 0; c < BN / 2; c++) {
                int k = 2 * c + int(half_);
                if (full || visible(i, j0 + k, lq, lk, off)) { tileMax = stickyMax(tileMax, logit(sS[strip + rr * SS + uint(k)])); any = true; }
            }
            if (any) {
                float mNew = stickyMax(m, tileMax);
                float sum = m == NEG_INF ? 0.0 : l * exp2(m - mNew);
                for (int c = 0; c < BN / 2; c++) {
                    int k = 2 * c + int(half_);
                    if (full || visible(i, j0 + k, lq, lk, off)) sum += exp2(logit(sS[strip + rr * SS + uint(k)]) - mNew);
                }
                m = mNew;
                l = sum;
            }
            subgroupBarrier();
        }
    }
    // merge the two lanes of a row in a fixed order (lane half 0 first)
    float mo = subgroupShuffleXor(m, 16u), lo = subgroupShuffleXor(l, 16u);
    float m0 = half_ == 0u ? m : mo, l0 = half_ == 0u ? l : lo, m1 = half_ == 0u ? mo : m, l1 = half_ == 0u ? lo : l;
    float mx = NEG_INF;
    if (l0 != 0.0 || isnan(l0)) mx = stickyMax(mx, m0);
    if (l1 != 0.0 || isnan(l1)) mx = stickyMax(mx, m1);
    float sum = 0.0;
    if (l0 != 0.0 || isnan(l0)) sum += l0 * exp2(m0 - mx);
    if (l1 != 0.0 || isnan(l1)) sum += l1 * exp2(m1 - mx);
    if (half_ == 0u && uint(i) < P.M) { uint at = 2u * ((gl_WorkGroupID.z * P.B * P.Hq + bh) * P.M + uint(i)); stats[at] = mx; stats[at + 1u] = sum; }
}
