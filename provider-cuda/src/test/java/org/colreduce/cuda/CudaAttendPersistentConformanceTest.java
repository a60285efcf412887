package org.colreduce.cuda;

import org.colreduce.conformance.AttendConformance;
import org.colreduce.spi.ColReduceBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * SPEC §11 on the persistent output kernel ({@code _wsp}, attention_output_ws.cuh) with its grid
 * capped at 3 blocks: the suite's problems have a few query tiles, so each block walks several,
 * and the rings and barrier phases carry over from one tile to the next as on a large problem
 * (where the grid is one block a multiprocessor). The other problems run as in
 * CudaAttendConformanceTest. Off sm_90 the same as that class.
 */
class CudaAttendPersistentConformanceTest extends AttendConformance {
    @Override
    protected ColReduceBackend backend() { return new CudaBackend(); }

    @BeforeAll
    void persistent() { System.setProperty(OutputPlan.PERSISTENT, "3"); }

    @AfterAll
    void restore() { System.clearProperty(OutputPlan.PERSISTENT); }
}
