package org.colreduce.cli;

import org.colreduce.spi.BackendSession;

/** A test-only backend without {@code attend} (the SPI's default throws), to check how the CLI reports that. */
public final class ReduceOnlyBackend extends NaiveBackend {
    @Override public String name() { return "reduce-only"; }

    @Override public int priority() { return 0; }

    @Override public BackendSession open() { return new Naive(false); }
}
