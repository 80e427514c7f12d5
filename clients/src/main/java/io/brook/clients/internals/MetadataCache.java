package io.brook.clients.internals;

import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.BrokerEndpoint;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.MetadataRequest;
import io.brook.proto.v1.MetadataResponse;
import io.brook.proto.v1.PartitionMetadata;
import io.brook.proto.v1.TopicMetadata;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What a client knows of the cluster: brokers and, per topic, the partitions and their leaders.
 * Refreshed from any broker that answers (bootstrap servers first, then every broker seen), on
 * demand ({@link #refresh}) and when older than {@code maxAgeMs}. Reads see an immutable snapshot;
 * refreshes are serialized. Thread-safe.
 */
public final class MetadataCache {
  /** An immutable view of one metadata answer. */
  public record Snapshot(Map<Integer, BrokerEndpoint> brokers, Map<String, TopicMetadata> topics, long fetchedAtMs,
                         Map<String, io.brook.proto.common.v1.ErrorDetail> refused) {
    static final Snapshot EMPTY = new Snapshot(Map.of(), Map.of(), 0, Map.of());

    /** Leader broker of a partition, if there is one right now. */
    public Optional<BrokerEndpoint> leader(String topic, int partition) {
      TopicMetadata t = topics.get(topic);
      if (t == null || partition < 0 || partition >= t.getPartitionsCount()) {
        return Optional.empty();
      }
      PartitionMetadata p = t.getPartitions(partition);
      return Optional.ofNullable(brokers.get(p.getLeader()));
    }

    /**
     * Partitions of {@code topic}; -1 if the metadata does not know it.
     *
     * @throws BrookException TOPIC_AUTHORIZATION_FAILED (with the broker's message) when the
     *     broker refused to describe the topic to this client: retrying cannot help
     */
    public int partitionCount(String topic) {
      io.brook.proto.common.v1.ErrorDetail refusal = refused.get(topic);
      if (refusal != null) {
        throw new BrookException(refusal.getCode(), refusal.getMessage());
      }
      TopicMetadata t = topics.get(topic);
      return t == null ? -1 : t.getPartitionsCount();
    }
  }

  private static final long METADATA_ATTEMPT_MS = 3_000;

  private final List<String> bootstrap;
  private final ChannelPool channels;
  private final long requestTimeoutMs;
  private final long maxAgeMs;
  private volatile Snapshot snapshot = Snapshot.EMPTY;

  public MetadataCache(List<String> bootstrap, ChannelPool channels, long requestTimeoutMs, long maxAgeMs) {
    if (bootstrap.isEmpty()) {
      throw new IllegalArgumentException("no bootstrap servers given");
    }
    bootstrap.forEach(HostPort::parse);
    this.bootstrap = List.copyOf(bootstrap);
    this.channels = channels;
    this.requestTimeoutMs = requestTimeoutMs;
    this.maxAgeMs = maxAgeMs;
  }

  public Snapshot snapshot() {
    return snapshot;
  }

  /** The snapshot, refreshed first if it is older than the max age or lacks {@code topic}. */
  public Snapshot current(String topic) {
    Snapshot s = snapshot;
    if (System.currentTimeMillis() - s.fetchedAtMs() > maxAgeMs || (topic != null && !s.topics().containsKey(topic))) {
      return refresh(topic == null ? List.of() : List.of(topic));
    }
    return s;
  }

  /**
   * Asks the brokers for fresh metadata (all topics the cache knows plus {@code topics}).
   *
   * @throws BrookException LEADER_NOT_AVAILABLE if no broker answers
   */
  public synchronized Snapshot refresh(Collection<String> topics) {
    LinkedHashSet<String> wanted = new LinkedHashSet<>(snapshot.topics().keySet());
    wanted.addAll(topics);
    LinkedHashSet<String> addresses = new LinkedHashSet<>(bootstrap);
    for (BrokerEndpoint b : snapshot.brokers().values()) {
      addresses.add(b.getHost() + ":" + b.getPort());
    }
    BrookException last = null;
    for (String address : addresses) {
      try {
        // A short deadline per broker: one that hangs must not stall the others' turn.
        MetadataResponse r = BrokerServiceGrpc.newBlockingStub(channels.get(address))
            .withDeadlineAfter(Math.min(requestTimeoutMs, METADATA_ATTEMPT_MS), TimeUnit.MILLISECONDS)
            .metadata(MetadataRequest.newBuilder().addAllTopics(wanted).build());
        Map<Integer, BrokerEndpoint> brokers = new HashMap<>();
        r.getBrokersList().forEach(b -> brokers.put(b.getId(), b));
        Map<String, TopicMetadata> byName = new HashMap<>();
        Map<String, io.brook.proto.common.v1.ErrorDetail> refused = new HashMap<>();
        for (TopicMetadata t : r.getTopicsList()) {
          if (t.getError().getCode() == ErrorCode.ERROR_CODE_UNSPECIFIED) {
            byName.put(t.getName(), t);
          } else if (t.getError().getCode() == ErrorCode.TOPIC_AUTHORIZATION_FAILED) {
            refused.put(t.getName(), t.getError()); // not "unknown": say why, and do not wait for it to appear
          }
        }
        snapshot = new Snapshot(Map.copyOf(brokers), Map.copyOf(byName), System.currentTimeMillis(), Map.copyOf(refused));
        return snapshot;
      } catch (RuntimeException e) {
        last = WireErrors.toException(e);
      }
    }
    throw new BrookException(ErrorCode.LEADER_NOT_AVAILABLE,
        "no broker answered a metadata request (tried " + new ArrayList<>(addresses) + "): "
            + (last == null ? "" : last.getMessage()));
  }

  public String anyAddress() {
    return bootstrap.get(0);
  }

  public List<String> bootstrap() {
    return bootstrap;
  }
}
