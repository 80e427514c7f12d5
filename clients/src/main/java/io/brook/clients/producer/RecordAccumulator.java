package io.brook.clients.producer;

import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.storage.TopicPartition;
import io.brook.storage.record.RecordBatchBuilder;
import io.brook.storage.record.Header;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Per-partition queues of batches between {@code send} (any thread) and the sender thread. A batch
 * is ready when it is full, has lingered {@code lingerMs}, or a flush or close is under way.
 * Buffer memory is bounded: {@code send} blocks (up to {@code maxBlockMs}) while the bytes of
 * unacknowledged batches exceed {@code bufferMemoryBytes} — explicit back-pressure instead of an
 * unbounded queue. Thread-safe: one lock guards the queues and the counters.
 */
final class RecordAccumulator {
  private final ProducerConfig config;
  private final ReentrantLock lock = new ReentrantLock();
  /** Threads waiting for buffer memory or for the accumulator to empty (flush). */
  private final Condition changed = lock.newCondition();
  /** The sender thread, waiting for a batch to become sendable. */
  private final Condition senderWake = lock.newCondition();
  private final Map<TopicPartition, ArrayDeque<ProducerBatch>> queues = new HashMap<>();
  private final Map<TopicPartition, Integer> inFlight = new HashMap<>();
  private long nextSequence;
  private long usedBytes;
  private int flushesInProgress;
  private boolean closing;
  /** Bumped by every {@link #signalChange()}; {@link #awaitWork} waits only while it is unchanged since the last drain. */
  private long changes;
  private long changesAtDrain;
  /** Idempotence: the producer id (-1 until known, or when idempotence is off) and next sequences. */
  private long producerId = -1;
  private short producerEpoch;
  private final boolean idempotent;
  private final Map<TopicPartition, Integer> nextProducerSequence = new HashMap<>();
  /**
   * Builders of sent batches, kept for new batches: the records of queued batches are written
   * into long-lived arrays instead of a fresh one per batch, so a full {@code buffer.memory} is
   * not copied again by every young collection (Kafka's producer pools its batch buffers for the
   * same reason). At most as many as {@code buffer.memory} holds batches.
   */
  private final ArrayDeque<RecordBatchBuilder> freeBuilders = new ArrayDeque<>();
  private final int maxFreeBuilders;

  RecordAccumulator(ProducerConfig config) {
    this.config = config;
    this.idempotent = config.idempotent();
    this.maxFreeBuilders = (int) Math.min(4096, Math.max(1, config.bufferMemoryBytes() / Math.max(1, config.batchSizeBytes())));
  }

  /** A reset builder from the pool, or a new one. The caller holds the lock. */
  private RecordBatchBuilder takeBuilder() {
    RecordBatchBuilder b = freeBuilders.pollFirst();
    return b != null ? b : new RecordBatchBuilder(Math.min(config.batchSizeBytes(), 64 * 1024)).compression(config.compression());
  }

  /**
   * Returns a sealed batch's builder to the pool, unless it is null, the pool is full, or it grew
   * well past the batch size for an outsized record. The caller holds the lock.
   */
  private void recycle(RecordBatchBuilder b) {
    if (b != null && freeBuilders.size() < maxFreeBuilders
        && b.capacityBytes() <= 2 * Math.max(config.batchSizeBytes(), 16 * 1024)) {
      freeBuilders.addFirst(b.reset());
    }
  }

  /** The idempotent producer's id is known: batches can be numbered and sent. */
  void setProducerId(long id, short epoch) {
    lock.lock();
    try {
      producerId = id;
      producerEpoch = epoch;
      signalChange();
    } finally {
      lock.unlock();
    }
  }

  /** Adds a record to the partition's open batch (or a new one); returns the record's future. */
  CompletableFuture<RecordMetadata> append(TopicPartition tp, long timestamp, byte[] key, byte[] value, List<Header> headers, long nowMs)
      throws TimeoutException, InterruptedException {
    int estimate = estimate(key, value, headers);
    lock.lock();
    try {
      if (closing) {
        throw new IllegalStateException("producer is closed");
      }
      reserve(estimate);
      usedBytes += estimate;
      ArrayDeque<ProducerBatch> q = queues.computeIfAbsent(tp, k -> new ArrayDeque<>());
      ProducerBatch last = q.peekLast();
      if (last != null) {
        CompletableFuture<RecordMetadata> f = last.tryAppend(timestamp, key, value, headers, estimate);
        if (f != null) {
          last.reservedBytes += estimate;
          if (last.isFull()) {
            signalSender(); // a batch is ready: only the sender cares
          }
          return f;
        }
      }
      ProducerBatch batch = new ProducerBatch(tp, nextSequence++, nowMs, takeBuilder(), config.batchSizeBytes());
      CompletableFuture<RecordMetadata> f = batch.tryAppend(timestamp, key, value, headers, estimate);
      batch.reservedBytes = estimate;
      q.addLast(batch);
      signalSender(); // a batch is ready: only the sender cares
      return f;
    } finally {
      lock.unlock();
    }
  }

