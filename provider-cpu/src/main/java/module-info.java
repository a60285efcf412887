/**
 * The CPU backend: a two-pass tiled kernel on the Vector API, with a scalar path for JVMs run
 * without {@code --add-modules jdk.incubator.vector} (the module is only read when present).
 */
module colreduce.provider.cpu {
    requires colreduce.api;
    requires static jdk.incubator.vector;
    provides org.colreduce.spi.ColReduceBackend with org.colreduce.cpu.CpuBackend;
}
