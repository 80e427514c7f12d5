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
import io.brook.proto.v1.BrokerEndpoint;
import io.brook.proto.v1.DescribeClusterResponse;
import io.brook.proto.v1.TopicMetadata;
import io.brook.storage.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Smoke test of {@link NetnsCluster}: three nodes, each in its own network namespace, serve
 * clients running in the test JVM on the host; a node cut off by a partition is fenced by the
 * controller within about the session timeout while the quorum keeps a leader, and is unfenced
 * again once healed; a frozen (SIGSTOP) node is fenced and comes back on SIGCONT; a SIGKILLed
 * node restarts. Skipped where namespaces can't be made (not root, no iproute2 / iptables).
 */
@Timeout(300)
class NetnsClusterIT {
  static final String TOPIC = "netns-smoke";
  static final long SESSION_TIMEOUT_MS = 4000;
  static final long HEARTBEAT_MS = 1000;
  static final Map<String, String> FAST_SESSIONS = Map.of(
      "broker.session.timeout.ms", "" + SESSION_TIMEOUT_MS, "broker.heartbeat.interval.ms", "" + HEARTBEAT_MS);

  @TempDir Path root;

  @BeforeEach
  void needsNetworkNamespaces() {
    NetnsNetwork.assumeAvailable();
  }

