package io.brook.storage;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets an action (typically a log line about a repeating failure) through at most once per
 * interval and counts what it held back, so a fault that repeats thousands of times a second —
 * a full disk under load, a stranger sending garbage — costs one line per interval, not a flood.
 *
 * <p>Thread-safe and lock-free.
 */
public final class RateLimit {
  private final long intervalNanos;
  private final AtomicLong nextNanos = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong heldBack = new AtomicLong();

  /** At most one action per {@code interval} of {@code unit}. */
  public RateLimit(long interval, TimeUnit unit) {
    this.intervalNanos = unit.toNanos(interval);
  }

  /**
   * Whether the action may happen now: -1 if not (it is counted as held back), else how many were
   * held back since the last one that happened (0 or more).
   */
  public long tryAcquire() {
    long now = System.nanoTime();
    long next = nextNanos.get();
    if ((next == Long.MIN_VALUE || now - next >= 0) && nextNanos.compareAndSet(next, now + intervalNanos)) {
      return heldBack.getAndSet(0);
    }
    heldBack.incrementAndGet();
    return -1;
  }
}
