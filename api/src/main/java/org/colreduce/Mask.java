package org.colreduce;

/**
 * Which keys each query row sees (SPEC §3). Lengths are per batch: a row i ≥ lenQ and a key
 * j ≥ lenK are never visible. For causal masks, {@code offset = lenK − lenQ} when aligned
 * bottom-right (the default: the last query is the newest token of a KV-cached decode) and 0
 * when aligned top-left; key j is visible to row i iff {@code j ≤ i + offset}, and for a sliding
 * window of W also {@code j > i + offset − W}.
 */
public record Mask(Kind kind, Alignment alignment, long window) {

    public enum Kind { NONE, CAUSAL, SLIDING_WINDOW }

    public enum Alignment { BOTTOM_RIGHT, TOP_LEFT }

    private static final Mask NONE = new Mask(Kind.NONE, Alignment.BOTTOM_RIGHT, 0);

    public Mask {
        if (kind == null) throw new IllegalArgumentException("mask kind must not be null");
        if (alignment == null) throw new IllegalArgumentException("mask alignment must not be null");
        if (kind == Kind.SLIDING_WINDOW && window < 1)
            throw new IllegalArgumentException("mask window must be ≥ 1, got " + window);
        if (kind != Kind.SLIDING_WINDOW && window != 0)
            throw new IllegalArgumentException("mask window is only for SLIDING_WINDOW, got " + window + " for " + kind);
    }

    /** Every key visible to every row (within the lengths). */
    public static Mask none() { return NONE; }

    /** Causal, bottom-right aligned: key j visible to row i iff j ≤ i + lenK − lenQ. */
    public static Mask causal() { return new Mask(Kind.CAUSAL, Alignment.BOTTOM_RIGHT, 0); }

    /** Causal with the given alignment; TOP_LEFT means j ≤ i. */
    public static Mask causal(Alignment alignment) { return new Mask(Kind.CAUSAL, alignment, 0); }

    /** Causal bottom-right with a window: i + lenK − lenQ − W < j ≤ i + lenK − lenQ. */
    public static Mask slidingWindow(long window) { return new Mask(Kind.SLIDING_WINDOW, Alignment.BOTTOM_RIGHT, window); }

    public static Mask slidingWindow(long window, Alignment alignment) { return new Mask(Kind.SLIDING_WINDOW, alignment, window); }

    public boolean isCausal() { return kind != Kind.NONE; }

    /** The diagonal offset for one batch's lengths. */
    public long offset(long lenQ, long lenK) {
        return kind == Kind.NONE || alignment == Alignment.TOP_LEFT ? 0 : lenK - lenQ;
    }

    /** First key visible to row i (may exceed {@link #lastKey}: then the row sees nothing). */
    public long firstKey(long i, long lenQ, long lenK) {
        if (kind != Kind.SLIDING_WINDOW) return 0;
        return Math.max(0, i + offset(lenQ, lenK) - window + 1);
    }

    /** Last key visible to row i, or −1 where the row sees none. */
    public long lastKey(long i, long lenQ, long lenK) {
        if (i >= lenQ) return -1;
        long last = kind == Kind.NONE ? lenK - 1 : Math.min(lenK - 1, i + offset(lenQ, lenK));
        return Math.max(-1, last);
    }

    public boolean visible(long i, long j, long lenQ, long lenK) {
        return j >= firstKey(i, lenQ, lenK) && j <= lastKey(i, lenQ, lenK);
    }

    /** First row that sees key j. */
    public long firstRow(long j, long lenQ, long lenK) {
        return kind == Kind.NONE ? 0 : Math.max(0, j - offset(lenQ, lenK));
    }

    /** Last row that sees key j, or −1 where none can. */
    public long lastRow(long j, long lenQ, long lenK) {
        if (j >= lenK) return -1;
        long last = kind == Kind.SLIDING_WINDOW ? Math.min(lenQ - 1, j - offset(lenQ, lenK) + window - 1) : lenQ - 1;
        return Math.max(-1, last);
    }

    /** How many rows see key j: the divisor of MEAN, in closed form. */
    public long rowsSeeing(long j, long lenQ, long lenK) {
        return Math.max(0, lastRow(j, lenQ, lenK) - firstRow(j, lenQ, lenK) + 1);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case NONE -> "none";
            case CAUSAL -> "causal(" + alignment.name().toLowerCase() + ")";
            case SLIDING_WINDOW -> "sliding-window(" + window + ", " + alignment.name().toLowerCase() + ")";
        };
    }
}
