package io.brook.storage.record;

import io.brook.storage.CorruptRecordException;
import io.brook.storage.InvalidRecordException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.zip.CRC32C;

/**
 * A read-mostly view over one record batch in Kafka's v2 layout. The view does not copy: it reads
 * the header fields straight from the buffer, and {@link #setBaseOffset} / {@link
 * #setPartitionLeaderEpoch} rewrite them in place. Neither field is covered by the CRC, which
 * starts at the attributes, so a leader assigns offsets without recomputing the checksum or
 * re-encoding anything.
 *
 * <pre>
 * baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 (=2)
 * | crc uint32 (CRC-32C of attributes..end) | attributes int16 | lastOffsetDelta int32
 * | baseTimestamp int64 | maxTimestamp int64 | producerId int64 | producerEpoch int16
 * | baseSequence int32 | recordCount int32 | records...
 * </pre>
 *
 * <p>Not thread-safe; views are cheap, make one per thread.
 */
public final class RecordBatch {
  public static final byte MAGIC = 2;

  public static final int BASE_OFFSET_OFFSET = 0;
  public static final int LENGTH_OFFSET = 8;
  /** baseOffset + batchLength: the bytes before the length-counted part of a batch. */
  public static final int LOG_OVERHEAD = 12;

  public static final int PARTITION_LEADER_EPOCH_OFFSET = 12;
  public static final int MAGIC_OFFSET = 16;
  public static final int CRC_OFFSET = 17;
  public static final int ATTRIBUTES_OFFSET = 21;
  public static final int LAST_OFFSET_DELTA_OFFSET = 23;
  public static final int BASE_TIMESTAMP_OFFSET = 27;
  public static final int MAX_TIMESTAMP_OFFSET = 35;
  public static final int PRODUCER_ID_OFFSET = 43;
  public static final int PRODUCER_EPOCH_OFFSET = 51;
  public static final int BASE_SEQUENCE_OFFSET = 53;
  public static final int RECORD_COUNT_OFFSET = 57;
  /** Size of the batch header; the records start here. */
  public static final int HEADER_SIZE = 61;

  static final int COMPRESSION_MASK = 0x07;
  static final int TIMESTAMP_TYPE_MASK = 0x08;
  static final int TRANSACTIONAL_MASK = 0x10;
  static final int CONTROL_MASK = 0x20;
  /** The attribute bits a client may set: the codec only (Kafka's v2 defines bits 0-6; 3-6 are not a client's). */
  static final int PRODUCER_ATTRIBUTES = COMPRESSION_MASK;

  /** Kafka's default {@code max.message.bytes}: 1 MiB of records plus the batch's log overhead. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024 + 12;
  /**
   * A batch's records may decompress to at most this many times {@code max.message.bytes};
   * beyond it the batch is refused as a decompression bomb before more is inflated.
   */
  public static final int MAX_INFLATION = 64;

  public static final long NO_PRODUCER_ID = -1L;
  public static final short NO_PRODUCER_EPOCH = -1;
  public static final int NO_SEQUENCE = -1;
  public static final int NO_PARTITION_LEADER_EPOCH = -1;
  public static final long NO_TIMESTAMP = -1L;

  private final ByteBuffer buf;

  /** Views the batch occupying {@code buf} from index 0 to its limit (a slice of one batch). */
  private RecordBatch(ByteBuffer buf) {
    this.buf = buf;
  }

  /**
   * Views the batch that starts at {@code buffer}'s position and occupies exactly its remaining
   * bytes. Does not validate: call {@link #ensureValid()} before trusting the contents.
   */
  public static RecordBatch wrap(ByteBuffer buffer) {
    return new RecordBatch(buffer.slice());
  }

