package org.colreduce.conformance;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.colreduce.ColReduce;
import org.colreduce.DType;
import org.colreduce.Session;
import org.colreduce.Tensor;
import org.colreduce.spi.ColReduceBackend;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every available backend against every other on the same random inputs (shapes, GQA, masks,
 * lengths, reductions, layouts, logits; each element type), and each against the float64
 * reference. Extend it where all providers are on the class path:
 * {@code class CrossBackendTest extends CrossBackendConformance {}}. Skipped, with every backend
 * found and why it is unavailable, when fewer than two are available.
 *
 * <p>Each backend must be within §7.1 of the reference; two backends are then within twice those
 * tolerances of each other (triangle inequality), which is what the pairwise check allows.
 */
public abstract class CrossBackendConformance {
    /** Random cases per element type. */
    protected int cases() { return 25; }

    /** The backends to compare: by default every one {@link ColReduce#backends()} finds. */
    protected List<ColReduceBackend> backends() { return ColReduce.backends(); }

    @ParameterizedTest
    @EnumSource(DType.class)
    public void crossBackend_sameInputsAgree(DType dtype, TestInfo info) {
        List<ColReduceBackend> found = backends();
        List<ColReduceBackend> available = new ArrayList<>();
        StringBuilder list = new StringBuilder();
        for (ColReduceBackend b : found) {
            boolean ok = b.availability().available();
            if (ok && b.capabilities().dtypes().contains(dtype)) available.add(b);
            list.append(list.isEmpty() ? "" : "; ").append(b.name()).append(ok ? " (available: " : " (unavailable: ").append(b.availability().reason()).append(')');
        }
        Assumptions.assumeTrue(available.size() >= 2, () -> "cross-backend check needs two available backends supporting " + dtype
                + "; found " + (found.isEmpty() ? "none" : list));
        Inputs in = Inputs.forName(getClass().getName() + "#" + info.getTestMethod().map(Method::getName).orElse("") + info.getDisplayName());
        List<Session> sessions = new ArrayList<>();
        try {
            for (ColReduceBackend b : available) sessions.add(ColReduce.open(b));
            for (int t = 0; t < cases(); t++) {
                Case c = in.randomCase(dtype);
                double[] reference = c.reference();
                List<float[]> results = new ArrayList<>();
                for (Session s : sessions) {
                    Tensor out = Inputs.filledF32(ColReduceConformance.SENTINEL, c.outputShape());
                    s.columnReduce(c.q(), c.k(), c.spec(), out);
                    float[] got = out.toFloatArray();
                    Compare.assertClose(reference, got, c.outputShape(), dtype, "backend " + s.backend() + " against the reference; " + c.describe());
                    results.add(got);
                }
                for (int a = 0; a < sessions.size(); a++)
                    for (int b = a + 1; b < sessions.size(); b++)
                        Compare.assertClose(Compare.widen(results.get(a)), results.get(b), c.outputShape(), dtype, 2,
                                "backend " + sessions.get(b).backend() + " against backend " + sessions.get(a).backend() + "; " + c.describe());
            }
        } finally {
            for (Session s : sessions) s.close();
        }
    }
}
