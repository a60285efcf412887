package org.colreduce.cli;

import java.util.List;
import org.colreduce.ColReduce;
import org.colreduce.conformance.CrossBackendConformance;
import org.colreduce.spi.ColReduceBackend;

/**
 * Every real provider the CLI ships (cpu, vulkan, cuda) that can run here, against each other and
 * the float64 reference; skipped, listing them and why, where fewer than two can. The CLI's own
 * test doubles (float64 loops) are left out: comparing them proves nothing.
 */
class CrossBackendTest extends CrossBackendConformance {
    @Override
    protected List<ColReduceBackend> backends() {
        return ColReduce.backends().stream().filter(b -> !(b instanceof NaiveBackend)).toList();
    }
}
