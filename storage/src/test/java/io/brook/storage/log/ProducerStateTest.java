package io.brook.storage.log;

import static io.brook.storage.log.LogTestSupport.bytes;
import static io.brook.storage.log.LogTestSupport.readAll;
import static io.brook.storage.log.LogTestSupport.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.brook.storage.MockTime;
import io.brook.storage.OutOfOrderSequenceException;
import io.brook.storage.ProducerFencedException;
import io.brook.storage.record.RecordBatch;
import io.brook.storage.record.RecordBatchBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(60)
class ProducerStateTest {
  @TempDir(factory = LogCompactorTest.MemoryBackedTempDirFactory.class)
  Path dir;
  final MockTime time = new MockTime(1_700_000_000_000L);

  static ByteBuffer idempotent(long pid, int epoch, int seq, String... values) {
    RecordBatchBuilder b = new RecordBatchBuilder().producer(pid, (short) epoch, seq);
    for (String v : values) {
      b.append(1, null, bytes(v));
    }
    return b.build();
  }

  @Test
  void retriesAreAnsweredWithTheOriginalOffsetsAndWrittenOnce() {
    Log log = Log.open(dir.resolve("p-0"), LogConfig.DEFAULT, time);
    LogAppendInfo a = log.appendAsLeader(idempotent(7, 0, 0, "a", "b"), 1);
    LogAppendInfo b = log.appendAsLeader(idempotent(7, 0, 2, "c"), 1);
    LogAppendInfo retryA = log.appendAsLeader(idempotent(7, 0, 0, "a", "b"), 1);
    LogAppendInfo retryB = log.appendAsLeader(idempotent(7, 0, 2, "c"), 1);
    assertThat(a.duplicate()).isFalse();
    assertThat(retryA.duplicate()).isTrue();
    assertThat(retryA.firstOffset()).isEqualTo(a.firstOffset());
    assertThat(retryA.lastOffset()).isEqualTo(a.lastOffset());
    assertThat(retryB.firstOffset()).isEqualTo(b.firstOffset());
    assertThat(values(readAll(log))).containsExactly("a", "b", "c");
    log.close();
  }

  @Test
  void outOfOrderAndFencedBatchesAreRefusedAndChangeNothing() {
    Log log = Log.open(dir.resolve("p-0"), LogConfig.DEFAULT, time);
    log.appendAsLeader(idempotent(7, 1, 0, "a"), 1);
    long size = log.sizeInBytes();
    assertThatThrownBy(() -> log.appendAsLeader(idempotent(7, 1, 5, "gap"), 1))
        .isInstanceOf(OutOfOrderSequenceException.class).hasMessageContaining("1 is next");
    assertThatThrownBy(() -> log.appendAsLeader(idempotent(7, 0, 1, "old epoch"), 1))
        .isInstanceOf(ProducerFencedException.class);
    assertThat(log.sizeInBytes()).isEqualTo(size);
    assertThat(log.appendAsLeader(idempotent(7, 1, 1, "b"), 1).firstOffset()).isEqualTo(1);
    // A new epoch starts its sequence afresh; other producers are independent.
    assertThat(log.appendAsLeader(idempotent(7, 2, 0, "c"), 1).duplicate()).isFalse();
    assertThat(log.appendAsLeader(idempotent(8, 0, 0, "d"), 1).duplicate()).isFalse();
    assertThat(values(readAll(log))).containsExactly("a", "b", "c", "d");
    log.close();
  }

