package io.brook.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.brook.launcher.Brook;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code brook topics / produce / consume / offsets} against one real node, run in this JVM through
 * the launcher's command line (as {@code bin/brook} runs it, minus the JVM start): Kafka-style
 * topic flags and output, headers end to end, and what the tools say when pointed at the node's
 * HTTP port or its metadata quorum port.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class CliIT {
  @TempDir static Path work;
  private static Process node;
  private static int grpc;
  private static int http;
  private static int quorum;

  record Result(int exit, String out, String err) {}

  @BeforeAll
  static void startNode() throws Exception {
    grpc = BrookProcess.freePort();
    http = BrookProcess.freePort();
    quorum = BrookProcess.freePort();
    Map<String, String> env = Map.of("BROOK_GRPC_PORT", "" + grpc, "BROOK_QUORUM_PORT", "" + quorum,
        "BROOK_HTTP_PORT", "" + http, "BROOK_LISTEN_HOST", "127.0.0.1");
    Path log = work.resolve("server.log");
    node = Cli.start(work, env, log, "server");
    BrookProcess probe = new BrookProcess(1, work, grpc, 0, http);
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
      assertThat(node.isAlive()).as(() -> "server exited: " + read(log)).isTrue();
      return probe.httpStatus("/ready") == 200;
    });
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (node != null) {
      node.destroy();
      if (!node.waitFor(30, TimeUnit.SECONDS)) {
        node.destroyForcibly();
      }
    }
  }

  /** Runs {@code brook ARGS} in this JVM against the node, with {@code stdin} as standard input. */
  private static synchronized Result brook(String stdin, String... args) {
    return brookAt("127.0.0.1:" + grpc, stdin, args);
  }

  private static synchronized Result brookAt(String bootstrap, String stdin, String... args) {
    InputStream savedIn = System.in;
    PrintStream savedOut = System.out;
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    System.setIn(new ByteArrayInputStream((stdin == null ? "" : stdin).getBytes(StandardCharsets.UTF_8)));
    System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
    try {
      CommandLine cl = Brook.commandLine(); // built after setIn: produce reads the stdin it sees at construction
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      cl.setOut(new PrintWriter(out, true));
      cl.setErr(new PrintWriter(err, true));
      String[] all = new String[args.length + 2];
      System.arraycopy(args, 0, all, 0, args.length);
      all[args.length] = "--bootstrap-server";
      all[args.length + 1] = bootstrap;
      int exit = cl.execute(all);
      return new Result(exit, out + stdout.toString(StandardCharsets.UTF_8), err.toString());
    } finally {
      System.setIn(savedIn);
      System.setOut(savedOut);
    }
  }

  @Test
  void topicsTakeKafkasFlagsAndDescribeShowsReplicationFactorAndConfigs() {
    Result created = brook(null, "topics", "create", "--topic", "orders", "-p", "3", "-r", "1", "--config", "retention.ms=600000");
    assertThat(created.exit()).as(created.err()).isZero();
    assertThat(created.out()).isEqualTo("Created topic orders.\n");

    Result again = brook(null, "topics", "create", "orders");
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).contains("TOPIC_ALREADY_EXISTS");
    Result quiet = brook(null, "topics", "create", "orders", "--if-not-exists", "--partitions", "3");
    assertThat(quiet.exit()).as(quiet.err()).isZero();
    assertThat(quiet.out()).isEmpty();

    assertThat(brook(null, "topics", "create", "other", "--partitions", "1").exit()).isZero();
    Result all = brook(null, "topics", "describe");
    assertThat(all.exit()).as(all.err()).isZero();
    assertThat(all.out()).containsPattern("(?m)^Topic: orders\tTopicId: \\S+\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: retention.ms=600000$")
        .containsPattern("(?m)^Topic: other\tTopicId: \\S+\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: $")
        .contains("\tTopic: orders\tPartition: 2\tLeader: 1\tReplicas: 1\tIsr: 1");

    Result json = brook(null, "topics", "describe", "orders", "--output", "json");
    assertThat(json.exit()).as(json.err()).isZero();
    assertThat(json.out()).startsWith("{\"name\":\"orders\"").contains("\"partition\":2,\"leader\":1")
        .contains("\"partitionCount\":3").contains("\"replicationFactor\":1").contains("\"configs\":{\"retention.ms\":\"600000\"}");
    Result allJson = brook(null, "topics", "describe", "--output", "json");
    assertThat(allJson.out()).startsWith("[{").contains("\"name\":\"orders\"").contains("\"name\":\"other\"");

    // One healthy node: no partition is under-replicated or without a leader.
    assertThat(brook(null, "topics", "describe", "--under-replicated-partitions").out()).isEmpty();
    assertThat(brook(null, "topics", "describe", "orders", "--unavailable-partitions").out()).isEmpty();

    Result missing = brook(null, "topics", "describe", "nope");
    assertThat(missing.exit()).isEqualTo(1);
    for (String[] args : new String[][] {{"topics", "describe", "nope", "--if-exists"}, {"topics", "delete", "--topic", "nope", "--if-exists"},
        {"topics", "alter", "nope", "--partitions", "4", "--if-exists"}}) {
      Result r = brook(null, args);
      assertThat(r.exit()).as(String.join(" ", args) + ": " + r.err()).isZero();
      assertThat(r.out()).isEmpty();
    }
    Result both = brook(null, "topics", "delete", "orders", "--topic", "other");
    assertThat(both.exit()).isEqualTo(2);
  }

  @Test
  void headersKeysAndPartitionTravelFromProduceToConsume() {
    assertThat(brook(null, "topics", "create", "events", "--partitions", "3").exit()).isZero();
    Result produced = brook("h1:a,h2:b\tk1\tv1\n\tk2\tv2\n", "produce", "events", "--partition", "2", "--header", "src=cli",
        "--property", "parse.headers=true", "--property", "parse.key=true", "--producer-property", "linger.ms=0");
    assertThat(produced.exit()).as(produced.err()).isZero();
    assertThat(produced.err()).isEqualTo("2 records sent, 2 acknowledged, 0 failed.\n");

    Result consumed = brook(null, "consume", "events", "--partition", "2", "--offset", "earliest", "--max-messages", "2",
        "--print-headers", "--print-key", "--print-partition");
    assertThat(consumed.exit()).as(consumed.err()).isZero();
    assertThat(consumed.out()).isEqualTo("Partition:2\tsrc:cli,h1:a,h2:b\tk1\tv1\nPartition:2\tsrc:cli\tk2\tv2\n");
    assertThat(consumed.err()).isEqualTo("Processed a total of 2 messages\n");

    assertThat(brook(null, "offsets", "events").out()).isEqualTo("events:0:0\nevents:1:0\nevents:2:2\n");
    Result range = brook(null, "consume", "events", "--partition", "2", "--offset", "999", "--max-messages", "1");
    assertThat(range.exit()).isEqualTo(1);
    assertThat(range.err()).contains("offset 999 is out of range for events-2: valid offsets are [0, 2]");

    Result badLine = brook("no-key-here\n", "produce", "events", "--property", "parse.key=true");
    assertThat(badLine.exit()).isEqualTo(1);
    assertThat(badLine.err()).contains("0 records sent, 0 acknowledged, 0 failed.").contains("error: line 1: no key separator");
  }

  @Test
  void theNodesHttpAndQuorumPortsAreNamedAsNotClientPorts() {
    Result viaHttp = brookAt("127.0.0.1:" + http, null, "topics", "list");
    assertThat(viaHttp.exit()).isEqualTo(1);
    assertThat(viaHttp.err().strip()).startsWith("error: 127.0.0.1:" + http + " is not a Brook client port (it answered HTTP/1.1");
    Result viaQuorum = brookAt("127.0.0.1:" + quorum, "x\n", "produce", "t");
    assertThat(viaQuorum.exit()).isEqualTo(1);
    assertThat(viaQuorum.err().strip()).startsWith("error: 127.0.0.1:" + quorum + " is not a Brook client port");
  }
}
