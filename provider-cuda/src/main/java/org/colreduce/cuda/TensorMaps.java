package org.colreduce.cuda;

import static org.bytedeco.cuda.global.cudart.*;

import org.bytedeco.cuda.cudart.CUtensorMap;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The TMA tensor maps of the warp-specialised attention output kernel (attention_output_ws.cuh):
 * Q, K and V as 4-d tensors [B][H][rows][ld] of 2-byte elements, read in boxes of 64 columns by
 * a tile of rows, 128-byte swizzled (the shared layout wgmma reads). {@link #params} holds the
 * kernel's five parameters: the problem block, the output block and the three maps.
 */
final class TensorMaps implements AutoCloseable {
    private final CUtensorMap q = new CUtensorMap(), k = new CUtensorMap(), v = new CUtensorMap();
    final PointerPointer<Pointer> params = new PointerPointer<>(5);

    TensorMaps(ProblemBlock problem, OutputBlock output) {
        params.put(0, problem.bytes);
        params.put(1, output.bytes);
        params.put(2, q);
        params.put(3, k);
        params.put(4, v);
    }

    /**
     * Encodes the three maps; false where the TMA cannot address the tensors (an address or row
     * stride not a multiple of 16 bytes, or the driver refuses), and the caller launches the
     * kernel without TMA instead.
     */
    boolean encode(long qAddr, long kAddr, long vAddr, int batch, int queryHeads, int kvHeads, int queries, int keys,
                   int ld, int ldv, int queryTile, int keyTile) {
        return encode(q, qAddr, batch, queryHeads, queries, ld, queryTile)
                && encode(k, kAddr, batch, kvHeads, keys, ld, keyTile)
                && encode(v, vAddr, batch, kvHeads, keys, ldv, keyTile);
    }

    private static boolean encode(CUtensorMap map, long addr, int batch, int heads, int rows, int ld, int boxRows) {
        if (addr % 16 != 0 || (ld * 2L) % 16 != 0 || rows < 1) return false;
        long[] dims = {ld, rows, heads, batch};
        long row = ld * 2L, head = row * rows, all = head * heads;
        if (all >= (1L << 40)) return false;
        long[] strides = {row, head, all};
        int[] box = {64, boxRows, 1, 1}, elementStrides = {1, 1, 1, 1};
        Pointer base = new Pointer() {
            { address = addr; }
        };
        return cuTensorMapEncodeTiled(map, CU_TENSOR_MAP_DATA_TYPE_UINT16, 4, base, dims, strides, box, elementStrides,
                CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
    }

    @Override
    public void close() {
        params.close();
        q.close();
        k.close();
        v.close();
    }
}
