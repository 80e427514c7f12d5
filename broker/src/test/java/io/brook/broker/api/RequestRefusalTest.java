package io.brook.broker.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.brook.broker.LogRecorder;
import io.brook.broker.RawGrpc;
import io.brook.broker.TestNode;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.common.v1.ErrorDetail;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.metadata.v1.ControllerServiceGrpc;
import io.brook.proto.metadata.v1.DeleteTopicsRequest;
import io.brook.proto.v1.AdminServiceGrpc;
import io.brook.proto.v1.AlterTopicConfigRequest;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.CreatePartitionsRequest;
import io.brook.proto.v1.CreateTopicRequest;
import io.brook.proto.v1.DeleteTopicRequest;
import io.brook.proto.v1.DescribeTopicRequest;
import io.brook.proto.v1.FetchRequest;
import io.brook.proto.v1.ListOffsetsRequest;
import io.brook.proto.v1.OffsetSpec;
import io.brook.proto.v1.ProduceRequest;
import io.brook.proto.v1.Record;
import io.brook.proto.v1.RecordFormat;
import io.brook.proto.v1.RecordList;
import io.brook.storage.record.BatchMutator;
import io.brook.storage.record.CompressionType;
import io.brook.storage.record.Header;
import io.brook.storage.record.RecordBatch;
import io.brook.storage.record.RecordBatchBuilder;
import io.grpc.CallOptions;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The refusals of issue 8 §6 over real gRPC against one in-process node: each bad input gets the
 * right gRPC status with an {@code ErrorDetail} whose code and message say what is wrong, changes
 * nothing (the log end stays put), logs no ERROR/SEVERE line, and the node serves good requests
 * after. Before the fixes these answered INTERNAL (trailers too large, BufferUnderflowException),
 * UNKNOWN (SnappyError; bytes that are not protobuf, each with a SEVERE stack trace) or were
 * accepted (control, transactional and undefined attribute bits, sequence without producer id,
 * gzip with trailing bytes, header keys that are not UTF-8).
 */
