package org.colreduce.vulkan;

import static org.lwjgl.vulkan.VK10.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.colreduce.DType;
import org.colreduce.HeadReduction;
import org.colreduce.Mask;
import org.colreduce.Operand;
import org.colreduce.ResidentTensor;
import org.colreduce.Tensor;
import org.colreduce.spi.AttendProblem;
import org.colreduce.spi.BackendSession;
import org.colreduce.spi.ReduceProblem;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.VkBufferCopy;
import org.lwjgl.vulkan.VkCommandBuffer;

/**
 * A session on one Vulkan device. A column reduction is one command buffer: host views are
 * packed densely into host-visible staging buffers and copied to device-local buffers (resident
 * tensors are bound as they are), then three dispatches — row statistics ((m, log2 l) per row), the
 * column pass (a workgroup owns a key tile and streams the rows of its query heads) and the head
 * reduction with accumulation — and the result is copied back and written into the caller's
 * view only once the whole submission has succeeded.
 */
final class VulkanSession implements BackendSession {
    /** Zeroed bytes after every Q/K buffer: cooperative-matrix tile loads may run up to 64 rows of D ≤ 256 F16 past the end. */
    static final long SLACK_BYTES = 64L * 256 * 2 + 16;
    /** Pass 1 aims at this many workgroups (a few per multiprocessor of a large GPU). */
    static final long TARGET_WORKGROUPS = 1024;

    /** Benchmarks only ({@code -Dcolreduce.vulkan.only=rows|columns}): record one pass, to time it alone; results are then wrong. */
    static String ONLY = System.getProperty("colreduce.vulkan.only", "");

    private final VulkanDevice device;
    private final boolean forcePortable;
    /** Tensor-core shaders without register prefetch, for more workgroups per multiprocessor ({@code COLREDUCE_VULKAN_COOPMAT=lean}). */
    private final boolean leanCoop = VulkanBackend.coopVariant().equals("lean");
    private final Set<VulkanResidentTensor> resident = new LinkedHashSet<>();
    private final Map<String, GpuBuffer> scratch = new HashMap<>();
    private boolean closed;
    private long lastGpuNanos = -1;

    VulkanSession(VulkanDevice device, boolean forcePortable) {
        this.device = device;
        this.forcePortable = forcePortable;
    }

    boolean isClosed() { return closed; }

    /** GPU time of the last column reduction, from timestamp queries (−1 where unsupported). */
    long lastGpuNanos() { return lastGpuNanos; }

    /** GPU time of the last column reduction's first batch chunk up to the end of its row statistics (pass 1 and the merge). */
    long lastPass1Nanos() { return device.lastMarkNanos(); }

    /** Whether problems of this type and head dimension take the cooperative-matrix path. */
    boolean cooperative(DType dtype, int headDim) {
        return device.cooperativeMatrix && device.info.subgroupSize() == 32 && !forcePortable && dtype == DType.F16 && headDim % 16 == 0;
    }

    VulkanDevice device() { return device; }

    // ---- resident tensors -------------------------------------------------------------------

    @Override
    public ResidentTensor upload(Tensor source) {
        ensureOpen();
        long bytes = HostViews.bytes(source);
        GpuBuffer buf = device.buffer(bytes + SLACK_BYTES, false);
        try {
            GpuBuffer stage = scratch("stage.upload", bytes, true);
            HostViews.pack(source, stage.segment());
            device.submit(cb -> {
                vkCmdFillBuffer(cb, buf.handle, 0, VK_WHOLE_SIZE, 0);
                VulkanDevice.barrier(cb);
                copy(cb, stage, buf, bytes);
            });
        } catch (RuntimeException e) {
            buf.close();
            throw e;
        }
        return track(new VulkanResidentTensor(this, buf, source.dtype(), source.shape()));
    }

    @Override
    public ResidentTensor allocate(DType dtype, long... shape) {
        ensureOpen();
        long n = 1;
        for (long s : shape) n = Math.multiplyExact(n, s);
        GpuBuffer buf = device.buffer(n * dtype.byteSize() + SLACK_BYTES, false);
        try {
            device.submit(cb -> vkCmdFillBuffer(cb, buf.handle, 0, VK_WHOLE_SIZE, 0));
        } catch (RuntimeException e) {
            buf.close();
            throw e;
        }
        return track(new VulkanResidentTensor(this, buf, dtype, shape));
    }

