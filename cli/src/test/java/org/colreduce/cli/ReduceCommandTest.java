package org.colreduce.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.colreduce.ColumnReduction;
import org.colreduce.DType;
import org.colreduce.HeadReduction;
import org.colreduce.Mask;
import org.colreduce.Reduction;
import org.colreduce.Tensor;
import org.colreduce.conformance.Reference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code colreduce reduce} end to end through picocli, with files in a temporary directory. The
 * "naive" test backend checks the CLI's plumbing; "cpu" runs the same checks on the real provider
 * (skipped, with the reason, where it is absent).
 */
class ReduceCommandTest {
    private static final float LN3 = (float) Math.log(3);

    @TempDir
    Path dir;
    Path q, k, out;

    @BeforeEach
    void handInputs() throws IOException {
        // D = 1, scale 1: row 0 has logits (0, ln 3), so p = (1/4, 3/4); row 1 has (0, 0), so p = (1/2, 1/2)
        q = dir.resolve("q.npy");
        k = dir.resolve("k.npy");
        out = dir.resolve("out.npy");
        NpyFixtures.f32(q, new float[]{1, 0}, 1, 1, 2, 1);
        NpyFixtures.f32(k, new float[]{0, LN3}, 1, 1, 2, 1);
    }

    private float[] reduce(String backend, String... options) throws IOException {
        List<String> args = new ArrayList<>(List.of("reduce", "--q", q.toString(), "--k", k.toString(), "--out", out.toString(),
                "--scale", "1", "--backend", backend));
        args.addAll(List.of(options));
        Cli r = Cli.run(args.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.toString());
        return NpyFixtures.read(out, 1, 1, 2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"naive", "cpu"})
    void handComputedReductionsAndMasks(String backend) throws IOException {
        NpyFixtures.assumeBackend(backend);
        assertArrayEquals(new float[]{0.75f, 1.25f}, reduce(backend), 1e-6f);
        assertArrayEquals(new float[]{0.375f, 0.625f}, reduce(backend, "--reduction", "mean"), 1e-6f);
        assertArrayEquals(new float[]{0.5f, 0.75f}, reduce(backend, "--reduction", "MAX"), 1e-6f);
        // causal, M = N: row 0 sees key 0 only (p = 1), row 1 sees both
        assertArrayEquals(new float[]{1.5f, 0.5f}, reduce(backend, "--causal"), 1e-6f);
        assertArrayEquals(new float[]{0.75f, 0.5f}, reduce(backend, "--mask", "causal-top-left", "--reduction", "mean"), 1e-6f);
        // window of 1: each row sees only its diagonal key
        assertArrayEquals(new float[]{1f, 1f}, reduce(backend, "--mask", "window:1"), 1e-6f);
        // key length 1: both rows see key 0 only; query length 1: row 1 contributes nothing
        assertArrayEquals(new float[]{2f, 0f}, reduce(backend, "--key-lengths", "1"), 1e-6f);
        assertArrayEquals(new float[]{0.25f, 0.75f}, reduce(backend, "--query-lengths", "1"), 1e-6f);
        // running scores: previous (10) is shorter than N and zero-padded; accumulating in place works
        NpyFixtures.f32(out, new float[]{10}, 1, 1, 1);
        assertArrayEquals(new float[]{10.75f, 1.25f}, reduce(backend, "--previous", out.toString()), 1e-5f);
        assertArrayEquals(new float[]{11.5f, 2.5f}, reduce(backend, "--previous", out.toString()), 1e-5f);
    }

    @ParameterizedTest
    @ValueSource(strings = {"naive", "cpu"})
    void everyOptionMatchesTheFloat64Reference(String backend) throws IOException {
        NpyFixtures.assumeBackend(backend);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        for (DType dtype : DType.values()) {
            Tensor tq = NpyFixtures.random(q, random, dtype, 2, 4, 6, 5);
            Tensor tk = NpyFixtures.random(k, random, dtype, 2, 2, 9, 5);
            Tensor prev = NpyFixtures.f32(dir.resolve("prev.npy"), new float[]{1, 2, 3, 4, 5, 6, 7, 8}, 2, 2, 2);
            ColumnReduction r = ColumnReduction.builder().reduction(Reduction.MEAN).heads(HeadReduction.GROUP_MEAN)
                    .mask(Mask.slidingWindow(3)).scale(0.7).queryLengths(6, 4).keyLengths(9, 7).build();
            Cli run = Cli.run("reduce", "--q", q.toString(), "--k", k.toString(), "--out", out.toString(), "--backend", backend,
                    "--reduction", "mean", "--heads", "group-mean", "--mask", "window:3", "--scale", "0.7",
                    "--query-lengths", "6,4", "--key-lengths", "9,7", "--previous", dir.resolve("prev.npy").toString(),
                    dtype == DType.BF16 ? "--bf16" : "-v");
            assertEquals(0, run.exitCode(), run.toString());
            float[] got = NpyFixtures.read(out, 2, 2, 9);
            double[] want = Reference.columnReduce(tq, tk, r, prev);
            for (int i = 0; i < want.length; i++) {
                double expected = want[i];
                assertEquals(expected, got[i], 1e-5 + 1e-4 * Math.abs(expected), dtype + " element " + i + ", seed " + seed);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"naive", "cpu"})
    void fortranOrderFilesGiveTheSameResult(String backend) throws IOException {
        NpyFixtures.assumeBackend(backend);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        Tensor tq = NpyFixtures.random(q, random, DType.F16, 2, 3, 5, 7);
        Tensor tk = NpyFixtures.random(k, random, DType.F16, 2, 3, 6, 7);
        String[] args = {"reduce", "--q", q.toString(), "--k", k.toString(), "--out", out.toString(), "--backend", backend, "--causal"};
        assertEquals(0, Cli.run(args).exitCode());
        float[] cOrder = NpyFixtures.read(out, 2, 3, 6);
        NpyFixtures.writeFortran(q, tq);
        NpyFixtures.writeFortran(k, tk);
        Cli r = Cli.run(args);
        assertEquals(0, r.exitCode(), r.toString());
        assertArrayEquals(cOrder, NpyFixtures.read(out, 2, 3, 6), 1e-6f, "seed " + seed);
    }

    @Test
    void verboseSaysWhatRan() {
        Cli r = Cli.run("reduce", "--q", q.toString(), "--k", k.toString(), "--out", out.toString(), "--backend", "naive", "-v");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.err().startsWith("reduce on naive: q (1, 1, 2, 1) F32, k (1, 1, 2, 1)") && r.err().contains("(1, 1, 2)"), r.err());
    }

