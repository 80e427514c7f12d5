package io.brook.storage.log;

import io.brook.storage.StorageIOException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a log directory after a clean shutdown or a crash and brings it to a consistent state:
 *
 * <ol>
 *   <li>finishes or discards an interrupted compaction ({@code .swap} files are completed, {@code
 *       .cleaned} and {@code .tmp} files deleted);
 *   <li>validates (CRC, framing, offset order) every batch of the active segment and of every
 *       segment holding data past the recovery point (the last flushed offset), rebuilding their
 *       indexes and cutting the file at the first bad byte; everything after a cut is deleted;
 *   <li>for older segments, checks the indexes against the file and rebuilds them (by recovering
 *       the segment) if they are missing or insane.
 * </ol>
 *
 * The active segment is always validated, even after a clean shutdown: it is where a crash, a torn
 * write or a cut file lands, and its size is bounded by {@code segment.bytes}. A segment that ends
 * before the next one starts lost whole batches if, and only if, the gap lies in unflushed data
 * ({@link #lostBatchesBefore}); the later segments are deleted then, since serving across the hole
 * would silently skip offsets. Nothing here depends on the log's configuration: the loader must
 * bring back the same log whatever config it is opened with. Runs on the thread opening the log,
 * before the log is visible to anyone else.
 */
final class LogLoader {
  private static final Logger log = LoggerFactory.getLogger(LogLoader.class);

  record Loaded(TreeMap<Long, LogSegment> segments, long recoveredBytesCut) {}

  private LogLoader() {}

  static Loaded load(Path dir, LogConfig config, long recoveryPoint, long nowMs) {
    try {
      Files.createDirectories(dir);
      List<Long> bases = new ArrayList<>();
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
        for (Path f : files) {
          String name = f.getFileName().toString();
          if (name.endsWith(LogSegment.CLEANED_SUFFIX) || name.endsWith(".tmp")) {
            Files.deleteIfExists(f);
          } else if (name.endsWith(LogSegment.LOG_SUFFIX + LogSegment.SWAP_SUFFIX)) {
            long base = parseBase(name);
            if (Files.exists(LogSegment.logFile(dir, base))) {
              log.info("completing interrupted compaction of segment {} in {}", base, dir);
              LogSegment.completeSwap(dir, base);
              bases.add(base);
            } else {
              // The segment was deleted (truncation, retention) after the compactor committed.
              log.info("discarding compaction of segment {} in {}, deleted meanwhile", base, dir);
              Files.deleteIfExists(f);
            }
          } else if (name.endsWith(LogSegment.LOG_SUFFIX)) {
            bases.add(parseBase(name));
          }
        }
      }
      bases = bases.stream().distinct().sorted().toList();
      TreeMap<Long, LogSegment> segments = new TreeMap<>();
      long cut = 0;
      for (int i = 0; i < bases.size(); i++) {
        long base = bases.get(i);
        boolean last = i == bases.size() - 1;
        long nextBase = last ? Long.MAX_VALUE : bases.get(i + 1);
        LogSegment segment = LogSegment.open(dir, base, config, nowMs);
        boolean recover = last || nextBase > recoveryPoint || !segment.loadIndexes();
        int bytesCut = recover ? segment.recover(Integer.MAX_VALUE) : 0;
        if (!segments.isEmpty() && segment.baseOffset() < segments.lastEntry().getValue().nextOffset()) {
          // Overlaps the previous segment: cannot be trusted.
          log.warn("segment {} in {} overlaps the previous one; deleting it and everything after", base, dir);
          segment.delete();
          deleteSegmentsFrom(dir, bases.subList(i + 1, bases.size()));
          break;
        }
        segments.put(base, segment);
        boolean hole = !last && lostBatchesBefore(segment.nextOffset(), nextBase, recoveryPoint);
        if (bytesCut > 0 || hole) {
          cut += bytesCut;
          if (bytesCut > 0) {
            log.warn("cut {} invalid bytes from the end of segment {} in {}", bytesCut, base, dir);
          } else {
            log.warn("segment {} in {} ends at offset {} but the next starts at {}: batches were lost in a crash",
                base, dir, segment.nextOffset(), nextBase);
          }
          if (!last) {
            log.warn("deleting {} segments after the corrupt one in {}", bases.size() - i - 1, dir);
            deleteSegmentsFrom(dir, bases.subList(i + 1, bases.size()));
            break;
          }
        }
      }
      // Every segment but the last has its final size: trim indexes preallocated by a recovery.
      LogSegment active = segments.isEmpty() ? null : segments.lastEntry().getValue();
      for (LogSegment s : segments.values()) {
        if (s != active) {
          s.onBecomeInactive();
        }
      }
      return new Loaded(segments, cut);
    } catch (IOException e) {
      throw new StorageIOException("loading log " + dir, e);
    }
  }

  /**
   * Whether a segment ending at {@code segmentEnd} (one past its last batch) followed by one
   * starting at {@code nextBase} lost batches in a crash. A crash loses only what was never
   * fsynced, which is data at or above the recovery point; everything below it was flushed and is
   * intact. So a gap that starts below the recovery point is one the log made on purpose, and one
   * at or above it is a loss:
   *
   * <ul>
   *   <li>compaction removes whole batches, emptying the end of a segment or all of it, but the
   *       compactor flushes the log before it cleans, so what it cleans lies below the recovery
   *       point (LogCompactor);
   *   <li>retention deletes a prefix of segments and truncation a suffix: neither leaves a gap
   *       between the segments that remain;
   *   <li>a roll starts the new segment at the log end offset even when the next batch starts
   *       above it (a follower replicating a compacted log), so appends never open a gap either;
   *       the one exception, a batch too far above for a segment based there, is flushed at once.
   * </ul>
   *
   * This check depends on nothing in the log's configuration: a log opened with the wrong config
   * (or whose {@code cleanup.policy} changed since it was compacted) loads the same.
   */
  static boolean lostBatchesBefore(long segmentEnd, long nextBase, long recoveryPoint) {
    return segmentEnd < nextBase && segmentEnd >= recoveryPoint;
  }

  private static void deleteSegmentsFrom(Path dir, List<Long> bases) throws IOException {
    for (long b : bases) {
      LogSegment.deleteFiles(dir, b);
    }
  }

  private static long parseBase(String fileName) {
    String digits = fileName.substring(0, fileName.indexOf('.'));
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      throw new IllegalStateException("unexpected file " + fileName + " in a log directory");
    }
  }
}
