package io.brook.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.brook.clients.admin.Admin;
import io.brook.clients.producer.Partitioner;
import io.brook.clients.producer.Producer;
import io.brook.clients.producer.ProducerConfig;
import io.brook.clients.producer.ProducerRecord;
import io.brook.clients.producer.RecordMetadata;
import io.brook.proto.v1.DescribeGroupResponse;
import io.brook.it.ExampleProcess.Result;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Node.js example client (clients/examples/node) as its README runs it: {@code npm ci}, then
 * brook_example.js against a real node: create a topic, produce plain records (the broker choosing
 * the partition by key exactly as the Java client does), consume them back, Brook's error codes
 * decoded from the google.rpc.Status details, a consumer-group member, and idempotent produce
 * through a proxy that cuts off every first answer: each record is in the topic exactly once.
 *
 * <p>Needs node and npm (Debian: nodejs, npm) and the npm registry. Skipped where they are
 * missing, except under CI (CI=true), where that fails the test rather than skipping it unnoticed.
 */
@Timeout(300)
class NodeClientIT {
  static final Path EXAMPLE = Path.of("..", "clients", "examples", "node").toAbsolutePath().normalize();
  static final Path PROTOS = Path.of("..", "proto", "src", "main", "proto").toAbsolutePath().normalize();

  @TempDir Path work;

  /**
   * The example in a scratch folder with its dependencies installed as its README says ({@code npm
   * ci} from package-lock.json); skips (fails under CI) without node and npm.
   */
  private Path install() throws Exception {
    Result probe = run(work, Map.of(), "bash", "-c", "node --version && npm --version");
    if (probe.exit() != 0 && "true".equals(System.getenv("CI"))) {
      fail("CI must install nodejs and npm: " + probe.out() + probe.err());
    }
    assumeTrue(probe.exit() == 0, "needs node and npm (apt-get install nodejs npm): " + probe.err().strip());
    Path dir = Files.createDirectories(work.resolve("node-example"));
    for (String f : List.of("package.json", "package-lock.json", "brook_example.js")) {
      Files.copy(EXAMPLE.resolve(f), dir.resolve(f));
    }
    Result npm = run(dir, Map.of(), "npm", "ci", "--no-audit", "--no-fund", "--prefer-offline");
    assertThat(npm.exit()).as(npm.out() + npm.err()).isZero();
    assertThat(dir.resolve("node_modules/@grpc/grpc-js/package.json")).isRegularFile();
    return dir;
  }

  @Test
  void producesConsumesAndReadsErrorsFromNode() throws Exception {
    Path example = install();
    try (TestCluster cluster = new TestCluster(work.resolve("cluster"), 1, Map.of()).start()) {
      String bootstrap = cluster.bootstrap();

      Result create = example(example, bootstrap, "create-topic", "js-events", "--partitions", "3");
      assertThat(create.exit()).as(create.err()).isZero();
      assertThat(create.outLines()).containsExactly("Created topic js-events with 3 partition(s)");

      Result produce = example(example, bootstrap, "produce", "js-events", "--partition", "1", "first", "second", "third");
      assertThat(produce.exit()).as(produce.err()).isZero();
      assertThat(produce.outLines()).containsExactly("Produced 3 record(s) to js-events-1 at base offset 0");

      // No --partition: the broker chooses, by key, exactly as the Java client's Partitioner.
      for (String key : List.of("user-1", "user-2", "user-3", "user-4", "order-17")) {
        int expected = Partitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), 3);
        Result keyed = example(example, bootstrap, "produce", "js-events", "--key", key, "v-" + key);
        assertThat(keyed.exit()).as(keyed.err()).isZero();
        assertThat(keyed.outLines()).singleElement(InstanceOfAssertFactories.STRING)
            .startsWith("Produced 1 record(s) to js-events-" + expected + " at base offset ");
      }

      Result consume = example(example, bootstrap, "consume", "js-events", "--partition", "1", "--from-beginning",
          "--max", "3", "--print-offset", "--print-key");
      assertThat(consume.exit()).as(consume.err()).isZero();
      assertThat(consume.outLines()).containsExactly("1:0\tnull\tfirst", "1:1\tnull\tsecond", "1:2\tnull\tthird");

      Result all = example(example, bootstrap, "consume", "js-events", "--from-beginning", "--max", "8");
      assertThat(all.exit()).as(all.err()).isZero();
      assertThat(all.outLines()).containsExactlyInAnyOrder("first", "second", "third", "v-user-1", "v-user-2",
          "v-user-3", "v-user-4", "v-order-17");

      // Errors: the ErrorDetail decoded from the google.rpc.Status details, one line, exit 1.
      Result unknownProduce = example(example, bootstrap, "produce", "no-such-topic", "hello");
      assertThat(unknownProduce.exit()).isEqualTo(1);
      assertThat(unknownProduce.out()).isEmpty();
      assertThat(unknownProduce.errLines()).singleElement(InstanceOfAssertFactories.STRING)
          .isEqualTo("error: UNKNOWN_TOPIC_OR_PARTITION: topic 'no-such-topic' does not exist");

      Result unknownConsume = example(example, bootstrap, "consume", "no-such-topic", "--max", "1");
      assertThat(unknownConsume.exit()).isEqualTo(1);
      assertThat(unknownConsume.errLines()).singleElement(InstanceOfAssertFactories.STRING)
          .startsWith("error: UNKNOWN_TOPIC_OR_PARTITION: ").contains("no-such-topic");