    /** Each case: the message expected, and changes to a good call: "--opt=value" sets, "--flag" adds, "!--opt" removes. */
    static Stream<Arguments> badInput() {
        return Stream.of(
                Arguments.of("absent.npy: no such file", List.of("--q=absent.npy")),
                Arguments.of("not a NumPy .npy file", List.of("--q=garbage.npy")),
                Arguments.of("float64", List.of("--k=f64.npy")),
                Arguments.of("expected a 4-d array [B, Hkv, N, D], got shape (2, 3)", List.of("--k=rank2.npy")),
                Arguments.of("same head dimension D", List.of("--k=d2.npy")),
                Arguments.of("query heads Hq must be a multiple of KV heads Hkv", List.of("--k=h2.npy")),
                Arguments.of("same dtype", List.of("--k=f16.npy")),
                Arguments.of("'median' is not one of sum, mean, max", List.of("--reduction=median")),
                Arguments.of("'half' is not one of none, sum, mean, group-sum, group-mean", List.of("--heads=half")),
                Arguments.of("--reduction max works only with --heads none (SPEC 5.4), got --heads sum", List.of("--reduction=max", "--heads=sum")),
                Arguments.of("a window needs a size W >= 1", List.of("--mask=window:0")),
                Arguments.of("--causal contradicts --mask window:4", List.of("--causal", "--mask=window:4")),
                Arguments.of("--scale", List.of("--scale=abc")),
                Arguments.of("--scale must be finite", List.of("--scale=Infinity")),
                Arguments.of("queryLengths must have one entry per batch (B = 1), got 2", List.of("--query-lengths=1,2")),
                Arguments.of("keyLengths[0] must be in 0..2 (N), got 5", List.of("--key-lengths=5")),
                Arguments.of("previous must have shape [1, 1, 2] with a last extent ≤ 2", List.of("--previous=rank2.npy")),
                Arguments.of("previous must be F32, got F16", List.of("--previous=prev16.npy")),
                Arguments.of("no backend named 'tpu'", List.of("--backend=tpu")),
                Arguments.of("no such directory", List.of("--out=missing/out.npy")),
                Arguments.of("Unknown option: '--colour'", List.of("--colour")),
                Arguments.of("Missing required option: '--k=K.npy'", List.of("!--k")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInput")
    void badInputIsOneLineAndExitCode2(String expected, List<String> changes) throws Exception {
        Files.writeString(dir.resolve("garbage.npy"), "this is not an array");
        Files.copy(Path.of(getClass().getResource("/npy/f64.npy").toURI()), dir.resolve("f64.npy"));
        NpyFixtures.f32(dir.resolve("rank2.npy"), new float[6], 2, 3);
        NpyFixtures.f32(dir.resolve("d2.npy"), new float[4], 1, 1, 2, 2);
        NpyFixtures.f32(dir.resolve("h2.npy"), new float[4], 1, 2, 2, 1);
        NpyFixtures.random(dir.resolve("f16.npy"), new Random(1), DType.F16, 1, 1, 2, 1);
        NpyFixtures.random(dir.resolve("prev16.npy"), new Random(1), DType.F16, 1, 1, 2);
        Map<String, String> options = new LinkedHashMap<>(Map.of("--q", q.toString(), "--k", k.toString(), "--out", out.toString()));
        options.put("--backend", "naive");
        for (String c : changes) {
            if (c.startsWith("!")) options.remove(c.substring(1));
            else if (!c.contains("=")) options.put(c, null);
            else {
                String value = c.substring(c.indexOf('=') + 1);
                options.put(c.substring(0, c.indexOf('=')), value.endsWith(".npy") ? dir.resolve(value).toString() : value);
            }
        }
        List<String> args = new ArrayList<>(List.of("reduce"));
        options.forEach((name, value) -> { args.add(name); if (value != null) args.add(value); });
        Cli r = Cli.run(args.toArray(String[]::new));
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.oneErrorLine(), "one line on stderr: " + r);
        assertTrue(r.err().contains(expected), "'" + expected + "' in " + r.err());
        assertTrue(r.err().startsWith("colreduce reduce: "), r.err());
        assertFalse(Files.exists(out), "no output written on error");
    }

    @Test
    void noCommandOrUnknownCommandIsExitCode2() {
        Cli none = Cli.run();
        assertEquals(2, none.exitCode(), none.toString());
        assertTrue(none.oneErrorLine() && none.err().contains("missing command"), none.toString());
        Cli unknown = Cli.run("reduc");
        assertEquals(2, unknown.exitCode(), unknown.toString());
        assertTrue(unknown.oneErrorLine() && unknown.err().contains("did you mean reduce?"), unknown.toString());
        Cli version = Cli.run("--version");
        assertEquals(0, version.exitCode(), version.toString());
        assertTrue(version.out().startsWith("colreduce "), version.out());
    }
}
