package io.brook.clients.producer;

import io.brook.clients.internals.ChannelPool;
import io.brook.clients.internals.MetadataCache;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.storage.TopicPartition;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * Sends records to Brook. {@link #send} is asynchronous: it appends the record to a batch for its
 * partition and returns a future completed with the record's offset once the broker acknowledges
 * it (per {@code acks}). Batches are sent when full ({@code batchSizeBytes}) or after {@code
 * lingerMs}, compressed with the configured codec, pipelined on one stream per broker, and
 * retried on retriable errors with fresh metadata.
 *
 * <p>Partitioning: an explicit partition wins; else a keyed record goes to {@code murmur2(key) %
 * partitions} (the same partition Kafka would pick); keyless records stick to one partition until
 * its batch is full, then move on (Kafka's sticky partitioner): big batches, even spread.
 *
 * <p>Ordering: records of one partition are appended in {@code send} order unless a batch is
 * retried while younger batches of the partition were already accepted (possible only with {@code
 * maxInFlightPerPartition > 1} and a failure); the idempotent producer will close that gap.
 *
 * <p>Thread-safe: share one producer between threads.
 */
public final class Producer implements AutoCloseable {
  private final ProducerConfig config;
  private final ChannelPool channels;
  private final MetadataCache metadata;
  private final RecordAccumulator accumulator;
  private final Sender sender;
  private final Thread senderThread;
  private final Map<String, AtomicInteger> stickyPartition = new ConcurrentHashMap<>();
  private final Map<String, TopicPartition[]> partitionObjects = new ConcurrentHashMap<>();
  private volatile boolean closed;

  public Producer(ProducerConfig config) {
    this(config, io.brook.clients.internals.SaslClientConfig.NONE);
  }

  /** A producer that authenticates as {@code sasl}'s user (docs/security.md). */
  public Producer(ProducerConfig config, io.brook.clients.internals.SaslClientConfig sasl) {
    this.config = config;
    this.channels = new ChannelPool(config.security(),
        (sasl == io.brook.clients.internals.SaslClientConfig.NONE ? config.security().sasl() : sasl).callCredentials());
    this.metadata = new MetadataCache(config.bootstrapServers(), channels, config.requestTimeoutMs(), 5 * 60_000);
    this.accumulator = new RecordAccumulator(config);
    this.sender = new Sender(config, accumulator, metadata, channels);
    this.senderThread = new Thread(sender, "brook-producer-sender");
    this.senderThread.setDaemon(true);
    this.senderThread.start();
  }

  /**
   * Queues a record. Blocks only while buffer memory is full or the topic's metadata is unknown
   * (up to {@code maxBlockMs}).
   *
   * @return completed with the record's partition and offset, or exceptionally with a {@link
   *     BrookException} (UNKNOWN_TOPIC_OR_PARTITION, RECORD_TOO_LARGE, REQUEST_TIMED_OUT, ...)
   */
  public CompletableFuture<RecordMetadata> send(ProducerRecord record) {
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("producer is closed"));
    }
    try {
      int partitions = partitionCount(record.topic());
      int partition = choosePartition(record, partitions);
      long ts = record.timestamp() != null ? record.timestamp() : System.currentTimeMillis();
      return accumulator.append(topicPartition(record.topic(), partition, partitions), ts,
          record.key(), record.value(), record.headers(), System.currentTimeMillis());
    } catch (BrookException e) {
      return CompletableFuture.failedFuture(e);
    } catch (TimeoutException e) {
      return CompletableFuture.failedFuture(new BrookException(ErrorCode.REQUEST_TIMED_OUT, e.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return CompletableFuture.failedFuture(e);
    } catch (IllegalArgumentException | IllegalStateException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** TopicPartition objects are made once per partition (their constructor checks the name). */
  private TopicPartition topicPartition(String topic, int partition, int partitions) {
    TopicPartition[] tps = partitionObjects.get(topic);
    if (tps == null || tps.length < partitions) {
      TopicPartition[] fresh = new TopicPartition[partitions];
      for (int i = 0; i < partitions; i++) {
        fresh[i] = new TopicPartition(topic, i);
      }
      partitionObjects.put(topic, fresh);
      tps = fresh;
    }
    return tps[partition];
  }

  private int partitionCount(String topic) {
    long deadline = System.currentTimeMillis() + config.maxBlockMs();
    // The broker answering metadata may learn of a just-created topic a moment late: look again
    // for a short while before calling it unknown.
    long unknownDeadline = System.currentTimeMillis() + Math.min(2_000, config.maxBlockMs());
    while (true) {
      int n;
      try {
        n = metadata.current(topic).partitionCount(topic);
      } catch (BrookException e) {
        if (e.code() == ErrorCode.TOPIC_AUTHORIZATION_FAILED || System.currentTimeMillis() > deadline) {
          throw e;
        }
        n = -2;
      }
      if (n > 0) {
        return n;
      }
      if (n == -1 && System.currentTimeMillis() > unknownDeadline) {
        throw new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + topic + "' does not exist");
      }
      if (System.currentTimeMillis() > deadline) {
        throw new BrookException(ErrorCode.REQUEST_TIMED_OUT, "no metadata for topic '" + topic + "' within max.block.ms");
      }
      try {
        Thread.sleep(100); // metadata.current() asks the brokers again for a topic it lacks
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new BrookException(ErrorCode.REQUEST_TIMED_OUT, "interrupted");
      }
    }
  }

  private int choosePartition(ProducerRecord r, int partitions) {
    if (r.partition() != null) {
      if (r.partition() >= partitions) {
        throw new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            "topic '" + r.topic() + "' has " + partitions + " partitions; there is no partition " + r.partition());
      }
      return r.partition();
    }
    if (r.key() != null) {
      return Partitioner.partitionForKey(r.key(), partitions);
    }
    // Sticky: stay on one partition while its batch fills; once that batch is gone (sent) or
    // full, move on to the next partition.
    AtomicInteger sticky = stickyPartition.computeIfAbsent(r.topic(), t -> new AtomicInteger());
    int current = sticky.get();
    int p = Math.floorMod(current, partitions);
    int bytes = RecordAccumulator.estimate(r.key(), r.value(), r.headers());
    if (!accumulator.hasRoom(topicPartition(r.topic(), p, partitions), bytes)) {
      sticky.compareAndSet(current, current + 1);
      p = Math.floorMod(sticky.get(), partitions);
    }
    return p;
  }

  /** Sends every queued record now and waits until each is acknowledged or failed. */
  public void flush() {
    accumulator.beginFlush();
    try {
      accumulator.awaitEmpty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      accumulator.endFlush();
    }
  }

  /** Partition ids of a topic, per current metadata. */
  public List<Integer> partitionsFor(String topic) {
    int n = partitionCount(topic);
    return IntStream.range(0, n).boxed().toList();
  }

  /** Sends what is queued, waits for the answers, then releases the connections. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    flush();
    sender.initiateClose(false);
    try {
      senderThread.join(config.deliveryTimeoutMs());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    accumulator.abortAll(new IllegalStateException("producer closed before the record was sent"));
    channels.close();
  }
}
