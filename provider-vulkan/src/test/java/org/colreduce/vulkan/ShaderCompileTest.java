package org.colreduce.vulkan;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.colreduce.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every shader variant compiles with shaderc (needs no Vulkan device: CI checks the tensor-core shaders too). */
class ShaderCompileTest {
    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16", "BF16"})
    void portableShadersCompile(String type) {
        String pre = VulkanSession.preamble(DType.valueOf(type), 0);
        for (String name : new String[]{"row_statistics", "row_statistics_merge", "column_pass"}) assertTrue(Pipelines.compile(name, pre, false).length > 0, name);
        assertTrue(Pipelines.compile("head_reduce", "#define NO_COMMON\n", false).length > 0);
        assertTrue(Pipelines.compile("random_fill", "#define NO_COMMON\n#define ELEM_" + type + "\n", false).length > 0);
    }

    @ParameterizedTest
    @ValueSource(ints = {16, 128, 256})
    void cooperativeMatrixShadersCompile(int headDim) {
        for (String variant : new String[]{"", "#define LEAN\n"}) {
            String pre = VulkanSession.preamble(DType.F16, headDim) + variant;
            for (String name : new String[]{"row_statistics_coopmat", "column_pass_coopmat"}) assertTrue(Pipelines.compile(name, pre, true).length > 0, name + " " + variant);
        }
        String pre = VulkanSession.preamble(DType.F16, headDim);
        for (String name : new String[]{"row_statistics_cm2", "column_pass_cm2"}) assertTrue(Pipelines.compile(name, pre, true).length > 0, name);
    }
}
