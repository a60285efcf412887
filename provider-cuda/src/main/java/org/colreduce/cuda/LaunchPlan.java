package org.colreduce.cuda;

import org.colreduce.DType;
import org.colreduce.HeadReduction;
import org.colreduce.Reduction;
import org.colreduce.spi.ReduceProblem;

/**
 * Grid shapes and tile counts of one column reduction: pure arithmetic, tested on any machine.
 * The tile sizes mirror tiles.cuh (Tiles&lt;DP&gt; and SimtTiles).
 */
record LaunchPlan(DType dtype, int paddedDim, int rowTile, int keyTile, int columnKeys, int columnRows,
                  long rowBlocksX, long rowBlocksY, int splits, int keysPerSplit,
                  long columnBlocksX, long columnBlocksY, int rowThreads, int columnThreads,
                  int rowSmem, int columnSmem, boolean direct, int wgmmaWarps) {

    /**
     * System property choosing the tensor-core kernels on sm_90: "wgmma8" (default: wgmma, 8 warps,
     * 128 rows or keys a block), "wgmma" (wgmma, 4 warps) or "mma" (mma.sync, 4 warps, as on sm_80/86/89).
     */
    static final String KERNELS = "colreduce.cuda.kernels";

    /** The head-dimension padding of the tensor-core kernels: 64, 128 or 256. */
    static int paddedDim(int d) {
        if (d < 1 || d > 256) throw new IllegalArgumentException("head dimension D must be in 1..256, got " + d);
        return d <= 64 ? 64 : d <= 128 ? 128 : 256;
    }

    static long ceilDiv(long a, long b) { return (a + b - 1) / b; }

    /** Key splits of the row statistics: enough blocks to fill the GPU, at least 4 key tiles each. */
    static int splits(long rowBlocks, long keyTiles, int multiprocessors) {
        if (rowBlocks >= 2L * multiprocessors) return 1;
        long want = ceilDiv(4L * multiprocessors, rowBlocks);
        long max = Math.max(1, keyTiles / 4);
        return (int) Math.max(1, Math.min(Math.min(want, max), 128));
    }

    static LaunchPlan of(ReduceProblem p, int multiprocessors) { return of(p, multiprocessors, false); }

    /** {@code hopper}: the device is sm_90, where the fatbin has wgmma kernels. */
    static LaunchPlan of(ReduceProblem p, int multiprocessors, boolean hopper) {
        DType t = p.dtype();
        boolean simt = t == DType.F32;
        int dp = simt ? p.headDim() : paddedDim(p.headDim());
        String variant = System.getProperty(KERNELS, "wgmma8");
        boolean wgmma = !simt && hopper && variant.startsWith("wgmma");
        int warps = wgmma && variant.equals("wgmma8") ? 8 : 4;
        int rowTile = simt ? 8 : 16 * warps;
        int keyTile = simt ? 32 : dp <= 128 ? 64 : 32;
        int columnKeys = simt ? 128 : 16 * warps;
        int columnRows = simt ? 16 : dp <= 128 ? 64 : 32;
        long bh = (long) p.batch() * p.queryHeads();
        long rowBlocksX = ceilDiv(p.queries(), rowTile);
        long keyTiles = ceilDiv(p.keys(), keyTile);
        int splits = splits(rowBlocksX * bh, keyTiles, multiprocessors);
        int keysPerSplit = (int) (ceilDiv(keyTiles, splits) * keyTile);
        splits = (int) ceilDiv(p.keys(), keysPerSplit);
        // Tiles<DP>::rowStatisticsSmem / columnPassSmem: 3-stage rings plus 1 KB for alignment
        int rowSmem = simt ? 0 : (rowTile + 3 * keyTile) * dp * 2 + 1024;
        int columnSmem = simt ? (16 * p.headDim() + 16) * 4 : (columnKeys + 3 * columnRows) * dp * 2 + 3 * columnRows * 4 + 1024;
        boolean direct = p.heads() == HeadReduction.NONE && p.previous() == null;
        return new LaunchPlan(t, dp, rowTile, keyTile, columnKeys, columnRows, rowBlocksX, bh, splits, keysPerSplit,
                ceilDiv(p.keys(), columnKeys), (long) p.batch() * p.kvHeads(), simt ? 256 : 32 * warps, simt ? 128 : 32 * warps, rowSmem, columnSmem, direct, wgmma ? warps : 0);
    }

    /** The kernel names in the fatbin. */
    String rowKernel() { return dtype == DType.F32 ? "row_statistics_f32_k" : "row_statistics_" + suffix(); }

    String columnKernel(Reduction r) {
        String kind = r == Reduction.MAX ? "max" : "sum";
        return dtype == DType.F32 ? "column_" + kind + "_f32_k" : "column_" + kind + "_" + suffix();
    }

    private String suffix() {
        return (dtype == DType.F16 ? "f16" : "bf16") + "_d" + paddedDim + (wgmmaWarps == 8 ? "_wg8" : wgmmaWarps == 4 ? "_wg" : "");
    }

    static int reductionCode(Reduction r) {
        return switch (r) { case SUM -> 0; case MEAN -> 1; case MAX -> 2; };
    }
}
