package io.brook.bench.jmh;

import io.brook.storage.Time;
import io.brook.storage.log.Log;
import io.brook.storage.log.LogAppendInfo;
import io.brook.storage.log.LogConfig;
import io.brook.storage.record.CompressionType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * The leader's append of one producer batch to a partition log: {@link Log#appendAsLeader(ByteBuffer,
 * int)}, the storage half of every Produce request. It validates the batch (framing, CRC-32C,
 * every record: see {@link BatchValidationBenchmark}), assigns offsets and the leader epoch by
 * rewriting the header in place, writes the bytes to the active segment's {@code FileChannel}, and
 * updates the offset and time indexes, the leader-epoch cache and the log end offset.
 *
 * <ul>
 *   <li>{@link #appendAsLeader}: the above, for one uncompressed batch of {@value
 *       Batches#RECORDS_PER_BATCH} × {@value Batches#VALUE_BYTES}-byte records (8,797 bytes).
 *   <li>{@link #rawFileChannelWrite}: the baseline, the same bytes written with a positional
 *       {@link FileChannel#write(ByteBuffer, long)} at the end of a plain file, as {@code
 *       LogSegment.append} writes them. The difference between the two is the log's own work
 *       (validation, offset assignment, indexes, locking).
 * </ul>
 *
 * <p>Both copy the pre-built batch into a reused heap scratch buffer first (8,797 bytes, part of
 * the measured time), as the broker hands the log a fresh heap buffer per request and the append
 * rewrites its header.
 *
 * <p>The log lives in a temporary directory (under {@code -Dbrook.jmh.dir} if set), with the
 * default config except {@value #SEGMENT_BYTES}-byte segments and {@code retention.bytes} of
 * {@value #RETENTION_BYTES}: nothing is fsynced ({@code flush.messages} and {@code flush.ms} default
 * to never, as on a broker relying on replication), so this measures writes into the page cache.
 * To keep the disk footprint bounded, every {@value #RETENTION_EVERY} appends the benchmark
 * raises the high watermark to the log end and runs {@link Log#deleteOldSegments()}; segment rolls
 * (a new segment, its preallocated indexes, a producer-state snapshot) and those retention runs are
 * amortized into the per-append time. The baseline likewise starts a new file (deleting the old
 * one) every {@value #SEGMENT_BYTES} bytes. The log is deleted in the trial's tear-down.
 *
 * <p>Reported: average time per appended batch, in ns/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
public class LogAppendBenchmark {
  static final int SEGMENT_BYTES = 64 * 1024 * 1024;
  static final long RETENTION_BYTES = 2L * SEGMENT_BYTES;
  static final int RETENTION_EVERY = 4096;
  static final int LEADER_EPOCH = 1;

  private Path dir;
  private Log log;
  private ByteBuffer batch;
  private ByteBuffer scratch;
  private long appends;

  private Path rawDir;
  private FileChannel raw;
  private long rawPosition;
  private int rawFiles;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    batch = Batches.producerBatch(Batches.RECORDS_PER_BATCH, Batches.VALUE_BYTES, CompressionType.NONE);
    scratch = ByteBuffer.allocate(batch.remaining());
    dir = Batches.tempDir("brook-jmh-append-");
    log = Log.open(dir.resolve("bench-0"),
        LogConfig.from(Map.of(
            "segment.bytes", Integer.toString(SEGMENT_BYTES),
            "retention.bytes", Long.toString(RETENTION_BYTES))),
        Time.SYSTEM);
    rawDir = Files.createDirectories(dir.resolve("raw"));
    openRawFile();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    try {
      if (log != null) {
        log.delete(); // closes the segments and removes the log directory
      }
      if (raw != null) {
        raw.close();
      }
    } finally {
      Batches.deleteRecursively(dir);
    }
  }

  private ByteBuffer copyOfBatch() {
    scratch.clear();
    scratch.put(batch.duplicate());
    return scratch.flip();
  }

  @Benchmark
  public LogAppendInfo appendAsLeader() {
    LogAppendInfo info = log.appendAsLeader(copyOfBatch(), LEADER_EPOCH);
    if (++appends % RETENTION_EVERY == 0) {
      log.updateHighWatermark(log.logEndOffset());
      log.deleteOldSegments();
    }
    return info;
  }

  @Benchmark
  public long rawFileChannelWrite() throws IOException {
    ByteBuffer src = copyOfBatch();
    if (rawPosition + src.remaining() > SEGMENT_BYTES) {
      raw.close();
      Files.delete(rawFile(rawFiles - 1));
      openRawFile();
    }
    while (src.hasRemaining()) {
      rawPosition += raw.write(src, rawPosition);
    }
    return rawPosition;
  }

  private Path rawFile(int n) {
    return rawDir.resolve(String.format("%020d.log", n));
  }

  private void openRawFile() throws IOException {
    raw = FileChannel.open(rawFile(rawFiles++),
        StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    rawPosition = 0;
  }
}
