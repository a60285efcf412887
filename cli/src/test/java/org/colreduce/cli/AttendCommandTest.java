package org.colreduce.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code colreduce attend} end to end: O and the scores from files, accumulation, and how failures read. */
class AttendCommandTest {
    @TempDir
    Path dir;
    Path q, k, v, o, s;

    @BeforeEach
    void handInputs() throws IOException {
        // as in ReduceCommandTest: p = (1/4, 3/4) for row 0 and (1/2, 1/2) for row 1
        q = dir.resolve("q.npy");
        k = dir.resolve("k.npy");
        v = dir.resolve("v.npy");
        o = dir.resolve("o.npy");
        s = dir.resolve("s.npy");
        NpyFixtures.f32(q, new float[]{1, 0}, 1, 1, 2, 1);
        NpyFixtures.f32(k, new float[]{0, (float) Math.log(3)}, 1, 1, 2, 1);
        NpyFixtures.f32(v, new float[]{1, 10, 100, 2, 20, 200}, 1, 1, 2, 3); // Dv = 3 differs from D = 1
    }

    private Cli attend(String backend, String... extra) {
        String[] base = {"attend", "--q", q.toString(), "--k", k.toString(), "--v", v.toString(), "--out", o.toString(),
                "--scores", s.toString(), "--scale", "1", "--backend", backend};
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return Cli.run(args);
    }

    @ParameterizedTest
    @ValueSource(strings = {"naive", "cpu"})
    void handComputedOutputAndScores(String backend) throws IOException {
        NpyFixtures.assumeBackend(backend);
        Cli r = attend(backend);
        org.junit.jupiter.api.Assumptions.assumeFalse(r.exitCode() == 1 && r.err().contains("cannot attend"), r.err().strip());
        assertEquals(0, r.exitCode(), r.toString());
        assertArrayEquals(new float[]{1.75f, 17.5f, 175f, 1.5f, 15f, 150f}, NpyFixtures.read(o, 1, 1, 2, 3), 1e-4f);
        assertArrayEquals(new float[]{0.75f, 1.25f}, NpyFixtures.read(s, 1, 1, 2), 1e-6f);

        NpyFixtures.f32(dir.resolve("prev.npy"), new float[]{10}, 1, 1, 1);
        r = attend(backend, "--causal", "--scores-in", dir.resolve("prev.npy").toString());
        assertEquals(0, r.exitCode(), r.toString());
        assertArrayEquals(new float[]{1f, 10f, 100f, 1.5f, 15f, 150f}, NpyFixtures.read(o, 1, 1, 2, 3), 1e-4f);
        assertArrayEquals(new float[]{11.5f, 0.5f}, NpyFixtures.read(s, 1, 1, 2), 1e-5f);
    }

    @Test
    void aBackendWithoutAttendSaysSoInOneLine() {
        Cli r = attend("reduce-only");
        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.oneErrorLine() && r.err().contains("backend 'reduce-only' cannot attend"), r.toString());
        assertFalse(Files.exists(o) || Files.exists(s));
    }

    @Test
    void badInputIsOneLineAndExitCode2() throws IOException {
        NpyFixtures.f32(v, new float[3], 1, 1, 3, 1); // N = 3 keys of values for N = 2 keys
        Cli r = attend("naive");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.oneErrorLine() && r.err().contains("v must have shape [B=1, Hkv=1, N=2, Dv]"), r.toString());

        NpyFixtures.f32(v, new float[6], 1, 1, 2, 3);
        s = o;
        r = attend("naive");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.oneErrorLine() && r.err().contains("--out and --scores must be different files"), r.toString());

        r = Cli.run("attend", "--q", q.toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.oneErrorLine() && r.err().contains("Missing required options"), r.toString());
        assertFalse(Files.exists(o) || Files.exists(s));
    }
}
