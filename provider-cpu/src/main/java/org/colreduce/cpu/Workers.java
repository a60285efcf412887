package org.colreduce.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Runs independent tasks 0..n−1 on a fork/join pool: the common pool, or a session's own pool of
 * a given size. Tasks write disjoint outputs, so their order of completion does not matter.
 */
final class Workers implements AutoCloseable {
    private final ForkJoinPool own;

    /** threads ≤ 0: the common pool. */
    Workers(int threads) { this.own = threads > 0 ? new ForkJoinPool(threads) : null; }

    int parallelism() { return own == null ? ForkJoinPool.getCommonPoolParallelism() : own.getParallelism(); }

    /** Runs tasks 0..n−1, in parallel unless {@code parallel} is false (then in order, on this thread). */
    void forEach(int n, boolean parallel, IntConsumer task) {
        if (!parallel) {
            for (int t = 0; t < n; t++) task.accept(t);
            return;
        }
        forEach(n, task);
    }

    void forEach(int n, IntConsumer task) {
        if (n == 1) task.accept(0);
        else if (own == null) IntStream.range(0, n).parallel().forEach(task);
        else own.submit(() -> IntStream.range(0, n).parallel().forEach(task)).join();
    }

    @Override
    public void close() {
        if (own != null) own.shutdown();
    }
}
