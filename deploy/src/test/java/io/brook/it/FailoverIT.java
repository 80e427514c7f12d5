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
import io.brook.proto.v1.OffsetSpec;
import io.brook.proto.v1.PartitionMetadata;
import io.brook.proto.v1.TopicMetadata;
import io.brook.storage.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replication under faults, with real node processes: RF=3, min.insync.replicas=2, an idempotent
 * producer with acks=all writing sequence-numbered records to every partition while a partition
 * leader is killed with SIGKILL (and restarted), or a follower is frozen with SIGSTOP (and
 * thawed). Afterwards every acknowledged record is present exactly once per partition, in order,
 * with no duplicates from retries; the ISR is seen shrinking and growing back through {@code brook
 * topics describe --output json}; and once healed all three replicas hold identical logs.
 */
@Timeout(600)
class FailoverIT {
  private static final int PARTITIONS = 3;
  private static final Map<String, String> FAST = Map.of("replica.lag.time.max.ms", "3000");

  @TempDir Path root;

  @Test
  void leaderKilledWithSigkill() throws Exception {
    try (TestCluster cluster = new TestCluster(root, 3, FAST).start()) {
      TopicMetadata topic = createTopic(cluster);
      int victim = leaderOf(topic, 0);
      Load load = new Load(cluster);
      try (load) {
        load.awaitAcked(600);
        long killedAt = System.nanoTime();
        cluster.node(victim).kill();
        awaitIsr(cluster, 0, 2);
        // Failover time: kill -> the first acknowledgement of a record sent after the kill.
        await().atMost(Duration.ofSeconds(90)).until(() -> load.firstAckOfRecordSentAfter(0, killedAt) > 0);
        System.out.printf("FAILOVER: leader %d killed; partition 0 acknowledged a new record after %d ms%n", victim,
            (load.firstAckOfRecordSentAfter(0, killedAt) - killedAt) / 1_000_000);
        cluster.node(victim).start();
        cluster.node(victim).awaitReady(Duration.ofSeconds(90));
        awaitIsr(cluster, 0, 3);
        load.awaitAcked(load.acked() + 300);
      }
      verify(cluster, load);
    }
  }

  @Test
  void followerFrozenWithSigstop() throws Exception {
    try (TestCluster cluster = new TestCluster(root, 3, FAST).start()) {
      TopicMetadata topic = createTopic(cluster);
      PartitionMetadata p0 = topic.getPartitions(0);
      int follower = p0.getReplicasList().stream().filter(id -> id != p0.getLeader()).findFirst().orElseThrow();
      Load load = new Load(cluster);
      try (load) {
        load.awaitAcked(600);
        cluster.node(follower).freeze();
        awaitIsr(cluster, 0, 2);
        long ackedWhileFrozen = load.acked();
        load.awaitAcked(ackedWhileFrozen + 300); // min ISR 2 is still met: writes go on
        cluster.node(follower).thaw();
        awaitIsr(cluster, 0, 3);
        load.awaitAcked(load.acked() + 300);
      }
      verify(cluster, load);
    }
  }

  @Test
  void controlledShutdownMovesLeadershipsWithoutClientErrorsAndPreferredLeadersReturn() throws Exception {
    try (TestCluster cluster = new TestCluster(root, 3, FAST).start()) {
      TopicMetadata topic = createTopic(cluster);
      int victim = leaderOf(topic, 0);
      Load load = new Load(cluster);
      try (load) {
        load.awaitAcked(600);
        long t0 = System.nanoTime();
        assertThat(cluster.node(victim).stop()).as("exit on SIGTERM (143 = the JVM's status after the signal)").isIn(0, 143);
        assertThat(cluster.node(victim).log()).contains("Brook node " + victim + " stopped");
        System.out.printf("SHUTDOWN: node %d stopped in %d ms%n", victim, (System.nanoTime() - t0) / 1_000_000);
        assertThat(leaderNow(cluster, 0)).isNotEqualTo(victim);
        load.awaitAcked(load.acked() + 600);
        cluster.node(victim).start();
        cluster.node(victim).awaitReady(Duration.ofSeconds(90));
        awaitIsr(cluster, 0, 3);
        // The first replica is the preferred leader: leadership goes back to it.
        await().atMost(Duration.ofSeconds(60)).until(() -> leaderNow(cluster, 0) == topic.getPartitions(0).getReplicas(0));
        load.awaitAcked(load.acked() + 300);
      }
      assertThat(load.failures.get()).as("sends that failed during a controlled shutdown").isZero();
      verify(cluster, load);
    }
  }

