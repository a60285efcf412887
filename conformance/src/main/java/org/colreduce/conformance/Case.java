package org.colreduce.conformance;

import java.util.Arrays;
import org.colreduce.ColumnReduction;
import org.colreduce.Tensor;

/**
 * One column-reduction problem of the suite: Q, K, what to compute, and where it came from (a
 * label and the generator whose seed reproduces it), so every failure can say all of that.
 */
public record Case(String label, Inputs inputs, Tensor q, Tensor k, ColumnReduction spec) {

    /** The same operands with another spec. */
    public Case with(ColumnReduction other) { return new Case(label, inputs, q, k, other); }

    /** The same spec with other operands (e.g. contiguous copies). */
    public Case with(Tensor otherQ, Tensor otherK) { return new Case(label, inputs, otherQ, otherK, spec); }

    public long[] outputShape() { return Reference.outputShape(q, k, spec.heads()); }

    public double[] reference() { return Reference.columnReduce(q, k, spec); }

    public double[] reference(Tensor previous) { return Reference.columnReduce(q, k, spec, previous); }

    /** Seed, shapes, layouts and spec: everything a failure message needs. */
    public String describe() {
        return label + "; " + inputs.seedText() + "; q " + layout(q) + "; k " + layout(k) + "; " + spec;
    }

    private static String layout(Tensor t) {
        return t.dtype() + " " + Arrays.toString(t.shape()) + (t.isContiguous() && t.offset() == 0 ? "" : " strides " + Arrays.toString(t.strides()) + " offset " + t.offset())
                + (t.segment().isNative() ? " native" : "");
    }

    @Override
    public String toString() { return describe(); }
}
