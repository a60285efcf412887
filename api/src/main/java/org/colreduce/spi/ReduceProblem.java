package org.colreduce.spi;

import java.util.Arrays;
import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.HeadReduction;
import org.colreduce.Mask;
import org.colreduce.Operand;
import org.colreduce.Reduction;
import org.colreduce.ResidentTensor;
import org.colreduce.Tensor;

/**
 * A validated column-reduction call (SPEC §1–§8): every backend receives this and may trust it.
 * Q is [B, Hq, M, D], K is [B, Hkv, N, D]; {@code out} has {@link #outputShape()}; {@code previous}
 * (nullable) has the same shape except a last extent {@link #previousLength()} ≤ N and is read
 * as zero-padded. Lengths are resolved (never null).
 */
public record ReduceProblem(
        Operand q, Operand k,
        int batch, int queryHeads, int kvHeads, int queries, int keys, int headDim,
        float scale, Mask mask, Reduction reduction, HeadReduction heads,
        int[] queryLengths, int[] keyLengths,
        Operand out, Operand previous) {

    public static final int MAX_HEAD_DIM = 256;

    /** Query heads per KV head. */
    public int groupSize() { return queryHeads / kvHeads; }

    public DType dtype() { return q.dtype(); }

    public int previousLength() { return previous == null ? 0 : (int) previous.shape()[previous.rank() - 1]; }

    public long[] outputShape() { return outputShape(batch, queryHeads, kvHeads, keys, heads); }

    public static long[] outputShape(int b, int hq, int hkv, int n, HeadReduction heads) {
        return switch (heads) {
            case NONE -> new long[]{b, hq, n};
            case SUM, MEAN -> new long[]{b, n};
            case GROUP_SUM, GROUP_MEAN -> new long[]{b, hkv, n};
        };
    }

    /** Output heads: Hq, 1 or Hkv. */
    public int outputHeads() {
        return switch (heads) {
            case NONE -> queryHeads;
            case SUM, MEAN -> 1;
            case GROUP_SUM, GROUP_MEAN -> kvHeads;
        };
    }

    /**
     * How many query heads are combined into one output value, the divisor for MEAN and
     * GROUP_MEAN (SPEC §5.3: the mean over heads of the per-head values); 1 otherwise.
     */
    public int headDivisor() {
        return switch (heads) {
            case NONE, SUM, GROUP_SUM -> 1;
            case MEAN -> queryHeads;
            case GROUP_MEAN -> groupSize();
        };
    }

    /** The output head a query head contributes to. */
    public int outputHeadOf(int queryHead) {
        return switch (heads) {
            case NONE -> queryHead;
            case SUM, MEAN -> 0;
            case GROUP_SUM, GROUP_MEAN -> queryHead / groupSize();
        };
    }

    /** Checks a call against SPEC §9 and resolves its defaults. Throws {@link IllegalArgumentException} naming the parameter. */
    public static ReduceProblem of(Operand q, Operand k, ColumnReduction r, Operand out, Operand previous, Capabilities caps) {
        requireNonNull("q", q);
        requireNonNull("k", k);
        requireNonNull("reduction", r);
        requireNonNull("out", out);
        long[] qs = rank4("q", q, "[B, Hq, M, D]");
        long[] ks = rank4("k", k, "[B, Hkv, N, D]");
        if (q.dtype() != k.dtype()) throw new IllegalArgumentException("q and k must have the same dtype, got q " + q.dtype() + " and k " + k.dtype());
        if (caps != null && !caps.dtypes().contains(q.dtype()))
            throw new IllegalArgumentException("dtype " + q.dtype() + " is not supported by this backend (supports " + caps.dtypes() + ")");
        if (qs[0] != ks[0]) throw new IllegalArgumentException("q and k must have the same batch B, got q " + qs[0] + " and k " + ks[0]);
        if (qs[3] != ks[3]) throw new IllegalArgumentException("q and k must have the same head dimension D, got q " + qs[3] + " and k " + ks[3]);
        long d = qs[3];
        int maxD = caps == null ? MAX_HEAD_DIM : Math.min(MAX_HEAD_DIM, caps.maxHeadDim());
        if (d < 1 || d > maxD) throw new IllegalArgumentException("head dimension D must be in 1.." + maxD + ", got " + d);
        for (int i = 0; i < 3; i++) {
            if (qs[i] < 1) throw new IllegalArgumentException("q shape " + Arrays.toString(qs) + " must have every extent ≥ 1");
            if (ks[i] < 1) throw new IllegalArgumentException("k shape " + Arrays.toString(ks) + " must have every extent ≥ 1");
            if (qs[i] > Integer.MAX_VALUE || ks[i] > Integer.MAX_VALUE)
                throw new IllegalArgumentException("q " + Arrays.toString(qs) + " / k " + Arrays.toString(ks) + ": B, H, M and N must each be < 2^31");
        }
        if (qs[1] % ks[1] != 0)
            throw new IllegalArgumentException("query heads Hq must be a multiple of KV heads Hkv, got Hq " + qs[1] + " and Hkv " + ks[1]);
        int b = (int) qs[0], hq = (int) qs[1], hkv = (int) ks[1], m = (int) qs[2], n = (int) ks[2];
        double scale = Double.isNaN(r.scale()) ? 1.0 / Math.sqrt(d) : r.scale();
        if (!Float.isFinite((float) scale)) throw new IllegalArgumentException("scale must be finite as a float, got " + scale);
        int[] lenQ = lengths("queryLengths", r.queryLengths(), b, m, "M");
        int[] lenK = lengths("keyLengths", r.keyLengths(), b, n, "N");
        if (r.reduction() == Reduction.MAX && r.heads() != HeadReduction.NONE)
            throw new IllegalArgumentException("heads " + r.heads() + " is not offered with reduction MAX (only NONE)");

        long[] expected = outputShape(b, hq, hkv, n, r.heads());
        checkScores("out", out, expected, expected[expected.length - 1], true);
        if (previous != null) checkScores("previous", previous, expected, n, false);
        checkNoOverlap("out", out, "q", q);
        checkNoOverlap("out", out, "k", k);
        if (previous instanceof Tensor p && out instanceof Tensor o && p != o && p.mayOverlap(o)
                && !(p.segment().equals(o.segment()) && p.offset() == o.offset() && Arrays.equals(p.strides(), o.strides())))
            throw new IllegalArgumentException("previous and out overlap partially; pass the same view to accumulate in place, or disjoint buffers");
        return new ReduceProblem(q, k, b, hq, hkv, m, n, (int) d, (float) scale, r.mask(), r.reduction(), r.heads(), lenQ, lenK, out, previous);
    }

    static void requireNonNull(String name, Object o) {
        if (o == null) throw new IllegalArgumentException(name + " must not be null");
    }

    static long[] rank4(String name, Operand t, String layout) {
        long[] s = t.shape();
        if (s.length != 4) throw new IllegalArgumentException(name + " must have rank 4 " + layout + ", got shape " + Arrays.toString(s));
        checkOpen(name, t);
        return s;
    }

    static void checkOpen(String name, Operand t) {
        if (t instanceof ResidentTensor rt && rt.isClosed()) throw new IllegalArgumentException(name + " is a closed resident tensor");
    }

    private static int[] lengths(String name, int[] given, int b, int max, String dim) {
        if (given == null) {
            int[] all = new int[b];
            Arrays.fill(all, max);
            return all;
        }
        if (given.length != b) throw new IllegalArgumentException(name + " must have one entry per batch (B = " + b + "), got " + given.length);
        for (int i = 0; i < b; i++)
            if (given[i] < 0 || given[i] > max)
                throw new IllegalArgumentException(name + "[" + i + "] must be in 0.." + max + " (" + dim + "), got " + given[i]);
        return given.clone();
    }

    private static void checkScores(String name, Operand t, long[] expected, long lastMax, boolean exact) {
        checkOpen(name, t);
        if (t.dtype() != DType.F32) throw new IllegalArgumentException(name + " must be F32, got " + t.dtype());
        long[] s = t.shape();
        boolean ok = s.length == expected.length;
        for (int i = 0; ok && i < s.length - 1; i++) ok = s[i] == expected[i];
        if (ok) ok = exact ? s[s.length - 1] == expected[s.length - 1] : s[s.length - 1] <= lastMax;
        if (!ok)
            throw new IllegalArgumentException(name + " must have shape " + Arrays.toString(expected)
                    + (exact ? "" : " with a last extent ≤ " + lastMax) + ", got " + Arrays.toString(s));
    }

    static void checkNoOverlap(String outName, Operand out, String inName, Operand in) {
        if (out instanceof Tensor o && in instanceof Tensor i && o.mayOverlap(i))
            throw new IllegalArgumentException(outName + " overlaps " + inName + "; outputs must not share memory with inputs");
    }

    @Override
    public String toString() {
        return "ReduceProblem[B=" + batch + " Hq=" + queryHeads + " Hkv=" + kvHeads + " M=" + queries + " N=" + keys + " D=" + headDim
                + " " + dtype() + " scale=" + scale + " mask=" + mask + " " + reduction + " heads=" + heads + "]";
    }
}
