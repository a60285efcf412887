package org.colreduce.spi;

/** Whether a backend can run here, with a human reason either way ("no NVIDIA driver: libcuda.so.1 not found"). */
public record Availability(boolean available, String reason) {
    public Availability {
        if (reason == null || reason.isBlank()) throw new IllegalArgumentException("reason must be given");
    }

    public static Availability available(String detail) { return new Availability(true, detail); }

    public static Availability unavailable(String reason) { return new Availability(false, reason); }
}
