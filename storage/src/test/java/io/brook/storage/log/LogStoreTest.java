package io.brook.storage.log;

import static io.brook.storage.log.LogTestSupport.batch;
import static io.brook.storage.log.LogTestSupport.readAll;
import static io.brook.storage.log.LogTestSupport.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.brook.storage.MockTime;
import io.brook.storage.Time;
import io.brook.storage.TopicPartition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class LogStoreTest {
  @TempDir Path dataDir;

  @Test
  void reopensEveryPartitionItFindsAndDeletesOnRequest() {
    TopicPartition a = new TopicPartition("orders", 0);
    TopicPartition b = new TopicPartition("orders", 1);
    try (LogStore store = LogStore.open(dataDir, Time.SYSTEM, tp -> LogConfig.DEFAULT)) {
      store.getOrCreate(a, LogConfig.DEFAULT).appendAsLeader(batch(1, "a0", "a1"), 0);
      store.getOrCreate(b, LogConfig.DEFAULT).appendAsLeader(batch(1, "b0"), 0);
    }
    try (LogStore store = LogStore.open(dataDir, Time.SYSTEM, tp -> LogConfig.DEFAULT)) {
      assertThat(store.all()).hasSize(2);
      assertThat(values(readAll(store.get(a).orElseThrow()))).containsExactly("a0", "a1");
      assertThat(store.delete(b)).isTrue();
      assertThat(Files.exists(dataDir.resolve("orders-1"))).isFalse();
      assertThat(store.delete(b)).isFalse();
    }
  }

  @Test
  void backgroundDutiesFlushApplyRetentionAndCheckpointTheHighWatermark() {
    MockTime time = new MockTime(System.currentTimeMillis());
    LogConfig config = LogConfig.from(Map.of("flush.ms", "1000", "retention.ms", "60000", "segment.bytes", "200"));
    TopicPartition tp = new TopicPartition("events", 0);
    try (LogStore store = LogStore.open(dataDir, time, x -> config)) {
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
}
