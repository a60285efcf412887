package org.colreduce.cpu;

import java.util.EnumSet;
import java.util.concurrent.ForkJoinPool;
import org.colreduce.DType;
import org.colreduce.spi.Availability;
import org.colreduce.spi.BackendSession;
import org.colreduce.spi.Capabilities;
import org.colreduce.spi.ColReduceBackend;
import org.colreduce.spi.ReduceProblem;

/**
 * The CPU backend's door: always available, on the Vector API when the JVM has
 * jdk.incubator.vector and on plain loops otherwise (its availability text says which).
 * System properties: {@value #SCALAR_PROPERTY}=true forces the scalar path, {@value #THREADS_PROPERTY}=N
 * gives each session its own pool of N threads (default: the common fork/join pool).
 */
public final class CpuBackend implements ColReduceBackend {
    public static final String NAME = "cpu";
    public static final String SCALAR_PROPERTY = "colreduce.cpu.scalar";
    public static final String THREADS_PROPERTY = "colreduce.cpu.threads";

    private static final System.Logger LOG = System.getLogger("org.colreduce.cpu");

    private final boolean forceScalar;
    private final int threads;
    private volatile Kernels kernels;

    /** Settings from the system properties; the form ServiceLoader uses. */
    public CpuBackend() { this(Boolean.getBoolean(SCALAR_PROPERTY), Integer.getInteger(THREADS_PROPERTY, 0)); }

    /**
     * @param forceScalar use the plain loops even where the Vector API is present
     * @param threads worker threads per session; 0 for the common fork/join pool
     */
    public CpuBackend(boolean forceScalar, int threads) {
        if (threads < 0) throw new IllegalArgumentException("threads must be ≥ 0 (0: the common pool), got " + threads);
        this.forceScalar = forceScalar;
        this.threads = threads;
    }

    private Kernels kernels() {
        Kernels k = kernels;
        if (k == null) {
            kernels = k = Kernels.select(forceScalar);
            LOG.log(System.Logger.Level.DEBUG, "colreduce cpu: {0}", k.describe());
        }
        return k;
    }

    /** Threads that run a call: a session's own pool, or the common pool's workers plus the calling thread. */
    private int threadCount() { return threads > 0 ? threads : ForkJoinPool.getCommonPoolParallelism() + 1; }

    @Override public String name() { return NAME; }

    @Override
    public Availability availability() {
        return Availability.available(kernels().describe() + ", " + threadCount() + (threadCount() == 1 ? " thread" : " threads"));
    }

    @Override
    public Capabilities capabilities() {
        return new Capabilities(EnumSet.allOf(DType.class), ReduceProblem.MAX_HEAD_DIM, Runtime.getRuntime().maxMemory(),
                "CPU, " + Runtime.getRuntime().availableProcessors() + " cores: " + availability().reason());
    }

    @Override public int priority() { return 100; }

    @Override
    public BackendSession open() { return new CpuSession(kernels(), threads); }
}
