package org.colreduce.vulkan;

import static org.lwjgl.vulkan.KHRCooperativeMatrix.*;
import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK11.*;

import java.nio.LongBuffer;
import java.util.List;
import java.util.function.Consumer;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.*;

/**
 * One logical device on a chosen physical device: a compute queue, one reusable command buffer
 * with its fence, a descriptor pool reset per call, a timestamp query pool, and the compiled
 * pipelines. The features of the cooperative-matrix path are enabled only where the device has
 * them. Closing destroys every object, then the instance.
 */
final class VulkanDevice implements AutoCloseable {
    final VulkanInstance instance;
    final PhysicalDeviceInfo info;
    final VkPhysicalDevice physical;
    final VkDevice device;
    final VkQueue queue;
    final boolean cooperativeMatrix;
    /** Whether VK_NV_cooperative_matrix2 is enabled (asked for with COLREDUCE_VULKAN_COOPMAT=cm2, and offered). */
    final boolean cooperativeMatrix2;
    /** Whether pipelines capture the driver's statistics (registers, spills), for the benchmark's {@code --stats}. */
    final boolean statistics;
    /** The most bytes one shader binding may cover: maxStorageBufferRange, or less with {@code -Dcolreduce.vulkan.maxBindingBytes} (tests of batch chunks). */
    final long maxBinding;
    final Pipelines pipelines;
    private final long commandPool, fence, descriptorPool, queryPool;
    private final VkCommandBuffer commands;
    private final VkPhysicalDeviceMemoryProperties memory;

    /** Opens the device chosen by {@link VulkanBackend#choose}, with validation when asked for. */
    static VulkanDevice open(boolean validation, boolean cm2) {
        VulkanInstance instance = new VulkanInstance(validation);
        try {
            List<VkPhysicalDevice> pds = instance.physicalDevices();
            List<PhysicalDeviceInfo> infos = instance.describeAll();
            PhysicalDeviceInfo chosen = VulkanBackend.choose(infos);
            return new VulkanDevice(instance, pds.get(chosen.index()), chosen, cm2);
        } catch (RuntimeException | Error e) {
            instance.close();
            throw e;
        }
    }

