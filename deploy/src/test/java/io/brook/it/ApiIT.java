package io.brook.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.brook.clients.admin.Admin;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.v1.Acks;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.ConsumeRequest;
import io.brook.proto.v1.FetchRequest;
import io.brook.proto.v1.FetchResponse;
import io.brook.proto.v1.Header;
import io.brook.proto.v1.ListOffsetsRequest;
import io.brook.proto.v1.MetadataRequest;
import io.brook.proto.v1.MetadataResponse;
import io.brook.proto.v1.OffsetSpec;
import io.brook.proto.v1.ProduceRequest;
import io.brook.proto.v1.ProduceResponse;
import io.brook.proto.v1.Record;
import io.brook.proto.v1.RecordFormat;
import io.brook.proto.v1.RecordList;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The client API over raw gRPC stubs against a real node: the paths a non-Java client uses. */
@Timeout(300)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiIT {
  TestCluster cluster;
  ManagedChannel channel;
  BrokerServiceGrpc.BrokerServiceBlockingStub stub;
  BrokerServiceGrpc.BrokerServiceStub async;

  @BeforeAll
  void start(@TempDir Path root) throws Exception {
    cluster = new TestCluster(root, 1, Map.of()).start();
    try (Admin admin = new Admin(cluster.bootstrapList(), 30_000)) {
      admin.createTopic("api", 2, 1, Map.of());
      admin.createTopic("stream", 1, 1, Map.of());
      admin.createTopic("pipe", 1, 1, Map.of());
    }
    channel = NettyChannelBuilder.forTarget(cluster.bootstrap()).usePlaintext().build();
    stub = BrokerServiceGrpc.newBlockingStub(channel);
    async = BrokerServiceGrpc.newStub(channel);
  }

  @AfterAll
  void stop() throws Exception {
    channel.shutdownNow();
    cluster.close();
  }

  private static Record rec(String key, String value, long ts) {
    Record.Builder b = Record.newBuilder().setValue(ByteString.copyFromUtf8(value)).setTimestampMs(ts);
    if (key != null) {
      b.setKey(ByteString.copyFromUtf8(key));
    }
    return b.build();
  }

  @Test
  void plainRecordsRoundTripWithKeysHeadersNullsAndTimestamps() {
    Record withHeader = rec("k", "v1", 1000).toBuilder()
        .addHeaders(Header.newBuilder().setKey("trace").setValue(ByteString.copyFromUtf8("abc")))
        .addHeaders(Header.newBuilder().setKey("nullh")).build();
    Record tombstone = Record.newBuilder().setKey(ByteString.copyFromUtf8("gone")).setTimestampMs(2000).build();
    ProduceResponse r = stub.produce(ProduceRequest.newBuilder().setTopic("api").setPartition(1).setAcks(Acks.ACKS_ALL)
        .setRecords(RecordList.newBuilder().addRecords(withHeader).addRecords(tombstone).addRecords(rec(null, "v3", 3000)))
        .build());
    assertThat(r.getBaseOffset()).isZero();
    assertThat(r.getRecordCount()).isEqualTo(3);

    FetchResponse f = stub.fetch(FetchRequest.newBuilder().setTopic("api").setPartition(1).setOffset(1)
        .setFormat(RecordFormat.RECORD_FORMAT_RECORDS).build());
    assertThat(f.getHighWatermark()).isEqualTo(3);
    assertThat(f.getRecordsList()).extracting(Record::getOffset).containsExactly(1L, 2L); // exactly from offset 1
    assertThat(f.getRecords(0).hasValue()).as("tombstone value stays null").isFalse();
    assertThat(f.getRecords(1).hasKey()).isFalse();
    assertThat(f.getRecords(1).getTimestampMs()).isEqualTo(3000);
    assertThat(f.getNextOffset()).isEqualTo(3);

    FetchResponse first = stub.fetch(FetchRequest.newBuilder().setTopic("api").setPartition(1).setOffset(0)
        .setFormat(RecordFormat.RECORD_FORMAT_RECORDS).build());
    Record got = first.getRecords(0);
    assertThat(got.getHeadersList()).hasSize(2);
    assertThat(got.getHeaders(0).getValue().toStringUtf8()).isEqualTo("abc");
    assertThat(got.getHeaders(1).hasValue()).isFalse();

    assertThat(stub.listOffsets(ListOffsetsRequest.newBuilder().setTopic("api").setPartition(1)
        .setSpec(OffsetSpec.OFFSET_SPEC_TIMESTAMP).setTimestampMs(1500).build()).getOffset()).isEqualTo(1);
    assertThat(stub.listOffsets(ListOffsetsRequest.newBuilder().setTopic("api").setPartition(1)
        .setSpec(OffsetSpec.OFFSET_SPEC_TIMESTAMP).setTimestampMs(9999).build()).getOffset()).isEqualTo(-1);
    assertThat(stub.listOffsets(ListOffsetsRequest.newBuilder().setTopic("api").setPartition(1)
        .setSpec(OffsetSpec.OFFSET_SPEC_EARLIEST).build()).getOffset()).isZero();
  }

  @Test
  void longPollFetchWaitsForData() throws Exception {
    long t0 = System.nanoTime();
    FetchResponse empty = stub.fetch(FetchRequest.newBuilder().setTopic("api").setPartition(0).setOffset(0)
        .setMaxWaitMs(300).setFormat(RecordFormat.RECORD_FORMAT_RECORDS).build());
    assertThat(empty.getRecordsCount()).isZero();
    assertThat(System.nanoTime() - t0).as("waited for data").isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(250));

    CopyOnWriteArrayList<FetchResponse> got = new CopyOnWriteArrayList<>();
    async.fetch(FetchRequest.newBuilder().setTopic("api").setPartition(0).setOffset(0).setMaxWaitMs(20_000)
        .setFormat(RecordFormat.RECORD_FORMAT_RECORDS).build(), collect(got));
    stub.produce(ProduceRequest.newBuilder().setTopic("api").setPartition(0)
        .setRecords(RecordList.newBuilder().addRecords(rec(null, "wake", 0))).build());
    await().atMost(Duration.ofSeconds(10)).until(() -> !got.isEmpty());
    assertThat(got.get(0).getRecords(0).getValue().toStringUtf8()).isEqualTo("wake");
  }

  @Test
  void consumeStreamDeliversExistingAndNewRecords() {
    for (int i = 0; i < 100; i++) {
      stub.produce(ProduceRequest.newBuilder().setTopic("stream").setPartition(0)
          .setRecords(RecordList.newBuilder().addRecords(rec(null, "r" + i, 0))).build());
    }
    CopyOnWriteArrayList<Record> got = new CopyOnWriteArrayList<>();
    Context.CancellableContext ctx = Context.current().withCancellation();
    ctx.run(() -> async.consume(ConsumeRequest.newBuilder().setTopic("stream").setPartition(0).setOffset(10)
        .setMaxBytes(512).setFormat(RecordFormat.RECORD_FORMAT_RECORDS).build(), new StreamObserver<>() {
          @Override
          public void onNext(FetchResponse r) {
            got.addAll(r.getRecordsList());
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        }));
    await().atMost(Duration.ofSeconds(10)).until(() -> got.size() >= 90);
    for (int i = 100; i < 120; i++) {
      stub.produce(ProduceRequest.newBuilder().setTopic("stream").setPartition(0)
          .setRecords(RecordList.newBuilder().addRecords(rec(null, "r" + i, 0))).build());
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> got.size() >= 110);
    ctx.cancel(null);
    assertThat(got).extracting(Record::getOffset).containsExactlyElementsOf(
        LongStream.range(10, 120).boxed().toList());
  }

  @Test
  void produceStreamPipelinesAndAnswersByCorrelationId() {
    Map<Long, ProduceResponse> answers = new ConcurrentHashMap<>();
    StreamObserver<ProduceRequest> requests = async.produceStream(new StreamObserver<>() {
      @Override
      public void onNext(ProduceResponse r) {
        answers.put(r.getCorrelationId(), r);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    });
    for (long i = 1; i <= 50; i++) {
      requests.onNext(ProduceRequest.newBuilder().setTopic("pipe").setPartition(0).setCorrelationId(i)
          .setAcks(i == 25 ? Acks.ACKS_NONE : Acks.ACKS_LEADER)
          .setRecords(RecordList.newBuilder().addRecords(rec(null, "p" + i, 0))).build());
    }
    // One bad request in the middle gets an error answer; the stream goes on.
    requests.onNext(ProduceRequest.newBuilder().setTopic("no-such").setPartition(0).setCorrelationId(99)
        .setRecords(RecordList.newBuilder().addRecords(rec(null, "x", 0))).build());
    requests.onNext(ProduceRequest.newBuilder().setTopic("pipe").setPartition(0).setCorrelationId(100)
        .setRecords(RecordList.newBuilder().addRecords(rec(null, "last", 0))).build());
    await().atMost(Duration.ofSeconds(10)).until(() -> answers.size() >= 51);
    requests.onCompleted();
    assertThat(answers).doesNotContainKey(25L); // acks=0: no answer
    assertThat(answers.get(99L).getError().getCode().name()).isEqualTo("UNKNOWN_TOPIC_OR_PARTITION");
    for (long i = 1; i <= 50; i++) {
      if (i != 25) {
        assertThat(answers.get(i).getBaseOffset()).as("request %d", i).isEqualTo(i - 1);
      }
    }
    assertThat(answers.get(100L).getBaseOffset()).isEqualTo(50);
  }

  @Test
  void metadataNamesBrokersTopicsAndUnknownTopics() {
    MetadataResponse m = stub.metadata(MetadataRequest.newBuilder().addTopics("api").addTopics("missing").build());
    assertThat(m.getBrokersList()).hasSize(1);
    assertThat(m.getBrokers(0).getPort()).isEqualTo(cluster.node(1).grpcPort);
    assertThat(m.getTopics(0).getPartitionsCount()).isEqualTo(2);
    assertThat(m.getTopics(1).getError().getCode().name()).isEqualTo("UNKNOWN_TOPIC_OR_PARTITION");
    assertThat(stub.metadata(MetadataRequest.getDefaultInstance()).getTopicsList()).extracting(t -> t.getName())
        .contains("api", "pipe", "stream").isSorted();
  }

  @Test
  void topicsGrowAndChangeConfigs() {
    try (Admin admin = new Admin(cluster.bootstrapList(), 30_000)) {
      admin.createTopic("grow", 2, 1, Map.of());
      assertThat(admin.createPartitions("grow", 5).getPartitionsCount()).isEqualTo(5);
      assertThat(stub.metadata(MetadataRequest.newBuilder().addTopics("grow").build()).getTopics(0).getPartitionsCount())
          .isEqualTo(5);
      stub.produce(ProduceRequest.newBuilder().setTopic("grow").setPartition(4)
          .setRecords(RecordList.newBuilder().addRecords(rec(null, "in a new partition", 0))).build());
      assertThatThrownBy(() -> admin.createPartitions("grow", 3))
          .isInstanceOfSatisfying(BrookException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PARTITIONS));

      Map<String, String> overrides = admin.alterTopicConfig("grow", Map.of("retention.ms", "60000", "min.insync.replicas", "1"), List.of());
      assertThat(overrides).containsEntry("retention.ms", "60000");
      assertThat(admin.describeTopic("grow").getConfigsMap()).containsEntry("retention.ms", "60000")
          .containsEntry("segment.bytes", String.valueOf(1 << 30));
      assertThat(admin.alterTopicConfig("grow", Map.of(), List.of("retention.ms"))).doesNotContainKey("retention.ms");
      assertThatThrownBy(() -> admin.alterTopicConfig("grow", Map.of("retention.ms", "-7"), List.of()))
          .isInstanceOfSatisfying(BrookException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG);
            assertThat(e.getMessage()).contains("retention.ms");
          });
      assertThat(admin.describeTopic("grow").getOverridesMap()).containsOnlyKeys("min.insync.replicas");
    }
  }

  private static <T> StreamObserver<T> collect(List<T> into) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T v) {
        into.add(v);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }
}
