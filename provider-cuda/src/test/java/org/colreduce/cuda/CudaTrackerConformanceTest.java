package org.colreduce.cuda;

import org.colreduce.conformance.TrackerConformance;
import org.colreduce.spi.ColReduceBackend;

/** The heavy-hitter tracker rules (docs/TRACKER.md) with the running scores on the GPU; skipped, with the reason, where there is none. */
class CudaTrackerConformanceTest extends TrackerConformance {
    @Override
    protected ColReduceBackend backend() { return new CudaBackend(); }
}
