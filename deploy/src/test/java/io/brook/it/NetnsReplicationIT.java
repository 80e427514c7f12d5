package io.brook.it;

import static io.brook.it.ReplicationWorkload.awaitIsr;
import static io.brook.it.ReplicationWorkload.createTopic;
import static io.brook.it.ReplicationWorkload.leaderNow;
import static io.brook.it.ReplicationWorkload.leaderOf;
import static io.brook.it.ReplicationWorkload.verify;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.brook.it.ReplicationWorkload.Load;
import io.brook.proto.v1.TopicMetadata;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replication across a real network partition: three nodes in their own network namespaces,
 * RF=3, an idempotent acks=all producer on the host; the leader of a partition is cut off from
 * the others and from the clients (iptables in its namespace). The controller fences it and
 * moves its leaderships, the producer follows, the ISR shrinks; after the heal the node
 * truncates what it wrote alone (if anything), catches up and rejoins the ISR. Every acknowledged
 * record is there exactly once, in order, and the replicas end identical.
 */
@Timeout(600)
class NetnsReplicationIT {
  @TempDir Path root;

  @BeforeEach
  void needsNetworkNamespaces() {
    NetnsNetwork.assumeAvailable();
  }

  @Test
  void leaderCutOffByANetworkPartition() throws Exception {
    Map<String, String> fast = Map.of("replica.lag.time.max.ms", "3000", "broker.session.timeout.ms", "4000",
        "broker.heartbeat.interval.ms", "1000");
    try (NetnsCluster cluster = new NetnsCluster(root, 3, fast)) {
      cluster.start();
      TopicMetadata topic = createTopic(cluster.bootstrap());
      // The hardest victim: node 1, first in every bootstrap list and controller list, and often
      // the active controller; cut off, its own frozen metadata must not send clients astray.
      int victim = 1;
      int partition = IntStream.range(0, topic.getPartitionsCount()).filter(p -> leaderOf(topic, p) == victim)
          .findFirst().orElseThrow();
      List<String> others = cluster.bootstrapExcept(victim);
      Load load = new Load(cluster.bootstrap());
      try (load) {
        load.awaitAcked(600);
        long cutAt = System.nanoTime();
        cluster.cutOff(victim);
        await().atMost(Duration.ofSeconds(60)).until(() -> leaderNow(others, partition) != victim);
        System.out.printf("PARTITION: leader %d cut off; leadership of partition %d moved after %d ms%n", victim,
            partition, (System.nanoTime() - cutAt) / 1_000_000);
        awaitIsr(cluster.dir(victim), others, partition, 2);
        load.awaitAcked(load.acked() + 300);
        cluster.heal(victim);
        awaitIsr(cluster.dir(victim), cluster.bootstrap(), partition, 3);
        load.awaitAcked(load.acked() + 300);
      }
      assertThat(load.acked()).isGreaterThan(1200);
      verify(cluster.bootstrap(), IntStream.rangeClosed(1, 3).mapToObj(cluster::dataDir).toList(), load);
    }
  }
}
