package io.brook.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.brook.clients.admin.Admin;
import io.brook.clients.producer.Producer;
import io.brook.clients.producer.ProducerConfig;
import io.brook.clients.producer.ProducerRecord;
import io.brook.proto.v1.DescribeGroupResponse;
import io.brook.proto.v1.GroupMemberDescription;
import io.brook.proto.v1.GroupTopicPartitions;
import io.brook.it.ExampleProcess.Result;
import io.brook.security.DevCertificates;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python example client (clients/examples/python) as its README runs it: stubs generated from
 * proto/ by its generate.sh, then brook_example.py against a real node: create a topic, produce
 * plain records with a key and a header, consume them back (Metadata, ListOffsets, Fetch with
 * RECORD_FORMAT_RECORDS), and Brook's error codes read from the grpc-status-details-bin trailer;
 * and over TLS as a SCRAM user, with the authorizer on (issue 13).
 *
 * <p>Needs Debian's python3-grpcio, protobuf-compiler and protobuf-compiler-grpc. Skipped where
 * they are missing, except under CI (CI=true), where a missing package fails the test rather
 * than skipping it unnoticed.
 */
@Timeout(300)
class PythonClientIT {
  static final Path EXAMPLE = Path.of("..", "clients", "examples", "python").toAbsolutePath().normalize();
  static final String PYTHON = "/usr/bin/python3";

  @TempDir Path work;

  /** Generates the stubs as the example's README says; skips (fails under CI) without the Debian packages. */
  private Path generateStubs() throws Exception {
    Result probe = run(Map.of(), "bash", "-c",
        "command -v protoc && command -v grpc_python_plugin && " + PYTHON + " -c 'import grpc; print(grpc.__version__)'");
    if (probe.exit() != 0 && "true".equals(System.getenv("CI"))) {
      fail("CI must install python3-grpcio protobuf-compiler protobuf-compiler-grpc: " + probe.out() + probe.err());
    }
    assumeTrue(probe.exit() == 0,
        "needs " + PYTHON + " with grpc, protoc and grpc_python_plugin (apt-get install python3-grpcio protobuf-compiler "
            + "protobuf-compiler-grpc): " + probe.err().strip());

    Path generated = work.resolve("generated");
    Result gen = run(Map.of(), "bash", EXAMPLE.resolve("generate.sh").toString(), generated.toString());
    assertThat(gen.exit()).as(gen.err()).isZero();
    assertThat(generated.resolve("brook/v1/broker_pb2_grpc.py")).isRegularFile();
    assertThat(generated.resolve("brook/v1/admin_pb2_grpc.py")).isRegularFile();
    assertThat(generated.resolve("brook/v1/groups_pb2_grpc.py")).isRegularFile();
    return generated;
  }

