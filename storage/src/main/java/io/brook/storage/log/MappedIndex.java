package io.brook.storage.log;

import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A sparse index file of fixed-size entries sorted by a key, memory-mapped. The active segment's
 * index is preallocated to {@code maxIndexBytes} so appends never grow the file; when the segment
 * rolls or closes the file is trimmed to its entries. Lookups are binary searches over the mapping.
 *
 * <p>Preallocation writes real zeros rather than extending the file sparsely: writing through a
 * mapping into a hole needs a block from the file system, and on a full disk that is a SIGBUS
 * that kills the JVM. With the blocks allocated up front, a full disk shows up as an {@link
 * IOException} when the segment is created, which the log reports and survives.
 *
 * <p>Threading: one writer (the owning log's append path, under the log's lock) appends and
 * truncates; any number of readers look up concurrently without locks. The entry count is
 * volatile and published after the entry's bytes, so a reader sees only complete entries. Mappings
 * are never unmapped explicitly (a reader may still hold one); the JVM releases them on GC, and on
 * Linux a deleted or trimmed file stays valid for pages below the published entry count.
 */
abstract class MappedIndex implements Closeable {
  protected final Path file;
  protected final long baseOffset;
  private final int entrySize;
  private final int maxIndexBytes;
  private volatile MappedByteBuffer mmap;
  private volatile int entries;

  MappedIndex(Path file, long baseOffset, int maxIndexBytes, int entrySize) throws IOException {
    this.file = file;
    this.baseOffset = baseOffset;
    this.entrySize = entrySize;
    this.maxIndexBytes = Math.max(entrySize, maxIndexBytes / entrySize * entrySize);
    boolean existed = Files.exists(file);
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      long length = raf.length();
      if (!existed || length == 0) {
        fillWithZeros(raf.getChannel(), 0, this.maxIndexBytes);
        entries = 0;
      } else {
        // A trimmed index holds exactly its entries. A preallocated one left by a crash holds
        // zeros after them: sanityCheck() rejects it and the segment rebuilds the index.
        entries = (int) (length / entrySize);
      }
      mmap = raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, raf.length());
    }
  }

  final int entrySize() {
    return entrySize;
  }

  final int entries() {
    return entries;
  }

  final boolean isFull() {
    return (long) (entries + 1) * entrySize > mmap.capacity();
  }

  final MappedByteBuffer buffer() {
    return mmap;
  }

  /** The sort key of entry {@code n} (relative offset, or timestamp). */
  protected abstract long key(MappedByteBuffer buf, int n);

  /**
   * Index of the last entry whose key is {@code <= target} (or {@code < target} when {@code
   * strict}), or -1 if none.
   */
  protected final int floorEntry(long target, boolean strict) {
    MappedByteBuffer buf = mmap;
    int lo = 0;
    int hi = entries - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      long k = key(buf, mid);
      if (k < target || (!strict && k == target)) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Publishes one more entry, written by {@code writer} at the given byte position. */
  protected final void appendEntry(EntryWriter writer) {
    if (isFull()) {
      throw new IllegalStateException("index " + file + " is full (" + entries + " entries)");
    }
    writer.write(mmap, entries * entrySize);
    entries = entries + 1;
  }

  interface EntryWriter {
    void write(MappedByteBuffer buf, int at);
  }

  /** Drops entries from {@code n} on. */
  protected final void truncateToEntries(int n) {
    if (n < entries) {
      entries = Math.max(0, n);
    }
  }

  /** Forgets every entry and re-extends the file to its maximum size (for a rebuild). */
  final void reset() throws IOException {
    entries = 0;
    resize(maxIndexBytes);
  }

  /** Re-extends the file to its maximum size, keeping the entries (the segment is active again). */
  final void growToMax() throws IOException {
    resize(maxIndexBytes);
  }

  /** Shrinks the file to exactly its entries: called when the segment stops being active. */
  final void trimToValidSize() throws IOException {
    resize(entries * entrySize);
  }

  private void resize(int sizeBytes) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      mmap.force();
      long current = raf.length();
      if (sizeBytes > current) {
        fillWithZeros(raf.getChannel(), current, sizeBytes);
      } else {
        raf.setLength(sizeBytes);
      }
      mmap = raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, sizeBytes);
    }
  }

  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(64 * 1024).asReadOnlyBuffer();

  /** Writes zeros over {@code [from, to)}, allocating real blocks (see the class comment). */
  private static void fillWithZeros(FileChannel ch, long from, long to) throws IOException {
    long pos = from;
    while (pos < to) {
      ByteBuffer chunk = ZEROS.duplicate();
      chunk.limit((int) Math.min(chunk.capacity(), to - pos));
      pos += ch.write(chunk, pos);
    }
  }

  final void flush() {
    mmap.force();
  }

  final long sizeBytes() {
    return (long) entries * entrySize;
  }

  final void deleteFile() throws IOException {
    Files.deleteIfExists(file);
  }

  /** Renames the file (the mapping stays valid: it follows the inode). */
  final void renameTo(Path target) throws IOException {
    Files.move(file, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  @Override
  public void close() throws IOException {
    trimToValidSize();
  }

  /** Throws {@link IllegalStateException} describing the problem if the entries are not sane. */
  abstract void sanityCheck(long logSizeBytes);
}
