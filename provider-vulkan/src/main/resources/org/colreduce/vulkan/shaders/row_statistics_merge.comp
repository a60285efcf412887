// Pass 1b: merges the partial (max, sum) pairs of the key splits of every row, in split order
// (deterministic), into the row's statistics (m, log2 l), kept apart rather than as one lse = m + log2 l:
// with logits near 1e5 one float lse is off by up to half an ulp (~0.004), which scales every p
// of the row by 2^±0.004; m is one of the row's logits, so s − m is exact where it matters and
// log2 l (at most log2 N) is accurate. A row that sees no key gets (−inf, 0); nothing reads it.
layout(local_size_x = 64) in;

layout(std430, binding = 4) readonly buffer Stats { float stats[]; };
layout(std430, binding = 2) writeonly buffer RowStats { vec2 rowStats[]; };   // (m, log2 l) per row
#ifdef PLANAR_STATS
// and, for column_pass_cm2's broadcast loads, a planar copy after them: m at 2R + r, log2 l at 3R + r
layout(std430, binding = 2) writeonly buffer RowStatsPlanar { float planar[]; };
#endif
// bindings 0, 1 (Q, K) and 3 (lengths) are those of the other passes, unused here

void main() {
    uint rows = P.B * P.Hq * P.M, r = gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 64u + gl_GlobalInvocationID.x;
    if (r >= rows) return;
    uint splits = (P.N + uint(P.splitKeys) - 1u) / uint(P.splitKeys);
    float mx = NEG_INF;
    for (uint z = 0; z < splits; z++) {
        float l = stats[2u * (z * rows + r) + 1u];
        if (l != 0.0 || isnan(l)) mx = stickyMax(mx, stats[2u * (z * rows + r)]);
    }
    float sum = 0.0;
    for (uint z = 0; z < splits; z++) {
        float l = stats[2u * (z * rows + r) + 1u];
        if (l != 0.0 || isnan(l)) sum += l * exp2(stats[2u * (z * rows + r)] - mx);
    }
    vec2 st = sum == 0.0 ? vec2(NEG_INF, 0.0) : vec2(mx, log2(sum));
    rowStats[r] = st;
#ifdef PLANAR_STATS
    planar[2u * rows + r] = st.x;
    planar[3u * rows + r] = st.y;
#endif
}
