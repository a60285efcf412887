package org.colreduce.vulkan;

import static org.lwjgl.vulkan.KHRCooperativeMatrix.*;
import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK11.*;

import java.nio.IntBuffer;
import java.util.HashSet;
import java.util.Set;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.VkCooperativeMatrixPropertiesKHR;
import org.lwjgl.vulkan.VkExtensionProperties;
import org.lwjgl.vulkan.VkPhysicalDevice;
import org.lwjgl.vulkan.VkPhysicalDeviceDriverProperties;
import org.lwjgl.vulkan.VkPhysicalDeviceFeatures2;
import org.lwjgl.vulkan.VkPhysicalDeviceMemoryProperties;
import org.lwjgl.vulkan.VkPhysicalDeviceProperties2;
import org.lwjgl.vulkan.VkPhysicalDeviceSubgroupProperties;
import org.lwjgl.vulkan.VkPhysicalDeviceVulkan11Features;
import org.lwjgl.vulkan.VkPhysicalDeviceVulkan12Features;
import org.lwjgl.vulkan.VkQueueFamilyProperties;

/**
 * What colreduce needs to know of one physical device: its name and driver, whether it is a CPU
 * implementation (lavapipe), its limits, and whether the cooperative-matrix path can run on it
 * (VK_KHR_cooperative_matrix with a 16×16×16 F16→F32 subgroup shape, 16-bit storage, F16
 * arithmetic and the Vulkan memory model).
 */
