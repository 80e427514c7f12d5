package io.brook.storage.record;

import io.brook.storage.CorruptRecordException;
import io.brook.storage.InvalidRecordException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
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
   * Decodes every record to check that the records section is consistent with the header: the
   * count matches, offset deltas strictly increase within {@code [0, lastOffsetDelta]} (and are
   * exactly {@code 0..n-1} when {@code producerBatch}), lengths frame each record exactly, and,
   * when {@code requireKeys}, no record lacks a key. A leader runs this on batches from
   * producers; followers trust the CRC of bytes their leader already validated.
   */
  public void validateRecords(boolean producerBatch, boolean requireKeys) {
    // Walks the framing without materialising records: a leader runs this on every produced
    // batch, so it must not allocate per record.
    ByteBuffer body = recordsSection();
    int expected = recordCount();
    int count = 0;
    long lastDelta = -1;
    while (body.hasRemaining()) {
      int length = Varint.readInt(body);
      if (length < 0 || length > body.remaining()) {
        throw new CorruptRecordException("record length " + length + " with " + body.remaining() + " bytes left");
      }
      int end = body.position() + length;
      body.get(); // attributes
      Varint.readLong(body); // timestamp delta
      long delta = Varint.readInt(body);
      if (delta <= lastDelta || delta > lastOffsetDelta()) {
        throw new CorruptRecordException("record offset delta " + delta + " out of order in batch");
      }
      if (producerBatch && delta != count) {
        throw new CorruptRecordException("record " + count + " of a producer batch has offset delta " + delta);
      }
      int keyLength = skipBytes(body, end);
      if (requireKeys && keyLength < 0) {
        throw new InvalidRecordException("compacted log requires a key on every record; record " + count + " has none");
      }
      skipBytes(body, end); // value
      int headers = Varint.readInt(body);
      if (headers < 0) {
        throw new CorruptRecordException("record header count " + headers + " is impossible");
      }
      for (int h = 0; h < headers; h++) {
        if (skipBytes(body, end) < 0) {
          throw new CorruptRecordException("record header with a null key");
        }
        skipBytes(body, end);
      }
      if (body.position() != end) {
        throw new CorruptRecordException("record length " + length + " does not match its contents");
      }
      lastDelta = delta;
      count++;
    }
    if (count != expected) {
      throw new CorruptRecordException("record batch declares " + expected + " records but holds " + count);
    }
    if (producerBatch && expected > 0 && lastDelta != lastOffsetDelta()) {
      throw new CorruptRecordException(
          "producer batch lastOffsetDelta " + lastOffsetDelta() + " != last record delta " + lastDelta);
    }
  }

  /** Skips a varint-length-prefixed field; returns its length (-1 for null). */
  private static int skipBytes(ByteBuffer in, int end) {
    int len = Varint.readInt(in);
    if (len < -1) {
      throw new CorruptRecordException("negative field length " + len);
    }
    if (len > end - in.position()) {
      throw new CorruptRecordException("field length " + len + " runs past the end of its record");
    }
    if (len > 0) {
      in.position(in.position() + len);
    }
    return len;
  }

  /** Decodes the records (decompressing if needed). Offsets are absolute, from the current base. */
  public List<Record> records() {
    ByteBuffer body = recordsSection();
    int count = recordCount();
    List<Record> out = new ArrayList<>(Math.min(count, 4096));
    long base = baseOffset();
    long baseTs = baseTimestamp();
    boolean logAppendTime = timestampType() == TimestampType.LOG_APPEND_TIME;
    long maxTs = maxTimestamp();
    for (int i = 0; i < count; i++) {
      out.add(readRecord(body, base, baseTs, logAppendTime ? maxTs : NO_TIMESTAMP));
    }
    if (body.hasRemaining()) {
      throw new CorruptRecordException(body.remaining() + " bytes left over after the last record of the batch");
    }
    return out;
  }

  private ByteBuffer recordsSection() {
    ByteBuffer raw = buf.slice(HEADER_SIZE, buf.limit() - HEADER_SIZE);
    CompressionType codec = compressionType();
    if (codec == null) {
      throw new CorruptRecordException("record batch has unknown codec id " + (attributes() & COMPRESSION_MASK));
    }
    if (codec == CompressionType.NONE) {
      return raw;
    }
    byte[] compressed = new byte[raw.remaining()];
    raw.get(compressed);
    try (InputStream in = codec.wrapInput(new ByteArrayInputStream(compressed))) {
      return ByteBuffer.wrap(in.readAllBytes());
    } catch (IOException | RuntimeException e) {
      throw new CorruptRecordException(
          "cannot decompress " + codec.configName + " records of batch at offset " + baseOffset() + ": " + e);
    }
  }

  private static Record readRecord(ByteBuffer in, long baseOffset, long baseTimestamp, long appendTime) {
    int length = Varint.readInt(in);
    if (length < 0 || length > in.remaining()) {
      throw new CorruptRecordException("record length " + length + " with " + in.remaining() + " bytes left");
    }
    int end = in.position() + length;
    in.get(); // record attributes: unused in v2
    long timestampDelta = Varint.readLong(in);
    int offsetDelta = Varint.readInt(in);
    byte[] key = readBytes(in, end);
    byte[] value = readBytes(in, end);
    int headerCount = Varint.readInt(in);
    if (headerCount < 0 || headerCount > end - in.position()) {
      throw new CorruptRecordException("record header count " + headerCount + " is impossible");
    }
    List<Header> headers = headerCount == 0 ? List.of() : new ArrayList<>(headerCount);
    for (int i = 0; i < headerCount; i++) {
      byte[] hk = readBytes(in, end);
      if (hk == null) {
        throw new CorruptRecordException("record header with a null key");
      }
      headers.add(new Header(new String(hk, StandardCharsets.UTF_8), readBytes(in, end)));
    }
    if (in.position() != end) {
      throw new CorruptRecordException("record length " + length + " does not match its contents");
    }
    long ts = appendTime != NO_TIMESTAMP ? appendTime : baseTimestamp + timestampDelta;
    return new Record(baseOffset + offsetDelta, ts, key, value, headers);
  }

  private static byte[] readBytes(ByteBuffer in, int end) {
    int len = Varint.readInt(in);
    if (len < 0) {
      if (len == -1) {
        return null;
      }
      throw new CorruptRecordException("negative field length " + len);
    }
    if (len > end - in.position()) {
      throw new CorruptRecordException("field length " + len + " runs past the end of its record");
    }
    byte[] b = new byte[len];
    in.get(b);
    return b;
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
