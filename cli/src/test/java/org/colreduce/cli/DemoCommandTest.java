package org.colreduce.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DemoCommandTest {
    @Test
    void timesAndChecksOnTheAutomaticallyChosenBackend() {
        Cli r = Cli.run("demo", "--queries", "48", "--keys", "64", "--query-heads", "4", "--kv-heads", "2", "--dim", "16",
                "--warmup", "1", "--runs", "3", "--seed", "7");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("Q (1, 4, 48, 16), K (1, 2, 64, 16), F16"), r.out());
        assertTrue(r.out().contains("median"), r.out());
        assertTrue(r.out().contains("all scores add up to 192.00; expected 192, the rows that see a key: OK"), r.out());
        assertTrue(r.out().contains(": OK"), r.out());
    }

    @Test
    void everyMaskReductionAndTypeChecksOut() {
        for (String mask : new String[]{"none", "causal-top-left", "window:5"})
            for (String reduction : new String[]{"mean", "max"})
                for (String dtype : new String[]{"f32", "bf16"}) {
                    Cli r = Cli.run("demo", "--backend", "naive", "--queries", "20", "--keys", "12", "--dim", "8", "--query-heads", "2",
                            "--warmup", "0", "--runs", "1", "--mask", mask, "--reduction", reduction, "--dtype", dtype);
                    assertEquals(0, r.exitCode(), r.toString());
                    assertTrue(r.out().contains(": OK"), r.out());
                }
    }

    @Test
    void attendChecksTheOutputToo() {
        String[] small = {"demo", "--attend", "--queries", "24", "--keys", "16", "--dim", "8", "--warmup", "0", "--runs", "1", "--backend"};
        Cli r = Cli.run(with(small, "naive"));
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("V (1, 8, 16, 8)") && r.out().contains("call      attend: O and SUM"), r.out());
        assertTrue(r.out().contains(": scores vs float64 reference") && r.out().contains("          O vs float64 reference"), r.out());
        assertEquals(3, r.out().split(": OK", -1).length - 1, "sum, scores and O each OK: " + r.out());

        r = Cli.run(with(small, "reduce-only"));
        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.oneErrorLine() && r.err().contains("backend 'reduce-only' cannot attend"), r.toString());
    }

    private static String[] with(String[] args, String last) {
        String[] all = java.util.Arrays.copyOf(args, args.length + 1);
        all[args.length] = last;
        return all;
    }

    @Test
    void badSizesAreExitCode2() {
        Cli r = Cli.run("demo", "--backend", "naive", "--dim", "300");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.oneErrorLine() && r.err().contains("head dimension D must be in 1..256, got 300"), r.toString());
    }
}
