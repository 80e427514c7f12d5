package io.brook.storage.perf;

import io.brook.storage.Time;
import io.brook.storage.log.Log;
import io.brook.storage.log.LogConfig;
import io.brook.storage.log.LogReadResult;
import io.brook.storage.record.CompressionType;
import io.brook.storage.record.RecordBatch;
import io.brook.storage.record.RecordBatchBuilder;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The storage engine benchmark behind {@code brook perf storage}: appends {@code numRecords}
 * records of {@code recordSize} random bytes in batches of {@code batchRecords} to one log, then
 * reads them back (raw batches as a fetch would, then decoding every record as a consumer would),
 * then closes and reopens the log (recovery of the active segment). Prints one summary line per
 * phase in the style of Kafka's perf tools. Batches are built before the clock starts, so the
 * append phase measures the log, not the encoder. The append phase is compared with a raw
 * {@link FileChannel} write of the same bytes in the same write sizes, alternating one batch each,
 * after an untimed warm-up of {@code warmupRecords} records through both paths, and the ratio (log append throughput / raw write throughput) is printed as {@code append/raw}.
 */
public final class StoragePerf {

  /** Benchmark parameters. */
  public record Options(
      Path dir, long numRecords, int recordSize, int batchRecords, CompressionType codec,
      int segmentBytes, boolean flushEveryAppend, long warmupRecords) {

    /** The options with no warm-up phase. */
    public Options(Path dir, long numRecords, int recordSize, int batchRecords, CompressionType codec,
        int segmentBytes, boolean flushEveryAppend) {
      this(dir, numRecords, recordSize, batchRecords, codec, segmentBytes, flushEveryAppend, 0);
    }
  }

  /** Figures of one run (per phase: records/s and MB/s). */
  public record Result(double appendRecordsPerSec, double appendMbPerSec, double appendToRawRatio,
      double readRecordsPerSec, double readMbPerSec, double decodeRecordsPerSec, double reopenMs, long bytesOnDisk) {}

  private StoragePerf() {}

