package io.brook.storage.log;

import static io.brook.storage.log.LogTestSupport.batch;
import static io.brook.storage.log.LogTestSupport.bytes;
import static io.brook.storage.log.LogTestSupport.readAll;
import static io.brook.storage.log.LogTestSupport.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.brook.storage.CorruptRecordException;
import io.brook.storage.InvalidRecordException;
import io.brook.storage.MockTime;
import io.brook.storage.OffsetOutOfRangeException;
import io.brook.storage.RecordTooLargeException;
import io.brook.storage.record.Record;
import io.brook.storage.record.RecordBatch;
import io.brook.storage.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Random;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class LogTest {
  @TempDir Path dir;
  final MockTime time = new MockTime(1_700_000_000_000L);
  final List<Log> opened = new ArrayList<>();

  @AfterEach
  void closeAll() {
    for (Log l : opened) {
      try {
        l.close();
      } catch (IllegalStateException ignored) {
        // deleted by the test
      }
    }
  }

  Log open(Map<String, String> props) {
    Log l = Log.open(dir.resolve("t-0"), LogConfig.from(props), time);
    opened.add(l);
    return l;
  }

  @Test
  void appendsGetConsecutiveOffsetsAndReadBackInOrder() {
    Log log = open(Map.of());
    LogAppendInfo a = log.appendAsLeader(batch(time.milliseconds(), "a", "b", "c"), 3);
    LogAppendInfo b = log.appendAsLeader(batch(time.milliseconds(), "d"), 3);
    assertThat(a.firstOffset()).isZero();
    assertThat(a.lastOffset()).isEqualTo(2);
    assertThat(b.firstOffset()).isEqualTo(3);
    assertThat(log.logEndOffset()).isEqualTo(4);

    List<Record> all = readAll(log);
    assertThat(values(all)).containsExactly("a", "b", "c", "d");
    assertThat(all).extracting(Record::offset).containsExactly(0L, 1L, 2L, 3L);
    // Epoch stamped into every stored batch.
    for (RecordBatch rb : RecordBatch.iterate(log.read(0, 1 << 20, Long.MAX_VALUE).records())) {
      assertThat(rb.partitionLeaderEpoch()).isEqualTo(3);
    }
  }

  @Test
  void readsStopAtTheGivenBoundAndNeverSplitABatch() {
    Log log = open(Map.of());
    log.appendAsLeader(batch(1, "a", "b"), 0);
    log.appendAsLeader(batch(1, "c", "d"), 0);
    log.appendAsLeader(batch(1, "e"), 0);
    assertThat(values(readAll(log, 0, 4))).containsExactly("a", "b", "c", "d");
    assertThat(values(readAll(log, 0, 3))).containsExactly("a", "b"); // batch [2,3] reaches the bound
    // Starting in the middle of a batch returns the whole batch.
    LogReadResult mid = log.read(1, 1 << 20, Long.MAX_VALUE);
    assertThat(RecordBatch.iterate(mid.records()).iterator().next().baseOffset()).isZero();
    // maxBytes smaller than one batch still returns that batch.
    LogReadResult tiny = log.read(2, 1, Long.MAX_VALUE);
    List<Long> bases = new ArrayList<>();
    RecordBatch.iterate(tiny.records()).forEach(rb -> bases.add(rb.baseOffset()));
    assertThat(bases).containsExactly(2L);
    // At the log end: empty, not an error.
    assertThat(log.read(5, 100, Long.MAX_VALUE).isEmpty()).isTrue();
  }

  @Test
  void readsReturnTheLongestRunOfWholeBatchesThatFitsMaxBytes() {
    // The segment reads the whole candidate range at once and finds batch boundaries in memory:
    // for every start offset, bound and byte budget, the answer is exactly the longest run of
    // whole batches from the start that fits the budget (the first whole whatever its size).
    Log log = open(Map.of());
    Random rnd = new Random(5);
    List<Integer> sizes = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String[] values = new String[1 + rnd.nextInt(4)];
      for (int v = 0; v < values.length; v++) {
        values[v] = "x".repeat(rnd.nextInt(300));
      }
      ByteBuffer b = batch(1, values);
      sizes.add(b.remaining());
      log.appendAsLeader(b, 0);
    }
    List<Long> baseOffsets = new ArrayList<>();
    RecordBatch.iterate(log.read(0, Integer.MAX_VALUE, Long.MAX_VALUE).records()).forEach(rb -> baseOffsets.add(rb.baseOffset()));
    assertThat(baseOffsets).hasSize(40);
    for (int trial = 0; trial < 2_000; trial++) {
      int first = rnd.nextInt(40);
      int maxBytes = 1 + rnd.nextInt(6_000);
      long bound = rnd.nextInt(4) == 0 ? baseOffsets.get(first) + rnd.nextInt(40) : Long.MAX_VALUE;
      LogReadResult r = log.read(baseOffsets.get(first), maxBytes, bound);
      int expectedBytes = 0;
      int expectedBatches = 0;
      for (int i = first; i < 40; i++) {
        long last = (i + 1 < 40 ? baseOffsets.get(i + 1) : log.logEndOffset()) - 1;
        if (last >= bound || (expectedBatches > 0 && expectedBytes + sizes.get(i) > maxBytes)) {
          break;
        }
        expectedBytes += sizes.get(i);
        expectedBatches++;
      }
      List<Long> got = new ArrayList<>();
      RecordBatch.iterate(r.records()).forEach(rb -> {
        rb.ensureValid();
        got.add(rb.baseOffset());
      });
      assertThat(r.records().remaining()).as("trial %d", trial).isEqualTo(expectedBytes);
      assertThat(got).as("trial %d", trial).isEqualTo(baseOffsets.subList(first, first + expectedBatches));
    }
  }

  @Test
  void readingOutsideTheLogIsATypedErrorNamingTheValidRange() {
    Log log = open(Map.of());
    log.appendAsLeader(batch(1, "a", "b"), 0);
    assertThatThrownBy(() -> log.read(3, 100, Long.MAX_VALUE))
        .isInstanceOfSatisfying(OffsetOutOfRangeException.class, e -> {
          assertThat(e.logStartOffset()).isZero();
          assertThat(e.logEndOffset()).isEqualTo(2);
        })
        .hasMessageContaining("[0, 2]");
    assertThatThrownBy(() -> log.read(-1, 100, Long.MAX_VALUE)).isInstanceOf(OffsetOutOfRangeException.class);
  }

  @Test
  void corruptOrOversizedAppendsAreRefusedAndLeaveTheLogUnchanged() throws Exception {
    Log log = open(Map.of("max.message.bytes", "1000"));
    log.appendAsLeader(batch(1, "ok"), 0);
    long sizeBefore = log.sizeInBytes();

    ByteBuffer badCrc = batch(1, "x");
    badCrc.put(badCrc.limit() - 1, (byte) (badCrc.get(badCrc.limit() - 1) ^ 0xFF));
    assertThatThrownBy(() -> log.appendAsLeader(badCrc, 0)).isInstanceOf(CorruptRecordException.class).hasMessageContaining("CRC");

    ByteBuffer badMagic = batch(1, "x");
    badMagic.put(RecordBatch.MAGIC_OFFSET, (byte) 0);
    assertThatThrownBy(() -> log.appendAsLeader(badMagic, 0)).isInstanceOf(CorruptRecordException.class).hasMessageContaining("magic");

    ByteBuffer badLength = batch(1, "x");
    badLength.putInt(RecordBatch.LENGTH_OFFSET, 10_000);
    assertThatThrownBy(() -> log.appendAsLeader(badLength, 0)).isInstanceOf(CorruptRecordException.class);

    // A good batch followed by a bad one: neither is written.
    ByteBuffer good = batch(1, "good");
    ByteBuffer pair = ByteBuffer.allocate(good.remaining() + badCrc.remaining());
    pair.put(good.duplicate()).put(badCrc.duplicate()).flip();
    assertThatThrownBy(() -> log.appendAsLeader(pair, 0)).isInstanceOf(CorruptRecordException.class);

    ByteBuffer garbage = ByteBuffer.wrap(new byte[] {1, 2, 3});
    assertThatThrownBy(() -> log.appendAsLeader(garbage, 0)).isInstanceOf(CorruptRecordException.class);

    ByteBuffer big = new RecordBatchBuilder().append(1, null, new byte[2000]).build();
    assertThatThrownBy(() -> log.appendAsLeader(big, 0))
        .isInstanceOf(RecordTooLargeException.class).hasMessageContaining("max.message.bytes=1000");

    assertThat(log.logEndOffset()).isEqualTo(1);
    assertThat(log.sizeInBytes()).isEqualTo(sizeBefore);
    assertThat(Files.size(LogSegment.logFile(log.dir(), 0))).isEqualTo(sizeBefore);
    assertThat(values(readAll(log))).containsExactly("ok");
  }

  @Test
  void compactedLogRefusesRecordsWithoutKeys() {
    Log log = open(Map.of("cleanup.policy", "compact"));
    assertThatThrownBy(() -> log.appendAsLeader(batch(1, "no key"), 0))
        .isInstanceOf(InvalidRecordException.class).hasMessageContaining("key");
    assertThat(log.logEndOffset()).isZero();
  }

  @Test
  void followerAppendsKeepOffsetsAndRefuseGoingBackwards() {
    Log log = open(Map.of());
    ByteBuffer b = new RecordBatchBuilder().baseOffset(10).partitionLeaderEpoch(4).append(1, null, bytes("x")).build();
    log.truncateFullyAndStartAt(10);
    log.appendAsFollower(b);
    assertThat(log.logEndOffset()).isEqualTo(11);
    ByteBuffer stale = new RecordBatchBuilder().baseOffset(5).append(1, null, bytes("y")).build();
    assertThatThrownBy(() -> log.appendAsFollower(stale)).isInstanceOf(InvalidRecordException.class);
    assertThat(log.leaderEpochCache().entries()).containsExactly(new LeaderEpochCache.EpochEntry(4, 10));
  }

  @Test
  void rollsBySizeAndReadsAcrossSegments() throws Exception {
    Log log = open(Map.of("segment.bytes", "300"));
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      log.appendAsLeader(batch(1, "v" + i, "w" + i), 0);
      expected.add("v" + i);
      expected.add("w" + i);
    }
    assertThat(log.numberOfSegments()).isGreaterThan(5);
    assertThat(values(readAll(log))).containsExactlyElementsOf(expected);
    // Every segment file holds at most segment.bytes (each batch is well below it).
    try (Stream<Path> files = Files.list(log.dir())) {
      for (Path p : files.filter(p -> p.toString().endsWith(".log")).toList()) {
        assertThat(Files.size(p)).isLessThanOrEqualTo(300);
      }
    }
    for (int i = 0; i < 100; i++) {
      assertThat(readAll(log, i, Long.MAX_VALUE)).extracting(Record::offset).first().isEqualTo((long) i);
    }
  }

  @Test
  void rollsByAgeOfTheFirstBatch() {
    Log log = open(Map.of("segment.ms", "1000"));
    log.appendAsLeader(batch(time.milliseconds(), "a"), 0);
    time.sleep(500);
    log.appendAsLeader(batch(time.milliseconds(), "b"), 0);
    assertThat(log.numberOfSegments()).isEqualTo(1);
    time.sleep(600);
    log.appendAsLeader(batch(time.milliseconds(), "c"), 0);
    assertThat(log.segmentBaseOffsets()).containsExactly(0L, 2L);
  }

  @Test
  void retentionByTimeDeletesOnlyExpiredCommittedSegments() {
    Log log = open(Map.of("segment.bytes", "200", "retention.ms", "10000"));
    long old = time.milliseconds();
    for (int i = 0; i < 10; i++) {
      log.appendAsLeader(batch(old, "old" + i), 0);
    }
    time.sleep(20_000);
    for (int i = 0; i < 10; i++) {
      log.appendAsLeader(batch(time.milliseconds(), "new" + i), 0);
    }
    // Nothing is committed yet: retention must not delete above the high watermark.
    assertThat(log.deleteOldSegments()).isZero();
    log.updateHighWatermark(log.logEndOffset());
    int deleted = log.deleteOldSegments();
    assertThat(deleted).isPositive();
    List<String> left = values(readAll(log));
    assertThat(left).noneMatch(v -> v.startsWith("old"));
    assertThat(left).containsSubsequence("new0", "new9");
    assertThat(log.logStartOffset()).isEqualTo(10);
    assertThatThrownBy(() -> log.read(0, 100, Long.MAX_VALUE)).isInstanceOf(OffsetOutOfRangeException.class);

    // Everything expires, including the active segment: it is rolled and deleted; offsets go on.
    time.sleep(20_000);
    log.deleteOldSegments();
    assertThat(log.logStartOffset()).isEqualTo(20);
    assertThat(log.logEndOffset()).isEqualTo(20);
    assertThat(log.appendAsLeader(batch(time.milliseconds(), "next"), 0).firstOffset()).isEqualTo(20);
  }

  @Test
  void retentionBySizeKeepsTheNewestBytes() {
    Log log = open(Map.of("segment.bytes", "200", "retention.bytes", "600"));
    for (int i = 0; i < 40; i++) {
      log.appendAsLeader(batch(time.milliseconds(), "value-" + i), 0);
    }
    log.updateHighWatermark(log.logEndOffset());
    long segmentsBefore = log.numberOfSegments();
    assertThat(log.deleteOldSegments()).isPositive();
    // Like Kafka: delete oldest segments while what remains stays at or above retention.bytes.
    assertThat(log.numberOfSegments()).isLessThan((int) segmentsBefore);
    assertThat(log.sizeInBytes()).isGreaterThanOrEqualTo(600).isLessThan(600 + 200);
    List<Record> left = readAll(log);
    assertThat(left.get(left.size() - 1).offset()).isEqualTo(39);
    // Contiguous from the new start.
    assertThat(left.get(0).offset()).isEqualTo(log.logStartOffset());
    assertThat(left).hasSize((int) (40 - log.logStartOffset()));
  }

  @Test
  void deletePolicyOnlyLogIsNotTouchedByRetentionWhenCompactOnly() {
    Log log = open(Map.of("segment.bytes", "200", "retention.ms", "1", "cleanup.policy", "compact"));
    for (int i = 0; i < 10; i++) {
      log.appendAsLeader(LogTestSupport.keyed(io.brook.storage.record.CompressionType.NONE, 1, "k" + i, "v"), 0);
    }
    log.updateHighWatermark(log.logEndOffset());
    time.sleep(10_000);
    assertThat(log.deleteOldSegments()).isZero();
    assertThat(readAll(log)).hasSize(10);
  }

  @Test
  void truncateToRemovesWholeBatchesAndAppendsContinueThere() {
    Log log = open(Map.of("segment.bytes", "200"));
    for (int i = 0; i < 20; i++) {
      log.appendAsLeader(batch(1, "a" + i, "b" + i), i < 10 ? 1 : 2); // offsets 2i, 2i+1
    }
    log.updateHighWatermark(40);
    log.truncateTo(25); // inside batch [24, 25]
    assertThat(log.logEndOffset()).isEqualTo(24);
    assertThat(log.highWatermark()).isEqualTo(24);
    assertThat(readAll(log)).extracting(Record::offset).last().isEqualTo(23L);
    assertThat(log.leaderEpochCache().entries())
        .containsExactly(new LeaderEpochCache.EpochEntry(1, 0), new LeaderEpochCache.EpochEntry(2, 20));
    log.truncateTo(20);
    assertThat(log.leaderEpochCache().latestEpoch()).isEqualTo(1);
    assertThat(log.appendAsLeader(batch(1, "x"), 3).firstOffset()).isEqualTo(20);
    assertThat(readAll(log, 18, Long.MAX_VALUE)).extracting(r -> LogTestSupport.string(r.value()))
        .containsExactly("a9", "b9", "x");
    log.close();
    Log reopened = Log.open(log.dir(), log.config(), time);
    opened.add(reopened);
    assertThat(reopened.logEndOffset()).isEqualTo(21);
    assertThat(values(readAll(reopened, 18, Long.MAX_VALUE))).containsExactly("a9", "b9", "x");
  }

  /**
   * Issue 8 §5: ListOffsets by time answered the asked time instead of the found record's. The
   * log's lookup returns the record's own timestamp, its offset and its batch's leader epoch
   * (Kafka's fetchOffsetByTimestamp, KIP-79); nothing at or after the time gives empty.
   */
  @Test
  void fetchOffsetByTimestampAnswersTheFoundRecordsTimestampAndOffset() {
    Log log = open(Map.of("segment.bytes", "200"));
    log.appendAsLeader(new RecordBatchBuilder().append(2, null, bytes("a")).append(4, null, bytes("b")).build(), 3);
    log.appendAsLeader(new RecordBatchBuilder().append(6, null, bytes("c")).build(), 5);
    log.appendAsLeader(new RecordBatchBuilder().append(8, null, bytes("d")).build(), 5);
    assertThat(log.fetchOffsetByTimestamp(3)).hasValue(new TimestampAndOffset(4, 1, OptionalInt.of(3)));
    assertThat(log.fetchOffsetByTimestamp(2)).hasValue(new TimestampAndOffset(2, 0, OptionalInt.of(3)));
    assertThat(log.fetchOffsetByTimestamp(Long.MIN_VALUE)).hasValue(new TimestampAndOffset(2, 0, OptionalInt.of(3)));
    assertThat(log.fetchOffsetByTimestamp(5)).hasValue(new TimestampAndOffset(6, 2, OptionalInt.of(5)));
    assertThat(log.fetchOffsetByTimestamp(8)).hasValue(new TimestampAndOffset(8, 3, OptionalInt.of(5)));
    assertThat(log.fetchOffsetByTimestamp(9)).as("every record is older").isEmpty();
    assertThat(log.offsetForTimestamp(3)).hasValue(1);
    assertThat(log.offsetForTimestamp(9)).isEmpty();

    // A batch without a leader epoch (a follower's copy of one written before epochs) has none.
    Log follower = Log.open(dir.resolve("f-0"), LogConfig.DEFAULT, time);
    opened.add(follower);
    follower.appendAsFollower(new RecordBatchBuilder().append(10, null, bytes("e")).build());
    assertThat(follower.fetchOffsetByTimestamp(10)).hasValue(new TimestampAndOffset(10, 0, OptionalInt.empty()));
    Log empty = Log.open(dir.resolve("empty-0"), LogConfig.DEFAULT, time);
    opened.add(empty);
    assertThat(empty.fetchOffsetByTimestamp(0)).isEmpty();
  }

  /**
   * A follower replicating a compacted leader log gets batches that start above its log end
   * offset. When such a batch rolls the segment, the new segment starts at the log end offset, not
   * at the batch: segments stay contiguous, so a crash before any flush must not take the gap for
   * lost batches and delete the segments after it (whatever the config: this replica may not know
   * its topic is compacted yet).
   */
  @Test
  void followerRollsAtItsLogEndOffsetSoReplicatedGapsSurviveACrash() {
    Path d = dir.resolve("follower-0");
    Log follower = Log.open(d, LogConfig.from(Map.of("segment.bytes", "100")), time);
    List<Long> bases = new ArrayList<>();
    long base = 0;
    for (int i = 0; i < 12; i++) {
      follower.appendAsFollower(new RecordBatchBuilder().baseOffset(base).partitionLeaderEpoch(1)
          .append(1, bytes("k" + i), bytes("v" + i)).append(2, bytes("k" + i), bytes("w" + i)).build());
      bases.add(base);
      base += 2 + 3; // the leader's compaction removed three offsets after each batch
    }
    long leo = follower.logEndOffset();
    assertThat(leo).isEqualTo(bases.get(11) + 2);
    List<Long> segmentBases = follower.segmentBaseOffsets();
    assertThat(segmentBases).as("one batch per segment").hasSize(12);
    for (int i = 1; i < segmentBases.size(); i++) {
      assertThat(segmentBases.get(i)).as("segment %d starts where the previous one's last batch ends", i)
          .isEqualTo(bases.get(i - 1) + 2);
    }
    assertThat(follower.recoveryPoint()).isZero();
    Path image = dir.resolve("image-0");
    CompactedLogRestartTest.copyDirectory(d, image);
    follower.close();

    Log reopened = Log.open(image, LogConfig.DEFAULT, time);
    opened.add(reopened);
    assertThat(reopened.logEndOffset()).isEqualTo(leo);
    assertThat(readAll(reopened)).extracting(Record::offset).hasSize(24).startsWith(0L, 1L, 5L, 6L);
  }

  /**
   * {@code max.message.bytes} limits what producers may append. A follower takes what its leader
   * accepted (the limit may have been lowered since, or this replica may not know the topic's
   * config yet), as Kafka's replication appends do: refusing it would stop replication for good.
   */
  @Test
  void followerAppendsIgnoreMaxMessageBytes() {
    Log log = open(Map.of("max.message.bytes", "100"));
    ByteBuffer big = new RecordBatchBuilder().append(1, null, new byte[500]).build();
    assertThatThrownBy(() -> log.appendAsLeader(big.duplicate(), 0)).isInstanceOf(RecordTooLargeException.class);
    assertThat(log.appendAsFollower(big.duplicate()).lastOffset()).isZero();
    assertThat(log.logEndOffset()).isEqualTo(1);
  }

  /**
   * With {@code flush.messages}, the append path flushes; a concurrent flush (the flush.ms duty,
   * the compactor, close) must not deadlock with it. The append used to flush while holding the
   * log's lock, taking the flush lock second, while a flush takes them in the other order.
   */
  @Test
  void flushOnAppendDoesNotDeadlockWithAConcurrentFlush() throws Exception {
    // Not closed after a failure: closing a deadlocked log would hang the test too.
    Log log = Log.open(dir.resolve("flush-0"), LogConfig.from(Map.of("flush.messages", "1")), time);
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3, r -> {
      Thread t = new Thread(r);
      t.setDaemon(true); // a deadlocked thread must not keep the test JVM alive
      return t;
    });
    java.util.concurrent.atomic.AtomicBoolean appending = new java.util.concurrent.atomic.AtomicBoolean(true);
    try {
      List<java.util.concurrent.Future<?>> appenders = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        appenders.add(pool.submit(() -> {
          for (int i = 0; i < 300; i++) {
            log.appendAsLeader(batch(1, "v" + i), 0);
          }
        }));
      }
      java.util.concurrent.Future<?> flusher = pool.submit(() -> {
        while (appending.get()) {
          log.flush();
        }
      });
      for (java.util.concurrent.Future<?> f : appenders) {
        f.get(30, java.util.concurrent.TimeUnit.SECONDS);
      }
      appending.set(false);
      flusher.get(30, java.util.concurrent.TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    assertThat(log.logEndOffset()).isEqualTo(600);
    assertThat(log.recoveryPoint()).isEqualTo(600);
    log.close();
  }

  @Test
  void offsetForTimestampFindsTheFirstRecordAtOrAfterIt() {
    Log log = open(Map.of("segment.bytes", "400", "index.interval.bytes", "100"));
    // Timestamps 1000, 1010, ..., with one out-of-order record.
    for (int i = 0; i < 60; i++) {
      long ts = 1000 + i * 10L;
      if (i == 30) {
        ts = 500;
      }
      log.appendAsLeader(new RecordBatchBuilder().append(ts, null, bytes("v" + i)).build(), 0);
    }
    assertThat(log.offsetForTimestamp(0)).hasValue(0);
    assertThat(log.offsetForTimestamp(1000)).hasValue(0);
    assertThat(log.offsetForTimestamp(1001)).hasValue(1);
    assertThat(log.offsetForTimestamp(1200)).hasValue(20);
    assertThat(log.offsetForTimestamp(1295)).hasValue(31); // offset 30 has ts 500
    assertThat(log.offsetForTimestamp(1590)).hasValue(59);
    assertThat(log.offsetForTimestamp(1591)).isEmpty();
    // Same answers after reopening (time indexes from disk).
    log.close();
    Log again = Log.open(log.dir(), log.config(), time);
    opened.add(again);
    assertThat(again.offsetForTimestamp(1200)).hasValue(20);
    assertThat(again.offsetForTimestamp(1295)).hasValue(31);
  }

  @Test
  void highWatermarkIsClampedAndCheckpointed() {
    Log log = open(Map.of());
    log.appendAsLeader(batch(1, "a", "b"), 0);
    log.appendAsLeader(batch(1, "c"), 0);
    assertThat(log.updateHighWatermark(10)).isEqualTo(3);
    assertThat(log.updateHighWatermark(2)).isEqualTo(2);
    log.checkpointHighWatermark();
    log.close();
    Log again = Log.open(log.dir(), log.config(), time);
    opened.add(again);
    assertThat(again.highWatermark()).isEqualTo(2);
    assertThat(values(readAll(again, 0, again.highWatermark()))).containsExactly("a", "b");
  }

  @Test
  void flushMessagesOneFlushesEveryAppend() {
    Log log = open(Map.of("flush.messages", "1"));
    log.appendAsLeader(batch(1, "a"), 0);
    assertThat(log.recoveryPoint()).isEqualTo(1);
    log.appendAsLeader(batch(1, "b", "c"), 0);
    assertThat(log.recoveryPoint()).isEqualTo(3);
  }

  @Test
  void flushByIntervalMovesTheRecoveryPointOnlyWhenDue() {
    Log log = open(Map.of("flush.ms", "1000"));
    log.appendAsLeader(batch(1, "a"), 0);
    log.flushIfDue();
    assertThat(log.recoveryPoint()).isZero();
    time.sleep(1000);
    log.flushIfDue();
    assertThat(log.recoveryPoint()).isEqualTo(1);
  }

  @Test
  void leaderEpochCacheAnswersEndOffsetsForDivergenceChecks() {
    Log log = open(Map.of());
    log.appendAsLeader(batch(1, "a", "b"), 1); // 0-1
    log.appendAsLeader(batch(1, "c"), 3); // 2
    log.appendAsLeader(batch(1, "d", "e"), 5); // 3-4
    LeaderEpochCache cache = log.leaderEpochCache();
    assertThat(cache.endOffsetFor(1, log.logEndOffset())).isEqualTo(new LeaderEpochCache.EpochEndOffset(1, 2));
    assertThat(cache.endOffsetFor(2, log.logEndOffset())).isEqualTo(new LeaderEpochCache.EpochEndOffset(1, 2));
    assertThat(cache.endOffsetFor(3, log.logEndOffset())).isEqualTo(new LeaderEpochCache.EpochEndOffset(3, 3));
    assertThat(cache.endOffsetFor(5, log.logEndOffset())).isEqualTo(new LeaderEpochCache.EpochEndOffset(5, 5));
    assertThat(cache.endOffsetFor(0, log.logEndOffset())).isEqualTo(LeaderEpochCache.EpochEndOffset.UNDEFINED);
    log.close();
    Log again = Log.open(log.dir(), log.config(), time);
    opened.add(again);
    assertThat(again.leaderEpochCache().entries()).extracting(LeaderEpochCache.EpochEntry::epoch).containsExactly(1, 3, 5);
  }

  @Test
  void deletingTheLogRemovesItsDirectory() {
    Log log = open(Map.of());
    log.appendAsLeader(batch(1, "a"), 0);
    log.delete();
    assertThat(Files.exists(log.dir())).isFalse();
    assertThatThrownBy(() -> log.appendAsLeader(batch(1, "b"), 0)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void readsRunConcurrentlyWithAppendsAndSeeOnlyWholeBatches() throws Exception {
    Log log = open(Map.of("segment.bytes", "4096"));
    int batches = 2000;
    Thread writer = new Thread(() -> {
      for (int i = 0; i < batches; i++) {
        log.appendAsLeader(batch(1, "x" + i, "y" + i), 0);
      }
    });
    writer.start();
    long next = 0;
    while (next < 2L * batches) {
      LogReadResult r = log.read(next, 8192, Long.MAX_VALUE);
      for (RecordBatch b : RecordBatch.iterate(r.records())) {
        b.ensureValid();
        assertThat(b.baseOffset()).isEqualTo(next);
        next = b.nextOffset();
      }
      if (r.isEmpty() && !writer.isAlive() && next == log.logEndOffset()) {
        break;
      }
    }
    writer.join();
    assertThat(next).isEqualTo(2L * batches);
  }
}