  /**
   * Iterates the batches packed back to back in {@code buffer} (position to limit). Every batch
   * must be complete: a short or trailing fragment throws {@link CorruptRecordException}. The
   * batches are framed by their length fields only; validate each before trusting it.
   */
  public static Iterable<RecordBatch> iterate(ByteBuffer buffer) {
    ByteBuffer b = buffer.slice();
    return () ->
        new Iterator<>() {
          int pos = 0;

          @Override
          public boolean hasNext() {
            return pos < b.limit();
          }

          @Override
          public RecordBatch next() {
            if (!hasNext()) {
              throw new NoSuchElementException();
            }
            int remaining = b.limit() - pos;
            int size = frameSize(b, pos, remaining);
            RecordBatch batch = new RecordBatch(b.slice(pos, size));
            pos += size;
            return batch;
          }
        };
  }

  /**
   * The total size of the batch framed at {@code pos}, checked against the {@code remaining}
   * bytes available. Throws {@link CorruptRecordException} when the frame is short or the length
   * field is impossible.
   */
  static int frameSize(ByteBuffer b, int pos, int remaining) {
    if (remaining < HEADER_SIZE) {
      throw new CorruptRecordException(
          "incomplete record batch: " + remaining + " bytes left, a batch header is " + HEADER_SIZE);
    }
    int length = b.getInt(pos + LENGTH_OFFSET);
    if (length < HEADER_SIZE - LOG_OVERHEAD) {
      throw new CorruptRecordException(
          "record batch length " + length + " is smaller than the header's " + (HEADER_SIZE - LOG_OVERHEAD));
    }
    if ((long) length + LOG_OVERHEAD > remaining) {
      throw new CorruptRecordException(
          "record batch claims "
              + (length + LOG_OVERHEAD)
              + " bytes but only "
              + remaining
              + " are present");
    }
    return length + LOG_OVERHEAD;
  }

  /** The bytes of this batch (a view; position 0, limit = size). */
  public ByteBuffer buffer() {
    return buf.duplicate();
  }

  public int sizeInBytes() {
    return buf.limit();
  }

  public long baseOffset() {
    return buf.getLong(BASE_OFFSET_OFFSET);
  }

  public int batchLength() {
    return buf.getInt(LENGTH_OFFSET);
  }

  public int lastOffsetDelta() {
    return buf.getInt(LAST_OFFSET_DELTA_OFFSET);
  }

  public long lastOffset() {
    return baseOffset() + lastOffsetDelta();
  }

  public long nextOffset() {
    return lastOffset() + 1;
  }

  public int partitionLeaderEpoch() {
    return buf.getInt(PARTITION_LEADER_EPOCH_OFFSET);
  }

  public byte magic() {
    return buf.get(MAGIC_OFFSET);
  }

  public long checksum() {
    return Integer.toUnsignedLong(buf.getInt(CRC_OFFSET));
  }

  public short attributes() {
    return buf.getShort(ATTRIBUTES_OFFSET);
  }

  /** The codec, or null when the attribute bits name none we know (the batch is then invalid). */
  public CompressionType compressionType() {
    return CompressionType.forId(attributes() & COMPRESSION_MASK);
  }

  public TimestampType timestampType() {
    return (attributes() & TIMESTAMP_TYPE_MASK) == 0
        ? TimestampType.CREATE_TIME
        : TimestampType.LOG_APPEND_TIME;
  }

  public boolean isTransactional() {
    return (attributes() & TRANSACTIONAL_MASK) != 0;
  }

  public boolean isControl() {
    return (attributes() & CONTROL_MASK) != 0;
  }

  public long baseTimestamp() {
    return buf.getLong(BASE_TIMESTAMP_OFFSET);
  }

  public long maxTimestamp() {
    return buf.getLong(MAX_TIMESTAMP_OFFSET);
  }

  public long producerId() {
    return buf.getLong(PRODUCER_ID_OFFSET);
  }

  public short producerEpoch() {
    return buf.getShort(PRODUCER_EPOCH_OFFSET);
  }

  public int baseSequence() {
    return buf.getInt(BASE_SEQUENCE_OFFSET);
  }

