package org.colreduce.cuda;

import org.colreduce.conformance.AttendConformance;
import org.colreduce.spi.ColReduceBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * SPEC §11 on the 8-warp wgmma output kernel (attention_output_wg.cuh): on sm_90 {@code attend}
 * runs the TMA kernel (CudaAttendConformanceTest) and falls back to this one where the TMA cannot
 * address the tensors, so it stays checked. Elsewhere the same as CudaAttendConformanceTest.
 */
class CudaAttendPipelinedConformanceTest extends AttendConformance {
    @Override
    protected ColReduceBackend backend() { return new CudaBackend(); }

    @BeforeAll
    void pipelined() { System.setProperty(OutputPlan.KERNEL, "wg"); }

    @AfterAll
    void restore() { System.clearProperty(OutputPlan.KERNEL); }
}
