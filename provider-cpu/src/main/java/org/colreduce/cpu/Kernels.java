package org.colreduce.cpu;

/**
 * The inner loops of both passes, over small float tiles in the layouts of {@link TileShape}.
 * Two implementations: {@link VectorKernels} (jdk.incubator.vector) and {@link ScalarKernels}
 * (plain loops), chosen by {@link #select}. Each loop has a fixed order of floating-point
 * operations, so a result never depends on threads or timing.
 */
interface Kernels {
    /**
     * Scores of a tile: {@code s[i·KEYS + j] = Σ_d q[q0 + i·dim + d] · kT[d·KEYS + j]}, summed by fma
     * in order of d, for i below {@code rows} and j below {@code keys} (an implementation may fill
     * columns up to KEYS).
     */
    void scores(float[] q, int q0, int rows, float[] kT, int keys, int dim, float[] s);

    /** {@link #scores(float[], int, int, float[], int, int, float[])} of the tile at the start of q. */
    default void scores(float[] q, int rows, float[] kT, int keys, int dim, float[] s) { scores(q, 0, rows, kT, keys, dim, s); }

    /** max of the non-NaN values of a[from, to), −∞ when there are none (a NaN shows up later, in the sum of exp). */
    float max(float[] a, int from, int to);

    /** Σ exp(a[j] − shift) over j in [from, to), in a fixed order; {@code lanes} is scratch of {@link #LANES_MAX} floats. */
    double sumExp(float[] a, int from, int to, float shift, float[] lanes);

    /** The most float lanes of any vector species (2048 bits). */
    int LANES_MAX = 64;

    /**
     * acc[j] += exp((s[row + j] − max) − logSum) for j in [from, to): the row's statistics kept
     * as two floats, as pass 1 found them (one float max + logSum would round by up to half an ulp
     * of a huge logit and scale the whole row of P by e^±0.004 near 1e5, SPEC 7.2).
     */
    void addExp(float[] s, int row, int from, int to, float max, float logSum, float[] acc);

    /** acc[j] = max(acc[j], (s[row + j] − max) − logSum) for j in [from, to). */
    void maxShifted(float[] s, int row, int from, int to, float max, float logSum, float[] acc);

    /** What runs, for the availability text: "Vector API, 512-bit species" or "scalar path…". */
    String describe();

    /** The Vector API kernels when jdk.incubator.vector is in the boot layer and not refused; else the scalar ones. */
    static Kernels select(boolean forceScalar) {
        if (forceScalar) return new ScalarKernels("scalar path (forced by " + CpuBackend.SCALAR_PROPERTY + "=true or by the caller)");
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty())
            return new ScalarKernels("scalar path: run the JVM with --add-modules jdk.incubator.vector for the Vector API");
        try {
            // by name, so that a JVM without the module never loads a class that links to it
            return (Kernels) Class.forName("org.colreduce.cpu.VectorKernels").getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return new ScalarKernels("scalar path: the Vector API failed to load (" + e + ")");
        }
    }
}
