package org.colreduce.cuda;

import static org.bytedeco.cuda.global.cudart.*;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.colreduce.spi.Availability;

/**
 * The CUDA driver as this provider sees it: a probe that never crashes the JVM on a machine
 * without a GPU (it looks for libcuda.so.1 before JavaCPP loads anything), and error checks.
 */
final class CudaDriver {
    static final String FATBIN = "colreduce.fatbin";

    private static volatile Availability cached;
    private static volatile String deviceName = "none";
    private static volatile long deviceMemory;

    private CudaDriver() {}

    /** Probed once per JVM. */
    static Availability availability() {
        Availability a = cached;
        if (a == null) {
            synchronized (CudaDriver.class) {
                if (cached == null) cached = probe();
                a = cached;
            }
        }
        return a;
    }

    static String deviceName() { return deviceName; }

    static long deviceMemory() { return deviceMemory; }

    private static Availability probe() {
        if (CudaDriver.class.getResource(FATBIN) == null)
            return Availability.unavailable("built without CUDA kernels (colreduce.cuda.skipKernels): " + FATBIN + " is not on the class path");
        try {
            SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            return Availability.unavailable("no NVIDIA driver: libcuda.so.1 not found");
        } catch (IllegalCallerException e) {
            // native access not enabled for this module: let JavaCPP try
        }
        try {
            int rc = cuInit(0);
            if (rc != CUDA_SUCCESS) return Availability.unavailable("CUDA driver present but cuInit failed: " + errorName(rc));
            int[] count = new int[1];
            rc = cuDeviceGetCount(count);
            if (rc != CUDA_SUCCESS || count[0] == 0) return Availability.unavailable("no CUDA device (cuDeviceGetCount: " + (rc != CUDA_SUCCESS ? errorName(rc) : "0") + ")");
            int[] major = new int[1], minor = new int[1];
            cuDeviceGetAttribute(major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 0);
            cuDeviceGetAttribute(minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, 0);
            byte[] name = new byte[256];
            cuDeviceGetName(name, name.length, 0);
            String n = new String(name, java.nio.charset.StandardCharsets.US_ASCII).trim().replace("\0", "");
            long[] mem = new long[1];
            try (org.bytedeco.javacpp.SizeTPointer sz = new org.bytedeco.javacpp.SizeTPointer(1)) {
                if (cuDeviceTotalMem(sz, 0) == CUDA_SUCCESS) mem[0] = sz.get();
            }
            deviceName = n + " (sm_" + major[0] + minor[0] + ")";
            deviceMemory = mem[0];
            if (major[0] < 8) return Availability.unavailable("CUDA device " + deviceName + " is older than Ampere (sm_80 needed)");
            return Availability.available("CUDA device 0: " + deviceName);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
            return Availability.unavailable("CUDA runtime libraries not loadable: " + e);
        } catch (Throwable t) {
            return Availability.unavailable("CUDA probe failed: " + t);
        }
    }

    static String errorName(int rc) {
        try {
            BytePointer s = new BytePointer();
            if (cuGetErrorName(rc, s) == CUDA_SUCCESS && !s.isNull()) return s.getString() + " (" + rc + ")";
        } catch (Throwable ignored) {
            // the name is a courtesy; the number is enough
        }
        return "CUDA error " + rc;
    }

    /** Throws IllegalStateException naming the call when the driver reports an error. */
    static void check(int rc, String what) {
        if (rc != CUDA_SUCCESS) throw new IllegalStateException("CUDA " + what + " failed: " + errorName(rc));
    }

    static int attribute(int attr, int device) {
        try (IntPointer v = new IntPointer(1)) {
            check(cuDeviceGetAttribute(v, attr, device), "cuDeviceGetAttribute");
            return v.get();
        }
    }
}
