// Fills a buffer with uniform random values in [−amplitude, amplitude) from a hash of the
// element index and a seed (benchmark inputs made on the device, no host copy).
layout(local_size_x = 256) in;

// words: in this binding; first: the binding's first word in the whole tensor (for the hash)
layout(push_constant) uniform Params { uint words, first, seed; float amplitude; } P;
layout(std430, binding = 0) writeonly buffer Data { uint data[]; };

uint hash(uint x) {
    x ^= x >> 16; x *= 0x7feb352du; x ^= x >> 15; x *= 0x846ca68bu; x ^= x >> 16;
    return x;
}

float uniform01(uint i) { return float(hash(i * 2654435761u ^ P.seed) >> 8) * (1.0 / 16777216.0); }

void main() {
    uint local = gl_GlobalInvocationID.x;
    if (local >= P.words) return;
    uint w = P.first + local;
    float a = (uniform01(2u * w) * 2.0 - 1.0) * P.amplitude;
#if defined(ELEM_F32)
    data[local] = floatBitsToUint(a);
#else
    float c = (uniform01(2u * w + 1u) * 2.0 - 1.0) * P.amplitude;
#if defined(ELEM_F16)
    data[local] = packHalf2x16(vec2(a, c));
#else
    data[local] = (floatBitsToUint(a) >> 16) | (floatBitsToUint(c) & 0xFFFF0000u);
#endif
#endif
}