  @Test
  void producesAndConsumesPlainRecordsFromPython() throws Exception {
    Path generated = generateStubs();
    try (TestCluster cluster = new TestCluster(work.resolve("cluster"), 1, Map.of()).start()) {
      String bootstrap = cluster.bootstrap();

      Result create = example(generated, bootstrap, "create-topic", "py-events", "--partitions", "2");
      assertThat(create.exit()).as(create.err()).isZero();
      assertThat(create.outLines()).containsExactly("Created topic py-events with 2 partition(s)");

      Result produce = example(generated, bootstrap, "produce", "py-events", "--partition", "1", "--key", "user-1",
          "--header", "source=python", "first", "second", "third");
      assertThat(produce.exit()).as(produce.err()).isZero();
      assertThat(produce.outLines()).containsExactly("Produced 3 record(s) to py-events-1 at base offset 0");

      // Every partition (found with Metadata), from the earliest offset (ListOffsets): partition 0
      // is empty and long-polls while partition 1 answers.
      Result consume = example(generated, bootstrap, "consume", "py-events", "--from-beginning", "--max", "3");
      assertThat(consume.exit()).as(consume.err()).isZero();
      assertThat(consume.outLines()).containsExactly("first", "second", "third");

      Result withMetadata = example(generated, bootstrap, "consume", "py-events", "--partition", "1", "--from-beginning",
          "--max", "3", "--print-offset", "--print-key", "--print-headers");
      assertThat(withMetadata.exit()).as(withMetadata.err()).isZero();
      assertThat(withMetadata.outLines()).containsExactly(
          "1:0\tuser-1\tsource=python\tfirst", "1:1\tuser-1\tsource=python\tsecond", "1:2\tuser-1\tsource=python\tthird");

      // No key: a null key comes back as null; the next batch continues the offsets.
      Result noKey = example(generated, bootstrap, "produce", "py-events", "--partition", "1", "fourth");
      assertThat(noKey.outLines()).as(noKey.err()).containsExactly("Produced 1 record(s) to py-events-1 at base offset 3");
      Result fromOffset = example(generated, bootstrap, "consume", "py-events", "--partition", "1", "--offset", "3",
          "--max", "1", "--print-key");
      assertThat(fromOffset.outLines()).as(fromOffset.err()).containsExactly("null\tfourth");

      // Errors: the ErrorDetail from the grpc-status-details-bin trailer, one line, non-zero exit.
      Result unknownProduce = example(generated, bootstrap, "produce", "no-such-topic", "hello");
      assertThat(unknownProduce.exit()).isEqualTo(1);
      assertThat(unknownProduce.out()).isEmpty();
      assertThat(unknownProduce.errLines()).singleElement(InstanceOfAssertFactories.STRING)
          .startsWith("error: UNKNOWN_TOPIC_OR_PARTITION: ").contains("no-such-topic");

      Result unknownConsume = example(generated, bootstrap, "consume", "no-such-topic", "--max", "1");
      assertThat(unknownConsume.exit()).isEqualTo(1);
      assertThat(unknownConsume.errLines()).singleElement(InstanceOfAssertFactories.STRING)
          .startsWith("error: UNKNOWN_TOPIC_OR_PARTITION: ").contains("no-such-topic");

      Result outOfRange = example(generated, bootstrap, "consume", "py-events", "--partition", "1", "--offset", "99");
      assertThat(outOfRange.exit()).isEqualTo(1);
      assertThat(outOfRange.errLines()).singleElement(InstanceOfAssertFactories.STRING).startsWith("error: OFFSET_OUT_OF_RANGE: ");

      Result exists = example(generated, bootstrap, "create-topic", "py-events");
      assertThat(exists.exit()).isEqualTo(1);
      assertThat(exists.errLines()).singleElement(InstanceOfAssertFactories.STRING).startsWith("error: TOPIC_ALREADY_EXISTS: ");

      // SASL_PLAINTEXT: the user goes with the call over a plaintext channel too; the node checks it
      // (authentication runs with the authorizer off), and there is no user "nobody".
      Path nobody = properties("nobody.properties", "security.protocol=SASL_PLAINTEXT", "sasl.mechanism=SCRAM-SHA-256",
          "sasl.username=nobody", "sasl.password=secret");
      Result unknownUser = example(generated, bootstrap, "produce", "py-events", "--partition", "1", "sneaky",
          "--command-config", nobody.toString());
      assertThat(unknownUser.exit()).isEqualTo(1);
      assertThat(unknownUser.out()).isEmpty();
      assertThat(unknownUser.errLines()).singleElement(InstanceOfAssertFactories.STRING)
          .startsWith("error: SASL_AUTHENTICATION_FAILED: ");
    }
  }

