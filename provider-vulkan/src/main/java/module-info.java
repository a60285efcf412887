/** The Vulkan backend: GLSL compute shaders compiled by shaderc, run through LWJGL's Vulkan bindings. */
module colreduce.provider.vulkan {
    requires transitive colreduce.api;   // exported types (VulkanBackend, VulkanResidentTensor) speak the API's types
    requires org.lwjgl;
    requires org.lwjgl.vulkan;
    requires org.lwjgl.shaderc;
    exports org.colreduce.vulkan;
    provides org.colreduce.spi.ColReduceBackend with org.colreduce.vulkan.VulkanBackend;
}
