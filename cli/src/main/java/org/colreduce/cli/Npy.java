package org.colreduce.cli;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import org.colreduce.DType;
import org.colreduce.Tensor;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0), little-endian
 * float32 and float16, and bfloat16 stored as 16-bit words. Inputs are memory-mapped, not
 * copied: a {@link Tensor} over the mapped file is what the backend reads.
 *
 * <p>Written by hand on purpose: the format is one short header and raw data, and no well-kept
 * Java .npy library in Maven Central maps files into a {@link MemorySegment}.
 */
final class Npy {
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** NumPy aligns the data to 64 bytes; so do we. */
    private static final int ALIGN = 64;
    /** A sane bound on the header: NumPy itself refuses headers over 10 000 bytes by default. */
    private static final int MAX_HEADER = 1 << 20;
    private static final boolean LITTLE_ENDIAN_HOST = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    /** What bfloat16 bits may be saved as: NumPy has no bfloat16 (ml_dtypes' saves as a 2-byte void). */
    private static final java.util.Set<String> WORD_DESCRS = java.util.Set.of("<u2", "<i2", "|V2", "<V2");

    private Npy() {}

    /** A malformed or unsupported file; the message names the file and says what is wrong. */
    static final class FormatException extends IOException {
        private static final long serialVersionUID = 1L;

        FormatException(Path path, String what) { super(path + ": " + what); }
    }

    /**
     * An array read from a file: its element type, shape and data (mapped, read-only).
     * Fortran-order files become column-major strided views, no copy either.
     */
    record Array(Path path, DType dtype, long[] shape, boolean fortranOrder, MemorySegment data) {
        int rank() { return shape.length; }

        /** The array as a tensor view over the mapped data. */
        Tensor tensor() {
            if (!fortranOrder) return Tensor.of(data, dtype, shape);
            long[] strides = new long[shape.length];
            long acc = 1;
            for (int d = 0; d < shape.length; d++) { strides[d] = acc; acc *= Math.max(1, shape[d]); }
            return Tensor.of(data, dtype, 0, shape, strides);
        }

        /** Python's spelling of the shape, as a NumPy user knows it: {@code (1, 8, 64, 64)}. */
        String shapeText() { return Tensors.text(shape); }
    }

    /**
     * Maps a file into {@code arena}. With {@code wordsAreBf16}, arrays of 16-bit words
     * ({@code <u2}, {@code <i2}, {@code |V2}) are read as bfloat16 bits.
     */
    static Array read(Path path, Arena arena, boolean wordsAreBf16) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer preamble = readFully(ch, 0, (int) Math.min(size, 12));
            if (size < 6 || !Arrays.equals(Arrays.copyOf(preamble.array(), 6), MAGIC))
                throw new FormatException(path, "not a NumPy .npy file (no \\x93NUMPY magic)");
            if (size < 8) throw new FormatException(path, "truncated before the format version");
            int major = preamble.get(6) & 0xFF, minor = preamble.get(7) & 0xFF;
            if (major < 1 || major > 3 || minor != 0)
                throw new FormatException(path, "unsupported .npy format version " + major + "." + minor + " (1.0, 2.0 and 3.0 are read)");
            int lengthBytes = major == 1 ? 2 : 4;
            if (size < 8 + lengthBytes) throw new FormatException(path, "truncated before the header length");
            long headerLength = major == 1 ? preamble.order(ByteOrder.LITTLE_ENDIAN).getShort(8) & 0xFFFF
                    : preamble.order(ByteOrder.LITTLE_ENDIAN).getInt(8) & 0xFFFFFFFFL;
            long dataOffset = 8 + lengthBytes + headerLength;
            if (headerLength > MAX_HEADER) throw new FormatException(path, "header of " + headerLength + " bytes is implausibly long");
            if (dataOffset > size) throw new FormatException(path, "truncated: the header needs " + headerLength + " bytes, the file ends first");
            byte[] headerBytes = readFully(ch, 8 + lengthBytes, (int) headerLength).array();
            String text = new String(headerBytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);

            NpyHeader header;
            try {
                header = NpyHeader.parse(text);
            } catch (IllegalArgumentException e) {
                throw new FormatException(path, e.getMessage());
            }
            DType dtype = dtypeOf(path, header.descr(), wordsAreBf16);
            String shape = Tensors.text(header.shape());
            long dataBytes;
            try {
                dataBytes = Math.multiplyExact(header.elementCount(), (long) dtype.byteSize());
            } catch (ArithmeticException e) {
                throw new FormatException(path, "shape " + shape + " is too large");
            }
            long actual = size - dataOffset;
            if (actual < dataBytes)
                throw new FormatException(path, "truncated: shape " + shape + " of " + header.descr() + " needs " + dataBytes + " data bytes, the file has " + actual);
            if (actual > dataBytes)
                throw new FormatException(path, actual - dataBytes + " unexpected bytes after the data of shape " + shape);

