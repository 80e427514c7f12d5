package io.brook.broker.replication;

import io.brook.broker.partition.Partition;
import io.brook.storage.TopicPartition;
import io.grpc.ManagedChannel;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Assigns each followed partition to the {@link ReplicaFetcher} of its leader broker, creating
 * fetchers as leaders appear; a partition whose leader changes moves to the new leader's fetcher,
 * one this broker now leads leaves them all.
 *
 * <p>Threading: called by the partition-state thread; synchronized for the odd other caller.
 */
public final class ReplicaFetcherManager implements AutoCloseable {
  private final int localBrokerId;
  private final LongSupplier brokerEpoch;
  private final Function<Integer, ManagedChannel> channelFor;
  private final int maxWaitMs;
  private final int maxBytes;
  private final Map<Integer, ReplicaFetcher> fetchers = new HashMap<>();
  private final Map<TopicPartition, Integer> leaderOf = new HashMap<>();

  public ReplicaFetcherManager(int localBrokerId, LongSupplier brokerEpoch, Function<Integer, ManagedChannel> channelFor,
      int maxWaitMs, int maxBytes) {
    this.localBrokerId = localBrokerId;
    this.brokerEpoch = brokerEpoch;
    this.channelFor = channelFor;
    this.maxWaitMs = maxWaitMs;
    this.maxBytes = maxBytes;
  }

  /** Replicate {@code p} from {@code leaderId} (no-op if already so). */
  public synchronized void follow(Partition p, int leaderId) {
    TopicPartition tp = p.topicPartition();
    Integer current = leaderOf.get(tp);
    if (current != null && current == leaderId) {
      fetchers.get(leaderId).add(p); // the Partition object may be new (topic re-created)
      return;
    }
    unfollow(tp);
    ReplicaFetcher f = fetchers.computeIfAbsent(leaderId, id -> {
      ReplicaFetcher nf = new ReplicaFetcher(id, localBrokerId, brokerEpoch, channelFor, maxWaitMs, maxBytes);
      nf.start();
      return nf;
    });
    f.add(p);
    leaderOf.put(tp, leaderId);
  }

  public synchronized void unfollow(TopicPartition tp) {
    Integer leader = leaderOf.remove(tp);
    if (leader != null) {
      ReplicaFetcher f = fetchers.get(leader);
      if (f != null) {
        f.remove(tp);
      }
    }
  }

  @Override
  public synchronized void close() {
    fetchers.values().forEach(ReplicaFetcher::shutdown);
    fetchers.clear();
    leaderOf.clear();
  }
}
