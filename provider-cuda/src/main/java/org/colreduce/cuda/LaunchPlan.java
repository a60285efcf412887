package org.colreduce.cuda;

import org.colreduce.DType;
import org.colreduce.HeadReduction;
import org.colreduce.Reduction;
import org.colreduce.spi.ReduceProblem;

/**
 * Which kernels one column reduction launches, with their grids, block sizes and shared memory:
 * pure arithmetic, tested on any machine. Tile sizes mirror tiles.cuh (Tiles&lt;DP, WARPS&gt;,
 * SimtTiles) and column_stream.cuh.
 *
 * @param rowWarps     warps of a row-statistics block (16 query rows each)
 * @param columnWarps  warps of a column-pass block (16 keys each)
 * @param stream       whether pass 2 is column_stream (query tiles resident, K streamed)
 * @param columnKeysPerBlock keys a column_stream block walks (its keysPerSplit)
 * @param decodeStages ring depth of the 4-warp wgmma row statistics (3 or 4)
 * @param streamStages ring depth of column_stream on sm_90a (2, 3 or 4)
 * @param columnBlocks3 the 8-warp wgmma column pass at D ≤ 64 is the 80-register kernel (3 blocks per SM)
 */
record LaunchPlan(DType dtype, int paddedDim, int rowWarps, int rowTile, int keyTile, int columnWarps, int columnKeys, int columnRows,
                  long rowBlocksX, long rowBlocksY, int splits, int keysPerSplit,
                  long columnBlocksX, long columnBlocksY, int rowThreads, int columnThreads,
                  int rowSmem, int columnSmem, boolean direct, boolean wgmma, boolean stream, int columnKeysPerBlock,
                  int decodeStages, int streamStages, boolean columnBlocks3) {

    /**
     * System property choosing the tensor-core kernels on sm_90: "wgmma8" (default: wgmma, 8-warp
     * blocks of 128 rows or keys where M > 64), "wgmma" (wgmma, 4 warps) or "mma" (mma.sync, 4
     * warps, as on sm_80/86/89).
     */
    static final String KERNELS = "colreduce.cuda.kernels";
    /** System property: "false" keeps few-query problems on column_pass instead of column_stream. */
    static final String STREAM = "colreduce.cuda.stream";
    /**
     * System property: ring depth (3, the default, or 4) of the 4-warp wgmma row statistics (few
     * query rows) at D ≤ 128; 3 stages fit 4 blocks per multiprocessor instead of 3.
     */
    static final String DECODE_STAGES = "colreduce.cuda.decodeStages";
    /**
     * System property: ring depth (2 (the default), 3 or 4) of column_stream on sm_90a at D ≤ 128;
     * 3 stages fit 3 blocks per multiprocessor, 2 stages 4.
     */
    static final String STREAM_STAGES = "colreduce.cuda.streamStages";
    /** System property: "false" keeps the 8-warp wgmma column pass at D ≤ 64 at 2 blocks per SM (default: 3); applies to 64-query items. */
    static final String COLUMN_BLOCKS3 = "colreduce.cuda.columnBlocks3";
    /**
     * System property: queries per item of the 8-warp wgmma column pass at D ≤ 128 with M ≥ 128:
     * "128" (default: m64n128k16, half the per-item bookkeeping per score, 12–16 % faster on the
     * H200) or "64" (the earlier kernels).
     */
    static final String COLUMN_QUERIES = "colreduce.cuda.columnQueries";
    /**
     * System property: keys per tile of the 8-warp wgmma row statistics at D ≤ 128: "128" (default:
     * m64n128k16 with Q read from shared memory, 2 or 3 stages; 6–9 % faster on the H200) or "64"
     * (the software-pipelined kernel, row_statistics.cuh PIPE).
     */
    static final String ROW_KEYS = "colreduce.cuda.rowKeys";

    /** Tiles&lt;DP&gt;::STAGES: depth of the cp.async rings. */
    static final int STAGES = 4;
    /** column_stream.cuh STREAM_MAX_QTILES: query tiles a column_stream block keeps resident. */
    static final int STREAM_MAX_QTILES = 4;

    /** The head-dimension padding of the tensor-core kernels: 64, 128 or 256. */
    static int paddedDim(int d) {
        if (d < 1 || d > 256) throw new IllegalArgumentException("head dimension D must be in 1..256, got " + d);
        return d <= 64 ? 64 : d <= 128 ? 128 : 256;
    }

    static long ceilDiv(long a, long b) { return (a + b - 1) / b; }

    /**
     * Key splits of the row statistics: about 8 blocks per multiprocessor, so that the last wave's
     * tail is short; a split keeps at least 4 key tiles where the GPU would otherwise idle (fewer
     * than 2 blocks per multiprocessor), else at least 32.
     */
    static int splits(long rowBlocks, long keyTiles, int multiprocessors) {
        long want = ceilDiv(8L * multiprocessors, rowBlocks);
        long max = Math.max(1, keyTiles / (rowBlocks < 2L * multiprocessors ? 4 : 32));
        return (int) Math.max(1, Math.min(Math.min(want, max), 128));
    }

    static LaunchPlan of(ReduceProblem p, int multiprocessors) { return of(p, multiprocessors, false); }

    /** {@code hopper}: the device is sm_90, where the fatbin has wgmma kernels. */
    static LaunchPlan of(ReduceProblem p, int multiprocessors, boolean hopper) {
        DType t = p.dtype();
        boolean simt = t == DType.F32;
        String variant = System.getProperty(KERNELS, "wgmma8");
        boolean wgmma = !simt && hopper && variant.startsWith("wgmma");
        int bigWarps = wgmma && variant.equals("wgmma8") ? 8 : 4;
        int dp = simt ? p.headDim() : paddedDim(p.headDim());
        // sm_90a ring depths of the decode kernels (colreduce.cu _s3 and _s2 kernels)
        int decodeStages = wgmma && dp <= 128 && !"4".equals(System.getProperty(DECODE_STAGES, "3")) ? 3 : STAGES;
        String ss = System.getProperty(STREAM_STAGES, "2");
        int streamStages = !wgmma || dp > 128 ? STAGES : ss.equals("3") ? 3 : ss.equals("4") ? 4 : 2;
        int g = p.groupSize();

        // pass 1: 8 warps (128 rows sharing each K tile) only where there are rows to fill them
        int rowWarps = p.queries() > 64 ? bigWarps : 4;
        int rowTile = simt ? 8 : 16 * rowWarps;
        // tiles of 128 keys (colreduce.cu WIDE_VARIANT: 2 stages at DP = 128, 3 at DP = 64)
        boolean wideKeys = wgmma && rowWarps == 8 && dp <= 128 && !"64".equals(System.getProperty(ROW_KEYS, "128"));
        int keyTile = simt ? 32 : wideKeys ? 128 : dp <= 128 ? 64 : 32;
        int rowStages = rowWarps == 4 ? decodeStages : wideKeys ? (dp == 128 ? 2 : 3) : STAGES;
        long bh = (long) p.batch() * p.queryHeads();
        long rowBlocksX = ceilDiv(p.queries(), rowTile);
        long keyTiles = ceilDiv(p.keys(), keyTile);
        int splits = splits(rowBlocksX * bh, keyTiles, multiprocessors);
        int keysPerSplit = (int) (ceilDiv(keyTiles, splits) * keyTile);
        splits = (int) ceilDiv(p.keys(), keysPerSplit);
        // the Q tile borrows a ring stage where it fits in one and stays in registers (row_statistics.cuh
        // Q_IN_RING: not with the 8-warp wgmma kernels, which read Q from shared memory throughout)
        boolean qShared = wgmma && rowWarps == 8 && dp <= 128;
        int rowSmem = simt ? 0 : ((rowTile <= keyTile && !qShared ? 0 : rowTile) + rowStages * keyTile) * dp * 2 + 1024;

        // pass 2: column_stream where every query tile of a KV group fits in shared memory
        int streamRows = dp <= 128 ? 64 : 32;
        long residentTiles = (long) g * ceilDiv(p.queries(), streamRows);
        boolean stream = !simt && residentTiles <= STREAM_MAX_QTILES && !"false".equals(System.getProperty(STREAM));
        int columnWarps, columnKeys, columnRows, columnSmem, columnKeysPerBlock = 0;
        boolean columnBlocks3 = false;
        long columnBlocksX, bkv = (long) p.batch() * p.kvHeads();
        if (simt) {
            columnWarps = 4;
            columnKeys = 128;
            columnRows = 16;
            columnSmem = (16 * p.headDim() + 32) * 4;   // 16 query rows and their (m, lg)
            columnBlocksX = ceilDiv(p.keys(), columnKeys);
        } else if (stream) {
            columnWarps = 4;
            columnKeys = 64;
            columnRows = streamRows;
            long tiles = ceilDiv(p.keys(), 64);
            long chunks = Math.min(tiles, Math.max(1, ceilDiv(4L * multiprocessors, bkv)));
            long perBlock = ceilDiv(tiles, chunks);
            columnKeysPerBlock = (int) (perBlock * 64);
            columnBlocksX = ceilDiv(tiles, perBlock);
            columnSmem = (int) ((streamStages * 64 + residentTiles * columnRows) * dp * 2 + residentTiles * columnRows * 8 + 1024);
        } else {
            columnWarps = bigWarps;
            columnKeys = 16 * columnWarps;
            // items of 128 queries (colreduce.cu WIDE_VARIANT: 2 stages at DP = 128, 3 at DP = 64)
            boolean wide = wgmma && columnWarps == 8 && dp <= 128 && p.queries() >= 128 && !"64".equals(System.getProperty(COLUMN_QUERIES, "128"));
            columnRows = wide ? 128 : dp <= 128 ? 64 : 32;
            int columnStages = wide ? (dp == 128 ? 2 : 3) : STAGES;
            columnBlocks3 = !wide && wgmma && dp == 64 && columnWarps == 8 && !"false".equals(System.getProperty(COLUMN_BLOCKS3, "true"));
            columnSmem = (columnKeys + columnStages * columnRows) * dp * 2 + columnStages * columnRows * 8 + 1024;
            columnBlocksX = ceilDiv(p.keys(), columnKeys);
        }
        boolean direct = p.heads() == HeadReduction.NONE && p.previous() == null;
        return new LaunchPlan(t, dp, rowWarps, rowTile, keyTile, columnWarps, columnKeys, columnRows, rowBlocksX, bh, splits, keysPerSplit,
                columnBlocksX, bkv, simt ? 256 : 32 * rowWarps, simt ? 128 : 32 * columnWarps, rowSmem, columnSmem, direct, wgmma,
                stream, columnKeysPerBlock, decodeStages, streamStages, columnBlocks3);
    }

    /** The kernel names in the fatbin. */
    String rowKernel() {
        return dtype == DType.F32 ? "row_statistics_f32_k"
                : "row_statistics_" + suffix(rowWarps) + (rowWarps == 4 ? stages(decodeStages) : keyTile == 128 ? "_k128" : "");
    }

    String columnKernel(Reduction r) {
        String kind = r == Reduction.MAX ? "max" : "sum";
        if (dtype == DType.F32) return "column_" + kind + "_f32_k";
        return (stream ? "column_stream_" : "column_") + kind + "_" + suffix(columnWarps)
                + (stream ? stages(streamStages) : columnBlocks3 ? "_b3" : columnRows == 128 ? "_q128" : "");
    }

    private String stages(int s) { return wgmma && s != STAGES ? "_s" + s : ""; }

    private String suffix(int warps) {
        return (dtype == DType.F16 ? "f16" : "bf16") + "_d" + paddedDim + (!wgmma ? "" : warps == 8 ? "_wg8" : "_wg");
    }

    static int reductionCode(Reduction r) {
        return switch (r) { case SUM -> 0; case MEAN -> 1; case MAX -> 2; };
    }
}
