package io.brook.broker.replication;

import io.brook.broker.partition.Partition;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.replication.v1.PartitionData;
import io.brook.proto.replication.v1.PartitionFetch;
import io.brook.proto.replication.v1.ReplicaFetchRequest;
import io.brook.proto.replication.v1.ReplicaFetchResponse;
import io.brook.proto.replication.v1.ReplicationServiceGrpc;
import io.brook.storage.TopicPartition;
import io.brook.storage.log.LeaderEpochCache;
import io.brook.storage.log.Log;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The follower side of replication for every partition this broker follows from one leader
 * broker: one thread, one bidirectional stream. It sends the position of each partition (log end
 * offset, epoch of the last batch, the leader epoch it knows), then handles the answer: appends
 * the leader's batches as they are, takes the leader's high watermark (bounded by its own log end),
 * truncates to the end offset the leader names when the logs diverged (never blindly to the high
 * watermark), restarts from the leader's log start when it fell behind retention. Then the next
 * fetch. Stream failures reconnect with backoff. Partitions this broker is adding in a throttled
 * reassignment fetch at most their throttle in bytes per second, on average: once a fetch has
 * spent the budget they sit out fetches until it refills (as Kafka's follower leaves throttled
 * partitions out of a fetch while its replication quota is exceeded), and ask for at most a tenth of
 * a second's budget per fetch.
 *
 * <p>Threading: the partition set is concurrent (the metadata thread adds and removes); only this
 * fetcher's thread writes the follower logs.
 */
