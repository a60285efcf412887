package org.colreduce.cuda;

import org.colreduce.conformance.AttendConformance;
import org.colreduce.spi.ColReduceBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * SPEC §11 on the output kernel for few query rows (attention_output_ws.cuh with KSPLIT: 64-row
 * blocks whose consumer warpgroups take alternate key tiles and merge their (max, sum, O)), which
 * by default runs only where the (batch, head) pairs fill the multiprocessors: here on every
 * problem of at most 64 query rows, persistent with its grid capped at 3 blocks (F16). Off sm_90
 * the same as CudaAttendConformanceTest.
 */
class CudaAttendKeySplitConformanceTest extends AttendConformance {
    @Override
    protected ColReduceBackend backend() { return new CudaBackend(); }

    @BeforeAll
    void keySplit() {
        System.setProperty(OutputPlan.DECODE, "wsk");
        System.setProperty(OutputPlan.PERSISTENT, "3");
    }

    @AfterAll
    void restore() {
        System.clearProperty(OutputPlan.DECODE);
        System.clearProperty(OutputPlan.PERSISTENT);
    }
}
