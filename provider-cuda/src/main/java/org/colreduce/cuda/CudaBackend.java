package org.colreduce.cuda;

import java.util.Set;
import org.colreduce.DType;
import org.colreduce.spi.Availability;
import org.colreduce.spi.BackendSession;
import org.colreduce.spi.Capabilities;
import org.colreduce.spi.ColReduceBackend;

/** The door of the CUDA backend: "cuda", priority 300, available where a driver and an sm_80+ GPU are. */
public final class CudaBackend implements ColReduceBackend {
    @Override public String name() { return "cuda"; }

    @Override public Availability availability() { return CudaDriver.availability(); }

    @Override
    public Capabilities capabilities() {
        return new Capabilities(Set.of(DType.F32, DType.F16, DType.BF16), 256, CudaDriver.deviceMemory(), CudaDriver.deviceName());
    }

    @Override public int priority() { return 300; }

    @Override
    public BackendSession open() {
        Availability a = availability();
        if (!a.available()) throw new IllegalStateException("CUDA backend unavailable: " + a.reason());
        return new CudaSession();
    }
}
