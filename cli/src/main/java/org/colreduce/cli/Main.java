package org.colreduce.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code colreduce} command line. Exit codes: 0 success; 1 the work could not run here (no
 * backend available, an operation the backend does not offer) or the demo's check failed;
 * 2 bad input (options, files, dtypes, shapes), always as one line on stderr.
 */
@Command(name = "colreduce", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        subcommands = {ReduceCommand.class, AttendCommand.class, BackendsCommand.class, DemoCommand.class, CommandLine.HelpCommand.class},
        description = "Column reductions (sum, mean, max over query rows) of the softmax attention matrix P = "
                + "softmax(Q.K^T.scale + mask), computed without materialising P; and attention output with column "
                + "scores.",
        footerHeading = "%nExit codes:%n",
        footer = {"  0  success", "  1  no backend can run it here, or the demo's check failed", "  2  bad input: options, files, dtypes or shapes"})
public final class Main implements Runnable {
    static final int BAD_INPUT = 2;
    static final int CANNOT_RUN = 1;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: reduce, attend, backends or demo");
    }

    public static void main(String[] args) {
        System.exit(commandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true)).execute(args));
    }

    /** The configured command line, writing to the given streams (tests pass their own). */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, args) -> {
            String name = ex.getCommandLine().getCommandSpec().qualifiedName();
            String hint = ex instanceof UnmatchedArgumentException u && !u.getSuggestions().isEmpty()
                    ? "did you mean " + String.join(" or ", u.getSuggestions()) + "? see '" + name + " --help'"
                    : "see '" + name + " --help'";
            ex.getCommandLine().getErr().println(name + ": " + ex.getMessage() + " (" + hint + ")");
            return BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((ex, command, parsed) -> {
            String name = command.getCommandSpec().qualifiedName();
            PrintWriter e = command.getErr();
            Throwable t = ex instanceof UncheckedIOException u ? u.getCause() : ex;
            if (t instanceof IOException || t instanceof IllegalArgumentException) {
                e.println(name + ": " + t.getMessage());
                return BAD_INPUT;
            }
            if (t instanceof IllegalStateException || t instanceof UnsupportedOperationException) {
                e.println(name + ": " + t.getMessage());
                return CANNOT_RUN;
            }
            e.println(name + ": internal error, please report it: " + t);
            t.printStackTrace(e);
            return CANNOT_RUN;
        });
        return cl;
    }

    /** The version from the jar's manifest, or "development build" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"colreduce " + (v == null ? "(development build)" : v),
                    "JVM: ${java.version} (${java.vendor} ${java.vm.name}), ${os.name} ${os.arch}"};
        }
    }
}
