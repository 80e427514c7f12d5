package io.brook.storage;

/**
 * The clock the storage engine reads. Passed in rather than read from {@link System} so tests can
 * drive retention, segment age and flush intervals deterministically.
 */
public interface Time {
  Time SYSTEM =
      new Time() {
        @Override
        public long milliseconds() {
          return System.currentTimeMillis();
        }

        @Override
        public long nanoseconds() {
          return System.nanoTime();
        }
      };

  /** Wall-clock time in milliseconds since the epoch (record timestamps, retention). */
  long milliseconds();

  /** Monotonic time in nanoseconds (intervals only). */
  long nanoseconds();
}
