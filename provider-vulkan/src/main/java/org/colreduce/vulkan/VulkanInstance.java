package org.colreduce.vulkan;

import static org.lwjgl.vulkan.EXTDebugUtils.*;
import static org.lwjgl.vulkan.VK10.*;

import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.List;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.VK;
import org.lwjgl.vulkan.VkApplicationInfo;
import org.lwjgl.vulkan.VkDebugUtilsMessengerCallbackDataEXT;
import org.lwjgl.vulkan.VkDebugUtilsMessengerCallbackEXT;
import org.lwjgl.vulkan.VkDebugUtilsMessengerCreateInfoEXT;
import org.lwjgl.vulkan.VkExtensionProperties;
import org.lwjgl.vulkan.VkInstance;
import org.lwjgl.vulkan.VkInstanceCreateInfo;
import org.lwjgl.vulkan.VkLayerProperties;
import org.lwjgl.vulkan.VkPhysicalDevice;

/**
 * A Vulkan instance, with the Khronos validation layer and a recording debug messenger when
 * validation is asked for and installed. Closing destroys the messenger and the instance: the
 * NVIDIA driver crashed the JVM at exit when an instance was left alive.
 */
final class VulkanInstance implements AutoCloseable {
    static final String VALIDATION_LAYER = "VK_LAYER_KHRONOS_validation";

    final VkInstance handle;
    final int apiVersion;
    private long messenger = VK_NULL_HANDLE;
    private VkDebugUtilsMessengerCallbackEXT callback;

    VulkanInstance(boolean validation) {
        int loader = VK.getInstanceVersionSupported();   // throws when there is no Vulkan loader
        apiVersion = Integer.compareUnsigned(loader, org.lwjgl.vulkan.VK13.VK_API_VERSION_1_3) >= 0
                ? org.lwjgl.vulkan.VK13.VK_API_VERSION_1_3 : loader;
        try (MemoryStack st = MemoryStack.stackPush()) {
            boolean layer = validation && hasLayer(st, VALIDATION_LAYER) && hasExtension(st, VK_EXT_DEBUG_UTILS_EXTENSION_NAME, VALIDATION_LAYER);
            VkApplicationInfo app = VkApplicationInfo.calloc(st).sType$Default()
                    .pApplicationName(st.UTF8("colreduce")).pEngineName(st.UTF8("colreduce")).apiVersion(apiVersion);
            VkInstanceCreateInfo ci = VkInstanceCreateInfo.calloc(st).sType$Default().pApplicationInfo(app);
            VkDebugUtilsMessengerCreateInfoEXT dci = null;
            if (layer) {
                ci.ppEnabledLayerNames(st.pointers(st.UTF8(VALIDATION_LAYER)));
                ci.ppEnabledExtensionNames(st.pointers(st.UTF8(VK_EXT_DEBUG_UTILS_EXTENSION_NAME)));
                callback = VkDebugUtilsMessengerCallbackEXT.create((severity, types, data, user) -> {
                    VkDebugUtilsMessengerCallbackDataEXT d = VkDebugUtilsMessengerCallbackDataEXT.create(data);
                    ValidationLog.record(d.pMessageString());
                    return VK_FALSE;
                });
                dci = VkDebugUtilsMessengerCreateInfoEXT.calloc(st).sType$Default()
                        .messageSeverity(VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT)
                        .messageType(VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT
                                | VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT)
                        .pfnUserCallback(callback);
                ci.pNext(dci.address());   // also reports on vkCreateInstance/vkDestroyInstance
            }
            PointerBuffer pp = st.mallocPointer(1);
            int rc = vkCreateInstance(ci, null, pp);
            if (rc != VK_SUCCESS) {
                if (callback != null) callback.free();
                throw new IllegalStateException("vkCreateInstance failed: " + VulkanDevice.result(rc));
            }
            handle = new VkInstance(pp.get(0), ci);
            if (layer) {
                var lp = st.mallocLong(1);
                VulkanDevice.check(vkCreateDebugUtilsMessengerEXT(handle, dci, null, lp), "vkCreateDebugUtilsMessengerEXT");
                messenger = lp.get(0);
                ValidationLog.layerEnabled();
            }
        }
    }

    List<VkPhysicalDevice> physicalDevices() {
        try (MemoryStack st = MemoryStack.stackPush()) {
            IntBuffer n = st.mallocInt(1);
            VulkanDevice.check(vkEnumeratePhysicalDevices(handle, n, null), "vkEnumeratePhysicalDevices");
            PointerBuffer all = st.mallocPointer(n.get(0));
            VulkanDevice.check(vkEnumeratePhysicalDevices(handle, n, all), "vkEnumeratePhysicalDevices");
            List<VkPhysicalDevice> list = new ArrayList<>();
            for (int i = 0; i < n.get(0); i++) list.add(new VkPhysicalDevice(all.get(i), handle));
            return list;
        }
    }

    List<PhysicalDeviceInfo> describeAll() {
        List<VkPhysicalDevice> pds = physicalDevices();
        List<PhysicalDeviceInfo> infos = new ArrayList<>();
        for (int i = 0; i < pds.size(); i++) infos.add(PhysicalDeviceInfo.query(pds.get(i), i));
        return infos;
    }

    private static boolean hasLayer(MemoryStack st, String name) {
        IntBuffer n = st.mallocInt(1);
        vkEnumerateInstanceLayerProperties(n, null);
        try (VkLayerProperties.Buffer all = VkLayerProperties.malloc(n.get(0))) {   // heap: see PhysicalDeviceInfo.extensions
            vkEnumerateInstanceLayerProperties(n, all);
            for (int i = 0; i < all.capacity(); i++) if (all.get(i).layerNameString().equals(name)) return true;
            return false;
        }
    }

    private static boolean hasExtension(MemoryStack st, String ext, String layer) {
        IntBuffer n = st.mallocInt(1);
        vkEnumerateInstanceExtensionProperties(layer, n, null);
        try (VkExtensionProperties.Buffer all = VkExtensionProperties.malloc(n.get(0))) {   // heap: see PhysicalDeviceInfo.extensions
            vkEnumerateInstanceExtensionProperties(layer, n, all);
            for (int i = 0; i < all.capacity(); i++) if (all.get(i).extensionNameString().equals(ext)) return true;
            return false;
        }
    }

    @Override
    public void close() {
        if (messenger != VK_NULL_HANDLE) {
            vkDestroyDebugUtilsMessengerEXT(handle, messenger, null);
            messenger = VK_NULL_HANDLE;
        }
        vkDestroyInstance(handle, null);
        if (callback != null) {
            callback.free();
            callback = null;
        }
    }
}
