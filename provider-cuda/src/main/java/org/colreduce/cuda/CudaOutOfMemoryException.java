package org.colreduce.cuda;

/** Device memory ran out; the session stays usable. Names the bytes asked for and the bytes free. */
public final class CudaOutOfMemoryException extends IllegalStateException {
    private final long requested, free;

    CudaOutOfMemoryException(String what, long requested, long free, long total) {
        super("CUDA device out of memory allocating " + what + ": asked for " + requested + " bytes, "
                + free + " of " + total + " bytes free");
        this.requested = requested;
        this.free = free;
    }

    public long requestedBytes() { return requested; }

    public long freeBytes() { return free; }
}
