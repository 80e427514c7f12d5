package io.brook.bench.jmh;

import io.brook.storage.record.CompressionType;
import io.brook.storage.record.RecordBatch;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a leader spends checking one producer batch before it appends it: the checks {@code
 * Log.appendAsLeader} runs on every batch of every Produce request (in {@code Log.validate}).
 *
 * <ul>
 *   <li>{@link #ensureValid}: {@link RecordBatch#ensureValid()}, the framing checks (size, length
 *       field, magic, codec id, counts) and the CRC-32C over the batch after its crc field. This is
 *       also all a follower checks on replicated batches.
 *   <li>{@link #validateRecords}: {@link RecordBatch#validateRecords(boolean, boolean, int)} as
 *       the leader calls it for a producer batch ({@code producerBatch = true}, {@code requireKeys =
 *       false}: a delete-policy log, {@code maxMessageBytes} = the default 1 MiB + 12): the
 *       producer header rules, then every record decoded (varints, lengths, offset deltas,
 *       headers, max timestamp), decompressing a compressed section as a stream.
 * </ul>
 *
 * <p>Input: one batch of {@value Batches#RECORDS_PER_BATCH} records with {@value
 * Batches#VALUE_BYTES}-byte values and no key (8,797 bytes uncompressed, 8,640 with lz4, 5,427 with
 * zstd), built by the real
 * {@code RecordBatchBuilder}, uncompressed or with the {@code codec} parameter ({@code NONE},
 * {@code LZ4}, {@code ZSTD}; {@code -p codec=GZIP,SNAPPY} also works).
 *
 * <p>Reported: average time per batch, in ns/op (one op = one batch). Divide by {@value
 * Batches#RECORDS_PER_BATCH} for the cost per record.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
public class BatchValidationBenchmark {
  @Param({"NONE", "LZ4", "ZSTD"})
  public String codec;

  private RecordBatch batch;
  private int maxMessageBytes;

  @Setup
  public void setUp() {
    ByteBuffer bytes =
        Batches.producerBatch(Batches.RECORDS_PER_BATCH, Batches.VALUE_BYTES, CompressionType.valueOf(codec));
    batch = RecordBatch.wrap(bytes);
    maxMessageBytes = RecordBatch.DEFAULT_MAX_MESSAGE_BYTES;
    // Fail fast if the input is not what a leader would accept.
    batch.ensureValid();
    batch.validateRecords(true, false, maxMessageBytes);
  }

  /** Framing + CRC-32C of the whole batch. */
  @Benchmark
  public RecordBatch ensureValid() {
    batch.ensureValid();
    return batch;
  }

  /** Decoding every record (and decompressing) as the leader checks a producer batch. */
  @Benchmark
  public RecordBatch validateRecords() {
    batch.validateRecords(true, false, maxMessageBytes);
    return batch;
  }
}
