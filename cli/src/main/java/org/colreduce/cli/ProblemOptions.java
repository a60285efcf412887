package org.colreduce.cli;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.colreduce.ColumnReduction;
import org.colreduce.HeadReduction;
import org.colreduce.Mask;
import org.colreduce.Reduction;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** What to compute, shared by {@code reduce} and {@code attend}: options that build a {@link ColumnReduction}. */
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
