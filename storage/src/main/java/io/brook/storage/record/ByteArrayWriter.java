package io.brook.storage.record;

import java.io.OutputStream;
import java.util.Arrays;

/**
 * A growable byte array with big-endian primitive writes. Unlike {@link
 * java.io.ByteArrayOutputStream} it is unsynchronised, exposes its array, and can be {@link
 * #reset() reset} and reused, so a builder that is reused allocates nothing in the steady state.
 * Not thread-safe.
 */
public final class ByteArrayWriter extends OutputStream {
  private byte[] buf;
  private int size;

  public ByteArrayWriter(int initialCapacity) {
    buf = new byte[Math.max(16, initialCapacity)];
  }

  public void reset() {
    size = 0;
  }

  public int size() {
    return size;
  }

  public byte[] array() {
    return buf;
  }

  private void ensure(int extra) {
    int need = size + extra;
    if (need > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(need, buf.length * 2));
    }
  }

  public void writeByte(int b) {
    ensure(1);
    buf[size++] = (byte) b;
  }

  @Override
  public void write(int b) {
    writeByte(b);
  }

  @Override
  public void write(byte[] b, int off, int len) {
    ensure(len);
    System.arraycopy(b, off, buf, size, len);
    size += len;
  }

  public void writeShort(int v) {
    ensure(2);
    buf[size++] = (byte) (v >>> 8);
    buf[size++] = (byte) v;
  }

  public void writeInt(int v) {
    ensure(4);
    buf[size++] = (byte) (v >>> 24);
    buf[size++] = (byte) (v >>> 16);
    buf[size++] = (byte) (v >>> 8);
    buf[size++] = (byte) v;
  }

  public void writeLong(long v) {
    writeInt((int) (v >>> 32));
    writeInt((int) v);
  }

  /** Reserves {@code n} bytes (to be filled in later with {@link #putInt}) and returns where. */
  public int skip(int n) {
    ensure(n);
    int at = size;
    size += n;
    return at;
  }

  public void putInt(int at, int v) {
    buf[at] = (byte) (v >>> 24);
    buf[at + 1] = (byte) (v >>> 16);
    buf[at + 2] = (byte) (v >>> 8);
    buf[at + 3] = (byte) v;
  }
}
