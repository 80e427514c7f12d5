package io.brook.storage.log;

import io.brook.storage.CorruptRecordException;
import io.brook.storage.StorageIOException;
import io.brook.storage.record.RecordBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.OptionalInt;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * One segment of a partition log: {@code <baseOffset>.log} holding record batches back to back,
 * with its sparse {@link OffsetIndex} ({@code .index}) and {@link TimeIndex} ({@code .timeindex}).
 * File names carry the base offset in 20 digits so they sort by offset.
 *
 * <p>Threading: appends, truncation, recovery and closing come from the owning {@link Log} under
 * its lock (one writer). Reads ({@link #read}, {@link #translateOffset}, {@link
 * #findOffsetByTimestamp}) run concurrently on any thread: they use positional reads and see only
 * bytes below the published {@link #sizeInBytes()}, which is volatile and advanced after the bytes
 * are written, so a reader never sees half a batch.
 */
final class LogSegment {
  static final String LOG_SUFFIX = ".log";
  static final String INDEX_SUFFIX = ".index";
  static final String TIME_INDEX_SUFFIX = ".timeindex";
  /** A segment being written by the compactor; deleted on open (the swap never started). */
  static final String CLEANED_SUFFIX = ".cleaned";
  /** A finished compacted segment waiting to replace the original; completed on open. */
  static final String SWAP_SUFFIX = ".swap";

  private final long baseOffset;
  private final Path dir;
  private final FileChannel channel;
  private final OffsetIndex offsetIndex;
  private final TimeIndex timeIndex;
  private final int indexIntervalBytes;
  private final long createdMs;

  private volatile int sizeBytes;
  private volatile long nextOffset;
  private volatile long maxTimestamp = RecordBatch.NO_TIMESTAMP;
  private long offsetOfMaxTimestamp;
  private long firstBatchTimestamp = RecordBatch.NO_TIMESTAMP;
  private int bytesSinceLastIndexEntry;

  private LogSegment(
      Path dir, long baseOffset, FileChannel channel, OffsetIndex offsetIndex, TimeIndex timeIndex,
      int indexIntervalBytes, long createdMs) throws IOException {
    this.dir = dir;
    this.baseOffset = baseOffset;
    this.channel = channel;
    this.offsetIndex = offsetIndex;
    this.timeIndex = timeIndex;
    this.indexIntervalBytes = indexIntervalBytes;
    this.createdMs = createdMs;
    this.sizeBytes = Math.toIntExact(channel.size());
    this.nextOffset = baseOffset;
    this.offsetOfMaxTimestamp = baseOffset;
  }

  static String fileStem(long offset) {
    return String.format("%020d", offset);
  }

  static Path logFile(Path dir, long baseOffset) {
    return dir.resolve(fileStem(baseOffset) + LOG_SUFFIX);
  }

  static Path indexFile(Path dir, long baseOffset) {
    return dir.resolve(fileStem(baseOffset) + INDEX_SUFFIX);
  }

  static Path timeIndexFile(Path dir, long baseOffset) {
    return dir.resolve(fileStem(baseOffset) + TIME_INDEX_SUFFIX);
  }

  /**
   * Opens (creating if absent) the segment at {@code baseOffset} in {@code dir}. Does not validate
   * contents: the log either {@link #recover recovers} the segment or {@link #loadIndexes checks
   * its indexes} next.
   */
  static LogSegment open(Path dir, long baseOffset, LogConfig config, long nowMs) {
    try {
      FileChannel ch =
          FileChannel.open(
              logFile(dir, baseOffset),
              StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      OffsetIndex oi = new OffsetIndex(indexFile(dir, baseOffset), baseOffset, indexBytes(config, OffsetIndex.ENTRY_SIZE));
      TimeIndex ti = new TimeIndex(timeIndexFile(dir, baseOffset), baseOffset, indexBytes(config, TimeIndex.ENTRY_SIZE));
      return new LogSegment(dir, baseOffset, ch, oi, ti, config.indexIntervalBytes(), nowMs);
    } catch (IOException e) {
      throw new StorageIOException("cannot open segment " + baseOffset + " in " + dir, e);
    }
  }

  /**
   * Index file size: {@code segment.index.bytes}, or less when a full segment cannot need that
   * many entries (at most one per {@code index.interval.bytes}, and per batch), so the zeros
   * written to preallocate it stay proportionate.
   */
  static int indexBytes(LogConfig config, int entrySize) {
    long perEntry = Math.max(config.indexIntervalBytes(), RecordBatch.HEADER_SIZE);
    long needed = (config.segmentBytes() / perEntry + 2) * entrySize;
    return (int) Math.min(config.segmentIndexBytes(), needed);
  }

  /**
   * Creates a new, empty segment at {@code baseOffset}, replacing any leftovers of an earlier
   * attempt (say one that ran out of disk while preallocating its indexes). If creation fails, the
   * partial files are removed again, so a later attempt starts clean.
   */
  static LogSegment create(Path dir, long baseOffset, LogConfig config, long nowMs) {
    try {
      deleteFiles(dir, baseOffset);
      return open(dir, baseOffset, config, nowMs);
    } catch (StorageIOException e) {
      try {
        deleteFiles(dir, baseOffset);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    } catch (IOException e) {
      throw new StorageIOException("creating segment " + baseOffset + " in " + dir, e);
    }
  }

  static void deleteFiles(Path dir, long baseOffset) throws IOException {
    Files.deleteIfExists(logFile(dir, baseOffset));
    Files.deleteIfExists(indexFile(dir, baseOffset));
    Files.deleteIfExists(timeIndexFile(dir, baseOffset));
  }

  long baseOffset() {
    return baseOffset;
  }

  int sizeInBytes() {
    return sizeBytes;
  }

  /** One past the last offset of the last batch, or the base offset when empty. */
  long nextOffset() {
    return nextOffset;
  }

  long maxTimestamp() {
    return maxTimestamp;
  }

  boolean isEmpty() {
    return sizeBytes == 0;
  }

  /** Whether an index has no room for one more entry (the log rolls then). */
  boolean indexesFull() {
    return offsetIndex.isFull() || timeIndex.isFull();
  }

  /**
   * Time this segment's age is measured from, for {@code segment.ms}: the later of its first
   * batch's timestamp and when this process opened it. Kafka uses the first batch's timestamp
   * alone, so a producer with a lagging clock makes it roll a segment per batch; bounding it by
   * the open time avoids that, at the price of a restart re-starting the age of the active segment.
   */
  long rollBaseMs() {
    return Math.max(firstBatchTimestamp, createdMs);
  }

  /**
   * Appends already-validated batches (with their final offsets) at the end of the file and
   * indexes them. If the write fails the file is cut back to its previous size, so the segment is
   * unchanged.
   */
  void append(ByteBuffer batches) {
    int start = sizeBytes;
    ByteBuffer src = batches.duplicate();
    try {
      long pos = start;
      while (src.hasRemaining()) {
        pos += channel.write(src, pos);
      }
    } catch (IOException e) {
      try {
        channel.truncate(start);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw new StorageIOException("append to " + logFile(dir, baseOffset) + " failed; segment left at " + start + " bytes", e);
    }
    int pos = start;
    for (RecordBatch batch : RecordBatch.iterate(batches)) {
      onBatch(batch, pos);
      pos += batch.sizeInBytes();
    }
    sizeBytes = pos;
  }

  /** Index bookkeeping for a batch now at {@code position}. */
  private void onBatch(RecordBatch batch, int position) {
    if (firstBatchTimestamp == RecordBatch.NO_TIMESTAMP && position == 0) {
      firstBatchTimestamp = batch.maxTimestamp();
    }
    long batchMaxTs = batch.maxTimestamp();
    if (batchMaxTs > maxTimestamp) {
      maxTimestamp = batchMaxTs;
      offsetOfMaxTimestamp = batch.baseOffset();
    }
    if (bytesSinceLastIndexEntry >= indexIntervalBytes || position == 0) {
      if (!offsetIndex.isFull()) {
        offsetIndex.append(batch.baseOffset(), position);
      }
      if (!timeIndex.isFull()) {
        timeIndex.maybeAppend(maxTimestamp, offsetOfMaxTimestamp);
      }
      bytesSinceLastIndexEntry = 0;
    }
    bytesSinceLastIndexEntry += batch.sizeInBytes();
    nextOffset = batch.nextOffset();
  }

  /**
   * Position of the first batch whose last offset is {@code >= offset}, or -1 if every batch in
   * the segment ends before it.
   */
  int translateOffset(long offset) {
    OffsetIndex.Entry floor = offsetIndex.lookup(offset);
    int limit = sizeBytes;
    ByteBuffer header = ByteBuffer.allocate(RecordBatch.HEADER_SIZE);
    int pos = floor.position();
    while (pos < limit) {
      readHeader(header, pos, limit);
      if (lastOffset(header) >= offset) {
        return pos;
      }
      pos += batchSize(header);
    }
    return -1;
  }

  private void readHeader(ByteBuffer header, int pos, int limit) {
    header.clear();
    if (limit - pos < RecordBatch.HEADER_SIZE) {
      throw new CorruptRecordException("truncated batch header at position " + pos + " of " + logFile(dir, baseOffset));
    }
    readFully(header, pos);
    int length = header.getInt(RecordBatch.LENGTH_OFFSET);
    if (length < RecordBatch.HEADER_SIZE - RecordBatch.LOG_OVERHEAD || (long) pos + length + RecordBatch.LOG_OVERHEAD > limit) {
      throw new CorruptRecordException("bad batch length " + length + " at position " + pos + " of " + logFile(dir, baseOffset));
    }
  }

  /**
   * Reads whole batches starting with the one holding {@code startOffset}, up to {@code maxBytes}
   * (but always the first batch whole, however large, so a consumer can make progress), and only
   * batches that end below {@code maxOffsetExclusive}. Returns null if no batch qualifies.
   */
  ByteBuffer read(long startOffset, int maxBytes, long maxOffsetExclusive) {
    return read(startOffset, maxBytes, maxOffsetExclusive, ByteBuffer::allocate);
  }

  /** As {@link #read(long, int, long)}, into a buffer of at least the needed capacity from {@code buffers}. */
  ByteBuffer read(long startOffset, int maxBytes, long maxOffsetExclusive, IntFunction<ByteBuffer> buffers) {
    int limit = sizeBytes;
    int start = translateOffset(startOffset);
    if (start < 0) {
      return null;
    }
    ByteBuffer header = ByteBuffer.allocate(RecordBatch.HEADER_SIZE);
    readHeader(header, start, limit);
    if (lastOffset(header) >= maxOffsetExclusive) {
      return null;
    }
    // One read of everything the fetch may return (the first batch whole, however large), then
    // the batch boundaries are found in memory: a pread per batch header made a 1 MiB fetch of
    // 8 KiB batches cost over a hundred system calls.
    int want = (int) Math.max(batchSize(header), Math.min((long) maxBytes, limit - start));
    ByteBuffer out = buffers.apply(want).clear().limit(want);
    readFully(out, start);
    int end = 0;
    while (end < want) {
      if (want - end < RecordBatch.HEADER_SIZE) {
        break; // the next batch starts beyond what fits
      }
      int length = out.getInt(end + RecordBatch.LENGTH_OFFSET);
      if (length < RecordBatch.HEADER_SIZE - RecordBatch.LOG_OVERHEAD
          || (long) start + end + length + RecordBatch.LOG_OVERHEAD > limit) {
        throw new CorruptRecordException("bad batch length " + length + " at position " + (start + end) + " of "
            + logFile(dir, baseOffset));
      }
      int size = length + RecordBatch.LOG_OVERHEAD;
      long last = out.getLong(end + RecordBatch.BASE_OFFSET_OFFSET) + out.getInt(end + RecordBatch.LAST_OFFSET_DELTA_OFFSET);
      if (end + size > want || last >= maxOffsetExclusive) {
        break;
      }
      end += size;
    }
    return out.position(0).limit(end);
  }

  /**
   * The first record with timestamp {@code >= timestamp}: its timestamp, offset and its batch's
   * leader epoch; null if the segment has none.
   */
  TimestampAndOffset findOffsetByTimestamp(long timestamp) {
    if (maxTimestamp < timestamp) {
      return null;
    }
    TimeIndex.Entry before = timeIndex.lookupBefore(timestamp);
    long from = before == null ? baseOffset : before.offset();
    int pos = translateOffset(from);
    for (Iterator<RecordBatch> it = batchesFrom(Math.max(pos, 0)); pos >= 0 && it.hasNext(); ) {
      RecordBatch batch = it.next();
      if (batch.maxTimestamp() >= timestamp) {
        for (var r : batch.records()) {
          if (r.timestamp() >= timestamp) {
            int epoch = batch.partitionLeaderEpoch();
            return new TimestampAndOffset(r.timestamp(), r.offset(),
                epoch == RecordBatch.NO_PARTITION_LEADER_EPOCH ? OptionalInt.empty() : OptionalInt.of(epoch));
          }
        }
      }
    }
    return null;
  }

  /** Calls {@code visitor} with the 61-byte header of every batch, in order (a reused buffer). */
  void forEachBatchHeader(Consumer<ByteBuffer> visitor) {
    forEachBatchHeaderFrom(baseOffset, visitor);
  }

  /**
   * Calls {@code visitor} with the header of every batch whose last offset is {@code >= offset},
   * in order (a reused buffer); the offset index finds where to start.
   */
  void forEachBatchHeaderFrom(long offset, Consumer<ByteBuffer> visitor) {
    int limit = sizeBytes;
    ByteBuffer header = ByteBuffer.allocate(RecordBatch.HEADER_SIZE);
    int pos = translateOffset(offset);
    if (pos < 0) {
      return;
    }
    while (pos < limit) {
      readHeader(header, pos, limit);
      visitor.accept(header);
      pos += batchSize(header);
    }
  }

  /** Every batch from the start of the file, reading whole batches (framing checked, CRC not). */
  Iterator<RecordBatch> batches() {
    return batchesFrom(0);
  }

  private Iterator<RecordBatch> batchesFrom(int startPos) {
    int limit = sizeBytes;
    return new Iterator<>() {
      final ByteBuffer header = ByteBuffer.allocate(RecordBatch.HEADER_SIZE);
      int pos = startPos;

      @Override
      public boolean hasNext() {
        return pos < limit;
      }

      @Override
      public RecordBatch next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        readHeader(header, pos, limit);
        int size = batchSize(header);
        ByteBuffer buf = ByteBuffer.allocate(size);
        readFully(buf, pos);
        pos += size;
        return RecordBatch.wrap(buf.flip());
      }
    };
  }

  /**
   * Validates every batch from the start of the file: framing, magic, CRC, and offsets increasing
   * from the segment's base. Rebuilds both indexes on the way and cuts the file at the first
   * invalid byte. Returns the number of bytes cut.
   */
  int recover(int maxBatchBytes) {
    try {
      offsetIndex.reset();
      timeIndex.reset();
      maxTimestamp = RecordBatch.NO_TIMESTAMP;
      offsetOfMaxTimestamp = baseOffset;
      firstBatchTimestamp = RecordBatch.NO_TIMESTAMP;
      bytesSinceLastIndexEntry = 0;
      nextOffset = baseOffset;
      int fileSize = Math.toIntExact(channel.size());
      sizeBytes = fileSize;
      ByteBuffer header = ByteBuffer.allocate(RecordBatch.HEADER_SIZE);
      int pos = 0;
      while (pos < fileSize) {
        RecordBatch batch = readValidBatch(header, pos, fileSize, maxBatchBytes);
        if (batch == null) {
          break;
        }
        onBatch(batch, pos);
        pos += batch.sizeInBytes();
      }
      int cut = fileSize - pos;
      if (cut > 0) {
        channel.truncate(pos);
        channel.force(true);
      }
      sizeBytes = pos;
      return cut;
    } catch (IOException e) {
      throw new StorageIOException("recovering " + logFile(dir, baseOffset), e);
    }
  }

  /** The valid batch at {@code pos}, or null if the bytes there are not one. */
  private RecordBatch readValidBatch(ByteBuffer header, int pos, int limit, int maxBatchBytes) {
    if (limit - pos < RecordBatch.HEADER_SIZE) {
      return null;
    }
    header.clear();
    readFully(header, pos);
    int length = header.getInt(RecordBatch.LENGTH_OFFSET);
    long size = (long) length + RecordBatch.LOG_OVERHEAD;
    if (length < RecordBatch.HEADER_SIZE - RecordBatch.LOG_OVERHEAD || pos + size > limit || size > maxBatchBytes) {
      return null;
    }
    long base = header.getLong(RecordBatch.BASE_OFFSET_OFFSET);
    if (base < nextOffset || header.get(RecordBatch.MAGIC_OFFSET) != RecordBatch.MAGIC) {
      return null;
    }
    int lastDelta = header.getInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET);
    if (lastDelta < 0 || base - baseOffset > Integer.MAX_VALUE - (long) lastDelta) {
      return null; // not addressable from this segment's base: a corrupt base offset
    }
    ByteBuffer buf = ByteBuffer.allocate((int) size);
    readFully(buf, pos);
    RecordBatch batch = RecordBatch.wrap(buf.flip());
    return batch.isValid() ? batch : null;
  }

  /**
   * Loads the indexes of a segment that is not being recovered: checks them against the log file
   * and finds the segment's next offset and max timestamp by walking batch headers from the last
   * index entry. Returns false when an index is unusable or the walk does not end exactly at the
   * end of the file; the caller then recovers the segment.
   */
  boolean loadIndexes() {
    maxTimestamp = RecordBatch.NO_TIMESTAMP;
    offsetOfMaxTimestamp = baseOffset;
    firstBatchTimestamp = RecordBatch.NO_TIMESTAMP;
    nextOffset = baseOffset;
    try {
      offsetIndex.sanityCheck(sizeBytes);
      timeIndex.sanityCheck(sizeBytes);
      if (sizeBytes > 0 && (offsetIndex.entries() == 0 || timeIndex.entries() == 0)) {
        return false;
      }
      if (sizeBytes > 0) {
        ByteBuffer first = ByteBuffer.allocate(RecordBatch.HEADER_SIZE);
        readHeader(first, 0, sizeBytes);
        firstBatchTimestamp = first.getLong(RecordBatch.MAX_TIMESTAMP_OFFSET);
      }
      TimeIndex.Entry lastTime = timeIndex.lastEntry();
      if (lastTime != null) {
        maxTimestamp = lastTime.timestamp();
        offsetOfMaxTimestamp = lastTime.offset();
      }
      ByteBuffer header = ByteBuffer.allocate(RecordBatch.HEADER_SIZE);
      int pos = offsetIndex.lastEntry().position();
      long next = baseOffset;
      while (pos < sizeBytes) {
        readHeader(header, pos, sizeBytes);
        next = lastOffset(header) + 1;
        long batchMaxTs = header.getLong(RecordBatch.MAX_TIMESTAMP_OFFSET);
        if (batchMaxTs > maxTimestamp) {
          maxTimestamp = batchMaxTs;
          offsetOfMaxTimestamp = header.getLong(RecordBatch.BASE_OFFSET_OFFSET);
        }
        pos += batchSize(header);
      }
      nextOffset = next;
      return pos == sizeBytes;
    } catch (IllegalStateException | CorruptRecordException e) {
      return false;
    }
  }

  /**
   * Removes every batch whose last offset is {@code >= offset} (so the segment ends at a batch
   * boundary at or before {@code offset}). Returns the bytes removed.
   */
  int truncateTo(long offset) {
    int pos = translateOffset(offset);
    if (pos < 0) {
      return 0;
    }
    try {
      ByteBuffer header = ByteBuffer.allocate(RecordBatch.HEADER_SIZE);
      readHeader(header, pos, sizeBytes);
      // Index entries name batch base offsets: those >= the cut batch's base are the cut ones.
      long cutBase = header.getLong(RecordBatch.BASE_OFFSET_OFFSET);
      int removed = sizeBytes - pos;
      offsetIndex.truncateTo(cutBase);
      timeIndex.truncateTo(cutBase);
      channel.truncate(pos);
      sizeBytes = pos;
      if (!loadIndexes()) {
        recover(Integer.MAX_VALUE);
      }
      bytesSinceLastIndexEntry = indexIntervalBytes; // index the next append
      return removed;
    } catch (IOException e) {
      throw new StorageIOException("truncating " + logFile(dir, baseOffset), e);
    }
  }

  /** Makes this segment the active one again (after truncation removed the ones after it). */
  void reopenForAppend() {
    try {
      offsetIndex.growToMax();
      timeIndex.growToMax();
    } catch (IOException e) {
      throw new StorageIOException("reopening indexes of " + logFile(dir, baseOffset), e);
    }
  }

  /** Called when a newer segment becomes active: final time-index entry, indexes trimmed. */
  void onBecomeInactive() {
    try {
      if (maxTimestamp != RecordBatch.NO_TIMESTAMP && !timeIndex.isFull()) {
        timeIndex.maybeAppend(maxTimestamp, offsetOfMaxTimestamp);
      }
      offsetIndex.trimToValidSize();
      timeIndex.trimToValidSize();
    } catch (IOException e) {
      throw new StorageIOException("trimming indexes of " + logFile(dir, baseOffset), e);
    }
  }

  void flush() {
    try {
      channel.force(true);
      offsetIndex.flush();
      timeIndex.flush();
    } catch (IOException e) {
      throw new StorageIOException("flushing " + logFile(dir, baseOffset), e);
    }
  }

  void close() {
    try {
      if (maxTimestamp != RecordBatch.NO_TIMESTAMP && !timeIndex.isFull()) {
        timeIndex.maybeAppend(maxTimestamp, offsetOfMaxTimestamp);
      }
      offsetIndex.close();
      timeIndex.close();
      channel.close();
    } catch (IOException e) {
      throw new StorageIOException("closing " + logFile(dir, baseOffset), e);
    }
  }

  /**
   * Closes the file handle without touching the files by name (they may already belong to a
   * replacement segment). The index mappings are released by the garbage collector.
   */
  void releaseHandles() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new StorageIOException("closing " + logFile(dir, baseOffset), e);
    }
  }

  /** Closes and deletes the segment's files. */
  void delete() {
    try {
      channel.close();
      Files.deleteIfExists(logFile(dir, baseOffset));
      offsetIndex.deleteFile();
      timeIndex.deleteFile();
    } catch (IOException e) {
      throw new StorageIOException("deleting segment " + baseOffset + " in " + dir, e);
    }
  }

  /**
   * Replaces this (closed) segment's files with {@code <base>.log.swap}: the compactor's output.
   * The old indexes are deleted; the caller reopens the segment and rebuilds them.
   */
  static void completeSwap(Path dir, long baseOffset) throws IOException {
    Files.deleteIfExists(indexFile(dir, baseOffset));
    Files.deleteIfExists(timeIndexFile(dir, baseOffset));
    Files.move(
        dir.resolve(fileStem(baseOffset) + LOG_SUFFIX + SWAP_SUFFIX),
        logFile(dir, baseOffset),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }

  private static long lastOffset(ByteBuffer header) {
    return header.getLong(RecordBatch.BASE_OFFSET_OFFSET) + header.getInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET);
  }

  private static int batchSize(ByteBuffer header) {
    return header.getInt(RecordBatch.LENGTH_OFFSET) + RecordBatch.LOG_OVERHEAD;
  }

  private void readFully(ByteBuffer dst, long position) {
    try {
      long pos = position;
      while (dst.hasRemaining()) {
        int n = channel.read(dst, pos);
        if (n < 0) {
          throw new CorruptRecordException("unexpected end of " + logFile(dir, baseOffset) + " at " + pos);
        }
        pos += n;
      }
    } catch (IOException e) {
      throw new StorageIOException("reading " + logFile(dir, baseOffset), e);
    }
  }

  @Override
  public String toString() {
    return "LogSegment[base=" + baseOffset + ", size=" + sizeBytes + ", next=" + nextOffset + "]";
  }
}
