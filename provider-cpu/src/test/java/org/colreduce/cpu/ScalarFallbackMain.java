package org.colreduce.cpu;

import java.util.Random;
import org.colreduce.ColReduce;
import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.Mask;
import org.colreduce.Session;
import org.colreduce.Tensor;

/** Run by a test in a JVM without --add-modules jdk.incubator.vector: prints "OK reason" when the result is right. */
public final class ScalarFallbackMain {
    public static void main(String[] args) {
        Random rnd = new Random(7);
        Tensor q = CpuBackendTest.random(rnd, DType.F16, 1, 1, 2, 30, 12), k = CpuBackendTest.random(rnd, DType.F16, 1, 1, 1, 70, 12);
        ColumnReduction r = ColumnReduction.builder().mask(Mask.causal()).build();
        try (Session s = ColReduce.open("cpu")) {
            double err = DoubleReference.relativeError(s.columnReduce(q, k, r), DoubleReference.reduce(q, k, r));
            if (err > 1e-4) throw new AssertionError("relative error " + err);
            System.out.println("OK " + new CpuBackend().availability().reason());
        }
    }
}
