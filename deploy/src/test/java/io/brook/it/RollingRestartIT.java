package io.brook.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.brook.clients.admin.Admin;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.clients.consumer.Consumer;
import io.brook.clients.consumer.ConsumerConfig;
import io.brook.clients.consumer.ConsumerRecord;
import io.brook.clients.producer.Producer;
import io.brook.clients.producer.ProducerConfig;
import io.brook.clients.producer.ProducerRecord;
import io.brook.clients.producer.RecordMetadata;
import io.brook.proto.v1.OffsetSpec;
import io.brook.proto.v1.PartitionMetadata;
import io.brook.storage.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rolling restart of docs/operations.md, under load: three nodes, a topic with replication
 * factor 3 and min.insync.replicas=2, and an idempotent acks=all producer (the Java client) sending
 * keyed records without pause. Each node in turn (the active controller last) is stopped with
 * SIGTERM (controlled shutdown), started again, and waited for until it is ready and back in
 * every partition's ISR. Then the producer stops, and: every send completed successfully (no
 * error got past the client's retries), every acknowledged record is in the log at its
 * acknowledged offset, and each key's records are there exactly once and in the order sent.
 */
@Timeout(900)
class RollingRestartIT {
  private static final String TOPIC = "rolling";
  private static final int PARTITIONS = 3;
  private static final int KEYS = 12;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path root;

  @Test
  void restartingEveryNodeInTurnLosesNoAcknowledgedRecordAndFailsNoSend() throws Exception {
    try (TestCluster cluster = new TestCluster(root, 3, Map.of("replica.lag.time.max.ms", "3000")).start()) {
      List<String> bootstrap = cluster.bootstrapList();
      int controller;
      try (Admin admin = new Admin(bootstrap, 30_000)) {
        createTopic(admin, TOPIC, PARTITIONS, 3, Map.of("min.insync.replicas", "2"));
        controller = admin.describeCluster().getLeaderId();
      }
      awaitFullIsr(bootstrap);
      // The procedure: every other node first, the active controller last (one controller move).
      List<Integer> order = new ArrayList<>(IntStream.rangeClosed(1, 3).filter(i -> i != controller).boxed().toList());
      order.add(controller);

      KeyedLoad load = new KeyedLoad(bootstrap);
      try (load) {
        load.awaitAcked(500);
        for (int id : order) {
          BrookProcess node = cluster.node(id);
          long t0 = System.nanoTime();
          assertThat(node.stop()).as("node %d exits on SIGTERM (143 = the JVM's status after the signal)", id).isIn(0, 143);
          assertThat(node.log()).contains("Brook node " + id + " stopped");
          long stoppedMs = (System.nanoTime() - t0) / 1_000_000;
          load.awaitAcked(load.acked.get() + 300); // the other two keep min.insync.replicas=2: writes go on
          node.start();
          node.awaitReady(Duration.ofSeconds(90));
          awaitFullIsr(bootstrap);
          System.out.printf("ROLLING: node %d stopped in %d ms, back in every ISR %d ms after SIGTERM; %d acknowledged so far%n",
              id, stoppedMs, (System.nanoTime() - t0) / 1_000_000, load.acked.get());
          load.awaitAcked(load.acked.get() + 300);
        }
      }
      System.out.printf("ROLLING: %d records sent, %d acknowledged, %d failed%n", load.sent.get(), load.acked.get(), load.failed.get());
      assertThat(load.firstFailure.get()).as("first failed send").isNull();
      assertThat(load.failed.get()).as("sends that failed beyond the client's retries").isZero();
      assertThat(load.acked.get()).as("every send completed successfully").isEqualTo(load.sent.get());
      verify(bootstrap, load);
    }
  }

  /** Creates the topic; a retry of a creation whose answer was lost finds it there already (fine). */
  static void createTopic(Admin admin, String name, int partitions, int rf, Map<String, String> configs) {
    try {
      admin.createTopic(name, partitions, rf, configs);
    } catch (BrookException e) {
      if (e.code() != ErrorCode.TOPIC_ALREADY_EXISTS) {
        throw e;
      }
    }
  }

