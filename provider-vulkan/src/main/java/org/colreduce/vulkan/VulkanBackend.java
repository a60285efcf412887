package org.colreduce.vulkan;

import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Collectors;
import org.colreduce.DType;
import org.colreduce.spi.Availability;
import org.colreduce.spi.BackendSession;
import org.colreduce.spi.Capabilities;
import org.colreduce.spi.ColReduceBackend;
import org.colreduce.spi.ReduceProblem;

/**
 * The door of the Vulkan backend. Availability probes the loader, the drivers and the physical
 * devices once (any failure becomes a reason, never a crash). Priority is 200 on a GPU but 50
 * when the chosen device is a CPU implementation such as lavapipe, so automatic selection
 * prefers the CPU backend there.
 *
 * <p>Settings: {@code COLREDUCE_VULKAN_DEVICE} (or {@code -Dcolreduce.vulkan.device}) picks a
 * physical device by index; {@code COLREDUCE_VULKAN_PATH=portable} (or
 * {@code -Dcolreduce.vulkan.path=portable}) forces the portable shaders on a device with
 * cooperative matrices; {@code COLREDUCE_VULKAN_VALIDATION=1} enables the Khronos validation layer.
 */
public final class VulkanBackend implements ColReduceBackend {
    public static final String NAME = "vulkan";

    private record Probe(Availability availability, PhysicalDeviceInfo chosen, List<PhysicalDeviceInfo> all) {}

    private static volatile Probe probe;

    /** Cheap: the hardware is probed once per process, on the first {@link #availability()}. */
    public VulkanBackend() {}

    @Override public String name() { return NAME; }

    @Override
    public Availability availability() { return probe().availability(); }

    @Override
    public Capabilities capabilities() {
        Probe p = probe();
        String device = p.chosen() == null ? p.availability().reason()
                : p.chosen().describe() + (p.all().size() > 1 ? "; all devices: " + p.all().stream().map(PhysicalDeviceInfo::describe).collect(Collectors.joining("; ")) : "");
        return new Capabilities(EnumSet.allOf(DType.class), ReduceProblem.MAX_HEAD_DIM, p.chosen() == null ? 0 : p.chosen().deviceLocalBytes(), device);
    }

    @Override
    public int priority() {
        PhysicalDeviceInfo c = probe().chosen();
        return c != null && c.isCpu() ? 50 : 200;
    }

    @Override
    public BackendSession open() {
        Availability a = availability();
        if (!a.available()) throw new IllegalStateException("Vulkan backend is unavailable: " + a.reason());
        return new VulkanSession(VulkanDevice.open(ValidationLog.requested(), coopVariant().equals("cm2") || coopVariant().equals("auto")), forcePortable());
    }

    /**
     * The tensor-core shaders, from {@code COLREDUCE_VULKAN_COOPMAT} or {@code -Dcolreduce.vulkan.coopmat}:
     * "auto" (the default: "cm2" where the device offers it, else "staged"), "cm2"
     * (VK_NV_cooperative_matrix2 workgroup-scope matrices; 1.6x faster than "staged" on an H200),
     * "staged" (KHR cooperative matrices, tiles staged in shared memory with register prefetch) or
     * "lean" (the same without prefetch).
     */
    static String coopVariant() {
        String v = setting("colreduce.vulkan.coopmat", "COLREDUCE_VULKAN_COOPMAT");
        return v == null || v.isBlank() ? "auto" : v.trim().toLowerCase(java.util.Locale.ROOT);
    }

    /** Whether the portable shaders are forced on every device. */
    static boolean forcePortable() {
        String v = setting("colreduce.vulkan.path", "COLREDUCE_VULKAN_PATH");
        return v != null && v.trim().equalsIgnoreCase("portable");
    }

    /** The device index asked for, or the first usable one by preference (discrete GPU first). */
    static PhysicalDeviceInfo choose(List<PhysicalDeviceInfo> all) {
        String asked = setting("colreduce.vulkan.device", "COLREDUCE_VULKAN_DEVICE");
        if (asked != null && !asked.isBlank()) {
            int i;
            try {
                i = Integer.parseInt(asked.trim());
            } catch (NumberFormatException e) {
                throw new IllegalStateException("COLREDUCE_VULKAN_DEVICE must be a device index, got '" + asked + "'");
            }
            if (i < 0 || i >= all.size())
                throw new IllegalStateException("COLREDUCE_VULKAN_DEVICE=" + i + " but there are " + all.size() + " Vulkan devices");
            if (!all.get(i).usable()) throw new IllegalStateException("COLREDUCE_VULKAN_DEVICE=" + i + " names an unusable device: " + all.get(i).describe());
            return all.get(i);
        }
        return all.stream().filter(PhysicalDeviceInfo::usable)
                .min(Comparator.comparingInt(PhysicalDeviceInfo::preference).thenComparingInt(PhysicalDeviceInfo::index))
                .orElseThrow(() -> new IllegalStateException(all.isEmpty() ? "the Vulkan loader found no physical device (no ICD installed?)"
                        : "no Vulkan device offers Vulkan 1.1 and a compute queue: " + all.stream().map(PhysicalDeviceInfo::describe).collect(Collectors.joining("; "))));
    }

    private static String setting(String property, String env) {
        String v = System.getProperty(property);
        return v != null ? v : System.getenv(env);
    }

    private static Probe probe() {
        Probe p = probe;
        if (p == null) {
            synchronized (VulkanBackend.class) {
                if (probe == null) probe = doProbe();
                p = probe;
            }
        }
        return p;
    }

    private static Probe doProbe() {
        try (VulkanInstance instance = new VulkanInstance(false)) {
            List<PhysicalDeviceInfo> all = instance.describeAll();
            PhysicalDeviceInfo chosen = choose(all);
            return new Probe(Availability.available(chosen.describe()), chosen, all);
        } catch (IllegalStateException e) {
            return new Probe(Availability.unavailable("Vulkan: " + e.getMessage()), null, List.of());
        } catch (UnsatisfiedLinkError e) {
            return new Probe(Availability.unavailable("no Vulkan loader (libvulkan.so.1; Debian: libvulkan1 and mesa-vulkan-drivers): " + e.getMessage()), null, List.of());
        } catch (Throwable e) {   // no LWJGL natives, a broken driver
            return new Probe(Availability.unavailable("Vulkan is not usable here: " + e), null, List.of());
        }
    }
}
