package io.brook.broker.partition;

import static io.brook.broker.partition.HostFixture.batch;
import static io.brook.broker.partition.HostFixture.detail;
import static io.brook.broker.partition.HostFixture.reg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.v1.Acks;
import io.brook.proto.v1.ProduceRequest;
import io.brook.proto.v1.ProduceResponse;
import io.brook.storage.log.Log;
import io.brook.storage.record.RecordBatchBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 8, fault 0: an acks=all produce is acknowledged only by the leadership (broker and leader
 * epoch) that appended it. The exact interleaving seen in the field: broker 1 leads in epoch 13
 * and appends record A at offset 0; before its produce starts waiting, leadership moves to
 * broker 3 (epoch 14), which never had A; broker 1 becomes a follower, truncates A, fetches
 * broker 3's record B at offset 0 and its high watermark passes 1. Before the fix broker 1 then
 * acknowledged A at offset 0 — a record no replica holds, at an offset acknowledged to B's
 * writer too. Every waiting path (unary Produce, ProduceStream; plain and idempotent batches)
 * must fail with NOT_LEADER_OR_FOLLOWER instead.
 */
@Timeout(60)
class AcksAfterLeaderChangeTest {
  private static final String ID = "topic-id-1";

  @TempDir Path dir;

  @ParameterizedTest(name = "stream={0} idempotent={1}")
  @CsvSource({"false,false", "false,true", "true,false", "true,true"})
  void leadershipMovingBetweenAppendAndWaitFailsTheProduce(boolean stream, boolean idempotent) throws Exception {
    try (HostFixture f = new HostFixture(dir, 1)) {
      f.apply(ID, Map.of(), reg(ID, 0, List.of(1, 2, 3), 1, 13, 1));
      Partition p = f.host.partition(HostFixture.TOPIC, 0);
      p.onFollowerFetch(2, 0);
      p.onFollowerFetch(3, 0);
      AtomicBoolean moved = new AtomicBoolean();
      p.afterLeaderAppend(() -> {
        if (moved.compareAndSet(false, true)) {
          moveLeadershipAndRefill(f, p);
        }
      });
      ByteBuffer a = idempotent
          ? new RecordBatchBuilder().producer(4711, (short) 0, 0).append(1L, null, bytes("A")).build()
          : batch(0, "A");
      ProduceRequest req = ProduceRequest.newBuilder().setTopic(HostFixture.TOPIC).setPartition(0).setAcks(Acks.ACKS_ALL)
          .setTimeoutMs(3_000).setRecordBatches(ByteString.copyFrom(a)).setCorrelationId(7).build();

      ProduceOutcome outcome = stream ? produceOnStream(f, req) : produceUnary(f, req);

      assertThat(moved).as("the leadership change ran between append and wait").isTrue();
      assertThat(p.log().highWatermark()).as("the follower's high watermark passed offset 0").isEqualTo(1);
      assertThat(outcome.error).as("record A must not be acknowledged at offset %d", outcome.offset).isNotNull();
      assertThat(outcome.error).isEqualTo(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    }
  }

  @Test
  void leadershipMovingWhileTheProduceWaitsFailsIt() throws Exception {
    try (HostFixture f = new HostFixture(dir, 1)) {
      f.apply(ID, Map.of(), reg(ID, 0, List.of(1, 2, 3), 1, 13, 1));
      Partition p = f.host.partition(HostFixture.TOPIC, 0);
      p.onFollowerFetch(2, 0);
      p.onFollowerFetch(3, 0);
      CompletableFuture<ProduceOutcome> result = CompletableFuture.supplyAsync(() -> produceUnary(f,
          ProduceRequest.newBuilder().setTopic(HostFixture.TOPIC).setPartition(0).setAcks(Acks.ACKS_ALL).setTimeoutMs(10_000)
              .setRecordBatches(ByteString.copyFrom(batch(0, "A"))).build()));
      await().atMost(Duration.ofSeconds(10)).until(() -> p.log().logEndOffset() == 1);
      moveLeadershipAndRefill(f, p);
      ProduceOutcome outcome = result.get(20, TimeUnit.SECONDS);
      assertThat(outcome.error).isEqualTo(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    }
  }

  @Test
  void recordsReplicatedWithinTheLeadershipAreAcknowledged() throws Exception {
    try (HostFixture f = new HostFixture(dir, 1)) {
      f.apply(ID, Map.of(), reg(ID, 0, List.of(1, 2, 3), 1, 13, 1));
      Partition p = f.host.partition(HostFixture.TOPIC, 0);
      CompletableFuture<ProduceOutcome> result = CompletableFuture.supplyAsync(() -> produceUnary(f,
          ProduceRequest.newBuilder().setTopic(HostFixture.TOPIC).setPartition(0).setAcks(Acks.ACKS_ALL).setTimeoutMs(10_000)
              .setRecordBatches(ByteString.copyFrom(batch(0, "A", "B"))).build()));
      await().atMost(Duration.ofSeconds(10)).until(() -> p.log().logEndOffset() == 2);
      p.onFollowerFetch(2, 2);
      assertThat(result).as("broker 3 has not fetched yet").isNotDone();
      p.onFollowerFetch(3, 2);
      ProduceOutcome outcome = result.get(10, TimeUnit.SECONDS);
      assertThat(outcome.error).isNull();
      assertThat(outcome.offset).isZero();
    }
  }

  /** Kafka's NOT_ENOUGH_REPLICAS_AFTER_APPEND: the ISR shrank below min.insync.replicas while the produce waited. */
  @Test
  void isrShrinkingBelowMinIsrAfterTheAppendFailsTheProduce() throws Exception {
    try (HostFixture f = new HostFixture(dir, 1)) {
      Map<String, String> minIsr2 = Map.of("min.insync.replicas", "2");
      f.apply(ID, minIsr2, reg(ID, 0, List.of(1, 2), 1, 13, 1));
      Partition p = f.host.partition(HostFixture.TOPIC, 0);
      p.onFollowerFetch(2, 0);
      CompletableFuture<ProduceOutcome> result = CompletableFuture.supplyAsync(() -> produceUnary(f,
          ProduceRequest.newBuilder().setTopic(HostFixture.TOPIC).setPartition(0).setAcks(Acks.ACKS_ALL).setTimeoutMs(10_000)
              .setRecordBatches(ByteString.copyFrom(batch(0, "A"))).build()));
      await().atMost(Duration.ofSeconds(10)).until(() -> p.log().logEndOffset() == 1);
      // Broker 2 is dropped from the ISR: the leader alone now holds the high watermark up.
      f.apply(ID, minIsr2, reg(ID, 0, List.of(1), 1, 13, 2));
      ProduceOutcome outcome = result.get(20, TimeUnit.SECONDS);
      assertThat(p.log().highWatermark()).isEqualTo(1);
      assertThat(outcome.error).isEqualTo(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
    }
  }

  /** Broker 3 takes over in epoch 14; broker 1, now its follower, truncates A and takes B at offset 0. */
  private static void moveLeadershipAndRefill(HostFixture f, Partition p) {
    try {
      f.apply(ID, Map.of(), reg(ID, 0, List.of(1, 2, 3), 3, 14, 2));
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
    boolean ran = p.writeAsFollowerOf(3, () -> {
      Log l = p.log();
      l.truncateTo(0);
      l.appendAsFollower(new RecordBatchBuilder().baseOffset(0).partitionLeaderEpoch(14).append(2L, null, bytes("B")).build());
      l.updateHighWatermark(1);
    });
    assertThat(ran).as("broker 1 follows broker 3").isTrue();
  }

  private record ProduceOutcome(long offset, ErrorCode error) {}

  private static ProduceOutcome produceUnary(HostFixture f, ProduceRequest req) {
    try {
      return new ProduceOutcome(f.blocking().produce(req).getBaseOffset(), null);
    } catch (RuntimeException e) {
      return new ProduceOutcome(-1, detail(e).getCode());
    }
  }

  private static ProduceOutcome produceOnStream(HostFixture f, ProduceRequest req) throws Exception {
    CompletableFuture<ProduceResponse> answer = new CompletableFuture<>();
    StreamObserver<ProduceRequest> requests = f.async().produceStream(new StreamObserver<>() {
      @Override
      public void onNext(ProduceResponse r) {
        answer.complete(r);
      }

      @Override
      public void onError(Throwable t) {
        answer.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    });
    requests.onNext(req);
    ProduceResponse r = answer.get(20, TimeUnit.SECONDS);
    requests.onCompleted();
    return new ProduceOutcome(r.getBaseOffset(), r.hasError() ? r.getError().getCode() : null);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
