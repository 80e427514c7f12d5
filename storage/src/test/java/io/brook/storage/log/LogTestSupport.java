package io.brook.storage.log;

import io.brook.storage.record.CompressionType;
import io.brook.storage.record.Record;
import io.brook.storage.record.RecordBatch;
import io.brook.storage.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

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

  static List<String> values(List<Record> records) {
    return records.stream().map(r -> string(r.value())).toList();
  }
}
