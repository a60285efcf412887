package org.colreduce.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.colreduce.DType;
import org.colreduce.Mask;
import org.colreduce.Operand;
import org.colreduce.Reduction;
import org.colreduce.ResidentTensor;
import org.colreduce.Tensor;
import org.colreduce.spi.Availability;
import org.colreduce.spi.BackendSession;
import org.colreduce.spi.Capabilities;
import org.colreduce.spi.ColReduceBackend;
import org.colreduce.spi.ReduceProblem;

/**
 * A backend in plain float loops, for the tests of this module only (registered nowhere): it lets
 * the suite run before real providers exist, and keeps the suite honest, since a float backend
 * written the obvious way must pass it. It uses the {@link Mask} helpers, which the float64
 * {@link Reference} does not, so the suite also checks those helpers.
 */
final class NaiveFloatBackend implements ColReduceBackend {
    @Override public String name() { return "naive"; }

    @Override public Availability availability() { return Availability.available("plain float loops (tests only)"); }

    @Override public Capabilities capabilities() { return new Capabilities(Set.of(DType.values()), 256, 0, "the JVM, one thread"); }

    @Override public int priority() { return 0; }

    @Override public BackendSession open() { return new NaiveSession(); }

    /** A private contiguous host copy. */
    static final class Resident implements ResidentTensor {
        final Tensor data;
        final NaiveSession owner;
        boolean closed;

        Resident(Tensor data, NaiveSession owner) { this.data = data; this.owner = owner; }

        @Override public String backend() { return "naive"; }
        @Override public boolean isClosed() { return closed; }
        @Override public void close() { closed = true; }
        @Override public DType dtype() { return data.dtype(); }
        @Override public long[] shape() { return data.shape(); }
    }

    static final class NaiveSession implements BackendSession {
        private final List<Resident> live = new ArrayList<>();

        @Override
        public ResidentTensor upload(Tensor source) {
            Resident r = new Resident(Inputs.contiguousCopy(source), this);
            live.add(r);
            return r;
        }

        @Override
        public ResidentTensor allocate(DType dtype, long... shape) {
            long n = 1;
            for (long s : shape) n *= s;
            Tensor t = switch (dtype) {
                case F32 -> Tensor.f32(new float[Math.toIntExact(n)], shape);
                case F16 -> Tensor.f16(new short[Math.toIntExact(n)], shape);
                case BF16 -> Tensor.bf16(new short[Math.toIntExact(n)], shape);
            };
            Resident r = new Resident(t, this);
            live.add(r);
            return r;
        }

        @Override
        public void download(ResidentTensor source, Tensor destination) {
            float[] values = ((Resident) source).data.toFloatArray();
            long[] shape = destination.shape();
            long[] idx = new long[shape.length];
            for (float v : values) {
                destination.set(v, idx);
                for (int d = shape.length - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
            }
        }

        @Override
        public boolean owns(ResidentTensor tensor) { return tensor instanceof Resident r && r.owner == this && !r.closed; }

        private static Tensor host(Operand o) { return o instanceof Resident r ? r.data : (Tensor) o; }

        @Override
        public void columnReduce(ReduceProblem p) {
            Tensor q = host(p.q()), k = host(p.k()), out = host(p.out());
            Tensor previous = p.previous() == null ? null : host(p.previous());
            int n = p.keys(), d = p.headDim(), outHeads = p.outputHeads();
            Mask mask = p.mask();
            float[] result = new float[p.batch() * outHeads * n];
            for (int b = 0; b < p.batch(); b++) {
                int lenQ = p.queryLengths()[b], lenK = p.keyLengths()[b];
                for (int h = 0; h < p.queryHeads(); h++) {
                    int kvh = h / p.groupSize();
                    float[] acc = new float[n];
                    float[] s = new float[n];
                    float[] keys = k.slice(0, b, 1).slice(1, kvh, 1).toFloatArray(); // [N, D] of this head
                    float[] query = new float[d];
                    for (int i = 0; i < lenQ; i++) {
                        for (int x = 0; x < d; x++) query[x] = q.get(b, h, i, x);
                        int lo = (int) mask.firstKey(i, lenQ, lenK), hi = (int) mask.lastKey(i, lenQ, lenK);
                        if (hi < lo) continue; // sees no key: contributes nothing
                        float max = Float.NEGATIVE_INFINITY;
                        for (int j = lo; j <= hi; j++) {
                            float dot = 0;
                            for (int x = 0; x < d; x++) dot += query[x] * keys[j * d + x];
                            s[j] = p.scale() * dot;
                            max = Math.max(max, s[j]);
                        }
                        float sum = 0;
                        for (int j = lo; j <= hi; j++) { s[j] = (float) Math.exp(s[j] - max); sum += s[j]; }
                        for (int j = lo; j <= hi; j++) {
                            float pij = s[j] / sum;
                            acc[j] = p.reduction() == Reduction.MAX ? Math.max(acc[j], pij) : acc[j] + pij;
                        }
                    }
                    int oh = p.outputHeadOf(h);
                    for (int j = 0; j < n; j++) {
                        float v = acc[j];
                        if (p.reduction() == Reduction.MEAN) {
                            long rows = mask.rowsSeeing(j, lenQ, lenK);
                            v = rows == 0 ? 0 : v / rows;
                        }
                        result[(b * outHeads + oh) * n + j] += v / p.headDivisor();
                    }
                }
            }
            int len = p.previousLength();
            boolean flat = out.rank() == 2;
            for (int b = 0; b < p.batch(); b++)
                for (int oh = 0; oh < outHeads; oh++)
                    for (int j = 0; j < n; j++) {
                        float prev = j < len ? (flat ? previous.get(b, j) : previous.get(b, oh, j)) : 0;
                        float v = prev + result[(b * outHeads + oh) * n + j];
                        if (flat) out.set(v, b, j); else out.set(v, b, oh, j);
                    }
        }

        @Override
        public void close() {
            for (Resident r : live) r.close();
            live.clear();
        }
    }
}
