package io.brook.broker.replication;

import com.google.protobuf.UnsafeByteOperations;
import io.brook.broker.partition.Partition;
import io.brook.broker.partition.PartitionHost;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.replication.v1.EpochEndOffset;
import io.brook.proto.replication.v1.PartitionData;
import io.brook.proto.replication.v1.PartitionFetch;
import io.brook.proto.replication.v1.ReplicaFetchRequest;
import io.brook.proto.replication.v1.ReplicaFetchResponse;
import io.brook.proto.replication.v1.ReplicationServiceGrpc;
import io.brook.storage.log.LeaderEpochCache;
import io.brook.storage.log.Log;
import io.brook.storage.log.LogReadResult;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader side of replication. For each fetch on a follower's stream it checks every
 * partition's leader epoch (a follower with an older one is fenced, a newer one means this leader
 * is behind), finds where the follower's log diverged from this one (the end offset, here, of the
 * epoch of the follower's last batch), records the follower's position (which may move the high
 * watermark and make it an ISR candidate), and sends the stored batches from its fetch offset up to
 * the log end. When no partition has anything to say it parks the fetch until any log grows or
 * {@code max_wait_ms} passes.
 *
 * <p>Threading: fetches of one stream are answered in order, one at a time (the follower sends the
 * next only after the answer); answers are written under the stream observer's lock.
 */