  private static int leaderNow(TestCluster cluster, int partition) {
    try (Admin admin = new Admin(cluster.bootstrapList(), 10_000)) {
      return admin.describeTopic("seq").getTopic().getPartitions(partition).getLeader();
    }
  }

  // ------------------------------------------------------------------ the workload

  private static TopicMetadata createTopic(TestCluster cluster) {
    try (Admin admin = new Admin(cluster.bootstrapList(), 30_000)) {
      return admin.createTopic("seq", PARTITIONS, 3, Map.of());
    }
  }

  private static int leaderOf(TopicMetadata t, int partition) {
    return t.getPartitions(partition).getLeader();
  }

  record Acked(int partition, long seq, long offset, long sentNs, long ackedNs) {}

  /** Sends "partition:seq" records round-robin over the partitions until closed; keeps what was acknowledged. */
  private static final class Load implements AutoCloseable {
    final List<Acked> acked = Collections.synchronizedList(new ArrayList<>());
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicLong failures = new AtomicLong();
    final Thread thread;
    final Producer producer;

    Load(TestCluster cluster) {
      producer = new Producer(ProducerConfig.builder(cluster.bootstrapList().toArray(String[]::new))
          .acks("all").lingerMs(1).deliveryTimeoutMs(120_000).build());
      thread = new Thread(() -> {
        long[] next = new long[PARTITIONS];
        List<CompletableFuture<RecordMetadata>> window = new ArrayList<>();
        for (long i = 0; running.get(); i++) {
          int p = (int) (i % PARTITIONS);
          long seq = next[p]++;
          long sentNs = System.nanoTime();
          CompletableFuture<RecordMetadata> f = producer.send(new ProducerRecord("seq", p, null,
              (p + ":" + seq).getBytes(StandardCharsets.UTF_8), List.of(), null));
          f.whenComplete((md, e) -> {
            if (e == null) {
              acked.add(new Acked(p, seq, md.offset(), sentNs, System.nanoTime()));
            } else if (failures.incrementAndGet() == 1) {
              System.out.println("LOAD: first failed send: " + e);
            }
          });
          window.add(f);
          if (window.size() >= 200) { // bounded: at most 200 records outstanding
            for (CompletableFuture<RecordMetadata> w : window) {
              try {
                w.get();
              } catch (InterruptedException ie) {
                return;
              } catch (ExecutionException ignored) {
                // counted in failures
              }
            }
            window.clear();
          }
        }
      }, "failover-load");
      thread.start();
    }

    long acked() {
      return acked.size();
    }

    /** When the first record of the partition sent after {@code ns} was acknowledged; 0 if none yet. */
    long firstAckOfRecordSentAfter(int partition, long ns) {
      synchronized (acked) {
        return acked.stream().filter(a -> a.partition() == partition && a.sentNs() > ns)
            .mapToLong(Acked::ackedNs).min().orElse(0);
      }
    }

    void awaitAcked(long n) {
      await().atMost(Duration.ofSeconds(120)).until(() -> acked() >= n);
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join(150_000);
      producer.close();
    }
  }

  // ------------------------------------------------------------------ checks

  private static final Pattern PARTITION_ISR = Pattern.compile("\\{\"partition\":(\\d+),\"leader\":(-?\\d+),\"leaderEpoch\":\\d+,\"replicas\":\\[[^]]*],\"isr\":\\[([^]]*)]");

