package io.brook.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.brook.clients.admin.Admin;
import io.brook.clients.producer.Producer;
import io.brook.clients.producer.ProducerConfig;
import io.brook.clients.producer.ProducerRecord;
import io.brook.proto.v1.PartitionMetadata;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server log on expected events, with real node processes: three nodes (node 3 with
 * {@code log.format=json}), a replicated topic, a consumer-group member killed mid-poll (a client
 * disconnecting) and then a peer killed with SIGKILL (a peer going away). The survivors' logs
 * carry their node id on every line, hold no stack trace ("Caused by", "\tat ") for those events,
 * and in JSON mode every line is one JSON object.
 */
@Timeout(600)
class ServerLogIT {
  private static final Pattern TEXT_LINE = Pattern.compile(
      "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\S* (TRACE|DEBUG|INFO |WARN |ERROR) node=(\\d+) \\[.*");

  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path root;

  @Test
  void survivorsLogOneLinePerEventWithTheirNodeIdAndNoStackTraces() throws Exception {
    TestCluster cluster = new TestCluster(root, 3, Map.of("replica.lag.time.max.ms", "3000"));
    Files.writeString(cluster.node(3).dir.resolve("node.properties"), "log.format=json\n", StandardOpenOption.APPEND);
    try (cluster) {
      cluster.start();
      List<String> bootstrap = cluster.bootstrapList();
      try (Admin admin = new Admin(bootstrap, 30_000)) {
        RollingRestartIT.createTopic(admin, "logs", 3, 3, Map.of("min.insync.replicas", "2"));
      }
      awaitIsr(bootstrap, 3);
      produce(bootstrap, 300);

      // A client going away mid-request: a group member killed while it long-polls.
      Path consumerOut = root.resolve("consumer.out");
      Process consumer = Cli.start(root, Map.of("BROOK_BOOTSTRAP_SERVER", String.join(",", bootstrap)), consumerOut,
          "consume", "logs", "--from-beginning", "--group", "log-test");
      try {
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.readAllLines(consumerOut).size() >= 300);
      } finally {
        consumer.destroyForcibly();
        consumer.waitFor(30, TimeUnit.SECONDS);
      }

      // A peer going away: SIGKILL, while the producer goes on.
      cluster.node(2).kill();
      awaitIsr(bootstrap, 2);
      produce(bootstrap, 300);
      // Enough time for the survivors to notice on every path: the group member's session ends
      // (the group loses it) and the Ratis leader retries the dead voter.
      try (Admin admin = new Admin(bootstrap, 10_000)) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
            .until(() -> admin.describeGroup("log-test").getMembersCount() == 0);
      }

      String text = cluster.node(1).log();
      List<String> textLines = text.lines().filter(l -> !l.isBlank()).toList();
      assertThat(textLines).isNotEmpty();
      for (String line : textLines) {
        assertThat(line).as("node 1 log line").matches(TEXT_LINE).contains(" node=1 [");
        assertThat(line).as("node 1 log line").doesNotStartWith("\tat ").doesNotStartWith("Caused by");
      }
      assertThat(text).doesNotContain("\tat ").doesNotContain("Caused by");

      List<String> jsonLines = cluster.node(3).log().lines().filter(l -> !l.isBlank()).toList();
      assertThat(jsonLines).isNotEmpty();
      for (String line : jsonLines) {
        JsonElement parsed = JsonParser.parseString(line);
        assertThat(parsed.isJsonObject()).as("one JSON object per line: %s", line).isTrue();
        JsonObject o = parsed.getAsJsonObject();
        assertThat(o.get("nodeId").getAsString()).as("nodeId of %s", line).isEqualTo("3");
        assertThat(o.get("level").getAsString()).as("level of %s", line).isIn("INFO", "WARN");
        if (o.get("throwable").isJsonObject()) {
          assertThat(o.getAsJsonObject("throwable").getAsJsonArray("stepArray")).as("frames in %s", line).isEmpty();
        }
      }
      long warns = textLines.stream().filter(l -> l.contains(" WARN ")).count();
      System.out.printf("LOGS: node 1 wrote %d lines (%d WARN), node 3 wrote %d JSON lines%n", textLines.size(), warns, jsonLines.size());
    }
  }

  /**
   * A SIGTERM while the node is still starting (a script that starts a node and stops it at once;
   * QuickstartIT's restarted node was stopped 3 s into its 3.8 s start) shuts it down cleanly,
   * logging "stopped". Before, the hook was registered only after the start: the JVM exited under
   * the half-started node without closing it.
   */
  @Test
  void aSigtermDuringStartupStillStopsTheNodeCleanly() throws Exception {
    BrookProcess n = new BrookProcess(1, root.resolve("early"), BrookProcess.freePort(), BrookProcess.freePort(),
        BrookProcess.freePort());
    n.configure("1@127.0.0.1:" + n.quorumPort, n.grpcAddress(), Map.of());
    n.start();
    // Signalled as soon as the node is past its first log line, well before it is ready.
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> n.log().contains("starting"));
    assertThat(n.httpStatus("/ready")).as("still starting").isNotEqualTo(200);
    int exit = n.stop();
    assertThat(n.log()).as(n.log()).contains("Brook node 1 stopped");
    assertThat(exit).isIn(0, 143);
  }

  private static void produce(List<String> bootstrap, int n) {
    try (Producer producer = new Producer(ProducerConfig.builder(bootstrap.toArray(String[]::new)).acks("all").build())) {
      List<CompletableFuture<?>> fs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        fs.add(producer.send(new ProducerRecord("logs", ("k" + i % 7).getBytes(StandardCharsets.UTF_8),
            ("v" + i).getBytes(StandardCharsets.UTF_8))));
      }
      CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).join();
    }
  }

  private static void awaitIsr(List<String> bootstrap, int size) {
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300)).ignoreExceptions().until(() -> {
      try (Admin admin = new Admin(bootstrap, 5_000)) {
        List<PartitionMetadata> ps = admin.describeTopic("logs").getTopic().getPartitionsList();
        return !ps.isEmpty() && ps.stream().allMatch(p -> p.getIsrCount() == size && p.getLeader() >= 0);
      }
    });
  }
}
