package org.colreduce.cuda;

import org.colreduce.DType;
import org.colreduce.spi.AttendProblem;
import org.colreduce.spi.ReduceProblem;

/**
 * The attention output pass of one {@code attend} call: kernel, grid and shared memory; pure
 * arithmetic, tested on any machine. F16/BF16 pad D and Dv to one width E (64, 128 or 256); the
 * pass computes the row statistics itself ({@code online}) and the row-statistics launch is
 * skipped, unless {@code -Dcolreduce.cuda.attendOnline=false}. On sm_90 with E ≤ 128 the pass runs
 * warp-specialised on wgmma with TMA loads (attention_output_ws.cuh: a producer warpgroup and
 * two consumer warpgroups, 128 query rows a block, tiles of 128 keys, {@code _ws}; for F16 where
 * there are more query tiles than multiprocessors, persistent: one block per multiprocessor takes
 * the tiles one after another from a counter, loading the next while it finishes this one,
 * {@code _wsp}); under
 * {@code -Dcolreduce.cuda.attendKernel=wg}, or where the TMA cannot address the tensors, on the
 * 8-warp wgmma kernel (attention_output_wg.cuh, {@code _wg8}); elsewhere, and on sm_90 under
 * {@code -Dcolreduce.cuda.attendKernel=mma}, on mma.sync (attention_output.cuh: 4 warps, 64 rows).
 *
 * @param valueLd the row length V is staged with: Dv padded for F16/BF16, Dv for F32
 * @param wgmma an sm_90a kernel
 * @param specialized the TMA kernel: launched with {@link TensorMaps}, or else {@link #withoutTma}
 * @param blocksX query tiles (the grid unless persistent)
 * @param persistentBlocks the grid of the persistent kernel ({@code _wsp}), 0 for one block a query tile
 * @param splits key slices of the mma.sync kernel (grid z), folded by {@code attention_output_combine}; 1 for none
 * @param keysPerSplit keys a slice, a multiple of 128
 */
