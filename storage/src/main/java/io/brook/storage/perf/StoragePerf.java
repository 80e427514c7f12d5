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
 * {@link FileChannel} write of the same bytes in the same write sizes, run in alternating rounds,
 * and the ratio (log append throughput / raw write throughput) is printed as {@code append/raw}.
 */
public final class StoragePerf {

  /** Benchmark parameters. */
  public record Options(
      Path dir, long numRecords, int recordSize, int batchRecords, CompressionType codec,
      int segmentBytes, boolean flushEveryAppend) {}

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

    Log log = Log.open(logDir, config, Time.SYSTEM);
    // The append phase and its baseline, a raw FileChannel write of the same bytes, run in
    // alternating rounds of ROUND_BATCHES batches, so both meet the same page-cache and writeback
    // conditions (run one after the other, the second pays for the first's dirty pages).
    long appendNs = 0;
    long rawNs = 0;
    Path rawFile = o.dir().resolve("perf-raw.bin");
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
      for (long from = 0; from < batches; from += ROUND_BATCHES) {
        long to = Math.min(batches, from + ROUND_BATCHES);
        rawNs += timeAppends(pool, from, to, scratch, rawAppender);
        appendNs += timeAppends(pool, from, to, scratch, logAppender);
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
    double appendSec = appendNs / 1e9;
    double rawSec = rawNs / 1e9;
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
    out.printf("append/raw: %.2f (log append throughput over raw FileChannel write throughput, same bytes, alternating rounds)%n", ratio);

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

  /** Batches per round of the alternating append and raw-write phases (about 9 MB of 8 KiB batches). */
  private static final int ROUND_BATCHES = 1024;

  @FunctionalInterface
  private interface Appender {
    void append(ByteBuffer batches) throws IOException;
  }

  /**
   * Appends pool batches {@code from} (inclusive) to {@code to} (exclusive), round-robin, each
   * first copied into {@code scratch} (appends rewrite offsets, so the pool must stay intact; the
   * copy is outside the clock). Returns the nanoseconds spent in {@code appender}.
   */
  private static long timeAppends(ByteBuffer[] pool, long from, long to, ByteBuffer scratch, Appender appender)
      throws IOException {
    long ns = 0;
    for (long b = from; b < to; b++) {
      ByteBuffer src = pool[(int) (b % pool.length)];
      scratch.clear();
      scratch.put(src.duplicate()).flip();
      long t0 = System.nanoTime();
      appender.append(scratch);
      ns += System.nanoTime() - t0;
    }
    return ns;
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
