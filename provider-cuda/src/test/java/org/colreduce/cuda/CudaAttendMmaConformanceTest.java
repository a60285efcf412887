package org.colreduce.cuda;

import org.colreduce.conformance.AttendConformance;
import org.colreduce.spi.ColReduceBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * SPEC §11 on the mma.sync output kernel everywhere: on sm_90, where {@code attend} runs the wgmma
 * kernel at E ≤ 128 (CudaAttendConformanceTest), this keeps the other architectures' kernel
 * checked too. Elsewhere the same as CudaAttendConformanceTest.
 */
class CudaAttendMmaConformanceTest extends AttendConformance {
    @Override
    protected ColReduceBackend backend() { return new CudaBackend(); }

    @BeforeAll
    void mma() { System.setProperty(OutputPlan.KERNEL, "mma"); }

    @AfterAll
    void restore() { System.clearProperty(OutputPlan.KERNEL); }
}
