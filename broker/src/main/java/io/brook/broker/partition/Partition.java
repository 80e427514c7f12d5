package io.brook.broker.partition;

import io.brook.metadata.image.PartitionRegistration;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.storage.TopicPartition;
import io.brook.storage.log.Log;
import io.brook.storage.log.LogAppendInfo;
import io.brook.storage.log.LogReadResult;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;

/**
 * One partition replica hosted by this broker: its log and its replication state as the metadata
 * says (replicas, ISR, leader, leader epoch). The leader appends producer batches and serves
 * reads up to the high watermark; the high watermark is the smallest log end offset over the ISR
 * (with only this broker in the ISR, the log end offset itself).
 *
 * <p>Threading: appends and reads may come from any gRPC thread (the {@link Log} serializes
 * writers); the registration is replaced by the metadata thread and read as a volatile snapshot.
 */
public final class Partition {
  private final TopicPartition tp;
  private final String topicId;
  private final int localBrokerId;
  private final Log log;
  private final HighWatermarkWaiters waiters;
  private volatile PartitionRegistration registration;

  Partition(TopicPartition tp, String topicId, int localBrokerId, Log log, PartitionRegistration registration,
      ScheduledExecutorService timer) {
    this.tp = tp;
    this.topicId = topicId;
    this.localBrokerId = localBrokerId;
    this.log = log;
    this.registration = registration;
    this.waiters = new HighWatermarkWaiters(timer);
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

  void updateRegistration(PartitionRegistration r) {
    boolean leadershipChanged = r.leader() != registration.leader() || r.leaderEpoch() != registration.leaderEpoch();
    registration = r;
    maybeAdvanceHighWatermark();
    if (leadershipChanged) {
      waiters.releaseAll();
    }
  }

  /**
   * Appends producer batches as leader (offsets and the leader epoch are stamped in place).
   *
   * @throws BrookException NOT_LEADER_OR_FOLLOWER if this replica is not the leader
   */
  public LogAppendInfo appendAsLeader(ByteBuffer batches) {
    PartitionRegistration r = registration;
    if (r.leader() != localBrokerId) {
      throw new BrookException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "broker " + localBrokerId + " is not the leader of " + tp,
          r.leader(), "");
    }
    LogAppendInfo info = log.appendAsLeader(batches, r.leaderEpoch());
    maybeAdvanceHighWatermark();
    return info;
  }

  /** Reads committed batches (below the high watermark) for a consumer. */
  public LogReadResult readCommitted(long offset, int maxBytes) {
    return log.read(offset, maxBytes, log.highWatermark());
  }

  /** Completes when the high watermark reaches {@code offset}, or with false after the timeout. */
  public CompletableFuture<Boolean> awaitHighWatermark(long offset, long timeoutMs) {
    return waiters.await(offset, log.highWatermark(), timeoutMs);
  }

  /** Moves the high watermark to the smallest log end offset of the ISR members known here. */
  void maybeAdvanceHighWatermark() {
    PartitionRegistration r = registration;
    if (r.leader() != localBrokerId) {
      return;
    }
    // Until followers replicate (the replication issue), an ISR of this broker alone is the only
    // one whose log end offsets are known; a larger ISR holds the high watermark back.
    boolean onlyMe = r.isr().stream().allMatch(id -> id == localBrokerId);
    if (!onlyMe) {
      return;
    }
    long before = log.highWatermark();
    long after = log.maybeIncrementHighWatermark(log.logEndOffset());
    if (after > before) {
      waiters.onHighWatermark(after);
    }
  }

  void close() {
    waiters.releaseAll();
  }
}
