package org.colreduce.cli;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.colreduce.ColumnReduction;
import org.colreduce.HeadReduction;
import org.colreduce.Mask;
import org.colreduce.Reduction;
import org.colreduce.Tensor;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** Shared by {@code reduce} and {@code attend}: what to compute (a {@link ColumnReduction}) and how the input files are read. */
final class ProblemOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--reduction", paramLabel = "sum|mean|max", defaultValue = "sum", converter = ReductionConverter.class,
            completionCandidates = ReductionConverter.class,
            description = "Reduction over query rows, per key column (default: ${DEFAULT-VALUE}).")
    Reduction reduction;

    @Option(names = "--heads", paramLabel = "none|sum|mean|group-sum|group-mean", defaultValue = "none",
            converter = HeadsConverter.class, completionCandidates = HeadsConverter.class,
            description = "Head reduction of the result (default: ${DEFAULT-VALUE}): none gives [B, Hq, N], sum and mean "
                    + "[B, N], group-sum and group-mean (over the query heads sharing a KV head) [B, Hkv, N].")
    HeadReduction heads;

    @Option(names = "--mask", paramLabel = "MASK", converter = MaskConverter.class,
            description = "none (default), causal (bottom-right aligned: the last query sees every key), causal-top-left "
                    + "(key j visible to query i iff j <= i), window:W (causal sliding window of W keys), "
                    + "window-top-left:W.")
    Mask mask;

    @Option(names = "--causal", description = "Short for --mask causal.")
    boolean causal;

    @Option(names = "--scale", paramLabel = "X", description = "Multiplies q.k before the softmax (default: 1/sqrt(D)).")
    Double scale;

    @Option(names = "--query-lengths", paramLabel = "L", split = ",",
            description = "Per-batch query lengths, e.g. 3,5: rows >= L of a batch contribute nothing.")
    int[] queryLengths;

    @Option(names = "--key-lengths", paramLabel = "L", split = ",",
            description = "Per-batch key lengths (padding): keys >= L of a batch are invisible.")
    int[] keyLengths;

    @Option(names = "--bf16",
            description = "Read 16-bit word arrays ('<u2', '<i2', '|V2') as bfloat16 bits; NumPy has no bfloat16 type.")
    boolean bf16;

    @Option(names = "--layout", paramLabel = "bhsd|bshd", defaultValue = "bhsd", converter = LayoutConverter.class,
            description = "How Q, K, V (and O) lie in their files: bhsd is [B, H, S, D] (default); bshd is [B, S, H, D], as many "
                    + "models keep them before the transpose, read through a transposed view without a copy.")
    Layout layout;

    @Option(names = "--query-range", paramLabel = "START:END", converter = RangeConverter.class,
            description = "Only these query rows, as a Python slice of M: -64: is the last 64 (SnapKV's observation window), "
                    + ":1 the first. A view; no copy. With a causal mask, the last row still sees every key.")
    Range queryRange;

    /** A Python-style slice {@code start:end} of one dimension; null ends are open, negatives count from the end. */
    record Range(Integer start, Integer end) {
        Tensor apply(Tensor t, int dim) {
            long n = t.size(dim);
            long from = resolve(start, n, 0), to = resolve(end, n, n);
            if (from >= to)
                throw new IllegalArgumentException("--query-range " + this + " selects no rows of M = " + n);
            return t.slice(dim, from, to - from);
        }

        private static long resolve(Integer i, long n, long open) {
            if (i == null) return open;
            return Math.clamp(i < 0 ? n + i : i, 0, n);
        }

        @Override
        public String toString() { return (start == null ? "" : start) + ":" + (end == null ? "" : end); }
    }

    /** The queries the options select: all, or a slice along M. */
    Tensor selectQueries(Tensor q) { return queryRange == null ? q : queryRange.apply(q, 2); }

    /** The dimension order of the tensors in the files. */
    enum Layout { BHSD, BSHD }

    /**
     * A rank-4 input as the [B, H, S, D] view the API takes; {@code h}, {@code s}, {@code d} name
     * the dimensions in messages ("Hkv", "N", "D").
     */
    Tensor input(Arena arena, String option, Path path, String h, String s, String d) throws IOException {
        boolean bshd = layout == Layout.BSHD;
        Tensor t = NpyFiles.rank4(arena, option, path, bf16, "[B, " + (bshd ? s + ", " + h : h + ", " + s) + ", " + d + "]");
        return bshd ? t.transpose(1, 2) : t;
    }

    /** A [B, H, S, D] result in the files' layout (a view; the writer copies it in order). */
    Tensor asFileLayout(Tensor bhsd) { return layout == Layout.BSHD ? bhsd.transpose(1, 2) : bhsd; }

    /** The reduction the options describe; a contradiction is a usage error. */
    ColumnReduction reduction() {
        Mask m = mask == null ? Mask.none() : mask;
        if (causal) {
            if (mask != null && !mask.equals(Mask.causal()))
                throw new ParameterException(spec.commandLine(), "--causal contradicts --mask " + MaskConverter.name(mask));
            m = Mask.causal();
        }
        ColumnReduction.Builder b = ColumnReduction.builder().reduction(reduction).heads(heads).mask(m);
        if (scale != null) {
            if (!Double.isFinite(scale)) throw new ParameterException(spec.commandLine(), "--scale must be finite, got " + scale);
            b.scale(scale);
        }
        if (queryLengths != null) b.queryLengths(queryLengths);
        if (keyLengths != null) b.keyLengths(keyLengths);
        if (reduction == Reduction.MAX && heads != HeadReduction.NONE)
            throw new ParameterException(spec.commandLine(), "--reduction max works only with --heads none (SPEC 5.4), got --heads " + optionName(heads));
        return b.build();
    }

    /** Lower-case, dash-separated names of enum constants: GROUP_SUM is group-sum. */
    static String optionName(Enum<?> e) { return e.name().toLowerCase(Locale.ROOT).replace('_', '-'); }

    private abstract static class EnumConverter<E extends Enum<E>> implements ITypeConverter<E>, Iterable<String> {
        private final Class<E> type;

        EnumConverter(Class<E> type) { this.type = type; }

        @Override
        public E convert(String value) {
            for (E e : type.getEnumConstants()) if (optionName(e).equals(value.trim().toLowerCase(Locale.ROOT).replace('_', '-'))) return e;
            throw new TypeConversionException("'" + value + "' is not one of " + String.join(", ", this));
        }

        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(type.getEnumConstants()).map(ProblemOptions::optionName).iterator();
        }
    }

    static final class RangeConverter implements ITypeConverter<Range> {
        @Override
        public Range convert(String value) {
            int colon = value.indexOf(':');
            if (colon < 0 || value.indexOf(':', colon + 1) >= 0)
                throw new TypeConversionException("'" + value + "' is not a slice START:END, e.g. -64: or 0:128");
            try {
                String a = value.substring(0, colon).trim(), b = value.substring(colon + 1).trim();
                return new Range(a.isEmpty() ? null : Integer.valueOf(a), b.isEmpty() ? null : Integer.valueOf(b));
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is not a slice START:END of integers, e.g. -64: or 0:128");
            }
        }
    }

    static final class LayoutConverter extends EnumConverter<Layout> {
        LayoutConverter() { super(Layout.class); }
    }

    static final class ReductionConverter extends EnumConverter<Reduction> {
        ReductionConverter() { super(Reduction.class); }
    }

    static final class HeadsConverter extends EnumConverter<HeadReduction> {
        HeadsConverter() { super(HeadReduction.class); }
    }

    /** Parses none, causal, causal-top-left, window:W and window-top-left:W. */
    static final class MaskConverter implements ITypeConverter<Mask> {
        private static final List<String> FORMS = List.of("none", "causal", "causal-top-left", "window:W", "window-top-left:W");

        @Override
        public Mask convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            switch (v) {
                case "none": return Mask.none();
                case "causal": case "causal-bottom-right": return Mask.causal();
                case "causal-top-left": return Mask.causal(Mask.Alignment.TOP_LEFT);
                default: break;
            }
            int colon = v.indexOf(':');
            String kind = colon < 0 ? v : v.substring(0, colon);
            Mask.Alignment alignment = switch (kind) {
                case "window", "window-bottom-right" -> Mask.Alignment.BOTTOM_RIGHT;
                case "window-top-left" -> Mask.Alignment.TOP_LEFT;
                default -> throw new TypeConversionException("'" + value + "' is not one of " + String.join(", ", FORMS));
            };
            long w;
            try {
                w = colon < 0 ? -1 : Long.parseLong(v.substring(colon + 1));
            } catch (NumberFormatException e) {
                w = -1;
            }
            if (w < 1) throw new TypeConversionException("'" + value + "': a window needs a size W >= 1, e.g. window:128");
            return Mask.slidingWindow(w, alignment);
        }

        /** The option spelling of a mask. */
        static String name(Mask m) {
            String align = m.alignment() == Mask.Alignment.TOP_LEFT ? "-top-left" : "";
            return switch (m.kind()) {
                case NONE -> "none";
                case CAUSAL -> "causal" + align;
                case SLIDING_WINDOW -> "window" + align + ":" + m.window();
            };
        }
    }
}
