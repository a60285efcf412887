// Tile shapes of every kernel, named once. DP is the padded head dimension (64, 128 or 256):
// a head dimension D < DP is read from rows zero-filled up to DP.
#pragma once

namespace colreduce {

// S_: depth of the cp.async rings.
template <int DP_, int WARPS = 4, int S_ = 4>
struct Tiles {
    static constexpr int DP = DP_;
    static constexpr int CHUNKS = DP / 8;                 // 16-byte chunks per row of 2-byte elements

    // Row statistics: a block holds RS_BM query rows (16 per warp, Q in registers; 64 per
    // warpgroup) and streams K tiles of RS_BN keys through a shared-memory ring. More warps share
    // each K tile: less traffic from L2 per score.
    static constexpr int RS_WARPS = WARPS;
    static constexpr int RS_BM = 16 * RS_WARPS;
    static constexpr int RS_BN = DP <= 128 ? 64 : 32;

    // Column pass: a block owns CP_BN keys (16 per warp, K in registers) and streams Q tiles of
    // CP_BM queries of every query head of its KV group.
    static constexpr int CP_WARPS = WARPS;
    static constexpr int CP_BN = 16 * CP_WARPS;
    static constexpr int CP_BM = DP <= 128 ? 64 : 32;

    // depth of the cp.async rings (tiles in flight while one is computed: STAGES - 1)
    static constexpr int STAGES = S_;

    // bytes of dynamic shared memory, 1 KB of it to align the tiles (LaunchPlan mirrors these)
    static constexpr int rowStatisticsSmem() { return ((RS_BM <= RS_BN ? 0 : RS_BM) + STAGES * RS_BN) * DP * 2 + 1024; }
    static constexpr int columnPassSmem() { return (CP_BN + STAGES * CP_BM) * DP * 2 + STAGES * CP_BM * 8 + 1024; }
};

// F32 (SIMT) kernels: one warp per query row in the row statistics, one thread per key in the column pass.
struct SimtTiles {
    static constexpr int RS_ROWS = 8;       // warps (rows) per block
    static constexpr int CP_KEYS = 128;     // threads (keys) per block
    static constexpr int CP_QROWS = 16;     // query rows staged in shared memory per step
};

}  // namespace colreduce
