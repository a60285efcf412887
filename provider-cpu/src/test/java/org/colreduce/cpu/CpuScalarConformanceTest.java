package org.colreduce.cpu;

import org.colreduce.conformance.ColReduceConformance;
import org.colreduce.spi.ColReduceBackend;

/** The whole conformance suite on the scalar path, as a JVM without jdk.incubator.vector runs it. */
class CpuScalarConformanceTest extends ColReduceConformance {
    @Override
    protected ColReduceBackend backend() { return new CpuBackend(true, 0); }
}