  /** Bytes a record is counted as, against batch size and buffer memory (an upper bound). */
  static int estimate(byte[] key, byte[] value, List<Header> headers) {
    int estimate = 32 + (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
    for (Header h : headers) {
      estimate += h.key().length() + (h.value() == null ? 0 : h.value().length) + 4;
    }
    return estimate;
  }

  /** Whether the partition's newest batch is still open and has room for {@code bytes} more. */
  boolean hasRoom(TopicPartition tp, int bytes) {
    lock.lock();
    try {
      ArrayDeque<ProducerBatch> q = queues.get(tp);
      ProducerBatch last = q == null ? null : q.peekLast();
      return last != null && last.hasRoom(bytes);
    } finally {
      lock.unlock();
    }
  }

  /** Waits until {@code bytes} more fit in buffer memory; the caller holds the lock. */
  private void reserve(long bytes) throws TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.maxBlockMs());
    while (usedBytes + bytes > config.bufferMemoryBytes() && usedBytes > 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new TimeoutException("no room in buffer.memory (" + config.bufferMemoryBytes()
            + " bytes) for " + config.maxBlockMs() + " ms: the brokers are not keeping up");
      }
      changed.awaitNanos(left);
    }
  }

  /**
   * Takes the batches that may be sent now: ready ones at the head of each queue, as long as the
   * partition has fewer than {@code maxInFlightPerPartition} batches in flight. Returns how long
   * the sender may sleep before a batch lingers out (when nothing is ready).
   */
  List<ProducerBatch> drain(long nowMs, long[] sleepMs) {
    lock.lock();
    try {
      changesAtDrain = changes;
      List<ProducerBatch> out = new ArrayList<>();
      long nextWake = config.lingerMs() > 0 ? config.lingerMs() : 50;
      boolean urgent = flushesInProgress > 0 || closing;
      for (Iterator<Map.Entry<TopicPartition, ArrayDeque<ProducerBatch>>> it = queues.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<TopicPartition, ArrayDeque<ProducerBatch>> e = it.next();
        ArrayDeque<ProducerBatch> q = e.getValue();
        int flying = inFlight.getOrDefault(e.getKey(), 0);
        while (!q.isEmpty() && flying < config.maxInFlightPerPartition()) {
          ProducerBatch head = q.peekFirst();
          long waited = nowMs - head.createdMs;
          if (head.attempts > 0 && nowMs < head.retryNotBeforeMs) {
            // Backing off after a retriable refusal; younger batches of the partition wait behind it.
            nextWake = Math.min(nextWake, head.retryNotBeforeMs - nowMs);
            break;
          }
          boolean ready = urgent || head.isFull() || q.size() > 1 || waited >= config.lingerMs() || head.attempts > 0;
          if (!ready) {
            nextWake = Math.min(nextWake, config.lingerMs() - waited);
            break;
          }
          if (idempotent && producerId < 0) {
            if (waited > config.deliveryTimeoutMs()) {
              q.pollFirst(); // no broker gave a producer id in time: fail the batch, do not hang
              head.fail(new BrookException(ErrorCode.REQUEST_TIMED_OUT,
                  "no producer id within delivery.timeout.ms=" + config.deliveryTimeoutMs() + "; is the cluster reachable?"));
              usedBytes -= head.reservedBytes;
              signalChange();
              continue;
            }
            break; // no producer id yet: batches cannot be numbered
          }
          q.pollFirst();
          if (idempotent && !head.isClosed()) {
            // Sequences are given in queue order, once: a retried batch keeps its number.
            int seq = nextProducerSequence.getOrDefault(head.tp, 0);
            head.setProducer(producerId, producerEpoch, seq);
            nextProducerSequence.put(head.tp, (int) ((seq + (long) head.recordCount()) % ((long) Integer.MAX_VALUE + 1)));
          }
          head.seal();
          out.add(head);
          flying++;
        }
        inFlight.put(e.getKey(), flying);
        if (q.isEmpty() && flying == 0) {
          it.remove();
          inFlight.remove(e.getKey());
        }
      }
      sleepMs[0] = Math.max(1, nextWake);
      return out;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The sender is done with a batch (failed for good, or sent without acks): frees its memory and
   * slot. Its builder is not reused: the transport may still hold the bytes (grpc-java keeps the
   * messages of a stream it may replay until the server has answered on it).
   */
  void release(ProducerBatch batch) {
    release(batch, false);
  }

  /**
   * As {@link #release(ProducerBatch)}, for a batch the broker has answered: once the server has
   * answered on a stream, grpc-java no longer replays its messages, so the batch's builder goes
   * back to the pool.
   */
  void releaseAnswered(ProducerBatch batch) {
    release(batch, true);
  }

  private void release(ProducerBatch batch, boolean reuseBuilder) {
    lock.lock();
    try {
      if (reuseBuilder) {
        recycle(batch.takeBuilder());
      }
      usedBytes -= batch.reservedBytes;
      if (inFlight.computeIfPresent(batch.tp, (k, v) -> v > 1 ? v - 1 : null) == null) {
        ArrayDeque<ProducerBatch> q = queues.get(batch.tp);
        if (q != null && q.isEmpty()) {
          queues.remove(batch.tp); // nothing queued or in flight: a flush may be waiting for this
        }
      }
      signalChange();
    } finally {
      lock.unlock();
    }
  }

  /** Puts a batch back for another attempt, ahead of younger batches of its partition. */
  void requeue(ProducerBatch batch) {
    lock.lock();
    try {
      inFlight.computeIfPresent(batch.tp, (k, v) -> v > 1 ? v - 1 : null);
      ArrayDeque<ProducerBatch> q = queues.computeIfAbsent(batch.tp, k -> new ArrayDeque<>());
      List<ProducerBatch> all = new ArrayList<>(q);
      all.add(batch);
      all.sort((a, b) -> Long.compare(a.sequence, b.sequence));
      q.clear();
      q.addAll(all);
      signalChange();
    } finally {
      lock.unlock();
    }
  }

  /** Blocks the sender until something may be ready, at most {@code ms}. */
  void awaitWork(long ms) throws InterruptedException {
    lock.lock();
    try {
      // A change signalled between the last drain and now (a batch answered, a new batch) must
      // not be lost: without this check the sender slept its full wait (50 ms with linger.ms=0)
      // while batches were ready.
      long nanos = TimeUnit.MILLISECONDS.toNanos(ms);
      while (changes == changesAtDrain && nanos > 0) {
        nanos = senderWake.awaitNanos(nanos);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Wakes the sender and any thread waiting for buffer memory or a flush. The caller holds the lock. */
  private void signalChange() {
    changed.signalAll();
    signalSender();
  }

  /** Wakes the sender only. The caller holds the lock. */
  private void signalSender() {
    changes++;
    senderWake.signal();
  }

  /**
   * Blocks until no batch is queued or in flight ({@code Producer.flush}).
   *
   * @throws InterruptedException if the waiting thread is interrupted
   */
  void awaitEmpty() throws InterruptedException {
    lock.lock();
    try {
      while (!(queues.isEmpty() && inFlight.isEmpty())) {
        changed.await(100, TimeUnit.MILLISECONDS);
      }
    } finally {
      lock.unlock();
    }
  }

  void beginFlush() {
    lock.lock();
    try {
      flushesInProgress++;
      signalChange();
    } finally {
      lock.unlock();
    }
  }

  void endFlush() {
    lock.lock();
    try {
      flushesInProgress--;
    } finally {
      lock.unlock();
    }
  }

  void close() {
    lock.lock();
    try {
      closing = true;
      signalChange();
    } finally {
      lock.unlock();
    }
  }

  boolean isEmpty() {
    lock.lock();
    try {
      return queues.isEmpty() && inFlight.isEmpty();
    } finally {
      lock.unlock();
    }
  }

  /** Fails every batch still queued (the producer closes without waiting). */
  void abortAll(RuntimeException e) {
    lock.lock();
    try {
      for (ArrayDeque<ProducerBatch> q : queues.values()) {
        for (ProducerBatch b : q) {
          b.fail(e);
          usedBytes -= b.reservedBytes;
        }
      }
      queues.clear();
      signalChange();
    } finally {
      lock.unlock();
    }
  }
}