public final class ReplicationGrpcService extends ReplicationServiceGrpc.ReplicationServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(ReplicationGrpcService.class);

  private final PartitionHost host;
  private final IsrManager isr;

  public ReplicationGrpcService(PartitionHost host, IsrManager isr) {
    this.host = host;
    this.isr = isr;
  }

  @Override
  public StreamObserver<ReplicaFetchRequest> replicate(StreamObserver<ReplicaFetchResponse> out) {
    return new StreamObserver<>() {
      @Override
      public void onNext(ReplicaFetchRequest req) {
        fetch(req).whenComplete((resp, e) -> {
          synchronized (out) {
            try {
              if (e != null) {
                log.warn("replica fetch from broker {} failed", req.getReplicaId(), e);
                out.onError(Status.INTERNAL.withDescription(String.valueOf(e)).asRuntimeException());
              } else {
                out.onNext(resp);
              }
            } catch (RuntimeException ignored) {
              // the follower went away
            }
          }
        });
      }

      @Override
      public void onError(Throwable t) {
        // the follower went away
      }

      @Override
      public void onCompleted() {
        synchronized (out) {
          out.onCompleted();
        }
      }
    };
  }

  private CompletableFuture<ReplicaFetchResponse> fetch(ReplicaFetchRequest req) {
    ReplicaFetchResponse now = answer(req);
    boolean anything = now.getPartitionsList().stream().anyMatch(d -> !d.getRecordBatches().isEmpty()
        || d.hasError() || d.hasDivergingEpoch());
    if (anything || req.getMaxWaitMs() <= 0 || req.getPartitionsCount() == 0) {
      return CompletableFuture.completedFuture(now);
    }
    // Long poll: until any of the logs grows past the follower's position, or a partition waited
    // on changes leader or leaves this broker (deleted, re-created, moved).
    List<CompletableFuture<Boolean>> waits = new ArrayList<>();
    List<Partition> waited = new ArrayList<>();
    for (PartitionFetch pf : req.getPartitionsList()) {
      try {
        Partition p = host.partition(pf.getTopic(), pf.getPartition());
        waits.add(p.awaitLogEnd(pf.getFetchOffset() + 1, req.getMaxWaitMs()));
        waited.add(p);
      } catch (BrookException ignored) {
        waited.add(null); // answered as an error on the next pass
      }
    }
    if (waits.isEmpty()) {
      return CompletableFuture.completedFuture(now);
    }
    return CompletableFuture.anyOf(waits.toArray(CompletableFuture[]::new)).thenApply(x -> {
      ReplicaFetchResponse.Builder b = answer(req).toBuilder();
      for (int i = 0; i < waited.size(); i++) {
        Partition p = waited.get(i);
        BrookException removed = p == null ? null : p.closedBecause();
        if (removed != null) { // the partition this fetch waited on is gone, whatever has its name now
          b.setPartitions(i, PartitionData.newBuilder().setTopic(p.topicPartition().topic())
              .setPartition(p.topicPartition().partition()).setError(removed.toDetail()));
        }
      }
      return b.build();
    });
  }

  private ReplicaFetchResponse answer(ReplicaFetchRequest req) {
    ReplicaFetchResponse.Builder b = ReplicaFetchResponse.newBuilder();
    for (PartitionFetch pf : req.getPartitionsList()) {
      b.addPartitions(answer(req.getReplicaId(), pf, pf.getMaxBytes() > 0 && (req.getMaxBytesPerPartition() <= 0
            || pf.getMaxBytes() < req.getMaxBytesPerPartition()) ? pf.getMaxBytes() : req.getMaxBytesPerPartition()));
    }
    return b.build();
  }

  private PartitionData answer(int replicaId, PartitionFetch pf, int maxBytes) {
    PartitionData.Builder d = PartitionData.newBuilder().setTopic(pf.getTopic()).setPartition(pf.getPartition());
    Partition p;
    try {
      p = host.partition(pf.getTopic(), pf.getPartition());
    } catch (BrookException e) {
      return d.setError(e.toDetail()).build();
    }
    if (!pf.getTopicId().isEmpty() && !pf.getTopicId().equals(p.topicId())) {
      return d.setError(new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, p.topicPartition()
          + " here belongs to topic id " + p.topicId() + ", not " + pf.getTopicId() + " (deleted and re-created)").toDetail()).build();
    }
    PartitionRegistration r = p.registration();
    if (!p.isOpen() || !p.isLeader() || !host.isServing()) {
      return d.setError(new BrookException(ErrorCode.NOT_LEADER_OR_FOLLOWER,
          "broker " + host.brokerId() + " is not the leader of " + p.topicPartition(), r.leader(), "").toDetail()).build();
    }
    if (pf.getCurrentLeaderEpoch() < r.leaderEpoch()) {
      return d.setError(new BrookException(ErrorCode.FENCED_LEADER_EPOCH, "fetch with leader epoch "
          + pf.getCurrentLeaderEpoch() + " < current " + r.leaderEpoch()).toDetail()).build();
    }
    if (pf.getCurrentLeaderEpoch() > r.leaderEpoch()) {
      return d.setError(new BrookException(ErrorCode.UNKNOWN_LEADER_EPOCH, "fetch with leader epoch "
          + pf.getCurrentLeaderEpoch() + " > this leader's " + r.leaderEpoch()).toDetail()).build();
    }
    Log l = p.log();
    d.setHighWatermark(l.highWatermark()).setLogStartOffset(l.logStartOffset()).setLogEndOffset(l.logEndOffset());
    if (pf.getLastFetchedEpoch() >= 0 && pf.getFetchOffset() > l.logStartOffset()) {
      LeaderEpochCache.EpochEndOffset end = l.leaderEpochCache().endOffsetFor(pf.getLastFetchedEpoch(), l.logEndOffset());
      long endOffset = end.endOffset() < 0 ? l.logStartOffset() : end.endOffset();
      if (end.epoch() != pf.getLastFetchedEpoch() || endOffset < pf.getFetchOffset()) {
        return d.setDivergingEpoch(EpochEndOffset.newBuilder().setEpoch(end.epoch()).setEndOffset(endOffset)).build();
      }
    }
    if (pf.getFetchOffset() < l.logStartOffset() || pf.getFetchOffset() > l.logEndOffset()) {
      return d.setError(new BrookException(ErrorCode.OFFSET_OUT_OF_RANGE, "follower fetch offset " + pf.getFetchOffset()
          + " outside [" + l.logStartOffset() + ", " + l.logEndOffset() + "]").toDetail()).build();
    }
    p.onFollowerFetch(replicaId, pf.getFetchOffset());
    isr.onFollowerFetch(p, replicaId);
    if (pf.getFetchOffset() < l.logEndOffset()) {
      LogReadResult read = l.read(pf.getFetchOffset(), maxBytes > 0 ? maxBytes : 1024 * 1024, l.logEndOffset());
      d.setRecordBatches(UnsafeByteOperations.unsafeWrap(read.records()));
    }
    return d.setHighWatermark(l.highWatermark()).build();
  }
}
