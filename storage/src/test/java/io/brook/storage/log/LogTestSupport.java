package io.brook.storage.log;

import io.brook.storage.record.CompressionType;
import io.brook.storage.record.Record;
import io.brook.storage.record.RecordBatch;
import io.brook.storage.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Batches to append and decoding of what a log returns. */
final class LogTestSupport {
  private LogTestSupport() {}

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String string(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  /** One batch of values "prefix-0".. with the given timestamp and no keys. */
  static ByteBuffer batch(long timestamp, String... values) {
    RecordBatchBuilder b = new RecordBatchBuilder();
    for (String v : values) {
      b.append(timestamp, null, bytes(v));
    }
    return b.build();
  }

  static ByteBuffer keyed(CompressionType codec, long timestamp, String key, String value) {
    return new RecordBatchBuilder().compression(codec).append(timestamp, bytes(key), value == null ? null : bytes(value)).build();
  }

  /** Every record from {@code from} up to the log end (or HW bound), decoded, skipping those below {@code from}. */
  static List<Record> readAll(Log log, long from, long maxOffsetExclusive) {
    List<Record> out = new ArrayList<>();
    long next = from;
    while (next < Math.min(log.logEndOffset(), maxOffsetExclusive)) {
      LogReadResult r = log.read(next, 64 * 1024, maxOffsetExclusive);
      if (r.isEmpty()) {
        break;
      }
      for (RecordBatch batch : RecordBatch.iterate(r.records())) {
        batch.ensureValid();
        for (Record rec : batch.records()) {
          if (rec.offset() >= next) {
            out.add(rec);
          }
        }
        next = batch.nextOffset();
      }
    }
    return out;
  }

  static List<Record> readAll(Log log) {
    return readAll(log, log.logStartOffset(), Long.MAX_VALUE);
  }

  /** Half random, half repetitive bytes, so every codec has something to compress and something not to. */
  static byte[] payload(Random rnd, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = i % 2 == 0 ? (byte) rnd.nextInt() : (byte) ('a' + (i / 7) % 5);
    }
    return b;
  }

  /** Runs {@code body}, naming the seed in any failure so it can be replayed with -Dbrook.test.seed. */
  static void withSeed(long seed, long baseSeed, Runnable body) {
    try {
      body.run();
    } catch (Throwable t) {
      throw new AssertionError("[seed " + seed + ", replay with -Dbrook.test.seed=" + baseSeed + "] " + t.getMessage(), t);
    }
  }

  static List<String> values(List<Record> records) {
    return records.stream().map(r -> string(r.value())).toList();
  }
}
