package io.brook.broker.partition;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Requests parked until a partition's high watermark reaches an offset: long-poll fetches
 * (waiting for data past their offset) and acks=all produces (waiting for their last record to be
 * replicated) — Kafka's fetch and produce purgatories in one structure. Each waiter is a future
 * that completes with {@code true} when the high watermark reaches its target, or {@code false}
 * when its time runs out.
 *
 * <p>Thread-safe: waiters are added from gRPC threads and released by whoever advances the high
 * watermark; all under this object's lock. Completion callbacks run outside the lock.
 */
final class HighWatermarkWaiters {
  private record Waiter(long target, CompletableFuture<Boolean> future) {}

  private final PriorityQueue<Waiter> waiters = new PriorityQueue<>((a, b) -> Long.compare(a.target, b.target));
  private final ScheduledExecutorService timer;

  HighWatermarkWaiters(ScheduledExecutorService timer) {
    this.timer = timer;
  }

  /** A future completed when {@code currentHighWatermark()} reaches {@code target}, or false after {@code timeoutMs}. */
  CompletableFuture<Boolean> await(long target, long currentHighWatermark, long timeoutMs) {
    if (currentHighWatermark >= target) {
      return CompletableFuture.completedFuture(true);
    }
    CompletableFuture<Boolean> f = new CompletableFuture<>();
    Waiter w = new Waiter(target, f);
    synchronized (this) {
      waiters.add(w);
    }
    timer.schedule(() -> {
      synchronized (this) {
        waiters.remove(w);
      }
      f.complete(false);
    }, Math.max(0, timeoutMs), TimeUnit.MILLISECONDS);
    return f;
  }

  /** Releases every waiter whose target is at or below {@code highWatermark}. */
  void onHighWatermark(long highWatermark) {
    List<Waiter> done = new ArrayList<>();
    synchronized (this) {
      while (!waiters.isEmpty() && waiters.peek().target <= highWatermark) {
        done.add(waiters.poll());
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
    }
    done.forEach(w -> w.future.complete(false));
  }
}
