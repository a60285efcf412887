// attend, portable: O = P·V, with P = exp2((s·c − m) − log2 l) from the row statistics (so no online
// rescaling). A workgroup owns BM query rows of one (batch, query head) and DV columns of O
// (grid z); it streams the key tiles the rows can see, recomputes S, writes P to shared memory
// and accumulates P·V. Each thread holds 4 rows × 8 columns of O. A key a row does not see is
// skipped, so a NaN in V reaches only the rows that read it (SPEC 7.3); a row that sees no key
// gets O = 0 (SPEC 11.3). F32 accumulation in a fixed order (SPEC 8.1).
layout(local_size_x = 64) in;
#define BM 32
#define BN 32
#define DC 32
#define DV 64
#define HIDDEN (-1.0)          // P of a masked (row, key): never a probability

#if defined(ELEM_F32)
layout(std430, binding = 4) readonly buffer VBuf { float vData[]; };
float loadV(uint e) { return vData[e]; }
#else
layout(std430, binding = 4) readonly buffer VBuf { uint vData[]; };
float loadV(uint e) { return unpack16(vData[e >> 1], e); }
#endif
layout(std430, binding = 2) readonly buffer RowStats { vec2 rowStats[]; };   // (m, log2 l) per row
layout(std430, binding = 5) writeonly buffer Out { float outData[]; };

shared float sQ[BM][DC + 1];
shared float sK[BN][DC + 1];
shared float sP[BM][BN + 1];
shared float sV[BN][DV + 1];

void main() {
    uint t = gl_LocalInvocationIndex;
    uint kg = t % 8u, rg = t / 8u;
    uint bh = gl_WorkGroupID.y, b = bh / P.Hq, h = bh % P.Hq;
    uint kvh = h / (P.Hq / P.Hkv);
    uint dvTotal = uint(P.valueDim), dv0 = gl_WorkGroupID.z * DV;
    int lq = lengths[b], lk = lengths[P.B + b], off = causalOffset(lq, lk);
    int i0 = int(gl_WorkGroupID.x) * BM;
    uint qBase = bh * P.M * P.D, kBase = (b * P.Hkv + kvh) * P.N * P.D, vBase = (b * P.Hkv + kvh) * P.N * dvTotal;

    vec2 rowSt[4];
    for (int r = 0; r < 4; r++) { uint i = uint(i0) + rg + 8u * r; rowSt[r] = i < P.M ? rowStats[bh * P.M + i] : vec2(0.0); }
    float o[4][8];
    for (int r = 0; r < 4; r++) for (int c = 0; c < 8; c++) o[r][c] = 0.0;

    if (i0 < lq && lk > 0) {
        int iLast = min(i0 + BM, lq) - 1;
        int jEnd = P.maskKind == 0 ? lk : min(lk, iLast + off + 1);
        int jBegin = P.maskKind == 2 ? max(0, i0 + off - P.window + 1) : 0;
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
            for (int r = 0; r < 4; r++)
                for (int c = 0; c < 4; c++) {
                    int i = i0 + int(rg) + 8 * r, j = j0 + int(kg) + 8 * c;
                    sP[rg + 8u * r][kg + 8u * c] = visible(i, j, lq, lk, off) ? exp2((logit(s[r][c]) - rowSt[r].x) - rowSt[r].y) : HIDDEN;
                }
            for (uint e = t; e < BN * DV; e += 64u) {
                uint key = e / DV, dd = e % DV, j = uint(j0) + key, d = dv0 + dd;
                sV[key][dd] = (j < P.N && d < dvTotal) ? loadV(vBase + j * dvTotal + d) : 0.0;
            }
            barrier();
            for (uint k = 0; k < BN; k++) {
                float vv[8];
                for (int c = 0; c < 8; c++) vv[c] = sV[k][kg + 8u * c];
                for (int r = 0; r < 4; r++) {
                    float p = sP[rg + 8u * r][k];
                    if (p < 0.0) continue;            // masked (a NaN p still passes: SPEC 7.3)
                    for (int c = 0; c < 8; c++) o[r][c] = fma(p, vv[c], o[r][c]);
                }
            }
            barrier();
        }
    }
    for (int r = 0; r < 4; r++) {
        uint i = uint(i0) + rg + 8u * r;
        for (int c = 0; c < 8; c++) {
            uint d = dv0 + kg + 8u * c;
            // SPEC 7.3: |O| <= max |V|, so an infinite O comes from an infinite V, and is NaN
            if (i < P.M && d < dvTotal) outData[(bh * P.M + i) * dvTotal + d] = isinf(o[r][c]) ? uintBitsToFloat(0x7fc00000u) : o[r][c];
        }
    }
}
