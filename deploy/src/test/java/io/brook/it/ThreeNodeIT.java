package io.brook.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.brook.clients.admin.Admin;
import io.brook.clients.consumer.Consumer;
import io.brook.clients.consumer.ConsumerConfig;
import io.brook.clients.consumer.ConsumerRecord;
import io.brook.clients.producer.Producer;
import io.brook.clients.producer.ProducerConfig;
import io.brook.clients.producer.ProducerRecord;
import io.brook.clients.producer.RecordMetadata;
import io.brook.proto.v1.PartitionMetadata;
import io.brook.proto.v1.TopicMetadata;
import io.brook.storage.TopicPartition;
import io.brook.storage.record.RecordBatch;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real node processes: a 6-partition topic spread over the brokers, keyed records produced
 * and consumed with per-key order kept; a node killed with SIGKILL and restarted still serves every
 * acknowledged record; a node whose active segment was cut while it was down restarts and serves
 * the valid prefix, and appends continue right after it.
 */
@Timeout(300)
class ThreeNodeIT {
  @TempDir Path root;

  record Sent(int partition, long offset, String key, int seq) {}

  @Test
  void keyedRecordsSurviveKillAndATornSegmentTail() throws Exception {
    try (TestCluster cluster = new TestCluster(root, 3, Map.of()).start();
        Admin admin = new Admin(cluster.bootstrapList(), 30_000)) {
      TopicMetadata topic = admin.createTopic("orders", 6, 1, Map.of());
      Set<Integer> leaders = new HashSet<>();
      topic.getPartitionsList().forEach(p -> leaders.add(p.getLeader()));
      assertThat(leaders).as("6 partitions spread over the 3 brokers").containsExactlyInAnyOrder(1, 2, 3);

      List<Sent> sent = produce(cluster, 3000, 0);
      assertConsumedInOrder(cluster, sent);

      // kill -9 one node, restart it: every acknowledged record is still served.
      cluster.node(2).kill();
      cluster.node(2).start();
      cluster.node(2).awaitReady(Duration.ofSeconds(90));
      assertConsumedInOrder(cluster, sent);

      // Cut the tail of an active segment while its node is down.
      int victimPartition = topic.getPartitionsList().stream().filter(p -> p.getLeader() == 3)
          .map(PartitionMetadata::getPartition).findFirst().orElseThrow();
      cluster.node(3).kill();
      Path segment = lastSegment(cluster.node(3).dataDir().resolve("logs").resolve("orders-" + victimPartition));
      long lastBatchBase = lastBatchBase(segment);
      try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
        ch.truncate(ch.size() - 7); // a torn write: the last batch loses its tail
      }
      cluster.node(3).start();
      cluster.node(3).awaitReady(Duration.ofSeconds(90));

      List<Sent> expected = new ArrayList<>();
      for (Sent s : sent) {
        if (s.partition() != victimPartition || s.offset() < lastBatchBase) {
          expected.add(s);
        }
      }
      assertThat(expected.size()).isLessThan(sent.size());
      assertConsumedInOrder(cluster, expected);

      // Appends continue right after the valid prefix.
      try (Producer producer = new Producer(ProducerConfig.builder(cluster.bootstrapList().toArray(String[]::new)).build())) {
        RecordMetadata md = producer.send(new ProducerRecord("orders", victimPartition, null,
            "after-the-cut".getBytes(StandardCharsets.UTF_8), List.of(), null)).get();
        assertThat(md.offset()).isEqualTo(lastBatchBase);
      }
    }
  }

  private static List<Sent> produce(TestCluster cluster, int count, int firstSeq) throws Exception {
    List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    try (Producer producer = new Producer(ProducerConfig.builder(cluster.bootstrapList().toArray(String[]::new))
        .acks("all").lingerMs(2).build())) {
      for (int i = 0; i < count; i++) {
        String key = "key-" + (i % 37);
        keys.add(key);
        futures.add(producer.send(new ProducerRecord("orders", key.getBytes(StandardCharsets.UTF_8),
            (key + ":" + (firstSeq + i)).getBytes(StandardCharsets.UTF_8))));
      }
      producer.flush();
    }
    List<Sent> sent = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      RecordMetadata md = futures.get(i).get();
      sent.add(new Sent(md.partition(), md.offset(), keys.get(i), firstSeq + i));
    }
    return sent;
  }

  /** Consumes every partition from the start; the records must be exactly {@code expected}, keys in order. */
  private static void assertConsumedInOrder(TestCluster cluster, List<Sent> expected) {
    ConsumerConfig config = ConsumerConfig.defaults(cluster.bootstrapList().toArray(String[]::new)).withAutoOffsetReset("earliest");
    List<ConsumerRecord> got = new ArrayList<>();
    try (Consumer consumer = new Consumer(config)) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int p = 0; p < 6; p++) {
        tps.add(new TopicPartition("orders", p));
      }
      consumer.assign(tps);
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        got.addAll(consumer.poll(Duration.ofMillis(200)));
        return got.size() >= expected.size();
      });
    }
    assertThat(got).hasSize(expected.size());
    Map<String, Integer> lastSeqByKey = new HashMap<>();
    Map<Integer, Long> lastOffsetByPartition = new HashMap<>();
    Set<String> seen = new HashSet<>();
    for (ConsumerRecord r : got) {
      String v = new String(r.value(), StandardCharsets.UTF_8);
      String key = new String(r.key(), StandardCharsets.UTF_8);
      int seq = Integer.parseInt(v.substring(v.indexOf(':') + 1));
      assertThat(v).startsWith(key + ":");
      assertThat(seq).as("per-key order of %s", key).isGreaterThan(lastSeqByKey.getOrDefault(key, -1));
      assertThat(r.offset()).isGreaterThan(lastOffsetByPartition.getOrDefault(r.partition(), -1L));
      lastSeqByKey.put(key, seq);
      lastOffsetByPartition.put(r.partition(), r.offset());
      seen.add(r.partition() + "@" + r.offset() + "=" + v);
    }
    Set<String> want = new HashSet<>();
    expected.forEach(s -> want.add(s.partition() + "@" + s.offset() + "=" + s.key() + ":" + s.seq()));
    assertThat(seen).isEqualTo(want);
  }

  private static Path lastSegment(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".log")).max(Comparator.naturalOrder()).orElseThrow();
    }
  }

  private static long lastBatchBase(Path segment) throws Exception {
    ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(segment));
    long base = -1;
    for (RecordBatch b : RecordBatch.iterate(all)) {
      base = b.baseOffset();
    }
    return base;
  }
}
