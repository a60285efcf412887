package org.colreduce.cpu;

import org.colreduce.conformance.AttendConformance;
import org.colreduce.spi.ColReduceBackend;

/** SPEC §11 on the scalar path, as a JVM without jdk.incubator.vector runs it. */
class CpuScalarAttendConformanceTest extends AttendConformance {
    @Override
    protected ColReduceBackend backend() { return new CpuBackend(true, 0); }
}
