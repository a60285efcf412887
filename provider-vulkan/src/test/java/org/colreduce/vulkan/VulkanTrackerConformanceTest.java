package org.colreduce.vulkan;

import org.colreduce.conformance.TrackerConformance;
import org.colreduce.spi.ColReduceBackend;
import org.junit.jupiter.api.AfterAll;

/**
 * The heavy-hitter tracker rules (docs/TRACKER.md) on the Vulkan backend: lavapipe (portable path) in CI, the NVIDIA
 * driver on the GPU machine (cooperative-matrix path; {@code COLREDUCE_VULKAN_PATH=portable}
 * forces the portable one). With the Khronos validation layer installed every Vulkan call runs
 * under it, and zero validation messages is part of passing. Skipped with the reason where
 * there is no Vulkan.
 */
class VulkanTrackerConformanceTest extends TrackerConformance {
    static { ValidationCheck.enable(); }

    @AfterAll
    static void noValidationMessages() { ValidationCheck.assertNoMessages("VulkanTrackerConformanceTest"); }

    @Override
    protected ColReduceBackend backend() { return new VulkanBackend(); }
}
