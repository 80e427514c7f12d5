package io.brook.storage.log;

import static io.brook.storage.log.LogTestSupport.payload;
import static io.brook.storage.log.LogTestSupport.withSeed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import io.brook.storage.MockTime;
import io.brook.storage.OffsetOutOfRangeException;
import io.brook.storage.Time;
import io.brook.storage.record.CompressionType;
import io.brook.storage.record.Header;
import io.brook.storage.record.Record;
import io.brook.storage.record.RecordBatch;
import io.brook.storage.record.RecordBatchBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.io.TempDirFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Crash consistency of {@link Log} recovery ({@link LogLoader}, {@link LogSegment#recover}).
 *
 * <p>Every scenario writes a seeded random log (several codecs, random batch and record sizes,
 * non-monotonic timestamps, rising leader epochs, several segments), takes an image of its
 * directory <em>while the log is still open</em> (so nothing a clean shutdown does, such as the
 * recovery-point checkpoint or trimming the indexes, has happened: the image is what a crash
 * leaves), damages the image the way a crash or a bad disk does (torn tail, zero-filled tail,
 * flipped bit, lost or damaged index, leftover compaction file) and reopens it.
 *
 * <p>The oracle is independent of the implementation: it parses the damaged segment files itself.
 * The recovered log must serve exactly the batches before the first damaged byte, byte for byte
 * (so offsets, epochs and records are equal), each passing {@link RecordBatch#ensureValid()};
 * nothing at or after it, in that segment or any later one; its log end offset must be the end of
 * the last whole batch; the leader-epoch cache must not name an epoch that only the lost batches
 * carried; time lookups must agree with the records; and a further append must get exactly the log
 * end offset and survive another restart.
 *
 * <p>Seeds come from {@code -Dbrook.test.seed} (default fixed) and are printed in every failure.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LogCrashConsistencyTest {
  private static final long BASE_SEED = Long.getLong("brook.test.seed", 0xB200CL);
  private static final long START_MS = 1_700_000_000_000L;

  /** Small segments and indexes so a few dozen batches make several segments with many index entries. */
  private static final Map<String, String> PROPS =
      Map.of(
          "segment.bytes", "8192",
          "segment.index.bytes", "1024",
          "index.interval.bytes", "256");

  /**
   * Every reopen fsyncs segments and checkpoints. On tmpfs that is free and every byte position is
   * tried; on a real disk every {@code STRIDE}th, to keep the run short.
   */
  private static final int STRIDE = MemoryBackedTempDirFactory.usable() ? 1 : 4;

  @TempDir(factory = MemoryBackedTempDirFactory.class)
  Path tmp;

  private final MockTime clock = new MockTime(START_MS);
  private int dirCounter;

  // ---------------------------------------------------------------- scenarios: the active segment

  static Stream<Arguments> activeTailCases() {
    return Stream.of(
        Arguments.of(BASE_SEED, Shutdown.CRASH_UNFLUSHED),
        Arguments.of(BASE_SEED + 1, Shutdown.CRASH_AFTER_FLUSH),
        Arguments.of(BASE_SEED + 2, Shutdown.CLEAN_CLOSE));
  }

  /**
   * Cuts the active segment at every byte of its last two batches (and every third byte of the one
   * before), as a torn write does, sometimes with a zero-filled tail (file size persisted before
   * the data) or with the segment's index files lost or damaged.
   */
  @ParameterizedTest(name = "seed {0}, {1}")
  @MethodSource("activeTailCases")
  void tornWriteAnywhereInTheActiveSegmentTailKeepsExactlyTheWholeBatchesBeforeIt(long seed, Shutdown shutdown) {
    withSeed(seed, BASE_SEED, () -> {
      Image img = writeImage(seed, 3, 4, shutdown);
      SegmentLayout active = img.segment(img.activeBase());
      List<Placed> batches = active.batches;
      int n = batches.size();
      int denseFrom = batches.get(Math.max(0, n - 2)).position;
      int sparseFrom = batches.get(Math.max(0, n - 3)).position;
      Random rnd = new Random(seed * 31);
      int cuts = 0;
      for (int pos = sparseFrom; pos <= active.size; pos++) {
        if ((pos - sparseFrom) % (pos < denseFrom ? 3 * STRIDE : STRIDE) != 0) {
          continue;
        }
        Damage damage = tornTail(active.base, pos, TailDamage.values()[cuts % TailDamage.values().length], rnd);
        checkRecovery(img, damage, rnd, cuts % 7 == 0);
        cuts++;
      }
      assertThat(cuts).isGreaterThan(100 / STRIDE);
      System.out.printf("seed %d, %s: %d cuts of the active segment checked%n", seed, shutdown, cuts);
    });
  }

  /**
   * Single-bit flips anywhere in the last three batches of the active segment, except in the two
   * header fields the v2 format leaves outside the CRC (base offset, leader epoch): recovery must
   * cut at the flipped batch and never serve it.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds3")
  void bitFlipInTheActiveSegmentTailIsCutNeverServed(long seed) {
    withSeed(seed, BASE_SEED, () -> {
      Image img = writeImage(seed, 2, 3, Shutdown.CRASH_UNFLUSHED);
      SegmentLayout active = img.segment(img.activeBase());
      Random rnd = new Random(seed * 17);
      List<Placed> tail = active.batches.subList(Math.max(0, active.batches.size() - 3), active.batches.size());
      for (int i = 0; i < 150; i++) {
        Placed target = tail.get(rnd.nextInt(tail.size()));
        checkRecovery(img, bitFlip(active.base, target, rnd), rnd, i % 10 == 0);
      }
    });
  }

  // ---------------------------------------------------------------- scenarios: an inactive segment

  static Stream<Arguments> inactiveCases() {
    return Stream.of(
        Arguments.of(BASE_SEED + 10, Shutdown.CRASH_UNFLUSHED),
        Arguments.of(BASE_SEED + 11, Shutdown.CRASH_AFTER_FLUSH));
  }

  /**
   * A torn write inside one of the last two batches of a segment that is no longer active. Unflushed
   * (the log never called flush, the default) it is past the recovery point and must be validated;
   * flushed, the index check must notice the short file. Either way the valid prefix stays and every
   * later segment goes.
   */
  @ParameterizedTest(name = "seed {0}, {1}")
  @MethodSource("inactiveCases")
  void tornWriteInsideABatchOfAnInactiveSegmentCutsThereAndDropsLaterSegments(long seed, Shutdown shutdown) {
    withSeed(seed, BASE_SEED, () -> {
      Image img = writeImage(seed, 4, 1, shutdown);
      List<Long> bases = img.segmentBases();
      SegmentLayout victim = img.segment(bases.get(bases.size() - 2));
      Random rnd = new Random(seed * 13);
      List<Placed> batches = victim.batches;
      int cuts = 0;
      for (Placed p : batches.subList(Math.max(0, batches.size() - 2), batches.size())) {
        for (int pos = p.position + 1; pos < p.end(); pos += STRIDE) {
          checkRecovery(img, tornTail(victim.base, pos, TailDamage.NONE, rnd), rnd, cuts % 16 == 0);
          cuts++;
        }
      }
      assertThat(cuts).isGreaterThan(50 / STRIDE);
      System.out.printf("seed %d, %s: %d cuts of inactive segment %d checked%n", seed, shutdown, cuts, victim.base);
    });
  }

  /**
   * A crash that loses whole appends to a non-active, unflushed segment leaves its file ending at a
   * batch boundary (the file size is persisted per write) while the next segment survives. The log
   * must not serve the later segments across the hole: a follower would never refetch the missing
   * offsets, and a consumer would silently skip them.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds1")
  void lostWholeBatchesAtTheEndOfAnUnflushedInactiveSegmentDropLaterSegments(long seed) {
    withSeed(seed, BASE_SEED, () -> {
      Image img = writeImage(seed, 4, 1, Shutdown.CRASH_UNFLUSHED);
      List<Long> bases = img.segmentBases();
      Random rnd = new Random(seed * 7);
      for (long base : bases.subList(0, bases.size() - 1)) {
        SegmentLayout victim = img.segment(base);
        for (Placed p : victim.batches) {
          checkRecovery(img, tornTail(base, p.position, TailDamage.NONE, rnd), rnd, false);
        }
      }
    });
  }

  /** Single-bit flips in the last two batches of an unflushed, inactive segment. */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds1")
  void bitFlipInAnUnflushedInactiveSegmentIsCutAndLaterSegmentsDropped(long seed) {
    withSeed(seed, BASE_SEED, () -> {
      Image img = writeImage(seed, 4, 1, Shutdown.CRASH_UNFLUSHED);
      List<Long> bases = img.segmentBases();
      SegmentLayout victim = img.segment(bases.get(bases.size() - 2));
      Random rnd = new Random(seed * 19);
      List<Placed> tail = victim.batches.subList(Math.max(0, victim.batches.size() - 2), victim.batches.size());
      for (int i = 0; i < 80; i++) {
        checkRecovery(img, bitFlip(victim.base, tail.get(rnd.nextInt(tail.size())), rnd), rnd, i % 10 == 0);
      }
    });
  }

  /**
   * A flipped high bit in a batch's base offset (a field the CRC does not cover) puts the batch
   * more than 2^31 offsets past its segment's base: no valid segment can hold it (index entries
   * are 32-bit relative offsets), so recovery must treat it as corrupt. It must neither fail to open
   * the log nor serve the batch at a bogus offset.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds1")
  void baseOffsetCorruptedOutOfTheSegmentRangeIsCutAndTheLogStillOpens(long seed) {
    withSeed(seed, BASE_SEED, () -> {
      Image img = writeImage(seed, 2, 3, Shutdown.CRASH_UNFLUSHED);
      SegmentLayout active = img.segment(img.activeBase());
      Random rnd = new Random(seed * 23);
      List<Placed> targets = List.of(active.batches.get(0), active.batches.get(active.batches.size() - 1));
      for (Placed target : targets) {
        for (int bit : new int[] {33, 40, 52, 62}) {
          int bytePos = target.position + RecordBatch.BASE_OFFSET_OFFSET + 7 - bit / 8;
          int mask = 1 << (bit % 8);
          String what = "set bit " + bit + " of the base offset of batch " + target.batch.baseOffset;
          Damage d = new Damage(what, active.base, files -> {
            byte[] log = files.get(logName(active.base));
            log[bytePos] ^= (byte) mask;
          });
          checkRecovery(img, d, rnd, false);
        }
      }
    });
  }

  // ---------------------------------------------------------------- scenarios: configuration, indexes

  /**
   * {@code max.message.bytes} limits what producers may append; lowering it later must not make
   * recovery treat older, larger batches (flushed, valid) as corrupt and cut them.
   */
  @Test
  void recoveryKeepsValidBatchesLargerThanALoweredMaxMessageBytes() {
    long seed = BASE_SEED + 40;
    withSeed(seed, BASE_SEED, () -> {
      Random rnd = new Random(seed);
      Path dir = tmp.resolve("big-batches");
      List<Written> written = new ArrayList<>();
      try (Log log = Log.open(dir, LogConfig.from(PROPS), clock)) {
        for (int i = 0; i < 5; i++) {
          RecordBatchBuilder b = new RecordBatchBuilder();
          List<Record> records = new ArrayList<>();
          for (int r = 0; r < 3; r++) {
            byte[] value = randomBytes(rnd, 1000);
            records.add(new Record(r, START_MS + r, null, value, List.of()));
            b.append(START_MS + r, null, value);
          }
          written.add(appendRecorded(log, b.build(), 1, records));
        }
        log.flush();
      }
      Map<String, String> lowered = new HashMap<>(PROPS);
      lowered.put("max.message.bytes", "1024");
      try (Log log = Log.open(dir, LogConfig.from(lowered), clock)) {
        verifyServes(log, written, new Random(seed), "reopened with max.message.bytes=1024");
      }
    });
  }

  /**
   * After a clean shutdown, the indexes of the older segments are trusted if they look sane. A
   * lost, emptied or damaged index must be noticed and rebuilt: lookups by offset and by time must
   * still agree with the data.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("indexDamages")
  void lostOrDamagedIndexOfACleanSegmentIsRebuilt(IndexDamage damage) {
    long seed = BASE_SEED + 50 + damage.ordinal();
    withSeed(seed, BASE_SEED, () -> {
      Image img = writeImage(seed, 4, 1, Shutdown.CLEAN_CLOSE);
      Random rnd = new Random(seed);
      List<Long> bases = img.segmentBases();
      for (long base : bases.subList(0, bases.size() - 1)) {
        Damage d = new Damage(damage + " of segment " + base, base, files -> damage.apply(files, base, rnd));
        Path dir = materialize(img, d);
        try (Log log = Log.open(dir, img.config, clock)) {
          verifyServes(log, img.written, rnd, d.description);
          assertThat(log.segmentBaseOffsets()).as("segments after %s", d.description).isEqualTo(bases);
        }
        deleteRecursively(dir);
      }
    });
  }

  static Stream<IndexDamage> indexDamages() {
    return Stream.of(IndexDamage.values());
  }

  // ---------------------------------------------------------------- scenarios: interrupted compaction

  /** A compaction that crashed before its commit point leaves {@code .cleaned}: deleted on open, data untouched. */
  @Test
  void leftoverCleanedFileIsDeletedAndTheOriginalSegmentKept() {
    long seed = BASE_SEED + 60;
    withSeed(seed, BASE_SEED, () -> {
      CompactionImages c = compactionImages(seed);
      Random rnd = new Random(seed);
      for (long base : c.rewritten) {
        byte[] cleaned = c.after.files.get(logName(base));
        Damage d = new Damage("leftover " + base + ".log.cleaned", base, files ->
            files.put(logName(base) + ".cleaned", Arrays.copyOf(cleaned, cleaned.length / 2)));
        Path dir = materialize(c.before, d);
        try (Log log = Log.open(dir, c.before.config, clock)) {
          assertThat(listNames(dir)).as("files after %s", d.description).noneMatch(f -> f.endsWith(".cleaned"));
          verifyServesImage(log, c.before, rnd, d.description);
          assertThat(new LogCompactor().compact(log).segmentsRewritten()).isPositive();
          verifyServesImage(log, c.after, rnd, d.description + ", compacted again");
        }
      }
    });
  }

  /**
   * A compaction that crashed after its commit point leaves {@code <base>.log.swap} (fsynced, renamed
   * from {@code .cleaned}), possibly after other segments were already swapped, possibly after the
   * old indexes were already deleted: opening completes every swap and rebuilds the indexes.
   */
  @Test
  void leftoverSwapFilesCompleteTheInterruptedCompaction() {
    long seed = BASE_SEED + 61;
    withSeed(seed, BASE_SEED, () -> {
      CompactionImages c = compactionImages(seed);
      Random rnd = new Random(seed);
      List<Long> rewritten = new ArrayList<>(c.rewritten);
      assertThat(rewritten).as("segments rewritten by the compaction").hasSizeGreaterThan(1);
      for (int swapped = 0; swapped < rewritten.size(); swapped++) {
        for (boolean indexesDeleted : new boolean[] {false, true}) {
          int done = swapped;
          String what = "crash after " + done + " of " + rewritten.size() + " swaps"
              + (indexesDeleted ? ", old indexes of the next already deleted" : "");
          Damage d = new Damage(what, -1, files -> {
            for (int i = 0; i < rewritten.size(); i++) {
              long base = rewritten.get(i);
              byte[] compacted = c.after.files.get(logName(base));
              if (i < done) {
                files.put(logName(base), compacted);
                files.put(stem(base) + ".index", c.after.files.get(stem(base) + ".index"));
                files.put(stem(base) + ".timeindex", c.after.files.get(stem(base) + ".timeindex"));
              } else {
                files.put(logName(base) + ".swap", compacted);
                if (i == done && indexesDeleted) {
                  files.remove(stem(base) + ".index");
                  files.remove(stem(base) + ".timeindex");
                }
              }
            }
          });
          Path dir = materialize(c.before, d);
          try (Log log = Log.open(dir, c.before.config, clock)) {
            assertThat(listNames(dir)).as("files after %s", what).noneMatch(f -> f.endsWith(".swap"));
            verifyServesImage(log, c.after, rnd, what);
            long leo = log.logEndOffset();
            LogAppendInfo info = log.appendAsLeader(
                new RecordBatchBuilder().append(START_MS, bytes("k0"), bytes("after")).build(), 9);
            assertThat(info.firstOffset()).as("append after %s", what).isEqualTo(leo);
            assertThat(new LogCompactor().compact(log).segmentsRewritten())
                .as("a finished compaction leaves nothing to compact (%s)", what)
                .isZero();
          }
          deleteRecursively(dir);
        }
      }
    });
  }

  /**
   * The compactor commits {@code <base>.log.swap} without the log's lock; if the segment is deleted
   * meanwhile (a follower's {@code truncateFullyAndStartAt}) and the broker crashes before the log
   * discards the orphaned swap file, opening must discard it too, not resurrect the deleted data
   * below the new log start.
   */
  @Test
  void leftoverSwapFileOfADeletedSegmentIsDiscarded() {
    long seed = BASE_SEED + 62;
    withSeed(seed, BASE_SEED, () -> {
      CompactionImages c = compactionImages(seed);
      long orphan = c.rewritten.get(0);
      long newStart = c.before.segment(c.before.activeBase()).base + 1000;
      String what = "truncateFullyAndStartAt(" + newStart + ") racing the swap of segment " + orphan;
      Damage d = new Damage(what, -1, files -> {
        files.keySet().removeIf(name -> name.endsWith(".log") || name.endsWith("index"));
        files.put(logName(newStart), new byte[0]);
        files.put(logName(orphan) + ".swap", c.after.files.get(logName(orphan)));
        files.put("leader-epoch-checkpoint", bytes("0\n0\n"));
      });
      Path dir = materialize(c.before, d);
      try (Log log = Log.open(dir, c.before.config, clock)) {
        assertThat(listNames(dir)).as("files after %s", what).noneMatch(f -> f.endsWith(".swap"));
        assertThat(log.segmentBaseOffsets()).as("segments after %s", what).containsExactly(newStart);
        assertThat(log.logStartOffset()).as("log start after %s", what).isEqualTo(newStart);
        assertThat(log.logEndOffset()).as("log end after %s", what).isEqualTo(newStart);
      }
    });
  }

  static Stream<Long> seeds1() {
    return Stream.of(BASE_SEED + 20);
  }

  static Stream<Long> seeds3() {
    return LongStream.range(0, 3).mapToObj(i -> BASE_SEED + 30 + i);
  }

  // ---------------------------------------------------------------- the check

  /**
   * Materializes {@code img} with {@code damage}, opens it, and checks it serves exactly the oracle's
   * prefix, then that an append continues at the right offset (and, if {@code reopen}, survives a
   * clean restart).
   */
  private void checkRecovery(Image img, Damage damage, Random rnd, boolean reopen) {
    Map<String, byte[]> damaged = img.copyFiles();
    damage.mutator.accept(damaged);
    List<Written> expected = oracle(img, damaged, damage.segmentBase);
    Path dir = write(damaged);
    String ctx = damage.description;
    List<Written> after = new ArrayList<>(expected);
    try (Log log = Log.open(dir, img.config, clock)) {
      verifyServes(log, expected, rnd, ctx);
      long leo = log.logEndOffset();
      // No segment past the damaged one may survive, and none may be created from nothing.
      List<Long> keptBases = new ArrayList<>();
      for (long b : img.segmentBases()) {
        if (damage.segmentBase < 0 || b <= damage.segmentBase) {
          keptBases.add(b);
        }
      }
      if (damage.segmentBase >= 0) {
        assertThat(log.segmentBaseOffsets()).as("segments after %s", ctx).isEqualTo(keptBases);
        // ... on disk too (or the next restart resurrects them), and the bad tail is really gone.
        assertThat(segmentFileBases(dir)).as("segment files after %s", ctx).isEqualTo(keptBases);
        long keptBytes = 0;
        for (Placed p : img.segment(damage.segmentBase).batches) {
          keptBytes += expected.contains(p.batch) ? p.batch.bytes.length : 0;
        }
        assertThat(Files.size(dir.resolve(logName(damage.segmentBase))))
            .as("size of the damaged segment's file after %s", ctx)
            .isEqualTo(keptBytes);
      }
      Written next = appendRandom(log, rnd, img.lastEpoch + 1, leo, ctx);
      after.add(next);
      verifyServes(log, after, rnd, ctx + ", then one append");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (RuntimeException | AssertionError e) {
      throw new AssertionError("after " + ctx + ": " + e.getMessage(), e);
    }
    if (reopen) {
      try (Log log = Log.open(dir, img.config, clock)) {
        verifyServes(log, after, rnd, ctx + ", then one append and a clean restart");
      }
    }
    deleteRecursively(dir);
  }

  /**
   * What the log must serve after {@code damaged} is recovered: every batch, in offset order, up to
   * the first one (in segment {@code damagedBase}) that is missing, cut short, or changed; nothing
   * after it, in that segment or any later one.
   */
  private static List<Written> oracle(Image img, Map<String, byte[]> damaged, long damagedBase) {
    List<Written> out = new ArrayList<>();
    for (long base : img.segmentBases()) {
      SegmentLayout seg = img.segment(base);
      if (damagedBase < 0 || base < damagedBase) {
        seg.batches.forEach(p -> out.add(p.batch));
        continue;
      }
      byte[] now = damaged.get(logName(base));
      for (Placed p : seg.batches) {
        if (now == null || now.length < p.end()
            || !Arrays.equals(now, p.position, p.end(), p.batch.bytes, 0, p.batch.bytes.length)) {
          return out;
        }
        out.add(p.batch);
      }
      if (now.length != seg.size) {
        return out; // something was appended to the file (a zero-filled tail): nothing more is valid
      }
    }
    return out;
  }

  /**
   * Checks that {@code log} serves exactly {@code expected}: bounds, whole batches byte for byte
   * (reading with random sizes), reads from random offsets, time lookups, the leader-epoch cache.
   */
  private static void verifyServes(Log log, List<Written> expected, Random rnd, String ctx) {
    long expectedEnd = expected.isEmpty() ? 0 : expected.get(expected.size() - 1).nextOffset();
    assertThat(log.logEndOffset()).as("log end offset after %s", ctx).isEqualTo(expectedEnd);
    assertThat(log.logStartOffset()).as("log start offset after %s", ctx).isZero();
    assertThat(log.highWatermark()).as("high watermark after %s", ctx).isBetween(0L, expectedEnd);

    List<RecordBatch> served = readBatches(log, 0, rnd, ctx);
    for (int i = 0; i < Math.min(served.size(), expected.size()); i++) {
      Written w = expected.get(i);
      RecordBatch b = served.get(i);
      if (!b.buffer().equals(ByteBuffer.wrap(w.bytes))) {
        fail("after %s: batch %d served as %s, expected the batch written at offsets [%d, %d] (epoch %d)",
            ctx, i, b, w.baseOffset, w.nextOffset() - 1, w.leaderEpoch);
      }
    }
    assertThat(served).as("batches served after %s", ctx).hasSameSizeAs(expected);
    // Decode the last few batches (the ones near the damage) and compare with what was written.
    for (int i = Math.max(0, served.size() - 4); i < served.size(); i++) {
      assertThat(served.get(i).records()).as("records of batch %d after %s", i, ctx).isEqualTo(expected.get(i).records);
    }

    // Reads starting anywhere return the batch holding that offset first.
    for (int i = 0; i < 8 && expectedEnd > 0; i++) {
      long offset = (long) (rnd.nextDouble() * expectedEnd);
      LogReadResult r = log.read(offset, 1 + rnd.nextInt(2048), expectedEnd);
      Written holder = holding(expected, offset);
      RecordBatch first = RecordBatch.iterate(r.records()).iterator().next();
      assertThat(first.buffer()).as("first batch read from offset %d after %s", offset, ctx).isEqualTo(ByteBuffer.wrap(holder.bytes));
    }
    assertThat(log.read(expectedEnd, 4096, Long.MAX_VALUE).isEmpty()).as("read at the log end after %s", ctx).isTrue();
    assertThatThrownBy(() -> log.read(expectedEnd + 1, 4096, Long.MAX_VALUE))
        .as("read past the log end after %s", ctx)
        .isInstanceOf(OffsetOutOfRangeException.class);

    // Time lookups agree with the records actually present.
    TreeSet<Long> timestamps = new TreeSet<>();
    for (Written w : expected) {
      for (Record r : w.records) {
        timestamps.add(r.timestamp());
      }
    }
    List<Long> probes = new ArrayList<>();
    probes.add(Long.MIN_VALUE + 1);
    probes.add(timestamps.isEmpty() ? START_MS : timestamps.last() + 1);
    List<Long> all = new ArrayList<>(timestamps);
    for (int i = 0; i < 12 && !all.isEmpty(); i++) {
      probes.add(all.get(rnd.nextInt(all.size())) + rnd.nextInt(3) - 1);
    }
    for (long t : probes) {
      assertThat(log.offsetForTimestamp(t)).as("offsetForTimestamp(%d) after %s", t, ctx).isEqualTo(firstOffsetAtOrAfter(expected, t));
    }

    int expectedEpoch = expected.isEmpty() ? -1 : expected.get(expected.size() - 1).leaderEpoch;
    assertThat(log.leaderEpochCache().latestEpoch()).as("latest leader epoch after %s", ctx).isEqualTo(expectedEpoch);
  }

  private static void verifyServesImage(Log log, Image img, Random rnd, String ctx) {
    List<RecordBatch> expected = new ArrayList<>();
    for (long base : img.segmentBases()) {
      for (RecordBatch b : RecordBatch.iterate(ByteBuffer.wrap(img.files.get(logName(base))))) {
        expected.add(b);
      }
    }
    List<RecordBatch> served = readBatches(log, log.logStartOffset(), rnd, ctx);
    assertThat(served).as("batches served after %s", ctx).hasSameSizeAs(expected);
    for (int i = 0; i < served.size(); i++) {
      assertThat(served.get(i).buffer()).as("batch %d after %s", i, ctx).isEqualTo(expected.get(i).buffer());
    }
    // Every offset in the log, removed or not, reads from the first batch ending at or after it.
    long end = log.logEndOffset();
    for (long o = log.logStartOffset(); o < end; o++) {
      RecordBatch want = null;
      for (RecordBatch b : expected) {
        if (b.lastOffset() >= o) {
          want = b;
          break;
        }
      }
      LogReadResult r = log.read(o, 1, end);
      if (want == null) {
        assertThat(r.isEmpty()).as("read from %d after %s", o, ctx).isTrue();
      } else {
        assertThat(RecordBatch.iterate(r.records()).iterator().next().buffer())
            .as("read from %d after %s", o, ctx)
            .isEqualTo(want.buffer());
      }
    }
  }

  /** Every batch from {@code from} to the log end, read in chunks of random size; each must be valid. */
  private static List<RecordBatch> readBatches(Log log, long from, Random rnd, String ctx) {
    List<RecordBatch> out = new ArrayList<>();
    long next = from;
    long end = log.logEndOffset();
    while (next < end) {
      LogReadResult r = log.read(next, 1 + rnd.nextInt(6000), end);
      if (r.isEmpty()) {
        break;
      }
      for (RecordBatch b : RecordBatch.iterate(r.records())) {
        b.ensureValid();
        assertThat(b.lastOffset()).as("batch %s read from %d after %s", b, next, ctx).isGreaterThanOrEqualTo(next);
        assertThat(b.lastOffset()).as("batch %s after %s reaches the log end %d", b, ctx, end).isLessThan(end);
        out.add(b);
        next = b.nextOffset();
      }
    }
    return out;
  }

  private static Written holding(List<Written> batches, long offset) {
    int lo = 0;
    int hi = batches.size() - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (batches.get(mid).nextOffset() <= offset) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return batches.get(lo);
  }

  private static OptionalLong firstOffsetAtOrAfter(List<Written> batches, long timestamp) {
    for (Written w : batches) {
      for (Record r : w.records) {
        if (r.timestamp() >= timestamp) {
          return OptionalLong.of(r.offset());
        }
      }
    }
    return OptionalLong.empty();
  }

  // ---------------------------------------------------------------- damage

  enum Shutdown {
    /** Image taken while open; the log never flushed (flush.messages default). */
    CRASH_UNFLUSHED,
    /** Image taken while open, right after a flush (recovery point = log end). */
    CRASH_AFTER_FLUSH,
    /** Image taken after close (clean shutdown), then damaged. */
    CLEAN_CLOSE
  }

  /** What else happens to a segment whose tail was torn. */
  enum TailDamage {
    NONE,
    ZERO_FILLED_TAIL,
    INDEX_LOST,
    TIME_INDEX_LOST,
    BOTH_INDEXES_LOST,
    INDEX_GARBAGE,
    TIME_INDEX_ZEROED,
    INDEX_TORN
  }

  enum IndexDamage {
    OFFSET_INDEX_DELETED {
      @Override
      void apply(Map<String, byte[]> files, long base, Random rnd) {
        files.remove(stem(base) + ".index");
      }
    },
    OFFSET_INDEX_EMPTIED {
      @Override
      void apply(Map<String, byte[]> files, long base, Random rnd) {
        files.put(stem(base) + ".index", new byte[0]);
      }
    },
    OFFSET_INDEX_ZEROED {
      @Override
      void apply(Map<String, byte[]> files, long base, Random rnd) {
        Arrays.fill(files.get(stem(base) + ".index"), (byte) 0);
      }
    },
    OFFSET_INDEX_GARBAGE {
      @Override
      void apply(Map<String, byte[]> files, long base, Random rnd) {
        rnd.nextBytes(files.get(stem(base) + ".index"));
      }
    },
    OFFSET_INDEX_TORN {
      @Override
      void apply(Map<String, byte[]> files, long base, Random rnd) {
        byte[] idx = files.get(stem(base) + ".index");
        files.put(stem(base) + ".index", Arrays.copyOf(idx, Math.max(0, idx.length - 3)));
      }
    },
    TIME_INDEX_DELETED {
      @Override
      void apply(Map<String, byte[]> files, long base, Random rnd) {
        files.remove(stem(base) + ".timeindex");
      }
    },
    TIME_INDEX_EMPTIED {
      @Override
      void apply(Map<String, byte[]> files, long base, Random rnd) {
        files.put(stem(base) + ".timeindex", new byte[0]);
      }
    },
    BOTH_INDEXES_DELETED {
      @Override
      void apply(Map<String, byte[]> files, long base, Random rnd) {
        files.remove(stem(base) + ".index");
        files.remove(stem(base) + ".timeindex");
      }
    };

    abstract void apply(Map<String, byte[]> files, long base, Random rnd);
  }

  /** A change to an image; {@code segmentBase} is the segment whose log file it damages, or -1. */
  record Damage(String description, long segmentBase, Consumer<Map<String, byte[]>> mutator) {}

  private static Damage tornTail(long base, int pos, TailDamage extra, Random rnd) {
    int zeros = 1 + rnd.nextInt(300);
    int seed = rnd.nextInt();
    String what = "cut of segment " + base + " at byte " + pos + (extra == TailDamage.NONE ? "" : " + " + extra);
    return new Damage(what, base, files -> {
      String name = logName(base);
      byte[] cut = Arrays.copyOf(files.get(name), pos);
      if (extra == TailDamage.ZERO_FILLED_TAIL) {
        cut = Arrays.copyOf(cut, pos + zeros);
      }
      files.put(name, cut);
      String index = stem(base) + ".index";
      String timeIndex = stem(base) + ".timeindex";
      switch (extra) {
        case INDEX_LOST -> files.remove(index);
        case TIME_INDEX_LOST -> files.remove(timeIndex);
        case BOTH_INDEXES_LOST -> {
          files.remove(index);
          files.remove(timeIndex);
        }
        case INDEX_GARBAGE -> new Random(seed).nextBytes(files.get(index));
        case TIME_INDEX_ZEROED -> Arrays.fill(files.get(timeIndex), (byte) 0);
        case INDEX_TORN -> files.put(index, Arrays.copyOf(files.get(index), Math.max(0, files.get(index).length - 5)));
        default -> { }
      }
    });
  }

  /** Flips one random bit of {@code target}, outside its base-offset and leader-epoch fields. */
  private static Damage bitFlip(long base, Placed target, Random rnd) {
    int rel;
    do {
      rel = rnd.nextInt(target.batch.bytes.length);
    } while (rel < RecordBatch.LENGTH_OFFSET
        || (rel >= RecordBatch.PARTITION_LEADER_EPOCH_OFFSET && rel < RecordBatch.MAGIC_OFFSET));
    int bit = rnd.nextInt(8);
    int pos = target.position + rel;
    String what = "flip of bit " + bit + " at byte " + pos + " of segment " + base
        + " (byte " + rel + " of the batch at offset " + target.batch.baseOffset + ")";
    return new Damage(what, base, files -> files.get(logName(base))[pos] ^= (byte) (1 << bit));
  }

  // ---------------------------------------------------------------- writing logs and images

  /** A batch as the log must serve it: its bytes with offset and epoch assigned, and its records. */
  record Written(long baseOffset, int leaderEpoch, byte[] bytes, List<Record> records) {
    long nextOffset() {
      return baseOffset + records.size();
    }
  }

  /** A written batch where the segment file holds it. */
  record Placed(Written batch, int position) {
    int end() {
      return position + batch.bytes.length;
    }
  }

  record SegmentLayout(long base, int size, List<Placed> batches) {}

  /** The files of a log directory as a crash (or shutdown) left them, and what was written. */
  static final class Image {
    final LogConfig config;
    final List<Written> written;
    final Map<String, byte[]> files;
    final TreeMap<Long, SegmentLayout> layout = new TreeMap<>();
    final int lastEpoch;

    Image(LogConfig config, List<Written> written, Map<String, byte[]> files) {
      this(config, written, files, true);
    }

    /** With {@code checkWritten} false (a compacted image), only the segment bases are recorded. */
    Image(LogConfig config, List<Written> written, Map<String, byte[]> files, boolean checkWritten) {
      this.config = config;
      this.written = written;
      this.files = files;
      this.lastEpoch = written.isEmpty() ? 0 : written.get(written.size() - 1).leaderEpoch;
      // Locate every written batch in the segment files, parsing them independently of the log.
      Map<Long, Written> byOffset = new HashMap<>();
      written.forEach(w -> byOffset.put(w.baseOffset, w));
      for (String name : files.keySet()) {
        if (name.endsWith(".log")) {
          long base = Long.parseLong(name.substring(0, name.indexOf('.')));
          byte[] data = files.get(name);
          if (!checkWritten) {
            layout.put(base, new SegmentLayout(base, data.length, List.of()));
            continue;
          }
          List<Placed> placed = new ArrayList<>();
          int pos = 0;
          for (RecordBatch b : RecordBatch.iterate(ByteBuffer.wrap(data))) {
            Written w = byOffset.get(b.baseOffset());
            if (w == null || !b.buffer().equals(ByteBuffer.wrap(w.bytes))) {
              throw new AssertionError("segment " + base + " holds " + b + " at " + pos + ", which was not written so");
            }
            placed.add(new Placed(w, pos));
            pos += b.sizeInBytes();
          }
          layout.put(base, new SegmentLayout(base, data.length, placed));
        }
      }
      if (!checkWritten) {
        return;
      }
      List<Written> onDisk = new ArrayList<>();
      layout.values().forEach(s -> s.batches.forEach(p -> onDisk.add(p.batch)));
      if (!onDisk.equals(written)) {
        throw new AssertionError("the segment files do not hold exactly the written batches in order");
      }
    }

    List<Long> segmentBases() {
      return new ArrayList<>(layout.keySet());
    }

    long activeBase() {
      return layout.lastKey();
    }

    SegmentLayout segment(long base) {
      return layout.get(base);
    }

    Map<String, byte[]> copyFiles() {
      Map<String, byte[]> copy = new LinkedHashMap<>();
      files.forEach((k, v) -> copy.put(k, v.clone()));
      return copy;
    }
  }

  /**
   * Writes random batches until the log has {@code minSegments} segments and the active one holds
   * at least {@code minActiveBatches} batches, then images the directory as {@code shutdown} says.
   */
  private Image writeImage(long seed, int minSegments, int minActiveBatches, Shutdown shutdown) {
    Random rnd = new Random(seed);
    LogConfig cfg = LogConfig.from(PROPS);
    Path dir = tmp.resolve("source-" + seed + "-" + (dirCounter++));
    List<Written> written = new ArrayList<>();
    Map<String, byte[]> files;
    boolean closed = false;
    Log log = Log.open(dir, cfg, clock);
    try {
      int epoch = 1;
      while (true) {
        List<Long> bases = log.segmentBaseOffsets();
        long activeBase = bases.get(bases.size() - 1);
        long inActive = written.stream().filter(w -> w.baseOffset >= activeBase).count();
        if (bases.size() >= minSegments && inActive >= minActiveBatches) {
          break;
        }
        if (rnd.nextInt(6) == 0) {
          epoch++;
        }
        written.add(appendRandom(log, rnd, epoch, log.logEndOffset(), "writing the source log"));
        assertThat(written).as("runaway writer").hasSizeLessThan(500);
      }
      if (shutdown == Shutdown.CRASH_AFTER_FLUSH) {
        log.flush();
        assertThat(log.recoveryPoint()).isEqualTo(log.logEndOffset());
      }
      if (shutdown == Shutdown.CLEAN_CLOSE) {
        log.close();
        closed = true;
      }
      files = snapshot(dir);
    } finally {
      if (!closed) {
        log.close(); // Log.close() is not idempotent: a second call throws
      }
    }
    return new Image(cfg, written, files);
  }

  /** Appends a random batch as leader and checks it got {@code expectedOffset}. */
  private static Written appendRandom(Log log, Random rnd, int epoch, long expectedOffset, String ctx) {
    CompressionType codec = CompressionType.values()[rnd.nextInt(CompressionType.values().length)];
    RecordBatchBuilder b = new RecordBatchBuilder().compression(codec);
    int count = 1 + rnd.nextInt(rnd.nextInt(4) == 0 ? 40 : 8);
    long baseTs = START_MS + rnd.nextInt(100_000);
    List<Record> records = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      long ts = baseTs + rnd.nextInt(20_000) - 10_000;
      byte[] key = rnd.nextInt(3) == 0 ? null : randomBytes(rnd, rnd.nextInt(12));
      byte[] value = rnd.nextInt(15) == 0 ? null : payload(rnd, rnd.nextInt(rnd.nextInt(5) == 0 ? 600 : 120));
      List<Header> headers = rnd.nextInt(4) == 0
          ? List.of(new Header("h" + rnd.nextInt(3), rnd.nextBoolean() ? null : randomBytes(rnd, rnd.nextInt(6))))
          : List.of();
      b.append(ts, key, value, headers);
      records.add(new Record(i, ts, key, value, headers));
    }
    Written w = appendRecorded(log, b.build(), epoch, records);
    assertThat(w.baseOffset).as("offset of an append after %s", ctx).isEqualTo(expectedOffset);
    return w;
  }

  /** Appends {@code batch} as leader; returns it as the log must serve it (offsets and epoch set). */
  private static Written appendRecorded(Log log, ByteBuffer batch, int epoch, List<Record> relative) {
    byte[] bytes = new byte[batch.remaining()];
    batch.duplicate().get(bytes);
    long leo = log.logEndOffset();
    LogAppendInfo info = log.appendAsLeader(batch, epoch);
    assertThat(info.firstOffset()).isEqualTo(leo);
    assertThat(info.lastOffset()).isEqualTo(leo + relative.size() - 1);
    assertThat(log.logEndOffset()).isEqualTo(leo + relative.size());
    ByteBuffer.wrap(bytes).putLong(RecordBatch.BASE_OFFSET_OFFSET, leo).putInt(RecordBatch.PARTITION_LEADER_EPOCH_OFFSET, epoch);
    List<Record> records = new ArrayList<>();
    for (Record r : relative) {
      records.add(new Record(leo + r.offset(), r.timestamp(), r.key(), r.value(), r.headers()));
    }
    return new Written(leo, epoch, bytes, List.copyOf(records));
  }

  // ---------------------------------------------------------------- compaction images

  record CompactionImages(Image before, Image after, List<Long> rewritten) {}

  /**
   * A compacted log cleanly closed before and after one compaction pass: {@code before} is its
   * directory ready to compact (rolled, high watermark at the end), {@code after} the result.
   */
  private CompactionImages compactionImages(long seed) {
    Random rnd = new Random(seed);
    Map<String, String> props = new HashMap<>(PROPS);
    props.put("cleanup.policy", "compact");
    props.put("segment.bytes", "2048");
    LogConfig cfg = LogConfig.from(props);
    Path dir = tmp.resolve("compact-" + seed);
    List<Written> written = new ArrayList<>();
    try (Log log = Log.open(dir, cfg, clock)) {
      for (int i = 0; i < 120; i++) {
        RecordBatchBuilder b = new RecordBatchBuilder().compression(CompressionType.values()[rnd.nextInt(5)]);
        List<Record> records = new ArrayList<>();
        int n = 1 + rnd.nextInt(5);
        for (int r = 0; r < n; r++) {
          byte[] key = bytes("k" + rnd.nextInt(12));
          byte[] value = rnd.nextInt(8) == 0 ? null : payload(rnd, rnd.nextInt(60));
          b.append(START_MS + i, key, value);
          records.add(new Record(r, START_MS + i, key, value, List.of()));
        }
        written.add(appendRecorded(log, b.build(), 1, records));
      }
      log.roll();
      log.updateHighWatermark(log.logEndOffset());
    }
    Image before = new Image(cfg, written, snapshot(dir));
    try (Log log = Log.open(dir, cfg, clock)) {
      assertThat(log.highWatermark()).isEqualTo(log.logEndOffset());
      LogCompactor.Result result = new LogCompactor().compact(log);
      assertThat(result.segmentsRewritten()).isGreaterThan(1);
    }
    Map<String, byte[]> afterFiles = snapshot(dir);
    List<Long> rewritten = new ArrayList<>();
    for (long base : before.segmentBases()) {
      if (!Arrays.equals(before.files.get(logName(base)), afterFiles.get(logName(base)))) {
        rewritten.add(base);
      }
    }
    // The compacted image holds rebuilt batches, not the written ones: no layout check.
    return new CompactionImages(before, new Image(cfg, List.of(), afterFiles, false), rewritten);
  }

  // ---------------------------------------------------------------- files

  private Path materialize(Image img, Damage damage) {
    Map<String, byte[]> files = img.copyFiles();
    damage.mutator.accept(files);
    return write(files);
  }

  private Path write(Map<String, byte[]> files) {
    Path dir = tmp.resolve("image-" + (dirCounter++));
    try {
      Files.createDirectories(dir);
      for (Map.Entry<String, byte[]> e : files.entrySet()) {
        Files.write(dir.resolve(e.getKey()), e.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  private static Map<String, byte[]> snapshot(Path dir) {
    Map<String, byte[]> files = new TreeMap<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        if (Files.isRegularFile(p)) {
          files.put(p.getFileName().toString(), Files.readAllBytes(p));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return files;
  }

  private static List<Long> segmentFileBases(Path dir) {
    List<Long> bases = new ArrayList<>();
    for (String name : listNames(dir)) {
      if (name.endsWith(".log")) {
        bases.add(Long.parseLong(name.substring(0, name.indexOf('.'))));
      }
    }
    bases.sort(null);
    return bases;
  }

  private static List<String> listNames(Path dir) {
    return new ArrayList<>(snapshot(dir).keySet());
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String stem(long base) {
    return String.format("%020d", base);
  }

  static String logName(long base) {
    return stem(base) + ".log";
  }

  // ---------------------------------------------------------------- data

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] randomBytes(Random rnd, int n) {
    byte[] b = new byte[n];
    rnd.nextBytes(b);
    return b;
  }

  /**
   * Puts the test's directories on tmpfs ({@code /dev/shm}) when it has room: every reopen fsyncs
   * segments and checkpoints, and thousands of reopens on a real disk take minutes. fsync is not
   * what these tests check (a crash is simulated by the image, not by losing the page cache).
   * Falls back to the default temp directory.
   */
  static final class MemoryBackedTempDirFactory implements TempDirFactory {
    private static final Path SHM = Path.of("/dev/shm");

    static boolean usable() {
      try {
        return Files.isDirectory(SHM) && Files.isWritable(SHM) && Files.getFileStore(SHM).getUsableSpace() > (1L << 30);
      } catch (IOException | SecurityException e) {
        return false;
      }
    }

    @Override
    public Path createTempDirectory(AnnotatedElementContext element, ExtensionContext extension) throws IOException {
      return usable() ? Files.createTempDirectory(SHM, "brook-crash-test-") : Files.createTempDirectory("brook-crash-test-");
    }
  }

}
