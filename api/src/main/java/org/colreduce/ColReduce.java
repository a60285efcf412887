package org.colreduce;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import org.colreduce.spi.ColReduceBackend;

/**
 * Entry point: finds backends with {@link ServiceLoader} and opens sessions. Automatic selection
 * takes the available backend of highest priority (CUDA, then a Vulkan GPU, then the CPU); the
 * system property {@code colreduce.backend} or the environment variable {@code COLREDUCE_BACKEND}
 * names one instead ("auto" keeps automatic selection).
 */
public final class ColReduce {
    public static final String PROPERTY = "colreduce.backend";
    public static final String ENVIRONMENT = "COLREDUCE_BACKEND";
    private static final System.Logger LOG = System.getLogger("org.colreduce");

    private ColReduce() {}

    /** Every backend found, available or not, highest priority first. */
    public static List<ColReduceBackend> backends() {
        List<ColReduceBackend> all = new ArrayList<>();
        ServiceLoader.load(ColReduceBackend.class, ColReduce.class.getClassLoader()).forEach(all::add);
        if (all.isEmpty()) ServiceLoader.load(ColReduceBackend.class).forEach(all::add);
        all.sort(Comparator.comparingInt(ColReduceBackend::priority).reversed().thenComparing(ColReduceBackend::name));
        return all;
    }

    /** Opens the backend named by the property or environment, else the best available one. */
    public static Session open() {
        String chosen = System.getProperty(PROPERTY);
        if (chosen == null || chosen.isBlank()) chosen = System.getenv(ENVIRONMENT);
        return open(chosen == null || chosen.isBlank() ? "auto" : chosen);
    }

    /** Opens a backend by name ("cpu", "vulkan", "cuda"), or the best available for "auto". */
    public static Session open(String name) {
        if (name == null) throw new IllegalArgumentException("backend name must not be null");
        String want = name.trim().toLowerCase(Locale.ROOT);
        List<ColReduceBackend> all = backends();
        if (want.equals("auto")) {
            for (ColReduceBackend b : all) {
                if (b.availability().available()) {
                    LOG.log(Level.DEBUG, "colreduce: automatic selection chose {0} ({1})", b.name(), b.availability().reason());
                    return open(b);
                }
                LOG.log(Level.DEBUG, "colreduce: {0} unavailable: {1}", b.name(), b.availability().reason());
            }
            throw new IllegalStateException("no colreduce backend is available; found " + describe(all));
        }
        for (ColReduceBackend b : all) {
            if (b.name().equals(want)) {
                if (!b.availability().available())
                    throw new IllegalStateException("backend '" + want + "' is unavailable: " + b.availability().reason());
                return open(b);
            }
        }
        throw new IllegalArgumentException("no backend named '" + name + "'; found " + describe(all));
    }

    /** Opens a specific backend instance (tests, benchmarks). */
    public static Session open(ColReduceBackend backend) {
        if (!backend.availability().available())
            throw new IllegalStateException("backend '" + backend.name() + "' is unavailable: " + backend.availability().reason());
        return new Session(backend.name(), backend.capabilities(), backend.open());
    }

    private static String describe(List<ColReduceBackend> all) {
        if (all.isEmpty()) return "none (is a provider module on the class or module path?)";
        StringBuilder sb = new StringBuilder();
        for (ColReduceBackend b : all)
            sb.append(sb.isEmpty() ? "" : "; ").append(b.name()).append(b.availability().available() ? " (available)" : " (" + b.availability().reason() + ")");
        return sb.toString();
    }
}
