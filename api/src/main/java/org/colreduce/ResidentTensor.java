package org.colreduce;

/**
 * A tensor held by a session on its device (GPU memory, or a private host copy on the CPU
 * backend), so a decode loop uploads K once and reuses it. Made by {@link Session#upload};
 * usable only with the session that made it. Contiguous, row-major. Closing frees the memory;
 * a closed resident tensor is rejected by every call.
 */
public interface ResidentTensor extends Operand, AutoCloseable {
    /** The name of the backend that holds it. */
    String backend();

    boolean isClosed();

    @Override
    void close();
}