    /** A resident tensor of random values in [−amplitude, amplitude), made on the device (benchmarks). */
    VulkanResidentTensor random(DType dtype, long seed, float amplitude, long... shape) {
        VulkanResidentTensor t = (VulkanResidentTensor) allocate(dtype, shape);
        long n = t.elementCount();
        Pipelines.Pipeline fill = device.pipelines.get("random_fill", "#define NO_COMMON\n#define ELEM_" + dtype + "\n", 1, false);
        long words = dtype == DType.F32 ? n : (n + 1) / 2;
        long perDispatch = Math.min(65535L * 256, device.maxBinding / 64 * 16);   // words per dispatch: one grid, one binding
        device.submit(cb -> {
            for (long first = 0; first < words; first += perDispatch) {
                long count = Math.min(perDispatch, words - first);
                long set = device.descriptorSet(fill, t.buffer.range(4 * first, 4 * count));
                bind(cb, fill, set);
                push(cb, fill, ints((int) count, (int) first, (int) seed, Float.floatToRawIntBits(amplitude)));
                vkCmdDispatch(cb, (int) ((count + 255) / 256), 1, 1);
            }
        });
        return t;
    }

    @Override
    public void download(ResidentTensor source, Tensor destination) {
        ensureOpen();
        VulkanResidentTensor src = (VulkanResidentTensor) source;
        long bytes = src.bytes();
        GpuBuffer back = scratch("stage.readback", bytes, true);
        device.submit(cb -> copy(cb, src.buffer, back, bytes));
        HostViews.unpack(back.segment(), destination);
    }

    @Override
    public boolean owns(ResidentTensor tensor) {
        return tensor instanceof VulkanResidentTensor v && v.session == this && !v.isClosed();
    }

    private VulkanResidentTensor track(VulkanResidentTensor t) {
        resident.add(t);
        return t;
    }

    void release(VulkanResidentTensor t) {
        if (resident.remove(t)) t.free();
    }

    // ---- column reduction -------------------------------------------------------------------

    @Override
    public void columnReduce(ReduceProblem p) {
        ensureOpen();
        run(p, null);
    }

    @Override
    public void attend(AttendProblem a) {
        ensureOpen();
        run(a.scores(), a);
    }

