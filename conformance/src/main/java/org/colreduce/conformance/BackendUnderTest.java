package org.colreduce.conformance;

import java.lang.reflect.Method;
import org.colreduce.ColReduce;
import org.colreduce.Session;
import org.colreduce.spi.Availability;
import org.colreduce.spi.ColReduceBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;

/**
 * The lifecycle shared by the conformance suites: one session of the backend per test class (GPU
 * backends are costly to open), closed after it; before each test, a visible skip with the reason
 * when the backend is unavailable, and a generator seeded for that test ({@link Inputs}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendUnderTest {
    private ColReduceBackend backend;
    private Availability availability;
    private Session session;
    private Inputs in;

    /** For the suites of this package. */
    BackendUnderTest() {}

    /** A fresh instance of the backend under test. */
    protected abstract ColReduceBackend backend();

    @BeforeAll
    public final void openSession() {
        backend = backend();
        availability = backend.availability();
        if (availability.available()) session = ColReduce.open(backend);
    }

    @AfterAll
    public final void closeSession() {
        if (session != null) session.close();
    }

    @BeforeEach
    public final void beforeEach(TestInfo info) {
        Assumptions.assumeTrue(availability.available(), () -> "backend '" + backend.name() + "' is unavailable: " + availability.reason());
        in = Inputs.forName(getClass().getName() + "#" + info.getTestMethod().map(Method::getName).orElse("") + info.getDisplayName());
    }

    /** The instance this class's session was opened on. */
    protected final ColReduceBackend testedBackend() { return backend; }

    /** Whether the backend is available here, and why not. */
    protected final Availability availability() { return availability; }

    /** The session shared by this class's tests. */
    protected final Session session() { return session; }

    /** This test's seeded generator. */
    protected final Inputs inputs() { return in; }
}
