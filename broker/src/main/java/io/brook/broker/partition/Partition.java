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
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.IntFunction;
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
 * <p><b>Acknowledgements belong to one leadership.</b> An acks=all produce is answered only by
 * the leader that appended it, in the same leader epoch, once the high watermark covers it and
 * the ISR still meets {@code min.insync.replicas}; a change of leader or leader epoch fails every
 * waiting produce at once with NOT_LEADER_OR_FOLLOWER. Otherwise a former leader whose log was
 * truncated and refilled by the new leader would see its high watermark pass the offset of a
 * record no replica holds any more and acknowledge it (issue 8, fault 0).
 *
 * <p>Threading: appends and reads come from gRPC threads (the {@link Log} serializes writers).
 * The registration is replaced by the metadata thread under the write side of {@code roleLock};
 * leader appends, follower writes and the completion check of a waiting produce hold its read
 * side, so none of them interleaves with a change of role or epoch (Kafka's
 * {@code leaderIsrUpdateLock}). Follower bookkeeping is guarded by this object's monitor.
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
  /** Write side: role/epoch changes and close; read side: appends, follower writes, produce completion. */
  private final ReentrantReadWriteLock roleLock = new ReentrantReadWriteLock();
  /** Set once the partition is removed from this broker (deleted, re-created, reassigned). */
  private volatile boolean closed;
  /** Why it was removed: the error every read or produce still waiting on it ends with. */
  private volatile BrookException closedBecause;
  /** Follower only: the leader's log end offset seen in the last replica fetch (-1: none yet). */
  private volatile long leaderLogEndSeen = -1;
  /** Client bytes and records in and out of this partition's topic (shared by its partitions here). */
  private volatile TopicTraffic traffic = new TopicTraffic();
  /** Test seam: runs after a leader append, before its produce waits (null in production). */
  private volatile Runnable afterLeaderAppend;

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

  /** The traffic counters of this partition's topic on this broker (one object per topic). */
  public TopicTraffic traffic() {
    return traffic;
  }

  void traffic(TopicTraffic t) {
    traffic = t;
  }

  /** Follower: records the leader's log end offset from the answer to a replica fetch. */
  public void recordLeaderLogEnd(long leaderLogEnd) {
    leaderLogEndSeen = leaderLogEnd;
  }

  /**
   * Follower: the leader's log end offset seen in the last fetch minus this replica's own log end
   * (never negative); 0 on the leader and before the first fetch.
   */
  public long fetcherLagRecords() {
    long seen = leaderLogEndSeen;
    if (seen < 0 || isLeader()) {
      return 0;
    }
    return Math.max(0, seen - log.logEndOffset());
  }

  public int minInsyncReplicas() {
    return minInsyncReplicas;
  }

  void setMinInsyncReplicas(int n) {
    minInsyncReplicas = n;
  }

  /** False once the partition was removed from this broker; waiting reads then end with an error. */
  public boolean isOpen() {
    return !closed;
  }

  void updateRegistration(PartitionRegistration r) {
    PartitionRegistration old;
    roleLock.writeLock().lock();
    try {
      synchronized (this) {
        old = registration;
        boolean newLeadership = r.leader() == localBrokerId
            && (old.leader() != localBrokerId || r.leaderEpoch() != old.leaderEpoch());
        if (newLeadership) {
          resetFollowers(r);
        } else if (r.leader() == localBrokerId && !r.replicas().equals(old.replicas())) {
          syncFollowers(r); // a reassignment added or removed replicas under this leadership
        }
        if (r.partitionEpoch() != old.partitionEpoch()) {
          pendingIsr = null; // whatever we asked for was decided
        }
        registration = r;
      }
    } finally {
      roleLock.writeLock().unlock();
    }
    maybeAdvanceHighWatermark();
    if (r.leader() != old.leader() || r.leaderEpoch() != old.leaderEpoch()) {
      // Waiting produces re-check and fail (their leadership is over); waiting reads re-check too.
      highWatermarkWaiters.releaseAll();
      logEndWaiters.releaseAll();
    }
  }

  /**
   * The replicas changed while this broker leads (a reassignment started, was cancelled or
   * completed): a new replica gets a fresh lag clock and no known log end, so it joins the ISR
   * only once it has fetched up to the high watermark; a removed one is forgotten.
   */
  private void syncFollowers(PartitionRegistration r) {
    followers.keySet().retainAll(r.replicas());
    long now = clockMs.getAsLong();
    for (int id : r.replicas()) {
      if (id != localBrokerId && !followers.containsKey(id)) {
        FollowerState s = new FollowerState();
        s.lastCaughtUpMs = now;
        followers.put(id, s);
      }
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
  public LeaderAppend appendAsLeader(ByteBuffer batches, boolean requireMinIsr) {
    LeaderAppend result;
    roleLock.readLock().lock();
    try {
      PartitionRegistration r = registration;
      if (closed || r.leader() != localBrokerId) {
        throw notLeaderAnyMore(r);
      }
      if (requireMinIsr && r.isr().size() < minInsyncReplicas) {
        throw new BrookException(ErrorCode.NOT_ENOUGH_REPLICAS, tp + " has " + r.isr().size() + " in-sync replicas " + r.isr()
            + ", fewer than min.insync.replicas=" + minInsyncReplicas + "; nothing was written");
      }
      result = new LeaderAppend(log.appendAsLeader(batches, r.leaderEpoch()), r.leaderEpoch());
    } finally {
      roleLock.readLock().unlock();
    }
    logEndWaiters.onOffset(log.logEndOffset());
    maybeAdvanceHighWatermark();
    Runnable hook = afterLeaderAppend;
    if (hook != null) {
      hook.run();
    }
    return result;
  }

  /**
   * Kafka's DeleteRecords, as leader: makes {@code offset} the log start offset ({@code -1}: the
   * high watermark). Followers follow from the log start offset in the leader's fetch answers.
   *
   * @return the log start offset after the call (Kafka's "low watermark")
   * @throws BrookException NOT_LEADER_OR_FOLLOWER if this replica is not the leader
   * @throws io.brook.storage.OffsetOutOfRangeException if {@code offset} is above the high
   *     watermark (nothing changes)
   */
  public long deleteRecordsBefore(long offset) {
    roleLock.readLock().lock();
    try {
      PartitionRegistration r = registration;
      if (closed || r.leader() != localBrokerId) {
        throw notLeaderAnyMore(r);
      }
      return log.deleteRecordsBefore(offset == -1 ? log.highWatermark() : offset);
    } finally {
      roleLock.readLock().unlock();
    }
  }

  /**
   * What a leader append wrote, and in which leader epoch: only a wait in that same epoch may
   * acknowledge it ({@link #awaitReplication}).
   */
  public record LeaderAppend(LogAppendInfo info, int leaderEpoch) {}

  /**
   * acks=all: completes normally once the high watermark reaches {@code requiredOffset} (one past
   * the last offset appended) while this broker still leads the partition in {@code leaderEpoch}
   * and the ISR still has at least {@code min.insync.replicas} members. Fails with a {@link
   * BrookException}:
   * <ul>
   *   <li>NOT_LEADER_OR_FOLLOWER (retriable) as soon as the leader or the leader epoch changes,
   *       or the partition is removed: the records may or may not survive, and no high watermark
   *       of a later leadership can vouch for them;</li>
   *   <li>NOT_ENOUGH_REPLICAS_AFTER_APPEND (retriable) when the high watermark covers the records
   *       but the ISR shrank below {@code min.insync.replicas} meanwhile (Kafka's rule);</li>
   *   <li>REQUEST_TIMED_OUT after {@code timeoutMs} milliseconds.</li>
   * </ul>
   */
  public CompletableFuture<Void> awaitReplication(long requiredOffset, int leaderEpoch, long timeoutMs) {
    return highWatermarkWaiters.await(requiredOffset, log::highWatermark, timeoutMs, () -> leadsIn(leaderEpoch))
        .thenApply(reached -> {
          checkReplicated(requiredOffset, leaderEpoch, timeoutMs);
          return null;
        });
  }

  private boolean leadsIn(int leaderEpoch) {
    PartitionRegistration r = registration;
    return !closed && r.leader() == localBrokerId && r.leaderEpoch() == leaderEpoch;
  }

  private void checkReplicated(long requiredOffset, int leaderEpoch, long timeoutMs) {
    roleLock.readLock().lock();
    try {
      PartitionRegistration r = registration;
      if (closedBecause != null) {
        throw closedBecause;
      }
      if (!leadsIn(leaderEpoch)) {
        throw new BrookException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "leadership of " + tp + " (epoch " + leaderEpoch
            + ") ended before the records were replicated; they may or may not be kept", r.leader(), "");
      }
      if (log.highWatermark() < requiredOffset) {
        throw new BrookException(ErrorCode.REQUEST_TIMED_OUT,
            "records of " + tp + " not replicated to the in-sync replicas within " + timeoutMs + " ms");
      }
      if (r.isr().size() < minInsyncReplicas) {
        throw new BrookException(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, "records of " + tp
            + " were written, but the ISR " + r.isr() + " shrank below min.insync.replicas=" + minInsyncReplicas
            + " before they were acknowledged");
      }
    } finally {
      roleLock.readLock().unlock();
    }
  }

  /**
   * Runs {@code write} (a follower's truncation or append) only if this replica still follows
   * {@code leaderId}, with no change of role in between; returns whether it ran.
   */
  public boolean writeAsFollowerOf(int leaderId, Runnable write) {
    roleLock.readLock().lock();
    try {
      PartitionRegistration r = registration;
      if (closed || r.leader() == localBrokerId || r.leader() != leaderId) {
        return false;
      }
      write.run();
      return true;
    } finally {
      roleLock.readLock().unlock();
    }
  }

  private BrookException notLeaderAnyMore(PartitionRegistration r) {
    if (closed) {
      BrookException cause = closedBecause;
      return cause != null ? cause
          : new BrookException(ErrorCode.NOT_LEADER_OR_FOLLOWER, tp + " is no longer hosted by broker " + localBrokerId);
    }
    return new BrookException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "broker " + localBrokerId + " is not the leader of " + tp,
        r.leader(), "");
  }

  /** Requests waiting on the high watermark now (long-poll fetches, acks=all produces). */
  int waitingOnHighWatermark() {
    return highWatermarkWaiters.size();
  }

  void afterLeaderAppend(Runnable hook) {
    afterLeaderAppend = hook;
  }

  /** Reads committed batches (below the high watermark) for a consumer. */
  public LogReadResult readCommitted(long offset, int maxBytes) {
    return log.read(offset, maxBytes, log.highWatermark());
  }

  /**
   * As {@link #readCommitted(long, int)}, into a buffer from {@code buffers} (see {@link
   * Log#read(long, int, long, IntFunction)}).
   */
  public LogReadResult readCommitted(long offset, int maxBytes, IntFunction<ByteBuffer> buffers) {
    return log.read(offset, maxBytes, log.highWatermark(), buffers);
  }

  /**
   * Completes with true when the high watermark reaches {@code offset}; with false after {@code
   * timeoutMs}, or at once when the leader changes or the partition is removed (the reader must
   * then check {@link #isOpen()} and the leadership before answering).
   */
  public CompletableFuture<Boolean> awaitHighWatermark(long offset, long timeoutMs) {
    return highWatermarkWaiters.await(offset, log::highWatermark, timeoutMs, this::isOpen);
  }

  /** As {@link #awaitHighWatermark}, for the log end offset (replica fetches waiting at the end). */
  public CompletableFuture<Boolean> awaitLogEnd(long offset, long timeoutMs) {
    return logEndWaiters.await(offset, log::logEndOffset, timeoutMs, this::isOpen);
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

  /**
   * The error a request that waited on this partition ends with once it was removed from this
   * broker; null while it is hosted.
   */
  public BrookException closedBecause() {
    return closedBecause;
  }

  /**
   * The partition leaves this broker: every waiter is released and ends with {@code cause}
   * (UNKNOWN_TOPIC_OR_PARTITION for a deleted or re-created topic, NOT_LEADER_OR_FOLLOWER for a
   * replica moved elsewhere).
   */
  void close(BrookException cause) {
    roleLock.writeLock().lock();
    try {
      closedBecause = cause;
      closed = true;
    } finally {
      roleLock.writeLock().unlock();
    }
    highWatermarkWaiters.releaseAll();
    logEndWaiters.releaseAll();
  }
}
