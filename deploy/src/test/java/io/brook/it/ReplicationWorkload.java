package io.brook.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.brook.clients.admin.Admin;
import io.brook.clients.consumer.Consumer;
import io.brook.clients.consumer.ConsumerConfig;
import io.brook.clients.security.ClientSecurityConfig;
import io.brook.clients.consumer.ConsumerRecord;
import io.brook.clients.producer.Producer;
import io.brook.clients.producer.ProducerConfig;
import io.brook.clients.producer.ProducerRecord;
import io.brook.clients.producer.RecordMetadata;
import io.brook.proto.v1.OffsetSpec;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The workload and checks of the replication fault tests: an idempotent acks=all producer writing
 * "partition:sequence" records to every partition of topic {@code seq}, then consuming everything
 * and checking that each acknowledged record is there exactly once, in order, with no gap, and that
 * every replica's log files are byte-identical. Shared by {@link FailoverIT} (loopback processes)
 * and {@link NetnsReplicationIT} (network namespaces).
 */
final class ReplicationWorkload {
  static final int PARTITIONS = 3;

  private ReplicationWorkload() {}

  static TopicMetadata createTopic(List<String> bootstrap) {
    return createTopic(bootstrap, ClientSecurityConfig.PLAINTEXT);
  }

  static TopicMetadata createTopic(List<String> bootstrap, ClientSecurityConfig security) {
    try (Admin admin = new Admin(bootstrap, 30_000, security)) {
      return admin.createTopic("seq", PARTITIONS, 3, Map.of());
    }
  }

  /** The topic "seq" as the cluster describes it now. */
  static TopicMetadata describe(List<String> bootstrap, ClientSecurityConfig security) {
    try (Admin admin = new Admin(bootstrap, 30_000, security)) {
      return admin.describeTopic("seq").getTopic();
    }
  }

  static int leaderNow(List<String> bootstrap, int partition) {
    try (Admin admin = new Admin(bootstrap, 10_000)) {
      return admin.describeTopic("seq").getTopic().getPartitions(partition).getLeader();
    }
  }

  static int leaderOf(TopicMetadata t, int partition) {
    return t.getPartitions(partition).getLeader();
  }

  record Acked(int partition, long seq, long offset, long sentNs, long ackedNs) {}

  /** Sends "partition:seq" records round-robin over the partitions until closed; keeps what was acknowledged. */
  static final class Load implements AutoCloseable {
    final List<Acked> acked = Collections.synchronizedList(new ArrayList<>());
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicLong failures = new AtomicLong();
    final Thread thread;
    final Producer producer;

    Load(List<String> bootstrap) {
      this(bootstrap, ClientSecurityConfig.PLAINTEXT);
    }

    Load(List<String> bootstrap, ClientSecurityConfig security) {
      producer = new Producer(ProducerConfig.builder(bootstrap.toArray(String[]::new))
          .acks("all").lingerMs(1).deliveryTimeoutMs(120_000).security(security).build());
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

  /**
   * Waits until {@code brook topics describe seq --output json} shows the partition's ISR at
   * {@code size}; {@code moreArgs} go to the CLI too (e.g. {@code --command-config FILE}).
   */
  static void awaitIsr(Path cwd, List<String> bootstrap, int partition, int size, String... moreArgs) {
    List<String> args = new ArrayList<>(List.of("topics", "describe", "seq", "--output", "json", "--request-timeout-ms", "5000"));
    args.addAll(List.of(moreArgs));
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> {
      Cli.Result r = Cli.run(cwd, Map.of("BROOK_BOOTSTRAP_SERVER", String.join(",", bootstrap)), null,
          args.toArray(String[]::new));
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

  static void verify(List<String> bootstrap, List<Path> dataDirs, Load load) throws Exception {
    verify(bootstrap, p -> dataDirs, load, ClientSecurityConfig.PLAINTEXT);
  }

  static void verify(List<String> bootstrap, List<Path> dataDirs, Load load, ClientSecurityConfig security) throws Exception {
    verify(bootstrap, p -> dataDirs, load, security);
  }

  /** As {@link #verify(List, List, Load, ClientSecurityConfig)}, with each partition's replicas in {@code replicaDirs} of its number. */
  static void verify(List<String> bootstrap, java.util.function.IntFunction<List<Path>> replicaDirs, Load load)
      throws Exception {
    verify(bootstrap, replicaDirs, load, ClientSecurityConfig.PLAINTEXT);
  }

  static void verify(List<String> bootstrap, java.util.function.IntFunction<List<Path>> replicaDirs, Load load,
      ClientSecurityConfig security) throws Exception {
    System.out.printf("LOAD: %d records acknowledged, %d sends failed%n", load.acked(), load.failures.get());
    // Consume everything from every partition.
    Map<Integer, List<ConsumerRecord>> byPartition = new HashMap<>();
    ConsumerConfig config = ConsumerConfig.defaults(bootstrap.toArray(String[]::new)).withAutoOffsetReset("earliest")
        .withSecurity(security);
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
        for (Path d : replicaDirs.apply(p)) {
          sums.add(logChecksum(d.resolve("logs").resolve("seq-" + p)));
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