  /**
   * A new partition: a producer's second batch arriving before its first (the first refused before
   * its append, e.g. by a leader that had not created the partition yet) is refused, so the first
   * can still be written and the order holds. Once the log holds records, an unknown producer may
   * continue at any sequence (its state may have expired), as before.
   */
  @Test
  void onANeverWrittenLogAProducersFirstBatchMustStartAtSequenceZero() {
    Log log = Log.open(dir.resolve("p-0"), LogConfig.DEFAULT, time);
    assertThatThrownBy(() -> log.appendAsLeader(idempotent(7, 0, 2, "c"), 1))
        .isInstanceOf(OutOfOrderSequenceException.class).hasMessageContaining("sent sequence 2 but 0 is next");
    assertThat(log.logEndOffset()).isZero();
    log.appendAsLeader(idempotent(7, 0, 0, "a", "b"), 1);
    log.appendAsLeader(idempotent(7, 0, 2, "c"), 1);
    assertThat(log.appendAsLeader(idempotent(9, 0, 40, "x"), 1).duplicate()).as("unknown producer, non-empty log").isFalse();
    assertThat(values(readAll(log))).containsExactly("a", "b", "c", "x");
    log.close();
  }

  @Test
  void stateSurvivesRestartAndFollowsTruncation() {
    LogConfig config = LogConfig.from(Map.of("segment.bytes", "200"));
    Log log = Log.open(dir.resolve("p-0"), config, time);
    for (int i = 0; i < 10; i++) {
      log.appendAsLeader(idempotent(7, 0, i, "v" + i), 1);
    }
    log.close();
    Log reopened = Log.open(dir.resolve("p-0"), config, time);
    assertThat(reopened.appendAsLeader(idempotent(7, 0, 9, "v9"), 1).duplicate()).isTrue();
    assertThatThrownBy(() -> reopened.appendAsLeader(idempotent(7, 0, 11, "gap"), 1))
        .isInstanceOf(OutOfOrderSequenceException.class);
    reopened.truncateTo(8); // offsets 8 and 9 (sequences 8, 9) are gone
    assertThat(reopened.appendAsLeader(idempotent(7, 0, 8, "v8 again"), 1).firstOffset()).isEqualTo(8);
    reopened.close();
  }

  @Test
  void followersBuildTheSameStateFromReplicatedBatches() {
    Log leader = Log.open(dir.resolve("leader"), LogConfig.DEFAULT, time);
    Log follower = Log.open(dir.resolve("follower"), LogConfig.DEFAULT, time);
    for (int i = 0; i < 3; i++) {
      leader.appendAsLeader(idempotent(9, 0, i, "x" + i), 4);
    }
    follower.appendAsFollower(leader.read(0, 1 << 20, Long.MAX_VALUE).records());
    // The follower, become leader, recognises a retry of the last batch.
    LogAppendInfo retry = follower.appendAsLeader(idempotent(9, 0, 2, "x2"), 5);
    assertThat(retry.duplicate()).isTrue();
    assertThat(retry.firstOffset()).isEqualTo(2);
    leader.close();
    follower.close();
  }

  static ByteBuffer idempotentKeyed(long pid, int epoch, int seq, long timestamp, String key, String value) {
    return new RecordBatchBuilder().producer(pid, (short) epoch, seq).append(timestamp, bytes(key), bytes(value)).build();
  }

  static ByteBuffer plainKeyed(long timestamp, String key, String value) {
    return new RecordBatchBuilder().append(timestamp, bytes(key), bytes(value)).build();
  }

