package org.colreduce.vulkan;

import org.colreduce.spi.ReduceProblem;

/**
 * How the batches of a call are split so that each chunk's Q and K fit one shader binding
 * (maxStorageBufferRange, 4 GiB on NVIDIA): chunks of {@code size} batches, the last of
 * {@code last}. Chunks are bound at offsets, so a batch's bytes must be a multiple of the
 * device's binding alignment.
 */
record BatchChunks(int size, int count, int last, long qPerBatch, long kPerBatch) {

    static BatchChunks of(ReduceProblem p, long slack, VulkanDevice device, boolean attend) {
        int b = p.batch();
        long es = p.dtype().byteSize(), align = device.info.storageOffsetAlignment(), limit = device.maxBinding;
        long qPerBatch = (long) p.queryHeads() * p.queries() * p.headDim() * es, kPerBatch = (long) p.kvHeads() * p.keys() * p.headDim() * es;
        int size = b;
        if (qPerBatch * b + slack > limit || kPerBatch * b + slack > limit) {
            long fit = Math.min((limit - slack) / qPerBatch, (limit - slack) / kPerBatch);
            if (attend || fit < 1 || qPerBatch % align != 0 || kPerBatch % align != 0)
                throw new IllegalArgumentException("q (" + qPerBatch * b + " bytes) or k (" + kPerBatch * b + " bytes) exceeds the "
                        + limit + " bytes one Vulkan binding may cover on " + device.info.name()
                        + (attend ? "; attend does not split batches" : fit < 1 ? " even for one batch"
                        : "; a batch's bytes are not a multiple of the binding alignment " + align));
            size = (int) Math.min(b, fit);
        }
        int count = (b + size - 1) / size;
        return new BatchChunks(size, count, b - (count - 1) * size, qPerBatch, kPerBatch);
    }
}