  @Test
  void cutOffNodeIsFencedAndUnfencedWhenHealed() throws Exception {
    String runId;
    try (NetnsCluster cluster = new NetnsCluster(root, 3, FAST_SESSIONS)) {
      cluster.start();
      runId = cluster.network().id;

      // (a) clients in the test JVM, through the bridge, to nodes in three namespaces.
      int leader;
      try (Admin admin = new Admin(cluster.bootstrap(), 30_000)) {
        awaitBrokers(admin, 3);
        TopicMetadata topic = admin.createTopic(TOPIC, 3, 1, Map.of());
        assertThat(topic.getPartitionsCount()).isEqualTo(3);
        awaitTopicOnEveryNode(cluster);
        leader = admin.describeCluster().getLeaderId();
        assertThat(leader).isBetween(1, 3);
      }
      List<String> sent = new ArrayList<>(produce(cluster.bootstrap(), "before", 30));
      assertThat(consumeAll(cluster.bootstrap(), sent.size())).containsExactlyInAnyOrderElementsOf(sent);

      // (b) cut off a node that is not the active controller.
      int victim = victimAvoiding(leader);
      try (Admin admin = new Admin(cluster.bootstrapExcept(victim), 5_000)) {
        long cutAt = System.nanoTime();
        cluster.cutOff(victim);
        await("node " + victim + " fenced after the cut").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> fenced(admin, victim).orElse(false));
        long fencedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt);
        System.out.printf("[netns] node %d fenced %d ms after the cut (session timeout %d ms, heartbeat %d ms)%n",
            victim, fencedMs, SESSION_TIMEOUT_MS, HEARTBEAT_MS);
        assertThat(fencedMs).as("fenced no earlier than the session timeout allows")
            .isGreaterThanOrEqualTo(SESSION_TIMEOUT_MS - HEARTBEAT_MS - 500);
        assertThat(fencedMs).as("fenced within about the session timeout").isLessThan(SESSION_TIMEOUT_MS + 6000);

        DescribeClusterResponse during = admin.describeCluster();
        assertThat(during.getLeaderId()).as("the quorum keeps a leader").isNotEqualTo(-1).isNotEqualTo(victim);
        assertThat(during.getBrokersList()).filteredOn(b -> b.getId() != victim).extracting(BrokerEndpoint::getFenced)
            .containsOnly(false);
        assertThat(cluster.httpStatus(victim, "/ready")).as("the test JVM is cut off from node %d too", victim).isEqualTo(-1);

        // (c) heal: the node heartbeats again and is unfenced.
        long healAt = System.nanoTime();
        cluster.heal(victim);
        await("node " + victim + " unfenced after healing").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> fenced(admin, victim).map(f -> !f).orElse(false));
        System.out.printf("[netns] node %d unfenced %d ms after the heal%n", victim,
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healAt));
      }
      cluster.awaitReady(victim);

      // Every partition, the healed node's included, takes and serves records again.
      awaitTopicOnEveryNode(cluster);
      sent.addAll(produce(cluster.bootstrap(), "after", 9));
      assertThat(consumeAll(cluster.bootstrap(), sent.size())).containsExactlyInAnyOrderElementsOf(sent);
    }
    assertNothingLeft(runId);
  }

  @Test
  void frozenNodeIsFencedAndKilledNodeRestarts() throws Exception {
    String runId;
    try (NetnsCluster cluster = new NetnsCluster(root, 3, FAST_SESSIONS)) {
      cluster.start();
      runId = cluster.network().id;
      int victim;
      try (Admin admin = new Admin(cluster.bootstrap(), 30_000)) {
        awaitBrokers(admin, 3);
        victim = victimAvoiding(admin.describeCluster().getLeaderId());
      }
      try (Admin admin = new Admin(cluster.bootstrapExcept(victim), 5_000)) {
        long frozeAt = System.nanoTime();
        cluster.freeze(victim);
        await("frozen node " + victim + " fenced").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> fenced(admin, victim).orElse(false));
        System.out.printf("[netns] frozen node %d fenced %d ms after SIGSTOP%n", victim,
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - frozeAt));
        assertThat(cluster.isAlive(victim)).isTrue();

        cluster.thaw(victim);
        await("thawed node " + victim + " unfenced").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> fenced(admin, victim).map(f -> !f).orElse(false));

        long pidBefore = cluster.pid(victim);
        cluster.kill(victim);
        assertThat(cluster.isAlive(victim)).isFalse();
        await("killed node " + victim + " fenced").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> fenced(admin, victim).orElse(false));

        cluster.restart(victim);
        assertThat(cluster.pid(victim)).isNotEqualTo(pidBefore);
        cluster.awaitReady(victim);
        await("restarted node " + victim + " unfenced").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> fenced(admin, victim).map(f -> !f).orElse(false));
      }
    }
    assertNothingLeft(runId);
  }

  /**
   * A node that is neither the active controller nor node 1. Node 1 is the first of
   * controller.endpoints, which every broker's metadata watch stream connects to first and stays on
   * while the stream lives: with node 1 frozen, the other brokers' metadata (and so their
   * describeCluster) was seen stale for over 60 s, and with node 1 cut off for ~11 s instead of ~4,
   * because nothing notices a silent watch stream. That is a product issue of its own, not what
   * this smoke test of the harness is about.
   */
  private static int victimAvoiding(int leader) {
    return leader == 3 ? 2 : 3;
  }

  /** Waits until {@code n} brokers are registered and unfenced and the quorum has a leader. */
  private static void awaitBrokers(Admin admin, int n) {
    await("all " + n + " brokers unfenced").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
      DescribeClusterResponse d = admin.describeCluster();
      return d.getLeaderId() != -1 && d.getBrokersCount() == n && d.getBrokersList().stream().noneMatch(BrokerEndpoint::getFenced);
    });
  }

  /** createTopic returns once the answering broker knows the topic; wait until every node does, and has leaders. */
  private static void awaitTopicOnEveryNode(NetnsCluster cluster) {
    for (String node : cluster.bootstrap()) {
      try (Admin one = new Admin(List.of(node), 5_000)) {
        await("topic known to " + node).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
            .until(() -> one.describeTopic(TOPIC).getTopic().getPartitionsList().stream().allMatch(p -> p.getLeader() != -1));
      }
    }
  }

  private static Optional<Boolean> fenced(Admin admin, int broker) {
    return admin.describeCluster().getBrokersList().stream().filter(b -> b.getId() == broker).map(BrokerEndpoint::getFenced).findFirst();
  }

  /** {@code count} records round-robin over the 3 partitions, acks=all; returns "partition:value" of each. */
  private static List<String> produce(List<String> bootstrap, String tag, int count) throws Exception {
    List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
    List<String> values = new ArrayList<>();
    try (Producer producer = new Producer(ProducerConfig.builder(bootstrap.toArray(String[]::new)).acks("all")
        .deliveryTimeoutMs(10_000).requestTimeoutMs(5_000).build())) {
      for (int i = 0; i < count; i++) {
        String value = tag + "-" + i + "-" + System.nanoTime();
        values.add(value);
        futures.add(producer.send(new ProducerRecord(TOPIC, i % 3, null, value.getBytes(StandardCharsets.UTF_8), List.of(), null)));
      }
      producer.flush();
    }
    List<String> sent = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      RecordMetadata md = futures.get(i).get(15, TimeUnit.SECONDS);
      assertThat(md.partition()).isEqualTo(i % 3);
      sent.add(md.partition() + ":" + values.get(i));
    }
    return sent;
  }

  /** Reads all 3 partitions from the start until {@code expected} records arrived; "partition:value" of each. */
  private static List<String> consumeAll(List<String> bootstrap, int expected) {
    List<String> got = new ArrayList<>();
    try (Consumer consumer = new Consumer(ConsumerConfig.defaults(bootstrap.toArray(String[]::new)).withAutoOffsetReset("earliest"))) {
      consumer.assign(List.of(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1), new TopicPartition(TOPIC, 2)));
      await("consume " + expected + " records").atMost(Duration.ofSeconds(60)).until(() -> {
        for (ConsumerRecord r : consumer.poll(Duration.ofMillis(200))) {
          got.add(r.partition() + ":" + new String(r.value(), StandardCharsets.UTF_8));
        }
        return got.size() >= expected;
      });
    }
    return got;
  }

  /** The run's namespaces, veths and bridge are gone after close (close itself also checks this). */
  private static void assertNothingLeft(String runId) {
    assertThat(NetnsNetwork.exec(List.of("ip", "netns", "list")).output()).doesNotContain(runId);
    assertThat(NetnsNetwork.exec(List.of("ip", "-o", "link", "show")).output()).doesNotContain(runId);
  }
}
