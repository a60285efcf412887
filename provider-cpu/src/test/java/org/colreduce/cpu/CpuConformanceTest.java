package org.colreduce.cpu;

import org.colreduce.conformance.ColReduceConformance;
import org.colreduce.spi.ColReduceBackend;

/** The whole conformance suite on the CPU backend's default path (the Vector API when present). */
class CpuConformanceTest extends ColReduceConformance {
    @Override
    protected ColReduceBackend backend() { return new CpuBackend(); }
}