    /**
     * One submission: row statistics, their merge, the column pass and the head reduction into
     * the scores; for {@code attend} also the output pass O = P·V. Host outputs are written only
     * after the whole submission has succeeded.
     */
    private void run(ReduceProblem p, AttendProblem a) {
        ShaderSet shaders = ShaderSet.choose(device, p.dtype(), p.headDim(), p.queries(), cooperative(p.dtype(), p.headDim()), leanCoop, a != null);
        BatchChunks chunking = BatchChunks.of(p, shaders.slack(), device, a != null);
        int b = p.batch(), hq = p.queryHeads(), hkv = p.kvHeads(), m = p.queries(), n = p.keys();
        boolean grouped = p.heads() != HeadReduction.NONE;
        int outHeads = p.outputHeads(), rows = b * outHeads;
        int chunk = chunking.size(), chunks = chunking.count(), lastChunk = chunking.last();
        long qPerBatch = chunking.qPerBatch(), kPerBatch = chunking.kPerBatch(), slack = shaders.slack();
        long align = device.info.storageOffsetAlignment();
        Pipelines.Pipeline rowPass = shaders.rows(), mergePass = shaders.merge(), columnPass = shaders.columns(),
                headPass = shaders.heads(), outputPass = shaders.output();

        // inputs: resident buffers as they are, host views packed and copied
        Staged q = stage("q", p.q(), SLACK_BYTES);
        Staged k = stage("k", p.k(), SLACK_BYTES);
        Staged v = a == null ? null : stage("v", a.v(), 16);
        Staged prev = p.previous() == null ? null : stage("previous", p.previous(), 0);
        long lensStride = (8L * chunk + align - 1) / align * align;
        GpuBuffer lens = scratch("lengths", lensStride * chunks, true);
        MemorySegment ls = lens.segment();
        for (int c = 0; c < chunks; c++) {
            int b0 = c * chunk, bc = Math.min(chunk, b - b0);
            for (int i = 0; i < bc; i++) {
                ls.set(ValueLayout.JAVA_INT, c * lensStride + 4L * i, p.queryLengths()[b0 + i]);
                ls.set(ValueLayout.JAVA_INT, c * lensStride + 4L * (bc + i), p.keyLengths()[b0 + i]);
            }
        }
        int rowTile = shaders.rowTile(), keyTile = shaders.keyTile(), splitTile = shaders.splitTile();
        long target = shaders.splitTarget();
        Split full = Split.of(chunk, hq, m, n, rowTile, splitTile, target), last = Split.of(lastChunk, hq, m, n, rowTile, splitTile, target);
        long statRows = (long) chunk * hq * m;
        GpuBuffer stats = scratch("stats", 8L * hq * m * Math.max((long) full.count() * chunk, (long) last.count() * lastChunk), false);
        // (m, log2 l) per row: two floats; then the planar copy column_pass_cm2 may read
        GpuBuffer lse = scratch("lse", 16L * (statRows + ShaderSet.COOP_TILE), false);
        long resultBytes = 4L * rows * n;
        GpuBuffer result = p.out() instanceof VulkanResidentTensor r ? r.buffer : scratch("result", resultBytes, false);
        int terms = p.heads() == HeadReduction.SUM || p.heads() == HeadReduction.MEAN ? hkv : 1;
        int divisor = p.headDivisor();
        // where each output row is one partial row (no sum over heads, no divisor, no previous scores)
        // and one chunk, the head pass would be a plain copy: the column pass writes the scores itself
        boolean direct = terms == 1 && divisor == 1 && prev == null && chunks == 1;
        GpuBuffer partial = direct ? result : scratch("partial", 4L * chunk * (grouped ? hkv : hq) * n, false);
        GpuBuffer back = p.out() instanceof Tensor ? scratch("stage.result", resultBytes, true) : null;

        // attend (one chunk): O in F32 on the device, then packed to 16 bits or read back as asked
        int dv = a == null ? 0 : a.valueDim();
        long oCount = a == null ? 0 : statRows * dv;
        boolean oResident = a != null && a.output() instanceof VulkanResidentTensor;
        boolean oResidentF32 = oResident && a.output().dtype() == DType.F32;
        GpuBuffer oF32 = a == null ? null : oResidentF32 ? ((VulkanResidentTensor) a.output()).buffer : scratch("attend.output", 4 * oCount, false);
        GpuBuffer oBack = a != null && !oResident ? scratch("stage.attend.output", 4 * oCount, true) : null;
        Pipelines.Pipeline packPass = oResident && !oResidentF32
                ? device.pipelines.get("pack16", "#define NO_COMMON\n#define ELEM_" + a.output().dtype() + "\n", 2, false) : null;

        Mask mask = p.mask();
        int maskKind = switch (mask.kind()) { case NONE -> 0; case CAUSAL -> 1; case SLIDING_WINDOW -> 2; };
        int window = (int) Math.min(mask.window(), 1 << 30);
        float logitScale = (float) (p.scale() * 1.4426950408889634);

        lastGpuNanos = device.submit(cb -> {
            q.record(cb);
            k.record(cb);
            if (v != null) v.record(cb);
            if (prev != null) prev.record(cb);
            for (int c = 0; c < chunks; c++) {
                int b0 = c * chunk, bc = Math.min(chunk, b - b0);
                Split split = bc == chunk ? full : last;
                int[] params = {bc, hq, hkv, m, n, p.headDim(), Float.floatToRawIntBits(logitScale), maskKind,
                        mask.alignment() == Mask.Alignment.TOP_LEFT ? 1 : 0, window, p.reduction().ordinal(), grouped ? 1 : 0, split.keys(), dv};
                // one chunk: the whole buffer (as far as a binding reaches); chunks: their batches plus the
                // slack, ending on 16 bytes (the portable shaders read 16-bit elements as 32-bit words)
                GpuBuffer.Range qr = chunks == 1 ? q.buffer.range(0, device.maxBinding) : q.buffer.range(b0 * qPerBatch, roundUp16(bc * qPerBatch + slack));
                GpuBuffer.Range kr = chunks == 1 ? k.buffer.range(0, device.maxBinding) : k.buffer.range(b0 * kPerBatch, roundUp16(bc * kPerBatch + slack));
                GpuBuffer.Range lr = lens.range(c * lensStride, lensStride);
                long chunkRows = (long) bc * hq * m;
                VulkanDevice.barrier(cb);
                long set;
                if (!ONLY.equals("columns")) {
                    // one split and RDIRECT: pass 1 writes (m, log2 l) itself, no merge
                    boolean direct1 = shaders.directStats() && split.count() == 1;
                    set = device.descriptorSet(rowPass, qr, kr, direct1 ? lse.whole() : stats.whole(), lr);
                    bind(cb, rowPass, set);
                    push(cb, rowPass, ints(params));
                    vkCmdDispatch(cb, (m + rowTile - 1) / rowTile, bc * hq, split.count());
                    VulkanDevice.barrier(cb);
                    if (!direct1) {
                        set = device.descriptorSet(mergePass, qr, kr, lse.whole(), lr, stats.whole());
                        bind(cb, mergePass, set);
                        push(cb, mergePass, ints(params));
                        dispatchLinear(cb, (chunkRows + 63) / 64);
                        VulkanDevice.barrier(cb);
                    }
                    device.mark(cb);   // pass 1's time, for the benchmark
                }
                if (!ONLY.equals("rows")) {
                    set = device.descriptorSet(columnPass, qr, kr, lse.whole(), lr, partial.whole());
                    bind(cb, columnPass, set);
                    push(cb, columnPass, ints(params));
                    vkCmdDispatch(cb, (n + keyTile - 1) / keyTile, bc * hkv, 1);
                }
                if (a != null) {
                    set = device.descriptorSet(outputPass, qr, kr, lse.whole(), lr, v.buffer.whole(), oF32.whole());
                    bind(cb, outputPass, set);
                    push(cb, outputPass, ints(params));
                    vkCmdDispatch(cb, (m + ShaderSet.TILE - 1) / ShaderSet.TILE, bc * hq, (dv + 63) / 64);
                }
                if (direct) continue;
                VulkanDevice.barrier(cb);
                set = device.descriptorSet(headPass, partial, prev == null ? partial : prev.buffer, result);
                bind(cb, headPass, set);
                push(cb, headPass, ints(bc * outHeads, n, p.previousLength(), terms, prev == null ? 0 : 1, Float.floatToRawIntBits(divisor), b0 * outHeads));
                vkCmdDispatch(cb, (n + 63) / 64, bc * outHeads, 1);
            }
            if (packPass != null) {
                long set = device.descriptorSet(packPass, oF32, ((VulkanResidentTensor) a.output()).buffer);
                bind(cb, packPass, set);
                push(cb, packPass, ints((int) oCount));
                dispatchLinear(cb, (oCount / 2 + 64) / 64);
            }
            if (back != null || oBack != null) {
                VulkanDevice.barrier(cb);
                if (back != null) copy(cb, result, back, resultBytes);
                if (oBack != null) copy(cb, oF32, oBack, 4 * oCount);
            }
        });
        if (back != null) HostViews.unpack(back.segment(), (Tensor) p.out());
        if (oBack != null) {
            Tensor o = (Tensor) a.output();
            if (o.dtype() == DType.F32) HostViews.unpack(oBack.segment(), o);
            else HostViews.narrow(oBack.segment(), o);
        }
    }

