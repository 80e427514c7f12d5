package io.brook.broker;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.common.v1.ErrorDetail;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.Acks;
import io.brook.proto.v1.AlterTopicConfigRequest;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.Compression;
import io.brook.proto.v1.CreatePartitionsRequest;
import io.brook.proto.v1.CreateTopicRequest;
import io.brook.proto.v1.DeleteTopicRequest;
import io.brook.proto.v1.DescribeClusterRequest;
import io.brook.proto.v1.DescribeTopicRequest;
import io.brook.proto.v1.FetchRequest;
import io.brook.proto.v1.FetchResponse;
import io.brook.proto.v1.InitProducerIdRequest;
import io.brook.proto.v1.ListOffsetsRequest;
import io.brook.proto.v1.ListTopicsRequest;
import io.brook.proto.v1.MetadataRequest;
import io.brook.proto.v1.OffsetSpec;
import io.brook.proto.v1.ProduceRequest;
import io.brook.proto.v1.ProduceResponse;
import io.brook.proto.v1.Record;
import io.brook.proto.v1.RecordFormat;
import io.brook.proto.v1.RecordList;
import io.brook.storage.record.BatchMutator;
import io.brook.storage.record.CompressionType;
import io.brook.storage.record.RecordBatch;
import io.grpc.CallOptions;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzes one real node in this JVM over real gRPC on loopback: {@value #DEFAULT_INPUTS} requests
 * by default ({@code -Dbrook.fuzz.broker.inputs=N} for more, {@code -Dbrook.fuzz.seed=S} to
 * replay), pipelined ({@value #IN_FLIGHT} in flight) so they fit in about a minute on two cores.
 *
 * <p>Inputs: produce requests carrying valid batches of every codec mutated by {@link
 * BatchMutator} (header fields, attributes, lengths, varints, header keys, codec payloads,
 * framing) or plain records; fetch, list-offsets and metadata requests with random and extreme
 * fields; admin requests with bad names, configs and counts (never ones that would change the
 * cluster: creates are {@code validate_only}, deletes name no topic of ours); serialized requests
 * mutated byte by byte and sent with a byte[] marshaller; bytes that are no request at all, to
 * methods of every service on the port (the controller's and replication's too) and to methods
 * that do not exist; and a {@code ProduceStream} carrying mutated batches.
 *
 * <p>Properties: no call answers INTERNAL or UNKNOWN; every refusal carries an {@code ErrorDetail}
 * with a code (not UNKNOWN_SERVER_ERROR) and a non-empty message within the wire bound (the only
 * status without one is DEADLINE_EXCEEDED, our own deadline, on a fetch that asked to wait longer);
 * the node stays up (a good produce and fetch work at the end); every accepted produce reads back
 * (same keys, values, headers and, where the client set them, timestamps; every stored batch
 * passes {@code ensureValid}); the log gets no ERROR or SEVERE line and at most a few WARN lines.
 *
 * <p>Seeded JUnit rather than Jazzer: the generators know the protocol and the batch format, a run
 * replays from its seed with no corpus files, and without instrumentation the node runs at full
 * speed, which is what makes 10^5 real requests fit in CI.
 */
@Timeout(900)
class BrokerFuzzTest {
  static final int DEFAULT_INPUTS = 100_000;
  static final int IN_FLIGHT = 64;
  /** Every call's deadline; only a fetch that asks to wait longer may run into it. */
  static final long DEADLINE_MS = 20_000;
  private static final String[] PRODUCE_TOPICS = {"fuzz", "fuzz", "fuzz", "fuzz-compact", "fuzz-small"};
  private static final Map<String, Integer> PARTITIONS = Map.of("fuzz", 3, "fuzz-compact", 1, "fuzz-small", 1, "fuzz-alter", 1);
  private static final String BROKER = "brook.v1.BrokerService/";
  private static final String ADMIN = "brook.v1.AdminService/";
  /** Unary methods whose request, should random bytes parse, changes nothing or only what we can see. */
  private static final String[] ANY_JUNK = {BROKER + "Produce", BROKER + "Fetch", BROKER + "ListOffsets",
      BROKER + "Metadata", BROKER + "InitProducerId", ADMIN + "ListTopics", ADMIN + "DescribeTopic",
      ADMIN + "DescribeCluster", "brook.metadata.v1.ControllerService/DescribeQuorum", "grpc.health.v1.Health/Check",
      "brook.v1.NoSuchService/Produce", BROKER + "NoSuchMethod"};
  /**
   * Methods that change the cluster (or stream): they get bytes that cannot parse (a field with
   * wire type 7 first), so the malformed-request path is tested without risking a real change.
   */
  private static final String[] UNPARSEABLE_JUNK = {ADMIN + "CreateTopic", ADMIN + "DeleteTopic",
      ADMIN + "CreatePartitions", ADMIN + "AlterTopicConfig", "brook.metadata.v1.ControllerService/CreateTopics",
      "brook.metadata.v1.ControllerService/DeleteTopics", "brook.metadata.v1.ControllerService/RegisterBroker",
      "brook.metadata.v1.ControllerService/BrokerHeartbeat", "brook.metadata.v1.ControllerService/UnregisterBroker",
      "brook.metadata.v1.ControllerService/AlterPartition", "brook.metadata.v1.ControllerService/AllocateProducerIds",
      "brook.metadata.v1.ControllerService/CreatePartitions", "brook.metadata.v1.ControllerService/AlterTopicConfig",
      "brook.replication.v1.ReplicationService/Replicate", BROKER + "ProduceStream", BROKER + "Consume"};

  private Random random;
  private BatchMutator mutator;
  private final List<ByteBuffer> seeds = new ArrayList<>();

  /** One request to send: its method, its bytes, and what to check when it succeeds. */
  private record Input(String kind, String method, byte[] bytes) {}

  /** A produce the node accepted, to read back at the end. */
  private record Accepted(String topic, int partition, long baseOffset, List<Expected> records) {}

  private record Expected(byte[] key, byte[] value, List<String> headerKeys, List<byte[]> headerValues, long timestamp) {}

  private final Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Accepted> accepted = new ConcurrentLinkedQueue<>();
  private final AtomicInteger unverifiable = new AtomicInteger();
  private final Map<String, AtomicInteger> readBackFailures = new ConcurrentHashMap<>();

  @Test
  void randomAndMutatedRequestsGetClearAnswersAndTheNodeStaysWhole(@TempDir Path dir) throws Exception {
    long seed = Long.getLong("brook.fuzz.seed", 8L);
    int inputs = Integer.getInteger("brook.fuzz.broker.inputs", DEFAULT_INPUTS);
    random = new Random(seed);
    mutator = new BatchMutator(random);
    CompressionType[] codecs = CompressionType.values();
    for (int i = 0; i < 80; i++) {
      seeds.add(mutator.validBatch(codecs[i % codecs.length]));
    }
    try (TestNode node = TestNode.start(dir, Map.of()); LogRecorder logs = new LogRecorder()) {
      PARTITIONS.forEach((t, n) -> node.createTopic(t, n, t.equals("fuzz-compact") ? Map.of("cleanup.policy", "compact")
          : t.equals("fuzz-small") ? Map.of("max.message.bytes", "4096") : Map.of()));
      logs.clear();
      long t0 = System.nanoTime();
      int streamed = Math.max(1, inputs / 50);
      runUnary(node, inputs - streamed);
      runProduceStream(node, streamed);
      long fuzzMs = (System.nanoTime() - t0) / 1_000_000;

      // The node is up and serves a good produce and fetch.
      assertThat(node.node.isReady()).isTrue();
      BrokerServiceGrpc.BrokerServiceBlockingStub stub = BrokerServiceGrpc.newBlockingStub(node.channel)
          .withDeadlineAfter(30, TimeUnit.SECONDS);
      long offset = stub.produce(ProduceRequest.newBuilder().setTopic("fuzz").setRecords(RecordList.newBuilder()
          .addRecords(Record.newBuilder().setValue(ByteString.copyFromUtf8("still here")))).build()).getBaseOffset();
      assertThat(stub.fetch(FetchRequest.newBuilder().setTopic("fuzz").setOffset(offset)
          .setFormat(RecordFormat.RECORD_FORMAT_RECORDS).build()).getRecords(0).getValue().toStringUtf8()).isEqualTo("still here");
      int verified = readBack(node);

      List<String> warnings = logs.lines();
      System.out.printf("broker fuzz: %d inputs (seed %d) in %d ms; %d produces accepted (%d read back, %d not"
          + " verifiable by content); %d log lines at WARN or above%n", inputs, seed, fuzzMs, accepted.size(), verified,
          unverifiable.get(), warnings.size());
      new TreeMap<>(outcomes).forEach((k, v) -> System.out.printf("%8d  %s%n", v.get(), k));
      readBackFailures.forEach((k, v) -> System.out.printf("%8d  read back: %s%n", v.get(), k));
      warnings.stream().limit(20).forEach(l -> System.out.println("  log: " + l));

      assertThat(violations).as("answers that broke a property").isEmpty();
      assertThat(logs.errors()).as("ERROR and SEVERE log lines").isEmpty();
      long malformedLines = warnings.stream().filter(l -> l.contains("malformed")).count();
      assertThat(malformedLines).as("rate-limited lines about malformed requests").isLessThanOrEqualTo(fuzzMs / 10_000 + 2);
      assertThat(warnings.size() - malformedLines).as("other WARN lines").isLessThanOrEqualTo(5);
      assertThat(accepted.size()).as("accepted produces: the inputs must reach the log").isGreaterThan(inputs / 50);
    }
  }

  // ------------------------------------------------------------------ driving

  private void runUnary(TestNode node, int n) throws InterruptedException {
    Semaphore permits = new Semaphore(IN_FLIGHT);
    for (int i = 0; i < n; i++) {
      Input in = next();
      permits.acquire();
      long deadlineMs = DEADLINE_MS;
      var future = ClientCalls.futureUnaryCall(node.channel.newCall(RawGrpc.unary(in.method),
          CallOptions.DEFAULT.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)), in.bytes);
      future.addListener(() -> {
        try {
          onAnswer(in, future.get(), null);
        } catch (ExecutionException e) {
          onAnswer(in, null, e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
          violation(in, "checking the answer threw " + e);
        } finally {
          permits.release();
        }
      }, Runnable::run);
    }
    permits.acquire(IN_FLIGHT);
  }

  /** Mutated produce requests over one ProduceStream: each answer is a success or carries an ErrorDetail. */
  private void runProduceStream(TestNode node, int n) throws InterruptedException {
    Map<Long, Input> pending = new ConcurrentHashMap<>();
    Semaphore permits = new Semaphore(IN_FLIGHT);
    Throwable[] streamError = new Throwable[1];
    StreamObserver<ProduceRequest> requests = BrokerServiceGrpc.newStub(node.channel).produceStream(new StreamObserver<>() {
      @Override
      public void onNext(ProduceResponse r) {
        Input in = pending.remove(r.getCorrelationId());
        if (in == null) {
          violations.add("ProduceStream answered unknown correlation id " + r.getCorrelationId());
          return;
        }
        try {
          if (r.hasError()) {
            checkDetail(in, r.getError(), "ProduceStream error");
            count(in.kind + " -> stream error " + r.getError().getCode());
          } else {
            count(in.kind + " -> stream OK");
            onProduceAccepted(in, r);
          }
        } finally {
          permits.release();
        }
      }

      @Override
      public void onError(Throwable t) {
        streamError[0] = t;
      }

      @Override
      public void onCompleted() {}
    });
    for (long id = 1; id <= n; id++) {
      ProduceRequest r = produceRequest().toBuilder().setAcks(random.nextBoolean() ? Acks.ACKS_ALL : Acks.ACKS_LEADER)
          .setCorrelationId(id).build();
      while (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
        if (streamError[0] != null) {
          violations.add("ProduceStream ended after " + (id - 1) + " requests: " + Status.fromThrowable(streamError[0]));
          return;
        }
      }
      pending.put(id, new Input("stream produce", BROKER + "ProduceStream", r.toByteArray()));
      synchronized (requests) {
        requests.onNext(r);
      }
    }
    if (!permits.tryAcquire(IN_FLIGHT, 60, TimeUnit.SECONDS)) {
      violations.add("ProduceStream left " + pending.size() + " requests unanswered for 60 s");
    }
    requests.onCompleted();
    if (streamError[0] != null) {
      violations.add("ProduceStream ended: " + Status.fromThrowable(streamError[0]));
    }
  }

  private void count(String what) {
    outcomes.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
  }

  private void violation(Input in, String what) {
    if (violations.size() < 50) {
      violations.add(in.kind + " " + in.method + ": " + what + "; request bytes "
          + HexFormat.of().formatHex(Arrays.copyOf(in.bytes, Math.min(in.bytes.length, 400))));
    }
  }

  private void onAnswer(Input in, byte[] response, Throwable failure) {
    if (failure == null) {
      count(in.kind + " -> OK");
      if (in.method.equals(BROKER + "Produce")) {
        try {
          onProduceAccepted(in, ProduceResponse.parseFrom(response));
        } catch (InvalidProtocolBufferException e) {
          violation(in, "the answer does not parse: " + e.getMessage());
        }
      }
      return;
    }
    Status status = Status.fromThrowable(failure);
    if (status.getCode() == Status.Code.DEADLINE_EXCEEDED && in.method.endsWith("/Fetch") && asksToWait(in)) {
      count(in.kind + " -> DEADLINE_EXCEEDED (our deadline on a long poll)");
      return;
    }
    if (status.getCode() == Status.Code.INTERNAL || status.getCode() == Status.Code.UNKNOWN) {
      violation(in, "answered " + status);
    }
    if (!(failure instanceof StatusRuntimeException sre)) {
      violation(in, "failed with " + failure);
      return;
    }
    ErrorDetail d = RawGrpc.detail(sre).orElse(null);
    if (d == null) {
      violation(in, "refused without an ErrorDetail: " + status);
      count(in.kind + " -> " + status.getCode() + " without detail");
      return;
    }
    checkDetail(in, d, status.toString());
    count(in.kind + " -> " + status.getCode() + "/" + d.getCode());
  }

  private void checkDetail(Input in, ErrorDetail d, String where) {
    if (d.getCode() == ErrorCode.ERROR_CODE_UNSPECIFIED || d.getCode() == ErrorCode.UNKNOWN_SERVER_ERROR
        || d.getCode() == ErrorCode.UNRECOGNIZED) {
      violation(in, "refused with code " + d.getCode() + ": " + d.getMessage() + " (" + where + ")");
    }
    if (d.getMessage().isBlank() || d.getMessage().getBytes(StandardCharsets.UTF_8).length > WireErrors.MAX_MESSAGE_BYTES) {
      violation(in, "refusal message empty or over the bound: " + d.getMessage().length() + " chars");
    }
  }

  private static boolean asksToWait(Input in) {
    try {
      return FetchRequest.parseFrom(in.bytes).getMaxWaitMs() >= DEADLINE_MS;
    } catch (InvalidProtocolBufferException e) {
      return in.method.startsWith("brook.replication"); // replica fetches long-poll too
    }
  }

  // ------------------------------------------------------------------ accepted produces

  private void onProduceAccepted(Input in, ProduceResponse response) {
    ProduceRequest req;
    try {
      req = ProduceRequest.parseFrom(in.bytes);
    } catch (InvalidProtocolBufferException e) {
      violation(in, "accepted a produce request that does not parse here: " + e.getMessage());
      return;
    }
    if (response.getBaseOffset() < 0 || !PARTITIONS.containsKey(req.getTopic())) {
      unverifiable.incrementAndGet();
      return;
    }
    List<Expected> expected = new ArrayList<>();
    if (req.hasRecords()) {
      for (Record r : req.getRecords().getRecordsList()) {
        expected.add(new Expected(r.hasKey() ? r.getKey().toByteArray() : null, r.hasValue() ? r.getValue().toByteArray() : null,
            r.getHeadersList().stream().map(h -> h.getKey()).toList(),
            r.getHeadersList().stream().map(h -> h.hasValue() ? h.getValue().toByteArray() : null).toList(),
            r.getTimestampMs() == 0 ? Long.MIN_VALUE : r.getTimestampMs()));
      }
    } else {
      for (RecordBatch b : RecordBatch.iterate(req.getRecordBatches().asReadOnlyByteBuffer())) {
        if (b.producerId() != RecordBatch.NO_PRODUCER_ID) {
          unverifiable.incrementAndGet(); // an idempotent retry is answered with the first write's offsets
          return;
        }
        for (io.brook.storage.record.Record r : b.records()) {
          expected.add(new Expected(r.key(), r.value(), r.headers().stream().map(h -> h.key()).toList(),
              r.headers().stream().map(h -> h.value()).toList(), r.timestamp()));
        }
      }
    }
    if (expected.size() != response.getRecordCount()) {
      violation(in, "accepted " + response.getRecordCount() + " records of " + expected.size());
    }
    accepted.add(new Accepted(req.getTopic(), req.getPartition(), response.getBaseOffset(), expected));
  }

  /** Reads every partition back and checks each accepted produce against it; returns how many records matched. */
  private int readBack(TestNode node) {
    BrokerServiceGrpc.BrokerServiceBlockingStub stub = BrokerServiceGrpc.newBlockingStub(node.channel);
    Map<String, Map<Long, Record>> byPartition = new HashMap<>();
    for (Map.Entry<String, Integer> t : PARTITIONS.entrySet()) {
      for (int p = 0; p < t.getValue(); p++) {
        Map<Long, Record> records = new HashMap<>();
        long next = 0;
        while (true) {
          FetchRequest.Builder req = FetchRequest.newBuilder().setTopic(t.getKey()).setPartition(p).setOffset(next)
              .setMaxBytes(4 * 1024 * 1024);
          FetchResponse decoded = stub.withDeadlineAfter(30, TimeUnit.SECONDS).fetch(req.setFormat(RecordFormat.RECORD_FORMAT_RECORDS).build());
          FetchResponse raw = stub.withDeadlineAfter(30, TimeUnit.SECONDS).fetch(req.setFormat(RecordFormat.RECORD_FORMAT_BATCHES).build());
          for (RecordBatch b : RecordBatch.iterate(raw.getRecordBatches().asReadOnlyByteBuffer())) {
            if (!b.isValid()) { // what the log stored is intact
              violations.add("stored batch at " + t.getKey() + "-" + p + "@" + b.baseOffset() + " fails ensureValid");
            }
          }
          decoded.getRecordsList().forEach(r -> records.put(r.getOffset(), r));
          if (decoded.getRecordsCount() == 0 || decoded.getNextOffset() >= decoded.getHighWatermark()) {
            break;
          }
          next = decoded.getNextOffset();
        }
        byPartition.put(t.getKey() + "-" + p, records);
      }
    }
    int matched = 0;
    for (Accepted a : accepted) {
      Map<Long, Record> records = byPartition.get(a.topic + "-" + a.partition);
      for (int i = 0; i < a.records.size(); i++) {
        Expected e = a.records.get(i);
        Record r = records.get(a.baseOffset + i);
        String where = a.topic + "-" + a.partition + "@" + (a.baseOffset + i);
        String wrong = r == null ? "missing"
            : !Arrays.equals(r.hasKey() ? r.getKey().toByteArray() : null, e.key) ? "key differs"
            : !Arrays.equals(r.hasValue() ? r.getValue().toByteArray() : null, e.value) ? "value differs"
            : !r.getHeadersList().stream().map(h -> h.getKey()).toList().equals(e.headerKeys) ? "header keys differ"
            : headerValuesDiffer(r, e) ? "header values differ"
            : e.timestamp != Long.MIN_VALUE && r.getTimestampMs() != e.timestamp ? "timestamp differs"
            : null;
        if (wrong != null) {
          readBackFailures.computeIfAbsent("accepted record " + wrong, k -> new AtomicInteger()).incrementAndGet();
          if (violations.size() < 50) {
            violations.add("accepted record at " + where + ": " + wrong);
          }
        } else {
          matched++;
        }
      }
    }
    return matched;
  }

  private static boolean headerValuesDiffer(Record r, Expected e) {
    for (int h = 0; h < e.headerValues.size(); h++) {
      var hv = r.getHeaders(h);
      if (!Arrays.equals(hv.hasValue() ? hv.getValue().toByteArray() : null, e.headerValues.get(h))) {
        return true;
      }
    }
    return false;
  }

  // ------------------------------------------------------------------ generators

  private Input next() {
    int k = random.nextInt(100);
    if (k < 34) {
      return new Input("produce batches", BROKER + "Produce", produceRequest().toByteArray());
    } else if (k < 42) {
      return new Input("produce records", BROKER + "Produce", plainProduceRequest().toByteArray());
    } else if (k < 52) {
      return new Input("fetch", BROKER + "Fetch", fetchRequest().toByteArray());
    } else if (k < 58) {
      return new Input("list offsets", BROKER + "ListOffsets", listOffsetsRequest().toByteArray());
    } else if (k < 61) {
      return new Input("metadata", BROKER + "Metadata", metadataRequest().toByteArray());
    } else if (k < 62) {
      return new Input("init producer id", BROKER + "InitProducerId", InitProducerIdRequest.getDefaultInstance().toByteArray());
    } else if (k < 66) {
      return adminRequest();
    } else if (k < 97) {
      return mutatedBytes();
    } else {
      byte[] junk = new byte[random.nextInt(40)];
      random.nextBytes(junk);
      if (random.nextBoolean()) {
        return new Input("junk bytes", ANY_JUNK[random.nextInt(ANY_JUNK.length)], junk);
      }
      byte[] unparseable = Arrays.copyOf(new byte[] {0x0F}, junk.length + 1); // field 1, wire type 7
      System.arraycopy(junk, 0, unparseable, 1, junk.length);
      return new Input("unparseable bytes", UNPARSEABLE_JUNK[random.nextInt(UNPARSEABLE_JUNK.length)], unparseable);
    }
  }

  private String topic() {
    int k = random.nextInt(20);
    if (k == 0) {
      return random.nextBoolean() ? "no-such-topic" : "";
    } else if (k == 1) {
      return randomName();
    }
    return PRODUCE_TOPICS[random.nextInt(PRODUCE_TOPICS.length)];
  }

  private String randomName() {
    return switch (random.nextInt(6)) {
      case 0 -> "x".repeat(250 + random.nextInt(5000));
      case 1 -> "bad name!";
      case 2 -> ".";
      case 3 -> "ключ\u0000\n";
      case 4 -> "zz-" + random.nextInt(1000);
      default -> "";
    };
  }

  private int partition(String topic) {
    int n = PARTITIONS.getOrDefault(topic, 1);
    int k = random.nextInt(20);
    return k == 0 ? -1 - random.nextInt(3) : k == 1 ? n + random.nextInt(3) : random.nextInt(n);
  }

  private Acks acks() {
    return Acks.forNumber(random.nextInt(4));
  }

  private ProduceRequest produceRequest() {
    String topic = topic();
    ByteBuffer batches = random.nextInt(20) == 0
        ? mutator.validBatch(CompressionType.values()[random.nextInt(5)])
        : mutator.mutate(seeds.get(random.nextInt(seeds.size())));
    if (random.nextInt(15) == 0) { // two batches back to back
      ByteBuffer second = mutator.validBatch(CompressionType.values()[random.nextInt(5)]);
      ByteBuffer both = ByteBuffer.allocate(batches.remaining() + second.remaining());
      batches = both.put(batches).put(second).flip();
    }
    ProduceRequest.Builder b = ProduceRequest.newBuilder().setTopic(topic).setPartition(partition(topic))
        .setRecordBatches(ByteString.copyFrom(batches)).setAcks(acks()).setTimeoutMs(random.nextInt(3) == 0 ? -5 : 5000);
    if (random.nextInt(30) == 0) {
      b.setCompressionValue(random.nextInt(9)); // meaningless with batches
    }
    return b.build();
  }

  private ProduceRequest plainProduceRequest() {
    String topic = topic();
    RecordList.Builder records = RecordList.newBuilder();
    for (int i = random.nextInt(12); i >= 0; i--) {
      Record.Builder r = Record.newBuilder();
      if (random.nextBoolean()) {
        r.setKey(ByteString.copyFrom(bytes(random.nextInt(20))));
      }
      if (random.nextInt(6) != 0) {
        r.setValue(ByteString.copyFrom(bytes(random.nextInt(random.nextInt(10) == 0 ? 6000 : 100))));
      }
      for (int h = random.nextInt(3) == 0 ? random.nextInt(4) : 0; h > 0; h--) {
        io.brook.proto.v1.Header.Builder hb = io.brook.proto.v1.Header.newBuilder().setKey(random.nextBoolean() ? "h" + h : "ключ");
        if (random.nextBoolean()) {
          hb.setValue(ByteString.copyFrom(bytes(3)));
        }
        r.addHeaders(hb);
      }
      r.setTimestampMs(random.nextInt(3) == 0 ? 0 : random.nextInt(5) == 0 ? -1 - random.nextInt(10) : 1_700_000_000_000L + i);
      records.addRecords(r);
    }
    return ProduceRequest.newBuilder().setTopic(topic).setPartition(partition(topic)).setRecords(records)
        .setCompressionValue(random.nextInt(7)).setAcks(acks()).build();
  }

  private FetchRequest fetchRequest() {
    String topic = topic();
    long[] offsets = {0, 1, random.nextInt(2000), -1, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40};
    int[] maxBytes = {0, 1, 100, 1 << 20, -1, Integer.MAX_VALUE, 64 << 20};
    return FetchRequest.newBuilder().setTopic(topic).setPartition(partition(topic))
        .setOffset(offsets[random.nextInt(offsets.length)]).setMaxBytes(maxBytes[random.nextInt(maxBytes.length)])
        .setMaxWaitMs(random.nextInt(4) == 0 ? random.nextInt(30) : 0).setMinBytes(random.nextInt(3) - 1)
        .setFormatValue(random.nextInt(4)).build();
  }

  private ListOffsetsRequest listOffsetsRequest() {
    String topic = topic();
    long[] times = {0, -1, -2, 1_700_000_000_000L, Long.MAX_VALUE, Long.MIN_VALUE};
    return ListOffsetsRequest.newBuilder().setTopic(topic).setPartition(partition(topic)).setSpecValue(random.nextInt(5))
        .setTimestampMs(times[random.nextInt(times.length)]).build();
  }

  private MetadataRequest metadataRequest() {
    MetadataRequest.Builder b = MetadataRequest.newBuilder();
    for (int i = random.nextInt(4); i > 0; i--) {
      b.addTopics(random.nextBoolean() ? topic() : randomName());
    }
    return b.build();
  }

  /** Admin requests that are refused or change nothing (see the class comment). */
  private Input adminRequest() {
    String[] keys = {"retention.ms", "cleanup.policy", "max.message.bytes", "segment.bytes", "min.insync.replicas",
        "no.such.key", "", "x".repeat(3000)};
    String[] values = {"-5", "abc", "", "compact,delete", "99999999999999999999", "1", "\u0000"};
    return switch (random.nextInt(7)) {
      case 0 -> {
        CreateTopicRequest.Builder b = CreateTopicRequest.newBuilder().setValidateOnly(true)
            .setName(random.nextBoolean() ? randomName() : "fz-" + random.nextInt(100))
            .setPartitions(random.nextInt(3) - 1 + (random.nextInt(10) == 0 ? 200_000 : 0))
            .setReplicationFactor(random.nextInt(4) - 1);
        for (int i = random.nextInt(3); i > 0; i--) {
          b.putConfigs(keys[random.nextInt(keys.length)], values[random.nextInt(values.length)]);
        }
        yield new Input("admin create (validate only)", ADMIN + "CreateTopic", b.build().toByteArray());
      }
      case 1 -> new Input("admin delete", ADMIN + "DeleteTopic",
          DeleteTopicRequest.newBuilder().setName(randomName()).build().toByteArray());
      case 2 -> new Input("admin describe", ADMIN + "DescribeTopic", DescribeTopicRequest.newBuilder()
          .setName(random.nextBoolean() ? topic() : randomName()).build().toByteArray());
      case 3 -> {
        String name = random.nextBoolean() ? "fuzz" : randomName();
        int[] totals = {-1, 0, 1, 3, 100_001, Integer.MAX_VALUE}; // never a real increase
        yield new Input("admin create partitions", ADMIN + "CreatePartitions", CreatePartitionsRequest.newBuilder()
            .setName(name).setTotalPartitions(totals[random.nextInt(totals.length)]).build().toByteArray());
      }
      case 4 -> {
        // Real changes only on fuzz-alter, which takes no produce; on others only keys that do not exist.
        boolean alterTarget = random.nextBoolean();
        AlterTopicConfigRequest.Builder b = AlterTopicConfigRequest.newBuilder()
            .setName(alterTarget ? "fuzz-alter" : random.nextBoolean() ? "fuzz" : randomName());
        for (int i = random.nextInt(3); i > 0; i--) {
          String key = alterTarget ? keys[random.nextInt(keys.length)] : "no.such.key" + i;
          if (random.nextBoolean()) {
            b.putSet(key, values[random.nextInt(values.length)]);
          } else {
            b.addDelete(key);
          }
        }
        yield new Input("admin alter config", ADMIN + "AlterTopicConfig", b.build().toByteArray());
      }
      case 5 -> new Input("admin list", ADMIN + "ListTopics", ListTopicsRequest.newBuilder()
          .setIncludeInternal(random.nextBoolean()).build().toByteArray());
      default -> new Input("admin describe cluster", ADMIN + "DescribeCluster", DescribeClusterRequest.getDefaultInstance().toByteArray());
    };
  }

  /**
   * A serialized broker request mutated byte by byte. Admin requests are left out: a mutation could
   * turn a refused request into a real change (a topic with 100,000 partitions).
   */
  private Input mutatedBytes() {
    int k = random.nextInt(10);
    String method;
    byte[] b;
    if (k < 5) {
      method = BROKER + "Produce";
      b = (random.nextInt(3) == 0 ? plainProduceRequest() : produceRequest()).toByteArray();
    } else if (k < 8) {
      method = BROKER + "Fetch";
      b = fetchRequest().toByteArray();
    } else if (k < 9) {
      method = BROKER + "ListOffsets";
      b = listOffsetsRequest().toByteArray();
    } else {
      method = BROKER + "Metadata";
      b = metadataRequest().toByteArray();
    }
    for (int r = 1 + random.nextInt(3); r > 0; r--) {
      b = mutateBytes(b);
    }
    return new Input("mutated bytes", method, b);
  }

  private byte[] mutateBytes(byte[] in) {
    if (in.length == 0) {
      return bytes(1 + random.nextInt(8));
    }
    int pos = random.nextInt(in.length);
    byte[] out;
    switch (random.nextInt(7)) {
      case 0 -> {
        out = in.clone();
        out[pos] ^= (byte) (1 << random.nextInt(8));
      }
      case 1 -> {
        out = in.clone();
        out[pos] = (byte) random.nextInt(256);
      }
      case 2 -> out = Arrays.copyOf(in, pos);
      case 3 -> {
        byte[] ins = random.nextBoolean() ? bytes(1 + random.nextInt(6))
            : new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F}; // a varint: -1 / huge length
        out = new byte[in.length + ins.length];
        System.arraycopy(in, 0, out, 0, pos);
        System.arraycopy(ins, 0, out, pos, ins.length);
        System.arraycopy(in, pos, out, pos + ins.length, in.length - pos);
      }
      case 4 -> {
        int n = Math.min(in.length - pos, 1 + random.nextInt(16));
        out = new byte[in.length - n];
        System.arraycopy(in, 0, out, 0, pos);
        System.arraycopy(in, pos + n, out, pos, in.length - pos - n);
      }
      case 5 -> { // a field repeated: proto3 keeps the last value of a scalar, merges messages
        int n = Math.min(in.length - pos, 1 + random.nextInt(24));
        out = Arrays.copyOf(in, in.length + n);
        System.arraycopy(in, pos, out, in.length, n);
      }
      default -> {
        out = in.clone();
        out[pos] = (byte) (0x80 | random.nextInt(128)); // a varint that goes on
      }
    }
    return out;
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }
}
