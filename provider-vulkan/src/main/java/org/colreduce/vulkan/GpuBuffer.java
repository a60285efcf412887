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

    /** The mapped bytes (host-visible buffers only). */
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