    /**
     * How pass 1 splits the keys over grid z where rows alone give too few workgroups (small M,
     * long N): {@code count} splits of {@code keys} keys (a multiple of the key tile).
     */
    private record Split(int keys, int count) {
        static Split of(int batches, int hq, int m, int n, int rowTile, int keyTile, long target) {
            long rowTiles = (m + rowTile - 1) / rowTile, keyTiles = (n + keyTile - 1) / keyTile;
            long splits = Math.clamp((target + rowTiles * batches * hq - 1) / (rowTiles * batches * hq), 1, keyTiles);
            int keys = (int) (((keyTiles + splits - 1) / splits) * keyTile);
            return new Split(keys, (n + keys - 1) / keys);
        }
    }

    private static long roundUp16(long bytes) { return (bytes + 15) & ~15L; }

    /** A 1-D grid of {@code groups} workgroups of 64, folded into y past the 65535 limit of x. */
    private static void dispatchLinear(VkCommandBuffer cb, long groups) {
        vkCmdDispatch(cb, (int) Math.max(1, Math.min(groups, 65535)), (int) Math.max(1, (groups + 65534) / 65535), 1);
    }

    /** Defines and extensions of a shader variant; {@code coopHeadDim} > 0 selects the cooperative-matrix shaders. */
    static String preamble(DType dtype, int coopHeadDim) {
        String s = "#define ELEM_" + dtype + "\n";
        if (coopHeadDim > 0) s += "#define HEAD_DIM " + coopHeadDim + "\n" + """
                #define COOPMAT
                #extension GL_KHR_cooperative_matrix : require
                #extension GL_KHR_memory_scope_semantics : require
                #extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
                #extension GL_EXT_shader_16bit_storage : require
                """;
        return s;
    }

