package io.brook.storage.record;

import java.nio.ByteBuffer;

/**
 * The fast path of {@link RecordBatch#validateRecords(boolean, boolean, int)} for the common case:
 * an uncompressed, array-backed batch whose records carry no headers. It walks the records section
 * in place with the same rules as the general path (each record's length frames its fields
 * exactly, no field runs past its record, offset deltas strictly increase within {@code [0,
 * lastOffsetDelta]} and, for a producer batch, are exactly {@code 0..recordCount-1}, keys present
 * when required, the count, the last delta and the max timestamp match the header) but never
 * names an error: on anything it does not accept, or a record with headers, it answers false and
 * the general path checks the batch again and says what is wrong. So it can only be stricter than
 * the general path, never looser; {@code RecordBatchFuzzTest} runs both on damaged batches.
 *
 * <p>It exists because the general path's per-byte bookkeeping (chunked decompression, field
 * names for errors) cost about 15 ns per record on the produce path (JMH {@code
 * BatchValidationBenchmark}).
 */
final class UncompressedRecordsCheck {
  private final byte[] a;
  private int p;

  private UncompressedRecordsCheck(byte[] a, int p) {
    this.a = a;
    this.p = p;
  }

  /** Whether {@code batch} (whose bytes are {@code buf}) passes; false means "ask the general path". */
  static boolean passes(RecordBatch batch, ByteBuffer buf, boolean producerBatch, boolean requireKeys, int maxMessageBytes) {
    if (!buf.hasArray() || buf.limit() < RecordBatch.HEADER_SIZE || batch.compressionType() != CompressionType.NONE) {
      return false;
    }
    int sectionStart = buf.arrayOffset() + RecordBatch.HEADER_SIZE;
    int end = buf.arrayOffset() + buf.limit();
    if (end - sectionStart > RecordBatch.maxRecordsBytes(maxMessageBytes)) {
      return false;
    }
    return new UncompressedRecordsCheck(buf.array(), sectionStart).walk(batch, end, producerBatch, requireKeys);
  }

  private boolean walk(RecordBatch batch, int end, boolean producerBatch, boolean requireKeys) {
    int expected = batch.recordCount();
    int lastOffsetDelta = batch.lastOffsetDelta();
    long baseTimestamp = batch.baseTimestamp();
    long maxTimestamp = Long.MIN_VALUE;
    long lastDelta = -1;
    int count = 0;
    while (p < end) {
      if (count == expected) {
        return false;
      }
      long length = varint(end);
      if (length < RecordsReader.MIN_RECORD_BYTES || length > end - p) {
        return false;
      }
      int recordEnd = p + (int) length;
      p++; // attributes (MIN_RECORD_BYTES >= 1 guarantees the byte is inside the record)
      long timestampDelta = varlong(recordEnd);
      long delta = varint(recordEnd);
      if (timestampDelta == Long.MIN_VALUE || delta <= lastDelta || delta > lastOffsetDelta
          || (producerBatch && delta != count)) {
        return false;
      }
      long keyLength = varint(recordEnd);
      if (keyLength < -1 || keyLength > recordEnd - p || (requireKeys && keyLength < 0)) {
        return false;
      }
      p += (int) Math.max(keyLength, 0);
      long valueLength = varint(recordEnd);
      if (valueLength < -1 || valueLength > recordEnd - p) {
        return false;
      }
      p += (int) Math.max(valueLength, 0);
      if (varint(recordEnd) != 0 || p != recordEnd) {
        return false; // headers (the general path checks their keys) or bytes left over
      }
      maxTimestamp = Math.max(maxTimestamp, baseTimestamp + timestampDelta);
      lastDelta = delta;
      count++;
    }
    if (count != expected || (producerBatch && lastDelta != lastOffsetDelta)) {
      return false;
    }
    return !(producerBatch && batch.timestampType() == TimestampType.CREATE_TIME && maxTimestamp != batch.maxTimestamp());
  }

  /** A zig-zag varint of at most 5 bytes ending before {@code limit}; Long.MIN_VALUE if not. */
  private long varint(int limit) {
    int raw = 0;
    for (int shift = 0; shift <= 28; shift += 7) {
      if (p >= limit) {
        return Long.MIN_VALUE;
      }
      byte b = a[p++];
      raw |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return (raw >>> 1) ^ -(raw & 1);
      }
    }
    return Long.MIN_VALUE;
  }

  /** A zig-zag varlong of at most 10 bytes ending before {@code limit}; Long.MIN_VALUE if not. */
  private long varlong(int limit) {
    long raw = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      if (p >= limit) {
        return Long.MIN_VALUE;
      }
      byte b = a[p++];
      raw |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return (raw >>> 1) ^ -(raw & 1);
      }
    }
    return Long.MIN_VALUE;
  }
}
