package io.brook.metadata.time;

/**
 * The clock every timing decision in this module reads: session timeouts, heartbeat intervals,
 * backoff. Passed in (never {@code System.nanoTime()} directly) so tests can drive time.
 */
public interface Time {
    /** The system clock. */
    Time SYSTEM = new Time() {
        @Override
        public long nanoseconds() {
            return System.nanoTime();
        }

        @Override
        public long milliseconds() {
            return System.currentTimeMillis();
        }
    };

    /** A monotonic reading for measuring intervals; no relation to wall-clock time. */
    long nanoseconds();

    /** Wall-clock milliseconds since the epoch, for display only. */
    long milliseconds();

    default long monotonicMs() {
        return nanoseconds() / 1_000_000L;
    }
}
