package org.colreduce.cpu;

import org.colreduce.conformance.TrackerConformance;
import org.colreduce.spi.ColReduceBackend;

/** The heavy-hitter tracker's decode loop on the CPU backend. */
class CpuTrackerConformanceTest extends TrackerConformance {
    @Override
    protected ColReduceBackend backend() { return new CpuBackend(); }
}