  /**
   * Issue 8 §2 (Kafka's KAFKA-5490): producer P writes sequence 0 (key A) and 1 (key B) to a
   * compacted topic, another client overwrites B, compaction runs, the broker restarts. P's
   * sequence 2 must be accepted, and a resend of sequence 1 answered with its original offset and
   * not written again (a stale B would become the latest). "Without snapshots" deletes the
   * producer snapshots before the restart: the log alone must still carry P's sequence, because
   * the compactor keeps P's last batch (as an empty batch).
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"clean restart", "restart without snapshots"})
  void producerSequenceSurvivesCompactionOfItsLastBatch(String restart) throws Exception {
    LogConfig config = LogConfig.from(Map.of("cleanup.policy", "compact"));
    Path d = dir.resolve("c-0");
    Log log = Log.open(d, config, time);
    long t = time.milliseconds();
    assertThat(log.appendAsLeader(idempotentKeyed(7, 0, 0, t, "A", "a1"), 1).firstOffset()).isZero();
    assertThat(log.appendAsLeader(idempotentKeyed(7, 0, 1, t, "B", "b1"), 1).firstOffset()).isEqualTo(1);
    assertThat(log.appendAsLeader(plainKeyed(t, "B", "b2"), 1).firstOffset()).isEqualTo(2);
    log.roll();
    log.updateHighWatermark(log.logEndOffset());
    assertThat(new LogCompactor().compact(log).recordsRemoved()).isEqualTo(1);
    List<RecordBatch> batches = batchesOf(log);
    assertThat(batches).extracting(RecordBatch::baseOffset).containsExactly(0L, 1L, 2L);
    assertThat(batches.get(1).recordCount()).as("P's last batch, kept empty").isZero();
    assertThat(batches.get(1).baseSequence()).isEqualTo(1);
    log.close();
    if (restart.equals("restart without snapshots")) {
      try (Stream<Path> files = Files.list(d)) {
        for (Path f : files.filter(f -> f.toString().endsWith(".snapshot")).toList()) {
          Files.delete(f);
        }
      }
    }

    Log reopened = Log.open(d, config, time);
    LogAppendInfo resend = reopened.appendAsLeader(idempotentKeyed(7, 0, 1, t, "B", "b1"), 2);
    assertThat(resend.duplicate()).as("resend of sequence 1 is a duplicate").isTrue();
    assertThat(resend.firstOffset()).as("answered with its original offset").isEqualTo(1);
    LogAppendInfo next = reopened.appendAsLeader(idempotentKeyed(7, 0, 2, t, "C", "c1"), 2);
    assertThat(next.duplicate()).isFalse();
    assertThat(next.firstOffset()).isEqualTo(3);
    Map<String, String> latest = new java.util.LinkedHashMap<>();
    readAll(reopened).forEach(r -> latest.put(LogTestSupport.string(r.key()), LogTestSupport.string(r.value())));
    assertThat(latest).containsExactly(Map.entry("A", "a1"), Map.entry("B", "b2"), Map.entry("C", "c1"));
    reopened.close();
  }

  /**
   * Retention deleting every batch of a producer does not forget it (Kafka since KIP-360): its
   * next sequence is accepted and a resend of its last batch is still a duplicate, also after a
   * restart, until it expires.
   */
  @Test
  void retentionDeletingAProducersBatchesKeepsItKnownAcrossRestart() {
    LogConfig config = LogConfig.from(Map.of("retention.ms", "60000", "segment.bytes", "200"));
    Path d = dir.resolve("r-0");
    Log log = Log.open(d, config, time);
    long old = time.milliseconds() - 120_000;
    for (int seq = 0; seq < 3; seq++) {
      log.appendAsLeader(idempotentKeyed(7, 0, seq, old, "k", "v" + seq), 1);
    }
    log.updateHighWatermark(log.logEndOffset());
    assertThat(log.deleteOldSegments()).isPositive();
    assertThat(log.logStartOffset()).as("every batch of the producer is gone").isEqualTo(3);
    assertThat(log.appendAsLeader(idempotentKeyed(7, 0, 2, old, "k", "v2"), 1).firstOffset())
        .as("resend of the last batch, after retention").isEqualTo(2);
    log.close();

    Log reopened = Log.open(d, config, time);
    LogAppendInfo resend = reopened.appendAsLeader(idempotentKeyed(7, 0, 2, old, "k", "v2"), 1);
    assertThat(resend.duplicate()).as("resend of the last batch after retention and a restart").isTrue();
    assertThat(resend.firstOffset()).isEqualTo(2);
    assertThatThrownBy(() -> reopened.appendAsLeader(idempotentKeyed(7, 0, 5, time.milliseconds(), "k", "gap"), 1))
        .isInstanceOf(OutOfOrderSequenceException.class);
    assertThat(reopened.appendAsLeader(idempotentKeyed(7, 0, 3, time.milliseconds(), "k", "v3"), 1).firstOffset()).isEqualTo(3);
    assertThat(reopened.logEndOffset()).isEqualTo(4);
    reopened.close();
  }

