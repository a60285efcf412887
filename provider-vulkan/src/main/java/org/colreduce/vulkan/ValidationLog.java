package org.colreduce.vulkan;

import java.util.ArrayList;
import java.util.List;

/**
 * Messages of the Khronos validation layer, recorded by the debug messenger of every instance
 * made with validation on ({@code -Dcolreduce.vulkan.validation=true} or
 * {@code COLREDUCE_VULKAN_VALIDATION=1}). Tests assert that none were recorded.
 */
public final class ValidationLog {
    private static final List<String> MESSAGES = new ArrayList<>();
    private static volatile boolean layerSeen;

    private ValidationLog() {}

    /** Whether validation was asked for by the property or the environment. */
    public static boolean requested() {
        String p = System.getProperty("colreduce.vulkan.validation");
        if (p == null) p = System.getenv("COLREDUCE_VULKAN_VALIDATION");
        return p != null && (p.equalsIgnoreCase("true") || p.equals("1"));
    }

    /** Whether an instance was actually made with the validation layer enabled. */
    public static boolean layerActive() { return layerSeen; }

    static void layerEnabled() { layerSeen = true; }

    static synchronized void record(String message) { MESSAGES.add(message); }

    /** Every warning and error recorded so far. */
    public static synchronized List<String> messages() { return List.copyOf(MESSAGES); }

    public static synchronized void clear() { MESSAGES.clear(); }
}
