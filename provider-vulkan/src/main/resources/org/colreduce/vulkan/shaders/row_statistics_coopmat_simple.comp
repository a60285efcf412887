// Pass 1 on tensor cores (VK_KHR_cooperative_matrix, F16, D a multiple of 16 given as HEAD_DIM).
// A workgroup of 4 subgroups owns 64 query rows of one (batch, query head); subgroup s keeps the
// A fragments of its 16 rows in registers and, per key tile of 64, computes S = Q·Kᵀ (16×64) into
// shared memory. Then thread t takes row t/2 and every other key of the tile (t%2) and updates
// its running (max, sum); the two halves of a row are merged in a fixed order at the end.
#extension GL_KHR_shader_subgroup_basic : require
layout(local_size_x = 128) in;
#define BM 64
#define BN 64
#define SS 68          // row stride of the score tile in shared memory (floats)
#define DB (HEAD_DIM / 16)

layout(std430, binding = 0) readonly buffer QBuf { float16_t qData[]; };
layout(std430, binding = 1) readonly buffer KBuf { float16_t kData[]; };
// partial (max, sum) per split z and row: stats[2 * (z·B·Hq·M + bh·M + i) + {0, 1}]
layout(std430, binding = 2) writeonly buffer Stats { float stats[]; };

shared float sS[BM * SS];
shared float sMax[2][BM];
shared float sSum[2][BM];

void main() {
    uint t = gl_LocalInvocationIndex, sg = gl_SubgroupID;
    uint bh = gl_WorkGroupID.y, b = bh / P.Hq, h = bh % P.Hq;
    uint kvh = h / (P.Hq / P.Hkv);
    int lq = lengths[b], lk = lengths[P.B + b], off = causalOffset(lq, lk);
    int i0 = int(gl_WorkGroupID.x) * BM;
    uint qBase = bh * P.M * HEAD_DIM, kBase = (b * P.Hkv + kvh) * P.N * HEAD_DIM;
    uint row = t / 2u, half_ = t % 2u;
    int i = i0 + int(row);
    float m = NEG_INF, l = 0.0;

    if (i0 < lq && lk > 0) {
        coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseA> qf[DB];
        for (int d = 0; d < DB; d++)
            coopMatLoad(qf[d], qData, qBase + (uint(i0) + 16u * sg) * HEAD_DIM + 16u * d, HEAD_DIM, gl_CooperativeMatrixLayoutRowMajor);
        int iLast = min(i0 + BM, lq) - 1;
        int jEnd = P.maskKind == 0 ? lk : min(lk, iLast + off + 1);
        int jBegin = P.maskKind == 2 ? max(0, i0 + off - P.window + 1) : 0;
        int split0 = int(gl_WorkGroupID.z) * P.splitKeys;
        jBegin = max(jBegin, split0);
        jEnd = min(jEnd, split0 + P.splitKeys);
        for (int j0 = (jBegin / BN) * BN; j0 < jEnd; j0 += BN) {
            for (int c = 0; c < 4; c++) {
                coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator> acc = coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator>(0.0);
                for (int d = 0; d < DB; d++) {
                    coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseB> kf;
                    coopMatLoad(kf, kData, kBase + (uint(j0) + 16u * c) * HEAD_DIM + 16u * d, HEAD_DIM, gl_CooperativeMatrixLayoutColumnMajor);
                    acc = coopMatMulAdd(qf[d], kf, acc);
                }
                coopMatStore(acc, sS, 16u * sg * SS + 16u * c, SS, gl_CooperativeMatrixLayoutRowMajor);
            }
            barrier();
            float tileMax = NEG_INF;
            bool any = false;
            for (int c = 0; c < BN / 2; c++) {
                int j = j0 + 2 * c + int(half_);
                if (visible(i, j, lq, lk, off)) { tileMax = stickyMax(tileMax, logit(sS[row * SS + 2 * c + half_])); any = true; }
            }
            if (any) {
                float mNew = stickyMax(m, tileMax);
                float sum = m == NEG_INF ? 0.0 : l * exp2(m - mNew);
                for (int c = 0; c < BN / 2; c++) {
                    int j = j0 + 2 * c + int(half_);
                    if (visible(i, j, lq, lk, off)) sum += exp2(logit(sS[row * SS + 2 * c + half_]) - mNew);
                }
                m = mNew;
                l = sum;
            }
            barrier();   // sS is rewritten by the next tile
        }
    }
    sMax[half_][row] = m;
    sSum[half_][row] = l;
    barrier();
    if (t < BM) {
        uint ii = uint(i0) + t;
        float mx = NEG_INF;
        for (int g = 0; g < 2; g++) if (sSum[g][t] != 0.0 || isnan(sSum[g][t])) mx = stickyMax(mx, sMax[g][t]);
        float sum = 0.0;
        for (int g = 0; g < 2; g++) if (sSum[g][t] != 0.0 || isnan(sSum[g][t])) sum += sSum[g][t] * exp2(sMax[g][t] - mx);
        if (ii < P.M) { uint at = 2u * ((gl_WorkGroupID.z * P.B * P.Hq + bh) * P.M + ii); stats[at] = mx; stats[at + 1u] = sum; }
    }
}
