package io.brook.broker;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.common.v1.ErrorDetail;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.Acks;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.FetchRequest;
import io.brook.proto.v1.FetchResponse;
import io.brook.proto.v1.ProduceRequest;
import io.brook.proto.v1.ProduceResponse;
import io.brook.proto.v1.Record;
import io.brook.proto.v1.RecordFormat;
import io.brook.proto.v1.RecordList;
import io.brook.broker.FuzzRequests.Input;
import io.brook.storage.record.BatchMutator;
import io.brook.storage.record.RecordBatch;
import io.grpc.CallOptions;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
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
 * <p>Inputs ({@link FuzzRequests}): produce requests carrying valid batches of every codec mutated
 * by {@link BatchMutator} (header fields, attributes, lengths, varints, header keys, codec
 * payloads, framing) or plain records; fetch, list-offsets and metadata requests with random and extreme
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

  private FuzzRequests requests;

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
    requests = new FuzzRequests(new Random(seed));
    try (TestNode node = TestNode.start(dir, Map.of()); LogRecorder logs = new LogRecorder()) {
      FuzzRequests.PARTITIONS.forEach((t, n) -> node.createTopic(t, n, t.equals("fuzz-compact") ? Map.of("cleanup.policy", "compact")
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
      Input in = requests.next();
      permits.acquire();
      long deadlineMs = DEADLINE_MS;
      var future = ClientCalls.futureUnaryCall(node.channel.newCall(RawGrpc.unary(in.method()),
          CallOptions.DEFAULT.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)), in.bytes());
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
    StreamObserver<ProduceRequest> stream = BrokerServiceGrpc.newStub(node.channel).produceStream(new StreamObserver<>() {
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
            count(in.kind() + " -> stream error " + r.getError().getCode());
          } else {
            count(in.kind() + " -> stream OK");
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
      ProduceRequest r = requests.produceRequest().toBuilder().setAcks(id % 2 == 0 ? Acks.ACKS_ALL : Acks.ACKS_LEADER)
          .setCorrelationId(id).build();
      while (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
        if (streamError[0] != null) {
          violations.add("ProduceStream ended after " + (id - 1) + " requests: " + Status.fromThrowable(streamError[0]));
          return;
        }
      }
      pending.put(id, new Input("stream produce", FuzzRequests.BROKER + "ProduceStream", r.toByteArray()));
      synchronized (stream) {
        stream.onNext(r);
      }
    }
    if (!permits.tryAcquire(IN_FLIGHT, 60, TimeUnit.SECONDS)) {
      violations.add("ProduceStream left " + pending.size() + " requests unanswered for 60 s");
    }
    stream.onCompleted();
    if (streamError[0] != null) {
      violations.add("ProduceStream ended: " + Status.fromThrowable(streamError[0]));
    }
  }

  private void count(String what) {
    outcomes.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
  }

  private void violation(Input in, String what) {
    if (violations.size() < 50) {
      violations.add(in.kind() + " " + in.method() + ": " + what + "; request bytes "
          + HexFormat.of().formatHex(Arrays.copyOf(in.bytes(), Math.min(in.bytes().length, 400))));
    }
  }

  private void onAnswer(Input in, byte[] response, Throwable failure) {
    if (failure == null) {
      count(in.kind() + " -> OK");
      if (in.method().equals(FuzzRequests.BROKER + "Produce")) {
        try {
          onProduceAccepted(in, ProduceResponse.parseFrom(response));
        } catch (InvalidProtocolBufferException e) {
          violation(in, "the answer does not parse: " + e.getMessage());
        }
      }
      return;
    }
    Status status = Status.fromThrowable(failure);
    if (status.getCode() == Status.Code.DEADLINE_EXCEEDED && in.method().endsWith("/Fetch") && asksToWait(in)) {
      count(in.kind() + " -> DEADLINE_EXCEEDED (our deadline on a long poll)");
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
      count(in.kind() + " -> " + status.getCode() + " without detail");
      return;
    }
    checkDetail(in, d, status.toString());
    count(in.kind() + " -> " + status.getCode() + "/" + d.getCode());
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
      return FetchRequest.parseFrom(in.bytes()).getMaxWaitMs() >= DEADLINE_MS;
    } catch (InvalidProtocolBufferException e) {
      return in.method().startsWith("brook.replication"); // replica fetches long-poll too
    }
  }

  // ------------------------------------------------------------------ accepted produces

  private void onProduceAccepted(Input in, ProduceResponse response) {
    ProduceRequest req;
    try {
      req = ProduceRequest.parseFrom(in.bytes());
    } catch (InvalidProtocolBufferException e) {
      violation(in, "accepted a produce request that does not parse here: " + e.getMessage());
      return;
    }
    if (response.getBaseOffset() < 0 || !FuzzRequests.PARTITIONS.containsKey(req.getTopic())) {
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
    accepted.add(new Accepted(req.getTopic(), response.getPartition(), response.getBaseOffset(), expected)); // the broker chose it for -1
  }

  /** Reads every partition back and checks each accepted produce against it; returns how many records matched. */
  private int readBack(TestNode node) {
    BrokerServiceGrpc.BrokerServiceBlockingStub stub = BrokerServiceGrpc.newBlockingStub(node.channel);
    Map<String, Map<Long, Record>> byPartition = new HashMap<>();
    for (Map.Entry<String, Integer> t : FuzzRequests.PARTITIONS.entrySet()) {
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
}
