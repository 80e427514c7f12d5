package io.brook.storage.log;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;

/**
 * Maps timestamps to offsets in a segment, sparsely: an entry (timestamp int64, offset relative to
 * the base as int32) says "the largest timestamp in this segment up to and including the batch at
 * this offset is this timestamp". Timestamps of entries strictly increase. To find the first
 * record with timestamp {@code >= t}, start scanning at the batch of the last entry with timestamp
 * {@code < t}: every record before that batch has a smaller timestamp. Threading as in {@link
 * MappedIndex}.
 */
final class TimeIndex extends MappedIndex {
  static final int ENTRY_SIZE = 12;

  /** An indexed (timestamp, absolute offset) pair. */
  record Entry(long timestamp, long offset) {}

  TimeIndex(Path file, long baseOffset, int maxIndexBytes) throws IOException {
    super(file, baseOffset, maxIndexBytes, ENTRY_SIZE);
  }

  @Override
  protected long key(MappedByteBuffer buf, int n) {
    return buf.getLong(n * ENTRY_SIZE);
  }

  Entry entry(int n) {
    MappedByteBuffer buf = buffer();
    return new Entry(buf.getLong(n * ENTRY_SIZE), baseOffset + buf.getInt(n * ENTRY_SIZE + 8));
  }

  /** The last entry, or null when empty. */
  Entry lastEntry() {
    int n = entries();
    return n == 0 ? null : entry(n - 1);
  }

  /** The last entry with timestamp strictly below {@code timestamp}, or null if none. */
  Entry lookupBefore(long timestamp) {
    int n = floorEntry(timestamp, true);
    return n < 0 ? null : entry(n);
  }

  /** Appends (timestamp, offset) if the timestamp is above the last entry's; else does nothing. */
  void maybeAppend(long timestamp, long offset) {
    Entry last = lastEntry();
    if (last != null && (timestamp <= last.timestamp() || offset < last.offset())) {
      return;
    }
    if (last != null && offset == last.offset()) {
      return; // same batch re-offered (a roll after an append): the entry is already there
    }
    int rel = Math.toIntExact(offset - baseOffset);
    appendEntry((buf, at) -> buf.putLong(at, timestamp).putInt(at + 8, rel));
  }

  /** Drops every entry whose offset is {@code >= offset}. */
  void truncateTo(long offset) {
    int keep = 0;
    int n = entries();
    while (keep < n && entry(keep).offset() < offset) {
      keep++;
    }
    truncateToEntries(keep);
  }

  @Override
  void sanityCheck(long logSizeBytes) {
    int n = entries();
    Entry prev = null;
    for (int i = 0; i < n; i++) {
      Entry e = entry(i);
      if (e.offset() < baseOffset
          || prev != null && (e.timestamp() <= prev.timestamp() || e.offset() < prev.offset())) {
        throw new IllegalStateException("time index " + file + " entry " + i + " " + e + " is out of order");
      }
      prev = e;
    }
  }
}