    /** An operand's device buffer and, for a host view, the copy from its staging buffer. */
    private record Staged(GpuBuffer buffer, GpuBuffer stage, long bytes) {
        void record(VkCommandBuffer cb) { if (stage != null) copy(cb, stage, buffer, bytes); }
    }

    private Staged stage(String role, Operand o, long slack) {
        if (o instanceof VulkanResidentTensor r) return new Staged(r.buffer, null, 0);
        Tensor t = (Tensor) o;
        long bytes = HostViews.bytes(t);
        GpuBuffer stage = scratch("stage." + role, bytes, true);
        HostViews.pack(t, stage.segment());
        GpuBuffer buffer = scratch(role, bytes + slack, false);
        return new Staged(buffer, stage, bytes);
    }

    /** A session-owned buffer for one role, kept and grown as calls need. */
    private GpuBuffer scratch(String role, long bytes, boolean host) {
        GpuBuffer b = scratch.get(role);
        if (b != null && b.size >= bytes) return b;
        if (b != null) { b.close(); scratch.remove(role); }
        b = device.buffer(bytes, host);
        if (!host) {
            GpuBuffer fresh = b;
            device.submit(cb -> vkCmdFillBuffer(cb, fresh.handle, 0, VK_WHOLE_SIZE, 0));   // slack reads see zeros
        }
        scratch.put(role, b);
        return b;
    }

    static void copy(VkCommandBuffer cb, GpuBuffer from, GpuBuffer to, long bytes) {
        if (bytes == 0) return;
        try (MemoryStack st = MemoryStack.stackPush()) {
            vkCmdCopyBuffer(cb, from.handle, to.handle, VkBufferCopy.calloc(1, st).srcOffset(0).dstOffset(0).size(bytes));
        }
    }

    static void bind(VkCommandBuffer cb, Pipelines.Pipeline p, long set) {
        try (MemoryStack st = MemoryStack.stackPush()) {
            vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, p.pipeline());
            vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, p.layout(), 0, st.longs(set), null);
        }
    }

    static void push(VkCommandBuffer cb, Pipelines.Pipeline p, ByteBuffer data) {
        vkCmdPushConstants(cb, p.layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0, data);
    }

    static ByteBuffer ints(int... values) {
        ByteBuffer bb = ByteBuffer.allocateDirect(Pipelines.PUSH_BYTES).order(ByteOrder.nativeOrder());
        for (int v : values) bb.putInt(v);
        bb.position(0).limit(Math.max(4, values.length * 4));
        return bb;
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("Vulkan session is closed");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (VulkanResidentTensor t : List.copyOf(resident)) t.free();
        resident.clear();
        for (GpuBuffer b : scratch.values()) b.close();
        scratch.clear();
        device.close();
    }
}
