package io.brook.storage;

import java.util.concurrent.atomic.AtomicLong;

/** A clock tests move by hand. */
public final class MockTime implements Time {
  private final AtomicLong ms;

  public MockTime(long startMs) {
    ms = new AtomicLong(startMs);
  }

  @Override
  public long milliseconds() {
    return ms.get();
  }

  @Override
  public long nanoseconds() {
    return ms.get() * 1_000_000L;
  }

  public void sleep(long deltaMs) {
    ms.addAndGet(deltaMs);
  }

  /** Moves the clock forward by {@code deltaMs}. */
  public void advance(long deltaMs) {
    ms.addAndGet(deltaMs);
  }

  /** Moves the clock forward to {@code targetMs} if it is behind (never backwards). */
  public void setAtLeast(long targetMs) {
    ms.accumulateAndGet(targetMs, Math::max);
  }
}
