package io.brook.storage.log;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;

/**
 * Maps offsets to byte positions in a segment's log file, sparsely: an entry (offset relative to
 * the segment's base as int32, position int32) for the first batch written after every {@code
 * index.interval.bytes}. A lookup gives the position of the last indexed batch at or before an
 * offset; the reader scans forward from there. Threading as in {@link MappedIndex}.
 */
final class OffsetIndex extends MappedIndex {
  static final int ENTRY_SIZE = 8;

  /** An indexed (absolute offset, position) pair. */
  record Entry(long offset, int position) {}

  OffsetIndex(Path file, long baseOffset, int maxIndexBytes) throws IOException {
    super(file, baseOffset, maxIndexBytes, ENTRY_SIZE);
  }

  @Override
  protected long key(MappedByteBuffer buf, int n) {
    return buf.getInt(n * ENTRY_SIZE);
  }

  /** The last entry with offset {@code <= target}, or (baseOffset, 0) if none. */
  Entry lookup(long targetOffset) {
    int n = floorEntry(targetOffset - baseOffset, false);
    return n < 0 ? new Entry(baseOffset, 0) : entry(n);
  }

  Entry entry(int n) {
    MappedByteBuffer buf = buffer();
    return new Entry(baseOffset + buf.getInt(n * ENTRY_SIZE), buf.getInt(n * ENTRY_SIZE + 4));
  }

  Entry lastEntry() {
    int n = entries();
    return n == 0 ? new Entry(baseOffset, 0) : entry(n - 1);
  }

  void append(long offset, int position) {
    int n = entries();
    if (n > 0) {
      Entry last = entry(n - 1);
      if (offset <= last.offset() || position <= last.position()) {
        throw new IllegalStateException(
            "index entry (" + offset + ", " + position + ") is not after " + last + " in " + file);
      }
    }
    int rel = Math.toIntExact(offset - baseOffset);
    appendEntry((buf, at) -> buf.putInt(at, rel).putInt(at + 4, position));
  }

  /** Drops every entry with offset {@code >= offset}. */
  void truncateTo(long offset) {
    truncateToEntries(floorEntry(offset - baseOffset, true) + 1);
  }

  @Override
  void sanityCheck(long logSizeBytes) {
    long prevOffset = -1;
    int prevPos = -1;
    int n = entries();
    for (int i = 0; i < n; i++) {
      Entry e = entry(i);
      if (e.offset() < baseOffset || e.offset() <= prevOffset || e.position() <= prevPos && i > 0) {
        throw new IllegalStateException("offset index " + file + " entry " + i + " " + e + " is out of order");
      }
      if (e.position() >= logSizeBytes) {
        throw new IllegalStateException(
            "offset index " + file + " entry " + i + " points at " + e.position() + " past the log's " + logSizeBytes + " bytes");
      }
      prevOffset = e.offset();
      prevPos = e.position();
    }
  }
}
