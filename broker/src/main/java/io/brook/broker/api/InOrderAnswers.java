package io.brook.broker.api;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/**
 * Releases the answers of one request stream in request order per key (a partition), however
 * their results complete: an answer that is ready waits until the earlier requests of its key on
 * the same stream have been answered. Keys do not wait for each other.
 *
 * <p>Why: an idempotent producer pipelines up to five batches per partition, and the broker keeps
 * the last five batches of each producer to recognise a retry (Kafka's limit too). If a batch
 * were answered with an error (e.g. its acks=all wait timed out) after a later batch of the same
 * partition was answered with success, the producer would send more new batches before retrying
 * the first; the retry could then arrive after five newer batches and be refused as out of
 * sequence although it was written. Kafka avoids this by answering a connection's requests one at
 * a time, in order; here that order is kept per partition, so one slow partition does not hold up
 * the others on the stream. Thread-safe.
 *
 * @param <T> the result type
 */
final class InOrderAnswers<T> {
  private final Map<Object, CompletableFuture<Void>> tails = new HashMap<>();

  /**
   * Calls {@code answer} with {@code result}'s outcome once it is complete and every earlier
   * result submitted under {@code key} has been answered. {@code answer} runs on the thread that
   * completed the last of the two; an exception it throws does not stop later answers.
   */
  void submit(Object key, CompletableFuture<T> result, BiConsumer<T, Throwable> answer) {
    CompletableFuture<Void> answered;
    synchronized (this) {
      CompletableFuture<Void> previous = tails.get(key);
      CompletableFuture<Void> after = previous == null ? CompletableFuture.completedFuture(null) : previous;
      answered = after.thenCompose(v -> result.handle((r, e) -> {
        try {
          answer.accept(r, e);
        } catch (RuntimeException ignored) {
          // the caller's problem; the next answer still goes out
        }
        return null;
      }));
      tails.put(key, answered);
    }
    answered.whenComplete((v, e) -> {
      synchronized (this) {
        tails.remove(key, answered);
      }
    });
  }

  /** How many keys have answers outstanding (for tests). */
  synchronized int pendingKeys() {
    return tails.size();
  }
}