      Result outOfRange = example(example, bootstrap, "consume", "js-events", "--partition", "1", "--offset", "99");
      assertThat(outOfRange.exit()).isEqualTo(1);
      assertThat(outOfRange.errLines()).singleElement(InstanceOfAssertFactories.STRING)
          .startsWith("error: OFFSET_OUT_OF_RANGE: ");

      Result exists = example(example, bootstrap, "create-topic", "js-events");
      assertThat(exists.exit()).isEqualTo(1);
      assertThat(exists.errLines()).singleElement(InstanceOfAssertFactories.STRING).startsWith("error: TOPIC_ALREADY_EXISTS: ");
    }
  }

  /** The Node group member joins, is given every partition, prints every record once and commits. */
  @Test
  void aNodeMemberConsumesAsAGroupMember() throws Exception {
    Path example = install();
    try (TestCluster cluster = new TestCluster(work.resolve("cluster"), 1,
            Map.of("group.consumer.heartbeat.interval.ms", "500")).start();
        Admin admin = new Admin(cluster.bootstrapList(), 30_000);
        Producer producer = new Producer(ProducerConfig.builder(cluster.bootstrapList().toArray(String[]::new)).build())) {
      admin.createTopic("js-group", 2, 1, Map.of());
      List<String> sent = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        String v = String.format("g-%03d", i);
        sent.add(v);
        RecordMetadata m = producer.send(new ProducerRecord("js-group", ("k" + i).getBytes(StandardCharsets.UTF_8),
            v.getBytes(StandardCharsets.UTF_8))).get(60, TimeUnit.SECONDS);
        assertThat(m.offset()).isGreaterThanOrEqualTo(0);
      }
      Result member = example(example, cluster.bootstrap(), "group-consume", "js", "js-group", "--from-beginning",
          "--max", "40");
      assertThat(member.exit()).as(member.err()).isZero();
      assertThat(member.outLines()).extracting(l -> l.substring(l.lastIndexOf(' ') + 1))
          .containsExactlyInAnyOrderElementsOf(sent);
      // It committed what it printed and left: the group is empty with no lag.
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        DescribeGroupResponse g = admin.describeGroup("js");
        assertThat(g.getMembersCount()).isZero();
        assertThat(g.getOffsetsList()).hasSize(2).allSatisfy(o -> assertThat(o.getLag()).isZero());
      });
    }
  }

  /**
   * Idempotent produce with lost answers: a proxy cuts the connection after each request has
   * reached the broker, before its answer; the example resends it with the same producer id,
   * epoch and sequence, and the topic holds each record exactly once. (Before issue 12 the
   * broker ignored the producer fields of a plain-record request and appended every resend.)
   */
  @Test
  void idempotentRetriesFromNodeLeaveNoDuplicates() throws Exception {
    Path example = install();
    try (TestCluster cluster = new TestCluster(work.resolve("cluster"), 1, Map.of()).start();
        Admin admin = new Admin(cluster.bootstrapList(), 30_000)) {
      admin.createTopic("js-once", 2, 1, Map.of());
      List<String> values = IntStream.range(0, 10).mapToObj(i -> String.format("once-%02d", i)).toList();
      String[] target = cluster.bootstrap().split(",")[0].split(":");
      try (ResponseDroppingProxy proxy = new ResponseDroppingProxy(target[0], Integer.parseInt(target[1]),
          "once-".getBytes(StandardCharsets.UTF_8))) {
        List<String> args = new ArrayList<>(List.of("produce", "js-once", "--partition", "1", "--idempotent",
            "--batch-size", "2", "--retries", "5"));
        args.addAll(values);
        Result produce = example(example, proxy.address(), args.toArray(String[]::new));
        assertThat(produce.exit()).as(produce.err()).isZero();
        assertThat(proxy.cuts()).as("every request's first answer was cut off").isEqualTo(5);
        assertThat(produce.errLines()).as("each request was resent").filteredOn(l -> l.startsWith("retrying after "))
            .hasSizeGreaterThanOrEqualTo(5);
        assertThat(produce.outLines()).containsExactly(
            "Produced 2 record(s) to js-once-1 at base offset 0", "Produced 2 record(s) to js-once-1 at base offset 2",
            "Produced 2 record(s) to js-once-1 at base offset 4", "Produced 2 record(s) to js-once-1 at base offset 6",
            "Produced 2 record(s) to js-once-1 at base offset 8");
      }
      Result consume = example(example, cluster.bootstrap(), "consume", "js-once", "--partition", "1", "--from-beginning",
          "--timeout-ms", "3000");
      assertThat(consume.exit()).as(consume.err()).isZero();
      assertThat(consume.outLines()).as("each record exactly once").containsExactlyElementsOf(values);
    }
  }

  private Result example(Path example, String bootstrap, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("node", example.resolve("brook_example.js").toString()));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--bootstrap-server", bootstrap, "--request-timeout-ms", "20000"));
    return run(example, Map.of("BROOK_PROTO_DIR", PROTOS.toString()), cmd.toArray(String[]::new));
  }

  private Result run(Path dir, Map<String, String> env, String... cmd) throws IOException, InterruptedException {
    return ExampleProcess.run(work, dir, "NODE_", env, Duration.ofSeconds(240), cmd);
  }
}
