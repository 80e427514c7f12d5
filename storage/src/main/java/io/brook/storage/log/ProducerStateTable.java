package io.brook.storage.log;

import io.brook.storage.OutOfOrderSequenceException;
import io.brook.storage.ProducerFencedException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * What a partition knows of each idempotent producer: its epoch, its last few batches (sequence
 * range and offsets) and the timestamp of its last batch. The leader checks every producer batch
 * against it before the append: the next batch in sequence is accepted; a batch equal to one of
 * the last {@link #RECENT_BATCHES} is a retry of a batch already written and is answered with its
 * original offsets without writing it again; anything else is out of order and refused. So a
 * producer that retries with several batches in flight neither duplicates nor reorders records.
 *
 * <p>The state must not depend on batches that retention or compaction may remove (Kafka's
 * KAFKA-5490): the owning {@link Log} persists it in {@link ProducerStateSnapshots snapshot files}
 * at every segment roll and at close, and rebuilds it on open from the latest snapshot plus the
 * batches after it; the compactor keeps each known producer's last batch (see {@link
 * #lastBatchOffsets()}). Producer id, epoch and base sequence sit in every batch header, so
 * followers build the same state from the batches they replicate. A producer is forgotten only
 * when it has been idle for {@code producer.id.expiration.ms} ({@link #removeExpired}), as in
 * Kafka's {@code ProducerStateManager}; retention deleting its batches does not forget it.
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
    /** When this replica last appended (or, replaying at load, saw) a batch of the producer, ms. */
    long lastAppendMs;
    final ArrayDeque<BatchMeta> recent = new ArrayDeque<>();
  }

  private final Map<Long, Entry> producers = new HashMap<>();

  /**
   * Checks a producer batch before it is appended.
   *
   * @param firstBatchStartsAtZero whether an unknown producer's batch must have sequence 0 (the
   *     log has never held a record, so the producer cannot have been forgotten here); otherwise an
   *     unknown producer may continue at any sequence (its state may have expired)
   * @return the already written batch if this is a retry of it, else null (append it)
   * @throws ProducerFencedException if a newer epoch of the producer id wrote here
   * @throws OutOfOrderSequenceException if the batch does not continue the producer's sequence
   */
  BatchMeta check(long producerId, short epoch, int firstSequence, int lastSequence, boolean firstBatchStartsAtZero) {
    Entry e = producers.get(producerId);
    if (e == null && firstBatchStartsAtZero && firstSequence != 0) {
      throw new OutOfOrderSequenceException("producer " + producerId + " sent sequence " + firstSequence
          + " but 0 is next on this partition (its first batch here has not been written yet)");
    }
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

  /**
   * Records a batch written at {@code [firstOffset, lastOffset]}, appended (or replayed) at {@code
   * appendMs} by this replica's clock. A batch at or below the producer's last known offset is
   * ignored (replaying a range a snapshot already covers).
   */
  void update(long producerId, short epoch, int firstSequence, int lastSequence, long firstOffset, long lastOffset,
      long appendMs) {
    Entry e = producers.computeIfAbsent(producerId, id -> new Entry());
    if (!e.recent.isEmpty() && lastOffset <= e.recent.peekLast().lastOffset()) {
      return;
    }
    if (epoch > e.epoch) {
      e.epoch = epoch;
      e.recent.clear();
    }
    e.recent.addLast(new BatchMeta(firstSequence, lastSequence, firstOffset, lastOffset));
    while (e.recent.size() > RECENT_BATCHES) {
      e.recent.removeFirst();
    }
    e.lastAppendMs = Math.max(e.lastAppendMs, appendMs);
  }

  /**
   * Forgets every producer whose last batch was appended at least {@code expirationMs} before
   * {@code nowMs} (Kafka's {@code producer.id.expiration.ms}). Returns how many were removed.
   *
   * <p>Idle time is measured by this replica's clock, from when it appended the producer's last
   * batch; Kafka measures it from the batch's max timestamp instead, which forgets at once a
   * producer whose records carry old create times (mirrored or replayed data), losing its
   * idempotence. Batches replayed at load count as seen at load time: a producer may be kept up to
   * one expiration period longer, never dropped early.
   */
  int removeExpired(long nowMs, long expirationMs) {
    int removed = 0;
    for (Iterator<Entry> it = producers.values().iterator(); it.hasNext(); ) {
      if (nowMs - it.next().lastAppendMs >= expirationMs) {
        it.remove();
        removed++;
      }
    }
    return removed;
  }

  /**
   * The last offset of each known producer's last batch: the batches compaction must keep (as
   * empty batches if all their records are obsolete) so the producer's sequence survives in the
   * log itself (Kafka's cleaner does the same).
   */
  Map<Long, Long> lastBatchOffsets() {
    Map<Long, Long> out = new HashMap<>();
    producers.forEach((pid, e) -> {
      if (!e.recent.isEmpty()) {
        out.put(pid, e.recent.peekLast().lastOffset());
      }
    });
    return out;
  }

  void clear() {
    producers.clear();
  }

  int size() {
    return producers.size();
  }

  // ---------------------------------------------------------------- serialization (snapshots)

  /**
   * Encodes the table: {@code count int32}, then per producer {@code producerId int64, epoch
   * int16, lastAppendMs int64, batches int32}, then per batch {@code firstSequence int32,
   * lastSequence int32, firstOffset int64, lastOffset int64}.
   */
  ByteBuffer encode() {
    int size = 4;
    for (Entry e : producers.values()) {
      size += 8 + 2 + 8 + 4 + e.recent.size() * (4 + 4 + 8 + 8);
    }
    ByteBuffer buf = ByteBuffer.allocate(size);
    buf.putInt(producers.size());
    producers.forEach((pid, e) -> {
      buf.putLong(pid).putShort(e.epoch).putLong(e.lastAppendMs).putInt(e.recent.size());
      for (BatchMeta m : e.recent) {
        buf.putInt(m.firstSequence()).putInt(m.lastSequence()).putLong(m.firstOffset()).putLong(m.lastOffset());
      }
    });
    return buf.flip();
  }

  /**
   * Replaces the contents with those {@link #encode() encoded} in {@code buf}.
   *
   * @throws IllegalArgumentException if the bytes are not a well-formed table
   */
  void decode(ByteBuffer buf) {
    producers.clear();
    try {
      int count = buf.getInt();
      if (count < 0) {
        throw new IllegalArgumentException("negative producer count " + count);
      }
      for (int i = 0; i < count; i++) {
        long pid = buf.getLong();
        Entry e = new Entry();
        e.epoch = buf.getShort();
        e.lastAppendMs = buf.getLong();
        int batches = buf.getInt();
        if (batches < 0 || batches > RECENT_BATCHES) {
          throw new IllegalArgumentException("producer " + pid + " has " + batches + " batches");
        }
        for (int b = 0; b < batches; b++) {
          e.recent.addLast(new BatchMeta(buf.getInt(), buf.getInt(), buf.getLong(), buf.getLong()));
        }
        producers.put(pid, e);
      }
      if (buf.hasRemaining()) {
        throw new IllegalArgumentException(buf.remaining() + " bytes after the last producer");
      }
    } catch (java.nio.BufferUnderflowException e) {
      producers.clear();
      throw new IllegalArgumentException("producer state ends early", e);
    } catch (IllegalArgumentException e) {
      producers.clear();
      throw e;
    }
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
