package io.brook.broker.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.brook.broker.RawGrpc;
import io.brook.broker.TestNode;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.common.v1.ErrorDetail;
import io.brook.proto.v1.Acks;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.FetchRequest;
import io.brook.proto.v1.InitProducerIdRequest;
import io.brook.proto.v1.InitProducerIdResponse;
import io.brook.proto.v1.ListOffsetsRequest;
import io.brook.proto.v1.OffsetSpec;
import io.brook.proto.v1.ProduceRequest;
import io.brook.proto.v1.ProduceResponse;
import io.brook.proto.v1.Record;
import io.brook.proto.v1.RecordFormat;
import io.brook.proto.v1.RecordList;
import io.brook.storage.record.KeyPartitioning;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plain-record produce (the request form for generated clients) with what the Java producer has:
 * the broker partitions by key when the request names partition -1 (Kafka's mapping, the Java
 * client's code), and the idempotent producer's id, epoch and base sequence on the request, so a
 * retried request appends nothing and answers the original offsets. Before issue 12 partition -1
 * was UNKNOWN_TOPIC_OR_PARTITION and the request had no producer fields (a retry appended again).
 */
@Timeout(120)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PlainProduceTest {
  private TestNode node;
  private BrokerServiceGrpc.BrokerServiceBlockingStub broker;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    node = TestNode.start(dir, Map.of());
    node.createTopic("keyed", 4, Map.of());
    node.createTopic("idem", 1, Map.of());
    node.createTopic("idem-stream", 1, Map.of());
    broker = BrokerServiceGrpc.newBlockingStub(node.channel);
  }

  @AfterAll
  void stop() {
    node.close();
  }

  private BrokerServiceGrpc.BrokerServiceBlockingStub broker() {
    return broker.withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static Record record(String key, String value) {
    Record.Builder r = Record.newBuilder().setValue(ByteString.copyFromUtf8(value));
    if (key != null) {
      r.setKey(ByteString.copyFromUtf8(key));
    }
    return r.build();
  }

  private static ProduceRequest.Builder request(String topic, int partition, Record... records) {
    return ProduceRequest.newBuilder().setTopic(topic).setPartition(partition).setAcks(Acks.ACKS_ALL)
        .setRecords(RecordList.newBuilder().addAllRecords(List.of(records)));
  }

  private long logEnd(String topic, int partition) {
    return broker().listOffsets(ListOffsetsRequest.newBuilder().setTopic(topic).setPartition(partition)
        .setSpec(OffsetSpec.OFFSET_SPEC_LATEST).build()).getOffset();
  }

  private List<String> values(String topic, int partition) {
    return broker().fetch(FetchRequest.newBuilder().setTopic(topic).setPartition(partition).setOffset(0)
            .setFormat(RecordFormat.RECORD_FORMAT_RECORDS).build())
        .getRecordsList().stream().map(r -> r.getValue().toStringUtf8()).toList();
  }

  private static ErrorDetail refused(Runnable call, Status.Code status, ErrorCode code) {
    ErrorDetail[] detail = new ErrorDetail[1];
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).as("gRPC status of %s", e).isEqualTo(status);
      detail[0] = RawGrpc.detail(e).orElseThrow(() -> new AssertionError("no ErrorDetail in " + e));
      assertThat(detail[0].getCode()).as(detail[0].getMessage()).isEqualTo(code);
    });
    return detail[0];
  }

  // ------------------------------------------------------------------ partition -1: the broker chooses

  /** Published MurmurHash2 keys (Kafka's own test vectors) and their partitions of 4 in Kafka. */
  @Test
  void aKeyedRecordWithoutPartitionGoesWhereKafkaAndTheJavaClientPutIt() {
    Map<String, Integer> kafka = new LinkedHashMap<>();
    kafka.put("21", 0);
    kafka.put("foobar", 2);
    kafka.put("a-little-bit-long-string", 0);
    kafka.put("a-little-bit-longer-string", 3);
    kafka.put("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 1);
    kafka.put("abc", 3);
    kafka.forEach((key, partition) -> {
      long before = logEnd("keyed", partition);
      ProduceResponse r = broker().produce(request("keyed", -1, record(key, "v-" + key)).build());
      assertThat(r.getPartition()).as(key).isEqualTo(partition);
      assertThat(r.getBaseOffset()).isEqualTo(before);
      assertThat(values("keyed", partition)).contains("v-" + key);
    });
    // And the same as the Java producer's Partitioner (which runs KeyPartitioning) for any key.
    for (int i = 0; i < 50; i++) {
      String key = "user-" + i * 7919;
      int expected = KeyPartitioning.partitionForKey(key.getBytes(StandardCharsets.UTF_8), 4);
      assertThat(broker().produce(request("keyed", -1, record(key, "x"), record(key, "y")).build()).getPartition())
          .as(key).isEqualTo(expected);
    }
  }

  @Test
  void keylessRequestsWithoutPartitionGoRoundRobin() {
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 8; i++) {
      seen.add(broker().produce(request("keyed", -1, record(null, "nokey-" + i), record(null, "nokey-b")).build())
          .getPartition());
    }
    assertThat(seen).containsExactlyInAnyOrder(0, 1, 2, 3);
  }

  @Test
  void keysOfOneRequestMustShareAPartition() {
    long[] ends = {logEnd("keyed", 0), logEnd("keyed", 1), logEnd("keyed", 2), logEnd("keyed", 3)};
    ErrorDetail d = refused(() -> broker().produce(request("keyed", -1, record("21", "a"), record("foobar", "b")).build()),
        Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST);
    assertThat(d.getMessage()).contains("partitions 0 and 2");
    for (int p = 0; p < 4; p++) {
      assertThat(logEnd("keyed", p)).as("nothing written to partition %d", p).isEqualTo(ends[p]);
    }
    // Keyless records ride along with the keyed ones.
    assertThat(broker().produce(request("keyed", -1, record(null, "a"), record("foobar", "b")).build()).getPartition())
        .isEqualTo(2);
  }

  @Test
  void otherNegativePartitionsAndUnknownTopicsAreStillRefused() {
    refused(() -> broker().produce(request("keyed", -2, record("k", "v")).build()),
        Status.Code.NOT_FOUND, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    ErrorDetail d = refused(() -> broker().produce(request("no-such-topic", -1, record("k", "v")).build()),
        Status.Code.NOT_FOUND, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assertThat(d.getMessage()).contains("no-such-topic");
  }

  // ------------------------------------------------------------------ the idempotent producer

  private InitProducerIdResponse initProducerId() {
    return broker().initProducerId(InitProducerIdRequest.getDefaultInstance());
  }

  private static ProduceRequest idempotent(String topic, InitProducerIdResponse id, int sequence, String... values) {
    ProduceRequest.Builder b = request(topic, 0).setProducerId(id.getProducerId())
        .setProducerEpoch(id.getProducerEpoch()).setBaseSequence(sequence);
    RecordList.Builder records = RecordList.newBuilder();
    for (String v : values) {
      records.addRecords(record(null, v));
    }
    return b.setRecords(records).build();
  }

  @Test
  void aResentIdempotentRequestAppendsNothingAndAnswersTheOriginalOffsets() {
    InitProducerIdResponse id = initProducerId();
    ProduceResponse first = broker().produce(idempotent("idem", id, 0, "a", "b", "c"));
    ProduceResponse second = broker().produce(idempotent("idem", id, 3, "d"));
    long end = logEnd("idem", 0);

    ProduceResponse retryOfFirst = broker().produce(idempotent("idem", id, 0, "a", "b", "c"));
    ProduceResponse retryOfSecond = broker().produce(idempotent("idem", id, 3, "d"));
    assertThat(retryOfFirst.getBaseOffset()).isEqualTo(first.getBaseOffset());
    assertThat(retryOfSecond.getBaseOffset()).isEqualTo(second.getBaseOffset());
    assertThat(logEnd("idem", 0)).as("a retry appends nothing").isEqualTo(end);
    assertThat(values("idem", 0)).containsExactly("a", "b", "c", "d");

    // The next sequence goes on; a gap is OUT_OF_ORDER_SEQUENCE and writes nothing.
    assertThat(broker().produce(idempotent("idem", id, 4, "e")).getBaseOffset()).isEqualTo(end);
    refused(() -> broker().produce(idempotent("idem", id, 9, "x")), Status.Code.ABORTED, ErrorCode.OUT_OF_ORDER_SEQUENCE);
    assertThat(values("idem", 0)).containsExactly("a", "b", "c", "d", "e");
  }

  @Test
  void aResentIdempotentRequestOnTheStreamIsAnsweredWithTheOriginalOffsets() {
    InitProducerIdResponse id = initProducerId();
    long first = broker().produce(idempotent("idem-stream", id, 0, "s1", "s2")).getBaseOffset();
    io.grpc.stub.StreamObserver<ProduceRequest> requests;
    java.util.concurrent.LinkedBlockingQueue<ProduceResponse> answers = new java.util.concurrent.LinkedBlockingQueue<>();
    requests = BrokerServiceGrpc.newStub(node.channel).produceStream(new io.grpc.stub.StreamObserver<>() {
      @Override public void onNext(ProduceResponse r) {
        answers.add(r);
      }

      @Override public void onError(Throwable t) {}

      @Override public void onCompleted() {}
    });
    requests.onNext(idempotent("idem-stream", id, 0, "s1", "s2").toBuilder().setCorrelationId(7).build());
    requests.onNext(idempotent("idem-stream", id, 5, "gap").toBuilder().setCorrelationId(8).build());
    try {
      ProduceResponse retry = answers.poll(30, TimeUnit.SECONDS);
      ProduceResponse gap = answers.poll(30, TimeUnit.SECONDS);
      assertThat(retry.getCorrelationId()).isEqualTo(7);
      assertThat(retry.hasError()).as("%s", retry.getError()).isFalse();
      assertThat(retry.getBaseOffset()).isEqualTo(first);
      assertThat(gap.getError().getCode()).isEqualTo(ErrorCode.OUT_OF_ORDER_SEQUENCE);
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    } finally {
      requests.onCompleted();
    }
    assertThat(values("idem-stream", 0)).containsExactly("s1", "s2");
  }

  @Test
  void producerFieldsThatDoNotGoTogetherAreRefused() {
    InitProducerIdResponse id = initProducerId();
    long end = logEnd("idem", 0);
    refused(() -> broker().produce(request("idem", 0, record(null, "v")).setProducerEpoch(0).build()),
        Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST);
    refused(() -> broker().produce(request("idem", 0, record(null, "v")).setProducerId(id.getProducerId()).build()),
        Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST);
    refused(() -> broker().produce(idempotent("idem", id, -5, "v")), Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST);
    ErrorDetail d = refused(() -> broker().produce(idempotent("idem", id, 0, "v").toBuilder().setPartition(-1).build()),
        Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST);
    assertThat(d.getMessage()).contains("must name its partition");
    assertThat(logEnd("idem", 0)).isEqualTo(end);
  }
}