  /**
   * brook_group_consumer.py in one group with a Java member (`brook consume --group`): they share
   * the partitions, every record is printed, none twice (both leave cleanly, committing what they
   * printed), and when the Python member leaves the Java one takes its partitions over.
   */
  @Test
  void aPythonMemberSharesAGroupWithAJavaMember() throws Exception {
    Path generated = generateStubs();
    try (TestCluster cluster = new TestCluster(work.resolve("cluster"), 1,
            Map.of("group.consumer.heartbeat.interval.ms", "500")).start();
        Admin admin = new Admin(cluster.bootstrapList(), 30_000);
        Producer producer = new Producer(ProducerConfig.builder(cluster.bootstrapList().toArray(String[]::new)).build())) {
      admin.createTopic("mixed", 4, 1, Map.of());
      List<String> sent = new ArrayList<>();
      produce(producer, sent, 200);

      Path javaOut = work.resolve("java-member.out");
      Process java = Cli.start(work, Map.of(), javaOut, "consume", "mixed", "--group", "mix", "--from-beginning",
          "--bootstrap-server", cluster.bootstrap());
      Path pyOut = work.resolve("python-member.out");
      Path pyErr = work.resolve("python-member.err");
      ProcessBuilder pb = new ProcessBuilder(PYTHON, EXAMPLE.resolve("brook_group_consumer.py").toString(),
          "--bootstrap-server", cluster.bootstrap(), "mix", "mixed", "--from-beginning").directory(work.toFile());
      pb.environment().keySet().removeIf(k -> k.startsWith("BROOK_") || k.startsWith("PYTHON"));
      pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
      pb.environment().put("PYTHONPATH", generated.toString());
      pb.redirectOutput(pyOut.toFile()).redirectError(pyErr.toFile());
      Process python = pb.start();
      try {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
          DescribeGroupResponse g = admin.describeGroup("mix");
          return g.getState().equals("Stable") && g.getMembersCount() == 2
              && g.getMembersList().stream().allMatch(m -> m.getAssignmentList().stream()
                  .mapToInt(GroupTopicPartitions::getPartitionsCount).sum() == 2);
        });
        assertThat(admin.describeGroup("mix").getMembersList()).extracting(GroupMemberDescription::getClientId)
            .as("one Java and one Python member").hasSize(2).doesNotHaveDuplicates();
        produce(producer, sent, 200);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
            assertThat(printed(javaOut, pyOut)).containsAll(sent));
        assertThat(pythonValues(pyOut)).as("the Python member consumed its share").isNotEmpty();

