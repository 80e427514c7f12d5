package io.brook.storage.record;

import io.brook.storage.CorruptRecordException;
import java.nio.ByteBuffer;

/**
 * Zig-zag variable-length integers, as in protobuf's {@code sint32}/{@code sint64} and Kafka's
 * record format: small magnitudes, positive or negative, take few bytes.
 */
public final class Varint {
  private Varint() {}

  public static int sizeOf(int value) {
    int v = (value << 1) ^ (value >> 31);
    int bytes = 1;
    while ((v & 0xFFFFFF80) != 0) {
      bytes++;
      v >>>= 7;
    }
    return bytes;
  }

  public static int sizeOf(long value) {
    long v = (value << 1) ^ (value >> 63);
    int bytes = 1;
    while ((v & 0xFFFFFFFFFFFFFF80L) != 0) {
      bytes++;
      v >>>= 7;
    }
    return bytes;
  }

  public static void write(int value, ByteArrayWriter out) {
    int v = (value << 1) ^ (value >> 31);
    while ((v & 0xFFFFFF80) != 0) {
      out.writeByte((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out.writeByte(v);
  }

  public static void write(long value, ByteArrayWriter out) {
    long v = (value << 1) ^ (value >> 63);
    while ((v & 0xFFFFFFFFFFFFFF80L) != 0) {
      out.writeByte((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.writeByte((int) v);
  }

  /** Reads a zig-zag varint of at most 5 bytes from the buffer's position. */
  public static int readInt(ByteBuffer in) {
    int raw = 0;
    int shift = 0;
    while (true) {
      if (!in.hasRemaining()) {
        throw new CorruptRecordException("truncated varint");
      }
      byte b = in.get();
      raw |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        break;
      }
      shift += 7;
      if (shift > 28) {
        throw new CorruptRecordException("varint longer than 5 bytes");
      }
    }
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** Reads a zig-zag varlong of at most 10 bytes from the buffer's position. */
  public static long readLong(ByteBuffer in) {
    long raw = 0;
    int shift = 0;
    while (true) {
      if (!in.hasRemaining()) {
        throw new CorruptRecordException("truncated varlong");
      }
      byte b = in.get();
      raw |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        break;
      }
      shift += 7;
      if (shift > 63) {
        throw new CorruptRecordException("varlong longer than 10 bytes");
      }
    }
    return (raw >>> 1) ^ -(raw & 1);
  }
}