  public int recordCount() {
    return buf.getInt(RECORD_COUNT_OFFSET);
  }

  /** Rewrites the base offset in place (not covered by the CRC). */
  /**
   * A new batch holding this one's header with no records: the same base offset, offset span
   * ({@code lastOffsetDelta}), leader epoch, timestamps, producer id, epoch and base sequence, and
   * attributes except the codec (none: there is nothing to compress), with {@code recordCount} 0
   * and a fresh CRC. What log compaction keeps of a producer's last batch when all its records are
   * obsolete, so the producer's sequence survives (Kafka's {@code
   * DefaultRecordBatch.writeEmptyHeader}, used by its cleaner for the same purpose).
   */
  public ByteBuffer emptyCopy() {
    ByteBuffer out = ByteBuffer.allocate(HEADER_SIZE);
    out.put(buf.slice(0, HEADER_SIZE)).flip();
    out.putInt(LENGTH_OFFSET, HEADER_SIZE - LOG_OVERHEAD);
    out.putShort(ATTRIBUTES_OFFSET, (short) (attributes() & ~COMPRESSION_MASK));
    out.putInt(RECORD_COUNT_OFFSET, 0);
    CRC32C crc = new CRC32C();
    crc.update(out.slice(ATTRIBUTES_OFFSET, HEADER_SIZE - ATTRIBUTES_OFFSET));
    out.putInt(CRC_OFFSET, (int) crc.getValue());
    return out;
  }

  public void setBaseOffset(long baseOffset) {
    buf.putLong(BASE_OFFSET_OFFSET, baseOffset);
  }

  /** Rewrites the partition leader epoch in place (not covered by the CRC). */
  public void setPartitionLeaderEpoch(int epoch) {
    buf.putInt(PARTITION_LEADER_EPOCH_OFFSET, epoch);
  }

  /** CRC-32C of everything after the crc field, computed now. */
  public long computeChecksum() {
    CRC32C crc = new CRC32C();
    crc.update(buf.slice(ATTRIBUTES_OFFSET, buf.limit() - ATTRIBUTES_OFFSET));
    return crc.getValue();
  }

  public boolean isValid() {
    try {
      ensureValid();
      return true;
    } catch (CorruptRecordException e) {
      return false;
    }
  }

  /**
   * Checks the framing and integrity of the batch: size, magic, codec id, counts and CRC. Does not
   * decode records (see {@link #validateRecords}).
   *
   * @throws CorruptRecordException naming what is wrong
   */
  public void ensureValid() {
    int size = buf.limit();
    if (size < HEADER_SIZE) {
      throw new CorruptRecordException("record batch of " + size + " bytes is shorter than its header");
    }
    if (batchLength() + LOG_OVERHEAD != size) {
      throw new CorruptRecordException(
          "record batch length field says " + (batchLength() + LOG_OVERHEAD) + " bytes, batch has " + size);
    }
    if (magic() != MAGIC) {
      throw new CorruptRecordException("record batch magic is " + magic() + ", expected " + MAGIC);
    }
    long stored = checksum();
    long computed = computeChecksum();
    if (stored != computed) {
      throw new CorruptRecordException(
          "record batch at offset "
              + baseOffset()
              + " is corrupt: stored CRC "
              + stored
              + " != computed "
              + computed);
    }
    if (compressionType() == null) {
      throw new CorruptRecordException("record batch has unknown codec id " + (attributes() & COMPRESSION_MASK));
    }
    if (recordCount() < 0 || lastOffsetDelta() < 0) {
      throw new CorruptRecordException(
          "record batch has recordCount " + recordCount() + " and lastOffsetDelta " + lastOffsetDelta());
    }
  }

