package io.brook.bench.jmh;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.UnsafeByteOperations;
import io.brook.proto.v1.FetchResponse;
import io.brook.storage.Time;
import io.brook.storage.log.Log;
import io.brook.storage.log.LogConfig;
import io.brook.storage.log.LogReadResult;
import io.brook.storage.record.CompressionType;
import io.brook.storage.record.RecordBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A consumer's Fetch of 1 MiB (the default {@code max_bytes}) served from the page cache: {@link
 * Log#read(long, int, long)}, then the {@link FetchResponse} the broker builds around the bytes in
 * {@code BrokerGrpcService.read} for {@code RECORD_FORMAT_BATCHES} (the Java consumer), via {@code
 * setRecordBatches(UnsafeByteOperations.unsafeWrap(r.records()))}, then its serialization, which
 * stands for gRPC's framing of the response.
 *
 * <ul>
 *   <li>{@link #read}: the log read alone: offset-index lookup, a walk over the batch headers
 *       (one positional read each) to find the whole batches that fit in 1 MiB, then a 1 MiB heap
 *       buffer allocated and filled with a positional {@code FileChannel.read}.
 *   <li>{@link #readToByteArray}: read + build the response + {@code toByteArray()} (a second 1
 *       MiB allocation and copy).
 *   <li>{@link #readWriteToCodedOutputStream}: read + build + {@code getSerializedSize()} and
 *       {@code writeTo(CodedOutputStream)} into a reused array, closer to what gRPC's marshaller
 *       does (size for the length prefix, then the message written into the transport's buffers).
 * </ul>
 *
 * <p>The log is filled once per trial with {@value #PREFILL_BYTES} bytes of uncompressed producer
 * batches ({@value Batches#RECORDS_PER_BATCH} × {@value Batches#VALUE_BYTES}-byte records each,
 * 8,797 bytes) in one segment (default 1 GiB segments), in a temporary directory (under {@code
 * -Dbrook.jmh.dir} if set) deleted at tear-down; being just written, it is in the page cache. Each
 * invocation starts at the next batch's base offset (cycling over the batches for which a full 1
 * MiB follows), so consecutive reads hit different index entries and file positions; every read
 * returns about 1 MiB of whole batches (just under: batches are never split).
 *
 * <p>Reported: average time per fetch, in µs/op. Throughput in MB/s is about 1,048,576 / (µs/op).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
public class FetchReadBenchmark {
  static final int FETCH_BYTES = 1024 * 1024;
  static final int PREFILL_BYTES = 32 * 1024 * 1024;

  private Path dir;
  private Log log;
  private long[] startOffsets;
  private int next;
  /** The offset the last {@link #readNext()} asked for (what a FetchRequest names). */
  private long offset;
  private byte[] wire;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dir = Batches.tempDir("brook-jmh-fetch-");
    log = Log.open(dir.resolve("bench-0"), LogConfig.from(Map.of()), Time.SYSTEM);
    ByteBuffer batch = Batches.producerBatch(Batches.RECORDS_PER_BATCH, Batches.VALUE_BYTES, CompressionType.NONE);
    int batches = PREFILL_BYTES / batch.remaining();
    long[] bases = new long[batches];
    ByteBuffer copy = ByteBuffer.allocate(batch.remaining());
    for (int i = 0; i < batches; i++) {
      copy.clear();
      copy.put(batch.duplicate()).flip();
      bases[i] = log.appendAsLeader(copy, 1).firstOffset();
    }
    log.updateHighWatermark(log.logEndOffset());
    int withFullFetchAfter = batches - (FETCH_BYTES / batch.remaining() + 2);
    startOffsets = Arrays.copyOf(bases, withFullFetchAfter);
    wire = new byte[FETCH_BYTES + 4096];
    // Fail fast if a read is not what the benchmark claims.
    LogReadResult r = log.read(startOffsets[startOffsets.length - 1], FETCH_BYTES, log.logEndOffset());
    if (r.records().remaining() < FETCH_BYTES - batch.remaining() || r.records().remaining() > FETCH_BYTES) {
      throw new IllegalStateException("a fetch read " + r.records().remaining() + " bytes");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    try {
      if (log != null) {
        log.delete();
      }
    } finally {
      Batches.deleteRecursively(dir);
    }
  }

  private LogReadResult readNext() {
    offset = startOffsets[next];
    if (++next == startOffsets.length) {
      next = 0;
    }
    return log.read(offset, FETCH_BYTES, log.highWatermark());
  }

  /** The response {@code BrokerGrpcService.read} builds for RECORD_FORMAT_BATCHES. */
  private static FetchResponse response(LogReadResult r, long offset) {
    return FetchResponse.newBuilder()
        .setTopic("bench")
        .setPartition(0)
        .setHighWatermark(r.highWatermark())
        .setLogStartOffset(r.logStartOffset())
        .setLogEndOffset(r.logEndOffset())
        .setNextOffset(nextOffset(r.records().duplicate(), offset))
        .setRecordBatches(UnsafeByteOperations.unsafeWrap(r.records()))
        .build();
  }

  /** As {@code RecordConversions.nextOffset} (broker): the offset after the last batch read. */
  private static long nextOffset(ByteBuffer batches, long dflt) {
    long nextOffset = dflt;
    for (RecordBatch batch : RecordBatch.iterate(batches)) {
      nextOffset = batch.nextOffset();
    }
    return nextOffset;
  }

  @Benchmark
  public LogReadResult read() {
    return readNext();
  }

  @Benchmark
  public byte[] readToByteArray() {
    LogReadResult r = readNext();
    return response(r, offset).toByteArray();
  }

  @Benchmark
  public int readWriteToCodedOutputStream() throws IOException {
    LogReadResult r = readNext();
    FetchResponse response = response(r, offset);
    int size = response.getSerializedSize();
    CodedOutputStream out = CodedOutputStream.newInstance(wire, 0, size);
    response.writeTo(out);
    out.checkNoSpaceLeft();
    return size;
  }
}