final class ReplicaFetcher implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(ReplicaFetcher.class);

  private final int leaderId;
  private final int localBrokerId;
  private final LongSupplier brokerEpoch;
  private final Function<Integer, ManagedChannel> channelFor;
  private final int maxWaitMs;
  private final int maxBytes;
  private final Map<TopicPartition, Partition> partitions = new ConcurrentHashMap<>();
  private final Object signal = new Object();
  private volatile boolean running = true;
  private Thread thread;
  /**
   * Reassignment throttle (Kafka's --throttle, follower side): bytes the throttled partitions may
   * still fetch, refilled at the lowest throttle among them and capped at one second's worth;
   * negative after a large fetch, and then they sit out fetches until it is paid back. Only this
   * fetcher's thread uses it.
   */
  private double throttleTokens;
  private long throttleRefilledNanos = System.nanoTime();

  ReplicaFetcher(int leaderId, int localBrokerId, LongSupplier brokerEpoch, Function<Integer, ManagedChannel> channelFor,
      int maxWaitMs, int maxBytes) {
    this.leaderId = leaderId;
    this.localBrokerId = localBrokerId;
    this.brokerEpoch = brokerEpoch;
    this.channelFor = channelFor;
    this.maxWaitMs = maxWaitMs;
    this.maxBytes = maxBytes;
  }

  void start() {
    thread = new Thread(this, "brook-replica-fetcher-" + leaderId);
    thread.setDaemon(true);
    thread.start();
  }

  void add(Partition p) {
    partitions.put(p.topicPartition(), p);
    synchronized (signal) {
      signal.notifyAll();
    }
  }

  void remove(TopicPartition tp) {
    partitions.remove(tp);
  }

  boolean isEmpty() {
    return partitions.isEmpty();
  }

  @Override
  public void run() {
    LinkedBlockingQueue<Object> answers = new LinkedBlockingQueue<>();
    StreamObserver<ReplicaFetchRequest> stream = null;
    long backoffMs = 50;
    while (running) {
      try {
        if (partitions.isEmpty()) {
          stream = closeStream(stream);
          synchronized (signal) {
            signal.wait(1000);
          }
          continue;
        }
        if (stream == null) {
          ManagedChannel ch = channelFor.apply(leaderId);
          if (ch == null) {
            pause(500); // leader's address not known yet
            continue;
          }
          answers.clear();
          stream = ReplicationServiceGrpc.newStub(ch).replicate(new StreamObserver<>() {
            @Override
            public void onNext(ReplicaFetchResponse r) {
              answers.add(r);
            }

            @Override
            public void onError(Throwable t) {
              answers.add(t);
            }

            @Override
            public void onCompleted() {
              answers.add(new IllegalStateException("leader closed the replication stream"));
            }
          });
        }
        ReplicaFetchRequest req = request();
        if (req.getPartitionsCount() == 0) {
          pause(THROTTLE_WAIT_MS); // only throttled partitions, and their budget is spent
          continue;
        }
        stream.onNext(req);
        Object a = answers.poll(maxWaitMs + 5_000L, TimeUnit.MILLISECONDS);
        if (a instanceof ReplicaFetchResponse r) {
          handle(r);
          backoffMs = 50;
          if (onlyErrors(r)) {
            pause(50); // metadata disagrees (epochs, leadership): give it a moment instead of spinning
          }
        } else {
          log.debug("replication stream to broker {} failed: {}", leaderId, a == null ? "no answer" : a.toString());
          stream = closeStream(stream);
          pause(backoffMs);
          backoffMs = Math.min(backoffMs * 2, 2000);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        log.warn("replica fetcher for leader {} failed; reconnecting", leaderId, e);
        stream = closeStream(stream);
        pause(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 2000);
      }
    }
    closeStream(stream);
  }

  private static boolean onlyErrors(ReplicaFetchResponse r) {
    return r.getPartitionsCount() > 0 && r.getPartitionsList().stream()
        .allMatch(d -> d.hasError() && d.getError().getCode() != ErrorCode.ERROR_CODE_UNSPECIFIED);
  }

  private ReplicaFetchRequest request() {
    ReplicaFetchRequest.Builder b = ReplicaFetchRequest.newBuilder().setReplicaId(localBrokerId)
        .setBrokerEpoch(brokerEpoch.getAsLong()).setMaxWaitMs(maxWaitMs).setMaxBytesPerPartition(maxBytes);
    long rate = throttleRate();
    if (rate > 0) {
      long now = System.nanoTime();
      throttleTokens = Math.min(rate, throttleTokens + rate * ((now - throttleRefilledNanos) / 1e9));
      throttleRefilledNanos = now;
    }
    for (Partition p : partitions.values()) {
      if (rate > 0 && throttleTokens < 0 && throttled(p)) {
        continue; // sits out until the throttle's budget is paid back
      }
      Log l = p.log();
      b.addPartitions(PartitionFetch.newBuilder().setTopic(p.topicPartition().topic())
          .setPartition(p.topicPartition().partition()).setFetchOffset(l.logEndOffset())
          .setLastFetchedEpoch(l.leaderEpochCache().latestEpoch())
          .setCurrentLeaderEpoch(p.registration().leaderEpoch()).setTopicId(p.topicId())
          // Throttled: slices of a tenth of a second's budget, so the rate holds from the start.
          .setMaxBytes(rate > 0 && throttled(p) ? (int) Math.max(1024, Math.min(maxBytes, rate / 10)) : 0));
    }
    return b.build();
  }

  private void handle(ReplicaFetchResponse r) {
    for (PartitionData d : r.getPartitionsList()) {
      Partition p = partitions.get(new TopicPartition(d.getTopic(), d.getPartition()));
      if (p == null) {
        continue; // no longer followed from this leader
      }
      // Every write holds the partition's role lock: a truncation or append of this follower can
      // never interleave with it becoming leader (or following someone else).
      p.writeAsFollowerOf(leaderId, () -> apply(p, d));
      if (throttled(p)) {
        throttleTokens -= d.getRecordBatches().size();
      }
    }
  }

  static final long THROTTLE_WAIT_MS = 50;

  /** True if {@code p} is a replica this broker is adding in a throttled reassignment. */
  private boolean throttled(Partition p) {
    return p.registration().reassignmentThrottle() > 0 && p.registration().addingReplicas().contains(localBrokerId);
  }

  /** The lowest reassignment throttle among the partitions fetched here (bytes/s), 0 if none. */
  private long throttleRate() {
    long rate = 0;
    for (Partition p : partitions.values()) {
      if (throttled(p)) {
        long r = p.registration().reassignmentThrottle();
        rate = rate == 0 ? r : Math.min(rate, r);
      }
    }
    if (rate == 0) {
      throttleTokens = 0;
    }
    return rate;
  }

  private void apply(Partition p, PartitionData d) {
    Log l = p.log();
    if (d.hasDivergingEpoch()) {
      truncateToDivergence(p, d.getDivergingEpoch().getEpoch(), d.getDivergingEpoch().getEndOffset());
      return;
    }
    if (d.hasError() && d.getError().getCode() != ErrorCode.ERROR_CODE_UNSPECIFIED) {
      if (d.getError().getCode() == ErrorCode.OFFSET_OUT_OF_RANGE) {
        if (l.logEndOffset() < d.getLogStartOffset()) {
          log.info("{}: behind the leader's log start {}; restarting the log there", p.topicPartition(), d.getLogStartOffset());
          l.truncateFullyAndStartAt(d.getLogStartOffset());
        } else if (l.logEndOffset() > d.getLogEndOffset()) {
          log.info("{}: ahead of the leader's log end {}; truncating", p.topicPartition(), d.getLogEndOffset());
          l.truncateTo(d.getLogEndOffset());
        }
      }
      // Epoch errors: our metadata (or the leader's) is behind; the next image fixes it.
      return;
    }
    if (!d.getRecordBatches().isEmpty()) {
      ByteBuffer batches = ByteBuffer.wrap(d.getRecordBatches().toByteArray());
      l.appendAsFollower(batches);
    }
    l.updateHighWatermark(Math.min(d.getHighWatermark(), l.logEndOffset()));
    if (d.getLogStartOffset() > l.logStartOffset()) {
      // The leader's log start moved (DeleteRecords): follow it, as far as this replica has
      // committed records (as Kafka's follower does with the leader's log start offset).
      l.deleteRecordsBefore(Math.min(d.getLogStartOffset(), l.highWatermark()));
    }
    p.recordLeaderLogEnd(d.getLogEndOffset());
  }

  /**
   * The leader says our log diverged: its log holds epoch {@code epoch} up to {@code leaderEnd}.
   * Truncate to the end of that epoch in our own log, or the leader's end if ours runs longer.
   */
  private void truncateToDivergence(Partition p, int epoch, long leaderEnd) {
    Log l = p.log();
    long target = leaderEnd;
    if (epoch >= 0) {
      // Our own end of that epoch (or of the last one before it): anything after it was written
      // under epochs the leader never had.
      LeaderEpochCache.EpochEndOffset own = l.leaderEpochCache().endOffsetFor(epoch, l.logEndOffset());
      target = Math.min(target, own.endOffset() >= 0 ? own.endOffset() : l.logStartOffset());
    }
    if (target < l.logEndOffset()) {
      log.info("{}: log diverged from leader {} at epoch {}; truncating {} -> {}", p.topicPartition(), leaderId, epoch,
          l.logEndOffset(), target);
      l.truncateTo(target);
    }
  }

  private StreamObserver<ReplicaFetchRequest> closeStream(StreamObserver<ReplicaFetchRequest> s) {
    if (s != null) {
      try {
        s.onCompleted();
      } catch (RuntimeException ignored) {
        // already broken
      }
    }
    return null;
  }

  private void pause(long ms) {
    try {
      Thread.sleep(ms); // backoff on this fetcher's own thread
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  void shutdown() {
    running = false;
    if (thread != null) {
      thread.interrupt();
    }
  }
}
