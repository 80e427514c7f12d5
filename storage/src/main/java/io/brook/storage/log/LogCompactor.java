package io.brook.storage.log;

import io.brook.storage.StorageIOException;
import io.brook.storage.record.Record;
import io.brook.storage.record.RecordBatch;
import io.brook.storage.record.RecordBatchBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Log compaction: keeps, for every key, only its latest record, in the part of a {@code compact}
 * log that is below both the active segment and the high watermark (the <em>cleanable</em>
 * range). Tombstones (null values) are kept for {@code delete.retention.ms} after their timestamp
 * so consumers can see the delete, then dropped.
 *
 * <p>One pass: (1) map every key in the cleanable range to its last offset; (2) for each segment
 * with something to drop, write the surviving records to {@code <base>.log.cleaned}, fsync, and
 * rename it to {@code <base>.log.swap} (the commit point); (3) the log swaps it in. A crash before
 * the rename leaves the original in place ({@code .cleaned} is deleted on open); after it, opening
 * the log completes the swap. Surviving records keep their offsets; a batch whose records all
 * survive is copied byte for byte, others are re-encoded with the same base offset, offset span,
 * epoch, producer fields and codec. A batch left with no records is dropped, except the last batch
 * of each idempotent producer the log still knows (not expired), kept as an empty batch so the
 * producer's sequence survives in the log (Kafka's cleaner does the same; KAFKA-5490). Offsets are
 * never reused, so compacted logs have gaps.
 *
 * <p>Before cleaning, the log is flushed up to the end of the cleanable range: every gap compaction
 * leaves then lies below the recovery point, which is how recovery tells it from batches a crash
 * lost ({@link LogLoader#lostBatchesBefore}).
 *
 * <p>Limits: the key map holds every key of the cleanable range in memory (Kafka bounds it with a
 * fixed-size hash map and cleans in rounds); small segments are not merged.
 *
 * <p>Threading: not thread-safe; run one compactor per log at a time (the log store's background
 * thread). It reads segments without the log's lock and swaps under it.
 */
public final class LogCompactor {
  private static final Logger log = LoggerFactory.getLogger(LogCompactor.class);

  /** What one pass did. */
  public record Result(int segmentsRewritten, long recordsRemoved, long bytesBefore, long bytesAfter) {
    static final Result NOTHING = new Result(0, 0, 0, 0);
  }

  private final RecordBatchBuilder builder = new RecordBatchBuilder();

  /** Compacts the cleanable range of {@code target} once. */
  public Result compact(Log target) {
    LogConfig cfg = target.config();
    if (!cfg.compact()) {
      return Result.NOTHING;
    }
    List<LogSegment> cleanable = cleanableSegments(target);
    if (cleanable.isEmpty()) {
      return Result.NOTHING;
    }
    try {
      long cleanableEnd = cleanableEnd(target, cleanable);
      if (target.recoveryPoint() < cleanableEnd) {
        // Clean only flushed data: the gaps compaction leaves then lie below the recovery point,
        // where LogLoader knows a crash cannot have made them (see LogLoader.lostBatchesBefore).
        target.flush();
      }
      Map<Long, Long> producerLastBatches = target.producerLastBatchOffsets();
      Map<ByteBuffer, Long> latest = latestOffsets(cleanable);
      long deleteHorizonMs = target.time().milliseconds() - cfg.deleteRetentionMs();
      int rewritten = 0;
      long removed = 0;
      long before = 0;
      long after = 0;
      for (LogSegment segment : cleanable) {
        Cleaned c = clean(target.dir(), segment, latest, producerLastBatches, deleteHorizonMs);
        if (c == null) {
          continue; // nothing to drop in this segment
        }
        if (target.replaceSegment(segment)) {
          rewritten++;
          removed += c.recordsRemoved;
          before += segment.sizeInBytes();
          after += c.bytes;
        }
      }
      if (rewritten > 0) {
        log.info("compacted {} segment(s) of {}: {} records removed, {} -> {} bytes",
            rewritten, target.dir(), removed, before, after);
      }
      return new Result(rewritten, removed, before, after);
    } catch (StorageIOException e) {
      if (e.getCause() instanceof ClosedChannelException) {
        return Result.NOTHING; // a segment went away (retention, truncation): try next time
      }
      throw e;
    }
  }

  /** Inactive segments, oldest first, whose every offset is below the high watermark. */
  private static List<LogSegment> cleanableSegments(Log target) {
    List<LogSegment> inactive = target.inactiveSegments();
    long hw = target.highWatermark();
    List<LogSegment> out = new ArrayList<>();
    for (int i = 0; i < inactive.size(); i++) {
      long end = i + 1 < inactive.size() ? inactive.get(i + 1).baseOffset() : target.activeSegment().baseOffset();
      if (end > hw) {
        break;
      }
      out.add(inactive.get(i));
    }
    return out;
  }

  /** One past the last offset the cleanable segments may hold: the next segment's base. */
  private static long cleanableEnd(Log target, List<LogSegment> cleanable) {
    long lastBase = cleanable.get(cleanable.size() - 1).baseOffset();
    for (LogSegment s : target.inactiveSegments()) {
      if (s.baseOffset() > lastBase) {
        return s.baseOffset();
      }
    }
    return target.activeSegment().baseOffset();
  }

  private static Map<ByteBuffer, Long> latestOffsets(List<LogSegment> segments) {
    Map<ByteBuffer, Long> latest = new HashMap<>();
    for (LogSegment s : segments) {
      for (Iterator<RecordBatch> it = s.batches(); it.hasNext(); ) {
        RecordBatch b = it.next();
        if (b.isControl()) {
          continue;
        }
        for (Record r : b.records()) {
          if (r.key() != null) {
            latest.put(ByteBuffer.wrap(r.key()), r.offset());
          }
        }
      }
    }
    return latest;
  }

  private record Cleaned(long recordsRemoved, long bytes) {}

  /**
   * Writes {@code <base>.log.swap} for {@code segment}, or returns null if nothing would change. A
   * batch left with no records is dropped, unless it is the last batch of a producer the log
   * still knows ({@code producerLastBatches}: producer id to the last offset of its last batch):
   * that one is kept as an empty batch, so the producer's sequence survives in the log and a log
   * rebuilt from its batches still recognises the producer's next batch and retries (Kafka's
   * cleaner keeps the same batches, for the same reason: KAFKA-5490).
   */
  private Cleaned clean(Path dir, LogSegment segment, Map<ByteBuffer, Long> latest, Map<Long, Long> producerLastBatches,
      long deleteHorizonMs) {
    String stem = LogSegment.fileStem(segment.baseOffset()) + LogSegment.LOG_SUFFIX;
    Path cleanedFile = dir.resolve(stem + LogSegment.CLEANED_SUFFIX);
    Path swapFile = dir.resolve(stem + LogSegment.SWAP_SUFFIX);
    long removed = 0;
    long bytes = 0;
    try (FileChannel out =
        FileChannel.open(cleanedFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      for (Iterator<RecordBatch> it = segment.batches(); it.hasNext(); ) {
        RecordBatch batch = it.next();
        List<Record> records = batch.records();
        List<Record> kept = new ArrayList<>(records.size());
        for (Record r : records) {
          if (retain(r, latest, deleteHorizonMs)) {
            kept.add(r);
          }
        }
        removed += records.size() - kept.size();
        ByteBuffer bytesOut;
        if (kept.isEmpty() && !batch.isControl()) {
          if (!isLastBatchOfKnownProducer(batch, producerLastBatches)) {
            continue;
          }
          bytesOut = records.isEmpty() ? batch.buffer() : batch.emptyCopy();
        } else if (kept.size() == records.size() || batch.isControl()) {
          bytesOut = batch.buffer();
        } else {
          bytesOut = rebuild(batch, kept);
        }
        bytes += bytesOut.remaining();
        while (bytesOut.hasRemaining()) {
          out.write(bytesOut);
        }
      }
      if (removed == 0) {
        out.close();
        Files.deleteIfExists(cleanedFile);
        return null;
      }
      out.force(true);
    } catch (IOException e) {
      throw new StorageIOException("writing compacted segment " + cleanedFile, e);
    }
    try {
      Files.move(cleanedFile, swapFile, StandardCopyOption.ATOMIC_MOVE);
      CheckpointFile.fsyncDirectory(dir);
    } catch (IOException e) {
      throw new StorageIOException("committing compacted segment " + swapFile, e);
    }
    return new Cleaned(removed, bytes);
  }

  private static boolean isLastBatchOfKnownProducer(RecordBatch batch, Map<Long, Long> producerLastBatches) {
    if (batch.producerId() == RecordBatch.NO_PRODUCER_ID || batch.baseSequence() == RecordBatch.NO_SEQUENCE) {
      return false;
    }
    Long last = producerLastBatches.get(batch.producerId());
    return last != null && last == batch.lastOffset();
  }

  private static boolean retain(Record r, Map<ByteBuffer, Long> latest, long deleteHorizonMs) {
    if (r.key() == null) {
      return false; // a compacted log cannot say which keyless record is "latest"
    }
    Long last = latest.get(ByteBuffer.wrap(r.key()));
    if (last == null || last != r.offset()) {
      return false;
    }
    return !(r.isTombstone() && r.timestamp() < deleteHorizonMs);
  }

  private ByteBuffer rebuild(RecordBatch batch, List<Record> kept) {
    builder.reset()
        .compression(batch.compressionType())
        .timestampType(batch.timestampType())
        .baseOffset(batch.baseOffset())
        .partitionLeaderEpoch(batch.partitionLeaderEpoch())
        .producer(batch.producerId(), batch.producerEpoch(), batch.baseSequence())
        .transactional(batch.isTransactional())
        .lastOffsetDelta(batch.lastOffsetDelta());
    for (Record r : kept) {
      builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), r.value(), r.headers());
    }
    return builder.build();
  }
}
