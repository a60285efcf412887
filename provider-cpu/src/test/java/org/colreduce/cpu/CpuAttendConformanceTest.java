package org.colreduce.cpu;

import org.colreduce.conformance.AttendConformance;
import org.colreduce.spi.ColReduceBackend;

/** SPEC §11 on the CPU backend, as every other backend runs it. */
class CpuAttendConformanceTest extends AttendConformance {
    @Override
    protected ColReduceBackend backend() { return new CpuBackend(); }
}
