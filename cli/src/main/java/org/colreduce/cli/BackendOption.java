package org.colreduce.cli;

import org.colreduce.ColReduce;
import org.colreduce.Session;
import picocli.CommandLine.Option;

/** {@code --backend}: which backend runs the call. */
final class BackendOption {
    @Option(names = "--backend", paramLabel = "auto|cpu|vulkan|cuda",
            description = "Backend to run on (default: $COLREDUCE_BACKEND or -Dcolreduce.backend, else auto: the fastest "
                    + "available; 'colreduce backends' lists them).")
    String name;

    /** Opens the chosen backend: IllegalArgumentException for an unknown name, IllegalStateException when unavailable. */
    Session open() {
        return name == null ? ColReduce.open() : ColReduce.open(name);
    }

    /** Runs {@code s.attend(...)}; a backend without it is named in the one-line failure. */
    static void attend(Session s, Runnable call) {
        try {
            call.run();
        } catch (UnsupportedOperationException e) {
            throw new UnsupportedOperationException("backend '" + s.backend() + "' cannot attend: " + e.getMessage()
                    + " (choose another with --backend; 'colreduce backends' lists them)", e);
        }
    }
}
