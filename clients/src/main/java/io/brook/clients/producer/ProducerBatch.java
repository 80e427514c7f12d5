package io.brook.clients.producer;

import io.brook.storage.TopicPartition;
import io.brook.storage.record.Header;
import io.brook.storage.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Records for one partition collected into one v2 batch, with the futures of their sends. Owned
 * by the {@link RecordAccumulator} while open, then by the sender until answered. Not thread-safe:
 * the accumulator's lock guards it while open; after {@link #close()} it is read-only but for the
 * attempt counter, which only the sender touches.
 */
final class ProducerBatch {
  final TopicPartition tp;
  /** Order of creation within the partition: retries go back in this order. */
  final long sequence;
  /** After a retriable refusal: not sent again before this time (ms, wall clock; {@code retry.backoff.ms}). */
  volatile long retryNotBeforeMs;
  final long createdMs;
  /** Null once the batch is built: the builder goes back to the accumulator's pool. */
  private RecordBatchBuilder builder;
  private final List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
  private long[] timestamps = new long[64];
  private final int batchSizeBytes;
  private ByteBuffer built;
  int attempts;
  long reservedBytes;

  /**
   * A batch for {@code tp} whose records go into {@code builder}, an empty builder set to the
   * producer's codec (fresh, or reset from the accumulator's pool).
   */
  ProducerBatch(TopicPartition tp, long sequence, long createdMs, RecordBatchBuilder builder, int batchSizeBytes) {
    this.tp = tp;
    this.sequence = sequence;
    this.createdMs = createdMs;
    this.batchSizeBytes = batchSizeBytes;
    this.builder = builder;
  }

  /** Adds a record if it fits (an empty batch takes any one record); null if it does not. */
  CompletableFuture<RecordMetadata> tryAppend(long timestamp, byte[] key, byte[] value, List<Header> headers, int estimatedBytes) {
    if (!hasRoom(estimatedBytes)) {
      return null;
    }
    builder.append(timestamp, key, value, headers);
    CompletableFuture<RecordMetadata> f = new CompletableFuture<>();
    if (futures.size() == timestamps.length) {
      timestamps = Arrays.copyOf(timestamps, timestamps.length * 2);
    }
    timestamps[futures.size()] = timestamp;
    futures.add(f);
    return f;
  }

  boolean hasRoom(int estimatedBytes) {
    return built == null && builder != null && (builder.isEmpty() || builder.estimatedSizeBytes() + estimatedBytes <= batchSizeBytes);
  }

  boolean isFull() {
    return built != null || builder == null || builder.estimatedSizeBytes() >= batchSizeBytes;
  }

  int recordCount() {
    return futures.size();
  }

  /** Stamps the idempotent producer's id, epoch and this batch's first sequence (before close). */
  void setProducer(long producerId, short epoch, int baseSequence) {
    builder.producer(producerId, epoch, baseSequence);
  }

  boolean isClosed() {
    return built != null;
  }

  /**
   * Encodes (and compresses) the batch, once, in its builder's own buffer (no copy): the builder
   * stays with the batch until {@link #takeBuilder()}.
   */
  void seal() {
    if (built == null) {
      built = builder.buildInPlace();
    }
  }

  /**
   * Hands the builder back for reuse, once the batch's bytes can no longer be needed (answered by
   * the broker: see {@code RecordAccumulator.releaseAnswered}); null if it was taken already. The
   * batch must not be sent again after this.
   */
  RecordBatchBuilder takeBuilder() {
    RecordBatchBuilder b = builder;
    builder = null;
    built = null;
    return b;
  }

  /** The encoded batch (sealing it first if needed); every call returns the same bytes. */
  ByteBuffer close() {
    seal();
    return built.duplicate();
  }

  void complete(long baseOffset) {
    for (int i = 0; i < futures.size(); i++) {
      long offset = baseOffset < 0 ? -1 : baseOffset + i;
      futures.get(i).complete(new RecordMetadata(tp.topic(), tp.partition(), offset, timestamps[i]));
    }
  }

  void fail(RuntimeException e) {
    for (CompletableFuture<RecordMetadata> f : futures) {
      f.completeExceptionally(e);
    }
  }
}