  /**
   * {@link #validateRecords(boolean, boolean, int)} with the default {@code max.message.bytes}
   * ({@value #DEFAULT_MAX_MESSAGE_BYTES} bytes) bounding decompression.
   */
  public void validateRecords(boolean producerBatch, boolean requireKeys) {
    validateRecords(producerBatch, requireKeys, DEFAULT_MAX_MESSAGE_BYTES);
  }

  /**
   * Decodes every record to check that the records section is consistent with the header, as
   * Kafka's {@code LogValidator} does for what clients send. Call {@link #ensureValid()} first.
   * A leader runs this on batches from producers; followers trust the CRC of bytes their leader
   * already validated.
   *
   * <p>Always checked: each record's length frames its fields exactly; no field runs past its
   * record; the count matches; offset deltas strictly increase within {@code [0,
   * lastOffsetDelta]}; header keys are present and well-formed UTF-8 (they are strings on the
   * decoded-records path); when {@code requireKeys} (a compacted log), every record has a key; a
   * compressed section is exactly one or more complete streams of its codec (see {@link
   * DecompressingInput}) and inflates to at most {@value #MAX_INFLATION} × {@code
   * maxMessageBytes}. Decompression streams in small chunks: validating never holds the whole
   * inflated section.
   *
   * <p>When {@code producerBatch}, also what a client may not write. As Kafka's validator: the
   * control bit; a producer id without a valid base sequence; an empty batch; {@code
   * lastOffsetDelta != recordCount - 1}; offset deltas other than exactly {@code 0..recordCount-1}.
   * Beyond it, because Brook stores a client's batch as sent and never rewrites its attributes or
   * timestamps: the transactional bit (Brook has no transactions), the log-append-time bit (only a
   * broker stamps append time), any attribute bit above the codec's; a producer epoch or sequence
   * without a producer id, a producer id below -1 or an epoch below 0; a {@code maxTimestamp} other
   * than the largest record timestamp (Kafka overwrites it; here it would mislead the time index).
   *
   * <p>Allocates nothing per record.
   *
   * @param maxMessageBytes the log's {@code max.message.bytes}; the decompressed section may be
   *     at most {@value #MAX_INFLATION} times this
   * @throws CorruptRecordException if the records section is not what the header claims or does
   *     not parse (CORRUPT_RECORD, Kafka's CORRUPT_MESSAGE)
   * @throws InvalidRecordException if the batch parses but breaks a rule above (INVALID_RECORD)
   */
  public void validateRecords(boolean producerBatch, boolean requireKeys, int maxMessageBytes) {
    if (producerBatch) {
      validateProducerHeader();
    }
    int expected = recordCount();
    int lastOffsetDelta = lastOffsetDelta();
    long baseTimestamp = baseTimestamp();
    long maxTimestamp = Long.MIN_VALUE;
    int count = 0;
    long lastDelta = -1;
    try (RecordsReader in = RecordsReader.open(compressionTypeOrThrow(), recordsBytes(), maxRecordsBytes(maxMessageBytes))) {
      while (in.hasMore()) {
        if (count == expected) {
          throw new CorruptRecordException("record batch declares " + expected + " records but holds more");
        }
        in.beginRecord(count);
        in.readByte("attributes");
        long timestampDelta = in.readVarlong("timestamp delta");
        int delta = in.readVarint("offset delta");
        if (delta <= lastDelta || delta > lastOffsetDelta) {
          throw new CorruptRecordException("record " + count + " has offset delta " + delta + "; expected above "
              + lastDelta + " and at most the batch's lastOffsetDelta " + lastOffsetDelta);
        }
        if (producerBatch && delta != count) {
          throw new CorruptRecordException("record " + count + " of a producer batch has offset delta " + delta
              + "; a producer numbers its records 0, 1, 2, ...");
        }
        int keyLength = in.readFieldLength("key");
        if (requireKeys && keyLength < 0) {
          throw new InvalidRecordException("compacted log requires a key on every record; record " + count + " has none");
        }
        in.skip(Math.max(keyLength, 0), "key");
        int valueLength = in.readFieldLength("value");
        in.skip(Math.max(valueLength, 0), "value");
        int headers = in.readVarint("header count");
        if (headers < 0 || headers > in.remainingInRecord() / 2) {
          throw new CorruptRecordException("record " + count + " claims " + headers + " headers in "
              + in.remainingInRecord() + " bytes");
        }
        for (int h = 0; h < headers; h++) {
          int keyLen = in.readFieldLength("header key");
          if (keyLen < 0) {
            throw new InvalidRecordException("record " + count + " has a header with a null key");
          }
          if (!in.readUtf8Check(keyLen, "header key")) {
            throw new InvalidRecordException("record " + count + " has a header key that is not valid UTF-8");
          }
          int valueLen = in.readFieldLength("header value");
          in.skip(Math.max(valueLen, 0), "header value");
        }
        in.endRecord();
        maxTimestamp = Math.max(maxTimestamp, baseTimestamp + timestampDelta);
        lastDelta = delta;
        count++;
      }
    }
    if (count != expected) {
      throw new CorruptRecordException("record batch declares " + expected + " records but holds " + count);
    }
    if (producerBatch && lastDelta != lastOffsetDelta) {
      throw new CorruptRecordException(
          "producer batch has lastOffsetDelta " + lastOffsetDelta + " but its last record has offset delta " + lastDelta);
    }
    if (producerBatch && timestampType() == TimestampType.CREATE_TIME && maxTimestamp != maxTimestamp()) {
      throw new CorruptRecordException("record batch has maxTimestamp " + maxTimestamp()
          + " but its largest record timestamp is " + maxTimestamp);
    }
  }

