package org.colreduce.cli;

/** Shapes in messages, as a NumPy user writes them: (1, 8, 1024, 64). */
final class Shapes {
    private Shapes() {}

    static String text(long[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) sb.append(i == 0 ? "" : ", ").append(shape[i]);
        return sb.append(shape.length == 1 ? ",)" : ")").toString();
    }
}
