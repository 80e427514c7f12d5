package io.brook.storage.log;

import static io.brook.storage.log.LogTestSupport.payload;
import static io.brook.storage.log.LogTestSupport.readAll;
import static io.brook.storage.log.LogTestSupport.withSeed;
import static org.assertj.core.api.Assertions.assertThat;

import io.brook.storage.MockTime;
import io.brook.storage.record.CompressionType;
import io.brook.storage.record.Record;
import io.brook.storage.record.RecordBatch;
import io.brook.storage.record.RecordBatchBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 8 §1 and §2, the kind: a compacted log, with idempotent producers among its writers, must
 * come back from any crash with every record its model keeps, and offsets that survived are never
 * handed out again; its producer state must agree with the log.
 *
 * <p>Each seed interleaves, at random: keyed appends (every codec, tombstones, idempotent
 * producers), moves of the high watermark, compaction passes, flushes, rolls, clock jumps (so
 * tombstones expire), and crashes. The model is a list of records: an append adds its records;
 * a compaction pass applies {@link LogCompactorTest#compactBelow} to the range the compactor may
 * clean (inactive segments below the high watermark), computed before the pass. Two kinds of
 * crash, both taken as an image of the directory while the log is still open:
 *
 * <ul>
 *   <li>{@code kill -9}: every write is in the image. The reopened log must serve exactly the
 *       model and continue at the same log end offset.
 *   <li>power loss: only what was flushed is certain. The image loses data from a random point at
 *       or past the recovery point: the file holding that batch is cut anywhere inside it (a lost
 *       tail or a torn write), and each later segment file is kept, cut or lost. The reopened log
 *       must serve exactly the model's records below that batch, end there, and append there.
 * </ul>
 *
 * After every reopen each producer whose batches all survived must have its last batch recognised
 * as a duplicate (answered with its original offsets) and its next sequence accepted.
 *
 * <p>Seeds come from {@code -Dbrook.test.seed} (default fixed) and are printed in every failure.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CompactedLogCrashModelTest {
  private static final long BASE_SEED = Long.getLong("brook.test.seed", 0xC0DE5EEDL);
  private static final long START_MS = 1_700_000_000_000L;
  private static final long DELETE_RETENTION_MS = 100_000;
  private static final int STEPS = 400;

  @TempDir(factory = LogCompactorTest.MemoryBackedTempDirFactory.class)
  Path tmp;

  private final MockTime clock = new MockTime(START_MS);

  static Stream<Long> seeds() {
    return LongStream.range(0, 16).mapToObj(i -> BASE_SEED + i);
  }

  /** One idempotent producer as the model sees it: epoch, next sequence, and its batches in the log. */
  private static final class ProducerModel {
    final long id;
    short epoch;
    int nextSequence;
    /** Batches appended and still in the log: base offset -> (firstSequence, lastSequence, lastOffset). */
    final TreeMap<Long, long[]> batches = new TreeMap<>();

    ProducerModel(long id) {
      this.id = id;
    }
  }

  private final class Run {
    final Random rnd;
    final LogConfig config;
    Path dir;
    Log log;
    List<Record> kept = new ArrayList<>();
    final Map<Long, ProducerModel> producers = new HashMap<>();
    int epoch = 1;
    int crashes;
    int cuts;
    int compactions;

    Run(long seed) {
      rnd = new Random(seed);
      Map<String, String> props = new HashMap<>();
      props.put("cleanup.policy", rnd.nextBoolean() ? "compact" : "compact,delete");
      props.put("retention.ms", "-1");
      props.put("segment.bytes", String.valueOf(200 + rnd.nextInt(1800)));
      props.put("segment.index.bytes", "1024");
      props.put("index.interval.bytes", String.valueOf(rnd.nextInt(300)));
      props.put("delete.retention.ms", String.valueOf(DELETE_RETENTION_MS));
      config = LogConfig.from(props);
      dir = tmp.resolve("log-" + seed + "-0");
      log = Log.open(dir, config, clock);
    }

    void append() {
      clock.advance(rnd.nextInt(20));
      CompressionType codec = CompressionType.values()[rnd.nextInt(CompressionType.values().length)];
      RecordBatchBuilder b = new RecordBatchBuilder().compression(codec);
      int n = 1 + rnd.nextInt(4);
      ProducerModel p = rnd.nextInt(3) == 0 ? producers.computeIfAbsent((long) rnd.nextInt(4), ProducerModel::new) : null;
      if (p != null) {
        b.producer(p.id, p.epoch, p.nextSequence);
      }
      List<Record> relative = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        long ts = clock.milliseconds() - rnd.nextInt(1000);
        byte[] key = ("k" + rnd.nextInt(6)).getBytes(StandardCharsets.UTF_8);
        byte[] value = rnd.nextInt(8) == 0 ? null : payload(rnd, rnd.nextInt(60));
        b.append(ts, key, value);
        relative.add(new Record(i, ts, key, value, List.of()));
      }
      long leo = log.logEndOffset();
      LogAppendInfo info = log.appendAsLeader(b.build(), epoch);
      assertThat(info.duplicate()).as("append at %d is new", leo).isFalse();
      assertThat(info.firstOffset()).as("offset of the next append: never one handed out before").isEqualTo(leo);
      for (Record r : relative) {
        kept.add(new Record(leo + r.offset(), r.timestamp(), r.key(), r.value(), r.headers()));
      }
      if (p != null) {
        p.batches.put(leo, new long[] {p.nextSequence, p.nextSequence + n - 1, leo + n - 1});
        p.nextSequence += n;
      }
    }

    void compact() {
      List<Long> bases = log.segmentBaseOffsets();
      long hw = log.highWatermark();
      long cleanableEnd = bases.get(0);
      for (int i = 0; i + 1 < bases.size() && bases.get(i + 1) <= hw; i++) {
        cleanableEnd = bases.get(i + 1);
      }
      kept = LogCompactorTest.compactBelow(kept, cleanableEnd, clock.milliseconds() - DELETE_RETENTION_MS);
      new LogCompactor().compact(log);
      compactions++;
      check("compaction below " + cleanableEnd);
    }

    void killNine() {
      long leo = log.logEndOffset();
      Path image = tmp.resolve(dir.getFileName() + "-k" + (++crashes));
      CompactedLogRestartTest.copyDirectory(dir, image);
      abandon();
      dir = image;
      log = Log.open(dir, config, clock);
      assertThat(log.logEndOffset()).as("log end offset after kill -9").isEqualTo(leo);
      check("kill -9 #" + crashes);
      checkProducers("kill -9 #" + crashes);
    }

    void powerLoss() {
      long recoveryPoint = log.recoveryPoint();
      Path image = tmp.resolve(dir.getFileName() + "-p" + (++crashes));
      CompactedLogRestartTest.copyDirectory(dir, image);
      // Every batch at or past the recovery point was never fsynced: pick one to lose from.
      List<Long> bases = log.segmentBaseOffsets();
      List<long[]> unflushed = new ArrayList<>(); // segment base, batch base, position, size
      for (long base : bases) {
        int pos = 0;
        for (RecordBatch b : RecordBatch.iterate(ByteBuffer.wrap(readBytes(LogSegment.logFile(image, base))))) {
          if (b.baseOffset() >= recoveryPoint) {
            unflushed.add(new long[] {base, b.baseOffset(), pos, b.sizeInBytes()});
          }
          pos += b.sizeInBytes();
        }
      }
      abandon();
      if (unflushed.isEmpty()) {
        dir = image;
        log = Log.open(dir, config, clock);
        check("power loss with everything flushed #" + crashes);
        checkProducers("power loss with everything flushed #" + crashes);
        return;
      }
      long[] victim = unflushed.get(rnd.nextInt(unflushed.size()));
      long lostFrom = victim[1];
      truncate(LogSegment.logFile(image, victim[0]), victim[2] + rnd.nextInt((int) victim[3]));
      for (long base : bases) {
        if (base > victim[0]) {
          switch (rnd.nextInt(3)) {
            case 0 -> { } // written back before the power went
            case 1 -> truncate(LogSegment.logFile(image, base), rnd.nextInt((int) size(LogSegment.logFile(image, base)) + 1));
            default -> deleteSegmentFiles(image, base); // its directory entry never reached the disk
          }
        }
      }
      cuts++;
      dir = image;
      log = Log.open(dir, config, clock);
      String ctx = "power loss #" + crashes + " from offset " + lostFrom + " (recovery point " + recoveryPoint + ")";
      kept.removeIf(r -> r.offset() >= lostFrom);
      assertThat(log.logEndOffset()).as("log end offset after %s", ctx).isEqualTo(lostFrom);
      for (ProducerModel p : producers.values()) {
        if (!p.batches.tailMap(lostFrom, true).isEmpty()) {
          // Lost acknowledged batches of its own: what it may send next is the replication
          // protocol's business. Start it afresh with a new epoch.
          p.batches.clear();
          p.epoch++;
          p.nextSequence = 0;
        }
      }
      check(ctx);
      checkProducers(ctx);
    }

    /** The served log equals the model. */
    void check(String ctx) {
      assertThat(readAll(log)).as("records served after %s", ctx).isEqualTo(kept);
      assertThat(log.logStartOffset()).as("log start offset after %s", ctx).isZero();
    }

    /** Each producer's last batch is a duplicate; its next batch is accepted (and recorded). */
    void checkProducers(String ctx) {
      for (ProducerModel p : producers.values()) {
        if (p.batches.isEmpty()) {
          continue;
        }
        Map.Entry<Long, long[]> last = p.batches.lastEntry();
        int first = (int) last.getValue()[0];
        int n = (int) (last.getValue()[1] - first + 1);
        RecordBatchBuilder retry = new RecordBatchBuilder().producer(p.id, p.epoch, first);
        for (int i = 0; i < n; i++) {
          retry.append(clock.milliseconds(), "k0".getBytes(StandardCharsets.UTF_8), "retry".getBytes(StandardCharsets.UTF_8));
        }
        long leo = log.logEndOffset();
        LogAppendInfo info = log.appendAsLeader(retry.build(), epoch);
        assertThat(info.duplicate()).as("retry of producer %d's last batch (sequence %d) after %s", p.id, first, ctx).isTrue();
        assertThat(info.firstOffset()).as("original offset of producer %d's last batch after %s", p.id, ctx).isEqualTo(last.getKey());
        assertThat(info.lastOffset()).isEqualTo(last.getValue()[2]);
        assertThat(log.logEndOffset()).as("a duplicate is not written").isEqualTo(leo);
      }
    }

    /**
     * The process died: the run goes on from the image taken before this. The old log is closed
     * only to release its files; what closing writes lands in the old directory, not the image.
     */
    void abandon() {
      log.close();
      log = null;
    }

    void step() {
      int op = rnd.nextInt(100);
      if (op < 55) {
        append();
      } else if (op < 67) {
        long leo = log.logEndOffset();
        long hw = log.highWatermark();
        log.updateHighWatermark(rnd.nextBoolean() ? leo : hw + (long) (rnd.nextDouble() * (leo - hw + 1)));
      } else if (op < 77) {
        compact();
      } else if (op < 80) {
        log.flush();
      } else if (op < 84) {
        log.roll();
      } else if (op < 87) {
        clock.advance(rnd.nextInt((int) DELETE_RETENTION_MS));
      } else if (op < 93) {
        killNine();
      } else {
        powerLoss();
      }
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void everyRecordTheModelKeepsIsServedAfterEveryCrashAndSurvivingOffsetsAreNeverReused(long seed) {
    withSeed(seed, BASE_SEED, () -> {
      Run run = new Run(seed);
      for (int i = 0; i < STEPS; i++) {
        run.step();
      }
      // A last pass over everything, then a clean restart.
      run.log.roll();
      run.log.updateHighWatermark(run.log.logEndOffset());
      run.compact();
      long leo = run.log.logEndOffset();
      run.log.close();
      run.log = Log.open(run.dir, run.config, clock);
      assertThat(run.log.logEndOffset()).isEqualTo(leo);
      run.check("clean restart");
      run.checkProducers("clean restart");
      run.log.close();
      assertThat(run.crashes).as("crashes").isGreaterThan(10);
      assertThat(run.cuts).as("power-loss cuts").isPositive();
      assertThat(run.compactions).as("compaction passes").isGreaterThan(10);
      System.out.printf("seed %d: %d crashes (%d with data cut), %d compaction passes, %d records kept of offsets 0..%d%n",
          seed, run.crashes, run.cuts, run.compactions, run.kept.size(), leo);
    });
  }

  // ---------------------------------------------------------------- files

  private static byte[] readBytes(Path f) {
    try {
      return Files.exists(f) ? Files.readAllBytes(f) : new byte[0];
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long size(Path f) {
    try {
      return Files.size(f);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void truncate(Path f, long size) {
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      ch.truncate(size);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteSegmentFiles(Path dir, long base) {
    try {
      LogSegment.deleteFiles(dir, base);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
