/** The CUDA backend: nvcc-built kernels (one fatbin resource) driven through JavaCPP's CUDA driver API. */
module colreduce.provider.cuda {
    requires colreduce.api;
    requires org.bytedeco.javacpp;
    requires org.bytedeco.cuda;
    provides org.colreduce.spi.ColReduceBackend with org.colreduce.cuda.CudaBackend;
}
