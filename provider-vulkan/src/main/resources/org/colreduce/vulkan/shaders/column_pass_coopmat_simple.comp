// Pass 2 on tensor cores (VK_KHR_cooperative_matrix, F16, D a multiple of 16 given as HEAD_DIM).
// A workgroup of 4 subgroups OWNS 64 keys of one (batch, KV head); subgroup s keeps the A
// fragments of its 16 keys in registers and computes Sᵀ = K·Qᵀ (16 keys × 64 queries) per query
// tile into shared memory, so keys are rows and the reduction over queries stays in a thread:
// thread t takes key t/2 and every other query of the tile (t%2). The two halves of a key are
// merged in a fixed order; no atomics (SPEC 8.1).
#extension GL_KHR_shader_subgroup_basic : require
layout(local_size_x = 128) in;
#define BM 64
#define BN 64
#define SS 68
#define DB (HEAD_DIM / 16)

layout(std430, binding = 0) readonly buffer QBuf { float16_t qData[]; };
layout(std430, binding = 1) readonly buffer KBuf { float16_t kData[]; };
layout(std430, binding = 2) readonly buffer Lse { float lse[]; };
layout(std430, binding = 4) writeonly buffer Partial { float partial[]; };

shared float sS[BN * SS];
shared float sLse[BM];
shared float sAcc[2][BN];

void main() {
    uint t = gl_LocalInvocationIndex, sg = gl_SubgroupID;
    uint bkv = gl_WorkGroupID.y, b = bkv / P.Hkv, kvh = bkv % P.Hkv;
    uint group = P.Hq / P.Hkv;
    int lq = lengths[b], lk = lengths[P.B + b], off = causalOffset(lq, lk);
    int j0 = int(gl_WorkGroupID.x) * BN;
    uint kBase = bkv * P.N * HEAD_DIM;
    bool isMax = P.reduction == 2;
    uint key = t / 2u, half_ = t % 2u;
    int j = j0 + int(key);

    coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseA> kf[DB];
    for (int d = 0; d < DB; d++)
        coopMatLoad(kf[d], kData, kBase + (uint(j0) + 16u * sg) * HEAD_DIM + 16u * d, HEAD_DIM, gl_CooperativeMatrixLayoutRowMajor);

    float groupAcc = 0.0;
    for (uint hg = 0; hg < group; hg++) {
        uint bh = b * P.Hq + kvh * group + hg;
        uint qBase = bh * P.M * HEAD_DIM;
        float acc = isMax ? NEG_INF : 0.0;
        if (j0 < lk && lq > 0) {
            int jLast = min(j0 + BN, lk) - 1;
            int iBegin = P.maskKind == 0 ? 0 : max(0, j0 - off);
            int iEnd = P.maskKind == 2 ? min(lq, jLast - off + P.window) : lq;
            for (int i0 = (iBegin / BM) * BM; i0 < iEnd; i0 += BM) {
                if (t < BM) { uint i = uint(i0) + t; sLse[t] = i < P.M ? lse[bh * P.M + i] : 0.0; }
                for (int c = 0; c < 4; c++) {
                    coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator> s = coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator>(0.0);
                    for (int d = 0; d < DB; d++) {
                        coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseB> qf;
                        coopMatLoad(qf, qData, qBase + (uint(i0) + 16u * c) * HEAD_DIM + 16u * d, HEAD_DIM, gl_CooperativeMatrixLayoutColumnMajor);
                        s = coopMatMulAdd(kf[d], qf, s);
                    }
                    coopMatStore(s, sS, 16u * sg * SS + 16u * c, SS, gl_CooperativeMatrixLayoutRowMajor);
                }
                barrier();
                for (int c = 0; c < BM / 2; c++) {
                    int q = 2 * c + int(half_);
                    if (!visible(i0 + q, j, lq, lk, off)) continue;
                    float x = logit(sS[key * SS + uint(q)]) - sLse[q];
                    acc = isMax ? stickyMax(acc, x) : acc + exp2(x);
                }
                barrier();   // sS and sLse are rewritten by the next tile
            }
        }
        sAcc[half_][key] = acc;
        barrier();
        if (t < BN) {
            int jj = j0 + int(t);
            float v = isMax ? stickyMax(sAcc[0][t], sAcc[1][t]) : sAcc[0][t] + sAcc[1][t];
            if (isMax) v = v == NEG_INF ? 0.0 : exp2(v);
            if (P.reduction == 1) { int n = rowsSeeing(jj, lq, lk, off); v = n > 0 ? v / float(n) : 0.0; }
            if (P.groupHeads == 0) { if (uint(jj) < P.N) partial[bh * P.N + uint(jj)] = v; }
            else groupAcc += v;
        }
        barrier();
    }
    int jj = j0 + int(t);
    if (P.groupHeads != 0 && t < BN && uint(jj) < P.N) partial[bkv * P.N + uint(jj)] = groupAcc;
}
