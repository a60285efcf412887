// Pass 3: the head reduction and accumulation. Output row rowBase + r (over [B, outHeads]) is the sum of
// `terms` consecutive partial rows in a fixed order, divided by the head divisor (MEAN over heads),
// plus the caller's previous scores where j < L (zero-padded, SPEC 6.1).
layout(local_size_x = 64) in;

layout(push_constant) uniform Params {
    uint rows, N, L, terms, hasPrevious;
    float divisor;
    uint rowBase;       // first output row of this batch chunk
} P;

layout(std430, binding = 0) readonly buffer Partial { float partial[]; };
layout(std430, binding = 1) readonly buffer Previous { float previous[]; };
layout(std430, binding = 2) buffer Result { float result[]; };

void main() {
    uint j = gl_GlobalInvocationID.x, r = gl_GlobalInvocationID.y;
    if (j >= P.N || r >= P.rows) return;
    float v = 0.0;
    for (uint s = 0; s < P.terms; s++) v += partial[(r * P.terms + s) * P.N + j];
    if (P.divisor != 1.0) v = v / P.divisor;
    uint row = P.rowBase + r;
    if (P.hasPrevious != 0u && j < P.L) v = previous[row * P.L + j] + v;
    result[row * P.N + j] = v;
}
