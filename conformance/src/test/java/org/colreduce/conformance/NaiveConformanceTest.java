package org.colreduce.conformance;

import org.colreduce.spi.ColReduceBackend;

/** The suite run against {@link NaiveFloatBackend}: proves the suite passes for an obvious float implementation. */
class NaiveConformanceTest extends ColReduceConformance {
    @Override
    protected ColReduceBackend backend() { return new NaiveFloatBackend(); }
}