record OutputPlan(String kernel, long blocksX, long blocksY, int threads, int smem, int valueLd, boolean online, boolean wgmma,
                  boolean specialized, int persistentBlocks, int splits, int keysPerSplit) {

    /** Rows of Q and keys of K and V a TMA box holds in the specialised kernel (SpecializedOutputTiles). */
    static final int QUERY_TILE = 128, KEY_TILE = 128;
    /** Its ring depths (K, V; V of the key-split kernel) and mbarriers (Q, K and V full and empty). */
    private static final int KEY_STAGES = 2, VALUE_STAGES = 2, SPLIT_VALUE_STAGES = 3;

    /** System property: "false" keeps the row statistics as a pass of their own (benchmarks compare). */
    static final String ONLINE = "colreduce.cuda.attendOnline";
    /** System property: "mma" keeps sm_90 on the mma.sync kernel, "wg" on the 8-warp wgmma kernel (tests and benchmarks compare). */
    static final String KERNEL = "colreduce.cuda.attendKernel";
    /**
     * System property: "false" keeps the TMA kernel at one block a query tile; a number caps the
     * persistent kernel's grid below the multiprocessors (tests: several tiles a block on small problems).
     */
    static final String PERSISTENT = "colreduce.cuda.attendPersistent";
    /**
     * System property for few query rows (M ≤ 64) on sm_90: "wsk" the TMA kernel of 64-row blocks
     * whose consumers split the key tiles, "mma" the mma.sync kernel with key slices; by default
     * the first where the (batch, head) pairs fill the multiprocessors, else the second.
     */
    static final String DECODE = "colreduce.cuda.attendDecode";

    /** {@code hopper}: the device is sm_90, where the fatbin has the wgmma kernels. */
    static OutputPlan of(AttendProblem a, LaunchPlan rows, boolean hopper, int multiprocessors) {
        ReduceProblem p = a.scores();
        long bh = (long) p.batch() * p.queryHeads();
        if (p.dtype() == DType.F32)
            return new OutputPlan("attention_output_f32_k", LaunchPlan.ceilDiv(p.queries(), 8), bh, 256, 0, a.valueDim(), false, false, false, 0, 1, 0);
        int ldv = LaunchPlan.paddedDim(a.valueDim());
        int e = Math.max(rows.paddedDim(), ldv);
        // online whatever the row statistics' split: the output pass reads every key of its rows
        // either way, so a row-statistics pass first only adds its own time
        boolean online = !"false".equals(System.getProperty(ONLINE));
        String name = "attention_output_" + (p.dtype() == DType.F16 ? "f16" : "bf16") + "_e" + e;
        String kernel = System.getProperty(KERNEL, "ws");
        if (hopper && e <= 128 && kernel.equals("ws")) {
            int blocks = persistentBlocks(p, multiprocessors);
            if (p.queries() > 64) return specialized(name + "_ws", LaunchPlan.ceilDiv(p.queries(), QUERY_TILE), bh, specializedSmem(QUERY_TILE, e, false), ldv, online, blocks);
            // few query rows (decoding): the 128-row kernel would compute half its rows for
            // nothing. Where the (batch, head) pairs fill the multiprocessors, 64-row blocks whose
            // consumer warpgroups take alternate key tiles (attend_lab, H200: 16,32,64,16384 1.27 ms
            // against mma.sync's 1.44 and the 128-row kernel's 2.18); else mma.sync with key slices
            String decode = System.getProperty(DECODE, "");
            if (decode.equals("wsk") || (!decode.equals("mma") && bh >= multiprocessors))
                return specialized(name + "_wsk", LaunchPlan.ceilDiv(p.queries(), 64), bh, specializedSmem(64, e, true), ldv, online, blocks);
        }
        if (hopper && e <= 128 && kernel.equals("wg")) return pipelined(name, p.queries(), bh, e, ldv, online);
        // OutputTiles<E>::smem(): Q tile, two stages of K and V, 1 KB for alignment
        int keyTile = e <= 128 ? 64 : 32;
        long blocks = LaunchPlan.ceilDiv(p.queries(), 64) * bh;
        // key slices where the blocks would not fill the GPU twice over (2 blocks a multiprocessor):
        // online only (the slices' (max, sum) are folded with their O); slices of whole 128-key tiles
        int splits = 1, keysPerSplit = 0;
        if (online && blocks < 2L * multiprocessors && p.keys() > 128) {
            long want = Math.min(LaunchPlan.ceilDiv(2L * multiprocessors, blocks), LaunchPlan.ceilDiv(p.keys(), 128));
            keysPerSplit = (int) (LaunchPlan.ceilDiv(LaunchPlan.ceilDiv(p.keys(), want), 128) * 128);
            splits = (int) LaunchPlan.ceilDiv(p.keys(), keysPerSplit);
            if (splits < 2) {
                splits = 1;
                keysPerSplit = 0;
            }
        }
        return new OutputPlan(name, LaunchPlan.ceilDiv(p.queries(), 64), bh, 128, (64 + 4 * keyTile) * e * 2 + 1024, ldv, online, false, false, 0,
                splits, keysPerSplit);
    }

    /** A TMA kernel, persistent (name + "p", the grid {@code blocks}) where there are more query tiles than that. */
    private static OutputPlan specialized(String name, long tiles, long bh, int smem, int ldv, boolean online, int blocks) {
        boolean persistent = blocks > 0 && tiles * bh > blocks;
        return new OutputPlan(persistent ? name + "p" : name, tiles, bh, 384, smem, ldv, online, true, true, persistent ? blocks : 0, 1, 0);
    }

    /** The combine kernel of key slices (splits > 1). */
    String combineKernel() { return kernel.startsWith("attention_output_f16") ? "attention_output_combine_f16_k" : "attention_output_combine_bf16_k"; }

    /** The persistent kernel's grid, or 0 where it does not apply: F16 only (BF16's second P fragment spills it). */
    private static int persistentBlocks(ReduceProblem p, int multiprocessors) {
        String cap = System.getProperty(PERSISTENT, "");
        if (cap.equals("false") || p.dtype() != DType.F16) return 0;
        return cap.isEmpty() ? multiprocessors : Math.min(multiprocessors, Integer.parseInt(cap));
    }

    /**
     * SpecializedOutputTiles&lt;E, 128, 2, VS, KSPLIT&gt;::smem(): Q tile, the K and V stages of 128
     * keys, KSPLIT's merge area (a warpgroup's O, m and l in F32), the barriers and the item, 1 KB for alignment.
     */
    private static int specializedSmem(int rows, int e, boolean keySplit) {
        int vs = keySplit ? SPLIT_VALUE_STAGES : VALUE_STAGES, barriers = 2 + 2 * KEY_STAGES + 2 * vs;
        return (rows + (KEY_STAGES + vs) * KEY_TILE) * e * 2 + (keySplit ? (e / 2 + 4) * 128 * 4 : 0) + barriers * 8 + 8 + 1024;
    }

    /** Query rows a block (and a TMA box of Q) of the specialised kernels. */
    int queryTile() { return kernel.endsWith("_wsk") || kernel.endsWith("_wskp") ? 64 : QUERY_TILE; }

    /** The launch grid. */
    long gridX() { return persistentBlocks > 0 ? persistentBlocks : blocksX; }

    long gridY() { return persistentBlocks > 0 ? 1 : blocksY; }

    long gridZ() { return splits; }

    /** The 8-warp kernel of the same pass, where the TMA cannot address the tensors. */
    OutputPlan withoutTma() {
        if (!specialized) return this;
        String name = kernel.substring(0, kernel.lastIndexOf('_'));
        int e = Integer.parseInt(name.substring(name.lastIndexOf("_e") + 2));
        return pipelined(name, blocksX * queryTile(), blocksY, e, valueLd, online);
    }

    // PipelinedOutputTiles<E>::smem(): Q tile of 128 rows, 4 stages of K and V tiles of 64 keys, 1 KB for alignment
    private static OutputPlan pipelined(String name, long queries, long bh, int e, int ldv, boolean online) {
        return new OutputPlan(name + "_wg8", LaunchPlan.ceilDiv(queries, 128), bh, 256, (128 + 4 * 2 * 64) * e * 2 + 1024, ldv, online, true, false, 0, 1, 0);
    }
}
