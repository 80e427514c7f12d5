package io.brook.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.brook.clients.admin.Admin;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.FetchRequest;
import io.brook.proto.v1.ListOffsetsRequest;
import io.brook.proto.v1.OffsetSpec;
import io.brook.proto.v1.ProduceRequest;
import io.brook.proto.v1.Record;
import io.brook.proto.v1.RecordList;
import io.brook.storage.record.RecordBatch;
import io.brook.storage.record.RecordBatchBuilder;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input through the raw gRPC API of a real node: each gets the right gRPC status and Brook
 * error code, with a message saying what is wrong, and changes nothing (the log end stays put).
 */
@Timeout(300)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputIT {
  TestCluster cluster;
  ManagedChannel channel;
  BrokerServiceGrpc.BrokerServiceBlockingStub stub;

  @BeforeAll
  void start(@TempDir Path root) throws Exception {
    cluster = new TestCluster(root, 1, Map.of()).start();
    try (Admin admin = new Admin(cluster.bootstrapList(), 30_000)) {
      admin.createTopic("t", 1, 1, Map.of("max.message.bytes", "2000"));
    }
    channel = NettyChannelBuilder.forTarget(cluster.bootstrap()).usePlaintext().build();
    stub = BrokerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    stub.produce(plain("t", 0, "good"));
  }

  @AfterAll
  void stop() throws Exception {
    channel.shutdownNow();
    cluster.close();
  }

  private static ProduceRequest plain(String topic, int partition, String value) {
    return ProduceRequest.newBuilder().setTopic(topic).setPartition(partition)
        .setRecords(RecordList.newBuilder().addRecords(Record.newBuilder().setValue(ByteString.copyFromUtf8(value)))).build();
  }

  private long logEnd() {
    return stub.listOffsets(ListOffsetsRequest.newBuilder().setTopic("t").setPartition(0)
        .setSpec(OffsetSpec.OFFSET_SPEC_LATEST).build()).getOffset();
  }

  private void assertRefused(Runnable call, Status.Code status, ErrorCode code, String messagePart) {
    long before = logEnd();
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(status);
      BrookException be = WireErrors.toException(e);
      assertThat(be.code()).isEqualTo(code);
      assertThat(be.getMessage()).contains(messagePart);
    });
    assertThat(logEnd()).as("a refused request changes nothing").isEqualTo(before);
  }

  @Test
  void unknownTopic() {
    assertRefused(() -> stub.produce(plain("nope", 0, "x")), Status.Code.NOT_FOUND, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "'nope'");
  }

  @Test
  void negativeAndMissingPartitions() {
    // -1 asks the broker to choose (issue 12); other negative partitions do not exist.
    assertRefused(() -> stub.produce(plain("t", -2, "x")), Status.Code.NOT_FOUND, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "partition -2");
    assertRefused(() -> stub.produce(plain("t", 5, "x")), Status.Code.NOT_FOUND, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "partition 5");
  }

  @Test
  void offsetOutOfRangeNamesTheValidRange() {
    long end = logEnd();
    assertRefused(() -> stub.fetch(FetchRequest.newBuilder().setTopic("t").setPartition(0).setOffset(end + 100).build()),
        Status.Code.OUT_OF_RANGE, ErrorCode.OFFSET_OUT_OF_RANGE, "[0, " + end + "]");
    assertRefused(() -> stub.fetch(FetchRequest.newBuilder().setTopic("t").setPartition(0).setOffset(-3).build()),
        Status.Code.OUT_OF_RANGE, ErrorCode.OFFSET_OUT_OF_RANGE, "-3");
  }

  @Test
  void oversizedRecord() {
    assertRefused(() -> stub.produce(plain("t", 0, "x".repeat(5000))), Status.Code.INVALID_ARGUMENT,
        ErrorCode.RECORD_TOO_LARGE, "max.message.bytes=2000");
  }

  @Test
  void garbageAndCorruptBatches() {
    assertRefused(() -> stub.produce(ProduceRequest.newBuilder().setTopic("t").setPartition(0)
            .setRecordBatches(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7})).build()),
        Status.Code.INVALID_ARGUMENT, ErrorCode.CORRUPT_RECORD, "incomplete");
    ByteBuffer batch = new RecordBatchBuilder().append(1, null, "v".getBytes(StandardCharsets.UTF_8)).build();
    batch.put(batch.limit() - 1, (byte) (batch.get(batch.limit() - 1) ^ 0x40));
    assertRefused(() -> stub.produce(ProduceRequest.newBuilder().setTopic("t").setPartition(0)
            .setRecordBatches(ByteString.copyFrom(batch)).build()),
        Status.Code.INVALID_ARGUMENT, ErrorCode.CORRUPT_RECORD, "CRC");
    ByteBuffer wrongMagic = new RecordBatchBuilder().append(1, null, "v".getBytes(StandardCharsets.UTF_8)).build();
    wrongMagic.put(RecordBatch.MAGIC_OFFSET, (byte) 1);
    assertRefused(() -> stub.produce(ProduceRequest.newBuilder().setTopic("t").setPartition(0)
            .setRecordBatches(ByteString.copyFrom(wrongMagic)).build()),
        Status.Code.INVALID_ARGUMENT, ErrorCode.CORRUPT_RECORD, "magic");
  }

  @Test
  void emptyProduce() {
    assertRefused(() -> stub.produce(ProduceRequest.newBuilder().setTopic("t").setPartition(0).build()),
        Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "neither");
  }

  @Test
  void badTopicCreation() throws Exception {
    try (Admin admin = new Admin(cluster.bootstrapList(), 10_000)) {
      assertThatThrownBy(() -> admin.createTopic("bad name!", 1, 1, Map.of()))
          .isInstanceOfSatisfying(BrookException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST));
      assertThatThrownBy(() -> admin.createTopic("x", 1, 1, Map.of("retention.msec", "1")))
          .isInstanceOfSatisfying(BrookException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG);
            assertThat(e.getMessage()).contains("retention.msec");
          });
      assertThatThrownBy(() -> admin.createTopic("t", 1, 1, Map.of()))
          .isInstanceOfSatisfying(BrookException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TOPIC_ALREADY_EXISTS));
      assertThat(admin.listTopics(false)).containsExactly("t");
    }
  }

  @Test
  void goodRecordStillAppendsAfterAllThat() {
    long before = logEnd();
    assertThat(stub.produce(plain("t", 0, "ok")).getBaseOffset()).isEqualTo(before);
    assertThat(logEnd()).isEqualTo(before + 1);
  }
}
