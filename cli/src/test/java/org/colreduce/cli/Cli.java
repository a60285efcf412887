package org.colreduce.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the command line in-process, as {@code bin/colreduce} would, capturing its output. */
record Cli(int exitCode, String out, String err) {
    static Cli run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Cli(code, out.toString(), err.toString());
    }

    /** Whether stderr holds exactly one line: what every failure must print. */
    boolean oneErrorLine() {
        String e = err.strip();
        return !e.isEmpty() && !e.contains("\n");
    }

    @Override
    public String toString() { return "exit " + exitCode + "\nstdout: " + out + "\nstderr: " + err; }
}