    private VulkanDevice(VulkanInstance instance, VkPhysicalDevice physical, PhysicalDeviceInfo info, boolean cm2) {
        this.instance = instance;
        this.info = info;
        this.physical = physical;
        this.cooperativeMatrix = info.cooperativeMatrix();
        this.cooperativeMatrix2 = cm2 && info.cooperativeMatrix2();
        this.statistics = Boolean.getBoolean("colreduce.vulkan.statistics") && info.pipelineStatistics();
        this.maxBinding = Math.min(info.maxStorageBufferRange(), Long.getLong("colreduce.vulkan.maxBindingBytes", Long.MAX_VALUE));
        try (MemoryStack st = MemoryStack.stackPush()) {
            VkDeviceQueueCreateInfo.Buffer qci = VkDeviceQueueCreateInfo.calloc(1, st).sType$Default()
                    .queueFamilyIndex(info.computeQueueFamily()).pQueuePriorities(st.floats(1f));
            VkDeviceCreateInfo dci = VkDeviceCreateInfo.calloc(st).sType$Default().pQueueCreateInfos(qci);
            java.util.List<String> extensions = new java.util.ArrayList<>();
            long chain = 0;
            if (cooperativeMatrix) {
                var coop = VkPhysicalDeviceCooperativeMatrixFeaturesKHR.calloc(st).sType$Default().cooperativeMatrix(true);
                var f12 = VkPhysicalDeviceVulkan12Features.calloc(st).sType$Default().shaderFloat16(true).vulkanMemoryModel(true);
                var f11 = VkPhysicalDeviceVulkan11Features.calloc(st).sType$Default().storageBuffer16BitAccess(true);
                f12.pNext(coop.address());
                f11.pNext(f12.address());
                chain = f11.address();
                extensions.add(VK_KHR_COOPERATIVE_MATRIX_EXTENSION_NAME);
                if (cooperativeMatrix2) {
                    // conversions (accumulator → operand, used by the RONES row sums) where offered
                    var offered = VkPhysicalDeviceCooperativeMatrix2FeaturesNV.calloc(st).sType$Default();
                    vkGetPhysicalDeviceFeatures2(physical, VkPhysicalDeviceFeatures2.calloc(st).sType$Default().pNext(offered.address()));
                    var c2 = VkPhysicalDeviceCooperativeMatrix2FeaturesNV.calloc(st).sType$Default()
                            .cooperativeMatrixWorkgroupScope(true).cooperativeMatrixFlexibleDimensions(true).cooperativeMatrixReductions(true)
                            .cooperativeMatrixPerElementOperations(true).cooperativeMatrixTensorAddressing(true)
                            .cooperativeMatrixConversions(offered.cooperativeMatrixConversions());
                    coop.pNext(c2.address());
                    extensions.add(NVCooperativeMatrix2.VK_NV_COOPERATIVE_MATRIX_2_EXTENSION_NAME);
                }
            }
            if (statistics) {
                var stats = VkPhysicalDevicePipelineExecutablePropertiesFeaturesKHR.calloc(st).sType$Default().pipelineExecutableInfo(true);
                stats.pNext(chain);
                chain = stats.address();
                extensions.add(KHRPipelineExecutableProperties.VK_KHR_PIPELINE_EXECUTABLE_PROPERTIES_EXTENSION_NAME);
            }
            dci.pNext(chain);
            if (!extensions.isEmpty()) {
                PointerBuffer names = st.mallocPointer(extensions.size());
                for (String e : extensions) names.put(st.UTF8(e));
                dci.ppEnabledExtensionNames(names.flip());
            }
            PointerBuffer pp = st.mallocPointer(1);
            check(vkCreateDevice(physical, dci, null, pp), "vkCreateDevice");
            device = new VkDevice(pp.get(0), physical, dci, instance.apiVersion);
            vkGetDeviceQueue(device, info.computeQueueFamily(), 0, pp);
            queue = new VkQueue(pp.get(0), device);

            LongBuffer lp = st.mallocLong(1);
            check(vkCreateCommandPool(device, VkCommandPoolCreateInfo.calloc(st).sType$Default()
                    .flags(VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT).queueFamilyIndex(info.computeQueueFamily()), null, lp), "vkCreateCommandPool");
            commandPool = lp.get(0);
            check(vkAllocateCommandBuffers(device, VkCommandBufferAllocateInfo.calloc(st).sType$Default()
                    .commandPool(commandPool).level(VK_COMMAND_BUFFER_LEVEL_PRIMARY).commandBufferCount(1), pp), "vkAllocateCommandBuffers");
            commands = new VkCommandBuffer(pp.get(0), device);
            check(vkCreateFence(device, VkFenceCreateInfo.calloc(st).sType$Default(), null, lp), "vkCreateFence");
            fence = lp.get(0);
            VkDescriptorPoolSize.Buffer sizes = VkDescriptorPoolSize.calloc(1, st).type(VK_DESCRIPTOR_TYPE_STORAGE_BUFFER).descriptorCount(8192);
            check(vkCreateDescriptorPool(device, VkDescriptorPoolCreateInfo.calloc(st).sType$Default().maxSets(2048).pPoolSizes(sizes), null, lp), "vkCreateDescriptorPool");
            descriptorPool = lp.get(0);
            check(vkCreateQueryPool(device, VkQueryPoolCreateInfo.calloc(st).sType$Default().queryType(VK_QUERY_TYPE_TIMESTAMP).queryCount(3), null, lp), "vkCreateQueryPool");
            queryPool = lp.get(0);
            memory = VkPhysicalDeviceMemoryProperties.malloc();
            vkGetPhysicalDeviceMemoryProperties(physical, memory);
        }
        pipelines = new Pipelines(this);
    }

    private boolean marked;
    private long lastMarkNanos = -1;

