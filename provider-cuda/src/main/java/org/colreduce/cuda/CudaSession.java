package org.colreduce.cuda;

import static org.bytedeco.cuda.global.cudart.*;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;
import org.colreduce.DType;
import org.colreduce.Mask;
import org.colreduce.Operand;
import org.colreduce.ResidentTensor;
import org.colreduce.Tensor;
import org.colreduce.spi.AttendProblem;
import org.colreduce.spi.BackendSession;
import org.colreduce.spi.ReduceProblem;

/**
 * One CUDA context (the device's primary context), one stream, the kernels of the fatbin, and
 * device scratch (lse, per-head partials, staged operands) that grows and is reused across
 * calls. Host operands go through pinned staging buffers; results reach the caller's view only
 * after every kernel has succeeded. Everything is freed by {@link #close()}.
 */
final class CudaSession implements BackendSession {
    // device scratch slots
    private static final int S_Q = 0, S_K = 1, S_QPAD = 2, S_KPAD = 3, S_LENS = 4, S_LSE = 5, S_PARTIAL = 6, S_COLVAL = 7, S_OUT = 8, S_PREV = 9, S_V = 10, S_VPAD = 11, S_O = 12, S_OPART = 13, S_SLOTS = 14;
    // pinned host staging slots
    private static final int P_Q = 0, P_K = 1, P_LENS = 2, P_PREV = 3, P_OUT = 4, P_V = 5, P_O = 6, P_SLOTS = 7;

    private final int device = 0;
    private final CUctx_st context = new CUctx_st();
    private final CUstream_st stream = new CUstream_st();
    private final CUmod_st module = new CUmod_st();
    private final Map<String, CUfunc_st> functions = new HashMap<>();
    private final long[] scratch = new long[S_SLOTS], scratchBytes = new long[S_SLOTS];
    private final Pointer[] pinned = new Pointer[P_SLOTS];
    private final long[] pinnedBytes = new long[P_SLOTS];
    private final Set<CudaResidentTensor> residents = Collections.newSetFromMap(new IdentityHashMap<>());
    private final ProblemBlock block = new ProblemBlock();
    private final OutputBlock outputBlock = new OutputBlock(block);
    private final TensorMaps outputMaps = new TensorMaps(block.bytes, outputBlock.bytes);
    private final int multiprocessors;
    private final boolean hopper;
    /** The persistent output kernel's counters (attention_output_ws.cuh): zeroed here, set back to zero by each launch. */
    private long scheduler;
    private boolean closed;
    /** The lengths on the device at uploadedLensAt (uploadLengths). */
    private int[] uploadedLenQ, uploadedLenK;
    private long uploadedLensAt;
    /** When set (benchmarks), recorded on the stream once the row statistics are done. */
    org.bytedeco.cuda.cudart.CUevent_st rowsDone;

    CudaSession() {
        boolean ok = false;
        try {
            CudaDriver.check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
            CudaDriver.check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
            CudaDriver.check(cuStreamCreate(stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
            byte[] image = fatbin();
            try (BytePointer img = new BytePointer(image)) {
                CudaDriver.check(cuModuleLoadData(module, img), "cuModuleLoadData(" + CudaDriver.FATBIN + ")");
            }
            multiprocessors = CudaDriver.attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device);
            scheduler = alloc(8, "output pass scheduler");
            CudaDriver.check(cuMemsetD8(scheduler, (byte) 0, 8), "cuMemsetD8(scheduler)");
            hopper = CudaDriver.attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device) == 9;
            ok = true;
        } finally {
            if (!ok) close();
        }
    }

