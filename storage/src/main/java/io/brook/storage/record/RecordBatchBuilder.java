package io.brook.storage.record;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Builds one record batch in Kafka's v2 layout. Records are encoded into a reusable buffer as they
 * are appended, behind room left for the batch header; {@link #build()} compresses the records
 * section once (if a codec is set), writes the header and CRC-32C, and returns the finished bytes
 * as a new buffer; {@link #buildInPlace()} returns them as a view of the builder's own buffer,
 * with no copy. {@link #reset()} readies the builder for the next batch without giving up its
 * buffers, so a producer that pools builders and builds in place allocates nothing per batch.
 *
 * <p>Offsets: {@link #append} gives consecutive offset deltas from 0 (what producers send; the
 * leader rewrites the base offset on append). {@link #appendWithOffset} keeps given absolute
 * offsets, for the compactor, which rewrites a batch with some of its records removed while
 * preserving their offsets and the batch's offset span ({@link #lastOffsetDelta(int)}).
 *
 * <p>Not thread-safe.
 */
public final class RecordBatchBuilder {
  private final ByteArrayWriter records;
  private final ByteArrayWriter compressed;

  private CompressionType compression = CompressionType.NONE;
  private TimestampType timestampType = TimestampType.CREATE_TIME;
  private long baseOffset;
  private int partitionLeaderEpoch = RecordBatch.NO_PARTITION_LEADER_EPOCH;
  private long producerId = RecordBatch.NO_PRODUCER_ID;
  private short producerEpoch = RecordBatch.NO_PRODUCER_EPOCH;
  private int baseSequence = RecordBatch.NO_SEQUENCE;
  private boolean control;
  private boolean transactional;

  private int count;
  private int lastOffsetDelta = -1;
  private int forcedLastOffsetDelta = -1;
  private long baseTimestamp = RecordBatch.NO_TIMESTAMP;
  private long maxTimestamp = RecordBatch.NO_TIMESTAMP;

  public RecordBatchBuilder() {
    this(16 * 1024);
  }

  public RecordBatchBuilder(int initialCapacityBytes) {
    records = new ByteArrayWriter(RecordBatch.HEADER_SIZE + initialCapacityBytes);
    records.skip(RecordBatch.HEADER_SIZE); // the header goes here at build time
    compressed = new ByteArrayWriter(256);
  }

  public RecordBatchBuilder compression(CompressionType c) {
    requireEmpty();
    compression = c;
    return this;
  }

  public RecordBatchBuilder timestampType(TimestampType t) {
    timestampType = t;
    return this;
  }

  public RecordBatchBuilder baseOffset(long offset) {
    requireEmpty();
    baseOffset = offset;
    return this;
  }

  public RecordBatchBuilder partitionLeaderEpoch(int epoch) {
    partitionLeaderEpoch = epoch;
    return this;
  }

  public RecordBatchBuilder producer(long id, short epoch, int baseSequence) {
    this.producerId = id;
    this.producerEpoch = epoch;
    this.baseSequence = baseSequence;
    return this;
  }

  public RecordBatchBuilder control(boolean control) {
    this.control = control;
    return this;
  }

  public RecordBatchBuilder transactional(boolean transactional) {
    this.transactional = transactional;
    return this;
  }

  /** Makes the batch span {@code delta + 1} offsets even if its last record has a smaller delta. */
  public RecordBatchBuilder lastOffsetDelta(int delta) {
    forcedLastOffsetDelta = delta;
    return this;
  }

  public int recordCount() {
    return count;
  }

  public boolean isEmpty() {
    return count == 0;
  }

  /** Bytes the builder's records buffer holds without growing (it grows for outsized records). */
  public int capacityBytes() {
    return records.array().length - RecordBatch.HEADER_SIZE;
  }

  /** Bytes this batch takes uncompressed: what a producer compares with its batch size limit. */
  public int estimatedSizeBytes() {
    return records.size(); // header room included
  }

  /** Appends a record at the next offset delta (0, 1, 2, ...). */
  public RecordBatchBuilder append(long timestamp, byte[] key, byte[] value) {
    return append(timestamp, key, value, List.of());
  }

  public RecordBatchBuilder append(long timestamp, byte[] key, byte[] value, List<Header> headers) {
    write(lastOffsetDelta + 1, timestamp, key, value, headers);
    return this;
  }

  /**
   * Appends a record at an absolute offset, which must be above the previous record's and within
   * an int's distance of the base offset.
   */
  public RecordBatchBuilder appendWithOffset(
      long offset, long timestamp, byte[] key, byte[] value, List<Header> headers) {
    long delta = offset - baseOffset;
    if (delta <= lastOffsetDelta || delta > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "offset " + offset + " must be above the last appended offset " + (baseOffset + lastOffsetDelta));
    }
    write((int) delta, timestamp, key, value, headers);
    return this;
  }

  private void write(int offsetDelta, long timestamp, byte[] key, byte[] value, List<Header> headers) {
    if (count == 0) {
      baseTimestamp = timestamp;
    }
    long timestampDelta = timestamp - baseTimestamp;
    int bodySize = 1 + Varint.sizeOf(timestampDelta) + Varint.sizeOf(offsetDelta);
    bodySize += sizeOfBytes(key) + sizeOfBytes(value) + Varint.sizeOf(headers.size());
    byte[][] headerKeys = headers.isEmpty() ? null : new byte[headers.size()][];
    for (int i = 0; i < headers.size(); i++) {
      headerKeys[i] = headers.get(i).key().getBytes(StandardCharsets.UTF_8);
      bodySize += sizeOfBytes(headerKeys[i]) + sizeOfBytes(headers.get(i).value());
    }
    Varint.write(bodySize, records);
    records.writeByte(0);
    Varint.write(timestampDelta, records);
    Varint.write(offsetDelta, records);
    writeBytes(key);
    writeBytes(value);
    Varint.write(headers.size(), records);
    for (int i = 0; i < headers.size(); i++) {
      writeBytes(headerKeys[i]);
      writeBytes(headers.get(i).value());
    }
    count++;
    lastOffsetDelta = offsetDelta;
    maxTimestamp = Math.max(maxTimestamp, timestamp);
  }

  private static int sizeOfBytes(byte[] b) {
    return b == null ? Varint.sizeOf(-1) : Varint.sizeOf(b.length) + b.length;
  }

  private void writeBytes(byte[] b) {
    if (b == null) {
      Varint.write(-1, records);
    } else {
      Varint.write(b.length, records);
      records.write(b, 0, b.length);
    }
  }

  /** Encodes the batch into a new heap buffer (position 0, limit = size). */
  public ByteBuffer build() {
    ByteBuffer view = buildInPlace();
    ByteBuffer copy = ByteBuffer.allocate(view.remaining());
    return copy.put(view).flip();
  }

  /**
   * Encodes the batch in the builder's own buffer and returns a view of it (position 0, limit =
   * capacity = size, backed by the builder's array): no copy. The view stays valid until the
   * builder is next appended to, reset or built; a caller that pools builders must not reuse this
   * one while the bytes are still needed.
   */
  public ByteBuffer buildInPlace() {
    ByteArrayWriter out = records;
    if (compression != CompressionType.NONE) {
      compressed.reset(); // closing the codec stream closes the writer, a no-op, so it is reusable
      compressed.skip(RecordBatch.HEADER_SIZE);
      try (OutputStream codec = compression.wrapOutput(compressed)) {
        codec.write(records.array(), RecordBatch.HEADER_SIZE, records.size() - RecordBatch.HEADER_SIZE);
      } catch (IOException e) {
        throw new UncheckedIOException("compressing records with " + compression.configName, e);
      }
      out = compressed;
    }
    int size = out.size();
    ByteBuffer buf = ByteBuffer.wrap(out.array(), 0, size).slice();
    int lastDelta = forcedLastOffsetDelta >= 0 ? forcedLastOffsetDelta : Math.max(lastOffsetDelta, 0);
    int attributes = compression.id;
    if (timestampType == TimestampType.LOG_APPEND_TIME) {
      attributes |= RecordBatch.TIMESTAMP_TYPE_MASK;
    }
    if (control) {
      attributes |= RecordBatch.CONTROL_MASK;
    }
    if (transactional) {
      attributes |= RecordBatch.TRANSACTIONAL_MASK;
    }
    buf.putLong(baseOffset)
        .putInt(size - RecordBatch.LOG_OVERHEAD)
        .putInt(partitionLeaderEpoch)
        .put(RecordBatch.MAGIC)
        .putInt(0) // crc, below
        .putShort((short) attributes)
        .putInt(lastDelta)
        .putLong(count == 0 ? RecordBatch.NO_TIMESTAMP : baseTimestamp)
        .putLong(maxTimestamp)
        .putLong(producerId)
        .putShort(producerEpoch)
        .putInt(baseSequence)
        .putInt(count);
    if (buf.position() != RecordBatch.HEADER_SIZE) {
      throw new IllegalStateException("batch header took " + buf.position() + " bytes, expected " + RecordBatch.HEADER_SIZE);
    }
    CRC32C crc = new CRC32C();
    crc.update(out.array(), RecordBatch.ATTRIBUTES_OFFSET, size - RecordBatch.ATTRIBUTES_OFFSET);
    buf.putInt(RecordBatch.CRC_OFFSET, (int) crc.getValue());
    return buf.clear();
  }

  /** Forgets the records (and offsets, timestamps, producer fields) but keeps codec and buffers. */
  public RecordBatchBuilder reset() {
    records.reset();
    records.skip(RecordBatch.HEADER_SIZE);
    count = 0;
    lastOffsetDelta = -1;
    forcedLastOffsetDelta = -1;
    baseOffset = 0;
    baseTimestamp = RecordBatch.NO_TIMESTAMP;
    maxTimestamp = RecordBatch.NO_TIMESTAMP;
    partitionLeaderEpoch = RecordBatch.NO_PARTITION_LEADER_EPOCH;
    producerId = RecordBatch.NO_PRODUCER_ID;
    producerEpoch = RecordBatch.NO_PRODUCER_EPOCH;
    baseSequence = RecordBatch.NO_SEQUENCE;
    control = false;
    transactional = false;
    return this;
  }

  private void requireEmpty() {
    if (count != 0) {
      throw new IllegalStateException("set codec and base offset before appending records");
    }
  }
}
