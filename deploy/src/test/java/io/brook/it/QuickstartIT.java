package io.brook.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README quickstart, command for command, against a real {@code bin/brook server} started the
 * way the README starts it (no arguments: data in ./data), with ports moved by BROOK_* variables so
 * the test cannot collide with anything on the default ports.
 */
@Timeout(300)
class QuickstartIT {
  @TempDir Path work;

  @Test
  void quickstartOnOneNode() throws Exception {
    int grpc = BrookProcess.freePort();
    int http = BrookProcess.freePort();
    Map<String, String> serverEnv = Map.of("BROOK_GRPC_PORT", "" + grpc, "BROOK_QUORUM_PORT", "" + BrookProcess.freePort(),
        "BROOK_HTTP_PORT", "" + http, "BROOK_LISTEN_HOST", "127.0.0.1");
    Process server = Cli.start(work, serverEnv, work.resolve("server.log"), "server");
    try {
      BrookProcess probe = new BrookProcess(1, work, grpc, 0, http);
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
        assertThat(server.isAlive()).as(() -> "server exited: " + readLog()).isTrue();
        return probe.httpStatus("/ready") == 200;
      });
      assertThat(work.resolve("data")).as("the embedded default keeps data in ./data").isDirectory();

      Map<String, String> env = Map.of("BROOK_BOOTSTRAP_SERVER", "127.0.0.1:" + grpc);
      Cli.Result create = Cli.run(work, env, null, "topics", "create", "quickstart-events", "--partitions", "3");
      assertThat(create.exit()).as(create.err()).isZero();
      assertThat(create.out()).contains("Created topic quickstart-events");

      Cli.Result list = Cli.run(work, env, null, "topics", "list");
      assertThat(list.out().lines()).containsExactly("quickstart-events");

      Cli.Result describe = Cli.run(work, env, null, "topics", "describe", "quickstart-events", "--output", "json");
      assertThat(describe.out()).contains("\"name\":\"quickstart-events\"").contains("\"partition\":2").contains("\"leader\":1");

      Cli.Result produce = Cli.run(work, env, "This is my first event\nThis is my second event\n", "produce", "quickstart-events");
      assertThat(produce.exit()).as(produce.err()).isZero();

      Cli.Result consume = Cli.run(work, env, null, "consume", "quickstart-events", "--from-beginning", "--max-messages", "2");
      assertThat(consume.exit()).as(consume.err()).isZero();
      assertThat(consume.out().lines()).containsExactlyInAnyOrder("This is my first event", "This is my second event");

      Cli.Result cluster = Cli.run(work, env, null, "cluster", "describe", "--output", "json");
      assertThat(cluster.out()).contains("\"leaderId\":1").contains("\"voters\":[{\"id\":1").contains("\"fenced\":false");

      Cli.Result unknown = Cli.run(work, env, null, "consume", "no-such-topic", "--max-messages", "1");
      assertThat(unknown.exit()).isNotZero();
      assertThat(unknown.err().strip().lines()).hasSize(1);
      assertThat(unknown.err()).contains("no-such-topic").contains("UNKNOWN_TOPIC_OR_PARTITION");

      Cli.Result unreachable = Cli.run(work, Map.of("BROOK_BOOTSTRAP_SERVER", "127.0.0.1:" + BrookProcess.freePort()), null,
          "topics", "list", "--request-timeout-ms", "2000");
      assertThat(unreachable.exit()).isNotZero();
      assertThat(unreachable.err()).contains("error:");
    } finally {
      server.destroy(); // SIGTERM: clean shutdown
      if (!server.waitFor(30, TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    }
    assertThat(readLog()).contains("stopped");
  }

  private String readLog() {
    try {
      return Files.readString(work.resolve("server.log"));
    } catch (java.io.IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
