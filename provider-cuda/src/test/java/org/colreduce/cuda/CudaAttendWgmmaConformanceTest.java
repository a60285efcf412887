package org.colreduce.cuda;

import org.colreduce.conformance.AttendConformance;
import org.colreduce.spi.ColReduceBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Disabled;

/**
 * SPEC §11 on the experimental wgmma output kernels (sm_90, E ≤ 128; elsewhere the same as the
 * default). Disabled until they pass: enable it on an H100/H200 to work on them.
 */
@Disabled("experimental wgmma attend kernels: on the H200 run of 2026-11-22 SPEC 11.1 failed with more than one key tile "
        + "(GQA, N = 70: relative error ~0.1) and 7.3 failed (NaN fallback skipped: fixed since, not rerun)")
class CudaAttendWgmmaConformanceTest extends AttendConformance {
    @Override
    protected ColReduceBackend backend() { return new CudaBackend(); }

    @BeforeAll
    void wgmma() { System.setProperty(OutputPlan.KERNEL, "wgmma"); }

    @AfterAll
    void restore() { System.clearProperty(OutputPlan.KERNEL); }
}
