package org.colreduce.vulkan;

import static org.lwjgl.util.shaderc.Shaderc.*;
import static org.lwjgl.vulkan.VK10.*;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.vulkan.*;

/**
 * Compute pipelines of one device, made at first use: the GLSL resource under
 * {@code org/colreduce/vulkan/shaders/} is prefixed with its defines and {@code common.glsl},
 * compiled to SPIR-V by shaderc (cached for the process), and turned into a pipeline (cached per
 * device). A pipeline's descriptor set binds storage buffers 0..bindings−1; all take 64 bytes of
 * push constants.
 */
final class Pipelines implements AutoCloseable {
    static final int PUSH_BYTES = 64;
    private static final Map<String, byte[]> SPIRV = new ConcurrentHashMap<>();

    record Pipeline(long pipeline, long layout, long setLayout) {}

    private final VulkanDevice owner;
    private final Map<String, Pipeline> cache = new HashMap<>();
    private final Map<String, String> statistics = new java.util.TreeMap<>();

    Pipelines(VulkanDevice owner) { this.owner = owner; }

    /**
     * The pipeline of shader {@code name} (a resource without ".comp") with the given preamble of
     * defines and extensions; {@code vulkan13} compiles for Vulkan 1.3 (cooperative matrices).
     */
    Pipeline get(String name, String preamble, int bindings, boolean vulkan13) {
        String key = name + "\n" + preamble + "\n" + vulkan13;
        Pipeline p = cache.get(key);
        if (p == null) {
            byte[] spirv = SPIRV.computeIfAbsent(key, k -> compile(name, preamble, vulkan13));
            // the statistics' label: the shader and its defines (element type, head dimension, tile shape)
            String label = name + " " + String.join(" ", preamble.lines().filter(l -> l.startsWith("#define ") && !l.equals("#define COOPMAT"))
                    .map(l -> l.substring(8).replace(' ', '=')).toList());
            p = create(label, spirv, bindings);
            cache.put(key, p);
        }
        return p;
    }

    static String resource(String file) {
        try (InputStream in = Pipelines.class.getResourceAsStream("shaders/" + file)) {
            if (in == null) throw new IllegalStateException("shader resource shaders/" + file + " is missing");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] compile(String name, String preamble, boolean vulkan13) {
        String source = "#version 460\n" + preamble + "\n" + resource("common.glsl") + "\n#line 1\n" + resource(name + ".comp");
        long compiler = shaderc_compiler_initialize();
        long options = shaderc_compile_options_initialize();
        try {
            if (compiler == 0 || options == 0) throw new IllegalStateException("shaderc could not be initialised");
            shaderc_compile_options_set_target_env(options, shaderc_target_env_vulkan,
                    vulkan13 ? shaderc_env_version_vulkan_1_3 : shaderc_env_version_vulkan_1_1);
            shaderc_compile_options_set_optimization_level(options, shaderc_optimization_level_performance);
            long result = shaderc_compile_into_spv(compiler, source, shaderc_compute_shader, name + ".comp", "main", options);
            try {
                if (result == 0) throw new IllegalStateException("shaderc returned no result for " + name);
                if (shaderc_result_get_compilation_status(result) != shaderc_compilation_status_success)
                    throw new IllegalStateException("shaderc failed on " + name + ".comp: " + shaderc_result_get_error_message(result)
                            + "\npreamble:\n" + preamble);
                ByteBuffer bytes = shaderc_result_get_bytes(result);
                byte[] out = new byte[bytes.remaining()];
                bytes.get(out);
                return out;
            } finally {
                if (result != 0) shaderc_result_release(result);
            }
        } finally {
            if (options != 0) shaderc_compile_options_release(options);
            if (compiler != 0) shaderc_compiler_release(compiler);
        }
    }

    /** The driver's statistics of every pipeline made so far (with {@code -Dcolreduce.vulkan.statistics=true}). */
    Map<String, String> statistics() { return Map.copyOf(statistics); }

    private String statistics(long pipeline) {
        try (MemoryStack st = MemoryStack.stackPush()) {
            VkPipelineExecutableInfoKHR info = VkPipelineExecutableInfoKHR.calloc(st).sType$Default().pipeline(pipeline).executableIndex(0);
            var n = st.mallocInt(1);
            KHRPipelineExecutableProperties.vkGetPipelineExecutableStatisticsKHR(owner.device, info, n, null);
            VkPipelineExecutableStatisticKHR.Buffer all = VkPipelineExecutableStatisticKHR.calloc(n.get(0), st);
            for (int i = 0; i < all.capacity(); i++) all.get(i).sType$Default();
            KHRPipelineExecutableProperties.vkGetPipelineExecutableStatisticsKHR(owner.device, info, n, all);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < all.capacity(); i++) {
                VkPipelineExecutableStatisticKHR x = all.get(i);
                String value = switch (x.format()) {
                    case KHRPipelineExecutableProperties.VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_BOOL32_KHR -> String.valueOf(x.value().b32());
                    case KHRPipelineExecutableProperties.VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_INT64_KHR -> String.valueOf(x.value().i64());
                    case KHRPipelineExecutableProperties.VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_UINT64_KHR -> Long.toUnsignedString(x.value().u64());
                    default -> String.valueOf(x.value().f64());
                };
                sb.append(sb.isEmpty() ? "" : ", ").append(x.nameString()).append('=').append(value);
            }
            return sb.toString();
        }
    }

