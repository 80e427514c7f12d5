package io.brook.metadata;

import io.brook.metadata.time.Time;
import java.util.concurrent.atomic.AtomicLong;

/** A clock tests move by hand. */
public final class MockTime implements Time {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @Override
    public long nanoseconds() {
        return nanos.get();
    }

    @Override
    public long milliseconds() {
        return nanos.get() / 1_000_000L;
    }

    public void advanceMs(long ms) {
        nanos.addAndGet(ms * 1_000_000L);
    }
}
