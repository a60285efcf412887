package org.colreduce.spi;

import java.util.Set;
import org.colreduce.DType;

/**
 * What a backend offers: element types, the largest head dimension, the memory it can use
 * (bytes; 0 where unknown) and the device it runs on, in words.
 */
public record Capabilities(Set<DType> dtypes, int maxHeadDim, long memoryBytes, String device) {
    public Capabilities {
        dtypes = Set.copyOf(dtypes);
    }
}
