package io.brook.broker.partition;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Requests parked until an offset of a partition (its high watermark, or its log end offset)
 * reaches a target: long-poll fetches of consumers and followers waiting for data past their
 * offset, and acks=all produces waiting for their last record to be replicated — Kafka's fetch and
 * produce purgatories in one structure. Each waiter is a future that completes with {@code true}
 * when the offset reaches its target, or {@code false} when its time runs out or the partition
 * changes leader.
 *
 * <p>Thread-safe: waiters are added from gRPC threads and released by whoever advances the
 * offset; all under this object's lock. Completion callbacks run outside the lock.
 */
final class OffsetWaiters {
  private static final class Waiter {
    final long target;
    final CompletableFuture<Boolean> future;
    /** In {@code waiters}; guarded by the OffsetWaiters lock. */
    boolean queued = true;

    Waiter(long target, CompletableFuture<Boolean> future) {
      this.target = target;
      this.future = future;
    }
  }

  private final PriorityQueue<Waiter> waiters = new PriorityQueue<>((a, b) -> Long.compare(a.target, b.target));
  private final ScheduledExecutorService timer;

  OffsetWaiters(ScheduledExecutorService timer) {
    this.timer = timer;
  }

  /**
   * A future completed with true when the offset (read by {@code current}) reaches {@code target},
   * or with false after {@code timeoutMs} or once {@code valid} no longer holds (checked now, and
   * whoever makes it false calls {@link #releaseAll}). Both conditions are read again after the
   * waiter is queued, so an advance or a release racing with this call is never missed.
   */
  CompletableFuture<Boolean> await(long target, LongSupplier current, long timeoutMs, BooleanSupplier valid) {
    if (!valid.getAsBoolean()) {
      return CompletableFuture.completedFuture(false);
    }
    if (current.getAsLong() >= target) {
      return CompletableFuture.completedFuture(true);
    }
    CompletableFuture<Boolean> f = new CompletableFuture<>();
    Waiter w = new Waiter(target, f);
    synchronized (this) {
      waiters.add(w);
    }
    boolean stillValid = valid.getAsBoolean();
    if (!stillValid || current.getAsLong() >= target) {
      dequeue(w);
      f.complete(stillValid);
      return f;
    }
    ScheduledFuture<?> timeout = timer.schedule(() -> f.complete(false), Math.max(0, timeoutMs), TimeUnit.MILLISECONDS);
    f.whenComplete((reached, e) -> {
      timeout.cancel(false); // no dead timer tasks pile up
      dequeue(w); // completed from outside (timeout, a cancelled call): no dead waiters pile up
    });
    return f;
  }

  /** Takes {@code w} out of the queue unless an advance or a release already did (O(n), rare). */
  private synchronized void dequeue(Waiter w) {
    if (w.queued) {
      waiters.remove(w);
      w.queued = false;
    }
  }

  /** Waiters queued now (for tests and gauges). */
  synchronized int size() {
    return waiters.size();
  }

  /** Releases every waiter whose target is at or below {@code offset}. */
  void onOffset(long offset) {
    List<Waiter> done = new ArrayList<>();
    synchronized (this) {
      while (!waiters.isEmpty() && waiters.peek().target <= offset) {
        Waiter w = waiters.poll();
        w.queued = false;
        done.add(w);
      }
    }
    done.forEach(w -> w.future.complete(true));
  }

  /** Releases everyone (the partition is going away or changing leader); they re-check and answer. */
  void releaseAll() {
    List<Waiter> done;
    synchronized (this) {
      done = new ArrayList<>(waiters);
      waiters.clear();
      done.forEach(w -> w.queued = false);
    }
    done.forEach(w -> w.future.complete(false));
  }
}
