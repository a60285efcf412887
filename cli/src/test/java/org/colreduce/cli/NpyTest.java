package org.colreduce.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.colreduce.DType;
import org.colreduce.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The .npy reader and writer: files NumPy wrote (src/test/resources/npy, made by numpy 2.4), round trips, and broken files. */
class NpyTest {
    /** (arange(24).reshape(2, 3, 4) − 10) / 4: exact in float16 too. */
    private static final float[] A = new float[24];

    static {
        for (int i = 0; i < 24; i++) A[i] = (i - 10) / 4f;
    }

    @TempDir
    Path dir;
    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() { arena.close(); }

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(NpyTest.class.getResource("/npy/" + name).toURI());
    }

    @ParameterizedTest
    @ValueSource(strings = {"c_f32.npy", "c_f16.npy", "fortran_f32.npy", "v2_f32.npy", "v3_f16.npy"})
    void readsWhatNumpyWrote(String name) throws Exception {
        Npy.Array a = Npy.read(resource(name), arena, false);
        assertArrayEquals(new long[]{2, 3, 4}, a.shape());
        assertEquals(name.contains("f16") ? DType.F16 : DType.F32, a.dtype());
        assertArrayEquals(A, a.tensor().toFloatArray(), name);
    }

    @Test
    void readsVectorsScalarsAndBf16Words() throws Exception {
        Npy.Array v = Npy.read(resource("vector_f32.npy"), arena, false);
        assertArrayEquals(new long[]{3}, v.shape());
        assertArrayEquals(new float[]{1.5f, -2f, 3.25f}, v.tensor().toFloatArray());
        Npy.Array s = Npy.read(resource("scalar_f32.npy"), arena, false);
        assertEquals(0, s.rank());
        assertEquals(7f, s.data().get(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
        Npy.Array w = Npy.read(resource("u2.npy"), arena, true);
        assertEquals(DType.BF16, w.dtype());
        assertArrayEquals(new float[]{1f, 2f, -3f}, w.tensor().toFloatArray());
    }

    @Test
    void writtenFilesMatchNumpyByteForByte() throws Exception {
        Path f32 = dir.resolve("a.npy"), f16 = dir.resolve("b.npy");
        Npy.write(f32, Tensor.f32(A.clone(), 2, 3, 4));
        short[] bits = new short[24];
        for (int i = 0; i < 24; i++) bits[i] = DType.floatToF16(A[i]);
        Npy.write(f16, Tensor.f16(bits, 2, 3, 4));
        assertArrayEquals(Files.readAllBytes(resource("c_f32.npy")), Files.readAllBytes(f32));
        assertArrayEquals(Files.readAllBytes(resource("c_f16.npy")), Files.readAllBytes(f16));
    }

    @Test
    void roundTripsStridedViewsAndEveryType() throws Exception {
        Tensor t = Tensor.f32(A.clone(), 2, 3, 4).transpose(0, 2).slice(1, 1, 2); // [4, 2, 2], strided
        Path p = dir.resolve("strided.npy");
        Npy.write(p, t);
        Npy.Array back = Npy.read(p, arena, false);
        assertArrayEquals(t.shape(), back.shape());
        assertArrayEquals(t.toFloatArray(), back.tensor().toFloatArray());

        short[] bf = new short[24];
        for (int i = 0; i < 24; i++) bf[i] = DType.floatToBf16(A[i]);
        Npy.write(p, Tensor.bf16(bf, 4, 6));
        assertThrows(Npy.FormatException.class, () -> Npy.read(p, arena, false), "16-bit words need --bf16");
        Npy.Array words = Npy.read(p, arena, true);
        assertEquals(DType.BF16, words.dtype());
        assertArrayEquals(A, words.tensor().toFloatArray());
    }

    @Test
    void longHeadersUseVersion2() throws Exception {
        long[] shape = new long[23_000];
        Arrays.fill(shape, 1);
        shape[0] = 3;
        Path p = dir.resolve("long.npy");
        Npy.write(p, Tensor.f32(new float[]{1, 2, 3}, shape));
        byte[] bytes = Files.readAllBytes(p);
        assertEquals(2, bytes[6]);
        int headerEnd = 12 + ByteBuffer.wrap(bytes, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        assertEquals(0, headerEnd % 64, "data aligned to 64 bytes");
        Npy.Array back = Npy.read(p, arena, false);
        assertArrayEquals(shape, back.shape());
        assertArrayEquals(new float[]{1, 2, 3}, back.tensor().toFloatArray());
    }

    @Test
    void parsesTheHeaderLiteralsOldNumpyWrote() {
        NpyHeader h = NpyHeader.parse("{\"descr\":\"<f2\",\"shape\":(3L,4L),\"fortran_order\":True}  \n");
        assertEquals("<f2", h.descr());
        assertTrue(h.fortranOrder());
        assertArrayEquals(new long[]{3, 4}, h.shape());
        assertEquals(h, NpyHeader.parse(h.format()));
        assertEquals("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", new NpyHeader("<f4", false, new long[]{5}).format());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{'descr': '<f4', 'fortran_order': False}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}",
            "{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]} trailing",
            "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)",
            "{'descr': '<f4' 'fortran_order': False, 'shape': (2, 3)}",
            "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}",
            "{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3)}",
            "['descr']",
            ""})
    void rejectsMalformedHeaders(String header) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NpyHeader.parse(header));
        assertTrue(!e.getMessage().isBlank());
    }

    @Test
    void rejectsBrokenAndUnsupportedFiles() throws Exception {
        byte[] good = Files.readAllBytes(resource("c_f32.npy"));
        assertFormatError("not a NumPy", bytes("PK\3\4 this is a zip file"));
        assertFormatError("not a NumPy", Arrays.copyOf(good, 5));
        assertFormatError("truncated", Arrays.copyOf(good, 9));
        assertFormatError("truncated", Arrays.copyOf(good, 100));
        assertFormatError("truncated", Arrays.copyOf(good, good.length - 1));
        assertFormatError("unexpected bytes", Arrays.copyOf(good, good.length + 4));
        byte[] v9 = good.clone();
        v9[6] = 9;
        assertFormatError("version 9.0", v9);
        byte[] badHeader = good.clone();
        badHeader[20] = '#';
        assertFormatError("malformed header", badHeader);
        assertFormatError("is too large", Npy.header(new NpyHeader("<f4", false, new long[]{1L << 62, 4})));
        assertFormatError("float64", Files.readAllBytes(resource("f64.npy")));
        assertFormatError("big-endian", Files.readAllBytes(resource("be_f32.npy")));
        assertFormatError("--bf16", Files.readAllBytes(resource("u2.npy")));
        assertThrows(java.nio.file.NoSuchFileException.class, () -> Npy.read(dir.resolve("absent.npy"), arena, false));
    }

    private void assertFormatError(String expected, byte[] content) throws IOException {
        Path p = Files.write(dir.resolve("broken.npy"), content);
        Npy.FormatException e = assertThrows(Npy.FormatException.class, () -> Npy.read(p, arena, false));
        assertTrue(e.getMessage().contains(expected) && e.getMessage().startsWith(p.toString()), e.getMessage());
    }

    private static byte[] bytes(String s) { return s.getBytes(StandardCharsets.ISO_8859_1); }
}
