package org.colreduce.vulkan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.colreduce.conformance.ColReduceConformance;
import org.colreduce.spi.ColReduceBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The whole conformance suite on the Vulkan backend: lavapipe (portable path) in CI, the NVIDIA
 * driver on the GPU machine (cooperative-matrix path; {@code COLREDUCE_VULKAN_PATH=portable}
 * forces the portable one). With the Khronos validation layer installed, every Vulkan call runs
 * under it and zero validation messages is part of passing. Skipped with the reason where there
 * is no Vulkan.
 */
class VulkanConformanceTest extends ColReduceConformance {
    @BeforeAll
    static void validation() {
        System.setProperty("colreduce.vulkan.validation", "true");
        ValidationLog.clear();
    }

    @AfterAll
    static void noValidationMessages() {
        System.out.println("VulkanConformanceTest: " + new VulkanBackend().availability().reason()
                + (VulkanBackend.forcePortable() ? " [portable path forced]" : "")
                + "; validation layer " + (ValidationLog.layerActive() ? "active" : "not installed") + ", " + ValidationLog.messages().size() + " messages");
        assertEquals(List.of(), ValidationLog.messages(), "Vulkan validation messages");
    }

    @Override
    protected ColReduceBackend backend() { return new VulkanBackend(); }
}
