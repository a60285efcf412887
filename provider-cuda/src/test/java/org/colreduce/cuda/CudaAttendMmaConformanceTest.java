package org.colreduce.cuda;

import org.colreduce.conformance.AttendConformance;
import org.colreduce.spi.ColReduceBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** SPEC §11 on the mma.sync output kernels also on sm_90, where attend otherwise takes wgmma (E ≤ 128). */
class CudaAttendMmaConformanceTest extends AttendConformance {
    @Override
    protected ColReduceBackend backend() { return new CudaBackend(); }

    @BeforeAll
    void mmaSync() { System.setProperty(OutputPlan.KERNEL, "mma"); }

    @AfterAll
    void restore() { System.clearProperty(OutputPlan.KERNEL); }
}