record PhysicalDeviceInfo(
        int index, String name, int type, String driverName, String driverInfo, int apiVersion,
        int computeQueueFamily, int timestampBits, float timestampPeriod,
        int subgroupSize, long maxStorageBufferRange, long storageOffsetAlignment, long maxSharedMemory, long deviceLocalBytes,
        boolean cooperativeMatrix, boolean cooperativeMatrix2, boolean pipelineStatistics) {

    static final int MIN_API = VK_API_VERSION_1_1;

    boolean isCpu() { return type == VK_PHYSICAL_DEVICE_TYPE_CPU; }

    boolean usable() { return computeQueueFamily >= 0 && Integer.compareUnsigned(apiVersion, MIN_API) >= 0; }

    /** Discrete GPUs first, then integrated, virtual, other, CPU implementations last. */
    int preference() {
        return switch (type) {
            case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU -> 0;
            case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU -> 1;
            case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU -> 2;
            case VK_PHYSICAL_DEVICE_TYPE_OTHER -> 3;
            default -> 4;
        };
    }

    String typeName() {
        return switch (type) {
            case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU -> "discrete GPU";
            case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU -> "integrated GPU";
            case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU -> "virtual GPU";
            case VK_PHYSICAL_DEVICE_TYPE_CPU -> "CPU";
            default -> "other";
        };
    }

    /** The shader path F16 problems with D a multiple of 16 take; everything else is portable. */
    String path() {
        if (!usable()) return "unusable (needs Vulkan 1.1 and a compute queue)";
        return cooperativeMatrix
                ? "cooperative-matrix (" + (cooperativeMatrix2 ? "NV coopmat2 workgroup scope" : "KHR 16x16x16 f16->f32") + ") for F16 with D % 16 == 0, portable otherwise"
                : "portable (shared memory, subgroup size " + subgroupSize + ")";
    }

    String describe() {
        return "#" + index + " " + name + " (" + typeName() + ", driver " + driverName + " " + driverInfo
                + ", Vulkan " + VK_API_VERSION_MAJOR(apiVersion) + "." + VK_API_VERSION_MINOR(apiVersion) + "." + VK_API_VERSION_PATCH(apiVersion)
                + "): " + path();
    }

    static PhysicalDeviceInfo query(VkPhysicalDevice pd, int index) {
        try (MemoryStack st = MemoryStack.stackPush()) {
            VkPhysicalDeviceDriverProperties driver = VkPhysicalDeviceDriverProperties.calloc(st).sType$Default();
            VkPhysicalDeviceSubgroupProperties subgroup = VkPhysicalDeviceSubgroupProperties.calloc(st).sType$Default();
            subgroup.pNext(driver.address());
            VkPhysicalDeviceProperties2 props = VkPhysicalDeviceProperties2.calloc(st).sType$Default();
            props.pNext(subgroup.address());
            vkGetPhysicalDeviceProperties2(pd, props);
            var p = props.properties();

            IntBuffer count = st.mallocInt(1);
            vkGetPhysicalDeviceQueueFamilyProperties(pd, count, null);
            VkQueueFamilyProperties.Buffer families = VkQueueFamilyProperties.calloc(count.get(0), st);
            vkGetPhysicalDeviceQueueFamilyProperties(pd, count, families);
            int family = -1, tsBits = 0;
            for (int i = 0; i < families.capacity(); i++) {
                if ((families.get(i).queueFlags() & VK_QUEUE_COMPUTE_BIT) != 0) {
                    // prefer a family that also does graphics: on most drivers the fastest queue
                    if (family < 0 || (families.get(i).queueFlags() & VK_QUEUE_GRAPHICS_BIT) != 0 && (families.get(family).queueFlags() & VK_QUEUE_GRAPHICS_BIT) == 0) {
                        family = i;
                        tsBits = families.get(i).timestampValidBits();
                    }
                }
            }

            VkPhysicalDeviceMemoryProperties mem = VkPhysicalDeviceMemoryProperties.calloc(st);
            vkGetPhysicalDeviceMemoryProperties(pd, mem);
            long local = 0;
            for (int i = 0; i < mem.memoryHeapCount(); i++)
                if ((mem.memoryHeaps(i).flags() & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) != 0) local = Math.max(local, mem.memoryHeaps(i).size());

            Set<String> ext = extensions(pd, st);
            boolean coop = ext.contains(VK_KHR_COOPERATIVE_MATRIX_EXTENSION_NAME) && coopFeatures(pd, st) && coopShape(pd, st);
            boolean coop2 = coop && ext.contains("VK_NV_cooperative_matrix2") && coop2Features(pd, st);
            return new PhysicalDeviceInfo(index, p.deviceNameString(), p.deviceType(), driver.driverNameString(), driver.driverInfoString(),
                    p.apiVersion(), family, tsBits, p.limits().timestampPeriod(), subgroup.subgroupSize(),
                    Integer.toUnsignedLong(p.limits().maxStorageBufferRange()), Math.max(1, p.limits().minStorageBufferOffsetAlignment()),
                    Integer.toUnsignedLong(p.limits().maxComputeSharedMemorySize()),
                    local, coop, coop2, ext.contains("VK_KHR_pipeline_executable_properties"));
        }
    }

    static Set<String> extensions(VkPhysicalDevice pd, MemoryStack st) {
        IntBuffer n = st.mallocInt(1);
        vkEnumerateDeviceExtensionProperties(pd, (String) null, n, null);
        // on the heap: 260 bytes an extension, and NVIDIA's ~250 extensions came near LWJGL's 64 KiB
        // stack (an H200 machine answered "Out of stack space" here on 2026-11-22)
        try (VkExtensionProperties.Buffer all = VkExtensionProperties.calloc(n.get(0))) {
            vkEnumerateDeviceExtensionProperties(pd, (String) null, n, all);
            Set<String> names = new HashSet<>();
            for (int i = 0; i < all.capacity(); i++) names.add(all.get(i).extensionNameString());
            return names;
        }
    }

    private static boolean coopFeatures(VkPhysicalDevice pd, MemoryStack st) {
        var coop = org.lwjgl.vulkan.VkPhysicalDeviceCooperativeMatrixFeaturesKHR.calloc(st).sType$Default();
        VkPhysicalDeviceVulkan12Features f12 = VkPhysicalDeviceVulkan12Features.calloc(st).sType$Default();
        VkPhysicalDeviceVulkan11Features f11 = VkPhysicalDeviceVulkan11Features.calloc(st).sType$Default();
        f12.pNext(coop.address());
        f11.pNext(f12.address());
        VkPhysicalDeviceFeatures2 f = VkPhysicalDeviceFeatures2.calloc(st).sType$Default();
        f.pNext(f11.address());
        vkGetPhysicalDeviceFeatures2(pd, f);
        return coop.cooperativeMatrix() && f11.storageBuffer16BitAccess() && f12.shaderFloat16() && f12.vulkanMemoryModel();
    }

    /** Workgroup-scope matrices of flexible size, reductions, per-element operations and tensor addressing. */
    private static boolean coop2Features(VkPhysicalDevice pd, MemoryStack st) {
        var c2 = org.lwjgl.vulkan.VkPhysicalDeviceCooperativeMatrix2FeaturesNV.calloc(st).sType$Default();
        VkPhysicalDeviceFeatures2 f = VkPhysicalDeviceFeatures2.calloc(st).sType$Default();
        f.pNext(c2.address());
        vkGetPhysicalDeviceFeatures2(pd, f);
        return c2.cooperativeMatrixWorkgroupScope() && c2.cooperativeMatrixFlexibleDimensions() && c2.cooperativeMatrixReductions()
                && c2.cooperativeMatrixPerElementOperations() && c2.cooperativeMatrixTensorAddressing();
    }

    private static boolean coopShape(VkPhysicalDevice pd, MemoryStack st) {
        IntBuffer n = st.mallocInt(1);
        if (vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR(pd, n, null) != VK_SUCCESS || n.get(0) == 0) return false;
        VkCooperativeMatrixPropertiesKHR.Buffer all = VkCooperativeMatrixPropertiesKHR.calloc(n.get(0), st);
        for (int i = 0; i < all.capacity(); i++) all.get(i).sType$Default();
        vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR(pd, n, all);
        for (int i = 0; i < all.capacity(); i++) {
            VkCooperativeMatrixPropertiesKHR c = all.get(i);
            if (c.MSize() == 16 && c.NSize() == 16 && c.KSize() == 16 && c.AType() == VK_COMPONENT_TYPE_FLOAT16_KHR
                    && c.BType() == VK_COMPONENT_TYPE_FLOAT16_KHR && c.CType() == VK_COMPONENT_TYPE_FLOAT32_KHR
                    && c.ResultType() == VK_COMPONENT_TYPE_FLOAT32_KHR && c.scope() == VK_SCOPE_SUBGROUP_KHR) return true;
        }
        return false;
    }
}