  /**
   * A producer idle for {@code producer.id.expiration.ms} (by the broker's clock, from its last
   * append) is forgotten: by the periodic check, at load, and compaction then no longer keeps its
   * last batch. Until then it is known.
   */
  @Test
  void idleProducersExpireAfterProducerIdExpirationMs() {
    LogConfig config = LogConfig.from(Map.of("producer.id.expiration.ms", "1000", "cleanup.policy", "compact"));
    assertThat(config.producerIdExpirationMs()).isEqualTo(1000);
    assertThat(LogConfig.DEFAULT.producerIdExpirationMs()).as("Kafka's default").isEqualTo(86_400_000L);
    Path d = dir.resolve("e-0");
    Log log = Log.open(d, config, time);
    long t = time.milliseconds();
    log.appendAsLeader(idempotentKeyed(7, 0, 0, t, "A", "a1"), 1);
    log.appendAsLeader(idempotentKeyed(8, 0, 0, t, "B", "b1"), 1);
    time.advance(999);
    assertThat(log.removeExpiredProducers()).isZero();
    assertThatThrownBy(() -> log.appendAsLeader(idempotentKeyed(7, 0, 9, t, "A", "gap"), 1))
        .isInstanceOf(OutOfOrderSequenceException.class);
    log.appendAsLeader(idempotentKeyed(8, 0, 1, t, "B", "b2"), 1); // producer 8 stays active
    time.advance(1);
    assertThat(log.removeExpiredProducers()).as("producer 7 idle for 1000 ms").isEqualTo(1);
    // Forgotten: its next batch starts a fresh sequence, as for a producer never seen.
    assertThat(log.appendAsLeader(idempotentKeyed(7, 0, 9, t, "X", "x"), 1).duplicate()).isFalse();

    // Compaction keeps only the last batch of producers it still knows.
    log.appendAsLeader(plainKeyed(t, "X", "x2"), 1);
    log.appendAsLeader(plainKeyed(t, "B", "b3"), 1);
    time.advance(1000);
    log.removeExpiredProducers();
    log.roll();
    log.updateHighWatermark(log.logEndOffset());
    new LogCompactor().compact(log);
    // Left: A (a live record of producer 7's first batch), x2, b3. Producer 7's batch of X and
    // producer 8's last batch of B, all of whose records are obsolete, went with them.
    assertThat(batchesOf(log)).extracting(RecordBatch::baseOffset).as("batches left").containsExactly(0L, 4L, 5L);
    log.close();

    // At load, too: producer 9 is in the snapshot taken at close, and idle by the time of the restart.
    Log again = Log.open(d, config, time);
    again.appendAsLeader(idempotentKeyed(9, 0, 0, t, "Z", "z"), 1);
    again.close();
    time.advance(1000);
    Log reopened = Log.open(d, config, time);
    assertThat(reopened.appendAsLeader(idempotentKeyed(9, 0, 5, t, "Z", "z5"), 1).duplicate()).isFalse();
    reopened.close();
  }

