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
import io.brook.proto.v1.OffsetSpec;
import io.brook.storage.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8, fault 0, the randomized kind: two writers (one idempotent, one not) send acks=all
 * records to one partition (RF=3, min.insync.replicas=2) while a seeded schedule of faults hits
 * the cluster — the leader or the active controller frozen with SIGSTOP and thawed, a node killed
 * with SIGKILL and restarted — so leadership moves back and forth (failover, then preferred-leader
 * election). The invariant: <b>no offset is ever acknowledged to two different records</b>, and
 * every acknowledged record is in the final log at the offset it was acknowledged with. The seed
 * is printed; {@code -Dbrook.faults.seed=N} replays a schedule and {@code -Dbrook.faults.rounds=N}
 * runs longer.
 */
@Timeout(600)
class AckedOffsetsFaultIT {
  private static final String TOPIC = "acks";

  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path root;

  @Test
  void noOffsetIsAcknowledgedToTwoRecords() throws Exception {
    long seed = Long.getLong("brook.faults.seed", System.nanoTime());
    int rounds = Integer.getInteger("brook.faults.rounds", 6);
    System.out.printf("FAULTS: seed %d, %d rounds%n", seed, rounds);
    Random random = new Random(seed);
    try (TestCluster cluster = new TestCluster(root, 3, Map.of("replica.lag.time.max.ms", "2000")).start()) {
      List<String> bootstrap = cluster.bootstrapList();
      try (Admin admin = new Admin(bootstrap, 30_000)) {
        admin.createTopic(TOPIC, 1, 3, Map.of("min.insync.replicas", "2"));
      }
      Map<Long, String> ackedAt = new ConcurrentHashMap<>();
      List<String> conflicts = new ArrayList<>();
      try (Writer a = new Writer(bootstrap, "A", true, ackedAt, conflicts);
           Writer b = new Writer(bootstrap, "B", false, ackedAt, conflicts)) {
        await().atMost(Duration.ofSeconds(60)).until(() -> a.acked.get() > 100 && b.acked.get() > 100);
        for (int round = 0; round < rounds; round++) {
          injectOneFault(cluster, bootstrap, random, round);
        }
        long target = a.acked.get() + 100;
        await().atMost(Duration.ofSeconds(120)).until(() -> a.acked.get() >= target);
      }
      System.out.printf("FAULTS: %d acknowledged offsets%n", ackedAt.size());
      assertThat(conflicts).as("offsets acknowledged to two different records").isEmpty();
      Map<Long, String> log = readAll(bootstrap);
      for (Map.Entry<Long, String> e : ackedAt.entrySet()) {
        assertThat(log.get(e.getKey())).as("record acknowledged at offset %d", e.getKey()).isEqualTo(e.getValue());
      }
    }
  }

  private static void injectOneFault(TestCluster cluster, List<String> bootstrap, Random random, int round) throws Exception {
    int leader;
    int controller;
    try (Admin admin = new Admin(bootstrap, 30_000)) {
      leader = admin.describeTopic(TOPIC).getTopic().getPartitions(0).getLeader();
      controller = admin.describeCluster().getLeaderId();
    }
    int kind = random.nextInt(3);
    int victim = switch (kind) {
      case 0 -> leader > 0 ? leader : 1 + random.nextInt(3);
      case 1 -> controller > 0 ? controller : 1 + random.nextInt(3);
      default -> 1 + random.nextInt(3);
    };
    long pauseMs = 2_000 + random.nextInt(6_000);
    BrookProcess node = cluster.node(victim);
    if (kind < 2) {
      System.out.printf("FAULTS: round %d: SIGSTOP node %d (%s) for %d ms%n", round, victim,
          kind == 0 ? "partition leader" : "active controller", pauseMs);
      node.freeze();
      pause(pauseMs);
      node.thaw();
    } else {
      System.out.printf("FAULTS: round %d: SIGKILL node %d, restart after %d ms%n", round, victim, pauseMs);
      node.kill();
      pause(pauseMs);
      node.start();
      node.awaitReady(Duration.ofSeconds(90));
    }
    // Let the cluster heal (all three in the ISR again) so that the next fault can move leadership back.
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> {
      try (Admin admin = new Admin(bootstrap, 5_000)) {
        return admin.describeTopic(TOPIC).getTopic().getPartitions(0).getIsrCount() == 3;
      }
    });
  }

  private static void pause(long ms) throws InterruptedException {
    Thread.sleep(ms); // the length of a fault, not a wait for a condition
  }

  private static Map<Long, String> readAll(List<String> bootstrap) {
    Map<Long, String> out = new HashMap<>();
    ConsumerConfig config = ConsumerConfig.defaults(bootstrap.toArray(String[]::new)).withAutoOffsetReset("earliest");
    TopicPartition tp = new TopicPartition(TOPIC, 0);
    try (Consumer consumer = new Consumer(config)) {
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.listOffset(tp, OffsetSpec.OFFSET_SPEC_LATEST, 0).orElseThrow();
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        for (ConsumerRecord r : consumer.poll(Duration.ofMillis(200))) {
          out.put(r.offset(), new String(r.value(), StandardCharsets.UTF_8));
        }
        return consumer.position(tp).orElse(-1) >= end;
      });
    }
    return out;
  }

  /** One producer writing "name-i" records as fast as a window of 100 allows; records each acknowledgement. */
  private static final class Writer implements AutoCloseable {
    final AtomicLong acked = new AtomicLong();
    final AtomicBoolean running = new AtomicBoolean(true);
    final Producer producer;
    final Thread thread;

    Writer(List<String> bootstrap, String name, boolean idempotent, Map<Long, String> ackedAt, List<String> conflicts) {
      producer = new Producer(ProducerConfig.builder(bootstrap.toArray(String[]::new)).acks("all")
          .enableIdempotence(idempotent).lingerMs(1).deliveryTimeoutMs(120_000).requestTimeoutMs(5_000).build());
      thread = new Thread(() -> {
        List<CompletableFuture<?>> window = new ArrayList<>();
        for (long i = 0; running.get(); i++) {
          String value = name + "-" + i;
          window.add(producer.send(new ProducerRecord(TOPIC, 0, null, value.getBytes(StandardCharsets.UTF_8), List.of(), null))
              .whenComplete((md, e) -> {
                if (e != null) {
                  return;
                }
                String before = ackedAt.putIfAbsent(md.offset(), value);
                if (before != null && !before.equals(value)) {
                  synchronized (conflicts) {
                    conflicts.add("offset " + md.offset() + ": " + before + " and " + value);
                  }
                }
                acked.incrementAndGet();
              }));
          if (window.size() >= 100) {
            window.forEach(f -> f.handle((x, e) -> null).join());
            window.clear();
          }
        }
        window.forEach(f -> f.handle((x, e) -> null).join());
      }, "writer-" + name);
      thread.start();
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join(150_000);
      producer.close();
    }
  }
}