  /** The header rules for batches from clients; see {@link #validateRecords(boolean, boolean, int)}. */
  private void validateProducerHeader() {
    int attributes = attributes() & 0xFFFF;
    if ((attributes & CONTROL_MASK) != 0) {
      throw new InvalidRecordException("clients may not write control batches (attribute bit 5 is set)");
    }
    if ((attributes & TRANSACTIONAL_MASK) != 0) {
      throw new InvalidRecordException(
          "transactional batches are not supported: Brook has no transactions (attribute bit 4 is set)");
    }
    if ((attributes & TIMESTAMP_TYPE_MASK) != 0) {
      throw new InvalidRecordException(
          "clients may not write log-append-time batches (attribute bit 3 is set); the broker stamps append time");
    }
    if ((attributes & ~PRODUCER_ATTRIBUTES) != 0) {
      throw new InvalidRecordException(String.format(
          "record batch attributes 0x%04x set undefined bits 0x%04x", attributes, attributes & ~PRODUCER_ATTRIBUTES));
    }
    if (recordCount() <= 0) {
      throw new InvalidRecordException("producer batch with no records (recordCount " + recordCount() + ")");
    }
    if (lastOffsetDelta() != recordCount() - 1) {
      throw new CorruptRecordException("producer batch has lastOffsetDelta " + lastOffsetDelta() + " for "
          + recordCount() + " records; it must be recordCount - 1");
    }
    long producerId = producerId();
    short epoch = producerEpoch();
    int sequence = baseSequence();
    if (producerId == NO_PRODUCER_ID) {
      if (sequence != NO_SEQUENCE) {
        throw new InvalidRecordException("record batch has base sequence " + sequence + " but no producer id");
      }
      if (epoch != NO_PRODUCER_EPOCH) {
        throw new InvalidRecordException("record batch has producer epoch " + epoch + " but no producer id");
      }
    } else if (producerId < 0) {
      throw new InvalidRecordException("record batch has invalid producer id " + producerId);
    } else {
      if (epoch < 0) {
        throw new InvalidRecordException("record batch has producer id " + producerId + " but invalid producer epoch " + epoch);
      }
      if (sequence < 0) {
        throw new InvalidRecordException("record batch has producer id " + producerId + " but invalid base sequence " + sequence);
      }
    }
  }