    private Pipeline create(String name, byte[] spirv, int bindings) {
        VkDevice device = owner.device;
        ByteBuffer code = MemoryUtil.memAlloc(spirv.length);
        try (MemoryStack st = MemoryStack.stackPush()) {
            code.put(spirv).flip();
            LongBuffer lp = st.mallocLong(1);
            VulkanDevice.check(vkCreateShaderModule(device, VkShaderModuleCreateInfo.calloc(st).sType$Default().pCode(code), null, lp), "vkCreateShaderModule");
            long module = lp.get(0);
            VkDescriptorSetLayoutBinding.Buffer b = VkDescriptorSetLayoutBinding.calloc(bindings, st);
            for (int i = 0; i < bindings; i++)
                b.get(i).binding(i).descriptorType(VK_DESCRIPTOR_TYPE_STORAGE_BUFFER).descriptorCount(1).stageFlags(VK_SHADER_STAGE_COMPUTE_BIT);
            VulkanDevice.check(vkCreateDescriptorSetLayout(device, VkDescriptorSetLayoutCreateInfo.calloc(st).sType$Default().pBindings(b), null, lp), "vkCreateDescriptorSetLayout");
            long setLayout = lp.get(0);
            VkPushConstantRange.Buffer push = VkPushConstantRange.calloc(1, st).stageFlags(VK_SHADER_STAGE_COMPUTE_BIT).offset(0).size(PUSH_BYTES);
            VulkanDevice.check(vkCreatePipelineLayout(device, VkPipelineLayoutCreateInfo.calloc(st).sType$Default()
                    .pSetLayouts(st.longs(setLayout)).pPushConstantRanges(push), null, lp), "vkCreatePipelineLayout");
            long layout = lp.get(0);
            VkComputePipelineCreateInfo.Buffer ci = VkComputePipelineCreateInfo.calloc(1, st).sType$Default().layout(layout);
            ci.stage().sType$Default().stage(VK_SHADER_STAGE_COMPUTE_BIT).module(module).pName(st.UTF8("main"));
            if (owner.statistics) ci.flags(KHRPipelineExecutableProperties.VK_PIPELINE_CREATE_CAPTURE_STATISTICS_BIT_KHR);
            int rc = vkCreateComputePipelines(device, VK_NULL_HANDLE, ci, null, lp);
            vkDestroyShaderModule(device, module, null);
            VulkanDevice.check(rc, "vkCreateComputePipelines");
            if (owner.statistics) statistics.put(name, statistics(lp.get(0)));
            return new Pipeline(lp.get(0), layout, setLayout);
        } finally {
            MemoryUtil.memFree(code);
        }
    }

    @Override
    public void close() {
        for (Pipeline p : cache.values()) {
            vkDestroyPipeline(owner.device, p.pipeline(), null);
            vkDestroyPipelineLayout(owner.device, p.layout(), null);
            vkDestroyDescriptorSetLayout(owner.device, p.setLayout(), null);
        }
        cache.clear();
    }
}