  /**
   * A crash (power loss) mid-stream loses every batch from some point; the producer snapshots
   * written at rolls after that point survive it (they are fsynced). The reopened log must ignore
   * them and agree with its batches: for each producer, the last surviving batch is a duplicate,
   * the next sequence after it is accepted at the log end. Also with the newest usable snapshot
   * torn (it is skipped for an older one or the log).
   */
  @Test
  void crashMidStreamKeepsProducerStateConsistentWithTheLog() throws Exception {
    LogConfig config = LogConfig.from(Map.of("segment.bytes", "300"));
    Path d = dir.resolve("crash-0");
    Log log = Log.open(d, config, time);
    java.util.TreeMap<Long, long[]> written = new java.util.TreeMap<>(); // base -> pid, seq
    int[] next = new int[2];
    java.util.Random rnd = new java.util.Random(42);
    for (int i = 0; i < 40; i++) {
      int p = rnd.nextInt(2);
      LogAppendInfo info = log.appendAsLeader(idempotent(100 + p, 0, next[p], "v" + i), 1);
      written.put(info.firstOffset(), new long[] {100 + p, next[p]});
      next[p]++;
    }
    assertThat(log.segmentBaseOffsets()).hasSizeGreaterThan(5);
    Path image = dir.resolve("image");
    CompactedLogRestartTest.copyDirectory(d, image);
    log.close();
    List<Long> bases = new ArrayList<>(written.keySet());
    int checked = 0;
    for (int cut = 1; cut < bases.size(); cut += 3) {
      for (boolean tornSnapshot : new boolean[] {false, true}) {
        long lostFrom = bases.get(cut);
        Path crashed = dir.resolve("crashed-" + cut + "-" + tornSnapshot);
        CompactedLogRestartTest.copyDirectory(image, crashed);
        cutFrom(crashed, lostFrom);
        if (tornSnapshot) {
          tearNewestSnapshotAtOrBelow(crashed, lostFrom);
        }
        Log reopened = Log.open(crashed, config, time);
        assertThat(reopened.logEndOffset()).isEqualTo(lostFrom);
        try (Stream<Path> files = Files.list(crashed)) {
          assertThat(files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".snapshot"))
              .map(n -> Long.parseLong(n.substring(0, 20))))
              .as("snapshots after the crash cut at %d", lostFrom).allMatch(o -> o <= lostFrom);
        }
        for (long pid : new long[] {100, 101}) {
          Map.Entry<Long, long[]> last = null;
          for (Map.Entry<Long, long[]> e : written.headMap(lostFrom).entrySet()) {
            if (e.getValue()[0] == pid) {
              last = e;
            }
          }
          if (last == null) {
            continue;
          }
          int seq = (int) last.getValue()[1];
          LogAppendInfo resend = reopened.appendAsLeader(idempotent(pid, 0, seq, "again"), 1);
          assertThat(resend.duplicate()).as("producer %d's last surviving batch, cut at %d", pid, lostFrom).isTrue();
          assertThat(resend.firstOffset()).isEqualTo(last.getKey());
          long leo = reopened.logEndOffset();
          assertThat(reopened.appendAsLeader(idempotent(pid, 0, seq + 1, "next"), 1).firstOffset())
              .as("producer %d's next sequence after the cut at %d", pid, lostFrom).isEqualTo(leo);
        }
        reopened.close();
        checked++;
      }
    }
    assertThat(checked).isGreaterThan(20);
  }

  /** Power loss from {@code offset}: the batch there and everything after it are gone; snapshots stay. */
  private static void cutFrom(Path d, long offset) throws IOException {
    try (Stream<Path> files = Files.list(d)) {
      for (Path f : files.filter(f -> f.toString().endsWith(".log")).sorted().toList()) {
        ByteBuffer data = ByteBuffer.wrap(Files.readAllBytes(f));
        int pos = 0;
        for (RecordBatch b : RecordBatch.iterate(data)) {
          if (b.baseOffset() >= offset) {
            break;
          }
          pos += b.sizeInBytes();
        }
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
          ch.truncate(pos);
        }
      }
    }
  }

  private static void tearNewestSnapshotAtOrBelow(Path d, long offset) throws IOException {
    try (Stream<Path> files = Files.list(d)) {
      Optional<Path> newest = files.filter(f -> f.toString().endsWith(".snapshot"))
          .filter(f -> Long.parseLong(f.getFileName().toString().substring(0, 20)) <= offset)
          .max(java.util.Comparator.naturalOrder());
      if (newest.isPresent()) {
        byte[] b = Files.readAllBytes(newest.get());
        Files.write(newest.get(), java.util.Arrays.copyOf(b, Math.max(0, b.length - 3)));
      }
    }
  }

  private static List<RecordBatch> batchesOf(Log log) {
    List<RecordBatch> out = new ArrayList<>();
    long next = log.logStartOffset();
    while (next < log.logEndOffset()) {
      LogReadResult r = log.read(next, 1 << 20, Long.MAX_VALUE);
      if (r.isEmpty()) {
        break;
      }
      for (RecordBatch b : RecordBatch.iterate(r.records())) {
        out.add(b);
        next = b.nextOffset();
      }
    }
    return out;
  }
}