  /**
   * How many bytes a batch's records may decompress to when {@code max.message.bytes} is {@code
   * maxMessageBytes}: {@value #MAX_INFLATION} times as many (at most 2 GiB).
   */
  public static long maxRecordsBytes(int maxMessageBytes) {
    return Math.min((long) Math.max(maxMessageBytes, HEADER_SIZE) * MAX_INFLATION, Integer.MAX_VALUE - 8);
  }

  /**
   * Decodes the records (decompressing if needed). Offsets are absolute, from the current base.
   *
   * @throws CorruptRecordException if the records do not parse, whatever the codec fails with
   */
  public List<Record> records() {
    int count = recordCount();
    List<Record> out = new ArrayList<>(Math.max(0, Math.min(count, 4096)));
    long base = baseOffset();
    long baseTs = baseTimestamp();
    long appendTime = timestampType() == TimestampType.LOG_APPEND_TIME ? maxTimestamp() : NO_TIMESTAMP;
    try (RecordsReader in = RecordsReader.open(compressionTypeOrThrow(), recordsBytes(), Integer.MAX_VALUE - 8)) {
      for (int i = 0; i < count; i++) {
        out.add(readRecord(in, i, base, baseTs, appendTime));
      }
      if (in.hasMore()) {
        throw new CorruptRecordException("bytes left over after record " + count + " of the batch, its declared last");
      }
    }
    return out;
  }

  private CompressionType compressionTypeOrThrow() {
    CompressionType codec = compressionType();
    if (codec == null) {
      throw new CorruptRecordException("record batch has unknown codec id " + (attributes() & COMPRESSION_MASK));
    }
    return codec;
  }

  /** The records section as stored (compressed or not). */
  private ByteBuffer recordsBytes() {
    if (buf.limit() < HEADER_SIZE) {
      throw new CorruptRecordException("record batch of " + buf.limit() + " bytes is shorter than its header");
    }
    return buf.slice(HEADER_SIZE, buf.limit() - HEADER_SIZE);
  }

  private static Record readRecord(RecordsReader in, int index, long baseOffset, long baseTimestamp, long appendTime) {
    in.beginRecord(index);
    in.readByte("attributes"); // record attributes: unused in v2
    long timestampDelta = in.readVarlong("timestamp delta");
    int offsetDelta = in.readVarint("offset delta");
    byte[] key = readBytes(in, "key");
    byte[] value = readBytes(in, "value");
    int headerCount = in.readVarint("header count");
    if (headerCount < 0 || headerCount > in.remainingInRecord() / 2) {
      throw new CorruptRecordException("record " + index + " claims " + headerCount + " headers in "
          + in.remainingInRecord() + " bytes");
    }
    List<Header> headers = headerCount == 0 ? List.of() : new ArrayList<>(headerCount);
    for (int i = 0; i < headerCount; i++) {
      byte[] hk = readBytes(in, "header key");
      if (hk == null) {
        throw new CorruptRecordException("record " + index + " has a header with a null key");
      }
      headers.add(new Header(new String(hk, StandardCharsets.UTF_8), readBytes(in, "header value")));
    }
    in.endRecord();
    long ts = appendTime != NO_TIMESTAMP ? appendTime : baseTimestamp + timestampDelta;
    return new Record(baseOffset + offsetDelta, ts, key, value, headers);
  }

  private static byte[] readBytes(RecordsReader in, String field) {
    int len = in.readFieldLength(field);
    return len < 0 ? null : in.readBytes(len, field);
  }

  @Override
  public String toString() {
    return "RecordBatch[baseOffset="
        + baseOffset()
        + ", lastOffset="
        + lastOffset()
        + ", count="
        + recordCount()
        + ", size="
        + sizeInBytes()
        + ", epoch="
        + partitionLeaderEpoch()
        + ", codec="
        + compressionType()
        + "]";
  }
}
