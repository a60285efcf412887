// Pass 2, portable: per key column, the reduction over query rows of p = exp2((s·c − m) − log2 l),
// with the row statistics (m, log2 l) of row_statistics_merge.
// A workgroup OWNS a tile of BN keys of one (batch, KV head) and streams the query rows of every
// query head of its group, so nothing is added across workgroups (no atomics, SPEC 8.1). Each
// thread accumulates 4 keys over its 4 rows of every query tile; the 8 row groups are merged in
// a fixed order. Output: one partial row per query head, or per KV head summed over its group.
layout(local_size_x = 64) in;
#define BM 32
#define BN 32
#define DC 32

layout(std430, binding = 2) readonly buffer RowStats { vec2 rowStats[]; };   // (m, log2 l) per row
layout(std430, binding = 4) writeonly buffer Partial { float partial[]; };

shared float sQ[BM][DC + 1];
shared float sK[BN][DC + 1];
shared vec2 sStats[BM];
shared float sAcc[8][BN];

void main() {
    uint t = gl_LocalInvocationIndex;
    uint kg = t % 8u, rg = t / 8u;
    uint bkv = gl_WorkGroupID.y, b = bkv / P.Hkv, kvh = bkv % P.Hkv;
    uint group = P.Hq / P.Hkv;
    int lq = lengths[b], lk = lengths[P.B + b], off = causalOffset(lq, lk);
    int j0 = int(gl_WorkGroupID.x) * BN;
    uint kBase = bkv * P.N * P.D;
    bool isMax = P.reduction == 2;

    float groupAcc = 0.0;
    for (uint hg = 0; hg < group; hg++) {
        uint h = kvh * group + hg, bh = b * P.Hq + h;
        uint qBase = bh * P.M * P.D;
        float acc[4];
        for (int c = 0; c < 4; c++) acc[c] = isMax ? NEG_INF : 0.0;
        if (j0 < lk && lq > 0) {
            int jLast = min(j0 + BN, lk) - 1;
            int iBegin = P.maskKind == 0 ? 0 : max(0, j0 - off);
            int iEnd = P.maskKind == 2 ? min(lq, jLast - off + P.window) : lq;
            for (int i0 = (iBegin / BM) * BM; i0 < iEnd; i0 += BM) {
                if (t < BM) { uint i = uint(i0) + t; sStats[t] = i < P.M ? rowStats[bh * P.M + i] : vec2(0.0); }
                float s[4][4];
                for (int r = 0; r < 4; r++) for (int c = 0; c < 4; c++) s[r][c] = 0.0;
                for (uint d0 = 0; d0 < P.D; d0 += DC) {
                    for (uint e = t; e < BM * DC; e += 64u) {
                        uint r = e / DC, dd = e % DC, i = uint(i0) + r, d = d0 + dd;
                        sQ[r][dd] = (i < P.M && d < P.D) ? loadQ(qBase + i * P.D + d) : 0.0;
                        uint j = uint(j0) + r;
                        sK[r][dd] = (j < P.N && d < P.D) ? loadK(kBase + j * P.D + d) : 0.0;
                    }
                    barrier();
                    for (uint dd = 0; dd < DC; dd++) {
                        float qv[4], kv[4];
                        for (int r = 0; r < 4; r++) qv[r] = sQ[rg + 8u * r][dd];
                        for (int c = 0; c < 4; c++) kv[c] = sK[kg + 8u * c][dd];
                        for (int r = 0; r < 4; r++) for (int c = 0; c < 4; c++) s[r][c] = fma(qv[r], kv[c], s[r][c]);
                    }
                    barrier();
                }
                for (int r = 0; r < 4; r++) {
                    int i = i0 + int(rg) + 8 * r;
                    vec2 st = sStats[rg + 8u * r];
                    for (int c = 0; c < 4; c++) {
                        int j = j0 + int(kg) + 8 * c;
                        if (!visible(i, j, lq, lk, off)) continue;
                        float x = (logit(s[r][c]) - st.x) - st.y;
                        acc[c] = isMax ? stickyMax(acc[c], x) : acc[c] + exp2(x);
                    }
                }
                barrier();   // sStats is rewritten by the next tile
            }
        }
        for (int c = 0; c < 4; c++) sAcc[rg][kg + 8u * c] = acc[c];
        barrier();
        if (t < BN) {
            int j = j0 + int(t);
            float v = isMax ? NEG_INF : 0.0;
            for (int g = 0; g < 8; g++) v = isMax ? stickyMax(v, sAcc[g][t]) : v + sAcc[g][t];
            if (isMax) v = v == NEG_INF ? 0.0 : exp2(v);
            if (P.reduction == 1) { int n = rowsSeeing(j, lq, lk, off); v = n > 0 ? v / float(n) : 0.0; }
            if (P.groupHeads == 0) { if (uint(j) < P.N) partial[bh * P.N + uint(j)] = v; }
            else groupAcc += v;
        }
        barrier();   // sAcc is rewritten by the next head
    }
    int j = j0 + int(t);
    if (P.groupHeads != 0 && t < BN && uint(j) < P.N) partial[bkv * P.N + uint(j)] = groupAcc;
}
