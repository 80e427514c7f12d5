package io.brook.storage.log;

import static io.brook.storage.log.LogTestSupport.batch;
import static io.brook.storage.log.LogTestSupport.readAll;
import static io.brook.storage.log.LogTestSupport.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.brook.storage.MockTime;
import io.brook.storage.Time;
import io.brook.storage.TopicPartition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class LogStoreTest {
  @TempDir Path dataDir;

  @Test
  void findsEveryPartitionOnReopenLoadsEachWhenAskedAndDeletesOnRequest() {
    TopicPartition a = new TopicPartition("orders", 0);
    TopicPartition b = new TopicPartition("orders", 1);
    try (LogStore store = LogStore.open(dataDir, Time.SYSTEM)) {
      store.getOrCreate(a, LogConfig.DEFAULT).appendAsLeader(batch(1, "a0", "a1"), 0);
      store.getOrCreate(b, LogConfig.DEFAULT).appendAsLeader(batch(1, "b0"), 0);
    }
    try (LogStore store = LogStore.open(dataDir, Time.SYSTEM)) {
      assertThat(store.all()).as("nothing is loaded before its owner asks, with its config").isEmpty();
      assertThat(store.directories()).containsOnlyKeys(a, b);
      assertThat(store.get(a)).isEmpty();
      assertThat(values(readAll(store.getOrCreate(a, LogConfig.DEFAULT)))).containsExactly("a0", "a1");
      assertThat(store.get(a)).isPresent();
      assertThat(store.all()).hasSize(1);
      // b was never loaded: deleted from disk all the same.
      assertThat(store.delete(b)).isTrue();
      assertThat(Files.exists(dataDir.resolve("orders-1"))).isFalse();
      assertThat(store.delete(b)).isFalse();
    }
  }

  /**
   * Issue 8 §1 (a): a log must be opened with its topic's config in force. The store used to load
   * every log at open with the defaults and let retention run before the topic's config arrived:
   * data a topic keeps forever ({@code retention.ms=-1}) went after a restart. Now a directory is
   * only discovered at open, the background duties never touch it, and it is loaded with the
   * config its owner passes.
   */
  @Test
  void logsLoadWithTheirTopicConfigAndBackgroundDutiesOnlyTouchLoadedLogs() {
    MockTime time = new MockTime(1_700_000_000_000L);
    LogConfig keepForever = LogConfig.from(Map.of("retention.ms", "-1", "segment.bytes", "200"));
    LogConfig expires = LogConfig.from(Map.of("retention.ms", "60000", "segment.bytes", "200"));
    TopicPartition forever = new TopicPartition("audit", 0);
    TopicPartition signal = new TopicPartition("clicks", 0);
    try (LogStore store = LogStore.open(dataDir, time)) {
      Log log = store.getOrCreate(forever, keepForever);
      for (int i = 0; i < 10; i++) {
        log.appendAsLeader(batch(time.milliseconds(), "a" + i), 0);
      }
      log.updateHighWatermark(log.logEndOffset());
    }
    time.advance(7 * 24 * 3_600_000L + 1); // older than the default retention.ms
    Path foreverDir = dataDir.resolve(forever.dirName());
    List<String> filesBefore = fileNames(foreverDir);

    try (LogStore store = LogStore.open(dataDir, time)) {
      assertThat(store.all()).isEmpty();
      assertThat(store.directories()).containsOnlyKeys(forever);
      // A loaded log whose retention must delete: it shows when a retention pass has run.
      Log signalLog = store.getOrCreate(signal, expires);
      appendExpired(signalLog, time);
      store.startBackgroundDuties(new LogStore.Intervals(5, 5, 5, 5));
      await().atMost(Duration.ofSeconds(10)).until(() -> signalLog.logStartOffset() == signalLog.logEndOffset());
      assertThat(fileNames(foreverDir)).as("files of a log no one loaded, after a retention pass").isEqualTo(filesBefore);

      Log log = store.getOrCreate(forever, keepForever);
      long end = signalLog.logEndOffset();
      appendExpired(signalLog, time);
      await().atMost(Duration.ofSeconds(10)).until(() -> signalLog.logStartOffset() > end);
      assertThat(log.logStartOffset()).as("log start of a keep-forever log after a retention pass").isZero();
      assertThat(values(readAll(log))).hasSize(10);
    }
  }

  private static void appendExpired(Log log, MockTime time) {
    for (int i = 0; i < 3; i++) {
      log.appendAsLeader(batch(time.milliseconds() - 120_000, "old" + i), 0);
    }
    log.updateHighWatermark(log.logEndOffset());
  }

  private static List<String> fileNames(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void backgroundDutiesFlushApplyRetentionAndCheckpointTheHighWatermark() {
    MockTime time = new MockTime(System.currentTimeMillis());
    LogConfig config = LogConfig.from(Map.of("flush.ms", "1000", "retention.ms", "60000", "segment.bytes", "200"));
    TopicPartition tp = new TopicPartition("events", 0);
    try (LogStore store = LogStore.open(dataDir, time)) {
      Log log = store.getOrCreate(tp, config);
      for (int i = 0; i < 20; i++) {
        log.appendAsLeader(batch(time.milliseconds(), "v" + i), 0);
      }
      log.updateHighWatermark(log.logEndOffset());
      store.startBackgroundDuties(new LogStore.Intervals(10, 10, 10, 10));

      // Not yet due: the recovery point stays where opening put it.
      assertThat(log.recoveryPoint()).isZero();
      time.sleep(1000);
      await().atMost(Duration.ofSeconds(10)).until(() -> log.recoveryPoint() == 20);

      await().atMost(Duration.ofSeconds(10)).until(
          () -> Files.readAllLines(dataDir.resolve("events-0").resolve(Log.HIGH_WATERMARK_FILE)).contains("20"));

      time.sleep(120_000);
      await().atMost(Duration.ofSeconds(10)).until(() -> log.logStartOffset() == 20);
      assertThat(readAll(log)).isEmpty();
    }
  }

  /**
   * Issue 8 §6: deleting a log raced the background checkpoint writers (a high-watermark
   * checkpoint written into a directory being removed: NoSuchFileException on its .tmp, or a
   * directory that would not go), and the failure escaped from delete. With the duties running
   * every millisecond, create-append-delete cycles must never fail and leave nothing behind.
   */
  @Test
  void deletingALogNeverRacesTheBackgroundCheckpoints() {
    TopicPartition tp = new TopicPartition("racy", 0);
    try (LogStore store = LogStore.open(dataDir, Time.SYSTEM)) {
      store.startBackgroundDuties(new LogStore.Intervals(1, 1, 1, 1));
      for (int i = 0; i < 300; i++) {
        Log log = store.getOrCreate(tp, LogConfig.DEFAULT);
        log.appendAsLeader(batch(1, "v" + i), 0);
        log.updateHighWatermark(log.logEndOffset());
        assertThat(store.delete(tp)).isTrue();
        assertThat(dataDir.resolve("racy-0")).as("cycle %d", i).doesNotExist();
      }
    }
  }
}