        python.destroy(); // SIGTERM: commit and leave
        assertThat(python.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(python.exitValue()).as(Files.readString(pyErr)).isZero();
        produce(producer, sent, 200);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
            assertThat(printed(javaOut, pyOut)).containsAll(sent));
        List<String> all = new ArrayList<>(javaValues(javaOut));
        all.addAll(pythonValues(pyOut));
        assertThat(all).as("no record consumed twice: every hand-over was committed").doesNotHaveDuplicates();
      } finally {
        python.destroyForcibly();
        java.destroy();
        java.waitFor(60, TimeUnit.SECONDS);
        java.destroyForcibly();
      }
    }
  }

  /**
   * Idempotent produce with lost answers: a proxy cuts the connection after each request has
   * reached the broker, before its answer; brook_example.py resends it with the same producer id,
   * epoch and sequence, and the topic holds each record exactly once. (Before issue 12 the broker
   * ignored the producer fields of a plain-record request and appended every resend.)
   */
  @Test
  void idempotentRetriesFromPythonLeaveNoDuplicates() throws Exception {
    Path generated = generateStubs();
    try (TestCluster cluster = new TestCluster(work.resolve("cluster"), 1, Map.of()).start();
        Admin admin = new Admin(cluster.bootstrapList(), 30_000)) {
      admin.createTopic("py-once", 2, 1, Map.of());
      List<String> values = java.util.stream.IntStream.range(0, 10).mapToObj(i -> String.format("once-%02d", i)).toList();
      String[] target = cluster.bootstrap().split(",")[0].split(":");
      try (ResponseDroppingProxy proxy = new ResponseDroppingProxy(target[0], Integer.parseInt(target[1]),
          "once-".getBytes(StandardCharsets.UTF_8))) {
        List<String> args = new ArrayList<>(List.of("produce", "py-once", "--partition", "0", "--idempotent",
            "--batch-size", "2", "--retries", "5"));
        args.addAll(values);
        Result produce = example(generated, proxy.address(), args.toArray(String[]::new));
        assertThat(produce.exit()).as(produce.err()).isZero();
        assertThat(proxy.cuts()).as("every request's first answer was cut off").isEqualTo(5);
        assertThat(produce.errLines()).as("each request was resent").filteredOn(l -> l.startsWith("retrying after "))
            .hasSizeGreaterThanOrEqualTo(5);
        assertThat(produce.outLines()).containsExactly(
            "Produced 2 record(s) to py-once-0 at base offset 0", "Produced 2 record(s) to py-once-0 at base offset 2",
            "Produced 2 record(s) to py-once-0 at base offset 4", "Produced 2 record(s) to py-once-0 at base offset 6",
            "Produced 2 record(s) to py-once-0 at base offset 8");
      }
      Result consume = example(generated, cluster.bootstrap(), "consume", "py-once", "--partition", "0",
          "--from-beginning", "--timeout-ms", "3000");
      assertThat(consume.exit()).as(consume.err()).isZero();
      assertThat(consume.outLines()).as("each record exactly once").containsExactlyElementsOf(values);

      // No --partition: the broker chooses by key, as the Java client's Partitioner does.
      for (String key : List.of("user-1", "user-2", "user-3", "order-17")) {
        int expected = io.brook.clients.producer.Partitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), 2);
        Result keyed = example(generated, cluster.bootstrap(), "produce", "py-once", "--key", key, "v");
        assertThat(keyed.outLines()).as(keyed.err()).singleElement(InstanceOfAssertFactories.STRING)
            .startsWith("Produced 1 record(s) to py-once-" + expected + " at base offset ");
      }
    }
  }

  /**
   * Issue 13: the example over TLS as a user, on one node with TLS and the authorizer on. The
   * admin (a client certificate, a super user) creates a topic, the SCRAM user bob and bob's ACLs
   * with the Java CLI; brook_example.py creates a topic over mutual TLS with the admin's
   * certificate; bob, with a SASL_SSL file holding only the CA and his password, produces and
   * consumes, and joins a group with brook_group_consumer.py. A wrong password, a plaintext
   * client against the TLS port, and bob on a topic without ACLs each fail with one line and
   * write nothing; inconsistent files are refused (exit 2) before anything is sent.
   */
  @Test
  void producesAndConsumesOverTlsAsAScramUser() throws Exception {
    Path generated = generateStubs();
    Path certs = work.resolve("certs");
    DevCertificates.create(certs, List.of(1), List.of("admin"), List.of(), DevCertificates.DEFAULT_VALIDITY);
    String ca = "ssl.ca.certificates=" + certs.resolve("ca.pem");
    Path admin = properties("admin.properties", "security.protocol=SSL", ca,
        "ssl.certificate=" + certs.resolve("client-admin.pem"), "ssl.private.key=" + certs.resolve("client-admin.key"));
    Path bob = properties("bob.properties", "# bob: TLS with only the CA, and his password", "security.protocol=SASL_SSL", ca,
        "sasl.mechanism=SCRAM-SHA-256",
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\",
        "    username=\"bob\" password=\"bob-secret\";");
    Path wrong = properties("wrong.properties", "security.protocol=SASL_SSL", ca, "sasl.mechanism=SCRAM-SHA-256",
        "sasl.username=bob", "sasl.password=not-it");
    Path plain = properties("plain.properties", "security.protocol=PLAINTEXT");
    Path password = work.resolve("bob.password");
    Files.writeString(password, "bob-secret\n");

    Map<String, String> node = Map.of("security.protocol", "SSL",
        "ssl.certificate", certs.resolve("node-1.pem").toString(), "ssl.private.key", certs.resolve("node-1.key").toString(),
        "ssl.ca.certificates", certs.resolve("ca.pem").toString(), "authorizer.enabled", "true",
        "ssl.principal.mapping.rules", "RULE:^CN=(.*)$/$1/,DEFAULT", "super.users", "User:brook-1;User:admin",
        "group.consumer.heartbeat.interval.ms", "500");
    try (TestCluster cluster = new TestCluster(work.resolve("cluster"), 1, node).start()) {
      String bootstrap = cluster.bootstrap();
      assertThat(bootstrap).as("the dev certificate names 127.0.0.1").startsWith("127.0.0.1:");
      Map<String, String> env = Map.of("BROOK_BOOTSTRAP_SERVER", bootstrap);
      for (String[] command : List.of(
          new String[] {"topics", "create", "py-secure", "--partitions", "1", "--replication-factor", "1"},
          new String[] {"users", "add", "bob", "--password-file", password.toString()},
          new String[] {"acls", "add", "--allow-principal", "User:bob", "--operation", "Write", "--operation", "Read",
              "--operation", "Describe", "--topic", "py-secure"},
          new String[] {"acls", "add", "--allow-principal", "User:bob", "--operation", "Read", "--group", "py-group"})) {
        List<String> args = new ArrayList<>(List.of(command));
        args.addAll(List.of("--command-config", admin.toString()));
        Cli.Result r = Cli.run(work, env, null, args.toArray(String[]::new));
        assertThat(r.exit()).as(String.join(" ", command) + ": " + r.err()).isZero();
      }

      // SSL with a client certificate (mutual TLS): the admin, a super user, from Python.
      Result other = example(generated, bootstrap, "create-topic", "py-other", "--partitions", "1",
          "--replication-factor", "1", "--command-config", admin.toString());
      assertThat(other.exit()).as(other.err()).isZero();
      assertThat(other.outLines()).containsExactly("Created topic py-other with 1 partition(s)");

      // SASL_SSL: bob, with the CA and his password.
      Result produce = example(generated, bootstrap, "produce", "py-secure", "--partition", "0", "first", "second", "third",
          "--command-config", bob.toString());
      assertThat(produce.exit()).as(produce.err()).isZero();
      assertThat(produce.outLines()).containsExactly("Produced 3 record(s) to py-secure-0 at base offset 0");
      Result consume = example(generated, bootstrap, "consume", "py-secure", "--from-beginning", "--max", "3",
          "--command-config", bob.toString());
      assertThat(consume.exit()).as(consume.err()).isZero();
      assertThat(consume.outLines()).containsExactly("first", "second", "third");
      Result member = ExampleProcess.run(work, work, "PYTHON",
          Map.of("PYTHONPATH", generated.toString(), "PYTHONDONTWRITEBYTECODE", "1"), Duration.ofSeconds(120),
          PYTHON, EXAMPLE.resolve("brook_group_consumer.py").toString(), "--bootstrap-server", bootstrap,
          "--command-config", bob.toString(), "py-group", "py-secure", "--from-beginning", "--max", "3",
          "--duration-s", "60");
      assertThat(member.exit()).as(member.err()).isZero();
      assertThat(member.outLines()).as(member.err()).containsExactly("0 0 first", "0 1 second", "0 2 third");

      // A wrong password: one line, refused before anything runs.
      Result badPassword = example(generated, bootstrap, "produce", "py-secure", "--partition", "0", "sneaky",
          "--command-config", wrong.toString());
      assertThat(badPassword.exit()).isEqualTo(1);
      assertThat(badPassword.out()).isEmpty();
      assertThat(badPassword.errLines()).singleElement(InstanceOfAssertFactories.STRING)
          .startsWith("error: SASL_AUTHENTICATION_FAILED: ").contains("authentication failed");

      // Plaintext against the TLS port: one line that says what to set.
      Result plaintext = example(generated, bootstrap, "produce", "py-secure", "--partition", "0", "sneaky",
          "--command-config", plain.toString());
      assertThat(plaintext.exit()).isEqualTo(1);
      assertThat(plaintext.errLines()).singleElement(InstanceOfAssertFactories.STRING)
          .startsWith("error: gRPC UNAVAILABLE: ").contains("security.protocol=SSL");

      // bob has no ACL on py-other: refused by the authorizer, produce and consume alike.
      Result denied = example(generated, bootstrap, "produce", "py-other", "--partition", "0", "sneaky",
          "--command-config", bob.toString());
      assertThat(denied.exit()).isEqualTo(1);
      assertThat(denied.errLines()).singleElement(InstanceOfAssertFactories.STRING)
          .startsWith("error: TOPIC_AUTHORIZATION_FAILED: ").contains("User:bob").contains("Topic:py-other");
      Result deniedRead = example(generated, bootstrap, "consume", "py-other", "--max", "1",
          "--command-config", bob.toString());
      assertThat(deniedRead.exit()).isEqualTo(1);
      assertThat(deniedRead.errLines()).singleElement(InstanceOfAssertFactories.STRING)
          .startsWith("error: TOPIC_AUTHORIZATION_FAILED: ");

      // Inconsistent files: one line naming the file, exit 2 (the Java client's rules).
      Map<Path, String> refused = Map.of(
          properties("no-user.properties", "security.protocol=SASL_SSL", ca), "security.protocol=SASL_SSL needs a user",
          properties("sasl-under-ssl.properties", "security.protocol=SSL", ca, "sasl.mechanism=SCRAM-SHA-256",
              "sasl.username=bob", "sasl.password=x"), "but security.protocol is SSL: set security.protocol=SASL_SSL",
          properties("ssl-under-plaintext.properties", "security.protocol=PLAINTEXT", ca),
              "ssl.ca.certificates is set but security.protocol is PLAINTEXT",
          properties("no-ca.properties", "security.protocol=SSL"), "ssl.ca.certificates is not set",
          properties("bad-jaas.properties", "security.protocol=SASL_SSL", ca, "sasl.mechanism=SCRAM-SHA-256",
              "sasl.jaas.config=ScramLoginModule required username=\"bob\""), "sasl.jaas.config must end with ';'");
      for (Map.Entry<Path, String> e : refused.entrySet()) {
        Result r = example(generated, bootstrap, "produce", "py-secure", "--partition", "0", "sneaky",
            "--command-config", e.getKey().toString());
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.errLines()).singleElement(InstanceOfAssertFactories.STRING)
            .startsWith("error: " + e.getKey() + ": ").contains(e.getValue());
      }

      // Nothing the refused calls sent was written.
      Result all = example(generated, bootstrap, "consume", "py-secure", "--from-beginning", "--timeout-ms", "2000",
          "--command-config", admin.toString());
      assertThat(all.outLines()).as(all.err()).containsExactly("first", "second", "third");
      Result otherTopic = example(generated, bootstrap, "consume", "py-other", "--from-beginning", "--timeout-ms", "2000",
          "--command-config", admin.toString());
      assertThat(otherTopic.exit()).as(otherTopic.err()).isZero();
      assertThat(otherTopic.out()).isEmpty();
    }
  }

  private Path properties(String name, String... lines) throws IOException {
    Path file = work.resolve(name);
    Files.writeString(file, String.join("\n", lines) + "\n");
    return file;
  }

  private static void produce(Producer producer, List<String> sent, int n) throws Exception {
    List<java.util.concurrent.CompletableFuture<?>> acks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String value = String.format("p-%06d", sent.size());
      sent.add(value);
      acks.add(producer.send(new ProducerRecord("mixed", ("k" + i).getBytes(StandardCharsets.UTF_8),
          value.getBytes(StandardCharsets.UTF_8))));
    }
    for (java.util.concurrent.CompletableFuture<?> f : acks) {
      f.get(60, TimeUnit.SECONDS);
    }
  }

  private static List<String> javaValues(Path out) throws IOException {
    return Files.exists(out) ? Files.readAllLines(out).stream().filter(l -> l.matches("p-\\d{6}")).toList() : List.of();
  }

  /** Lines `partition offset value`. */
  private static List<String> pythonValues(Path out) throws IOException {
    return Files.exists(out) ? Files.readAllLines(out).stream().map(l -> l.substring(l.lastIndexOf(' ') + 1))
        .filter(v -> v.matches("p-\\d{6}")).toList() : List.of();
  }

  private static java.util.Set<String> printed(Path javaOut, Path pyOut) throws IOException {
    java.util.Set<String> all = new java.util.HashSet<>(javaValues(javaOut));
    all.addAll(pythonValues(pyOut));
    return all;
  }

  private Result example(Path generated, String bootstrap, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(PYTHON, EXAMPLE.resolve("brook_example.py").toString()));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--bootstrap-server", bootstrap, "--request-timeout-ms", "20000"));
    return run(Map.of("PYTHONPATH", generated.toString()), cmd.toArray(String[]::new));
  }

  private Result run(Map<String, String> env, String... cmd) throws IOException, InterruptedException {
    Map<String, String> all = new java.util.HashMap<>(env);
    all.put("PYTHONDONTWRITEBYTECODE", "1");
    return ExampleProcess.run(work, work, "PYTHON", all, Duration.ofSeconds(120), cmd);
  }
}
