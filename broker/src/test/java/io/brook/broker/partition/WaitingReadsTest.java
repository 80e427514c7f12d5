package io.brook.broker.partition;

import static io.brook.broker.partition.HostFixture.batch;
import static io.brook.broker.partition.HostFixture.detail;
import static io.brook.broker.partition.HostFixture.reg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.replication.v1.PartitionData;
import io.brook.proto.replication.v1.PartitionFetch;
import io.brook.proto.replication.v1.ReplicaFetchRequest;
import io.brook.proto.replication.v1.ReplicaFetchResponse;
import io.brook.proto.v1.Acks;
import io.brook.proto.v1.ConsumeRequest;
import io.brook.proto.v1.FetchRequest;
import io.brook.proto.v1.FetchResponse;
import io.brook.proto.v1.ProduceRequest;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 8, fault 4: every read that waits — a long-poll Fetch, a Consume stream parked at the high
 * watermark, a follower's replica fetch parked at the log end — ends at once with a clear error
 * when its partition is deleted, re-created (a new topic of the same name), or stops being led
 * by this broker; none is left with an empty success or a silent wait until its timeout. Each
 * read waits 30 s at most; each change must end it within a few seconds.
 */
@Timeout(60)
class WaitingReadsTest {
  private static final String ID = "topic-id-1";
  private static final String NEW_ID = "topic-id-2";
  private static final int WAIT_MS = 30_000;

  @TempDir Path dir;

  enum Change { DELETED, RECREATED, LEADER_MOVED }

