// Rounds F32 values to F16 or BF16 (nearest even) and packs two per 32-bit word: an attend
// output kept on the device in the inputs' 16-bit type.
layout(local_size_x = 64) in;

layout(push_constant) uniform Params { uint count; } P;
layout(std430, binding = 0) readonly buffer Src { float src[]; };
layout(std430, binding = 1) writeonly buffer Dst { uint dst[]; };

uint bits16(float v) {
#if defined(ELEM_F16)
    return packHalf2x16(vec2(v, 0.0)) & 0xFFFFu;
#else
    uint x = floatBitsToUint(v);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) return (x >> 16) | 0x40u;     // NaN stays NaN
    return (x + 0x7FFFu + ((x >> 16) & 1u)) >> 16;
#endif
}

void main() {
    uint w = gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 64u + gl_GlobalInvocationID.x;
    uint e = 2u * w;
    if (e >= P.count) return;
    uint lo = bits16(src[e]), hi = e + 1u < P.count ? bits16(src[e + 1u]) : 0u;
    dst[w] = lo | (hi << 16);
}
