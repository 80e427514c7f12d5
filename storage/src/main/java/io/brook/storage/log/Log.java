package io.brook.storage.log;

import io.brook.storage.InvalidRecordException;
import io.brook.storage.OffsetOutOfRangeException;
import io.brook.storage.RecordTooLargeException;
import io.brook.storage.StorageIOException;
import io.brook.storage.Time;
import io.brook.storage.record.RecordBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntFunction;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log of one partition: an ordered sequence of {@link LogSegment}s in one directory, plus the
 * leader-epoch cache and the high-watermark and recovery-point checkpoints.
 *
 * <p>Offsets: {@code logStartOffset <= highWatermark <= logEndOffset}. Appends take offsets from
 * {@code logEndOffset} (leader path) or keep the offsets in the batches (follower path). A batch
 * is validated completely before anything is written: a refused append leaves the log unchanged.
 *
 * <p>Durability: the recovery point is the offset below which everything has been fsynced; it is
 * checkpointed on every flush. Flushing follows {@code flush.messages} (on the append path) and
 * {@code flush.ms} (via {@link #flushIfDue}, called by the owner's scheduler). On open, {@link
 * LogLoader} validates everything past the recovery point and the active segment.
 *
 * <p>Threading: appends, truncation, rolls, retention and segment replacement are serialized by
 * the log's lock. Reads ({@link #read}, {@link #fetchOffsetByTimestamp}) take no lock and may run on
 * any thread concurrently with them; they see whole batches below the log end offset published
 * when they started. A read racing with the deletion of the segment it reads from retries, or
 * reports the offset as out of range if retention removed it.
 */
public final class Log implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Log.class);
  static final String RECOVERY_POINT_FILE = "recovery-point.checkpoint";
  static final String HIGH_WATERMARK_FILE = "high-watermark.checkpoint";
  /** The log start offset set by {@link #deleteRecordsBefore}, which may lie inside a segment. */
  static final String LOG_START_OFFSET_FILE = "log-start-offset.checkpoint";

  private final Path dir;
  private final Time time;
  private final Object lock = new Object();
  private final Object flushLock = new Object();
  private final ConcurrentNavigableMap<Long, LogSegment> segments = new ConcurrentSkipListMap<>();
  private final LeaderEpochCache epochCache;
  private final ProducerStateTable producerState = new ProducerStateTable();
  private final ProducerStateSnapshots producerSnapshots;
  private final CheckpointFile recoveryPointFile;
  private final CheckpointFile highWatermarkFile;
  private final CheckpointFile logStartOffsetFile;

  private volatile LogConfig config;
  private volatile long logStartOffset;
  private volatile long logEndOffset;
  private volatile long highWatermark;
  private volatile long recoveryPoint;
  private volatile boolean closed;
  private long unflushedRecords;
  private long lastFlushMs;
  private boolean forceFlushAfterAppend;

  private Log(Path dir, LogConfig config, Time time) {
    this.dir = dir;
    this.config = config;
    this.time = time;
    this.recoveryPointFile = new CheckpointFile(dir.resolve(RECOVERY_POINT_FILE));
    this.highWatermarkFile = new CheckpointFile(dir.resolve(HIGH_WATERMARK_FILE));
    this.logStartOffsetFile = new CheckpointFile(dir.resolve(LOG_START_OFFSET_FILE));
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new StorageIOException("creating log directory " + dir, e);
    }
    this.epochCache = new LeaderEpochCache(dir);
    this.producerSnapshots = new ProducerStateSnapshots(dir);
  }

  /** Opens (creating if needed) the log in {@code dir}, recovering it if it was not closed cleanly. */
  public static Log open(Path dir, LogConfig config, Time time) {
    Log l = new Log(dir, config, time);
    l.load();
    return l;
  }

  private void load() {
    long checkpointed = readSingleOffset(recoveryPointFile, 0L);
    LogLoader.Loaded loaded = LogLoader.load(dir, config, checkpointed, time.milliseconds());
    segments.putAll(loaded.segments());
    if (segments.isEmpty()) {
      segments.put(0L, LogSegment.create(dir, 0L, config, time.milliseconds()));
    }
    logEndOffset = segments.lastEntry().getValue().nextOffset();
    // A start set by deleteRecordsBefore may lie inside the first segment; never past the end
    // (a log truncated or lost below it restarts from what it has).
    logStartOffset = Math.max(segments.firstKey(), Math.min(readSingleOffset(logStartOffsetFile, 0L), logEndOffset));
    epochCache.truncateFromEnd(logEndOffset);
    epochCache.truncateFromStart(logStartOffset);
    highWatermark = clamp(readSingleOffset(highWatermarkFile, logStartOffset));
    loadProducerState();
    // Everything up to the log end offset was just validated; make the part past the old
    // recovery point durable too, so the recovery point can move to the log end.
    Long fromBase = segments.floorKey(Math.max(checkpointed, logStartOffset));
    segments.tailMap(fromBase == null ? logStartOffset : fromBase, true).values().forEach(LogSegment::flush);
    recoveryPoint = logEndOffset;
    recoveryPointFile.write(List.of(Long.toString(recoveryPoint)));
    lastFlushMs = time.milliseconds();
    if (loaded.recoveredBytesCut() > 0) {
      log.warn("log {} recovered: {} bytes cut, log end offset {}", dir, loaded.recoveredBytesCut(), logEndOffset);
    }
  }

  private static long readSingleOffset(CheckpointFile file, long dflt) {
    try {
      List<String> lines = file.read();
      return lines.isEmpty() ? dflt : Long.parseLong(lines.get(0).trim());
    } catch (IllegalStateException | NumberFormatException e) {
      log.warn("ignoring unreadable checkpoint {}: {}", file.path(), e.getMessage());
      return dflt;
    }
  }

  public Path dir() {
    return dir;
  }

  public LogConfig config() {
    return config;
  }

  /** Applies new settings from now on (existing segments are not rewritten). */
  public void updateConfig(LogConfig newConfig) {
    this.config = newConfig;
  }

  public long logStartOffset() {
    return logStartOffset;
  }

  public long logEndOffset() {
    return logEndOffset;
  }

  public long highWatermark() {
    return highWatermark;
  }

  public long recoveryPoint() {
    return recoveryPoint;
  }

  public LeaderEpochCache leaderEpochCache() {
    return epochCache;
  }

  public int numberOfSegments() {
    return segments.size();
  }

  /** Base offsets of the segments, oldest first. */
  public List<Long> segmentBaseOffsets() {
    return new ArrayList<>(segments.keySet());
  }

  public long sizeInBytes() {
    long total = 0;
    for (LogSegment s : segments.values()) {
      total += s.sizeInBytes();
    }
    return total;
  }

  // ---------------------------------------------------------------- append

  /**
   * Appends batches from a producer: validates them completely (framing, CRC, record structure,
   * size limit, keys on a compacted log), then assigns offsets from the log end offset and stamps
   * {@code leaderEpoch} by rewriting the batch headers in place (the bytes of {@code records} are
   * modified; nothing is re-encoded), and writes them.
   *
   * @throws io.brook.storage.CorruptRecordException if a batch is malformed (nothing written)
   * @throws RecordTooLargeException if a batch exceeds {@code max.message.bytes} (nothing written)
   * @throws InvalidRecordException if a batch breaks a rule of this log (nothing written)
   */
  public LogAppendInfo appendAsLeader(ByteBuffer records, int leaderEpoch) {
    ByteBuffer buf = writable(records);
    List<RecordBatch> batches = validate(buf, true);
    LogAppendInfo info;
    boolean flushNow;
    synchronized (lock) {
      ensureOpen();
      LogAppendInfo duplicate = checkProducerSequences(batches);
      if (duplicate != null) {
        return duplicate;
      }
      long next = logEndOffset;
      for (RecordBatch b : batches) {
        b.setBaseOffset(next);
        b.setPartitionLeaderEpoch(leaderEpoch);
        next = b.nextOffset();
      }
      info = doAppend(buf, batches);
      flushNow = flushDue();
    }
    if (flushNow) {
      flush();
    }
    return info;
  }

  /**
   * Checks idempotent producer batches against the producer state (see {@link
   * ProducerStateTable}). Returns the original append when the (single) batch is a retry of one
   * already written, null when the batches may be appended.
   */
  private LogAppendInfo checkProducerSequences(List<RecordBatch> batches) {
    RecordBatch first = batches.get(0);
    if (first.producerId() == RecordBatch.NO_PRODUCER_ID || first.baseSequence() == RecordBatch.NO_SEQUENCE) {
      return null;
    }
    if (batches.size() > 1) {
      // Several batches of one idempotent producer: they must continue each other; only the
      // first is checked against the table.
      int expected = first.baseSequence();
      for (RecordBatch b : batches) {
        if (b.producerId() != first.producerId() || b.producerEpoch() != first.producerEpoch() || b.baseSequence() != expected) {
          throw new InvalidRecordException("batches of one append must come from one producer in sequence");
        }
        expected = ProducerStateTable.nextSequence(lastSequence(b));
      }
    }
    // A log that has never held a record knows every producer that ever wrote to it (none), so a
    // producer's first batch here must start at sequence 0: a later batch arriving first means an
    // earlier one was refused before its append (e.g. the partition not created here yet) and is
    // being retried; accepting it would leave that earlier batch unwritable (out of sequence).
    boolean neverWritten = logStartOffset == 0 && logEndOffset == 0;
    ProducerStateTable.BatchMeta original = producerState.check(first.producerId(), first.producerEpoch(),
        first.baseSequence(), lastSequence(first), neverWritten);
    if (original == null) {
      return null;
    }
    if (batches.size() > 1) {
      throw new InvalidRecordException("a retried batch must be sent alone");
    }
    return new LogAppendInfo(original.firstOffset(), original.lastOffset(), first.maxTimestamp(), first.recordCount(),
        0, true);
  }

  private static int lastSequence(RecordBatch b) {
    return ProducerStateTable.lastSequence(b.baseSequence(), b.lastOffsetDelta() + 1);
  }

  /**
   * Loads the producer state (open, truncation): from the latest snapshot at or below the log end
   * offset (and not below the log start offset), then replays the batch headers after it. Without
   * a usable snapshot it replays the whole log. Snapshots above the log end offset describe
   * batches that are gone (truncated, or lost in a crash) and are deleted. Producers idle for
   * {@code producer.id.expiration.ms} are dropped.
   */
  private void loadProducerState() {
    producerSnapshots.deleteAbove(logEndOffset);
    long from = logStartOffset;
    boolean loaded = false;
    for (long offset : producerSnapshots.offsets().descendingSet()) {
      if (offset < logStartOffset) {
        break;
      }
      if (producerSnapshots.read(offset, producerState)) {
        from = offset;
        loaded = true;
        break;
      }
      producerSnapshots.delete(offset); // torn or foreign: an older one may do
    }
    if (!loaded) {
      producerState.clear();
    }
    int replayed = replayProducerState(from, time.milliseconds());
    int expired = producerState.removeExpired(time.milliseconds(), config.producerIdExpirationMs());
    log.debug("producer state of {}: {} from offset {}, {} batch headers replayed, {} expired producers dropped",
        dir, loaded ? "snapshot" : "log start", from, replayed, expired);
  }

  /**
   * Applies the producer fields of every batch ending at or after {@code fromOffset}, as if
   * appended at {@code nowMs}.
   */
  private int replayProducerState(long fromOffset, long nowMs) {
    Long startBase = segments.floorKey(fromOffset);
    int[] count = {0};
    for (LogSegment s : segments.tailMap(startBase == null ? segments.firstKey() : startBase, true).values()) {
      s.forEachBatchHeaderFrom(fromOffset, h -> {
        long pid = h.getLong(RecordBatch.PRODUCER_ID_OFFSET);
        int seq = h.getInt(RecordBatch.BASE_SEQUENCE_OFFSET);
        if (pid != RecordBatch.NO_PRODUCER_ID && seq != RecordBatch.NO_SEQUENCE) {
          long base = h.getLong(RecordBatch.BASE_OFFSET_OFFSET);
          int delta = h.getInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET);
          producerState.update(pid, h.getShort(RecordBatch.PRODUCER_EPOCH_OFFSET), seq,
              ProducerStateTable.lastSequence(seq, delta + 1), base, base + delta, nowMs);
        }
        count[0]++;
      });
    }
    return count[0];
  }

  /**
   * Writes the producer state as the snapshot at the log end offset, then deletes snapshots below
   * the log start offset and all but the newest few. Caller holds the lock.
   */
  private void takeProducerSnapshot() {
    producerSnapshots.write(logEndOffset, producerState);
    producerSnapshots.prune(logStartOffset);
  }

  /**
   * Forgets idempotent producers whose last batch is older than {@code producer.id.expiration.ms}
   * (run periodically by the owner, like Kafka's producer-id expiration check). Their retries are
   * no longer recognised and compaction may remove their last batches. Returns how many went.
   */
  public int removeExpiredProducers() {
    synchronized (lock) {
      ensureOpen();
      return producerState.removeExpired(time.milliseconds(), config.producerIdExpirationMs());
    }
  }

  /** How many idempotent producers (producer ids) this log tracks now (a metric). */
  public int producerIdCount() {
    synchronized (lock) {
      return producerState.size();
    }
  }

  /** Producer id to the last offset of its last batch, for every producer the log still knows. */
  Map<Long, Long> producerLastBatchOffsets() {
    synchronized (lock) {
      return producerState.lastBatchOffsets();
    }
  }

  /**
   * Appends batches replicated from the leader, keeping their offsets and epochs. They are checked
   * (framing, CRC, size) and must start at or after the log end offset, in order.
   */
  public LogAppendInfo appendAsFollower(ByteBuffer records) {
    ByteBuffer buf = writable(records);
    List<RecordBatch> batches = validate(buf, false);
    LogAppendInfo info;
    boolean flushNow;
    synchronized (lock) {
      ensureOpen();
      long next = logEndOffset;
      for (RecordBatch b : batches) {
        if (b.baseOffset() < next) {
          throw new InvalidRecordException(
              "replicated batch at offset " + b.baseOffset() + " is below the log end offset " + next);
        }
        next = b.nextOffset();
      }
      info = doAppend(buf, batches);
      flushNow = flushDue();
    }
    if (flushNow) {
      flush();
    }
    return info;
  }

  private static ByteBuffer writable(ByteBuffer records) {
    if (!records.isReadOnly()) {
      return records.slice();
    }
    ByteBuffer copy = ByteBuffer.allocate(records.remaining());
    copy.put(records.duplicate()).flip();
    return copy;
  }

  private List<RecordBatch> validate(ByteBuffer buf, boolean fromProducer) {
    if (!buf.hasRemaining()) {
      throw new InvalidRecordException("append of zero record batches");
    }
    LogConfig cfg = config;
    List<RecordBatch> batches = new ArrayList<>();
    for (RecordBatch b : RecordBatch.iterate(buf)) {
      // Followers take what their leader accepted, whatever max.message.bytes says here now (it
      // may have been lowered since, or this replica may not have the topic's config yet): Kafka
      // skips the size check for replication appends too.
      if (fromProducer && b.sizeInBytes() > cfg.maxMessageBytes()) {
        throw new RecordTooLargeException(b.sizeInBytes(), cfg.maxMessageBytes());
      }
      b.ensureValid();
      if (fromProducer) {
        b.validateRecords(true, cfg.compact(), cfg.maxMessageBytes());
        if (b.recordCount() == 0) {
          throw new InvalidRecordException("producer batch with no records");
        }
      }
      batches.add(b);
    }
    return batches;
  }

  private LogAppendInfo doAppend(ByteBuffer buf, List<RecordBatch> batches) {
    RecordBatch first = batches.get(0);
    RecordBatch lastBatch = batches.get(batches.size() - 1);
    long firstOffset = first.baseOffset();
    long lastOffset = lastBatch.lastOffset();
    long maxTs = RecordBatch.NO_TIMESTAMP;
    int count = 0;
    for (RecordBatch b : batches) {
      maxTs = Math.max(maxTs, b.maxTimestamp());
      count += b.recordCount();
    }
    LogSegment segment = maybeRoll(buf.remaining(), firstOffset, lastOffset);
    boolean gapBehind = segment.isEmpty() && segment.baseOffset() > logEndOffset;
    segment.append(buf);
    for (RecordBatch b : batches) {
      epochCache.assign(b.partitionLeaderEpoch(), b.baseOffset());
    }
    long nowMs = time.milliseconds();
    for (RecordBatch b : batches) {
      if (b.producerId() != RecordBatch.NO_PRODUCER_ID && b.baseSequence() != RecordBatch.NO_SEQUENCE) {
        producerState.update(b.producerId(), b.producerEpoch(), b.baseSequence(), lastSequence(b), b.baseOffset(),
            b.lastOffset(), nowMs);
      }
    }
    logEndOffset = lastOffset + 1;
    unflushedRecords += count;
    if (gapBehind) {
      // A segment that had to start above the log end offset (see maybeRoll): flush now, so the
      // gap lies below the recovery point, where LogLoader knows a crash cannot have made it.
      forceFlushAfterAppend = true;
    }
    return new LogAppendInfo(firstOffset, lastOffset, maxTs, count, buf.remaining(), false);
  }

  /** Whether the append just made must be followed by a flush ({@code flush.messages}). Under the lock. */
  private boolean flushDue() {
    boolean due = forceFlushAfterAppend || unflushedRecords >= config.flushMessages();
    forceFlushAfterAppend = false;
    return due;
  }

  /** The segment to append to: the active one, or a new one when the active one is due to roll. */
  private LogSegment maybeRoll(int appendBytes, long firstOffset, long lastOffset) {
    LogSegment active = segments.lastEntry().getValue();
    LogConfig cfg = config;
    boolean full = active.sizeInBytes() > 0 && (long) active.sizeInBytes() + appendBytes > cfg.segmentBytes();
    boolean old = active.sizeInBytes() > 0 && time.milliseconds() - active.rollBaseMs() > cfg.segmentMs();
    boolean offsetOverflow = lastOffset - active.baseOffset() > Integer.MAX_VALUE;
    if (full || old || offsetOverflow || active.indexesFull()) {
      // The new segment starts at the log end offset even when the batch starts above it (a
      // follower replicating a compacted leader log): segments stay contiguous in offset space, so
      // a gap between two segments always means lost batches (see LogLoader). Only a batch whose
      // offsets do not fit a segment based there must start its own.
      return rollAt(lastOffset - logEndOffset <= Integer.MAX_VALUE ? logEndOffset : firstOffset);
    }
    return active;
  }

  /** Starts a new active segment at the log end offset (no-op if the active one is empty). */
  public void roll() {
    synchronized (lock) {
      ensureOpen();
      if (!segments.lastEntry().getValue().isEmpty()) {
        rollAt(logEndOffset);
      }
    }
  }

  private LogSegment rollAt(long baseOffset) {
    LogSegment previous = segments.lastEntry().getValue();
    if (previous.isEmpty() && previous.baseOffset() == baseOffset) {
      return previous;
    }
    // The producer state as of the new segment's start, so a restart replays only what follows
    // and the state survives retention or compaction removing the batches it came from.
    takeProducerSnapshot();
    LogSegment fresh = LogSegment.create(dir, baseOffset, config, time.milliseconds());
    segments.put(baseOffset, fresh);
    previous.onBecomeInactive();
    return fresh;
  }

  // ---------------------------------------------------------------- read

  /**
   * Reads whole batches starting with the one holding {@code startOffset}: about {@code maxBytes}
   * of them (at least one batch, whatever its size), none reaching {@code maxOffsetExclusive}
   * (pass {@link #highWatermark()} for consumers, {@link #logEndOffset()} for followers).
   *
   * @throws OffsetOutOfRangeException if {@code startOffset} is outside {@code [logStartOffset,
   *     logEndOffset]}
   */
  public LogReadResult read(long startOffset, int maxBytes, long maxOffsetExclusive) {
    return read(startOffset, maxBytes, maxOffsetExclusive, ByteBuffer::allocate);
  }

  /**
   * As {@link #read(long, int, long)}, reading into a buffer from {@code buffers}: called with the
   * number of bytes needed, it returns a heap or direct buffer with at least that capacity (its
   * position and limit are reset here). The result's records are a view of that buffer, so a
   * caller that reuses buffers (a fetch answering from a per-thread buffer) must be done with the
   * result before the next read into the same buffer.
   *
   * @throws OffsetOutOfRangeException if {@code startOffset} is outside {@code [logStartOffset,
   *     logEndOffset]}
   */
  public LogReadResult read(long startOffset, int maxBytes, long maxOffsetExclusive, IntFunction<ByteBuffer> buffers) {
    for (int attempt = 0; ; attempt++) {
      long start = logStartOffset;
      long end = logEndOffset;
      long hw = highWatermark;
      if (startOffset < start || startOffset > end) {
        throw new OffsetOutOfRangeException(startOffset, start, end);
      }
      long limit = Math.min(maxOffsetExclusive, end);
      if (startOffset >= limit) {
        return new LogReadResult(ByteBuffer.allocate(0), hw, start, end);
      }
      try {
        Map.Entry<Long, LogSegment> e = segments.floorEntry(startOffset);
        while (e != null) {
          ByteBuffer data = e.getValue().read(startOffset, maxBytes, limit, buffers);
          if (data != null) {
            return new LogReadResult(data, hw, start, end);
          }
          e = segments.higherEntry(e.getKey());
        }
        return new LogReadResult(ByteBuffer.allocate(0), hw, start, end);
      } catch (StorageIOException ex) {
        // The segment was deleted (retention) or replaced (compaction) under us: look again; the
        // map already holds the replacement, or the log start has moved past the offset.
        if (!(ex.getCause() instanceof ClosedChannelException) || attempt >= 10) {
          throw ex;
        }
      }
    }
  }

  /**
   * The first record whose timestamp is {@code >= targetTimestamp} (ms since the epoch): its own
   * timestamp, its offset and its batch's leader epoch; empty if every record is older, or the log
   * is empty. Kafka's {@code UnifiedLog.fetchOffsetByTimestamp}, behind ListOffsets by time
   * (KIP-79): records at times 2, 4, 6, 8 (offsets 0..3) answer a lookup for 3 with offset 1 and
   * timestamp 4, and one for 9 with empty. Segments are searched oldest first, skipping those whose
   * newest record is older; within one, the time index gives where to start scanning.
   *
   * <p>The whole log is searched, up to the log end offset: a caller serving consumers must answer
   * "none" when the found offset is at or above the high watermark, as Kafka's {@code
   * Partition.fetchOffsetForTimestamp} does. Takes no lock (like {@link #read}).
   */
  public Optional<TimestampAndOffset> fetchOffsetByTimestamp(long targetTimestamp) {
    for (LogSegment s : segments.values()) {
      if (s.maxTimestamp() >= targetTimestamp) {
        TimestampAndOffset found = s.findOffsetByTimestamp(targetTimestamp);
        if (found != null) {
          return Optional.of(found);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * The offset of the first record whose timestamp is {@code >= timestamp}, or empty if every
   * record is older: {@link #fetchOffsetByTimestamp} without the timestamp and epoch.
   */
  public OptionalLong offsetForTimestamp(long timestamp) {
    Optional<TimestampAndOffset> found = fetchOffsetByTimestamp(timestamp);
    return found.isPresent() ? OptionalLong.of(found.get().offset()) : OptionalLong.empty();
  }

  // ---------------------------------------------------------------- high watermark

  /** Sets the high watermark, clamped to {@code [logStartOffset, logEndOffset]}; returns it. */
  public long updateHighWatermark(long hw) {
    synchronized (lock) {
      highWatermark = clamp(hw);
      return highWatermark;
    }
  }

  /**
   * Raises the high watermark to {@code hw} (clamped to the log) if that is higher; never lowers
   * it, so concurrent callers with different views cannot move it backwards. Returns it.
   */
  public long maybeIncrementHighWatermark(long hw) {
    synchronized (lock) {
      long next = clamp(hw);
      if (next > highWatermark) {
        highWatermark = next;
      }
      return highWatermark;
    }
  }

  private long clamp(long hw) {
    return Math.max(logStartOffset, Math.min(hw, logEndOffset));
  }

  /** Persists the high watermark (atomically; called periodically and on close). */
  public void checkpointHighWatermark() {
    // Under the lock and only while open: a checkpoint racing with delete() would write into a
    // directory being removed (NoSuchFileException on the .tmp, or a directory that cannot be
    // removed because the checkpoint reappeared in it).
    synchronized (lock) {
      if (closed) {
        return;
      }
      highWatermarkFile.write(List.of(Long.toString(highWatermark)));
    }
  }

  // ---------------------------------------------------------------- truncation

  /**
   * Removes every batch that ends at or after {@code offset}: the log end offset becomes the start
   * of the batch holding {@code offset} (batches are never split). Used by followers whose log
   * diverged from the leader's. No-op if {@code offset >= logEndOffset}.
   */
  public void truncateTo(long offset) {
    synchronized (lock) {
      ensureOpen();
      if (offset >= logEndOffset) {
        return;
      }
      if (offset <= logStartOffset) {
        truncateFullyAndStartAt(offset);
        return;
      }
      // First, durably: a snapshot past the cut must never describe the log regrown differently.
      producerSnapshots.deleteAbove(offset);
      List<LogSegment> doomed = new ArrayList<>(segments.tailMap(offset, true).values());
      for (LogSegment s : doomed) {
        segments.remove(s.baseOffset());
        s.delete();
      }
      LogSegment active = segments.lastEntry().getValue();
      active.truncateTo(offset);
      active.reopenForAppend();
      logEndOffset = active.nextOffset();
      afterTruncation();
    }
  }

  /** Deletes everything and restarts the log, empty, at {@code newStartOffset}. */
  public void truncateFullyAndStartAt(long newStartOffset) {
    synchronized (lock) {
      ensureOpen();
      producerSnapshots.deleteAll();
      for (LogSegment s : new ArrayList<>(segments.values())) {
        segments.remove(s.baseOffset());
        s.delete();
      }
      segments.put(newStartOffset, LogSegment.create(dir, newStartOffset, config, time.milliseconds()));
      logStartOffset = newStartOffset;
      logStartOffsetFile.write(List.of(Long.toString(newStartOffset)));
      logEndOffset = newStartOffset;
      epochCache.clear();
      afterTruncation();
    }
  }

  private void afterTruncation() {
    epochCache.truncateFromEnd(logEndOffset);
    loadProducerState();
    highWatermark = clamp(highWatermark);
    if (recoveryPoint > logEndOffset) {
      recoveryPoint = logEndOffset;
      recoveryPointFile.write(List.of(Long.toString(recoveryPoint)));
    }
  }

  // ---------------------------------------------------------------- delete records

  /**
   * Kafka's DeleteRecords ({@code UnifiedLog.maybeIncrementLogStartOffset}): makes {@code offset}
   * the log start offset, so every record before it is gone for readers at once, and deletes the
   * segments that hold nothing at or after it. The new start is persisted (it may lie inside a
   * segment) and survives a restart. An offset at or below the current start changes nothing.
   *
   * @param offset the new log start offset, at most the high watermark (only committed records
   *     can be deleted)
   * @return the log start offset after the call (Kafka's "low watermark")
   * @throws OffsetOutOfRangeException if {@code offset} is above the high watermark or negative;
   *     its range is {@code [logStartOffset, highWatermark]} (nothing changes)
   */
  public long deleteRecordsBefore(long offset) {
    synchronized (lock) {
      ensureOpen();
      if (offset < 0 || offset > highWatermark) {
        // The valid range named is [log start, high watermark]: only committed records go.
        throw new OffsetOutOfRangeException(offset, logStartOffset, highWatermark);
      }
      if (offset <= logStartOffset) {
        return logStartOffset;
      }
      logStartOffsetFile.write(List.of(Long.toString(offset)));
      logStartOffset = offset;
      List<LogSegment> doomed = new ArrayList<>();
      for (Map.Entry<Long, LogSegment> e : segments.entrySet()) {
        Long nextBase = segments.higherKey(e.getKey());
        if (nextBase == null || nextBase > offset) {
          break; // this segment holds offsets at or after the new start
        }
        doomed.add(e.getValue());
      }
      for (LogSegment s : doomed) {
        segments.remove(s.baseOffset());
      }
      for (LogSegment s : doomed) {
        s.delete();
      }
      epochCache.truncateFromStart(logStartOffset);
      if (!doomed.isEmpty()) {
        try {
          takeProducerSnapshot(); // as after retention: producers whose batches went stay known
        } catch (StorageIOException e) {
          log.warn("cannot snapshot the producer state of {} after deleting records: {}", dir, e.getMessage());
        }
      }
      return logStartOffset;
    }
  }

  // ---------------------------------------------------------------- retention

  /**
   * Deletes whole segments that fall out of retention: older than {@code retention.ms} (by their
   * newest record) or beyond {@code retention.bytes} from the newest end. Only segments entirely
   * below the high watermark are deleted, and only a prefix of the log. When only the active
   * segment is left and it has expired too, it is rolled and deleted, so an idle log empties
   * (offsets carry on). Returns the number of segments deleted.
   */
  public int deleteOldSegments() {
    synchronized (lock) {
      ensureOpen();
      LogConfig cfg = config;
      if (!cfg.delete()) {
        return 0;
      }
      long now = time.milliseconds();
      int deleted = deletePrefix(cfg, now);
      LogSegment active = segments.lastEntry().getValue();
      if (segments.size() == 1 && !active.isEmpty() && highWatermark == logEndOffset && expired(active, cfg, now)) {
        try {
          rollAt(logEndOffset);
          deleted += deletePrefix(cfg, now);
        } catch (StorageIOException e) {
          log.warn("cannot roll expired active segment of {} for retention: {}", dir, e.getMessage());
        }
      }
      return deleted;
    }
  }

  /** Deletes the prefix of inactive, committed segments that retention no longer wants. */
  private int deletePrefix(LogConfig cfg, long now) {
    long excessBytes = cfg.retentionBytes() < 0 ? 0 : sizeInBytes() - cfg.retentionBytes();
    List<LogSegment> doomed = new ArrayList<>();
    for (Map.Entry<Long, LogSegment> e : segments.entrySet()) {
      LogSegment s = e.getValue();
      Long nextBase = segments.higherKey(e.getKey());
      if (nextBase == null || nextBase > highWatermark) {
        break; // the active segment, or data not yet committed
      }
      boolean bySize = excessBytes >= s.sizeInBytes();
      if (!expired(s, cfg, now) && !bySize) {
        break;
      }
      excessBytes -= s.sizeInBytes();
      doomed.add(s);
    }
    if (doomed.isEmpty()) {
      return 0;
    }
    for (LogSegment s : doomed) {
      segments.remove(s.baseOffset());
    }
    logStartOffset = Math.max(logStartOffset, segments.firstKey());
    for (LogSegment s : doomed) {
      s.delete();
    }
    epochCache.truncateFromStart(logStartOffset); // after the deletes: they free the space it needs
    try {
      // Producers whose batches just went stay known (until they expire): a snapshot at or above
      // the new log start offset carries them over a restart.
      takeProducerSnapshot();
    } catch (StorageIOException e) {
      log.warn("cannot snapshot the producer state of {} after retention: {}", dir, e.getMessage());
    }
    log.info("retention deleted {} segment(s) of {}; log now starts at {}", doomed.size(), dir, logStartOffset);
    return doomed.size();
  }

  private static boolean expired(LogSegment s, LogConfig cfg, long nowMs) {
    return cfg.retentionMs() >= 0 && !s.isEmpty() && s.maxTimestamp() < nowMs - cfg.retentionMs();
  }

  // ---------------------------------------------------------------- flush

  /** fsyncs every segment with data past the recovery point, then moves the recovery point. */
  public void flush() {
    synchronized (flushLock) {
      long target;
      List<LogSegment> toFlush;
      synchronized (lock) {
        ensureOpen();
        target = logEndOffset;
        if (target <= recoveryPoint && unflushedRecords == 0) {
          return;
        }
        Long from = segments.floorKey(recoveryPoint);
        toFlush = new ArrayList<>(segments.tailMap(from == null ? segments.firstKey() : from, true).values());
        unflushedRecords = 0;
        lastFlushMs = time.milliseconds();
      }
      for (LogSegment s : toFlush) {
        try {
          s.flush();
        } catch (StorageIOException e) {
          if (!(e.getCause() instanceof ClosedChannelException)) {
            throw e; // a segment deleted meanwhile needs no flush
          }
        }
      }
      synchronized (lock) {
        if (!closed && target > recoveryPoint && target <= logEndOffset) {
          recoveryPoint = target;
          recoveryPointFile.write(List.of(Long.toString(recoveryPoint)));
        }
      }
    }
  }

  /** Flushes if there are unflushed records older than {@code flush.ms}. */
  public void flushIfDue() {
    boolean due;
    synchronized (lock) {
      due = !closed && unflushedRecords > 0 && time.milliseconds() - lastFlushMs >= config.flushMs();
    }
    if (due) {
      flush();
    }
  }

  // ---------------------------------------------------------------- compaction support

  /** The segments below the active one, oldest first (a snapshot). */
  List<LogSegment> inactiveSegments() {
    List<LogSegment> out = new ArrayList<>(segments.values());
    out.remove(out.size() - 1);
    return out;
  }

  LogSegment activeSegment() {
    return segments.lastEntry().getValue();
  }

  Time time() {
    return time;
  }

  /**
   * Replaces {@code original} by the compacted file {@code <base>.log.swap} already written next
   * to it. Returns false (and deletes the swap file) if the segment is no longer part of the log,
   * e.g. retention or truncation removed it meanwhile.
   *
   * <p>Readers never wait: the swap file is renamed over the original while the original's open
   * channel keeps reading the old inode (POSIX semantics), the new segment is published, and only
   * then is the old channel closed. A reader still holding the old segment retries.
   */
  boolean replaceSegment(LogSegment original) {
    synchronized (lock) {
      long base = original.baseOffset();
      Path swap = dir.resolve(LogSegment.fileStem(base) + LogSegment.LOG_SUFFIX + LogSegment.SWAP_SUFFIX);
      try {
        if (closed || segments.get(base) != original || segments.lastEntry().getValue() == original) {
          Files.deleteIfExists(swap);
          return false;
        }
        LogSegment.completeSwap(dir, base);
      } catch (IOException e) {
        throw new StorageIOException("swapping compacted segment " + base + " into " + dir, e);
      }
      LogSegment fresh = LogSegment.open(dir, base, config, time.milliseconds());
      fresh.recover(Integer.MAX_VALUE);
      fresh.onBecomeInactive();
      segments.put(base, fresh);
      original.releaseHandles();
      return true;
    }
  }

  // ---------------------------------------------------------------- lifecycle

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("log " + dir + " is closed");
    }
  }

  /** Flushes, checkpoints and closes every segment. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
    }
    flush();
    synchronized (lock) {
      if (closed) {
        return;
      }
      checkpointHighWatermark();
      try {
        takeProducerSnapshot();
      } catch (StorageIOException e) {
        log.warn("cannot snapshot the producer state of {} at close: {}", dir, e.getMessage());
      }
      closed = true;
      for (LogSegment s : segments.values()) {
        s.close();
      }
    }
  }

  /** Closes the log and deletes its directory (the partition is gone). */
  public void delete() {
    synchronized (lock) {
      closed = true;
      for (LogSegment s : segments.values()) {
        s.delete();
      }
      segments.clear();
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      } catch (IOException e) {
        throw new StorageIOException("deleting log directory " + dir, e);
      }
    }
  }

  @Override
  public String toString() {
    return "Log[" + dir + ", start=" + logStartOffset + ", hw=" + highWatermark + ", end=" + logEndOffset + "]";
  }
}
