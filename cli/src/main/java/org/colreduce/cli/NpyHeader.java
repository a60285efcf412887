package org.colreduce.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The header of a NumPy {@code .npy} file: the Python dict literal
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }} that follows the magic,
 * the version and the header length. Parsing is strict (exactly these three keys, as NumPy
 * itself demands) so a damaged file fails here, with the reason, rather than later as garbage.
 *
 * @param descr        the dtype string, e.g. {@code <f4}
 * @param fortranOrder whether the data is column-major
 * @param shape        the extents, outermost first; empty for a scalar
 */
record NpyHeader(String descr, boolean fortranOrder, long[] shape) {

    NpyHeader {
        shape = shape.clone();
    }

    @Override
    public long[] shape() { return shape.clone(); }

    /** Number of elements, or an exception when it does not fit in a long. */
    long elementCount() {
        long n = 1;
        for (long s : shape) n = Math.multiplyExact(n, s);
        return n;
    }

    /** The dict literal as NumPy writes it (without padding), e.g. a 1-tuple as {@code (3,)}. */
    String format() {
        StringBuilder t = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) t.append(i == 0 ? "" : ", ").append(shape[i]);
        t.append(shape.length == 1 ? ",)" : ")");
        return "{'descr': '" + descr + "', 'fortran_order': " + (fortranOrder ? "True" : "False") + ", 'shape': " + t + ", }";
    }

    /** Parses the dict literal; throws {@link IllegalArgumentException} saying what is wrong. */
    static NpyHeader parse(String text) {
        Map<String, Object> dict = new Parser(text).document();
        for (String key : dict.keySet())
            if (!List.of("descr", "fortran_order", "shape").contains(key))
                throw new IllegalArgumentException("unexpected key '" + key + "' in the header");
        Object descr = required(dict, "descr");
        if (descr instanceof List<?>)
            throw new IllegalArgumentException("structured dtype " + text.strip() + " is not supported; save a plain float32 or float16 array");
        if (!(descr instanceof String d)) throw new IllegalArgumentException("'descr' must be a string, got " + descr);
        if (!(required(dict, "fortran_order") instanceof Boolean fortran))
            throw new IllegalArgumentException("'fortran_order' must be True or False, got " + dict.get("fortran_order"));
        if (!(required(dict, "shape") instanceof List<?> dims))
            throw new IllegalArgumentException("'shape' must be a tuple, got " + dict.get("shape"));
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!(dims.get(i) instanceof Long v) || v < 0)
                throw new IllegalArgumentException("'shape' must hold non-negative integers, got " + dims);
            shape[i] = v;
        }
        return new NpyHeader(d, fortran, shape);
    }

    private static Object required(Map<String, Object> dict, String key) {
        if (!dict.containsKey(key)) throw new IllegalArgumentException("the header has no '" + key + "'");
        return dict.get(key);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NpyHeader h && h.descr.equals(descr) && h.fortranOrder == fortranOrder && Arrays.equals(h.shape, shape);
    }

    @Override
    public int hashCode() { return descr.hashCode() * 31 + Arrays.hashCode(shape) + (fortranOrder ? 1 : 0); }

    @Override
    public String toString() { return format(); }

    /** Recursive descent over the few Python literals a header holds: dict, tuple, list, str, int, bool, None. */
    private static final class Parser {
        private final String s;
        private int pos;

        Parser(String s) { this.s = s; }

        Map<String, Object> document() {
            skipSpace();
            if (!(value() instanceof Map<?, ?> m)) throw error("the header must be a dict literal");
            skipSpace();
            if (pos != s.length()) throw error("unexpected text after the dict");
            @SuppressWarnings("unchecked") Map<String, Object> dict = (Map<String, Object>) m;
            return dict;
        }

        private Object value() {
            skipSpace();
            if (pos >= s.length()) throw error("the header ends early");
            char c = s.charAt(pos);
            if (c == '{') return dict();
            if (c == '(') return sequence('(', ')');
            if (c == '[') return sequence('[', ']');
            if (c == '\'' || c == '"') return string();
            if (c == '-' || Character.isDigit(c)) return integer();
            if (s.startsWith("True", pos)) { pos += 4; return Boolean.TRUE; }
            if (s.startsWith("False", pos)) { pos += 5; return Boolean.FALSE; }
            if (s.startsWith("None", pos)) { pos += 4; return "None"; }
            throw error("unexpected character '" + c + "'");
        }

        private Map<String, Object> dict() {
            Map<String, Object> m = new LinkedHashMap<>();
            pos++;
            while (true) {
                skipSpace();
                if (peek('}')) { pos++; return m; }
                if (!(value() instanceof String key)) throw error("dict keys must be strings");
                skipSpace();
                expect(':');
                if (m.put(key, value()) != null) throw error("duplicate key '" + key + "'");
                skipSpace();
                if (peek(',')) pos++;
                else if (!peek('}')) throw error("expected ',' or '}'");
            }
        }

        private List<Object> sequence(char open, char close) {
            List<Object> items = new ArrayList<>();
            pos++;
            while (true) {
                skipSpace();
                if (peek(close)) { pos++; return items; }
                items.add(value());
                skipSpace();
                if (peek(',')) pos++;
                else if (!peek(close)) throw error("expected ',' or '" + close + "'");
            }
        }

        private String string() {
            char quote = s.charAt(pos++);
            int start = pos;
            while (pos < s.length() && s.charAt(pos) != quote) {
                if (s.charAt(pos) == '\\') throw error("escapes in strings are not supported");
                pos++;
            }
            if (pos >= s.length()) throw error("unterminated string");
            return s.substring(start, pos++);
        }

        private Long integer() {
            int start = pos;
            if (peek('-')) pos++;
            while (pos < s.length() && Character.isDigit(s.charAt(pos))) pos++;
            String digits = s.substring(start, pos);
            if (peek('L')) pos++; // Python 2 long literals, written by old NumPy versions
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                throw error("bad integer '" + digits + "'");
            }
        }

        private void expect(char c) {
            if (!peek(c)) throw error("expected '" + c + "'");
            pos++;
        }

        private boolean peek(char c) { return pos < s.length() && s.charAt(pos) == c; }

        private void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++;
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException("malformed header at character " + pos + ": " + what + " in " + abbreviate(s.strip()));
        }

        private static String abbreviate(String text) {
            return text.length() <= 120 ? text : text.substring(0, 117) + "...";
        }
    }
}
