package org.colreduce;

/** How the probabilities of one key column are reduced over query rows (SPEC §4). */
public enum Reduction {
    /** Σᵢ pᵢⱼ. */
    SUM,
    /** Σᵢ pᵢⱼ over the number of rows that see key j; 0 where none does. */
    MEAN,
    /** maxᵢ pᵢⱼ; 0 where no row sees key j. */
    MAX
}
