package org.colreduce.vulkan;

import java.util.Arrays;
import org.colreduce.DType;
import org.colreduce.ResidentTensor;

/** A dense row-major tensor in a device-local buffer of one {@link VulkanSession}, kept between calls. */
public final class VulkanResidentTensor implements ResidentTensor {
    final VulkanSession session;
    final GpuBuffer buffer;
    private final DType dtype;
    private final long[] shape;
    private boolean closed;

    VulkanResidentTensor(VulkanSession session, GpuBuffer buffer, DType dtype, long[] shape) {
        this.session = session;
        this.buffer = buffer;
        this.dtype = dtype;
        this.shape = shape.clone();
    }

    @Override public String backend() { return VulkanBackend.NAME; }

    @Override public DType dtype() { return dtype; }

    @Override public long[] shape() { return shape.clone(); }

    @Override public boolean isClosed() { return closed || session.isClosed(); }

    /** Bytes of the values (the buffer is larger: zeroed slack lets tile loads run past the end). */
    long bytes() { return elementCount() * dtype.byteSize(); }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        session.release(this);
    }

    /** Frees the buffer; called by the session (on this tensor's close, or the session's). */
    void free() {
        closed = true;
        buffer.close();
    }

    @Override
    public String toString() { return "VulkanResidentTensor[" + dtype + " " + Arrays.toString(shape) + (closed ? ", closed]" : "]"); }
}
