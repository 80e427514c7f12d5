package io.brook.storage.record;

import io.brook.storage.CorruptRecordException;
import io.brook.storage.InvalidRecordException;
import io.brook.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * Reads the records section of one batch front to back, decompressing as it goes, with every read
 * checked: nothing is read past the declared end of the current record or of the section, no
 * length is trusted before the bytes behind it are there, and the decompressed section may not
 * grow beyond {@code maxBytes}. A compressed section is decoded in chunks of {@value #CHUNK_BYTES}
 * bytes, never as a whole, so validating a batch allocates the same small amount whatever it
 * inflates to.
 *
 * <p>Errors: the bytes not being what they claim (a truncated varint, a record running past its
 * length, a codec failure of any kind, including the {@link Error}s some codec libraries throw) is
 * a {@link CorruptRecordException}; inflating beyond {@code maxBytes} is an {@link
 * InvalidRecordException}. Only {@link VirtualMachineError} and {@link LinkageError} (a broken
 * JVM or a missing native library: not the input's fault) pass through.
 *
 * <p>Not thread-safe; one per pass over a batch. Close it to free the codec's native state.
 */
final class RecordsReader implements AutoCloseable {
  static final int CHUNK_BYTES = 16 * 1024;
  /** attributes, timestamp delta, offset delta, key length, value length, header count: one byte each at least. */
  static final int MIN_RECORD_BYTES = 6;

  private final CompressionType codec;
  private final InputStream source; // null: the whole section is in buf
  private final long maxBytes;
  private byte[] buf;
  private int bufPos;
  private int bufLen;
  /** Section position of buf[0]: position() = base + bufPos. */
  private long base;
  /** Section length when known up front (no codec), else -1. */
  private final long knownLength;
  private long recordEnd = Long.MAX_VALUE;
  private int recordIndex = -1;
  private final Utf8Validator utf8 = new Utf8Validator();

  private RecordsReader(CompressionType codec, InputStream source, long maxBytes, byte[] buf, int from, int to,
      long knownLength) {
    this.codec = codec;
    this.source = source;
    this.maxBytes = maxBytes;
    this.buf = buf;
    this.bufPos = from;
    this.bufLen = to;
    this.base = -from;
    this.knownLength = knownLength;
  }

  /**
   * A reader over {@code section} (position to limit), the records section of a batch compressed
   * with {@code codec}, allowing it to decompress to at most {@code maxBytes}.
   */
  static RecordsReader open(CompressionType codec, ByteBuffer section, long maxBytes) {
    if (codec == CompressionType.NONE) {
      if (section.remaining() > maxBytes) {
        throw new InvalidRecordException(
            "records section of " + section.remaining() + " bytes exceeds the limit of " + maxBytes);
      }
      if (section.hasArray()) {
        int from = section.arrayOffset() + section.position();
        return new RecordsReader(codec, null, maxBytes, section.array(), from, from + section.remaining(),
            section.remaining());
      }
      byte[] copy = new byte[section.remaining()];
      section.duplicate().get(copy);
      return new RecordsReader(codec, null, maxBytes, copy, 0, copy.length, copy.length);
    }
    InputStream in;
    try {
      in = DecompressingInput.open(codec, section, maxBytes);
    } catch (Throwable t) {
      throw translate(codec, t);
    }
    return new RecordsReader(codec, in, maxBytes, new byte[CHUNK_BYTES], 0, 0, -1);
  }

  /** Bytes of the (decompressed) section read so far. */
  long position() {
    return base + bufPos;
  }

  /** Whether another byte follows; at the end of a compressed section, its codec stream has been checked whole. */
  boolean hasMore() {
    return bufPos < bufLen || refill();
  }

  /**
   * Starts record {@code index}: reads its length and bounds every following read by it.
   *
   * @throws CorruptRecordException if the length is negative or longer than what is left
   */
  void beginRecord(int index) {
    recordIndex = index;
    recordEnd = Long.MAX_VALUE;
    int length = readVarint("length");
    if (length < MIN_RECORD_BYTES) {
      throw new CorruptRecordException("record " + index + " has length " + length + "; a record takes at least "
          + MIN_RECORD_BYTES + " bytes");
    }
    long end = position() + length;
    if (knownLength >= 0 && end > knownLength) {
      throw new CorruptRecordException("record " + index + " claims " + length + " bytes but only "
          + (knownLength - position()) + " are left in the batch");
    }
    if (end > maxBytes) {
      throw inflatesBeyondLimit();
    }
    recordEnd = end;
  }

  /** Ends the current record: its declared length must be exactly what was read. */
  void endRecord() {
    if (position() != recordEnd) {
      throw new CorruptRecordException("record " + recordIndex + " declares " + (recordEnd - position())
          + " more bytes than its fields take");
    }
    recordEnd = Long.MAX_VALUE;
  }

  /** Bytes left in the current record. */
  long remainingInRecord() {
    return recordEnd - position();
  }

  byte readByte(String field) {
    if (position() >= recordEnd) {
      throw pastRecordEnd(field);
    }
    if (bufPos == bufLen && !refill()) {
      throw sectionEnds(field);
    }
    return buf[bufPos++];
  }

  /** A zig-zag varint of at most 5 bytes, as {@link Varint#readInt}. */
  int readVarint(String field) {
    return readVarint(field, "");
  }

  /**
   * {@link #readVarint(String)} for the field named {@code field + suffix} in errors: the name is
   * only put together when there is an error to report (this runs for every record).
   */
  private int readVarint(String field, String suffix) {
    int raw = 0;
    int shift = 0;
    while (true) {
      if (position() >= recordEnd) {
        throw pastRecordEnd(field + suffix);
      }
      if (bufPos == bufLen && !refill()) {
        throw sectionEnds(field + suffix);
      }
      byte b = buf[bufPos++];
      raw |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return (raw >>> 1) ^ -(raw & 1);
      }
      shift += 7;
      if (shift > 28) {
        throw new CorruptRecordException(where() + field + suffix + " is a varint longer than 5 bytes");
      }
    }
  }

  /** A zig-zag varlong of at most 10 bytes, as {@link Varint#readLong}. */
  long readVarlong(String field) {
    long raw = 0;
    int shift = 0;
    while (true) {
      byte b = readByte(field);
      raw |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return (raw >>> 1) ^ -(raw & 1);
      }
      shift += 7;
      if (shift > 63) {
        throw new CorruptRecordException(where() + field + " is a varlong longer than 10 bytes");
      }
    }
  }

  /**
   * The length prefix of a bytes field: -1 (null) or a length that fits in the rest of the
   * record.
   */
  int readFieldLength(String field) {
    int len = readVarint(field, " length");
    if (len < -1) {
      throw new CorruptRecordException(where() + field + " has negative length " + len);
    }
    if (len > remainingInRecord()) {
      throw new CorruptRecordException(where() + field + " of " + len + " bytes runs past the end of its record ("
          + remainingInRecord() + " bytes left)");
    }
    return len;
  }

  void skip(int n, String field) {
    int left = n;
    while (left > 0) {
      if (bufPos == bufLen && !refill()) {
        throw sectionEnds(field);
      }
      int step = Math.min(left, bufLen - bufPos);
      bufPos += step;
      left -= step;
    }
  }

  /**
   * Reads {@code n} bytes, which {@link #readFieldLength} has already bounded by the record. In a
   * compressed section, where the bytes behind a length are not known to exist yet, the array grows
   * with the bytes actually read, so a record that lies about its length costs no more than it holds.
   */
  byte[] readBytes(int n, String field) {
    byte[] out = new byte[source == null ? n : Math.min(n, CHUNK_BYTES * 4)];
    int done = 0;
    while (done < n) {
      if (bufPos == bufLen && !refill()) {
        throw sectionEnds(field);
      }
      if (done == out.length) {
        out = java.util.Arrays.copyOf(out, (int) Math.min(n, 2L * out.length));
      }
      int step = Math.min(out.length - done, bufLen - bufPos);
      System.arraycopy(buf, bufPos, out, done, step);
      bufPos += step;
      done += step;
    }
    return out;
  }

  /** Consumes {@code n} bytes and tells whether they are well-formed UTF-8. */
  boolean readUtf8Check(int n, String field) {
    Utf8Validator v = utf8.reset();
    int left = n;
    while (left > 0) {
      if (bufPos == bufLen && !refill()) {
        throw sectionEnds(field);
      }
      int step = Math.min(left, bufLen - bufPos);
      v.update(buf, bufPos, step);
      bufPos += step;
      left -= step;
    }
    return v.isComplete();
  }

  private boolean refill() {
    if (source == null) {
      return false;
    }
    base += bufLen;
    bufPos = 0;
    bufLen = 0;
    int n;
    try {
      do {
        n = source.read(buf, 0, buf.length);
      } while (n == 0);
    } catch (Throwable t) {
      throw translate(codec, t);
    }
    if (n < 0) {
      return false;
    }
    bufLen = n;
    if (base + n > maxBytes) {
      throw inflatesBeyondLimit();
    }
    return true;
  }

  private InvalidRecordException inflatesBeyondLimit() {
    return new InvalidRecordException("the " + codec.configName + " records section inflates beyond " + maxBytes
        + " bytes; a batch may inflate to at most " + RecordBatch.MAX_INFLATION + " times max.message.bytes");
  }

  /** Any failure of a codec library, of whatever type, as the corrupt input it is. */
  static RuntimeException translate(CompressionType codec, Throwable t) {
    if (t instanceof VirtualMachineError e) {
      throw e;
    }
    if (t instanceof LinkageError e) {
      throw e;
    }
    if (t instanceof StorageException e) {
      return e;
    }
    String what = t instanceof IOException && t.getClass() == IOException.class
        ? String.valueOf(t.getMessage()) : t.getClass().getSimpleName() + ": " + t.getMessage();
    return new CorruptRecordException("cannot decompress the " + codec.configName + " records section: " + what);
  }

  private String where() {
    return recordIndex >= 0 ? "record " + recordIndex + ": " : "";
  }

  private CorruptRecordException pastRecordEnd(String field) {
    return new CorruptRecordException(where() + field + " runs past the record's declared length");
  }

  private CorruptRecordException sectionEnds(String field) {
    return new CorruptRecordException("records section ends inside " + where() + field);
  }

  @Override
  public void close() {
    if (source != null) {
      try {
        source.close();
      } catch (Throwable t) {
        if (t instanceof VirtualMachineError e) {
          throw e;
        }
        // nothing was read through it that matters any more
      }
    }
  }
}
