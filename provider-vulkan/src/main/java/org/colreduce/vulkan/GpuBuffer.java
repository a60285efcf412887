package org.colreduce.vulkan;

import static org.lwjgl.vulkan.VK10.*;

import java.lang.foreign.MemorySegment;

/** A VkBuffer with its own memory; host-visible ones stay mapped. */
final class GpuBuffer implements AutoCloseable {
    final VulkanDevice owner;
    final long handle, memory, size, mapped;
    private boolean closed;

    GpuBuffer(VulkanDevice owner, long handle, long memory, long size, long mapped) {
        this.owner = owner;
        this.handle = handle;
        this.memory = memory;
        this.size = size;
        this.mapped = mapped;
    }

    /** A part of a buffer as bound to a shader: {@code bytes} from {@code offset} (VK_WHOLE_SIZE: to the end). */
    record Range(GpuBuffer buffer, long offset, long bytes) {}

    Range whole() { return new Range(this, 0, VK_WHOLE_SIZE); }

    /** Up to {@code bytes} from {@code offset}, cut at the end of the buffer. */
    Range range(long offset, long bytes) { return new Range(this, offset, Math.min(bytes, size - offset)); }

    /** The mapped bytes (host-visible buffers only). */
    @SuppressWarnings("restricted")   // the mapping's address and size come from vkMapMemory
    MemorySegment segment() {
        if (mapped == 0) throw new IllegalStateException("buffer is not host-visible");
        return MemorySegment.ofAddress(mapped).reinterpret(size);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (mapped != 0) vkUnmapMemory(owner.device, memory);
        vkDestroyBuffer(owner.device, handle, null);
        vkFreeMemory(owner.device, memory, null);
    }
}
