package io.brook.broker.partition;

import io.brook.metadata.image.PartitionRegistration;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.storage.TopicPartition;
import io.brook.storage.log.LeaderEpochCache;
import io.brook.storage.log.Log;
import io.brook.storage.log.LogAppendInfo;
import io.brook.storage.log.LogReadResult;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;

/**
 * One partition replica hosted by this broker: its log and its replication state as the metadata
 * says (replicas, ISR, leader, leader epoch).
 *
 * <p>As <b>leader</b> it appends producer batches, tracks each follower's log end offset from its
 * fetches, and keeps the high watermark at the smallest log end offset over the ISR — the
 * <em>maximal</em> ISR while an expansion is in flight, so a replica about to join never lacks a
 * record below the high watermark. A follower that has not caught up with the leader's log end for
 * {@code replica.lag.time.max.ms} is a shrink candidate; one that reaches the high watermark (and
 * the start of the current leader epoch) is an expansion candidate. The {@code IsrManager} turns
 * candidates into AlterPartition requests; the ISR itself changes only when the metadata says so.
 *
 * <p>As <b>follower</b> its log is written only by the replica fetcher.
 *
 * <p>Threading: appends and reads come from gRPC threads (the {@link Log} serializes writers);
 * follower bookkeeping is guarded by this object's lock; the registration is replaced by the
 * metadata thread and read as a volatile snapshot.
 */
public final class Partition {
  private final TopicPartition tp;
  private final String topicId;
  private final int localBrokerId;
  private final Log log;
  private final LongSupplier clockMs;
  private final OffsetWaiters highWatermarkWaiters;
  private final OffsetWaiters logEndWaiters;
  private volatile PartitionRegistration registration;
  private volatile int minInsyncReplicas = 1;

  /** Leader only: what each follower last told us. Guarded by {@code this}. */
  private final Map<Integer, FollowerState> followers = new HashMap<>();
  /** Leader only: the ISR an in-flight AlterPartition asks for, or null. Guarded by {@code this}. */
  private List<Integer> pendingIsr;

  private static final class FollowerState {
    long logEndOffset = -1;
    long lastCaughtUpMs;
    long lastFetchMs;
    long leaderEndAtLastFetch = -1;
  }

  Partition(TopicPartition tp, String topicId, int localBrokerId, Log log, PartitionRegistration registration,
      ScheduledExecutorService timer, LongSupplier clockMs) {
    this.tp = tp;
    this.topicId = topicId;
    this.localBrokerId = localBrokerId;
    this.log = log;
    this.clockMs = clockMs;
    this.highWatermarkWaiters = new OffsetWaiters(timer);
    this.logEndWaiters = new OffsetWaiters(timer);
    this.registration = registration;
    if (registration.leader() == localBrokerId) {
      resetFollowers(registration);
    }
  }

  public TopicPartition topicPartition() {
    return tp;
  }

  public String topicId() {
    return topicId;
  }

  public Log log() {
    return log;
  }

  public PartitionRegistration registration() {
    return registration;
  }

  public boolean isLeader() {
    return registration.leader() == localBrokerId;
  }

  public int minInsyncReplicas() {
    return minInsyncReplicas;
  }

  void setMinInsyncReplicas(int n) {
    minInsyncReplicas = n;
  }

  void updateRegistration(PartitionRegistration r) {
    PartitionRegistration old;
    synchronized (this) {
      old = registration;
      boolean newLeadership = r.leader() == localBrokerId
          && (old.leader() != localBrokerId || r.leaderEpoch() != old.leaderEpoch());
      if (newLeadership) {
        resetFollowers(r);
      }
      if (r.partitionEpoch() != old.partitionEpoch()) {
        pendingIsr = null; // whatever we asked for was decided
      }
      registration = r;
    }
    maybeAdvanceHighWatermark();
    if (r.leader() != old.leader() || r.leaderEpoch() != old.leaderEpoch()) {
      highWatermarkWaiters.releaseAll();
      logEndWaiters.releaseAll();
    }
  }

  /** A new leadership knows nothing of the followers yet; each gets a fresh lag clock. */
  private void resetFollowers(PartitionRegistration r) {
    followers.clear();
    long now = clockMs.getAsLong();
    for (int id : r.replicas()) {
      if (id != localBrokerId) {
        FollowerState s = new FollowerState();
        s.lastCaughtUpMs = now;
        followers.put(id, s);
      }
    }
    pendingIsr = null;
  }

  // ------------------------------------------------------------------ leader: appends and reads