  /**
   * Runs the benchmark in {@code o.dir()} (a {@code perf-0} log and a raw file, both deleted
   * after) and prints one line per phase to {@code out}.
   *
   * @throws IllegalStateException if the reopened log does not end where the appends did
   * @throws UncheckedIOException if the raw file cannot be written
   */
  public static Result run(Options o, PrintStream out) {
    Map<String, String> props = new HashMap<>();
    props.put("segment.bytes", Integer.toString(o.segmentBytes()));
    if (o.flushEveryAppend()) {
      props.put("flush.messages", "1");
    }
    LogConfig config = LogConfig.from(props);
    Path logDir = o.dir().resolve("perf-0");
    deleteRecursively(logDir);

    // A pool of distinct pre-built batches, appended round-robin (copied: appends rewrite offsets).
    Random random = new Random(1);
    ByteBuffer[] pool = new ByteBuffer[16];
    RecordBatchBuilder builder = new RecordBatchBuilder().compression(o.codec());
    for (int i = 0; i < pool.length; i++) {
      builder.reset();
      for (int r = 0; r < o.batchRecords(); r++) {
        byte[] value = new byte[o.recordSize()];
        // Half random, half repeated: compressible like real payloads, not trivially so.
        random.nextBytes(value);
        Arrays.fill(value, o.recordSize() / 2, o.recordSize(), (byte) 'x');
        builder.append(System.currentTimeMillis(), null, value);
      }
      pool[i] = builder.build();
    }
    long batches = (o.numRecords() + o.batchRecords() - 1) / o.batchRecords();
    long records = batches * o.batchRecords();
    double payloadMb = records * (double) o.recordSize() / (1024 * 1024);

    if (o.warmupRecords() > 0) {
      // Untimed: the same appends and raw writes into throwaway files, so the JIT has compiled
      // both paths before the clock starts (as JMH's warm-up iterations, or --warmup-records of
      // Kafka's perf tools). The files are deleted before the timed phase, dirty pages and all.
      long warmupBatches = (o.warmupRecords() + o.batchRecords() - 1) / o.batchRecords();
      Path warmupDir = o.dir().resolve("perf-warmup-0");
      deleteRecursively(warmupDir);
      Log warmup = Log.open(warmupDir, config, Time.SYSTEM);
      try {
        appendAndWrite(warmup, o, pool, warmupBatches, o.dir().resolve("perf-warmup-raw.bin"));
      } finally {
        warmup.close();
        deleteRecursively(warmupDir);
      }
    }
    Log log = Log.open(logDir, config, Time.SYSTEM);
    long[] ns = appendAndWrite(log, o, pool, batches, o.dir().resolve("perf-raw.bin"));
    double appendSec = ns[0] / 1e9;
    double rawSec = ns[1] / 1e9;
    log.updateHighWatermark(log.logEndOffset());
    long bytesOnDisk = log.sizeInBytes();
    double appendRps = records / appendSec;
    double appendMbps = payloadMb / appendSec;
    double ratio = rawSec / appendSec;
    out.printf("append: %d records, %d bytes on disk in %d segments, %.1f records/sec (%.2f MB/sec), %.1f us/batch (%d records/batch, codec %s%s)%n",
        records, bytesOnDisk, log.numberOfSegments(), appendRps, appendMbps, appendSec * 1e6 / batches,
        o.batchRecords(), o.codec().configName, o.flushEveryAppend() ? ", fsync every append" : "");
    out.printf("raw: the same bytes by FileChannel.write, %d-byte writes: %.2f MB/sec of batches; log append %.2f MB/sec of batches%n",
        pool[0].remaining(), bytesOnDisk / 1024.0 / 1024 / rawSec, bytesOnDisk / 1024.0 / 1024 / appendSec);
    out.printf("append/raw: %.2f (log append throughput over raw FileChannel write throughput, same bytes, alternating batches, after %d warm-up records)%n",
        ratio, o.warmupRecords());

    // Raw read, as a fetch: whole batches in 1 MiB reads.
    long start = System.nanoTime();
    long next = 0;
    long readBytes = 0;
    while (next < log.logEndOffset()) {
      LogReadResult r = log.read(next, 1024 * 1024, Long.MAX_VALUE);
      ByteBuffer buf = r.records();
      readBytes += buf.remaining();
      int pos = buf.position();
      while (pos < buf.limit()) {
        long base = buf.getLong(pos + RecordBatch.BASE_OFFSET_OFFSET);
        next = base + buf.getInt(pos + RecordBatch.LAST_OFFSET_DELTA_OFFSET) + 1;
        pos += buf.getInt(pos + RecordBatch.LENGTH_OFFSET) + RecordBatch.LOG_OVERHEAD;
      }
    }
    double readSec = (System.nanoTime() - start) / 1e9;
    out.printf("read: %d records, %.1f records/sec (%.2f MB/sec of batches), 1 MiB reads%n",
        next, next / readSec, readBytes / 1024.0 / 1024 / readSec);

    // Decoding read, as a consumer: CRC check and every record decoded.
    start = System.nanoTime();
    next = 0;
    long decoded = 0;
    while (next < log.logEndOffset()) {
      LogReadResult r = log.read(next, 1024 * 1024, Long.MAX_VALUE);
      for (RecordBatch batch : RecordBatch.iterate(r.records())) {
        batch.ensureValid();
        decoded += batch.records().size();
        next = batch.nextOffset();
      }
    }
    double decodeSec = (System.nanoTime() - start) / 1e9;
    out.printf("decode: %d records, %.1f records/sec (CRC checked, every record decoded)%n", decoded, decoded / decodeSec);

    log.close();
    start = System.nanoTime();
    Log reopened = Log.open(logDir, config, Time.SYSTEM);
    double reopenMs = (System.nanoTime() - start) / 1e6;
    long end = reopened.logEndOffset();
    reopened.close();
    out.printf("reopen: %.1f ms (active segment validated), log end offset %d%n", reopenMs, end);
    if (end != records) {
      throw new IllegalStateException("reopened log ends at " + end + ", expected " + records);
    }
    deleteRecursively(logDir);
    return new Result(appendRps, appendMbps, ratio, next / readSec, readBytes / 1024.0 / 1024 / readSec,
        decoded / decodeSec, reopenMs, bytesOnDisk);
  }

  /**
   * Appends {@code batches} pool batches round-robin to {@code log} and writes the same bytes to
   * {@code rawFile} (deleted after) with plain {@link FileChannel#write(ByteBuffer)} calls,
   * alternating one batch each, so that both meet the same page-cache, writeback and CPU-cache
   * conditions. Returns the nanoseconds spent in the log's appends and in the raw writes.
   */
  private static long[] appendAndWrite(Log log, Options o, ByteBuffer[] pool, long batches, Path rawFile) {
    long appendNs = 0;
    long rawNs = 0;
    try (FileChannel raw = FileChannel.open(rawFile, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      Appender logAppender = b -> log.appendAsLeader(b, 0);
      Appender rawAppender = b -> {
        while (b.hasRemaining()) {
          raw.write(b);
        }
        if (o.flushEveryAppend()) {
          raw.force(false);
        }
      };
      ByteBuffer scratch = ByteBuffer.allocate(pool[0].capacity() * 2);
      for (long b = 0; b < batches; b++) {
        ByteBuffer src = pool[(int) (b % pool.length)];
        rawNs += timeAppend(src, scratch, rawAppender);
        appendNs += timeAppend(src, scratch, logAppender);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      try {
        Files.deleteIfExists(rawFile);
      } catch (IOException ignored) {
        // a temp file in the benchmark directory
      }
    }
    return new long[] {appendNs, rawNs};
  }

  @FunctionalInterface
  private interface Appender {
    void append(ByteBuffer batches) throws IOException;
  }

  /**
   * Copies {@code src} into {@code scratch} (appends rewrite offsets, so the pool must stay
   * intact; the copy is outside the clock) and returns the nanoseconds {@code appender} takes.
   */
  private static long timeAppend(ByteBuffer src, ByteBuffer scratch, Appender appender) throws IOException {
    scratch.clear();
    scratch.put(src.duplicate()).flip();
    long t0 = System.nanoTime();
    appender.append(scratch);
    return System.nanoTime() - t0;
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
