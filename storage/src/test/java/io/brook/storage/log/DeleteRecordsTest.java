package io.brook.storage.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.brook.storage.MockTime;
import io.brook.storage.OffsetOutOfRangeException;
import io.brook.storage.record.Record;
import io.brook.storage.record.RecordBatch;
import io.brook.storage.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's DeleteRecords on the log ({@link Log#deleteRecordsBefore}): the log start offset moves
 * inside a segment, readers below it are refused, whole segments below it are deleted, the start
 * survives a restart, and offsets above the high watermark are refused without a change.
 */
@Timeout(60)
class DeleteRecordsTest {
  @TempDir Path dir;
  final MockTime time = new MockTime(1_700_000_000_000L);

  private Log open() {
    // Small segments: 10 batches of ~100 bytes fill one.
    return Log.open(dir.resolve("t-0"), LogConfig.from(Map.of("segment.bytes", "1000")), time);
  }

  private static ByteBuffer batch(long ts, String... values) {
    RecordBatchBuilder b = new RecordBatchBuilder();
    for (String v : values) {
      b.append(ts, null, v.getBytes(StandardCharsets.UTF_8));
    }
    return b.build();
  }

  private static List<Long> offsetsFrom(Log log, long from) {
    List<Long> out = new ArrayList<>();
    long next = from;
    while (next < log.highWatermark()) {
      for (RecordBatch b : RecordBatch.iterate(log.read(next, 1 << 20, log.highWatermark()).records())) {
        for (Record r : b.records()) {
          if (r.offset() >= next) {
            out.add(r.offset());
          }
        }
        next = b.nextOffset();
      }
    }
    return out;
  }

  private Log filled(int batches) {
    Log log = open();
    for (int i = 0; i < batches; i++) {
      log.appendAsLeader(batch(time.milliseconds(), "v" + (2 * i), "v" + (2 * i + 1)), 1);
    }
    log.updateHighWatermark(log.logEndOffset());
    return log;
  }

  @Test
  void movesTheStartInsideASegmentDeletesWholeSegmentsBelowAndSurvivesARestart() {
    Log log = filled(40); // offsets 0..79 over several segments
    int segmentsBefore = log.numberOfSegments();
    assertThat(segmentsBefore).isGreaterThan(3);

    long start = log.deleteRecordsBefore(45);

    assertThat(start).isEqualTo(45);
    assertThat(log.logStartOffset()).isEqualTo(45);
    assertThat(log.numberOfSegments()).as("segments wholly below 45 are deleted").isLessThan(segmentsBefore);
    assertThat(log.segmentBaseOffsets().get(0)).isLessThanOrEqualTo(45L);
    assertThatThrownBy(() -> log.read(44, 1 << 20, log.highWatermark())).isInstanceOf(OffsetOutOfRangeException.class);
    assertThat(offsetsFrom(log, 45)).first().isEqualTo(45L);
    assertThat(offsetsFrom(log, 45)).hasSize(35).last().isEqualTo(79L);
    log.close();

    Log reopened = open();
    try {
      assertThat(reopened.logStartOffset()).as("the start inside a segment is persisted").isEqualTo(45);
      assertThatThrownBy(() -> reopened.read(44, 1 << 20, Long.MAX_VALUE)).isInstanceOf(OffsetOutOfRangeException.class);
      assertThat(reopened.deleteRecordsBefore(30)).as("a lower offset changes nothing").isEqualTo(45);
      reopened.appendAsLeader(batch(time.milliseconds(), "later"), 1);
      assertThat(reopened.logEndOffset()).isEqualTo(81);
    } finally {
      reopened.close();
    }
  }

  @Test
  void refusesOffsetsAboveTheHighWatermarkAndChangesNothing() {
    Log log = filled(5);
    log.updateHighWatermark(6);
    assertThatThrownBy(() -> log.deleteRecordsBefore(7))
        .isInstanceOf(OffsetOutOfRangeException.class).hasMessageContaining("[0, 6]");
    assertThatThrownBy(() -> log.deleteRecordsBefore(-1)).isInstanceOf(OffsetOutOfRangeException.class);
    assertThat(log.logStartOffset()).isZero();
    assertThat(log.deleteRecordsBefore(6)).isEqualTo(6);
    log.close();
  }

  @Test
  void retentionAfterwardsNeverMovesTheStartBack() {
    Log log = filled(40);
    log.deleteRecordsBefore(75);
    long base = log.segmentBaseOffsets().get(0);
    assertThat(base).isLessThan(75);
    log.deleteOldSegments(); // nothing expired: a no-op that must keep 75
    assertThat(log.logStartOffset()).isEqualTo(75);
    log.truncateFullyAndStartAt(200); // a follower restarting at its leader's start
    log.close();
    Log reopened = open();
    try {
      assertThat(reopened.logStartOffset()).isEqualTo(200);
      assertThat(reopened.logEndOffset()).isEqualTo(200);
    } finally {
      reopened.close();
    }
  }
}