  /**
   * Appends producer batches as leader (offsets and the leader epoch are stamped in place).
   *
   * @param requireMinIsr acks=all: refuse (NOT_ENOUGH_REPLICAS, nothing appended) when the ISR
   *     is smaller than {@code min.insync.replicas}
   * @throws BrookException NOT_LEADER_OR_FOLLOWER if this replica is not the leader
   */
  public LogAppendInfo appendAsLeader(ByteBuffer batches, boolean requireMinIsr) {
    PartitionRegistration r = registration;
    if (r.leader() != localBrokerId) {
      throw new BrookException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "broker " + localBrokerId + " is not the leader of " + tp,
          r.leader(), "");
    }
    if (requireMinIsr && r.isr().size() < minInsyncReplicas) {
      throw new BrookException(ErrorCode.NOT_ENOUGH_REPLICAS, tp + " has " + r.isr().size() + " in-sync replicas " + r.isr()
          + ", fewer than min.insync.replicas=" + minInsyncReplicas + "; nothing was written");
    }
    LogAppendInfo info = log.appendAsLeader(batches, r.leaderEpoch());
    logEndWaiters.onOffset(log.logEndOffset());
    maybeAdvanceHighWatermark();
    return info;
  }

  /** Reads committed batches (below the high watermark) for a consumer. */
  public LogReadResult readCommitted(long offset, int maxBytes) {
    return log.read(offset, maxBytes, log.highWatermark());
  }

  /** Completes when the high watermark reaches {@code offset}, or with false after the timeout. */
  public CompletableFuture<Boolean> awaitHighWatermark(long offset, long timeoutMs) {
    return highWatermarkWaiters.await(offset, log::highWatermark, timeoutMs);
  }

  /** Completes when the log end offset reaches {@code offset}, or with false after the timeout. */
  public CompletableFuture<Boolean> awaitLogEnd(long offset, long timeoutMs) {
    return logEndWaiters.await(offset, log::logEndOffset, timeoutMs);
  }

  // ------------------------------------------------------------------ leader: followers and the ISR

  /**
   * Records a follower's fetch at {@code fetchOffset} (its log end offset). A follower is caught
   * up when it has everything the leader had at this fetch or, failing that, at its previous one
   * (Kafka's rule), so a follower that keeps up under steady load is never seen as lagging.
   */
  public void onFollowerFetch(int replicaId, long fetchOffset) {
    synchronized (this) {
      FollowerState s = followers.get(replicaId);
      if (s == null) {
        return; // not a replica of this partition (or not leader any more)
      }
      long now = clockMs.getAsLong();
      long leaderEnd = log.logEndOffset();
      if (fetchOffset >= leaderEnd) {
        s.lastCaughtUpMs = now;
      } else if (s.leaderEndAtLastFetch >= 0 && fetchOffset >= s.leaderEndAtLastFetch) {
        s.lastCaughtUpMs = Math.max(s.lastCaughtUpMs, s.lastFetchMs);
      }
      s.leaderEndAtLastFetch = leaderEnd;
      s.lastFetchMs = now;
      s.logEndOffset = fetchOffset;
    }
    maybeAdvanceHighWatermark();
  }

  /** Moves the high watermark to the smallest log end offset over the (maximal) ISR. */
  void maybeAdvanceHighWatermark() {
    long candidate;
    synchronized (this) {
      PartitionRegistration r = registration;
      if (r.leader() != localBrokerId) {
        return;
      }
      candidate = log.logEndOffset();
      Set<Integer> isr = new LinkedHashSet<>(r.isr());
      if (pendingIsr != null) {
        isr.addAll(pendingIsr);
      }
      for (int id : isr) {
        if (id == localBrokerId) {
          continue;
        }
        FollowerState s = followers.get(id);
        if (s == null || s.logEndOffset < 0) {
          return; // an ISR member that has not fetched since this leadership began holds it back
        }
        candidate = Math.min(candidate, s.logEndOffset);
      }
    }
    long before = log.highWatermark();
    long after = log.maybeIncrementHighWatermark(candidate);
    if (after > before) {
      highWatermarkWaiters.onOffset(after);
    }
  }

  /** The ISR without followers lagging for longer than {@code lagMaxMs}, if any are; else empty. */
  public synchronized Optional<List<Integer>> shrinkCandidate(long lagMaxMs) {
    PartitionRegistration r = registration;
    if (r.leader() != localBrokerId || pendingIsr != null) {
      return Optional.empty();
    }
    long now = clockMs.getAsLong();
    List<Integer> keep = new ArrayList<>();
    for (int id : r.isr()) {
      FollowerState s = followers.get(id);
      if (id == localBrokerId || s == null || now - s.lastCaughtUpMs <= lagMaxMs) {
        keep.add(id);
      }
    }
    return keep.size() < r.isr().size() ? Optional.of(keep) : Optional.empty();
  }

  /**
   * The ISR plus {@code replicaId}, if that follower is out of the ISR and has caught up with the
   * high watermark and with the start of the current leader epoch; else empty.
   */
  public synchronized Optional<List<Integer>> expandCandidate(int replicaId) {
    PartitionRegistration r = registration;
    FollowerState s = followers.get(replicaId);
    if (r.leader() != localBrokerId || pendingIsr != null || s == null || r.isr().contains(replicaId)) {
      return Optional.empty();
    }
    long epochStart = currentEpochStartOffset(r.leaderEpoch());
    if (s.logEndOffset < log.highWatermark() || s.logEndOffset < epochStart) {
      return Optional.empty();
    }
    List<Integer> isr = new ArrayList<>(r.isr());
    isr.add(replicaId);
    return Optional.of(isr);
  }

  private long currentEpochStartOffset(int leaderEpoch) {
    for (LeaderEpochCache.EpochEntry e : log.leaderEpochCache().entries()) {
      if (e.epoch() == leaderEpoch) {
        return e.startOffset();
      }
    }
    return log.logEndOffset(); // nothing written in this epoch yet
  }

  /** An AlterPartition asking for {@code isr} is in flight (or, with null, is over). */
  public synchronized void setPendingIsr(List<Integer> isr) {
    pendingIsr = isr == null ? null : List.copyOf(isr);
  }

  void close() {
    highWatermarkWaiters.releaseAll();
    logEndWaiters.releaseAll();
  }
}
