package io.brook.broker.replication;

import io.brook.broker.partition.Partition;
import io.brook.broker.partition.PartitionHost;
import io.brook.metadata.client.MetadataClient;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.metadata.v1.AlterPartitionRequest;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns ISR candidates of the partitions this broker leads into AlterPartition requests to the
 * controller: every {@code lagMaxMs / 2} it drops followers that have not caught up for {@code
 * lagMaxMs}; after a follower's fetch it adds it back once it has caught up. While a request is in
 * flight the partition holds it as its pending ISR (for the high watermark) and asks for nothing
 * else; the change takes effect when the metadata says so, and a refused request (stale epochs:
 * another change won) is simply retried from fresh state later.
 *
 * <p>Threading: requests run one at a time on this class's own thread (they block on the
 * controller); candidates are computed under each partition's lock.
 */
public final class IsrManager implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(IsrManager.class);

  private static final long REFUSAL_BACKOFF_MS = 1_000;

  private final PartitionHost host;
  private final Map<Partition, Long> quietUntilMs = new ConcurrentHashMap<>();
  private final MetadataClient metadata;
  private final long lagMaxMs;
  private final AtomicLong shrinks = new AtomicLong();
  private final AtomicLong expands = new AtomicLong();
  private final ExecutorService requests = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "brook-isr");
    t.setDaemon(true);
    return t;
  });

  public IsrManager(PartitionHost host, MetadataClient metadata, long lagMaxMs, ScheduledExecutorService timer) {
    this.host = host;
    this.metadata = metadata;
    this.lagMaxMs = lagMaxMs;
    long period = Math.max(100, lagMaxMs / 2);
    timer.scheduleWithFixedDelay(this::shrinkLagging, period, period, TimeUnit.MILLISECONDS);
  }

  private void shrinkLagging() {
    if (!host.isServing()) {
      return; // fenced or out of contact: its image may name it leader of partitions that moved
    }
    for (Partition p : host.all()) {
      if (System.currentTimeMillis() < quietUntilMs.getOrDefault(p, 0L)) {
        continue;
      }
      try {
        p.shrinkCandidate(lagMaxMs).ifPresent(isr -> submit(p, isr, "shrink"));
      } catch (RuntimeException e) {
        log.warn("ISR check of {} failed: {}", p.topicPartition(), e.toString());
      }
    }
  }

  /**
   * Called after a follower's fetch was recorded. A fenced follower (say, restarted and not yet
   * caught up on metadata) is not proposed: the controller would refuse it.
   */
  void onFollowerFetch(Partition p, int replicaId) {
    if (!host.isServing() || !host.image().isUnfenced(replicaId)
        || System.currentTimeMillis() < quietUntilMs.getOrDefault(p, 0L)) {
      return;
    }
    Optional<List<Integer>> expanded = p.expandCandidate(replicaId);
    expanded.ifPresent(isr -> submit(p, isr, "expand"));
  }

  private void submit(Partition p, List<Integer> newIsr, String why) {
    PartitionRegistration r = p.registration();
    p.setPendingIsr(newIsr);
    log.info("{}: asking the controller to {} the ISR {} -> {} (leader epoch {}, partition epoch {})",
        p.topicPartition(), why, r.isr(), newIsr, r.leaderEpoch(), r.partitionEpoch());
    requests.execute(() -> {
      try {
        metadata.alterPartition(AlterPartitionRequest.newBuilder()
            .setBrokerId(host.brokerId()).setBrokerEpoch(metadata.brokerEpoch())
            .setTopicId(p.topicId()).setPartition(p.topicPartition().partition())
            .setLeaderEpoch(r.leaderEpoch()).setPartitionEpoch(r.partitionEpoch())
            .addAllNewIsr(newIsr).build());
        (newIsr.size() < r.isr().size() ? shrinks : expands).incrementAndGet();
        // The registration arrives with the metadata, which clears the pending ISR.
      } catch (RuntimeException e) {
        log.info("{}: ISR change to {} refused: {}", p.topicPartition(), newIsr, WireErrors.toException(e).toString());
        quietUntilMs.put(p, System.currentTimeMillis() + REFUSAL_BACKOFF_MS); // do not hammer the controller
        p.setPendingIsr(null);
      }
    });
  }

  /** ISR shrinks the controller accepted from this broker as leader, since it started. */
  public long shrinks() {
    return shrinks.get();
  }

  /** ISR expansions the controller accepted from this broker as leader, since it started. */
  public long expands() {
    return expands.get();
  }

  @Override
  public void close() {
    requests.shutdownNow();
  }
}
