package org.colreduce.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.colreduce.ColReduce;
import org.colreduce.spi.ColReduceBackend;
import org.junit.jupiter.api.Test;

class BackendsCommandTest {
    @Test
    void listsEveryBackendWithItsReason() {
        Cli r = Cli.run("backends");
        assertEquals(0, r.exitCode(), r.toString());
        for (ColReduceBackend b : ColReduce.backends()) {
            assertTrue(r.out().contains(b.name() + " "), b.name() + " listed: " + r.out());
            assertTrue(r.out().contains(b.availability().reason()), b.name() + "'s reason shown: " + r.out());
        }
        assertTrue(r.out().contains("device: test: float64 loops on the JVM; dtypes: F32 F16 BF16; max D: 256; memory: unknown"), r.out());
        assertTrue(r.out().contains("(automatic selection)"), r.out());
    }
}
