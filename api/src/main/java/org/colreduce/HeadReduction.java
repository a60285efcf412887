package org.colreduce;

/** How per-query-head results are combined (SPEC §5). */
public enum HeadReduction {
    /** Keep every query head: result [B, Hq, N]. */
    NONE,
    /** Sum over all query heads: [B, N]. */
    SUM,
    /** Mean over all query heads: [B, N]. */
    MEAN,
    /** Sum over the query heads that share a KV head: [B, Hkv, N]. */
    GROUP_SUM,
    /** Mean over the query heads that share a KV head: [B, Hkv, N]. */
    GROUP_MEAN;

    /** Whether this combines heads within a KV group (true) or across all heads (false). */
    public boolean grouped() { return this == GROUP_SUM || this == GROUP_MEAN; }

    public boolean averages() { return this == MEAN || this == GROUP_MEAN; }
}
