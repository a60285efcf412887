package org.colreduce.cli;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.colreduce.Tensor;

/** The commands' file handling: every failure becomes one {@link IOException} line naming the option and the file. */
final class NpyFiles {
    private NpyFiles() {}

    /** Maps an input file; {@code option} ("--q") starts the message of any failure. */
    static Npy.Array read(Arena arena, String option, Path path, boolean bf16) throws IOException {
        try {
            return Npy.read(path, arena, bf16);
        } catch (Npy.FormatException e) {
            throw new IOException(option + " " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IOException(option + " " + path + ": " + reason(e), e);
        }
    }

    /** A rank-4 input as a tensor view; {@code layout} names the dimensions for the message, e.g. "[B, Hq, M, D]". */
    static Tensor rank4(Arena arena, String option, Path path, boolean bf16, String layout) throws IOException {
        Npy.Array a = read(arena, option, path, bf16);
        if (a.rank() != 4)
            throw new IOException(option + " " + path + ": expected a 4-d array " + layout + ", got shape " + a.shapeText());
        return a.tensor();
    }

    /** Fails early, before any work, when an output cannot be written where asked. */
    static void checkWritable(String option, Path path) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (Files.isDirectory(path)) throw new IOException(option + " " + path + ": is a directory");
        if (dir == null || !Files.isDirectory(dir)) throw new IOException(option + " " + path + ": no such directory " + dir);
        if (!Files.isWritable(dir)) throw new IOException(option + " " + path + ": directory " + dir + " is not writable");
    }

    static void write(String option, Path path, Tensor t) throws IOException {
        try {
            Npy.write(path, t);
        } catch (IOException e) {
            throw new IOException(option + " " + path + ": cannot write: " + reason(e), e);
        }
    }

    /** The short reason of a file-system failure, without Java's class names. */
    static String reason(IOException e) {
        if (e instanceof NoSuchFileException) return "no such file";
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
