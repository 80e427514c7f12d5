package io.brook.bench.jmh;

import io.brook.storage.record.CompressionType;
import io.brook.storage.record.RecordBatch;
import io.brook.storage.record.RecordBatchBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Test data and scratch directories shared by the benchmarks (not a benchmark itself).
 *
 * <p>Batches are what a producer sends: built with the real {@link RecordBatchBuilder}, offset
 * deltas 0..n-1, no producer id, no key, one timestamp, and values of random upper-case ASCII
 * letters (as Kafka's {@code ProducerPerformance} generates them: random enough not to be trivially
 * compressible: the 80-record batch is 8,797 bytes uncompressed, 8,640 with lz4 (which has no
 * entropy coding), 5,427 with zstd, 5,536 with gzip). The seed is fixed, so every run measures
 * the same bytes.
 */
final class Batches {
  /** Records per batch in the validation, append and fetch benchmarks. */
  static final int RECORDS_PER_BATCH = 80;
  /** Value size of each record in bytes. */
  static final int VALUE_BYTES = 100;
  /** A fixed record timestamp (ms), so batches are byte-for-byte identical between runs. */
  static final long TIMESTAMP_MS = 1_767_225_600_000L; // 2026-01-01T00:00:00Z

  private Batches() {}

  /** A producer batch of {@code records} values of {@code valueBytes} each (position 0, limit = size). */
  static ByteBuffer producerBatch(int records, int valueBytes, CompressionType codec) {
    Random random = new Random(42);
    RecordBatchBuilder b = new RecordBatchBuilder().compression(codec);
    for (int i = 0; i < records; i++) {
      b.append(TIMESTAMP_MS, null, value(random, valueBytes));
    }
    return b.build();
  }

  /**
   * An uncompressed producer batch of as many {@code valueBytes} records as fit in {@code
   * maxBatchBytes} (the batch header included).
   */
  static ByteBuffer producerBatchUpTo(int maxBatchBytes, int valueBytes) {
    Random random = new Random(42);
    RecordBatchBuilder b = new RecordBatchBuilder();
    int recordBytes = -1;
    while (true) {
      int before = b.estimatedSizeBytes();
      if (recordBytes > 0 && before + recordBytes > maxBatchBytes) {
        break;
      }
      b.append(TIMESTAMP_MS, null, value(random, valueBytes));
      recordBytes = b.estimatedSizeBytes() - before;
    }
    ByteBuffer batch = b.build();
    if (batch.remaining() > maxBatchBytes) {
      throw new IllegalStateException("batch of " + batch.remaining() + " bytes exceeds " + maxBatchBytes);
    }
    RecordBatch.wrap(batch).ensureValid();
    return batch;
  }

  private static byte[] value(Random random, int size) {
    byte[] v = new byte[size];
    for (int j = 0; j < size; j++) {
      v[j] = (byte) ('A' + random.nextInt(26));
    }
    return v;
  }

  /**
   * A fresh temporary directory, under the directory named by the system property {@code
   * brook.jmh.dir} when set (pass {@code -jvmArgsAppend -Dbrook.jmh.dir=/data/disk} to measure
   * another disk), else under {@code java.io.tmpdir}.
   */
  static Path tempDir(String prefix) throws IOException {
    String base = System.getProperty("brook.jmh.dir");
    if (base == null || base.isBlank()) {
      return Files.createTempDirectory(prefix);
    }
    Path dir = Path.of(base);
    Files.createDirectories(dir);
    return Files.createTempDirectory(dir, prefix);
  }

  /** Deletes {@code dir} and everything in it, if it still exists. */
  static void deleteRecursively(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("deleting " + dir, e);
    }
  }
}