  /** Waits until {@code brook topics describe seq --output json} shows the partition's ISR at {@code size}. */
  private static void awaitIsr(TestCluster cluster, int partition, int size) {
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> {
      Cli.Result r = Cli.run(cluster.node(1).dir, Map.of("BROOK_BOOTSTRAP_SERVER", cluster.bootstrap()), null,
          "topics", "describe", "seq", "--output", "json", "--request-timeout-ms", "5000");
      Matcher m = PARTITION_ISR.matcher(r.out());
      while (m.find()) {
        if (Integer.parseInt(m.group(1)) == partition) {
          int isr = m.group(3).isBlank() ? 0 : m.group(3).split(",").length;
          return isr == size;
        }
      }
      return false;
    });
  }

  private static void verify(TestCluster cluster, Load load) throws Exception {
    System.out.printf("LOAD: %d records acknowledged, %d sends failed%n", load.acked(), load.failures.get());
    // Consume everything from every partition.
    Map<Integer, List<ConsumerRecord>> byPartition = new HashMap<>();
    ConsumerConfig config = ConsumerConfig.defaults(cluster.bootstrapList().toArray(String[]::new)).withAutoOffsetReset("earliest");
    try (Consumer consumer = new Consumer(config)) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) {
        tps.add(new TopicPartition("seq", p));
      }
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      Map<TopicPartition, Long> ends = new HashMap<>();
      for (TopicPartition tp : tps) {
        ends.put(tp, consumer.listOffset(tp, OffsetSpec.OFFSET_SPEC_LATEST, 0).orElseThrow());
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        for (ConsumerRecord r : consumer.poll(Duration.ofMillis(200))) {
          byPartition.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(r);
        }
        return tps.stream().allMatch(tp -> consumer.position(tp).orElse(-1) >= ends.get(tp));
      });
    }
    // Exactly once, in order, no gaps below the high watermark.
    for (int p = 0; p < PARTITIONS; p++) {
      List<ConsumerRecord> records = byPartition.getOrDefault(p, List.of());
      long lastSeq = -1;
      long lastOffset = -1;
      for (ConsumerRecord r : records) {
        String v = new String(r.value(), StandardCharsets.UTF_8);
        assertThat(v).startsWith(p + ":");
        long seq = Long.parseLong(v.substring(v.indexOf(':') + 1));
        assertThat(seq).as("partition %d: sequence after %d (no duplicate, no reordering)", p, lastSeq).isGreaterThan(lastSeq);
        assertThat(r.offset()).as("partition %d: offsets without gaps", p).isEqualTo(lastOffset + 1);
        lastSeq = seq;
        lastOffset = r.offset();
      }
    }
    Map<String, Long> offsetOf = new HashMap<>();
    byPartition.forEach((p, rs) -> rs.forEach(r -> offsetOf.put(new String(r.value(), StandardCharsets.UTF_8), r.offset())));
    List<Acked> acked;
    synchronized (load.acked) {
      acked = List.copyOf(load.acked);
    }
    for (Acked a : acked) {
      assertThat(offsetOf).as("acknowledged record %d:%d", a.partition(), a.seq())
          .containsEntry(a.partition() + ":" + a.seq(), a.offset());
    }
    // All replicas converge to identical logs.
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      for (int p = 0; p < PARTITIONS; p++) {
        List<String> sums = new ArrayList<>();
        for (BrookProcess n : cluster.nodes) {
          sums.add(logChecksum(n.dataDir().resolve("logs").resolve("seq-" + p)));
        }
        assertThat(sums).as("replica checksums of partition %d", p).containsOnly(sums.get(0));
      }
    });
  }

  private static String logChecksum(Path dir) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(x -> x.toString().endsWith(".log")).sorted().toList()) {
        md.update(Files.readAllBytes(f));
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