  enum Path_ { FETCH, CONSUME, REPLICA_FETCH }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Change.class)
  void longPollFetch(Change change) throws Exception {
    run(Path_.FETCH, change);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Change.class)
  void consumeStream(Change change) throws Exception {
    run(Path_.CONSUME, change);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Change.class)
  void replicaFetch(Change change) throws Exception {
    run(Path_.REPLICA_FETCH, change);
  }

  private void run(Path_ path, Change change) throws Exception {
    try (HostFixture f = new HostFixture(dir, 1)) {
      f.apply(ID, Map.of(), reg(ID, 0, List.of(1), 1, 5, 1));
      f.blocking().produce(ProduceRequest.newBuilder().setTopic(HostFixture.TOPIC).setPartition(0).setAcks(Acks.ACKS_LEADER)
          .setRecordBatches(ByteString.copyFrom(batch(0, "a", "b"))).build());
      Partition p = f.host.partition(HostFixture.TOPIC, 0);
      assertThat(p.log().highWatermark()).as("ISR [1]: committed at once").isEqualTo(2);
      CompletableFuture<ErrorCode> ended = switch (path) {
        case FETCH -> waitingFetch(f);
        case CONSUME -> waitingConsume(f);
        case REPLICA_FETCH -> waitingReplicaFetch(f);
      };
      // Parked: nothing comes while nothing changes.
      await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !ended.isDone());
      switch (change) {
        case DELETED -> f.apply(null, Map.of());
        case RECREATED -> f.apply(NEW_ID, Map.of(), reg(NEW_ID, 0, List.of(1), 1, 0, 0));
        case LEADER_MOVED -> f.apply(ID, Map.of(), reg(ID, 0, List.of(1, 2, 3), 2, 6, 2));
      }
      ErrorCode code = ended.get(10, TimeUnit.SECONDS);
      assertThat(p.isOpen()).isEqualTo(change == Change.LEADER_MOVED);
      Set<ErrorCode> expected = change == Change.LEADER_MOVED
          ? Set.of(ErrorCode.NOT_LEADER_OR_FOLLOWER) : Set.of(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      assertThat(code).as("%s waiting on a partition %s", path, change).isIn(expected);
    }
  }

  /** Ends with the error of the answer, or ERROR_CODE_UNSPECIFIED for a success. */
  private static CompletableFuture<ErrorCode> waitingFetch(HostFixture f) {
    CompletableFuture<ErrorCode> ended = new CompletableFuture<>();
    f.async().fetch(FetchRequest.newBuilder().setTopic(HostFixture.TOPIC).setPartition(0).setOffset(2)
        .setMaxWaitMs(WAIT_MS).build(), new StreamObserver<>() {
          @Override
          public void onNext(FetchResponse r) {
            ended.complete(ErrorCode.ERROR_CODE_UNSPECIFIED);
          }

          @Override
          public void onError(Throwable t) {
            ended.complete(detail(t).getCode());
          }

          @Override
          public void onCompleted() {}
        });
    return ended;
  }

  private static CompletableFuture<ErrorCode> waitingConsume(HostFixture f) {
    CompletableFuture<ErrorCode> ended = new CompletableFuture<>();
    f.async().consume(ConsumeRequest.newBuilder().setTopic(HostFixture.TOPIC).setPartition(0).setOffset(0).build(),
        new StreamObserver<>() {
          int seen;

          @Override
          public void onNext(FetchResponse r) {
            seen += r.getRecordsCount();
            if (seen > 2) {
              ended.complete(ErrorCode.ERROR_CODE_UNSPECIFIED);
            }
          }

          @Override
          public void onError(Throwable t) {
            ended.complete(detail(t).getCode());
          }

          @Override
          public void onCompleted() {
            ended.complete(ErrorCode.ERROR_CODE_UNSPECIFIED);
          }
        });
    return ended;
  }

  private static CompletableFuture<ErrorCode> waitingReplicaFetch(HostFixture f) {
    CompletableFuture<ErrorCode> ended = new CompletableFuture<>();
    StreamObserver<ReplicaFetchRequest>[] requests = new StreamObserver[1];
    requests[0] = f.replication().replicate(new StreamObserver<>() {
      @Override
      public void onNext(ReplicaFetchResponse r) {
        PartitionData d = r.getPartitions(0);
        if (d.hasError()) {
          ended.complete(d.getError().getCode());
          requests[0].onCompleted();
        } else if (!d.getRecordBatches().isEmpty()) {
          ended.complete(ErrorCode.ERROR_CODE_UNSPECIFIED);
        } else {
          ended.complete(ErrorCode.ERROR_CODE_UNSPECIFIED); // an empty answer: the wait ended silently
        }
      }

      @Override
      public void onError(Throwable t) {
        ended.complete(detail(t).getCode());
      }

      @Override
      public void onCompleted() {}
    });
    // Broker 1 leads alone with ISR [1]; broker 2 fetches as if it were a replica being added.
    requests[0].onNext(ReplicaFetchRequest.newBuilder().setReplicaId(2).setMaxWaitMs(WAIT_MS)
        .addPartitions(PartitionFetch.newBuilder().setTopic(HostFixture.TOPIC).setPartition(0).setFetchOffset(2)
            .setLastFetchedEpoch(5).setCurrentLeaderEpoch(5).setTopicId(ID))
        .build());
    return ended;
  }

  /** A client that gives up on a long poll (deadline, cancel) frees its waiter at once, not after max_wait_ms. */
  @org.junit.jupiter.api.Test
  void aCancelledLongPollFreesItsWaiter() throws Exception {
    try (HostFixture f = new HostFixture(dir, 1)) {
      f.apply(ID, Map.of(), reg(ID, 0, List.of(1), 1, 5, 1));
      Partition p = f.host.partition(HostFixture.TOPIC, 0);
      for (int i = 0; i < 20; i++) {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> f.blocking().withDeadlineAfter(100, TimeUnit.MILLISECONDS)
            .fetch(FetchRequest.newBuilder().setTopic(HostFixture.TOPIC).setPartition(0).setOffset(0).setMaxWaitMs(WAIT_MS).build()));
        assertThat(t).hasMessageContaining("DEADLINE_EXCEEDED");
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> p.waitingOnHighWatermark() == 0);
    }
  }
}