            MemorySegment data = dataBytes == 0 ? MemorySegment.ofArray(new byte[0])
                    : ch.map(FileChannel.MapMode.READ_ONLY, dataOffset, dataBytes, arena);
            if (!LITTLE_ENDIAN_HOST) data = swapped(data, dtype, arena);
            return new Array(path, dtype, header.shape(), header.fortranOrder(), data);
        }
    }

    private static DType dtypeOf(Path path, String descr, boolean wordsAreBf16) throws FormatException {
        if (wordsAreBf16 && WORD_DESCRS.contains(descr)) return DType.BF16;
        switch (descr) {
            case "<f4": return DType.F32;
            case "<f2": return DType.F16;
            default: break;
        }
        if (WORD_DESCRS.contains(descr))
            throw new FormatException(path, "dtype '" + descr + "' holds 16-bit words; pass --bf16 if they are bfloat16 bits");
        if (descr.equals(">f4") || descr.equals(">f2"))
            throw new FormatException(path, "big-endian dtype '" + descr + "' is not supported; save with arr.astype('<" + descr.substring(1) + "')");
        String name = Map.of("<f8", "float64", "<i4", "int32", "<i8", "int64", "|b1", "bool", "|u1", "uint8", "|i1", "int8").get(descr);
        throw new FormatException(path, "dtype '" + descr + "'" + (name == null ? "" : " (" + name + ")")
                + " is not supported; save float32 or float16 (arr.astype(np.float32))");
    }

    /**
     * Writes a tensor as a C-order array: F32 as {@code <f4}, F16 as {@code <f2}, BF16 as
     * {@code <u2} words (read back with --bf16). The file is written beside its destination and
     * moved into place, so an input mapped from the same path stays intact.
     */
    static void write(Path path, Tensor t) throws IOException {
        String descr = switch (t.dtype()) {
            case F32 -> "<f4";
            case F16 -> "<f2";
            case BF16 -> "<u2";
        };
        byte[] header = header(new NpyHeader(descr, false, t.shape()));
        Path dir = path.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + path.getFileName(), ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(ch, ByteBuffer.wrap(header));
                writeData(ch, t);
            }
            try {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Magic, version and the padded header: version 1.0 unless the header needs 2.0's longer length field. */
    static byte[] header(NpyHeader h) {
        byte[] dict = h.format().getBytes(StandardCharsets.ISO_8859_1);
        int major = 1, prefix = 10;
        int total = (prefix + dict.length + 1 + ALIGN - 1) / ALIGN * ALIGN;
        if (total - prefix > 0xFFFF) {
            major = 2;
            prefix = 12;
            total = (prefix + dict.length + 1 + ALIGN - 1) / ALIGN * ALIGN;
        }
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) major).put((byte) 0);
        if (major == 1) b.putShort((short) (total - prefix));
        else b.putInt(total - prefix);
        b.put(dict);
        while (b.position() < total - 1) b.put((byte) ' ');
        b.put((byte) '\n');
        return b.array();
    }

    /** The tensor's elements in C order, little-endian, through a small staging buffer. */
    private static void writeData(FileChannel ch, Tensor t) throws IOException {
        int size = t.dtype().byteSize();
        long count = t.elementCount();
        byte[] buf = new byte[1 << 20];
        MemorySegment stage = MemorySegment.ofArray(buf);
        if (t.isContiguous() && LITTLE_ENDIAN_HOST) {
            long base = t.offset() * size, bytes = count * size;
            for (long done = 0; done < bytes; ) {
                int n = (int) Math.min(buf.length, bytes - done);
                MemorySegment.copy(t.segment(), base + done, stage, 0, n);
                writeFully(ch, ByteBuffer.wrap(buf, 0, n));
                done += n;
            }
            return;
        }
        // strided view or big-endian host: element by element, in C order
        long[] shape = t.shape(), idx = new long[shape.length];
        int perChunk = buf.length / size, n = 0;
        for (long e = 0; e < count; e++) {
            long at = t.index(idx);
            if (size == 4) stage.set(LE_INT, (long) n * 4, t.segment().getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, at));
            else stage.set(LE_SHORT, (long) n * 2, t.segment().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, at));
            if (++n == perChunk) { writeFully(ch, ByteBuffer.wrap(buf, 0, n * size)); n = 0; }
            for (int d = shape.length - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
        }
        writeFully(ch, ByteBuffer.wrap(buf, 0, n * size));
    }

    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A native-order copy of little-endian data, for big-endian hosts. */
    private static MemorySegment swapped(MemorySegment le, DType dtype, Arena arena) {
        MemorySegment out = arena.allocate(le.byteSize(), 8);
        if (dtype.byteSize() == 4)
            for (long i = 0; i < le.byteSize() / 4; i++) out.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i, le.getAtIndex(LE_INT, i));
        else
            for (long i = 0; i < le.byteSize() / 2; i++) out.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, le.getAtIndex(LE_SHORT, i));
        return out;
    }

    private static ByteBuffer readFully(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            int n = ch.read(b, position + b.position());
            if (n < 0) throw new IOException("unexpected end of file");
        }
        return b.flip();
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
