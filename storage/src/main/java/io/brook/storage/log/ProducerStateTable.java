package io.brook.storage.log;

import io.brook.storage.OutOfOrderSequenceException;
import io.brook.storage.ProducerFencedException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * What a partition knows of each idempotent producer: its epoch and its last few batches
 * (sequence range and offsets). The leader checks every producer batch against it before the
 * append: the next batch in sequence is accepted; a batch equal to one of the last {@link
 * #RECENT_BATCHES} is a retry of a batch already written and is answered with its original offsets
 * without writing it again; anything else is out of order and refused. So a producer that retries
 * with several batches in flight neither duplicates nor reorders records.
 *
 * <p>The table is derived from the log alone (producer id, epoch and base sequence sit in every
 * batch header): followers build it from the batches they replicate, a restarted broker rebuilds
 * it by walking the batch headers, a truncated log rebuilds it. So it survives failover and
 * restart with the log.
 *
 * <p>Not thread-safe: owned by its {@link Log}, used under the log's lock.
 */
final class ProducerStateTable {
  /** As many batches as a producer may have in flight per partition (Kafka's limit too). */
  static final int RECENT_BATCHES = 5;

  /** One written batch of a producer. */
  record BatchMeta(int firstSequence, int lastSequence, long firstOffset, long lastOffset) {}

  private static final class Entry {
    short epoch;
    final ArrayDeque<BatchMeta> recent = new ArrayDeque<>();
  }

  private final Map<Long, Entry> producers = new HashMap<>();

  /**
   * Checks a producer batch before it is appended.
   *
   * @return the already written batch if this is a retry of it, else null (append it)
   * @throws ProducerFencedException if a newer epoch of the producer id wrote here
   * @throws OutOfOrderSequenceException if the batch does not continue the producer's sequence
   */
  BatchMeta check(long producerId, short epoch, int firstSequence, int lastSequence) {
    Entry e = producers.get(producerId);
    if (e == null || epoch > e.epoch) {
      return null; // a new producer, or a new epoch of one: its sequence starts afresh
    }
    if (epoch < e.epoch) {
      throw new ProducerFencedException("producer " + producerId + " epoch " + epoch + " is fenced by epoch " + e.epoch);
    }
    for (BatchMeta m : e.recent) {
      if (m.firstSequence() == firstSequence && m.lastSequence() == lastSequence) {
        return m;
      }
    }
    int expected = e.recent.isEmpty() ? firstSequence : nextSequence(e.recent.peekLast().lastSequence());
    if (firstSequence != expected) {
      throw new OutOfOrderSequenceException("producer " + producerId + " sent sequence " + firstSequence
          + " but " + expected + " is next on this partition");
    }
    return null;
  }

  /** Records a batch written at {@code [firstOffset, lastOffset]}. */
  void update(long producerId, short epoch, int firstSequence, int lastSequence, long firstOffset, long lastOffset) {
    Entry e = producers.computeIfAbsent(producerId, id -> new Entry());
    if (epoch > e.epoch) {
      e.epoch = epoch;
      e.recent.clear();
    }
    e.recent.addLast(new BatchMeta(firstSequence, lastSequence, firstOffset, lastOffset));
    while (e.recent.size() > RECENT_BATCHES) {
      e.recent.removeFirst();
    }
  }

  void clear() {
    producers.clear();
  }

  int size() {
    return producers.size();
  }

  /** Sequences wrap at Integer.MAX_VALUE back to 0, as in Kafka. */
  static int nextSequence(int sequence) {
    return sequence == Integer.MAX_VALUE ? 0 : sequence + 1;
  }

  /** The last sequence of a batch of {@code records} starting at {@code firstSequence}. */
  static int lastSequence(int firstSequence, int records) {
    long last = (long) firstSequence + records - 1;
    return (int) (last > Integer.MAX_VALUE ? last - Integer.MAX_VALUE - 1 : last);
  }
}
