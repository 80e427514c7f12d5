package io.brook.clients.consumer;

import io.brook.clients.internals.ChannelPool;
import io.brook.clients.internals.MetadataCache;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.BrokerEndpoint;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.FetchRequest;
import io.brook.proto.v1.FetchResponse;
import io.brook.proto.v1.ListOffsetsRequest;
import io.brook.proto.v1.ListOffsetsResponse;
import io.brook.proto.v1.OffsetSpec;
import io.brook.proto.v1.RecordFormat;
import io.brook.storage.TopicPartition;
import io.brook.storage.record.Record;
import io.brook.storage.record.RecordBatch;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads records from assigned partitions. {@link #assign} the partitions, optionally {@link #seek}
 * (or start at the earliest, latest, or a timestamp), then call {@link #poll} in a loop: it
 * returns the records that arrived, in offset order per partition, and keeps one long-poll fetch
 * per partition in flight so the brokers work while the application does. Fetches ask for the
 * stored batches as they are (CRC-checked and decoded here); only records below the high
 * watermark are ever returned. A partition whose leader moved is re-fetched from the new leader
 * after a metadata refresh; one whose position fell out of the log is reset per {@code
 * autoOffsetReset}.
 *
 * <p>Not thread-safe, like Kafka's consumer: use it from one thread.
 */
public final class Consumer implements AutoCloseable {
  private final ConsumerConfig config;
  private final ChannelPool channels = new ChannelPool();
  private final MetadataCache metadata;
  private final Map<TopicPartition, PartitionState> assigned = new LinkedHashMap<>();
  private final LinkedBlockingQueue<Completed> completed = new LinkedBlockingQueue<>();

  /** Fetch state of one assigned partition; touched only by the polling thread. */
  private static final class PartitionState {
    Long position;
    boolean inFlight;
    /** Bumped by seek: answers to fetches sent before it are dropped. */
    int generation;
    /** After a failed fetch, no new one before this (System.nanoTime()). */
    long retryAfterNs;
  }

  private static final long RETRY_BACKOFF_NS = TimeUnit.MILLISECONDS.toNanos(100);

  private record Completed(TopicPartition tp, int generation, long fetchOffset, FetchResponse response, Throwable error) {}

  public Consumer(ConsumerConfig config) {
    this.config = config;
    this.metadata = new MetadataCache(config.bootstrapServers(), channels, config.requestTimeoutMs(), 5 * 60_000);
  }

  /** Replaces the assignment. Kept partitions keep their positions. */
  public void assign(Collection<TopicPartition> partitions) {
    Map<TopicPartition, PartitionState> next = new LinkedHashMap<>();
    for (TopicPartition tp : partitions) {
      next.put(tp, assigned.getOrDefault(tp, new PartitionState()));
    }
    assigned.clear();
    assigned.putAll(next);
  }

  public Set<TopicPartition> assignment() {
    return Set.copyOf(assigned.keySet());
  }

  /** Every partition of a topic, per current metadata. */
  public List<TopicPartition> partitionsFor(String topic) {
    int n = metadata.current(topic).partitionCount(topic);
    if (n < 0) {
      throw new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + topic + "' does not exist");
    }
    List<TopicPartition> out = new ArrayList<>();
    for (int p = 0; p < n; p++) {
      out.add(new TopicPartition(topic, p));
    }
    return out;
  }

  public void seek(TopicPartition tp, long offset) {
    PartitionState s = state(tp);
    s.position = offset;
    s.generation++;
    s.inFlight = false;
  }

  public void seekToBeginning(Collection<TopicPartition> tps) {
    for (TopicPartition tp : tps) {
      seek(tp, listOffset(tp, OffsetSpec.OFFSET_SPEC_EARLIEST, 0).orElseThrow());
    }
  }

  public void seekToEnd(Collection<TopicPartition> tps) {
    for (TopicPartition tp : tps) {
      seek(tp, listOffset(tp, OffsetSpec.OFFSET_SPEC_LATEST, 0).orElseThrow());
    }
  }

  /**
   * Seeks to the first record at or after {@code timestampMs}; to the end where every record is
   * older.
   */
  public void seekToTimestamp(Collection<TopicPartition> tps, long timestampMs) {
    for (TopicPartition tp : tps) {
      OptionalLong o = listOffset(tp, OffsetSpec.OFFSET_SPEC_TIMESTAMP, timestampMs);
      seek(tp, o.isPresent() ? o.getAsLong() : listOffset(tp, OffsetSpec.OFFSET_SPEC_LATEST, 0).orElseThrow());
    }
  }

  /** The offset of the next record {@link #poll} will return for the partition, if known. */
  public OptionalLong position(TopicPartition tp) {
    Long p = state(tp).position;
    return p == null ? OptionalLong.empty() : OptionalLong.of(p);
  }

  /** The partition's offset for a spec (earliest, latest = high watermark, by timestamp). */
  public OptionalLong listOffset(TopicPartition tp, OffsetSpec spec, long timestampMs) {
    BrookException last = null;
    for (int attempt = 0; attempt < 10; attempt++) {
      try {
        ListOffsetsResponse r = BrokerServiceGrpc.newBlockingStub(channels.get(leaderAddress(tp)))
            .withDeadlineAfter(config.requestTimeoutMs(), TimeUnit.MILLISECONDS)
            .listOffsets(ListOffsetsRequest.newBuilder().setTopic(tp.topic()).setPartition(tp.partition())
                .setSpec(spec).setTimestampMs(timestampMs).build());
        return r.getOffset() < 0 ? OptionalLong.empty() : OptionalLong.of(r.getOffset());
      } catch (RuntimeException e) {
        last = WireErrors.toException(e);
        if (!last.retriable()) {
          throw last;
        }
        backoffAndRefresh(tp, attempt);
      }
    }
    throw last;
  }

  /**
   * Records that arrived for the assigned partitions, waiting up to {@code timeout} for the first.
   * May return an empty list.
   */
  public List<ConsumerRecord> poll(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<ConsumerRecord> out = new ArrayList<>();
    do {
      for (Map.Entry<TopicPartition, PartitionState> e : assigned.entrySet()) {
        PartitionState s = e.getValue();
        if (s.position == null) {
          resetPosition(e.getKey(), s);
        }
        if (!s.inFlight && System.nanoTime() >= s.retryAfterNs) {
          sendFetch(e.getKey(), s);
        }
      }
      long leftNs = Math.min(deadline - System.nanoTime(), RETRY_BACKOFF_NS);
      Completed c;
      try {
        c = out.isEmpty() ? completed.poll(Math.max(0, leftNs), TimeUnit.NANOSECONDS) : completed.poll();
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        return out;
      }
      while (c != null) {
        handle(c, out);
        c = completed.poll();
      }
    } while (out.isEmpty() && System.nanoTime() < deadline);
    return out;
  }

  private void sendFetch(TopicPartition tp, PartitionState s) {
    String address;
    try {
      address = leaderAddress(tp);
    } catch (BrookException e) {
      s.retryAfterNs = System.nanoTime() + RETRY_BACKOFF_NS;
      return; // no leader right now: try again on the next round
    }
    long offset = s.position;
    int generation = s.generation;
    s.inFlight = true;
    FetchRequest req = FetchRequest.newBuilder().setTopic(tp.topic()).setPartition(tp.partition())
        .setOffset(offset).setMaxBytes(config.fetchMaxBytes()).setMaxWaitMs(config.fetchMaxWaitMs())
        .setMinBytes(1).setFormat(RecordFormat.RECORD_FORMAT_BATCHES).build();
    BrokerServiceGrpc.newStub(channels.get(address))
        .withDeadlineAfter(config.requestTimeoutMs() + config.fetchMaxWaitMs(), TimeUnit.MILLISECONDS)
        .fetch(req, new StreamObserver<>() {
          @Override
          public void onNext(FetchResponse r) {
            completed.add(new Completed(tp, generation, offset, r, null));
          }

          @Override
          public void onError(Throwable t) {
            completed.add(new Completed(tp, generation, offset, null, t));
          }

          @Override
          public void onCompleted() {}
        });
  }

  private void handle(Completed c, List<ConsumerRecord> out) {
    PartitionState s = assigned.get(c.tp());
    if (s == null || s.generation != c.generation()) {
      return; // unassigned or seeked meanwhile
    }
    s.inFlight = false;
    if (c.error() != null) {
      s.retryAfterNs = System.nanoTime() + RETRY_BACKOFF_NS;
      BrookException e = WireErrors.toException(c.error());
      if (e.code() == ErrorCode.OFFSET_OUT_OF_RANGE) {
        if (config.autoOffsetReset().equals("none")) {
          throw e;
        }
        s.position = null; // reset on the next round
      } else if (e.retriable()) {
        refreshQuietly(c.tp());
      } else {
        throw e;
      }
      return;
    }
    long next = c.fetchOffset();
    for (RecordBatch batch : RecordBatch.iterate(c.response().getRecordBatches().asReadOnlyByteBuffer())) {
      batch.ensureValid();
      if (batch.isControl()) {
        next = batch.nextOffset();
        continue;
      }
      for (Record r : batch.records()) {
        if (r.offset() >= next) {
          out.add(new ConsumerRecord(c.tp().topic(), c.tp().partition(), r.offset(), r.timestamp(), r.key(), r.value(), r.headers()));
        }
      }
      next = Math.max(next, batch.nextOffset());
    }
    s.position = next;
  }

  private void resetPosition(TopicPartition tp, PartitionState s) {
    String policy = config.autoOffsetReset();
    if (policy.equals("none")) {
      throw new BrookException(ErrorCode.OFFSET_OUT_OF_RANGE, "no position for " + tp + " and auto offset reset is none");
    }
    OffsetSpec spec = policy.equals("earliest") ? OffsetSpec.OFFSET_SPEC_EARLIEST : OffsetSpec.OFFSET_SPEC_LATEST;
    s.position = listOffset(tp, spec, 0).orElseThrow();
    s.generation++;
  }

  private PartitionState state(TopicPartition tp) {
    PartitionState s = assigned.get(tp);
    if (s == null) {
      throw new IllegalStateException(tp + " is not assigned to this consumer");
    }
    return s;
  }

  private String leaderAddress(TopicPartition tp) {
    MetadataCache.Snapshot snap = metadata.current(tp.topic());
    if (snap.partitionCount(tp.topic()) < 0) {
      throw new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + tp.topic() + "' does not exist");
    }
    if (tp.partition() >= snap.partitionCount(tp.topic())) {
      throw new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          "topic '" + tp.topic() + "' has " + snap.partitionCount(tp.topic()) + " partitions; there is no partition " + tp.partition());
    }
    Optional<BrokerEndpoint> leader = snap.leader(tp.topic(), tp.partition());
    if (leader.isEmpty()) {
      refreshQuietly(tp);
      throw new BrookException(ErrorCode.LEADER_NOT_AVAILABLE, "no leader for " + tp + " right now");
    }
    return leader.get().getHost() + ":" + leader.get().getPort();
  }

  private void refreshQuietly(TopicPartition tp) {
    try {
      metadata.refresh(List.of(tp.topic()));
    } catch (BrookException ignored) {
      // the next round tries again
    }
  }

  private void backoffAndRefresh(TopicPartition tp, int attempt) {
    try {
      Thread.sleep(Math.min(50L << attempt, 1000L));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    refreshQuietly(tp);
  }

  @Override
  public void close() {
    channels.close();
  }
}
