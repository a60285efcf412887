package org.colreduce.cuda;

import org.colreduce.conformance.AttendConformance;
import org.colreduce.spi.ColReduceBackend;

/** SPEC §11 ({@code attend}) on the CUDA provider; every test skips, with the reason, where there is no GPU. */
class CudaAttendConformanceTest extends AttendConformance {
    @Override
    protected ColReduceBackend backend() { return new CudaBackend(); }
}
