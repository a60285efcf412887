package org.colreduce;

import java.util.Arrays;

/**
 * What to compute: the reduction over query rows, the head reduction, the mask, the scale and
 * the per-batch lengths. Immutable; build once and reuse across calls.
 *
 * <pre>{@code
 * ColumnReduction r = ColumnReduction.builder()
 *     .reduction(Reduction.SUM).heads(HeadReduction.GROUP_SUM).mask(Mask.causal()).build();
 * }</pre>
 */
public final class ColumnReduction {
    private final Reduction reduction;
    private final HeadReduction heads;
    private final Mask mask;
    private final double scale;
    private final int[] queryLengths;
    private final int[] keyLengths;

    private ColumnReduction(Builder b) {
        this.reduction = b.reduction;
        this.heads = b.heads;
        this.mask = b.mask;
        this.scale = b.scale;
        this.queryLengths = b.queryLengths == null ? null : b.queryLengths.clone();
        this.keyLengths = b.keyLengths == null ? null : b.keyLengths.clone();
        if (reduction == Reduction.MAX && heads != HeadReduction.NONE)
            throw new IllegalArgumentException("heads " + heads + " is not offered with reduction MAX (only NONE)");
    }

    public static Builder builder() { return new Builder(); }

    /** SUM over rows, no head reduction, no mask, scale 1/√D. */
    public static ColumnReduction sum() { return builder().build(); }

    public Reduction reduction() { return reduction; }

    public HeadReduction heads() { return heads; }

    public Mask mask() { return mask; }

    /** The scale, or NaN for the default 1/√D. */
    public double scale() { return scale; }

    /** Per-batch query lengths, or null for M everywhere. */
    public int[] queryLengths() { return queryLengths == null ? null : queryLengths.clone(); }

    /** Per-batch key lengths, or null for N everywhere. */
    public int[] keyLengths() { return keyLengths == null ? null : keyLengths.clone(); }

    public Builder toBuilder() {
        Builder b = new Builder().reduction(reduction).heads(heads).mask(mask);
        b.scale = scale;
        b.queryLengths = queryLengths;
        b.keyLengths = keyLengths;
        return b;
    }

    @Override
    public String toString() {
        return "ColumnReduction[" + reduction + ", heads " + heads + ", mask " + mask
                + ", scale " + (Double.isNaN(scale) ? "1/sqrt(D)" : scale)
                + (queryLengths == null ? "" : ", lenQ " + Arrays.toString(queryLengths))
                + (keyLengths == null ? "" : ", lenK " + Arrays.toString(keyLengths)) + "]";
    }

    public static final class Builder {
        private Reduction reduction = Reduction.SUM;
        private HeadReduction heads = HeadReduction.NONE;
        private Mask mask = Mask.none();
        private double scale = Double.NaN;
        private int[] queryLengths;
        private int[] keyLengths;

        private Builder() {}

        public Builder reduction(Reduction r) {
            if (r == null) throw new IllegalArgumentException("reduction must not be null");
            this.reduction = r;
            return this;
        }

        public Builder heads(HeadReduction h) {
            if (h == null) throw new IllegalArgumentException("heads must not be null");
            this.heads = h;
            return this;
        }

        public Builder mask(Mask m) {
            if (m == null) throw new IllegalArgumentException("mask must not be null");
            this.mask = m;
            return this;
        }

        /** s = scale·q·k; must be finite. Default 1/√D. */
        public Builder scale(double s) {
            if (!Double.isFinite(s)) throw new IllegalArgumentException("scale must be finite, got " + s);
            this.scale = s;
            return this;
        }

        /** Use the default scale 1/√D. */
        public Builder defaultScale() {
            this.scale = Double.NaN;
            return this;
        }

        /** Rows ≥ lengths[b] of batch b contribute nothing. One entry per batch; checked at the call. */
        public Builder queryLengths(int... lengths) {
            this.queryLengths = lengths == null ? null : lengths.clone();
            return this;
        }

        /** Keys ≥ lengths[b] of batch b are invisible (padding). One entry per batch. */
        public Builder keyLengths(int... lengths) {
            this.keyLengths = lengths == null ? null : lengths.clone();
            return this;
        }

        public ColumnReduction build() { return new ColumnReduction(this); }
    }
}
