package io.brook.broker.api;

import io.brook.broker.partition.PartitionHost;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.Record;
import io.brook.proto.v1.RecordList;
import io.brook.storage.record.KeyPartitioning;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The broker's choice of partition for a plain-record produce request that names none
 * ({@code partition = -1}), as the Java producer chooses: keyed records by Kafka's default
 * partitioner ({@link KeyPartitioning}, the very code the Java client runs), keyless ones round
 * robin, one request (the broker's batch) after another, over the partitions this broker leads,
 * which is the Java producer's sticky partitioner with one batch per request.
 *
 * <p>Thread-safe: the round-robin counters are atomic.
 */
final class ProducePartitioning {
  /** {@code ProduceRequest.partition} value that asks the broker to choose (Kafka's "no partition"). */
  static final int UNSET = -1;

  private final PartitionHost host;
  private final Map<String, AtomicInteger> roundRobin = new ConcurrentHashMap<>();

  ProducePartitioning(PartitionHost host) {
    this.host = host;
  }

  /**
   * The partition for {@code records} of {@code topic}.
   *
   * @throws BrookException UNKNOWN_TOPIC_OR_PARTITION for an unknown topic, INVALID_REQUEST for a bad
   *     topic name or keyed records that map to different partitions
   */
  int choose(String topic, RecordList records) {
    TopicImage t = host.image().topicByName(topic).orElse(null);
    if (t == null || t.partitions().isEmpty()) {
      host.partition(topic, 0); // the same error as for a named partition: bad name or unknown topic
      throw new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic " + WireErrors.echo(topic) + " does not exist");
    }
    int count = t.partitions().size();
    int keyed = -1;
    for (Record r : records.getRecordsList()) {
      if (!r.hasKey()) {
        continue;
      }
      int p = KeyPartitioning.partitionForKey(r.getKey().toByteArray(), count);
      if (keyed >= 0 && p != keyed) {
        throw new BrookException(ErrorCode.INVALID_REQUEST, "with partition -1 every keyed record of a request must map to "
            + "the same partition; these keys map to partitions " + keyed + " and " + p + " of " + count
            + ": send one request per partition");
      }
      keyed = p;
    }
    if (keyed >= 0) {
      return keyed;
    }
    List<Integer> ledHere = new ArrayList<>();
    for (PartitionRegistration reg : t.partitions().values()) {
      if (reg.leader() == host.brokerId()) {
        ledHere.add(reg.partition());
      }
    }
    int next = roundRobin.computeIfAbsent(topic, k -> new AtomicInteger()).getAndIncrement() & Integer.MAX_VALUE;
    // None led here: pick one anyway, so that the caller hears NOT_LEADER_OR_FOLLOWER naming its leader.
    return ledHere.isEmpty() ? next % count : ledHere.get(next % ledHere.size());
  }
}
