package org.colreduce.cli;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import org.colreduce.ColReduce;
import org.colreduce.DType;
import org.colreduce.Tensor;
import org.colreduce.spi.ColReduceBackend;

/** Test inputs as .npy files, and the outputs read back. */
final class NpyFixtures {
    private NpyFixtures() {}

    /** A random normal tensor of the given type (values rounded to it), written to {@code path}. */
    static Tensor random(Path path, Random random, DType dtype, long... shape) throws IOException {
        int n = (int) Tensors.count(shape);
        Tensor t = switch (dtype) {
            case F32 -> Tensor.f32(new float[n], shape);
            case F16 -> Tensor.f16(new short[n], shape);
            case BF16 -> Tensor.bf16(new short[n], shape);
        };
        for (int i = 0; i < n; i++) t.setAt(i, (float) random.nextGaussian());
        Npy.write(path, t);
        return t;
    }

    static Tensor f32(Path path, float[] data, long... shape) throws IOException {
        Tensor t = Tensor.f32(data, shape);
        Npy.write(path, t);
        return t;
    }

    /** Writes {@code t} in Fortran (column-major) order, as NumPy saves an {@code np.asfortranarray}. */
    static void writeFortran(Path path, Tensor t) throws IOException {
        Tensor reversed = t;
        for (int a = 0, b = t.rank() - 1; a < b; a++, b--) reversed = reversed.transpose(a, b);
        Path c = path.resolveSibling("c-order-" + path.getFileName());
        Npy.write(c, reversed); // C order of the reversed axes is Fortran order of the original
        byte[] file = java.nio.file.Files.readAllBytes(c);
        String descr = t.dtype() == DType.F32 ? "<f4" : "<f2";
        int skip = Npy.header(new NpyHeader(descr, false, reversed.shape())).length;
        byte[] header = Npy.header(new NpyHeader(descr, true, t.shape()));
        byte[] out = java.util.Arrays.copyOf(header, header.length + file.length - skip);
        System.arraycopy(file, skip, out, header.length, file.length - skip);
        java.nio.file.Files.write(path, out);
    }

    /** A float32 output file's shape and values. */
    static float[] read(Path path, long... expectedShape) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Npy.Array a = Npy.read(path, arena, false);
            org.junit.jupiter.api.Assertions.assertArrayEquals(expectedShape, a.shape(), "shape of " + path);
            org.junit.jupiter.api.Assertions.assertEquals(DType.F32, a.dtype(), "dtype of " + path);
            return a.tensor().toFloatArray();
        }
    }

    /** Skips the test, visibly, when the backend is absent or cannot run here. */
    static void assumeBackend(String name) {
        Optional<ColReduceBackend> b = ColReduce.backends().stream().filter(x -> x.name().equals(name)).findFirst();
        assumeTrue(b.isPresent(), "backend '" + name + "' is not on the class path");
        assumeTrue(b.get().availability().available(), "backend '" + name + "' is unavailable: " + b.get().availability().reason());
    }
}
