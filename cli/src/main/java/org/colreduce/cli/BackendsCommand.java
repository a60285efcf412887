package org.colreduce.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.colreduce.ColReduce;
import org.colreduce.spi.Availability;
import org.colreduce.spi.Capabilities;
import org.colreduce.spi.ColReduceBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code colreduce backends}: every backend found, available or not, and why. */
@Command(name = "backends", header = "Lists every backend found, whether it can run here, and why not.",
        mixinStandardHelpOptions = true,
        description = "Lists every backend found on the class path, highest priority first: whether it can run here and"
                + " why, and what it offers. Automatic selection takes the first available one. Exit code 1 when "
                + "none is available.")
final class BackendsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<ColReduceBackend> all = ColReduce.backends();
        if (all.isEmpty()) {
            out.println("no backend found: is a provider module (colreduce-provider-cpu, -vulkan, -cuda) on the class path?");
            return Main.CANNOT_RUN;
        }
        int width = all.stream().mapToInt(b -> b.name().length()).max().orElse(0) + 2;
        String indent = " ".repeat(width);
        ColReduceBackend auto = null;
        for (ColReduceBackend b : all) {
            Availability a = availability(b);
            if (a.available() && auto == null) auto = b;
            out.printf("%-" + width + "spriority %-4d %s%s%n", b.name(), b.priority(), a.available() ? "available" : "unavailable",
                    a.available() && auto == b ? "  (automatic selection)" : "");
            out.println(indent + a.reason());
            if (a.available()) out.println(indent + capabilities(b, a.reason()));
        }
        String property = System.getProperty(ColReduce.PROPERTY), environment = System.getenv(ColReduce.ENVIRONMENT);
        if (property != null && !property.isBlank()) out.println("-D" + ColReduce.PROPERTY + "=" + property + " chooses the backend instead");
        else if (environment != null && !environment.isBlank()) out.println(ColReduce.ENVIRONMENT + "=" + environment + " chooses the backend instead");
        if (auto == null) {
            out.println("no backend is available here");
            return Main.CANNOT_RUN;
        }
        return 0;
    }

    /** A backend's own answer; a probe that throws (against its contract) is shown, not fatal. */
    private static Availability availability(ColReduceBackend b) {
        try {
            return b.availability();
        } catch (RuntimeException | LinkageError e) {
            return Availability.unavailable("probing failed: " + e);
        }
    }

    /** What it offers; the device only where the availability text has not named it already. */
    private static String capabilities(ColReduceBackend b, String reason) {
        try {
            Capabilities c = b.capabilities();
            String types = c.dtypes().stream().sorted().map(Enum::name).collect(Collectors.joining(" "));
            return (reason.contains(c.device()) || c.device().contains(reason) ? "" : "device: " + c.device() + "; ") + "dtypes: " + types + "; max D: " + c.maxHeadDim()
                    + "; memory: " + (c.memoryBytes() > 0 ? String.format("%.1f GiB", c.memoryBytes() / (double) (1L << 30)) : "unknown");
        } catch (RuntimeException | LinkageError e) {
            return "capabilities unknown: " + e;
        }
    }
}
