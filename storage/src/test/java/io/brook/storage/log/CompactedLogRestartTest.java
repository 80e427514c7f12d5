package io.brook.storage.log;

import static io.brook.storage.log.LogTestSupport.bytes;
import static io.brook.storage.log.LogTestSupport.readAll;
import static io.brook.storage.log.LogTestSupport.string;
import static org.assertj.core.api.Assertions.assertThat;

import io.brook.storage.MockTime;
import io.brook.storage.record.Record;
import io.brook.storage.record.RecordBatch;
import io.brook.storage.record.RecordBatchBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 8 §1: a compacted topic lost its data after {@code kill -9}. The log was reopened with the
 * default config (so recovery judged it by the rules of an uncompacted log), found the offset gaps
 * compaction leaves between segments past the recovery point, took them for batches lost in a
 * crash and deleted every segment after the first one: log end offset 0, offsets reused.
 *
 * <p>A {@code kill -9} image is the directory as the process left it: every write is in it (the
 * page cache survives the process), nothing a clean close does (checkpoints, trimmed indexes,
 * producer snapshot) has happened.
 */
@Timeout(60)
class CompactedLogRestartTest {
  @TempDir Path tmp;
  final MockTime time = new MockTime(1_700_000_000_000L);

  static final Map<String, String> TOPIC = Map.of("cleanup.policy", "compact", "segment.bytes", "200");

  /**
   * The input: {@code cleanup.policy=compact, segment.bytes=200}, 12 records over keys
   * k0..k2, compaction has run (segments emptied or starting above the previous one's end),
   * {@code kill -9}, restart. Expected: log end offset 12, the latest record of each key readable,
   * the next record at offset 12. Reopened with the topic's config, and with the default config
   * (what the broker used to open every log with; also a topic whose policy changed since it was
   * compacted): the loader must not depend on it.
   */
  @ParameterizedTest(name = "reopened with {0} config")
  @ValueSource(strings = {"the topic's", "the default"})
  void compactedLogKeepsItsDataAcrossKill9(String reopenWith) {
    Path dir = tmp.resolve("compacted-0");
    Log log = Log.open(dir, LogConfig.from(TOPIC), time);
    Map<String, String> latest = new LinkedHashMap<>();
    for (int i = 0; i < 12; i++) {
      String key = "k" + (i % 3);
      String value = "v" + i;
      log.appendAsLeader(new RecordBatchBuilder().append(time.milliseconds(), bytes(key), bytes(value)).build(), 1);
      latest.put(key, value);
      time.advance(1);
    }
    log.updateHighWatermark(log.logEndOffset());
    LogCompactor.Result compaction = new LogCompactor().compact(log);
    assertThat(compaction.recordsRemoved()).as("compaction ran").isPositive();
    assertThat(gapsBetweenSegments(log)).as("compaction left segments ending before the next starts").isPositive();

    Path image = tmp.resolve("image");
    copyDirectory(dir, image); // kill -9: the log is never closed

    LogConfig config = reopenWith.equals("the default") ? LogConfig.DEFAULT : LogConfig.from(TOPIC);
    try (Log reopened = Log.open(image, config, time)) {
      assertThat(reopened.logEndOffset()).as("log end offset after the restart").isEqualTo(12);
      Map<String, String> served = new LinkedHashMap<>();
      for (Record r : readAll(reopened)) {
        served.put(string(r.key()), string(r.value()));
      }
      assertThat(served).as("latest value per key").isEqualTo(latest);
      long next = reopened.appendAsLeader(new RecordBatchBuilder().append(time.milliseconds(), bytes("k0"), bytes("after")).build(), 2)
          .firstOffset();
      assertThat(next).as("offset of the next record").isEqualTo(12);
    }
    log.close();
  }

  /**
   * The loader's rule, config-independent: a gap between segments is a crash loss only in data
   * past the recovery point. A log whose compacted part was never flushed by anyone but the
   * compactor (the default: flush by replication) still finds its gaps below the recovery point.
   */
  @Test
  void compactionFlushesFirstSoItsGapsLieBelowTheRecoveryPoint() {
    Log log = Log.open(tmp.resolve("c-0"), LogConfig.from(TOPIC), time);
    for (int i = 0; i < 12; i++) {
      log.appendAsLeader(new RecordBatchBuilder().append(time.milliseconds(), bytes("k" + (i % 3)), bytes("v" + i)).build(), 1);
    }
    log.updateHighWatermark(log.logEndOffset());
    assertThat(log.recoveryPoint()).isZero();
    new LogCompactor().compact(log);
    List<Long> bases = log.segmentBaseOffsets();
    assertThat(log.recoveryPoint()).as("recovery point after compaction").isGreaterThanOrEqualTo(bases.get(bases.size() - 1));
    assertThat(LogLoader.lostBatchesBefore(5, 7, 12)).as("a gap below the recovery point").isFalse();
    assertThat(LogLoader.lostBatchesBefore(12, 14, 12)).as("a gap at the recovery point").isTrue();
    assertThat(LogLoader.lostBatchesBefore(12, 12, 0)).as("no gap").isFalse();
    log.close();
  }

  /** Segments whose last batch ends before the next segment's base offset. */
  static int gapsBetweenSegments(Log log) {
    List<Long> bases = log.segmentBaseOffsets();
    int gaps = 0;
    for (int i = 0; i + 1 < bases.size(); i++) {
      long end = bases.get(i);
      ByteBuffer data = log.read(bases.get(i), Integer.MAX_VALUE, bases.get(i + 1)).records();
      for (RecordBatch b : RecordBatch.iterate(data)) {
        end = b.nextOffset();
      }
      if (end < bases.get(i + 1)) {
        gaps++;
      }
    }
    return gaps;
  }

  /** Copies every file of {@code from} as it is now (an open log's crash image). */
  static void copyDirectory(Path from, Path to) {
    try (Stream<Path> files = Files.list(from)) {
      Files.createDirectories(to);
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