    private static byte[] fatbin() {
        try (InputStream in = CudaSession.class.getResourceAsStream(CudaDriver.FATBIN)) {
            if (in == null) throw new IllegalStateException("built without CUDA kernels: " + CudaDriver.FATBIN + " missing");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + CudaDriver.FATBIN, e);
        }
    }

    int multiprocessors() { return multiprocessors; }

    CUstream_st stream() { return stream; }

    // ---------------------------------------------------------------- resident tensors

    @Override
    public ResidentTensor upload(Tensor source) {
        current();
        long bytes = source.elementCount() * source.dtype().byteSize();
        MemorySegment host = pinned(P_Q, bytes);
        HostPacking.pack(source, host, source.size(source.rank() - 1));
        long ptr = alloc(Math.max(bytes, 4), "resident tensor");
        try {
            CudaDriver.check(cuMemcpyHtoDAsync(ptr, pinned[P_Q], bytes, stream), "cuMemcpyHtoDAsync");
            sync();
        } catch (RuntimeException e) {
            cuMemFree(ptr);
            throw e;
        }
        return track(new CudaResidentTensor(this, source.dtype(), source.shape(), ptr, bytes));
    }

    @Override
    public ResidentTensor allocate(DType dtype, long... shape) {
        current();
        long n = 1;
        for (long s : shape) n = Math.multiplyExact(n, s);
        long bytes = n * dtype.byteSize();
        long ptr = alloc(Math.max(bytes, 4), "resident tensor");
        CudaDriver.check(cuMemsetD8Async(ptr, (byte) 0, bytes, stream), "cuMemsetD8Async");
        sync();
        return track(new CudaResidentTensor(this, dtype, shape, ptr, bytes));
    }

    /** A resident tensor of standard normal values made on the device (benchmarks). */
    CudaResidentTensor random(DType dtype, long seed, long... shape) {
        CudaResidentTensor t = (CudaResidentTensor) allocate(dtype, shape);
        long n = t.elementCount();
        block.clear().ptr(ProblemBlock.AUX, t.pointer()).i64(ProblemBlock.COUNT, n).i64(ProblemBlock.SEED, seed);
        String k = switch (dtype) { case F16 -> "fill_normal_f16_k"; case BF16 -> "fill_normal_bf16_k"; case F32 -> "fill_normal_f32_k"; };
        launch(k, Math.min(LaunchPlan.ceilDiv(n, 256), 1 << 20), 1, 1, 256, 0);
        sync();
        return t;
    }

    @Override
    public void download(ResidentTensor source, Tensor destination) {
        current();
        CudaResidentTensor r = (CudaResidentTensor) source;
        MemorySegment host = pinned(P_OUT, r.bytes());
        CudaDriver.check(cuMemcpyDtoHAsync(pinned[P_OUT], r.pointer(), r.bytes(), stream), "cuMemcpyDtoHAsync");
        sync();
        HostPacking.unpack(host, destination, destination.size(destination.rank() - 1));
    }

    @Override
    public boolean owns(ResidentTensor tensor) {
        return tensor instanceof CudaResidentTensor r && r.session() == this && !r.isClosed() && residents.contains(r);
    }

    private CudaResidentTensor track(CudaResidentTensor t) {
        residents.add(t);
        return t;
    }

    void release(CudaResidentTensor t, long pointer) {
        if (residents.remove(t)) {
            cuCtxSetCurrent(context);
            cuMemFree(pointer);
        }
    }

    // ---------------------------------------------------------------- column reduction

    @Override
    public void columnReduce(ReduceProblem p) {
        current();
        Runnable finish = enqueue(p);
        sync();
        finish.run();
    }

    /** O = P·V (attention_output.cuh) between the row statistics and the column pass of the same call. */
    @Override
    public void attend(AttendProblem a) {
        current();
        Runnable finish = enqueue(a.scores(), a);
        sync();
        finish.run();
    }

    Runnable enqueue(ReduceProblem p) { return enqueue(p, null); }

    /**
     * Stages the operands and launches every kernel of one call on the stream, without waiting.
     * The returned action (after a sync) copies a host result into the caller's view. With
     * {@code a}, the attention output pass too.
     */
    Runnable enqueue(ReduceProblem p, AttendProblem a) {
        LaunchPlan plan = LaunchPlan.of(p, multiprocessors, hopper);
        OutputPlan op = a == null ? null : OutputPlan.of(a, plan, hopper, multiprocessors);
        int ld = plan.paddedDim();
        long rows = (long) p.batch() * p.queryHeads() * p.queries();
        long outElems = (long) p.batch() * p.outputHeads() * p.keys();

        // 1. device memory first: an out-of-memory failure leaves nothing half done
        boolean hostOut = !(p.out() instanceof CudaResidentTensor);
        long lse = scratch(S_LSE, rows * 8, "row statistics");   // (m, log2 l) per row: row_statistics.cuh
        long partial = plan.splits() > 1 ? scratch(S_PARTIAL, plan.splits() * rows * 8, "split row statistics") : 0;
        long out = hostOut ? scratch(S_OUT, outElems * 4, "scores") : ((CudaResidentTensor) p.out()).pointer();
        long colval = plan.direct() ? out : scratch(S_COLVAL, (long) p.batch() * p.queryHeads() * p.keys() * 4, "per-head scores");
        long lens = scratch(S_LENS, 8L * p.batch(), "lengths");
        long oElems = a == null ? 0 : rows * a.valueDim(), oBytes = a == null ? 0 : oElems * a.output().dtype().byteSize();
        boolean hostO = a != null && !(a.output() instanceof CudaResidentTensor);
        long o = a == null ? 0 : hostO ? scratch(S_O, oBytes, "attention output") : ((CudaResidentTensor) a.output()).pointer();
        // the output pass's key slices (decoding): O of each slice, then its (max, sum)
        long slicedO = op == null || op.splits() < 2 ? 0
                : scratch(S_OPART, (long) op.splits() * rows * (a.valueDim() + 2) * 4, "attention output slices");

        // 2. operands: resident ones in place (padded on the device when D is not a tile width), host ones staged
        long q = operand(p.q(), ld, S_Q, S_QPAD, P_Q, "q");
        long k = operand(p.k(), ld, S_K, S_KPAD, P_K, "k");
        long v = a == null ? 0 : operand(a.v(), op.valueLd(), S_V, S_VPAD, P_V, "v");
        uploadLengths(lens, p.queryLengths(), p.keyLengths());
        long prev = 0;
        if (p.previous() instanceof CudaResidentTensor r) prev = r.pointer();
        else if (p.previous() instanceof Tensor t) prev = stage(t, t.size(t.rank() - 1), S_PREV, P_PREV, "previous");

        // 3. the parameter block and the kernels
        Mask m = p.mask();
        long window = m.kind() == Mask.Kind.SLIDING_WINDOW ? Math.min(m.window(), (long) p.queries() + p.keys() + 1) : 0;
        long qsm = ld, qsh = (long) p.queries() * ld, qsb = qsh * p.queryHeads();
        long ksn = ld, ksh = (long) p.keys() * ld, ksb = ksh * p.kvHeads();
        block.clear()
                .ptr(ProblemBlock.Q, q).ptr(ProblemBlock.K, k).ptr(ProblemBlock.LSE, lse).ptr(ProblemBlock.PARTIAL, partial)
                .ptr(ProblemBlock.COLVAL, colval).ptr(ProblemBlock.PREVIOUS, prev).ptr(ProblemBlock.OUT, out)
                .ptr(ProblemBlock.LEN_Q, lens).ptr(ProblemBlock.LEN_K, lens + 4L * p.batch())
                .i64(ProblemBlock.QSB, qsb).i64(ProblemBlock.QSH, qsh).i64(ProblemBlock.QSM, qsm)
                .i64(ProblemBlock.KSB, ksb).i64(ProblemBlock.KSH, ksh).i64(ProblemBlock.KSN, ksn)
                .i64(ProblemBlock.WINDOW, window)
                .i32(ProblemBlock.B, p.batch()).i32(ProblemBlock.HQ, p.queryHeads()).i32(ProblemBlock.HKV, p.kvHeads())
                .i32(ProblemBlock.M, p.queries()).i32(ProblemBlock.N, p.keys()).i32(ProblemBlock.D, p.headDim())
                .i32(ProblemBlock.CAUSAL, m.isCausal() ? 1 : 0).i32(ProblemBlock.TOP_LEFT, m.alignment() == Mask.Alignment.TOP_LEFT ? 1 : 0)
                .i32(ProblemBlock.SPLITS, plan.splits()).i32(ProblemBlock.KEYS_PER_SPLIT, plan.keysPerSplit())
                .i32(ProblemBlock.REDUCTION, LaunchPlan.reductionCode(p.reduction()))
                .i32(ProblemBlock.OUT_HEADS, p.outputHeads()).i32(ProblemBlock.HEAD_DIVISOR, p.headDivisor())
                .i32(ProblemBlock.PREV_LEN, p.previousLength()).i32(ProblemBlock.LD, ld)
                // scores in raw units t = sgn·q·k, p = 2^((t − m)·c − lg); scale 0 makes every t 0
                // (a uniform row; NaN·0 stays NaN) with any positive c
                .f32(ProblemBlock.C, p.scale() == 0 ? 1f : (float) Math.abs(p.scale() * 1.4426950408889634))
                .f32(ProblemBlock.SGN, Math.signum(p.scale()));

        if (op == null || !op.online()) launch(plan.rowKernel(), plan.rowBlocksX(), plan.rowBlocksY(), plan.splits(), plan.rowThreads(), plan.rowSmem());
        if (plan.splits() > 1 && (op == null || !op.online())) launch("row_statistics_combine_k", LaunchPlan.ceilDiv(rows, 256), 1, 1, 256, 0);
        if (op != null) {
            long vsn = op.valueLd(), vsh = (long) p.keys() * vsn, vsb = vsh * p.kvHeads();
            outputBlock.set(v, o, vsb, vsh, vsn, a.valueDim(), op.valueLd(), a.output().dtype() == DType.F32, op.online(), scheduler);
            OutputPlan run = op;
            if (op.specialized() && !(outputMaps.rows(0, q, p.batch(), p.queryHeads(), p.queries(), ld, op.queryTile())
                    && outputMaps.rows(1, k, p.batch(), p.kvHeads(), p.keys(), ld, OutputPlan.KEY_TILE)
                    && outputMaps.rows(2, v, p.batch(), p.kvHeads(), p.keys(), op.valueLd(), OutputPlan.KEY_TILE)))
                run = op.withoutTma();
            if (run.splits() > 1)
                outputBlock.splits(run.splits(), run.keysPerSplit(), slicedO, slicedO + (long) run.splits() * rows * a.valueDim() * 4);
            launch(run.kernel(), run.gridX(), run.gridY(), run.gridZ(), run.threads(), run.smem(), run.specialized() ? outputMaps.params : outputBlock.params);
            if (run.splits() > 1) launch(run.combineKernel(), LaunchPlan.ceilDiv(rows, 8), 1, 1, 256, 0, outputBlock.params);
        }
        if (rowsDone != null) CudaDriver.check(cuEventRecord(rowsDone, stream), "cuEventRecord");
        if (plan.stream()) block.i32(ProblemBlock.KEYS_PER_SPLIT, plan.columnKeysPerBlock());
        launch(plan.columnKernel(p.reduction()), plan.columnBlocksX(), plan.columnBlocksY(), 1, plan.columnThreads(), plan.columnSmem());
        if (!plan.direct()) launch("head_reduction_k", LaunchPlan.ceilDiv(outElems, 256), 1, 1, 256, 0);

        Runnable scores = () -> {};
        if (hostOut) {
            Tensor dst = (Tensor) p.out();
            MemorySegment host = pinned(P_OUT, outElems * 4);
            CudaDriver.check(cuMemcpyDtoHAsync(pinned[P_OUT], out, outElems * 4, stream), "cuMemcpyDtoHAsync(scores)");
            scores = () -> HostPacking.unpack(host, dst, p.keys());
        }
        if (!hostO) return scores;
        Tensor dstO = (Tensor) a.output();
        MemorySegment hostOut2 = pinned(P_O, oBytes);
        CudaDriver.check(cuMemcpyDtoHAsync(pinned[P_O], o, oBytes, stream), "cuMemcpyDtoHAsync(attention output)");
        Runnable then = scores;
        return () -> {
            then.run();
            HostPacking.unpack(hostOut2, dstO, a.valueDim());
        };
    }

    private long operand(Operand o, int ld, int slot, int padSlot, int pinSlot, String name) {
        if (o instanceof CudaResidentTensor r) {
            int d = (int) r.size(3);
            if (r.dtype() == DType.F32 || d == ld) return r.pointer();
            long rowsN = r.elementCount() / d;
            long dst = scratch(padSlot, rowsN * ld * 2, name + " padded to " + ld);
            block.clear().ptr(ProblemBlock.Q, r.pointer()).ptr(ProblemBlock.AUX, dst).i64(ProblemBlock.COUNT, rowsN)
                    .i32(ProblemBlock.D, d).i32(ProblemBlock.LD, ld);
            launch("pad_rows_k", Math.min(LaunchPlan.ceilDiv(rowsN * ld, 256), 1 << 20), 1, 1, 256, 0);
            return dst;
        }
        Tensor t = (Tensor) o;
        return stage(t, t.dtype() == DType.F32 ? t.size(3) : ld, slot, pinSlot, name);
    }

    private long stage(Tensor t, long ld, int slot, int pinSlot, String name) {
        long bytes = HostPacking.packedBytes(t, ld);
        long dev = scratch(slot, bytes, name);
        MemorySegment host = pinned(pinSlot, bytes);
        HostPacking.pack(t, host, ld);
        CudaDriver.check(cuMemcpyHtoDAsync(dev, pinned[pinSlot], bytes, stream), "cuMemcpyHtoDAsync(" + name + ")");
        return dev;
    }

    // ---------------------------------------------------------------- kernels

    private CUfunc_st function(String name, int smem) {
        CUfunc_st f = functions.get(name);
        if (f == null) {
            f = new CUfunc_st();
            CudaDriver.check(cuModuleGetFunction(f, module, name), "cuModuleGetFunction(" + name + ")");
            functions.put(name, f);
        }
        if (smem > 48 * 1024)
            CudaDriver.check(cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, smem), "cuFuncSetAttribute(" + name + ")");
        return f;
    }

    /** Launches with the current parameter block. */
    void launch(String name, long gx, long gy, long gz, int threads, int smem) {
        launch(name, gx, gy, gz, threads, smem, block.params);
    }

    private void launch(String name, long gx, long gy, long gz, int threads, int smem, PointerPointer<?> params) {
        if (gx < 1 || gy < 1 || gz < 1) return;
        if (gx > Integer.MAX_VALUE || gy > 65535 || gz > 65535)
            throw new IllegalArgumentException("problem too large for one launch of " + name + ": grid " + gx + " x " + gy + " x " + gz);
        CudaDriver.check(cuLaunchKernel(function(name, smem), (int) gx, (int) gy, (int) gz, threads, 1, 1, smem, stream,
                params, (PointerPointer<?>) null), "cuLaunchKernel(" + name + ")");
    }

    // ---------------------------------------------------------------- memory

    private void current() {
        if (closed) throw new IllegalStateException("CUDA session is closed");
        CudaDriver.check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    void sync() { CudaDriver.check(cuStreamSynchronize(stream), "cuStreamSynchronize"); }

    private long alloc(long bytes, String what) {
        long[] ptr = new long[1];
        int rc = cuMemAlloc(ptr, bytes);
        if (rc == CUDA_ERROR_OUT_OF_MEMORY) {
            long[] info = memInfo();
            throw new CudaOutOfMemoryException(what, bytes, info[0], info[1]);
        }
        CudaDriver.check(rc, "cuMemAlloc(" + bytes + " bytes for " + what + ")");
        return ptr[0];
    }

    private long[] memInfo() {
        try (SizeTPointer free = new SizeTPointer(1); SizeTPointer total = new SizeTPointer(1)) {
            cuMemGetInfo(free, total);
            return new long[]{free.get(), total.get()};
        }
    }

    /**
     * Copies the per-batch lengths to the device unless the same ones are there already: a copy
     * ahead of the kernels costs a few microseconds on the stream, and a decode loop or a
     * benchmark sends the same lengths every call.
     */
    private void uploadLengths(long lens, int[] lenQ, int[] lenK) {
        if (lens == uploadedLensAt && Arrays.equals(lenQ, uploadedLenQ) && Arrays.equals(lenK, uploadedLenK)) return;
        int batch = lenQ.length;
        MemorySegment lh = pinned(P_LENS, 8L * batch);
        for (int b = 0; b < batch; b++) {
            lh.setAtIndex(ValueLayout.JAVA_INT, b, lenQ[b]);
            lh.setAtIndex(ValueLayout.JAVA_INT, batch + b, lenK[b]);
        }
        uploadedLensAt = 0;
        CudaDriver.check(cuMemcpyHtoDAsync(lens, pinned[P_LENS], 8L * batch, stream), "cuMemcpyHtoDAsync(lengths)");
        uploadedLenQ = lenQ.clone();
        uploadedLenK = lenK.clone();
        uploadedLensAt = lens;
    }

    private long scratch(int slot, long bytes, String what) {
        bytes = Math.max(bytes, 256);
        if (scratchBytes[slot] < bytes) {
            if (scratch[slot] != 0) {
                sync();
                cuMemFree(scratch[slot]);
                scratch[slot] = 0;
                scratchBytes[slot] = 0;
            }
            if (slot == S_LENS) uploadedLensAt = 0;   // a new buffer (maybe at the old address) holds no lengths
            scratch[slot] = alloc(bytes, what);
            scratchBytes[slot] = bytes;
        }
        return scratch[slot];
    }

    private MemorySegment pinned(int slot, long bytes) {
        bytes = Math.max(bytes, 256);
        if (pinnedBytes[slot] < bytes) {
            if (pinned[slot] != null) {
                sync();
                cuMemFreeHost(pinned[slot]);
                pinned[slot] = null;
                pinnedBytes[slot] = 0;
            }
            try (PointerPointer<Pointer> pp = new PointerPointer<>(1)) {
                int rc = cuMemHostAlloc(pp, bytes, 0);
                if (rc == CUDA_ERROR_OUT_OF_MEMORY) throw new CudaOutOfMemoryException("pinned host staging", bytes, 0, 0);
                CudaDriver.check(rc, "cuMemHostAlloc(" + bytes + ")");
                pinned[slot] = pp.get(0);
            }
            pinnedBytes[slot] = bytes;
        }
        return MemorySegment.ofAddress(pinned[slot].address()).reinterpret(bytes);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (context.isNull()) return;
        cuCtxSetCurrent(context);
        if (!stream.isNull()) cuStreamSynchronize(stream);
        for (CudaResidentTensor t : residents.toArray(new CudaResidentTensor[0])) t.close();
        residents.clear();
        for (int i = 0; i < S_SLOTS; i++) if (scratch[i] != 0) { cuMemFree(scratch[i]); scratch[i] = 0; }
        if (scheduler != 0) cuMemFree(scheduler);
        for (int i = 0; i < P_SLOTS; i++) if (pinned[i] != null) { cuMemFreeHost(pinned[i]); pinned[i] = null; }
        if (!module.isNull()) cuModuleUnload(module);
        if (!stream.isNull()) cuStreamDestroy(stream);
        outputMaps.close();
        outputBlock.close();
        block.close();
        cuDevicePrimaryCtxRelease(device);
    }
}
