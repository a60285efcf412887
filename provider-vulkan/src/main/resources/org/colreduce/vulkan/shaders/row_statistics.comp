// Pass 1, portable: the log-sum-exp (log2 domain) of every query row's visible scores.
// A workgroup owns BM query rows of one (batch, query head) and streams key tiles of BN keys;
// each thread keeps a running (max, sum) for 4 rows over its own 4 keys of every tile, and the
// 8 partial states of a row are merged in a fixed order at the end (deterministic, SPEC 8.1).
layout(local_size_x = 64) in;
#define BM 32
#define BN 32
#define DC 32

// partial (max, sum) per split z and row: stats[2 * (z·B·Hq·M + bh·M + i) + {0, 1}]
layout(std430, binding = 2) writeonly buffer Stats { float stats[]; };

shared float sQ[BM][DC + 1];
shared float sK[BN][DC + 1];
shared float sMax[8][BM];
shared float sSum[8][BM];

void main() {
    uint t = gl_LocalInvocationIndex;
    uint kg = t % 8u, rg = t / 8u;
    uint bh = gl_WorkGroupID.y, b = bh / P.Hq, h = bh % P.Hq;
    uint kvh = h / (P.Hq / P.Hkv);
    int lq = lengths[b], lk = lengths[P.B + b], off = causalOffset(lq, lk);
    int i0 = int(gl_WorkGroupID.x) * BM;
    uint qBase = bh * P.M * P.D, kBase = (b * P.Hkv + kvh) * P.N * P.D;

    float m[4], l[4];
    for (int r = 0; r < 4; r++) { m[r] = NEG_INF; l[r] = 0.0; }

    if (i0 < lq && lk > 0) {
        int iLast = min(i0 + BM, lq) - 1;
        int jEnd = P.maskKind == 0 ? lk : min(lk, iLast + off + 1);
        int jBegin = P.maskKind == 2 ? max(0, i0 + off - P.window + 1) : 0;
        int split0 = int(gl_WorkGroupID.z) * P.splitKeys;
        jBegin = max(jBegin, split0);
        jEnd = min(jEnd, split0 + P.splitKeys);
        for (int j0 = (jBegin / BN) * BN; j0 < jEnd; j0 += BN) {
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
                float tileMax = NEG_INF;
                bool any = false;
                for (int c = 0; c < 4; c++) {
                    int j = j0 + int(kg) + 8 * c;
                    if (visible(i, j, lq, lk, off)) { s[r][c] = logit(s[r][c]); tileMax = stickyMax(tileMax, s[r][c]); any = true; }
                }
                if (!any) continue;
                float mNew = stickyMax(m[r], tileMax);
                float sum = m[r] == NEG_INF ? 0.0 : l[r] * exp2(m[r] - mNew);
                for (int c = 0; c < 4; c++) {
                    int j = j0 + int(kg) + 8 * c;
                    if (visible(i, j, lq, lk, off)) sum += exp2(s[r][c] - mNew);
                }
                m[r] = mNew;
                l[r] = sum;
            }
        }
    }
    for (int r = 0; r < 4; r++) { sMax[kg][rg + 8u * r] = m[r]; sSum[kg][rg + 8u * r] = l[r]; }
    barrier();
    if (t < BM) {
        uint i = uint(i0) + t;
        float mx = NEG_INF;
        for (int g = 0; g < 8; g++) if (sSum[g][t] != 0.0 || isnan(sSum[g][t])) mx = stickyMax(mx, sMax[g][t]);
        float sum = 0.0;
        for (int g = 0; g < 8; g++) if (sSum[g][t] != 0.0 || isnan(sSum[g][t])) sum += sSum[g][t] * exp2(sMax[g][t] - mx);
        // a row that sees no key keeps -inf; the column pass never reads it (nothing is visible)
        if (i < P.M) { uint at = 2u * ((gl_WorkGroupID.z * P.B * P.Hq + bh) * P.M + i); stats[at] = mx; stats[at + 1u] = sum; }
    }
}
