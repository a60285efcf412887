package org.colreduce.cuda;

import org.colreduce.conformance.ColReduceConformance;
import org.colreduce.spi.ColReduceBackend;

/** The whole conformance suite on the CUDA backend; skipped, with the reason, where there is no GPU. */
class CudaConformanceTest extends ColReduceConformance {
    @Override
    protected ColReduceBackend backend() { return new CudaBackend(); }
}
