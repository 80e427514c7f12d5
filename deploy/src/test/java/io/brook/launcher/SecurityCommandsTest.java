package io.brook.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.brook.broker.BrookNode;
import io.brook.broker.config.NodeConfig;
import io.brook.clients.admin.Admin;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code brook users} and {@code brook acls} against one in-process node with the authorizer on,
 * and the Java Admin authenticating as a user with Kafka's SASL properties. The CLI runs as
 * User:ANONYMOUS, which stands in super.users for the brokers until inter-node mTLS.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SecurityCommandsTest {
  private static BrookNode node;
  private static String bootstrap;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    int grpc = freePort();
    int quorum = freePort();
    node = BrookNode.start(NodeConfig.of(Map.of("node.id", "1", "data.dir", dir.resolve("data").toString(),
        "listen.host", "127.0.0.1", "advertised.host", "127.0.0.1", "grpc.port", "" + grpc, "quorum.port", "" + quorum,
        "http.port", "0", "controller.quorum.voters", "1@127.0.0.1:" + quorum, "authorizer.enabled", "true",
        "super.users", "User:ANONYMOUS")));
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(node::isReady);
    bootstrap = "127.0.0.1:" + grpc;
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  private static int freePort() throws java.io.IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  record Run(int exit, String out, String err) {}

  private static Run run(String stdin, String... args) {
    PrintStream originalOut = System.out;
    PrintStream originalErr = System.err;
    InputStream originalIn = System.in;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
      CommandLine cl = Brook.commandLine();
      cl.setOut(new PrintWriter(System.out, true));
      cl.setErr(new PrintWriter(System.err, true));
      String[] all = new String[args.length + 2];
      System.arraycopy(args, 0, all, 0, args.length);
      all[args.length] = "--bootstrap-server";
      all[args.length + 1] = bootstrap;
      exit = cl.execute(all);
    } finally {
      System.setOut(originalOut);
      System.setErr(originalErr);
      System.setIn(originalIn);
    }
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static Admin as(String user, String password) {
    return new Admin(List.of(bootstrap), 10_000, Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-256", "sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\""
            + password + "\";"));
  }

  @Test
  void usersAreAddedListedWithoutKeysAndDeleted() throws Exception {
    Path pw = dir.resolve("carol.pw");
    Files.writeString(pw, "carol-secret\n");
    Run add = run("", "users", "add", "carol", "--password-file", pw.toString(), "--iterations", "4096");
    assertThat(add.exit()).as(add.err()).isZero();
    Run add512 = run("carol-512\n", "users", "add", "carol", "--mechanism", "SCRAM-SHA-512");
    assertThat(add512.exit()).as(add512.err()).isZero();
    Run list = run("", "users", "list");
    assertThat(list.out()).contains("carol  SCRAM-SHA-256  4096").contains("carol  SCRAM-SHA-512  8192");
    Run json = run("", "users", "list", "carol", "--output", "json");
    assertThat(json.out()).contains("\"name\":\"carol\"").doesNotContainIgnoringCase("salt").doesNotContainIgnoringCase("key");

    try (Admin carol = as("carol", "carol-secret")) {
      assertThat(carol.listTopics(false)).isNotNull(); // authenticated (ListTopics needs no ACL)
    }
    Run delete = run("", "users", "delete", "carol", "--mechanism", "SCRAM-SHA-256");
    assertThat(delete.exit()).as(delete.err()).isZero();
    try (Admin carol = as("carol", "carol-secret")) {
      assertThatThrownBy(() -> carol.listTopics(false)).isInstanceOf(BrookException.class)
          .extracting(e -> ((BrookException) e).code()).isEqualTo(ErrorCode.SASL_AUTHENTICATION_FAILED);
    }
    assertThat(run("", "users", "delete", "carol").exit()).isZero();
    Run missing = run("", "users", "list", "carol");
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err()).contains("RESOURCE_NOT_FOUND");
  }

  @Test
  void badUserInputIsAUsageErrorAndSendsNothing() {
    assertThat(run("pw\n", "users", "add", "dave", "--iterations", "100").exit()).isEqualTo(2);
    assertThat(run("pw\n", "users", "add", "dave", "--mechanism", "PLAIN").exit()).isEqualTo(2);
    Run empty = run("\n", "users", "add", "dave");
    assertThat(empty.exit()).isEqualTo(2);
    assertThat(empty.err()).contains("the password is empty");
    assertThat(run("", "users", "list").out()).doesNotContain("dave");
  }

  @Test
  void aclsGrantAndRevokeWhatAUserMayDo() throws Exception {
    Path pw = dir.resolve("alice.pw");
    Files.writeString(pw, "alice-secret\n");
    assertThat(run("", "users", "add", "alice", "--password-file", pw.toString()).exit()).isZero();
    try (Admin alice = as("alice", "alice-secret")) {
      assertThatThrownBy(() -> alice.createTopic("orders", 1, 1, Map.of())).isInstanceOf(BrookException.class)
          .hasMessageContaining("User:alice is not authorized to Create Topic:orders")
          .extracting(e -> ((BrookException) e).code()).isEqualTo(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      assertThat(run("", "topics", "list").out()).doesNotContain("orders");

      Run add = run("", "acls", "add", "--allow-principal", "User:alice", "--operation", "Create", "--operation",
          "Describe", "--topic", "ord", "--resource-pattern-type", "prefixed");
      assertThat(add.exit()).as(add.err()).isZero();
      alice.createTopic("orders", 1, 1, Map.of());
      assertThat(alice.listTopics(false)).contains("orders");

      Run list = run("", "acls", "list", "--topic", "orders", "--resource-pattern-type", "match");
      assertThat(list.out()).contains("TOPIC          ord   PREFIXED      User:alice  *     CREATE     ALLOW");
      Run remove = run("", "acls", "remove", "--topic", "ord", "--resource-pattern-type", "prefixed",
          "--allow-principal", "User:alice", "--operation", "Create");
      assertThat(remove.exit()).as(remove.err()).isZero();
      assertThat(remove.out()).contains("CREATE").doesNotContain("DESCRIBE");
      assertThatThrownBy(() -> alice.createTopic("ord2", 1, 1, Map.of())).isInstanceOf(BrookException.class)
          .extracting(e -> ((BrookException) e).code()).isEqualTo(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      assertThat(run("", "acls", "remove", "--topic", "ord", "--resource-pattern-type", "prefixed").exit()).isZero();
      assertThat(run("", "acls", "list", "--principal", "User:alice").out().lines().count()).as("only the header")
          .isEqualTo(1);
    }
    try (Admin wrong = as("alice", "wrong")) {
      assertThatThrownBy(() -> wrong.listTopics(false)).isInstanceOf(BrookException.class)
          .extracting(e -> ((BrookException) e).code()).isEqualTo(ErrorCode.SASL_AUTHENTICATION_FAILED);
    }
  }

  @Test
  void producerAndConsumerAuthenticateAndNeedWriteAndRead() throws Exception {
    Path pw = dir.resolve("erin.pw");
    Files.writeString(pw, "erin-secret\n");
    assertThat(run("", "users", "add", "erin", "--password-file", pw.toString()).exit()).isZero();
    assertThat(run("", "topics", "create", "payments", "--partitions", "1").exit()).isZero();
    Map<String, String> props = Map.of("bootstrap.servers", bootstrap, "security.protocol", "SASL_PLAINTEXT",
        "sasl.mechanism", "SCRAM-SHA-256",
        "sasl.username", "erin", "sasl.password", "erin-secret", "delivery.timeout.ms", "4000", "max.block.ms", "3000",
        "request.timeout.ms", "2000", "linger.ms", "0");
    io.brook.clients.internals.SaslClientConfig sasl = io.brook.clients.internals.SaslClientConfig.parse(props);
    io.brook.clients.producer.ProducerConfig.Builder pb = io.brook.clients.producer.ProducerConfig.builder(bootstrap);
    props.forEach(pb::set);
    try (io.brook.clients.producer.Producer producer = new io.brook.clients.producer.Producer(pb.build(), sasl)) {
      assertThatThrownBy(() -> producer.send(new io.brook.clients.producer.ProducerRecord("payments",
          "denied".getBytes(StandardCharsets.UTF_8))).get(20, TimeUnit.SECONDS)).as("no ACL on payments yet: refused, not 'unknown'")
          .hasMessageContaining("User:erin is not authorized to").hasMessageContaining("Topic:payments");
    }
    Run grant = run("", "acls", "add", "--allow-principal", "User:erin", "--producer", "--consumer", "--topic", "payments",
        "--group", "payers");
    assertThat(grant.exit()).as(grant.err()).isZero();
    Run granted = run("", "acls", "list", "--principal", "User:erin");
    assertThat(granted.out().lines().skip(1).map(l -> l.replaceAll(" +", " ")).toList()).containsExactlyInAnyOrder(
        "TOPIC payments LITERAL User:erin * WRITE ALLOW", "TOPIC payments LITERAL User:erin * DESCRIBE ALLOW",
        "TOPIC payments LITERAL User:erin * CREATE ALLOW", "TOPIC payments LITERAL User:erin * READ ALLOW",
        "GROUP payers LITERAL User:erin * READ ALLOW");
    try (io.brook.clients.producer.Producer producer = new io.brook.clients.producer.Producer(pb.build(), sasl)) {
      producer.send(new io.brook.clients.producer.ProducerRecord("payments", "ok".getBytes(StandardCharsets.UTF_8)))
          .get(20, TimeUnit.SECONDS);
    }
    io.brook.clients.consumer.ConsumerConfig cc = io.brook.clients.consumer.ConsumerConfig.fromProperties(Map.of(
        "bootstrap.servers", bootstrap, "auto.offset.reset", "earliest", "security.protocol", "SASL_PLAINTEXT",
        "sasl.mechanism", "SCRAM-SHA-256",
        "sasl.username", "erin", "sasl.password", "erin-secret"));
    try (io.brook.clients.consumer.Consumer consumer = new io.brook.clients.consumer.Consumer(cc, sasl)) {
      consumer.assign(List.of(new io.brook.storage.TopicPartition("payments", 0)));
      List<String> values = new java.util.ArrayList<>();
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(new String(r.value(), StandardCharsets.UTF_8)));
        return !values.isEmpty();
      });
      assertThat(values).containsExactly("ok");
    }
  }

  @Test
  void badAclInputIsRefusedWithOneLine() {
    assertThat(run("", "acls", "add", "--topic", "t").exit()).isEqualTo(2);
    assertThat(run("", "acls", "add", "--allow-principal", "User:a").exit()).isEqualTo(2);
    assertThat(run("", "acls", "add", "--allow-principal", "User:a", "--topic", "t", "--operation", "Fly").exit())
        .isEqualTo(2);
    Run bad = run("", "acls", "add", "--allow-principal", "alice", "--topic", "t");
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.err().strip().lines()).hasSize(1);
    assertThat(bad.err()).contains("not of the form Type:name").contains("INVALID_REQUEST");
    Run host = run("", "acls", "add", "--allow-principal", "User:a", "--allow-host", "example.com", "--topic", "t");
    assertThat(host.exit()).isEqualTo(1);
    assertThat(run("", "acls", "list").out()).doesNotContain("User:a ");
  }
}
