package io.brook.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.brook.clients.admin.Admin;
import io.brook.clients.producer.Producer;
import io.brook.clients.producer.ProducerConfig;
import io.brook.clients.producer.ProducerRecord;
import io.brook.proto.v1.OffsetSpec;
import io.brook.storage.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12: {@code brook records delete} (Kafka's DeleteRecords), {@code brook log dirs}
 * (Kafka's DescribeLogDirs) and {@code brook leaders elect} (Kafka's ElectLeaders) on three real
 * nodes, RF=3. The
 * log start offset moves on the leader at once and on both followers as they fetch; it survives
 * the leader's death (the new leader answers the same earliest offset); offsets above the high
 * watermark and unknown topics are refused with a clear line and change nothing.
 */
@Timeout(300)
class PartitionToolsIT {
  private static final TopicPartition TP = new TopicPartition("dr", 0);

  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path root;

  private static OptionalLong earliest(List<String> bootstrap) {
    try (Admin admin = new Admin(bootstrap, 30_000)) {
      return admin.listOffset(TP, OffsetSpec.OFFSET_SPEC_EARLIEST, 0);
    }
  }

  private static long checkpointedStart(BrookProcess n) throws Exception {
    Path f = n.dataDir().resolve("logs").resolve(TP.dirName()).resolve("log-start-offset.checkpoint");
    if (!Files.exists(f)) {
      return -1;
    }
    List<String> lines = Files.readAllLines(f);
    return lines.stream().filter(l -> l.matches("\\d+")).mapToLong(Long::parseLong).reduce((a, b) -> b).orElse(-1);
  }

  @Test
  void deleteRecordsLogDirsAndLeaderElectionOnThreeNodes() throws Exception {
    try (TestCluster cluster = new TestCluster(root, 3, Map.of("replica.lag.time.max.ms", "3000")).start()) {
      int leader;
      int preferred;
      try (Admin admin = new Admin(cluster.bootstrapList(), 30_000)) {
        io.brook.proto.v1.PartitionMetadata p0 = admin.createTopic(TP.topic(), 1, 3, Map.of("min.insync.replicas", "2"))
            .getPartitions(0);
        leader = p0.getLeader();
        preferred = p0.getReplicas(0);
      }
      try (Producer p = new Producer(ProducerConfig.builder(cluster.bootstrapList().toArray(String[]::new))
          .acks("all").lingerMs(0).build())) {
        for (int i = 0; i < 100; i++) {
          p.send(new ProducerRecord(TP.topic(), 0, null, ("r" + i).getBytes(StandardCharsets.UTF_8), List.of(), null));
        }
        p.flush();
      }

      Cli.Result tooFar = Cli.run(root, Map.of(), null, "records", "delete", TP.topic(), "--partition", "0",
          "--before", "1000", "--bootstrap-server", cluster.bootstrap());
      assertThat(tooFar.exit()).isNotZero();
      assertThat(tooFar.err()).contains("OFFSET_OUT_OF_RANGE").contains("[0, 100]");
      assertThat(earliest(cluster.bootstrapList())).hasValue(0);

      Cli.Result unknown = Cli.run(root, Map.of(), null, "records", "delete", "no-such-topic", "--partition", "0",
          "--before", "1", "--bootstrap-server", cluster.bootstrap(), "--request-timeout-ms", "5000");
      assertThat(unknown.exit()).isNotZero();
      assertThat(unknown.err()).contains("UNKNOWN_TOPIC_OR_PARTITION");

      // A group commit creates __consumer_offsets; deleting its records is refused, as Kafka does.
      Cli.Result grouped = Cli.run(root, Map.of(), null, "consume", TP.topic(), "--group", "g", "--from-beginning",
          "--max-messages", "1", "--bootstrap-server", cluster.bootstrap());
      assertThat(grouped.exit()).as(grouped.err()).isZero();
      Cli.Result internal = Cli.run(root, Map.of(), null, "records", "delete", "__consumer_offsets", "--partition", "0",
          "--before", "0", "--bootstrap-server", cluster.bootstrap(), "--request-timeout-ms", "5000");
      assertThat(internal.exit()).isNotZero();
      assertThat(internal.err()).contains("internal topic");

      Cli.Result ok = Cli.run(root, Map.of(), null, "records", "delete", TP.topic(), "--partition", "0",
          "--before", "40", "--bootstrap-server", cluster.bootstrap());
      assertThat(ok.exit()).as(ok.err()).isZero();
      assertThat(ok.out()).contains("partition: dr-0\tlow_watermark: 40");
      assertThat(earliest(cluster.bootstrapList())).hasValue(40);
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        for (BrookProcess n : cluster.nodes) {
          assertThat(checkpointedStart(n)).as("node %d's log start", n.nodeId).isEqualTo(40);
        }
      });

      // brook log dirs (Kafka's DescribeLogDirs): every broker holds a replica of dr-0, one leads,
      // and each reports the moved log start and the log end.
      Cli.Result dirs = Cli.run(root, Map.of(), null, "log", "dirs", "--topic-list", TP.topic(),
          "--bootstrap-server", cluster.bootstrap());
      assertThat(dirs.exit()).as(dirs.err()).isZero();
      for (BrookProcess n : cluster.nodes) {
        assertThat(dirs.out()).contains("Broker: " + n.nodeId + "\tLogDir: ");
      }
      List<String> rows = dirs.out().lines().filter(l -> l.startsWith("dr-0 ")).toList();
      assertThat(rows).hasSize(3);
      assertThat(rows).allSatisfy(r -> assertThat(r.trim().split("\\s+")).containsSequence("40", "100", "100"));
      assertThat(rows.stream().filter(r -> r.endsWith("leader"))).hasSize(1);
      assertThat(rows.stream().filter(r -> r.endsWith("follower"))).hasSize(2);

      // brook leaders elect (Kafka's ElectLeaders), through the whole path: CLI, admin RPC, controller.
      Cli.Result noType = Cli.run(root, Map.of(), null, "leaders", "elect", "--topic", TP.topic(),
          "--bootstrap-server", cluster.bootstrap());
      assertThat(noType.exit()).isEqualTo(2);
      assertThat(leader).as("a new topic is led by its preferred replica").isEqualTo(preferred);
      Cli.Result settled = Cli.run(root, Map.of(), null, "leaders", "elect", "--preferred", "--all-topic-partitions",
          "--bootstrap-server", cluster.bootstrap());
      assertThat(settled.exit()).as(settled.err()).isZero();
      assertThat(settled.out()).contains("Valid replica already elected for partitions").contains("dr-0");

      cluster.node(leader).kill();
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
          .untilAsserted(() -> assertThat(earliest(cluster.nodes.stream().filter(n -> n.nodeId != leader)
              .map(BrookProcess::grpcAddress).toList())).hasValue(40));
      String survivors = cluster.nodes.stream().filter(n -> n.nodeId != leader).map(BrookProcess::grpcAddress)
          .collect(java.util.stream.Collectors.joining(","));
      Cli.Result unclean = Cli.run(root, Map.of(), null, "leaders", "elect", "--unclean", "--topic", TP.topic(),
          "--bootstrap-server", survivors);
      assertThat(unclean.exit()).as(unclean.err()).isZero();
      assertThat(unclean.out()).contains("Valid replica already elected for partitions dr-0");
      Cli.Result backToDead = Cli.run(root, Map.of(), null, "leaders", "elect", "--election-type", "PREFERRED",
          "--topic", TP.topic(), "--partition", "0", "--bootstrap-server", survivors);
      assertThat(backToDead.exit()).as("the preferred replica is down").isEqualTo(1);
      assertThat(backToDead.err()).contains("error: election for dr-0 failed: PREFERRED_LEADER_NOT_AVAILABLE");
    }
  }
}