    /** Inside a {@link #submit} body: a timestamp once everything recorded so far has finished (the first call only). */
    void mark(VkCommandBuffer cb) {
        if (info.timestampBits() > 0 && !marked) vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queryPool, 2);
        marked = true;
    }

    /** GPU nanoseconds from the start of the last submission to its {@link #mark} (its end where it had none). */
    long lastMarkNanos() { return lastMarkNanos; }

    /** Records a command buffer with {@code body}, submits it and waits. Returns the GPU nanoseconds between the timestamps (−1 where the queue has none). */
    long submit(Consumer<VkCommandBuffer> body) {
        try (MemoryStack st = MemoryStack.stackPush()) {
            check(vkResetDescriptorPool(device, descriptorPool, 0), "vkResetDescriptorPool");
            check(vkBeginCommandBuffer(commands, VkCommandBufferBeginInfo.calloc(st).sType$Default()
                    .flags(VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT)), "vkBeginCommandBuffer");
            boolean timed = info.timestampBits() > 0;
            if (timed) {
                vkCmdResetQueryPool(commands, queryPool, 0, 3);
                vkCmdWriteTimestamp(commands, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, queryPool, 0);
            }
            marked = false;
            body.accept(commands);
            if (timed) {
                if (!marked) vkCmdWriteTimestamp(commands, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queryPool, 2);
                vkCmdWriteTimestamp(commands, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queryPool, 1);
            }
            check(vkEndCommandBuffer(commands), "vkEndCommandBuffer");
            VkSubmitInfo si = VkSubmitInfo.calloc(st).sType$Default().pCommandBuffers(st.pointers(commands));
            check(vkQueueSubmit(queue, si, fence), "vkQueueSubmit");
            int rc = vkWaitForFences(device, fence, true, -1L);
            vkResetFences(device, fence);
            check(rc, "vkWaitForFences");
            vkResetCommandBuffer(commands, 0);
            if (!timed) return -1;
            LongBuffer ts = st.mallocLong(3);
            check(vkGetQueryPoolResults(device, queryPool, 0, 3, ts, 8, VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT), "vkGetQueryPoolResults");
            long mask = info.timestampBits() >= 64 ? -1L : (1L << info.timestampBits()) - 1;
            lastMarkNanos = (long) (((ts.get(2) - ts.get(0)) & mask) * (double) info.timestampPeriod());
            return (long) (((ts.get(1) - ts.get(0)) & mask) * (double) info.timestampPeriod());
        }
    }

    /** A descriptor set for {@code pipeline} whose binding i is the whole of {@code buffers[i]}. */
    long descriptorSet(Pipelines.Pipeline pipeline, GpuBuffer... buffers) {
        GpuBuffer.Range[] ranges = new GpuBuffer.Range[buffers.length];
        for (int i = 0; i < buffers.length; i++) ranges[i] = buffers[i].whole();
        return descriptorSet(pipeline, ranges);
    }

    /** A descriptor set for {@code pipeline} whose binding i is {@code ranges[i]}. */
    long descriptorSet(Pipelines.Pipeline pipeline, GpuBuffer.Range... buffers) {
        try (MemoryStack st = MemoryStack.stackPush()) {
            LongBuffer lp = st.mallocLong(1);
            check(vkAllocateDescriptorSets(device, VkDescriptorSetAllocateInfo.calloc(st).sType$Default()
                    .descriptorPool(descriptorPool).pSetLayouts(st.longs(pipeline.setLayout())), lp), "vkAllocateDescriptorSets");
            long set = lp.get(0);
            VkWriteDescriptorSet.Buffer writes = VkWriteDescriptorSet.calloc(buffers.length, st);
            for (int i = 0; i < buffers.length; i++) {
                VkDescriptorBufferInfo.Buffer bi = VkDescriptorBufferInfo.calloc(1, st).buffer(buffers[i].buffer().handle)
                        .offset(buffers[i].offset()).range(buffers[i].bytes());
                writes.get(i).sType$Default().dstSet(set).dstBinding(i).descriptorCount(1).descriptorType(VK_DESCRIPTOR_TYPE_STORAGE_BUFFER).pBufferInfo(bi);
            }
            vkUpdateDescriptorSets(device, writes, null);
            return set;
        }
    }

    /** A buffer usable as storage and as a copy source and destination; host-visible (mapped) or device-local. */
    GpuBuffer buffer(long bytes, boolean hostVisible) {
        long size = Math.max(16, (bytes + 15) & ~15L);
        try (MemoryStack st = MemoryStack.stackPush()) {
            LongBuffer lp = st.mallocLong(1);
            check(vkCreateBuffer(device, VkBufferCreateInfo.calloc(st).sType$Default().size(size)
                    .usage(VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT)
                    .sharingMode(VK_SHARING_MODE_EXCLUSIVE), null, lp), "vkCreateBuffer");
            long buf = lp.get(0);
            VkMemoryRequirements req = VkMemoryRequirements.malloc(st);
            vkGetBufferMemoryRequirements(device, buf, req);
            int want = hostVisible ? VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT : VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
            int type = memoryType(req.memoryTypeBits(), want | (hostVisible ? VK_MEMORY_PROPERTY_HOST_CACHED_BIT : 0));
            if (type < 0) type = memoryType(req.memoryTypeBits(), want);
            if (type < 0) { vkDestroyBuffer(device, buf, null); throw new IllegalStateException("no memory type with flags " + want); }
            int rc = vkAllocateMemory(device, VkMemoryAllocateInfo.calloc(st).sType$Default().allocationSize(req.size()).memoryTypeIndex(type), null, lp);
            if (rc != VK_SUCCESS) {
                vkDestroyBuffer(device, buf, null);
                throw new IllegalStateException((rc == VK_ERROR_OUT_OF_DEVICE_MEMORY || rc == VK_ERROR_OUT_OF_HOST_MEMORY ? "out of memory: " : "")
                        + "vkAllocateMemory of " + req.size() + " bytes (" + (hostVisible ? "host-visible" : "device-local") + ") failed: " + result(rc)
                        + "; device-local heap " + info.deviceLocalBytes() + " bytes");
            }
            long mem = lp.get(0);
            check(vkBindBufferMemory(device, buf, mem, 0), "vkBindBufferMemory");
            long mapped = 0;
            if (hostVisible) {
                PointerBuffer pp = st.mallocPointer(1);
                check(vkMapMemory(device, mem, 0, VK_WHOLE_SIZE, 0, pp), "vkMapMemory");
                mapped = pp.get(0);
            }
            return new GpuBuffer(this, buf, mem, size, mapped);
        }
    }

    private int memoryType(int bits, int flags) {
        for (int i = 0; i < memory.memoryTypeCount(); i++)
            if ((bits & (1 << i)) != 0 && (memory.memoryTypes(i).propertyFlags() & flags) == flags) return i;
        return -1;
    }

    /** Makes earlier transfer and shader writes visible to later transfers and shaders. */
    static void barrier(VkCommandBuffer cb) {
        try (MemoryStack st = MemoryStack.stackPush()) {
            VkMemoryBarrier.Buffer mb = VkMemoryBarrier.calloc(1, st).sType$Default()
                    .srcAccessMask(VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT)
                    .dstAccessMask(VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT);
            int stages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
            vkCmdPipelineBarrier(cb, stages, stages, 0, mb, null, null);
        }
    }

    static void check(int rc, String what) {
        if (rc != VK_SUCCESS) throw new IllegalStateException(what + " failed: " + result(rc));
    }

    static String result(int rc) {
        return switch (rc) {
            case VK_ERROR_OUT_OF_HOST_MEMORY -> "VK_ERROR_OUT_OF_HOST_MEMORY";
            case VK_ERROR_OUT_OF_DEVICE_MEMORY -> "VK_ERROR_OUT_OF_DEVICE_MEMORY";
            case VK_ERROR_INITIALIZATION_FAILED -> "VK_ERROR_INITIALIZATION_FAILED";
            case VK_ERROR_DEVICE_LOST -> "VK_ERROR_DEVICE_LOST";
            case VK_ERROR_LAYER_NOT_PRESENT -> "VK_ERROR_LAYER_NOT_PRESENT";
            case VK_ERROR_EXTENSION_NOT_PRESENT -> "VK_ERROR_EXTENSION_NOT_PRESENT";
            case VK_ERROR_FEATURE_NOT_PRESENT -> "VK_ERROR_FEATURE_NOT_PRESENT";
            case VK_ERROR_INCOMPATIBLE_DRIVER -> "VK_ERROR_INCOMPATIBLE_DRIVER (no usable Vulkan driver/ICD)";
            default -> "VkResult " + rc;
        };
    }

    @Override
    public void close() {
        vkDeviceWaitIdle(device);
        pipelines.close();
        vkDestroyQueryPool(device, queryPool, null);
        vkDestroyDescriptorPool(device, descriptorPool, null);
        vkDestroyFence(device, fence, null);
        vkDestroyCommandPool(device, commandPool, null);
        vkDestroyDevice(device, null);
        memory.free();
        instance.close();
    }
}
