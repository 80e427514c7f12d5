package io.brook.it;

import static io.brook.it.ReplicationWorkload.awaitIsr;
import static io.brook.it.ReplicationWorkload.createTopic;
import static io.brook.it.ReplicationWorkload.leaderNow;
import static io.brook.it.ReplicationWorkload.leaderOf;
import static io.brook.it.ReplicationWorkload.verify;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.brook.clients.admin.Admin;
import io.brook.it.ReplicationWorkload.Load;
import io.brook.proto.v1.TopicMetadata;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
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
  private static final Map<String, String> FAST = Map.of("replica.lag.time.max.ms", "3000");

  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path root;

  @Test
  void leaderKilledWithSigkill() throws Exception {
    try (TestCluster cluster = new TestCluster(root, 3, FAST).start()) {
      TopicMetadata topic = createTopic(cluster.bootstrapList());
      int victim = leaderOf(topic, 0);
      Load load = new Load(cluster.bootstrapList());
      try (load) {
        load.awaitAcked(600);
        long killedAt = System.nanoTime();
        cluster.node(victim).kill();
        awaitIsr(cluster.node(1).dir, cluster.bootstrapList(), 0, 2);
        // Failover time: kill -> the first acknowledgement of a record sent after the kill.
        await().atMost(Duration.ofSeconds(90)).until(() -> load.firstAckOfRecordSentAfter(0, killedAt) > 0);
        System.out.printf("FAILOVER: leader %d killed; partition 0 acknowledged a new record after %d ms%n", victim,
            (load.firstAckOfRecordSentAfter(0, killedAt) - killedAt) / 1_000_000);
        cluster.node(victim).start();
        cluster.node(victim).awaitReady(Duration.ofSeconds(90));
        awaitIsr(cluster.node(1).dir, cluster.bootstrapList(), 0, 3);
        load.awaitAcked(load.acked() + 300);
      }
      verify(cluster.bootstrapList(), dataDirs(cluster), load);
    }
  }

  @Test
  void followerFrozenWithSigstop() throws Exception {
    try (TestCluster cluster = new TestCluster(root, 3, FAST).start()) {
      TopicMetadata topic = createTopic(cluster.bootstrapList());
      // The hardest follower to freeze: the active controller (heartbeats and ISR changes must
      // find the next one while it hangs).
      int follower;
      try (Admin admin = new Admin(cluster.bootstrapList(), 30_000)) {
        follower = admin.describeCluster().getLeaderId();
      }
      int partition = IntStream.range(0, topic.getPartitionsCount())
          .filter(p -> leaderOf(topic, p) != follower).findFirst().orElseThrow();
      Load load = new Load(cluster.bootstrapList());
      try (load) {
        load.awaitAcked(600);
        cluster.node(follower).freeze();
        awaitIsr(cluster.node(1).dir, cluster.bootstrapList(), partition, 2);
        long ackedWhileFrozen = load.acked();
        load.awaitAcked(ackedWhileFrozen + 300); // min ISR 2 is still met: writes go on
        cluster.node(follower).thaw();
        awaitIsr(cluster.node(1).dir, cluster.bootstrapList(), partition, 3);
        load.awaitAcked(load.acked() + 300);
      }
      verify(cluster.bootstrapList(), dataDirs(cluster), load);
    }
  }

  @Test
  void controlledShutdownMovesLeadershipsWithoutClientErrorsAndPreferredLeadersReturn() throws Exception {
    try (TestCluster cluster = new TestCluster(root, 3, FAST).start()) {
      TopicMetadata topic = createTopic(cluster.bootstrapList());
      int victim = leaderOf(topic, 0);
      Load load = new Load(cluster.bootstrapList());
      try (load) {
        load.awaitAcked(600);
        long t0 = System.nanoTime();
        assertThat(cluster.node(victim).stop()).as("exit on SIGTERM (143 = the JVM's status after the signal)").isIn(0, 143);
        assertThat(cluster.node(victim).log()).contains("Brook node " + victim + " stopped");
        System.out.printf("SHUTDOWN: node %d stopped in %d ms%n", victim, (System.nanoTime() - t0) / 1_000_000);
        assertThat(leaderNow(cluster.bootstrapList(), 0)).isNotEqualTo(victim);
        load.awaitAcked(load.acked() + 600);
        cluster.node(victim).start();
        cluster.node(victim).awaitReady(Duration.ofSeconds(90));
        awaitIsr(cluster.node(1).dir, cluster.bootstrapList(), 0, 3);
        // The first replica is the preferred leader: leadership goes back to it.
        await().atMost(Duration.ofSeconds(60)).until(() -> leaderNow(cluster.bootstrapList(), 0) == topic.getPartitions(0).getReplicas(0));
        load.awaitAcked(load.acked() + 300);
      }
      assertThat(load.failures.get()).as("sends that failed during a controlled shutdown").isZero();
      verify(cluster.bootstrapList(), dataDirs(cluster), load);
    }
  }

  private static List<Path> dataDirs(TestCluster cluster) {
    return cluster.nodes.stream().map(BrookProcess::dataDir).toList();
  }
}
