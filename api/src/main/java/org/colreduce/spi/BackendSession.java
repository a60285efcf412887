package org.colreduce.spi;

import org.colreduce.DType;
import org.colreduce.ResidentTensor;
import org.colreduce.Tensor;

/**
 * One backend's open resources. Every problem reaching it has been validated by the API
 * ({@link ReduceProblem}, {@link AttendProblem}): shapes, types, lengths and outputs agree, and a
 * resident operand is open and names this backend. A session is used by one thread at a time.
 * An exception out of a call leaves the session usable and the outputs untouched.
 */
public interface BackendSession extends AutoCloseable {
    /** Copies a host view into a new resident tensor (contiguous). */
    ResidentTensor upload(Tensor source);

    /** A new zeroed resident tensor. */
    ResidentTensor allocate(DType dtype, long... shape);

    /** Copies a resident tensor into a host view of the same shape and type. */
    void download(ResidentTensor source, Tensor destination);

    /** Whether a resident tensor was made by this very session (and not closed). */
    boolean owns(ResidentTensor tensor);

    /** Column reduction of P into {@code p.out()}, plus {@code p.previous()} when given. */
    void columnReduce(ReduceProblem p);

    /** O = P·V and the column reduction of the same P, in one pass over K and V. */
    default void attend(AttendProblem p) {
        throw new UnsupportedOperationException("attend is not implemented by this backend yet");
    }

    /** Frees every resource the session holds, resident tensors included. Idempotent. */
    @Override
    void close();
}
