package io.brook.bench.jmh;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import io.brook.proto.v1.Acks;
import io.brook.proto.v1.ProduceRequest;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The protobuf framing around one record batch on the produce path, client to broker, and the
 * broker's extraction of the batch bytes before {@code Log.appendAsLeader}. The payload is one
 * uncompressed producer batch of at most {@value #BATCH_BYTES} bytes (as many {@value
 * Batches#VALUE_BYTES}-byte records as fit: 74 records, 8,137 bytes) in a {@link ProduceRequest}
 * carrying it in {@code record_batches}.
 *
 * <ul>
 *   <li>{@link #serialize}: what the producer's {@code Sender} does per batch: build the request
 *       around {@code UnsafeByteOperations.unsafeWrap(batch)} and serialize it ({@code
 *       toByteArray()}, standing for gRPC's marshaller writing it out).
 *   <li>{@link #parse}: {@code ProduceRequest.parseFrom(byte[])}, standing for gRPC's unmarshaller
 *       on the broker (which copies the {@code bytes} field out of the input).
 *   <li>{@link #extractToByteArray}: {@code ByteBuffer.wrap(req.getRecordBatches().toByteArray())},
 *       what {@code BrokerGrpcService.handleProduce} does now: a fresh array per request.
 *   <li>{@link #extractReadOnlyIntoScratch}: the alternative: {@code
 *       req.getRecordBatches().asReadOnlyByteBuffer()} (no copy) copied into a reused scratch
 *       buffer (same bytes copied, no allocation). It must be a writable copy because {@code
 *       Log.appendAsLeader} rewrites batch headers in place (given a read-only buffer, the log
 *       allocates its own copy), and reusing it assumes the log does not keep the buffer after
 *       the append returns.
 * </ul>
 *
 * <p>Reported: average time per request, in ns/op. Run with {@code -prof gc} to see the
 * allocation per request ({@code gc.alloc.rate.norm}), which is where the two extraction variants
 * differ.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
public class ProduceFramingBenchmark {
  static final int BATCH_BYTES = 8 * 1024;

  private ByteBuffer batch;
  private byte[] serialized;
  private ProduceRequest parsed;
  private ByteBuffer scratch;
  private long correlationId;

  @Setup
  public void setUp() throws InvalidProtocolBufferException {
    batch = Batches.producerBatchUpTo(BATCH_BYTES, Batches.VALUE_BYTES);
    serialized = request(batch, 1).toByteArray();
    parsed = ProduceRequest.parseFrom(serialized);
    if (!parsed.getRecordBatches().equals(UnsafeByteOperations.unsafeWrap(batch.duplicate()))) {
      throw new IllegalStateException("round trip changed the batch");
    }
    scratch = ByteBuffer.allocate(batch.remaining());
  }

  /** As the producer's {@code Sender.send} builds it. */
  private static ProduceRequest request(ByteBuffer batch, long correlationId) {
    return ProduceRequest.newBuilder()
        .setTopic("bench")
        .setPartition(0)
        .setAcks(Acks.ACKS_ALL)
        .setTimeoutMs(30_000)
        .setRecordBatches(UnsafeByteOperations.unsafeWrap(batch.duplicate()))
        .setCorrelationId(correlationId)
        .build();
  }

  @Benchmark
  public byte[] serialize() {
    return request(batch, ++correlationId).toByteArray();
  }

  @Benchmark
  public ProduceRequest parse() throws InvalidProtocolBufferException {
    return ProduceRequest.parseFrom(serialized);
  }

  @Benchmark
  public ByteBuffer extractToByteArray() {
    return ByteBuffer.wrap(parsed.getRecordBatches().toByteArray());
  }

  @Benchmark
  public ByteBuffer extractReadOnlyIntoScratch() {
    ByteBuffer records = parsed.getRecordBatches().asReadOnlyByteBuffer();
    scratch.clear();
    scratch.put(records);
    return scratch.flip();
  }
}
