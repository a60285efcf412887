package org.colreduce.cuda;

import org.colreduce.conformance.AttendConformance;
import org.colreduce.spi.ColReduceBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * SPEC §11 with the row statistics as a pass of their own and the output pass reading lse (the
 * path split row statistics take: decoding, long keys with few query tiles), on every shape.
 */
class CudaAttendUnfusedConformanceTest extends AttendConformance {
    @Override
    protected ColReduceBackend backend() { return new CudaBackend(); }

    @BeforeAll
    void rowStatisticsFirst() { System.setProperty(OutputPlan.ONLINE, "false"); }

    @AfterAll
    void restore() { System.clearProperty(OutputPlan.ONLINE); }
}
