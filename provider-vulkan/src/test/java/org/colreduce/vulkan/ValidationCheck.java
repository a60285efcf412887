package org.colreduce.vulkan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

/** Turns the Khronos validation layer on for the test JVM (where installed) and asserts it said nothing. */
final class ValidationCheck {
    private ValidationCheck() {}

    /** Call from a static initialiser: runs before any session of the class is opened. */
    static void enable() { System.setProperty("colreduce.vulkan.validation", "true"); }

    static void assertNoMessages(String suite) {
        System.out.println(suite + ": " + new VulkanBackend().availability().reason()
                + (VulkanBackend.forcePortable() ? " [portable path forced]" : "")
                + "; validation layer " + (ValidationLog.layerActive() ? "active" : "not installed") + ", " + ValidationLog.messages().size() + " messages");
        assertEquals(List.of(), ValidationLog.messages(), "Vulkan validation messages");
    }
}