  /** Until every partition of the topic has all three replicas in its ISR. */
  private static void awaitFullIsr(List<String> bootstrap) {
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300)).ignoreExceptions().until(() -> {
      try (Admin admin = new Admin(bootstrap, 5_000)) {
        List<PartitionMetadata> ps = admin.describeTopic(TOPIC).getTopic().getPartitionsList();
        return ps.size() == PARTITIONS && ps.stream().allMatch(p -> p.getIsrCount() == 3 && p.getLeader() >= 0);
      }
    });
  }

  /** Consumes the whole topic; compares with what was acknowledged, key by key. */
  private static void verify(List<String> bootstrap, KeyedLoad load) {
    Map<String, long[]> consumedAt = new HashMap<>(); // value -> {partition, offset}
    Map<String, List<Long>> seqsByKey = new HashMap<>();
    ConsumerConfig config = ConsumerConfig.defaults(bootstrap.toArray(String[]::new)).withAutoOffsetReset("earliest");
    try (Consumer consumer = new Consumer(config)) {
      List<TopicPartition> tps = IntStream.range(0, PARTITIONS).mapToObj(p -> new TopicPartition(TOPIC, p)).toList();
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      Map<TopicPartition, Long> ends = new HashMap<>();
      for (TopicPartition tp : tps) {
        ends.put(tp, consumer.listOffset(tp, OffsetSpec.OFFSET_SPEC_LATEST, 0).orElseThrow());
      }
      await().atMost(Duration.ofSeconds(120)).until(() -> {
        for (ConsumerRecord r : consumer.poll(Duration.ofMillis(200))) {
          String key = new String(r.key(), StandardCharsets.UTF_8);
          String value = new String(r.value(), StandardCharsets.UTF_8);
          assertThat(value).startsWith(key + ":");
          assertThat(consumedAt.put(value, new long[] {r.partition(), r.offset()})).as("duplicate of %s", value).isNull();
          seqsByKey.computeIfAbsent(key, k -> new ArrayList<>()).add(Long.parseLong(value.substring(key.length() + 1)));
        }
        return tps.stream().allMatch(tp -> consumer.position(tp).orElse(-1) >= ends.get(tp));
      });
    }
    load.ackedAt.forEach((value, md) -> assertThat(consumedAt.get(value))
        .as("acknowledged record %s at partition %d offset %d", value, md.partition(), md.offset())
        .containsExactly(md.partition(), md.offset()));
    for (int k = 0; k < KEYS; k++) {
      String key = "key-" + k;
      long sent = load.sentPerKey[k];
      assertThat(seqsByKey.getOrDefault(key, List.of())).as("records of %s: each once, in the order sent", key)
          .containsExactlyElementsOf(LongStream.range(0, sent).boxed().collect(Collectors.toList()));
    }
  }

  /** An idempotent acks=all producer sending "key-K:seq" records round-robin over the keys until closed. */
  private static final class KeyedLoad implements AutoCloseable {
    final Producer producer;
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicLong sent = new AtomicLong();
    final AtomicLong acked = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    final Map<String, RecordMetadata> ackedAt = new ConcurrentHashMap<>();
    final long[] sentPerKey = new long[KEYS];
    final Thread thread;
    /** Records per second the load sends. */
    static final int RATE = 4_000;

    KeyedLoad(List<String> bootstrap) {
      ProducerConfig config = ProducerConfig.builder(bootstrap.toArray(String[]::new))
          .acks("all").enableIdempotence(true).lingerMs(2).deliveryTimeoutMs(120_000).build();
      assertThat(config.idempotent()).isTrue();
      producer = new Producer(config);
      thread = new Thread(this::run, "rolling-load");
      thread.start();
    }

    private void run() {
      List<CompletableFuture<RecordMetadata>> window = new ArrayList<>();
      long startNs = System.nanoTime();
      for (long i = 0; running.get(); i++) {
        if (i % 50 == 0) { // a steady RATE records/s, not flat out: the nodes restart on a loaded box
          long dueNs = startNs + i * 1_000_000_000L / RATE;
          java.util.concurrent.locks.LockSupport.parkNanos(Math.max(0, dueNs - System.nanoTime()));
        }
        int k = (int) (i % KEYS);
        String key = "key-" + k;
        String value = key + ":" + sentPerKey[k]++;
        sent.incrementAndGet();
        CompletableFuture<RecordMetadata> f = producer.send(new ProducerRecord(TOPIC,
            key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8)));
        CompletableFuture<RecordMetadata> tracked = f.whenComplete((md, e) -> {
          if (e == null) {
            ackedAt.put(value, md);
            acked.incrementAndGet();
          } else {
            failed.incrementAndGet();
            firstFailure.compareAndSet(null, e);
          }
        });
        window.add(tracked); // completes after the bookkeeping above
        if (window.size() >= 200) { // at most 200 records outstanding
          for (CompletableFuture<RecordMetadata> w : window) {
            try {
              w.get();
            } catch (InterruptedException ie) {
              Thread.currentThread().interrupt();
              return;
            } catch (ExecutionException ignored) {
              // counted in failed
            }
          }
          window.clear();
        }
      }
      producer.flush();
      for (CompletableFuture<RecordMetadata> w : window) {
        w.exceptionally(e -> null).join();
      }
    }

    void awaitAcked(long n) {
      await().atMost(Duration.ofSeconds(120)).until(() -> acked.get() >= n || failed.get() > 0);
      assertThat(firstFailure.get()).as("first failed send").isNull();
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join(150_000);
      assertThat(thread.isAlive()).as("load thread finished").isFalse();
      producer.close();
    }
  }
}
