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
import io.brook.proto.v1.PartitionMetadata;
import io.brook.storage.TopicPartition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12: {@code brook partitions reassign} (Kafka's kafka-reassign-partitions, KIP-455) on real
 * processes, the way an operator adds a broker: three nodes hold topic {@code seq} (RF 3) under
 * an acks=all load; a fourth broker joins; {@code --generate} proposes a balanced plan that uses
 * it, {@code --execute --wait} carries it out. Every acknowledged record is then there once, in
 * order, on byte-identical replicas of the final assignment; the removed replicas' files are gone.
 * Then a throttled move whose progress shows part-way and takes at least about bytes / throttle,
 * with leadership leaving the removed leader; a cancel that reverts and deletes the new copy; and
 * bad plans refused with a clear line, changing nothing.
 */
@Timeout(400)
class ReassignPartitionsIT {
  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path root;

  private static final Pattern PROGRESS = Pattern.compile("replica (\\d+) at offset (\\d+) of (\\d+)");

  private static List<Integer> replicas(List<String> bootstrap, String topic, int partition) {
    try (Admin admin = new Admin(bootstrap, 10_000)) {
      return admin.describeTopic(topic).getTopic().getPartitions(partition).getReplicasList();
    }
  }

  private static PartitionMetadata partition(List<String> bootstrap, String topic, int partition) {
    try (Admin admin = new Admin(bootstrap, 10_000)) {
      return admin.describeTopic(topic).getTopic().getPartitions(partition);
    }
  }

  @Test
  void addABrokerThenGenerateExecuteThrottleCancelAndRefuseBadPlans() throws Exception {
    try (TestCluster cluster = new TestCluster(root, 3, Map.of("replica.lag.time.max.ms", "3000")).start()) {
      List<String> bootstrap = cluster.bootstrapList();
      Map<String, String> env = Map.of("BROOK_BOOTSTRAP_SERVER", cluster.bootstrap());
      ReplicationWorkload.createTopic(bootstrap);
      try (ReplicationWorkload.Load load = new ReplicationWorkload.Load(bootstrap)) {
        load.awaitAcked(3_000);

        // A fourth broker (broker only) joins the cluster.
        BrookProcess four = new BrookProcess(4, root.resolve("node4"), BrookProcess.freePort(), BrookProcess.freePort(),
            BrookProcess.freePort());
        cluster.nodes.add(four); // stopped with the cluster
        String voters = cluster.nodes.subList(0, 3).stream().map(n -> n.nodeId + "@127.0.0.1:" + n.quorumPort)
            .reduce((a, b) -> a + "," + b).orElseThrow();
        four.configure(voters, cluster.bootstrap(), Map.of("process.roles", "broker", "replica.lag.time.max.ms", "3000"));
        four.start();
        four.awaitReady(Duration.ofSeconds(90));

        // --generate: a plan over 1-4 that gives broker 4 its share.
        Cli.Result gen = Cli.run(root, env, null, "partitions", "reassign", "--generate", "--topics", "seq",
            "--broker-list", "1,2,3,4");
        assertThat(gen.exit()).as(gen.err()).isZero();
        String[] lines = gen.out().split("\n");
        int at = Arrays.asList(lines).indexOf("Proposed partition reassignment configuration");
        assertThat(at).as(gen.out()).isPositive();
        String plan = lines[at + 1];
        Map<TopicPartition, List<Integer>> target = io.brook.clients.cli.ReassignmentPlan.parse(plan);
        assertThat(target.values().stream().filter(r -> r.contains(4)).count()).as(plan).isGreaterThanOrEqualTo(2);
        Path planFile = root.resolve("plan.json");
        Files.writeString(planFile, plan);

        // --execute --wait, under load.
        Cli.Result exec = Cli.run(root, env, null, "partitions", "reassign", "--execute", "--reassignment-json-file",
            planFile.toString(), "--wait", "--progress-interval-ms", "500");
        assertThat(exec.exit()).as(exec.out() + exec.err()).isZero();
        assertThat(exec.out()).contains("Save this to use as the --reassignment-json-file option during rollback")
            .contains("Successfully started partition reassignments for").contains("is completed");
        Cli.Result verify = Cli.run(root, env, null, "partitions", "reassign", "--verify", "--reassignment-json-file",
            planFile.toString());
        assertThat(verify.exit()).isZero();
        for (TopicPartition tp : target.keySet()) {
          assertThat(verify.out()).contains("Reassignment of partition " + tp + " is completed");
        }
        long ackedAtEnd = load.acked();
        load.awaitAcked(ackedAtEnd + 2_000); // writes go on after the move
        load.close();
        for (Map.Entry<TopicPartition, List<Integer>> e : target.entrySet()) {
          PartitionMetadata p = partition(bootstrap, "seq", e.getKey().partition());
          assertThat(p.getReplicasList()).isEqualTo(e.getValue());
          assertThat(p.getAddingReplicasList()).isEmpty();
          assertThat(p.getRemovingReplicasList()).isEmpty();
        }
        ReplicationWorkload.verify(bootstrap, p -> target.get(new TopicPartition("seq", p)).stream()
            .map(id -> cluster.node(id).dataDir()).toList(), load);
        // The removed replicas delete their copies.
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
          for (Map.Entry<TopicPartition, List<Integer>> e : target.entrySet()) {
            for (BrookProcess n : cluster.nodes) {
              assertThat(Files.exists(n.dataDir().resolve("logs").resolve(e.getKey().dirName())))
                  .as("%s on broker %d", e.getKey(), n.nodeId).isEqualTo(e.getValue().contains(n.nodeId));
            }
          }
        });
      }

      // A throttled move of a partition with ~2 MB, away from its only replica (its leader).
      try (Admin admin = new Admin(bootstrap, 30_000)) {
        admin.createTopic("bulk", 1, 1, Map.of());
      }
      int from = partition(bootstrap, "bulk", 0).getLeader();
      int to = from == 4 ? 1 : 4;
      byte[] value = new byte[1000];
      Arrays.fill(value, (byte) 'x');
      int records = 2_000;
      try (Producer producer = new Producer(ProducerConfig.builder(bootstrap.toArray(String[]::new)).acks("all").build())) {
        List<CompletableFuture<?>> sent = new ArrayList<>();
        for (int i = 0; i < records; i++) {
          sent.add(producer.send(new ProducerRecord("bulk", 0, null, value, List.of(), null)));
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get();
      }
      long bytes = cluster.node(from).dataDir().resolve("logs").resolve("bulk-0").toFile().listFiles((d, n) -> n.endsWith(".log"))[0].length();
      long throttle = 200_000;
      long t0 = System.nanoTime();
      Cli.Result move = Cli.run(root, env, null, "partitions", "reassign", "--execute", "--topic", "bulk", "--partition", "0",
          "--replicas", Integer.toString(to), "--throttle", Long.toString(throttle));
      assertThat(move.exit()).as(move.err()).isZero();
      assertThat(move.out()).contains("at most " + throttle + " bytes/s");
      AtomicBoolean sawPartWay = new AtomicBoolean();
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(300)).until(() -> {
        Cli.Result list = Cli.run(root, env, null, "partitions", "reassign", "--list");
        Matcher m = PROGRESS.matcher(list.out());
        if (m.find() && Long.parseLong(m.group(2)) > 0 && Long.parseLong(m.group(2)) < Long.parseLong(m.group(3))) {
          sawPartWay.set(true);
        }
        return list.out().contains("No partition reassignments found.");
      });
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertThat(sawPartWay).as("--list showed the new replica part-way").isTrue();
      assertThat(seconds).as("%d bytes at %d B/s", bytes, throttle).isGreaterThan(0.5 * bytes / throttle);
      PartitionMetadata moved = partition(bootstrap, "bulk", 0);
      assertThat(moved.getReplicasList()).containsExactly(to);
      assertThat(moved.getLeader()).as("leadership left the removed replica").isEqualTo(to);
      try (Consumer consumer = new Consumer(ConsumerConfig.defaults(bootstrap.toArray(String[]::new)))) {
        TopicPartition tp = new TopicPartition("bulk", 0);
        consumer.assign(List.of(tp));
        consumer.seekToBeginning(List.of(tp));
        List<ConsumerRecord> got = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
          got.addAll(consumer.poll(Duration.ofMillis(200)));
          return got.size() >= records;
        });
        assertThat(got).hasSize(records).allSatisfy(r -> assertThat(r.value()).isEqualTo(value));
      }
      await().atMost(Duration.ofSeconds(30)).until(() ->
          !Files.exists(cluster.node(from).dataDir().resolve("logs").resolve("bulk-0")));

      // Cancel: a slow move back is reverted, and the copy it started is deleted.
      Cli.Result slow = Cli.run(root, env, null, "partitions", "reassign", "--execute", "--topic", "bulk", "--partition", "0",
          "--replicas", from + "," + to, "--throttle", "10000");
      assertThat(slow.exit()).as(slow.err()).isZero();
      Cli.Result listing = Cli.run(root, env, null, "partitions", "reassign", "--list");
      assertThat(listing.out()).contains("bulk-0: replicas [" + from + ", " + to + "], adding [" + from + "]")
          .contains("throttle 10000 B/s");
      assertThat(partition(bootstrap, "bulk", 0).getAddingReplicasList()).containsExactly(from);
      Cli.Result described = Cli.run(root, env, null, "topics", "describe", "bulk");
      assertThat(described.out()).contains("Adding Replicas: " + from);
      Cli.Result cancel = Cli.run(root, env, null, "partitions", "reassign", "--cancel", "--topic", "bulk", "--partition", "0");
      assertThat(cancel.exit()).as(cancel.err()).isZero();
      assertThat(cancel.out()).contains("Successfully cancelled partition reassignment for bulk-0");
      PartitionMetadata reverted = partition(bootstrap, "bulk", 0);
      assertThat(reverted.getReplicasList()).containsExactly(to);
      assertThat(reverted.getAddingReplicasList()).isEmpty();
      await().atMost(Duration.ofSeconds(30)).until(() ->
          !Files.exists(cluster.node(from).dataDir().resolve("logs").resolve("bulk-0")));

      // Bad input: a clear line, and nothing changes.
      List<Integer> before = replicas(bootstrap, "seq", 0);
      Cli.Result unknownBroker = Cli.run(root, env, null, "partitions", "reassign", "--execute", "--topic", "seq",
          "--partition", "0", "--replicas", before.get(0) + ",9");
      assertThat(unknownBroker.exit()).isEqualTo(1);
      assertThat(unknownBroker.err()).contains("INVALID_REPLICA_ASSIGNMENT").contains("broker 9 is not a registered broker");
      Cli.Result noneInProgress = Cli.run(root, env, null, "partitions", "reassign", "--cancel", "--topic", "seq",
          "--partition", "0");
      assertThat(noneInProgress.exit()).isEqualTo(1);
      assertThat(noneInProgress.err()).contains("NO_REASSIGNMENT_IN_PROGRESS");
      Cli.Result repeated = Cli.run(root, env, null, "partitions", "reassign", "--execute", "--topic", "seq",
          "--partition", "0", "--replicas", "1,1");
      assertThat(repeated.exit()).isEqualTo(2);
      assertThat(repeated.err()).contains("repeated");
      Path bad = root.resolve("bad.json");
      Files.writeString(bad, "{\"version\":1,\"partitions\":[{\"topic\":\"seq\"");
      Cli.Result badJson = Cli.run(root, env, null, "partitions", "reassign", "--execute", "--reassignment-json-file",
          bad.toString());
      assertThat(badJson.exit()).isEqualTo(2);
      assertThat(badJson.err()).contains("not valid JSON").doesNotContain("Exception");
      assertThat(replicas(bootstrap, "seq", 0)).isEqualTo(before);
    }
  }
}