@Timeout(120)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RequestRefusalTest {
  private TestNode node;
  private BrokerServiceGrpc.BrokerServiceBlockingStub broker;
  private AdminServiceGrpc.AdminServiceBlockingStub admin;
  private final LogRecorder logs = new LogRecorder();

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    node = TestNode.start(dir, Map.of());
    node.createTopic("t", 1, Map.of("max.message.bytes", "65536"));
    broker = BrokerServiceGrpc.newBlockingStub(node.channel);
    admin = AdminServiceGrpc.newBlockingStub(node.channel);
    produce(plain("good"));
    logs.clear();
  }

  @AfterAll
  void stop() {
    logs.close();
    node.close();
  }

  private BrokerServiceGrpc.BrokerServiceBlockingStub broker() {
    return broker.withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static ProduceRequest plain(String value) {
    return ProduceRequest.newBuilder().setTopic("t").setRecords(RecordList.newBuilder()
        .addRecords(Record.newBuilder().setValue(ByteString.copyFromUtf8(value)))).build();
  }

  private static ProduceRequest batches(ByteBuffer b) {
    return ProduceRequest.newBuilder().setTopic("t").setRecordBatches(ByteString.copyFrom(b.duplicate())).build();
  }

  private long produce(ProduceRequest r) {
    return broker().produce(r).getBaseOffset();
  }

  private long logEnd() {
    return broker().listOffsets(ListOffsetsRequest.newBuilder().setTopic("t").setSpec(OffsetSpec.OFFSET_SPEC_LATEST)
        .build()).getOffset();
  }

  /** Runs {@code call}, which must fail with {@code status} and {@code code} naming {@code messagePart}. */
  private ErrorDetail assertRefused(Runnable call, Status.Code status, ErrorCode code, String messagePart) {
    long before = logEnd();
    ErrorDetail[] detail = new ErrorDetail[1];
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).as("gRPC status of %s", e).isEqualTo(status);
      detail[0] = RawGrpc.detail(e).orElseThrow(() -> new AssertionError("no ErrorDetail in " + e));
      assertThat(detail[0].getCode()).as(detail[0].getMessage()).isEqualTo(code);
      assertThat(detail[0].getMessage()).contains(messagePart);
      assertThat(detail[0].getMessage().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(WireErrors.MAX_MESSAGE_BYTES);
    });
    assertThat(logEnd()).as("a refused request changes nothing").isEqualTo(before);
    return detail[0];
  }

  // ------------------------------------------------------------------ bytes that are not a request

  private byte[] rawCall(String method, byte[] request) {
    return ClientCalls.blockingUnaryCall(node.channel, RawGrpc.unary(method),
        CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), request);
  }

  @Test
  void bytesThatAreNotARequestAnswerInvalidArgumentAndLogOneLine() {
    byte[] valid = plain("x").toByteArray();
    byte[][] garbage = {
        {0x0F, 1, 2, 3}, // field 1 with wire type 7, which does not exist
        Arrays.copyOf(valid, valid.length - 3), // cut inside a field
        {0x0A, 0x02, (byte) 0xC3, 0x28}, // topic (a proto3 string) that is not UTF-8
        {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 1},
    };
    for (int round = 0; round < 25; round++) {
      for (byte[] g : garbage) {
        ErrorDetail d = assertRefused(() -> rawCall("brook.v1.BrokerService/Produce", g), Status.Code.INVALID_ARGUMENT,
            ErrorCode.INVALID_REQUEST, "request to brook.v1.BrokerService/Produce is not a valid brook.v1.ProduceRequest");
        assertThat(d.getRetriable()).isFalse();
      }
    }
    // Every service on the port is guarded, the controller's too.
    assertRefused(() -> rawCall("brook.v1.AdminService/CreateTopic", garbage[0]), Status.Code.INVALID_ARGUMENT,
        ErrorCode.INVALID_REQUEST, "brook.v1.CreateTopicRequest");
    assertRefused(() -> rawCall("brook.metadata.v1.ControllerService/DeleteTopics", garbage[0]),
        Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "brook.metadata.v1.DeleteTopicsRequest");

    assertThat(logs.errors()).as("ERROR/SEVERE lines").isEmpty();
    assertThat(logs.lines()).as("one rate-limited line for 102 malformed requests")
        .filteredOn(l -> l.contains("malformed")).hasSizeBetween(1, 2);
    assertThat(produce(plain("after garbage"))).isPositive();
  }

  @Test
  void aMethodThatDoesNotExistAnswersUnimplementedWithADetail() {
    for (String method : List.of("brook.v1.BrokerService/NoSuchMethod", "brook.v9.Nothing/Produce")) {
      ErrorDetail d = assertRefused(() -> rawCall(method, new byte[] {1, 2, 3}), Status.Code.UNIMPLEMENTED,
          ErrorCode.INVALID_REQUEST, "this node has no method '" + method + "'");
      assertThat(d.getRetriable()).isFalse();
    }
  }

  // ------------------------------------------------------------------ answers that would not fit

  @Test
  void aTopicNameOf2714CharactersIsRefusedByNameOnEveryAdminPath() {
    String name = "n".repeat(2714);
    List<Runnable> calls = List.of(
        () -> admin.deleteTopic(DeleteTopicRequest.newBuilder().setName(name).build()),
        () -> admin.describeTopic(DescribeTopicRequest.newBuilder().setName(name).build()),
        () -> admin.createTopic(CreateTopicRequest.newBuilder().setName(name).build()),
        () -> admin.createPartitions(CreatePartitionsRequest.newBuilder().setName(name).setTotalPartitions(3).build()),
        () -> admin.alterTopicConfig(AlterTopicConfigRequest.newBuilder().setName(name).putSet("retention.ms", "1").build()));
    for (Runnable call : calls) {
      assertRefused(call, Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "longer than 249 characters");
    }
    ErrorDetail d = assertRefused(() -> admin.createTopic(CreateTopicRequest.newBuilder().setName("bad name!").build()),
        Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "character ' ' (U+0020) at index 3");
    assertThat(d.getMessage()).doesNotContain("bad name!");
    // The controller API is on the same port: it checks names too and repeats at most 64 characters.
    ControllerServiceGrpc.ControllerServiceBlockingStub controller = ControllerServiceGrpc.newBlockingStub(node.channel);
    d = assertRefused(() -> controller.deleteTopics(DeleteTopicsRequest.newBuilder().addNames(name).build()),
        Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "(2714 characters)");
    assertThat(d.getMessage()).hasSizeLessThan(200);
  }

  @Test
  void requestsNamingAHugeOrUnknownTopicAnswerWithABoundedStatus() {
    String huge = "u".repeat(200_000);
    String unknown = "u".repeat(249);
    for (String name : List.of(huge, unknown)) {
      for (Supplier<Object> call : List.<Supplier<Object>>of(
          () -> broker().produce(plain("x").toBuilder().setTopic(name).build()),
          () -> broker().fetch(FetchRequest.newBuilder().setTopic(name).build()),
          () -> broker().listOffsets(ListOffsetsRequest.newBuilder().setTopic(name).build()))) {
        ErrorDetail d = name == huge
            ? assertRefused(call::get, Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_REQUEST, "longer than 249 characters")
            : assertRefused(call::get, Status.Code.NOT_FOUND, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "(249 characters)");
        assertThat(d.getMessage()).as("the name is not repeated in full").hasSizeLessThan(200);
      }
    }
    assertThat(logs.errors()).isEmpty();
  }

  // ------------------------------------------------------------------ batches a client may not write

  private static ByteBuffer edit(ByteBuffer batch, Consumer<ByteBuffer> change) {
    ByteBuffer b = ByteBuffer.allocate(batch.remaining());
    b.put(batch.duplicate()).flip();
    change.accept(b);
    BatchMutator.fixCrc(b);
    return b;
  }

  private static ByteBuffer batch(CompressionType codec) {
    return new RecordBatchBuilder().compression(codec).append(System.currentTimeMillis(), "k".getBytes(StandardCharsets.UTF_8),
        "a value a value a value".getBytes(StandardCharsets.UTF_8), List.of(new Header("KEY!", null))).build();
  }

  private static byte[] withJunk(byte[] s, int n) {
    byte[] out = Arrays.copyOf(s, s.length + n);
    Arrays.fill(out, s.length, out.length, (byte) 0x5A);
    return out;
  }

  @Test
  void batchesThatDoNotParseAreCorruptRecord() {
    ByteBuffer plain = batch(CompressionType.NONE);
    assertRefused(() -> produce(batches(BatchMutator.withSection(plain, new byte[] {0}))), Status.Code.INVALID_ARGUMENT,
        ErrorCode.CORRUPT_RECORD, "record 0 has length 0");
    for (int junk : new int[] {2, 4}) {
      ByteBuffer snappy = batch(CompressionType.SNAPPY);
      assertRefused(() -> produce(batches(BatchMutator.withSection(snappy, withJunk(BatchMutator.section(snappy), junk)))),
          Status.Code.INVALID_ARGUMENT, ErrorCode.CORRUPT_RECORD, "snappy");
    }
    ByteBuffer gzip = batch(CompressionType.GZIP);
    assertRefused(() -> produce(batches(BatchMutator.withSection(gzip, withJunk(BatchMutator.section(gzip), 4)))), Status.Code.INVALID_ARGUMENT,
        ErrorCode.CORRUPT_RECORD, "after the last gzip member");
    assertThat(logs.errors()).isEmpty();
  }

  @Test
  void batchesAClientMayNotWriteAreInvalidRecord() {
    ByteBuffer plain = batch(CompressionType.LZ4);
    short attrs = plain.getShort(RecordBatch.ATTRIBUTES_OFFSET);
    assertRefused(() -> produce(batches(edit(plain, b -> b.putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) (attrs | 0x20))))),
        Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_RECORD, "control");
    assertRefused(() -> produce(batches(edit(plain, b -> b.putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) (attrs | 0x10))))),
        Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_RECORD, "transactional");
    assertRefused(() -> produce(batches(edit(plain, b -> b.putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) (attrs | 0x400))))),
        Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_RECORD, "undefined bits 0x0400");
    assertRefused(() -> produce(batches(edit(plain, b -> b.putInt(RecordBatch.BASE_SEQUENCE_OFFSET, 0)))),
        Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_RECORD, "base sequence 0 but no producer id");
    ByteBuffer none = batch(CompressionType.NONE);
    byte[] s = BatchMutator.section(none);
    int at = new String(s, StandardCharsets.ISO_8859_1).indexOf("KEY!");
    s[at] = (byte) 0xC0; // an overlong form: not UTF-8
    s[at + 1] = (byte) 0x80;
    assertRefused(() -> produce(batches(BatchMutator.withSection(none, s))), Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_RECORD,
        "not valid UTF-8");

    // A zstd bomb: 24 MiB of zeros in a few KiB, where max.message.bytes=65536 allows 4 MiB inflated.
    RecordBatchBuilder bomb = new RecordBatchBuilder().compression(CompressionType.ZSTD);
    for (int i = 0; i < 48; i++) {
      bomb.append(1L, null, new byte[512 * 1024]);
    }
    ByteBuffer bombBytes = bomb.build();
    assertThat(bombBytes.remaining()).isLessThan(65536);
    assertRefused(() -> produce(batches(bombBytes)), Status.Code.INVALID_ARGUMENT, ErrorCode.INVALID_RECORD,
        "inflates beyond 4194304 bytes");
    assertThat(logs.errors()).isEmpty();

    // And the node still takes good batches and serves them decoded.
    long offset = produce(batches(batch(CompressionType.GZIP)));
    var fetched = broker().fetch(FetchRequest.newBuilder().setTopic("t").setOffset(offset)
        .setFormat(RecordFormat.RECORD_FORMAT_RECORDS).build());
    assertThat(fetched.getRecords(0).getValue().toStringUtf8()).isEqualTo("a value a value a value");
    assertThat(fetched.getRecords(0).getHeaders(0).getKey()).isEqualTo("KEY!");
  }
}
