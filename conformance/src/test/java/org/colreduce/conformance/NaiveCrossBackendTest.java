package org.colreduce.conformance;

import java.util.List;
import org.colreduce.DType;
import org.colreduce.spi.Availability;
import org.colreduce.spi.BackendSession;
import org.colreduce.spi.Capabilities;
import org.colreduce.spi.ColReduceBackend;

/** Exercises the cross-backend check with two naive backends and one that is unavailable (it must be listed, not used). */
class NaiveCrossBackendTest extends CrossBackendConformance {
    @Override
    protected int cases() { return 8; }

    @Override
    protected List<ColReduceBackend> backends() { return List.of(new NaiveFloatBackend(), new Absent(), new NaiveFloatBackend()); }

    private static final class Absent implements ColReduceBackend {
        @Override public String name() { return "absent"; }
        @Override public Availability availability() { return Availability.unavailable("never available (test double)"); }
        @Override public Capabilities capabilities() { return new Capabilities(java.util.Set.of(DType.F32), 256, 0, "none"); }
        @Override public int priority() { return 1; }
        @Override public BackendSession open() { throw new IllegalStateException("absent"); }
    }
}
