package org.colreduce.spi;

/**
 * The door of a backend module, found by {@link java.util.ServiceLoader}. Cheap to construct:
 * probing hardware happens in {@link #availability()} (cached by the implementation) and
 * resources are taken by {@link #open()}.
 */
public interface ColReduceBackend {
    /** Short lower-case name used for selection: "cpu", "vulkan", "cuda". */
    String name();

    /** Whether it can run here, and why or why not. Never throws. */
    Availability availability();

    /** Meaningful only when available. */
    Capabilities capabilities();

    /** Higher wins automatic selection among available backends (CUDA 300, a Vulkan GPU 200, CPU 100). */
    int priority();

    /** Takes the backend's resources. Throws {@link IllegalStateException} with the reason when unavailable. */
    BackendSession open();
}
