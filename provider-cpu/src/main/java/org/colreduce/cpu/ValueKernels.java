package org.colreduce.cpu;

/**
 * The P·V inner loop of {@link AttentionPass}: a row tile's probabilities times a V tile. Two
 * implementations that give the same bits (an fma per term, in order of the key): the plain
 * loops below, and {@link VectorValueKernels} (jdk.incubator.vector), picked to match the
 * {@link Kernels} of the session.
 */
interface ValueKernels {
    /**
     * {@code out[i·dv + c] = Σ p[i][j] · v[j·dv + c]} over j in [from[i], to[i]), summed by fma in
     * order of j, for i < rows and c < dv; a row with from ≥ to gets 0. Keys outside a row's range
     * are never read for it, so a NaN or ∞ in V reaches only the rows that see it (SPEC §7.3).
     */
    void weightedRows(float[][] p, int rows, int[] from, int[] to, float[] v, int dv, float[] out);

    /** The Vector API loop when the session's kernels are the Vector API ones; else the plain loops. */
    static ValueKernels matching(Kernels kernels) {
        return kernels instanceof ScalarKernels ? Scalar.INSTANCE : VectorHolder.INSTANCE;
    }

    /** Loads the Vector API loop once, on first use. */
    final class VectorHolder {
        static final ValueKernels INSTANCE = load();

        private VectorHolder() {}

        private static ValueKernels load() {
            try {
                // by name, as in Kernels.select: a JVM without jdk.incubator.vector never links it
                return (ValueKernels) Class.forName("org.colreduce.cpu.VectorValueKernels").getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                return Scalar.INSTANCE;
            }
        }
    }

    /** Plain loops, one output row at a time. */
    final class Scalar implements ValueKernels {
        static final Scalar INSTANCE = new Scalar();

        @Override
        public void weightedRows(float[][] p, int rows, int[] from, int[] to, float[] v, int dv, float[] out) {
            for (int i = 0; i < rows; i++) {
                int at = i * dv;
                java.util.Arrays.fill(out, at, at + dv, 0f);
                float[] pi = p[i];
                for (int j = from[i]; j < to[i]; j++) {
                    float pj = pi[j];
                    for (int c = 0, vj = j * dv; c < dv; c++) out[at + c] = Math.fma(pj, v[vj + c], out[at + c]);
                }
            }
        }
    }
}
