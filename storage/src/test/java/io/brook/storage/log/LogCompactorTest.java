package io.brook.storage.log;

import static io.brook.storage.log.LogTestSupport.payload;
import static io.brook.storage.log.LogTestSupport.withSeed;
import static org.assertj.core.api.Assertions.assertThat;

import io.brook.storage.MockTime;
import io.brook.storage.Time;
import io.brook.storage.record.CompressionType;
import io.brook.storage.record.Header;
import io.brook.storage.record.Record;
import io.brook.storage.record.RecordBatch;
import io.brook.storage.record.RecordBatchBuilder;
import io.brook.storage.record.TimestampType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.io.TempDirFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link LogCompactor} against a model. Seeded random keyed inputs (a small key space, so many
 * overwrites; tombstones; every codec; headers; producer fields; small segments) are appended,
 * compacted, and compared with what a plain map says must survive: for each key, its latest record,
 * at its original offset, unless it is a tombstone older than {@code delete.retention.ms}. Also
 * checked: batch structure survives (base offset, offset span, epoch, producer fields, codec),
 * reads from any offset, idempotence, tombstone expiry as the clock moves, appends and reopening
 * after compaction, and that nothing at or above the high watermark, nothing in the active segment,
 * and nothing in a {@code delete}-only log is ever touched.
 *
 * <p>Seeds come from {@code -Dbrook.test.seed} (default fixed) and are printed in every failure.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LogCompactorTest {
  private static final long BASE_SEED = Long.getLong("brook.test.seed", 0xC0FFEEL);
  private static final long START_MS = 1_700_000_000_000L;
  private static final long DELETE_RETENTION_MS = 100_000;

  @TempDir(factory = MemoryBackedTempDirFactory.class)
  Path tmp;

  private final MockTime clock = new MockTime(START_MS);

  static Stream<Long> seeds() {
    return LongStream.range(0, 20).mapToObj(i -> BASE_SEED + i);
  }

  static Stream<Long> fewSeeds() {
    return LongStream.range(100, 106).mapToObj(i -> BASE_SEED + i);
  }

  // ---------------------------------------------------------------- the model test

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void compactionKeepsExactlyTheLatestRecordOfEachLiveKeyAtItsOriginalOffset(long seed) {
    withSeed(seed, BASE_SEED, () -> {
      Random rnd = new Random(seed);
      LogConfig cfg = randomCompactConfig(rnd);
      Path dir = tmp.resolve("log-" + seed);
      Written w;
      long leo;
      List<Long> bases;
      List<Record> expectedAfterExpiry;
      try (Log log = Log.open(dir, cfg, clock)) {
        w = writeRandom(log, rnd, 100 + rnd.nextInt(2900), true);
        log.roll();
        leo = log.logEndOffset();
        log.updateHighWatermark(leo);
        bases = log.segmentBaseOffsets();
        assertThat(bases).as("segments written").hasSizeGreaterThan(3);

        // 1. Compact at a time that makes some tombstones expired and others not.
        long minTs = w.records.stream().mapToLong(Record::timestamp).min().orElseThrow();
        long maxTs = w.records.stream().mapToLong(Record::timestamp).max().orElseThrow();
        long horizon = minTs + (long) (rnd.nextDouble() * (maxTs - minTs + 1));
        clock.setAtLeast(horizon + DELETE_RETENTION_MS);
        horizon = clock.milliseconds() - DELETE_RETENTION_MS;
        List<Record> expected = latestPerKey(w.records, horizon);
        LogCompactor.Result result = new LogCompactor().compact(log);
        List<Record> served = checkedContents(log, w, "first compaction");
        assertThat(served).as("records after the first compaction (horizon %d)", horizon).isEqualTo(expected);
        assertThat(result.recordsRemoved()).as("records removed").isEqualTo(w.records.size() - expected.size());
        assertThat(result.segmentsRewritten()).as("segments rewritten").isBetween(1, bases.size() - 1);
        assertThat(log.segmentBaseOffsets()).as("segment bases (compaction never merges or drops segments)").isEqualTo(bases);
        assertThat(log.logEndOffset()).as("log end offset").isEqualTo(leo);
        assertThat(log.logStartOffset()).as("log start offset").isZero();
        assertThat(log.highWatermark()).as("high watermark").isEqualTo(leo);
        checkReadsFromEveryOffset(log, expected, rnd, "first compaction");
        checkTimeLookups(log, expected, rnd, "first compaction");

        // 2. A second pass at the same time finds nothing to do.
        LogCompactor.Result again = new LogCompactor().compact(log);
        assertThat(again.segmentsRewritten()).as("segments rewritten by an idempotent second pass").isZero();
        assertThat(checkedContents(log, w, "second compaction")).isEqualTo(expected);

        // 3. Once every tombstone is older than delete.retention.ms, they all go.
        clock.setAtLeast(maxTs + DELETE_RETENTION_MS + 1);
        expectedAfterExpiry = latestPerKey(w.records, clock.milliseconds() - DELETE_RETENTION_MS);
        assertThat(expectedAfterExpiry).noneMatch(Record::isTombstone);
        LogCompactor.Result expiry = new LogCompactor().compact(log);
        assertThat(checkedContents(log, w, "compaction after tombstone expiry")).isEqualTo(expectedAfterExpiry);
        assertThat(expiry.recordsRemoved()).isEqualTo(expected.size() - expectedAfterExpiry.size());
        checkReadsFromEveryOffset(log, expectedAfterExpiry, rnd, "compaction after tombstone expiry");

        // 4. Appends continue at the log end offset, as if nothing had been removed.
        Written more = writeMore(log, rnd, w, 1 + rnd.nextInt(20));
        assertThat(more.records.get(w.records.size()).offset()).as("offset of the first append after compaction").isEqualTo(leo);
        expectedAfterExpiry = concat(expectedAfterExpiry, more.records.subList(w.records.size(), more.records.size()));
        w = more;
        assertThat(checkedContents(log, w, "append after compaction")).isEqualTo(expectedAfterExpiry);
      }

      // 5. Reopening gives the same contents; later compactions see the new records.
      try (Log log = Log.open(dir, cfg, clock)) {
        assertThat(log.segmentBaseOffsets().subList(0, bases.size())).isEqualTo(bases);
        assertThat(log.logEndOffset()).isEqualTo(w.records.get(w.records.size() - 1).offset() + 1);
        assertThat(log.highWatermark()).as("high watermark after reopening").isEqualTo(leo);
        assertThat(checkedContents(log, w, "reopen")).isEqualTo(expectedAfterExpiry);
        checkReadsFromEveryOffset(log, expectedAfterExpiry, rnd, "reopen");
        checkTimeLookups(log, expectedAfterExpiry, rnd, "reopen");
        log.roll();
        log.updateHighWatermark(log.logEndOffset());
        new LogCompactor().compact(log);
        List<Record> expectedFinal = latestPerKey(w.records, clock.milliseconds() - DELETE_RETENTION_MS);
        assertThat(checkedContents(log, w, "compaction after reopening")).isEqualTo(expectedFinal);
      }
    });
  }

  /**
   * With the high watermark anywhere and the active segment holding data, only the segments that
   * are inactive and wholly below the high watermark are compacted, judged only among themselves;
   * every other segment file stays byte-identical.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("fewSeeds")
  void recordsAtOrAboveTheHighWatermarkOrInTheActiveSegmentAreNeverRemoved(long seed) {
    withSeed(seed, BASE_SEED, () -> {
      Random rnd = new Random(seed);
      LogConfig cfg = randomCompactConfig(rnd);
      try (Log log = Log.open(tmp.resolve("hw-" + seed), cfg, clock)) {
        Written w = writeRandom(log, rnd, 1500, true);
        for (int round = 0; round < 4; round++) {
          // Keep the active segment non-empty, then put the high watermark somewhere in the log.
          w = writeMore(log, rnd, w, 1 + rnd.nextInt(5));
          long leo = log.logEndOffset();
          // Round 0: nothing committed. Round 1: everything committed, but the active segment
          // (holding newer records of some keys) is still not cleanable. Then anywhere.
          long hw = round == 0 ? 0 : round == 1 ? leo : (long) (rnd.nextDouble() * leo);
          log.updateHighWatermark(hw);
          List<Long> bases = log.segmentBaseOffsets();
          long cleanableEnd = bases.get(0);
          for (int i = 0; i + 1 < bases.size() && bases.get(i + 1) <= hw; i++) {
            cleanableEnd = bases.get(i + 1);
          }
          Map<Long, byte[]> filesBefore = segmentFiles(log.dir());
          List<Record> current = checkedContents(log, w, "before round " + round);
          long horizon = clock.milliseconds() - DELETE_RETENTION_MS;
          List<Record> expected = compactBelow(current, cleanableEnd, horizon);

          new LogCompactor().compact(log);
          String ctx = "round " + round + ", hw " + hw + ", cleanable below " + cleanableEnd;
          assertThat(checkedContents(log, w, ctx)).as("records after %s", ctx).isEqualTo(expected);
          assertThat(log.highWatermark()).isEqualTo(hw);
          assertThat(log.logEndOffset()).isEqualTo(leo);
          Map<Long, byte[]> filesAfter = segmentFiles(log.dir());
          for (long base : bases) {
            if (base >= cleanableEnd) {
              assertThat(filesAfter.get(base)).as("segment %d after %s", base, ctx).isEqualTo(filesBefore.get(base));
            }
          }
          if (rnd.nextBoolean()) {
            clock.advance(rnd.nextInt((int) DELETE_RETENTION_MS));
          }
        }
      }
    });
  }

  /** A {@code delete}-only log keeps every record and every byte, however many keys repeat. */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("fewSeeds")
  void compactionOfADeletePolicyLogDoesNothing(long seed) {
    withSeed(seed, BASE_SEED, () -> {
      Random rnd = new Random(seed);
      Map<String, String> props = new HashMap<>(Map.of("segment.bytes", "2048", "cleanup.policy", "delete"));
      try (Log log = Log.open(tmp.resolve("delete-" + seed), LogConfig.from(props), clock)) {
        Written w = writeRandom(log, rnd, 800, true);
        log.roll();
        log.updateHighWatermark(log.logEndOffset());
        clock.advance(10 * DELETE_RETENTION_MS);
        Map<Long, byte[]> before = segmentFiles(log.dir());
        LogCompactor.Result result = new LogCompactor().compact(log);
        assertThat(result.segmentsRewritten()).isZero();
        assertThat(result.recordsRemoved()).isZero();
        Map<Long, byte[]> after = segmentFiles(log.dir());
        assertThat(after.keySet()).isEqualTo(before.keySet());
        before.forEach((base, bytes) -> assertThat(after.get(base)).as("segment %d", base).isEqualTo(bytes));
        assertThat(listNames(log.dir())).noneMatch(f -> f.endsWith(".cleaned") || f.endsWith(".swap"));
        assertThat(checkedContents(log, w, "compaction of a delete log")).isEqualTo(w.records);
      }
    });
  }

  /** The tombstone boundary, exactly: kept while {@code timestamp >= now - delete.retention.ms}. */
  @Test
  void tombstoneIsKeptForDeleteRetentionAfterItsTimestampThenDropped() {
    try (Log log = Log.open(tmp.resolve("tombstone"), LogConfig.from(Map.of(
        "cleanup.policy", "compact", "delete.retention.ms", String.valueOf(DELETE_RETENTION_MS))), clock)) {
      long t = clock.milliseconds();
      log.appendAsLeader(new RecordBatchBuilder().append(t - 5, bytes("a"), bytes("1")).append(t - 4, bytes("b"), bytes("2")).build(), 0);
      log.appendAsLeader(new RecordBatchBuilder().compression(CompressionType.ZSTD).append(t, bytes("a"), null).build(), 0);
      log.roll();
      log.updateHighWatermark(log.logEndOffset());

      clock.setAtLeast(t + DELETE_RETENTION_MS);
      LogCompactor.Result r = new LogCompactor().compact(log);
      assertThat(r.recordsRemoved()).isEqualTo(1);
      assertThat(contents(log)).containsExactly(
          new Record(1, t - 4, bytes("b"), bytes("2"), List.of()),
          new Record(2, t, bytes("a"), null, List.of()));

      clock.advance(1);
      r = new LogCompactor().compact(log);
      assertThat(r.recordsRemoved()).isEqualTo(1);
      assertThat(contents(log)).containsExactly(new Record(1, t - 4, bytes("b"), bytes("2"), List.of()));
      assertThat(log.logEndOffset()).isEqualTo(3);
      assertThat(log.appendAsLeader(new RecordBatchBuilder().append(t, bytes("a"), bytes("3")).build(), 0).firstOffset()).isEqualTo(3);
    }
  }

  /**
   * A batch rewritten because some of its records went keeps every batch attribute: codec,
   * timestamp type, and the transactional flag (a read-committed reader relies on it), as well as
   * its offset span, epoch and producer fields.
   */
  @Test
  void rewrittenBatchKeepsItsAttributes() {
    try (Log log = Log.open(tmp.resolve("attributes"), LogConfig.from(Map.of("cleanup.policy", "compact")), clock)) {
      long t = clock.milliseconds();
      // Clients may not write these attributes (appendAsLeader refuses them), so they come in as
      // replicated batches, with offsets and epochs already assigned.
      ByteBuffer txn = new RecordBatchBuilder()
          .compression(CompressionType.LZ4)
          .baseOffset(0).partitionLeaderEpoch(5)
          .producer(4242L, (short) 3, 17)
          .append(t, bytes("x"), bytes("x1"))
          .append(t + 1, bytes("y"), bytes("y1"))
          .append(t + 2, bytes("z"), bytes("z1"))
          .build();
      setAttributeBits(txn, 0x10); // transactional
      ByteBuffer appendTime = new RecordBatchBuilder()
          .compression(CompressionType.GZIP)
          .baseOffset(3).partitionLeaderEpoch(6)
          .timestampType(TimestampType.LOG_APPEND_TIME)
          .append(t + 3, bytes("p"), bytes("p1"))
          .append(t + 4, bytes("q"), bytes("q1"))
          .build();
      log.appendAsFollower(txn);
      log.appendAsFollower(appendTime);
      log.appendAsLeader(new RecordBatchBuilder().append(t + 5, bytes("y"), bytes("y2")).append(t + 6, bytes("q"), bytes("q2")).build(), 6);
      log.roll();
      log.updateHighWatermark(log.logEndOffset());
      assertThat(new LogCompactor().compact(log).recordsRemoved()).isEqualTo(2);

      List<RecordBatch> batches = batches(log);
      assertThat(batches).hasSize(3);
      RecordBatch a = batches.get(0);
      assertThat(a.baseOffset()).isZero();
      assertThat(a.lastOffset()).isEqualTo(2);
      assertThat(a.partitionLeaderEpoch()).isEqualTo(5);
      assertThat(a.compressionType()).isEqualTo(CompressionType.LZ4);
      assertThat(a.producerId()).isEqualTo(4242L);
      assertThat(a.producerEpoch()).isEqualTo((short) 3);
      assertThat(a.baseSequence()).isEqualTo(17);
      assertThat(a.records()).extracting(Record::offset).containsExactly(0L, 2L);
      assertThat(a.isTransactional()).as("transactional flag of the rewritten batch").isTrue();
      RecordBatch b = batches.get(1);
      assertThat(b.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
      assertThat(b.compressionType()).isEqualTo(CompressionType.GZIP);
      assertThat(b.records()).extracting(Record::offset).containsExactly(3L);
      assertThat(b.lastOffset()).isEqualTo(4);
    }
  }

  // ---------------------------------------------------------------- model

  /** What compaction of everything must leave: each key's latest record, minus expired tombstones. */
  static List<Record> latestPerKey(List<Record> records, long horizonMs) {
    return compactBelow(records, Long.MAX_VALUE, horizonMs);
  }

  /**
   * What compaction must leave when only offsets below {@code cleanableEnd} may be cleaned: there,
   * each key's latest record (among those below it) unless it is a tombstone older than {@code
   * horizonMs}; above it, everything.
   */
  static List<Record> compactBelow(List<Record> records, long cleanableEnd, long horizonMs) {
    Map<String, Record> latest = new LinkedHashMap<>();
    for (Record r : records) {
      if (r.offset() < cleanableEnd) {
        latest.put(key(r), r);
      }
    }
    List<Record> out = new ArrayList<>();
    for (Record r : records) {
      if (r.offset() >= cleanableEnd) {
        out.add(r);
      } else if (latest.get(key(r)) == r && !(r.isTombstone() && r.timestamp() < horizonMs)) {
        out.add(r);
      }
    }
    out.sort(Comparator.comparingLong(Record::offset));
    return out;
  }

  private static String key(Record r) {
    return new String(r.key(), StandardCharsets.ISO_8859_1);
  }

  // ---------------------------------------------------------------- writing

  /** The records written to a log, in offset order, and the batches that carried them. */
  record Written(List<Record> records, Map<Long, BatchMeta> batches, int epoch) {}

  /** What a batch was appended as: what compaction must keep even when it rewrites the batch. */
  record BatchMeta(long lastOffset, int epoch, CompressionType codec, long producerId, short producerEpoch, int baseSequence) {}

  private LogConfig randomCompactConfig(Random rnd) {
    Map<String, String> props = new HashMap<>();
    props.put("cleanup.policy", rnd.nextInt(3) == 0 ? "compact,delete" : "compact");
    props.put("retention.ms", "-1");
    props.put("segment.bytes", String.valueOf(1024 + rnd.nextInt(7 * 1024)));
    props.put("segment.index.bytes", "4096");
    props.put("index.interval.bytes", String.valueOf(64 + rnd.nextInt(512)));
    props.put("delete.retention.ms", String.valueOf(DELETE_RETENTION_MS));
    return LogConfig.from(props);
  }

  private Written writeRandom(Log log, Random rnd, int targetRecords, boolean keyed) {
    Written w = new Written(new ArrayList<>(), new HashMap<>(), 1);
    return writeMore(log, rnd, w, targetRecords, keyed, new KeySpace(rnd));
  }

  private Written writeMore(Log log, Random rnd, Written w, int targetRecords) {
    return writeMore(log, rnd, w, targetRecords, true, new KeySpace(rnd));
  }

  /** Key space and tombstone rate drawn once per call, so seeds differ in overwrite density. */
  private static final class KeySpace {
    final int keys;
    final double tombstoneRate;

    KeySpace(Random rnd) {
      keys = 2 + rnd.nextInt(rnd.nextBoolean() ? 15 : 120);
      tombstoneRate = rnd.nextDouble() * 0.3;
    }
  }

  /** Per producer id: its epoch and next sequence, so generated batches are a valid idempotent stream. */
  private final Map<Long, int[]> producerSequences = new HashMap<>();

  private Written writeMore(Log log, Random rnd, Written w, int targetRecords, boolean keyed, KeySpace space) {
    List<Record> records = new ArrayList<>(w.records);
    Map<Long, BatchMeta> batches = new HashMap<>(w.batches);
    int epoch = w.epoch;
    int written = 0;
    while (written < targetRecords) {
      clock.advance(rnd.nextInt(20));
      if (rnd.nextInt(40) == 0) {
        epoch++;
      }
      if (rnd.nextInt(60) == 0) {
        log.roll();
      }
      CompressionType codec = CompressionType.values()[rnd.nextInt(CompressionType.values().length)];
      RecordBatchBuilder b = new RecordBatchBuilder().compression(codec);
      boolean producer = rnd.nextInt(3) == 0;
      int n = 1 + rnd.nextInt(rnd.nextInt(4) == 0 ? 40 : 6);
      long pid = producer ? rnd.nextInt(5) : RecordBatch.NO_PRODUCER_ID;
      short pepoch = RecordBatch.NO_PRODUCER_EPOCH;
      int seq = RecordBatch.NO_SEQUENCE;
      if (producer) {
        // A valid idempotent producer: sequences continue per producer id, epochs only grow.
        // (On a log that has never held a record a producer's first batch has sequence 0: Log refuses others.)
        int[] state = producerSequences.computeIfAbsent(pid, k -> new int[] {rnd.nextInt(10), log.logEndOffset() == 0 ? 0 : rnd.nextInt(100_000)});
        if (rnd.nextInt(20) == 0) {
          state[0]++;
          state[1] = 0;
        }
        pepoch = (short) state[0];
        seq = state[1];
        state[1] += n;
      }
      b.producer(pid, pepoch, seq);
      List<Record> relative = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        long ts = clock.milliseconds() - rnd.nextInt(1000);
        byte[] key = keyed ? bytes(rnd.nextInt(30) == 0 ? "" : "key-" + rnd.nextInt(space.keys)) : null;
        byte[] value = rnd.nextDouble() < space.tombstoneRate ? null : payload(rnd, rnd.nextInt(rnd.nextInt(8) == 0 ? 300 : 40));
        List<Header> headers = rnd.nextInt(5) == 0
            ? List.of(new Header("h" + rnd.nextInt(3), rnd.nextBoolean() ? null : payload(rnd, rnd.nextInt(5))))
            : List.of();
        b.append(ts, key, value, headers);
        relative.add(new Record(i, ts, key, value, headers));
      }
      long leo = log.logEndOffset();
      LogAppendInfo info = log.appendAsLeader(b.build(), epoch);
      assertThat(info.firstOffset()).isEqualTo(leo);
      assertThat(info.lastOffset()).isEqualTo(leo + n - 1);
      for (Record r : relative) {
        records.add(new Record(leo + r.offset(), r.timestamp(), r.key(), r.value(), r.headers()));
      }
      batches.put(leo, new BatchMeta(leo + n - 1, epoch, codec, pid, pepoch, seq));
      written += n;
    }
    return new Written(records, batches, epoch);
  }

  // ---------------------------------------------------------------- reading and checking

  /**
   * Every record the log serves, checking the batch structure on the way: each batch valid and
   * well-formed, in offset order without overlap, and the same batch (base offset, offset span,
   * epoch, codec, producer fields) as one that was appended.
   */
  private static List<Record> checkedContents(Log log, Written w, String ctx) {
    Map<Long, Long> producerLastBatch = new HashMap<>();
    w.batches.forEach((base, meta) -> {
      if (meta.producerId() != RecordBatch.NO_PRODUCER_ID) {
        producerLastBatch.merge(meta.producerId(), base, Math::max);
      }
    });
    List<Record> out = new ArrayList<>();
    long prevLast = -1;
    java.util.Set<Long> bases = new java.util.HashSet<>();
    for (RecordBatch b : batches(log)) {
      b.ensureValid();
      b.validateRecords(false, true);
      assertThat(b.baseOffset()).as("batch %s after %s overlaps the previous", b, ctx).isGreaterThan(prevLast);
      BatchMeta meta = w.batches.get(b.baseOffset());
      assertThat(meta).as("batch %s after %s starts where no appended batch did", b, ctx).isNotNull();
      if (b.recordCount() == 0) {
        // Only a producer's batch is kept when all its records went (as an empty header): one that
        // was its producer's last when it was cleaned.
        assertThat(b.producerId()).as("empty batch %s after %s belongs to a producer", b, ctx).isNotEqualTo(RecordBatch.NO_PRODUCER_ID);
        meta = new BatchMeta(meta.lastOffset(), meta.epoch(), CompressionType.NONE, meta.producerId(), meta.producerEpoch(),
            meta.baseSequence());
      }
      assertThat(new BatchMeta(b.lastOffset(), b.partitionLeaderEpoch(), b.compressionType(), b.producerId(), b.producerEpoch(), b.baseSequence()))
          .as("batch %s after %s", b, ctx)
          .isEqualTo(meta);
      out.addAll(b.records());
      bases.add(b.baseOffset());
      prevLast = b.lastOffset();
    }
    // Every producer's last batch survives compaction, so its sequence does (KAFKA-5490).
    assertThat(bases).as("batches after %s", ctx).containsAll(producerLastBatch.values());
    return out;
  }

  private static List<Record> contents(Log log) {
    List<Record> out = new ArrayList<>();
    for (RecordBatch b : batches(log)) {
      b.ensureValid();
      out.addAll(b.records());
    }
    return out;
  }

  /** Every batch from the log start to the log end, read as a consumer does. */
  private static List<RecordBatch> batches(Log log) {
    List<RecordBatch> out = new ArrayList<>();
    long next = log.logStartOffset();
    long end = log.logEndOffset();
    while (next < end) {
      LogReadResult r = log.read(next, 3000, end);
      if (r.isEmpty()) {
        break; // compaction may remove the records at the very end of the last inactive segment
      }
      for (RecordBatch b : RecordBatch.iterate(r.records())) {
        assertThat(b.lastOffset()).as("batch read from %d", next).isGreaterThanOrEqualTo(next);
        out.add(b);
        next = b.nextOffset();
      }
    }
    return out;
  }

  /**
   * A consumer starting at any offset (surviving or removed) must get, as its first record at or
   * after that offset, the model's.
   */
  private static void checkReadsFromEveryOffset(Log log, List<Record> expected, Random rnd, String ctx) {
    long end = log.logEndOffset();
    TreeMap<Long, Record> byOffset = new TreeMap<>();
    expected.forEach(r -> byOffset.put(r.offset(), r));
    for (int i = 0; i < 150; i++) {
      long from = (long) (rnd.nextDouble() * end);
      Record want = byOffset.ceilingEntry(from) == null ? null : byOffset.ceilingEntry(from).getValue();
      assertThat(firstRecordFrom(log, from, rnd)).as("first record read from offset %d after %s", from, ctx).isEqualTo(want);
    }
  }

  /**
   * Time lookups see the surviving records: the segments' max timestamps and time indexes are
   * rebuilt for the compacted files (retention by time depends on them too).
   */
  private static void checkTimeLookups(Log log, List<Record> expected, Random rnd, String ctx) {
    List<Long> probes = new ArrayList<>();
    for (int i = 0; i < 60 && !expected.isEmpty(); i++) {
      probes.add(expected.get(rnd.nextInt(expected.size())).timestamp() + rnd.nextInt(3) - 1);
    }
    probes.add(Long.MIN_VALUE + 1);
    probes.add(Long.MAX_VALUE);
    for (long t : probes) {
      OptionalLong want = OptionalLong.empty();
      for (Record r : expected) {
        if (r.timestamp() >= t) {
          want = OptionalLong.of(r.offset());
          break;
        }
      }
      assertThat(log.offsetForTimestamp(t)).as("offsetForTimestamp(%d) after %s", t, ctx).isEqualTo(want);
    }
  }

  private static Record firstRecordFrom(Log log, long from, Random rnd) {
    long next = from;
    long end = log.logEndOffset();
    while (next < end) {
      LogReadResult r = log.read(next, 1 + rnd.nextInt(4000), end);
      if (r.isEmpty()) {
        return null;
      }
      for (RecordBatch b : RecordBatch.iterate(r.records())) {
        for (Record rec : b.records()) {
          if (rec.offset() >= from) {
            return rec;
          }
        }
        next = b.nextOffset();
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- helpers

  private static Map<Long, byte[]> segmentFiles(Path dir) {
    Map<Long, byte[]> out = new TreeMap<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.log")) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        out.put(Long.parseLong(name.substring(0, name.indexOf('.'))), Files.readAllBytes(p));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  private static List<String> listNames(Path dir) {
    List<String> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      ds.forEach(p -> out.add(p.getFileName().toString()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** Sets attribute bits of a built batch and recomputes its CRC, as a producer would have written them. */
  private static void setAttributeBits(ByteBuffer batch, int bits) {
    short attrs = batch.getShort(RecordBatch.ATTRIBUTES_OFFSET);
    batch.putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) (attrs | bits));
    CRC32C crc = new CRC32C();
    crc.update(batch.duplicate().position(RecordBatch.ATTRIBUTES_OFFSET));
    batch.putInt(RecordBatch.CRC_OFFSET, (int) crc.getValue());
    RecordBatch.wrap(batch.duplicate()).ensureValid();
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Puts the test's directories on tmpfs ({@code /dev/shm}) when it has room: compaction fsyncs
   * every rewritten segment and its directory, which on a real disk dominates the run time and is
   * not what these tests check. Falls back to the default temp directory.
   */
  static final class MemoryBackedTempDirFactory implements TempDirFactory {
    @Override
    public Path createTempDirectory(AnnotatedElementContext element, ExtensionContext extension) throws IOException {
      Path shm = Path.of("/dev/shm");
      try {
        if (Files.isDirectory(shm) && Files.isWritable(shm) && Files.getFileStore(shm).getUsableSpace() > (1L << 30)) {
          return Files.createTempDirectory(shm, "brook-compactor-test-");
        }
      } catch (IOException | SecurityException e) {
        // fall through to the default location
      }
      return Files.createTempDirectory("brook-compactor-test-");
    }
  }
}
