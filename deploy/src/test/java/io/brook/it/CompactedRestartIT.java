package io.brook.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.brook.clients.consumer.Consumer;
import io.brook.clients.consumer.ConsumerConfig;
import io.brook.clients.consumer.ConsumerRecord;
import io.brook.clients.producer.Producer;
import io.brook.clients.producer.ProducerConfig;
import io.brook.clients.producer.ProducerRecord;
import io.brook.clients.producer.RecordMetadata;
import io.brook.proto.v1.OffsetSpec;
import io.brook.storage.TopicPartition;
import io.brook.storage.record.RecordBatch;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8 §1, as a user met it: a compacted topic lost its data after {@code kill -9}. One real
 * node process; a topic created with {@code bin/brook topics create --config cleanup.policy=compact
 * --config segment.bytes=200}; 12 records over keys k0..k2, one batch each; compaction has run
 * (the node's {@code log.cleaner.backoff.ms} is 200 ms here), leaving segments that are empty or
 * end before the next one starts; {@code kill -9}; restart. The node used to open every log with
 * the default config, take the compaction gaps for batches lost in the crash, delete every
 * segment after the first gap and hand out offset 0 again. Expected: log end offset 12, the
 * latest record of each key readable at its original offset, the next record at offset 12.
 */
@Timeout(300)
class CompactedRestartIT {
  private static final String TOPIC = "compacted";

  @TempDir Path root;

  @Test
  void compactedTopicKeepsItsDataAcrossKill9() throws Exception {
    try (TestCluster cluster = new TestCluster(root, 1, Map.of("log.cleaner.backoff.ms", "200")).start()) {
      BrookProcess node = cluster.node(1);
      Map<String, String> env = Map.of("BROOK_BOOTSTRAP_SERVER", cluster.bootstrap());
      Cli.Result created = Cli.run(root, env, null, "topics", "create", TOPIC, "--partitions", "1",
          "--config", "cleanup.policy=compact", "--config", "segment.bytes=200");
      assertThat(created.exit()).as("topics create: %s", created.err()).isZero();

      Map<String, String> latest = new LinkedHashMap<>();
      try (Producer producer = producer(cluster)) {
        for (int i = 0; i < 12; i++) {
          String key = "k" + (i % 3);
          RecordMetadata md = producer.send(record(key, "v" + i)).get(); // one batch per record
          assertThat(md.offset()).isEqualTo(i);
          latest.put(key, "v" + i);
        }
      }

      Path logDir = node.dataDir().resolve("logs").resolve(TOPIC + "-0");
      await("compaction of the inactive segments").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
          .ignoreExceptions() // a file read mid-write or mid-swap
          .until(() -> {
            SegmentFiles files = SegmentFiles.read(logDir);
            return files.records < 12 && files.gaps > 0;
          });

      node.kill(); // SIGKILL: no flush, no checkpoint, no producer snapshot
      node.start();
      node.awaitReady(Duration.ofSeconds(90));

      TopicPartition tp = new TopicPartition(TOPIC, 0);
      try (Consumer consumer = new Consumer(ConsumerConfig.defaults(cluster.bootstrapList().toArray(String[]::new))
          .withAutoOffsetReset("earliest"))) {
        await("log end offset after the restart").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
            .ignoreExceptions()
            .untilAsserted(() -> assertThat(consumer.listOffset(tp, OffsetSpec.OFFSET_SPEC_LATEST, 0))
                .as("log end offset (high watermark) after the restart").isEqualTo(OptionalLong.of(12)));

        consumer.assign(List.of(tp));
        List<ConsumerRecord> got = new ArrayList<>();
        await("the latest record of each key").atMost(Duration.ofSeconds(60)).until(() -> {
          got.addAll(consumer.poll(Duration.ofMillis(200)));
          return !got.isEmpty() && got.get(got.size() - 1).offset() == 11;
        });
        Map<String, String> served = new LinkedHashMap<>();
        for (ConsumerRecord r : got) {
          String value = new String(r.value(), StandardCharsets.UTF_8);
          assertThat(value).as("record at offset %d keeps its offset", r.offset()).isEqualTo("v" + r.offset());
          served.put(new String(r.key(), StandardCharsets.UTF_8), value);
        }
        assertThat(served).as("latest value per key").isEqualTo(latest);
      }

      try (Producer producer = producer(cluster)) {
        assertThat(producer.send(record("k0", "after")).get().offset()).as("offset of the next record").isEqualTo(12);
      }
      assertThat(node.log()).as("node log after the restart").doesNotContain("batches were lost in a crash");
    }
  }

  private static Producer producer(TestCluster cluster) {
    return new Producer(ProducerConfig.builder(cluster.bootstrapList().toArray(String[]::new)).acks("all").lingerMs(0).build());
  }

  private static ProducerRecord record(String key, String value) {
    return new ProducerRecord(TOPIC, key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
  }

  /** What the segment files of a partition hold: records, and segments ending before the next starts. */
  private record SegmentFiles(int records, int gaps) {
    static SegmentFiles read(Path dir) throws Exception {
      List<Path> logs;
      try (Stream<Path> files = Files.list(dir)) {
        logs = files.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList();
      }
      int records = 0;
      int gaps = 0;
      for (int i = 0; i < logs.size(); i++) {
        String name = logs.get(i).getFileName().toString();
        long end = Long.parseLong(name.substring(0, name.indexOf('.')));
        for (RecordBatch b : RecordBatch.iterate(ByteBuffer.wrap(Files.readAllBytes(logs.get(i))))) {
          records += b.recordCount();
          end = b.nextOffset();
        }
        if (i + 1 < logs.size()) {
          String next = logs.get(i + 1).getFileName().toString();
          if (end < Long.parseLong(next.substring(0, next.indexOf('.')))) {
            gaps++;
          }
        }
      }
      return new SegmentFiles(records, gaps);
    }
  }
}
