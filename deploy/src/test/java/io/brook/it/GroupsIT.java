package io.brook.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.brook.clients.admin.Admin;
import io.brook.clients.producer.Producer;
import io.brook.clients.producer.ProducerConfig;
import io.brook.clients.producer.ProducerRecord;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.CommittedOffset;
import io.brook.proto.v1.ConsumerGroupHeartbeatRequest;
import io.brook.proto.v1.ConsumerGroupHeartbeatResponse;
import io.brook.proto.v1.DescribeGroupResponse;
import io.brook.proto.v1.GroupMemberDescription;
import io.brook.proto.v1.GroupServiceGrpc;
import io.brook.proto.v1.GroupTopicPartitions;
import io.brook.proto.v1.OffsetCommitPartition;
import io.brook.proto.v1.OffsetCommitRequest;
import io.brook.storage.TopicPartition;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Consumer groups on three real node processes (RF=3), with group members as real
 * {@code brook consume --group} processes killed by PID: three members share six partitions two
 * each; a fourth joining moves only the partitions it takes; a member killed with SIGKILL loses its
 * partitions to the others within the session timeout and no record is lost (duplicates bounded by
 * what the dead member printed); two groups on one topic each see every record; a coordinator
 * (active controller) failover keeps the assignment; reset-offsets is refused while members are
 * active and works once they left; a stale member's commit is refused; committed offsets survive a
 * SIGKILL of their {@code __consumer_offsets} leader and a restart of every node.
 */
@Timeout(600)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GroupsIT {
  private static final Pattern VALUE = Pattern.compile("v-\\d{6}");
  private static final String TOPIC = "g-orders";
  /** The cluster's group.consumer.session.timeout.ms. */
  private static final long SESSION_TIMEOUT_MS = 6_000;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS) static Path root;
  private TestCluster cluster;
  private Admin admin;
  private Producer producer;
  private int produced;
  private final List<Member> members = new ArrayList<>();

  /** One {@code brook consume --group} process; its stdout lines are the values it printed. */
  final class Member {
    final String name;
    final Path log;
    final Process process;

    Member(String name, String group) throws IOException {
      this.name = name;
      this.log = root.resolve(name + ".log");
      this.process = Cli.start(root, Map.of(), log, "consume", TOPIC, "--group", group, "--from-beginning",
          "--bootstrap-server", cluster.bootstrap());
      members.add(this);
    }

    List<String> values() throws IOException {
      if (!Files.exists(log)) {
        return List.of();
      }
      return Files.readAllLines(log, StandardCharsets.UTF_8).stream().filter(l -> VALUE.matcher(l).matches()).toList();
    }

    void kill() throws InterruptedException {
      process.destroyForcibly(); // SIGKILL to the PID this test started (bin/brook execs the JVM)
      process.waitFor(30, TimeUnit.SECONDS);
    }

    void stop() throws InterruptedException {
      process.destroy(); // SIGTERM: the console consumer commits and leaves the group
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  @BeforeAll
  void startCluster() throws Exception {
    cluster = new TestCluster(root.resolve("cluster"), 3,
        Map.of("group.consumer.session.timeout.ms", String.valueOf(SESSION_TIMEOUT_MS),
            "group.consumer.heartbeat.interval.ms", "500")).start();
    admin = new Admin(cluster.bootstrapList(), 30_000);
    await().atMost(Duration.ofSeconds(60)).until(() -> admin.describeCluster().getBrokersList().stream()
        .filter(b -> !b.getFenced()).count() == 3);
    admin.createTopic(TOPIC, 6, 3, Map.of());
    await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> admin.describeTopic(TOPIC).getTopic()
        .getPartitionsList().stream().allMatch(p -> p.getLeader() > 0 && p.getIsrCount() == 3));
    producer = new Producer(ProducerConfig.builder(cluster.bootstrapList().toArray(String[]::new)).build());
  }

  @AfterAll
  void stopCluster() throws Exception {
    for (Member m : members) {
      m.process.destroyForcibly();
      m.process.waitFor(30, TimeUnit.SECONDS);
    }
    if (producer != null) {
      producer.close();
    }
    if (admin != null) {
      admin.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Produces {@code n} more keyed records with values v-000000, v-000001, ... and waits for every ack. */
  private List<String> produce(int n) throws Exception {
    List<CompletableFuture<?>> acks = new ArrayList<>();
    List<String> values = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String value = String.format("v-%06d", produced++);
      values.add(value);
      acks.add(producer.send(new ProducerRecord(TOPIC, ("k" + (produced % 50)).getBytes(StandardCharsets.UTF_8),
          value.getBytes(StandardCharsets.UTF_8))));
    }
    for (CompletableFuture<?> f : acks) {
      f.get(120, TimeUnit.SECONDS);
    }
    return values;
  }

  private static Map<String, Set<Integer>> assignments(DescribeGroupResponse g) {
    Map<String, Set<Integer>> out = new TreeMap<>();
    for (GroupMemberDescription m : g.getMembersList()) {
      Set<Integer> ps = new HashSet<>();
      for (GroupTopicPartitions tp : m.getAssignmentList()) {
        ps.addAll(tp.getPartitionsList());
      }
      out.put(m.getMemberId(), ps);
    }
    return out;
  }

  /** Waits until the group is Stable with {@code count} members owning all six partitions once. */
  private Map<String, Set<Integer>> awaitStable(String group, int count, Duration within) {
    Map<String, Set<Integer>>[] result = new Map[1];
    await().atMost(within).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
      DescribeGroupResponse g = admin.describeGroup(group);
      Map<String, Set<Integer>> a = assignments(g);
      List<Integer> all = a.values().stream().flatMap(Set::stream).sorted().toList();
      result[0] = a;
      return g.getState().equals("Stable") && a.size() == count && all.equals(List.of(0, 1, 2, 3, 4, 5));
    });
    return result[0];
  }

  private static Set<String> union(List<Member> ms) throws IOException {
    Set<String> seen = new HashSet<>();
    for (Member m : ms) {
      seen.addAll(m.values());
    }
    return seen;
  }

  @Test
  @Order(1)
  void membersShareThePartitionsAJoinerMovesOnlyWhatItTakesAndAKilledMembersPartitionsMove() throws Exception {
    List<String> sent = new ArrayList<>(produce(600));
    Member a = new Member("a", "g1");
    Member b = new Member("b", "g1");
    Member c = new Member("c", "g1");
    Member other = new Member("other-group", "g2");
    Map<String, Set<Integer>> three = awaitStable("g1", 3, Duration.ofSeconds(90));
    assertThat(three.values()).as("three members, two partitions each").allSatisfy(ps -> assertThat(ps).hasSize(2));
    await().atMost(Duration.ofSeconds(60)).until(() -> union(List.of(a, b, c)).containsAll(sent));

    // A fourth member: the three keep what they still own; only the joiner's partitions moved.
    Member d = new Member("d", "g1");
    sent.addAll(produce(300));
    Map<String, Set<Integer>> four = awaitStable("g1", 4, Duration.ofSeconds(60));
    Set<String> joiners = new HashSet<>(four.keySet());
    joiners.removeAll(three.keySet());
    assertThat(joiners).hasSize(1);
    String joiner = joiners.iterator().next();
    int moved = 0;
    for (Map.Entry<String, Set<Integer>> e : three.entrySet()) {
      Set<Integer> now = four.get(e.getKey());
      assertThat(e.getValue()).as("member %s only gives partitions up, never receives others'", e.getKey())
          .containsAll(now);
      moved += e.getValue().size() - now.size();
    }
    assertThat(moved).as("partitions moved = partitions the joiner took").isEqualTo(four.get(joiner).size());
    await().atMost(Duration.ofSeconds(60)).until(() -> union(List.of(a, b, c, d)).containsAll(sent));

    // The coordinator is the active controller: kill -9 its node; the assignment stays.
    int controller = admin.describeCluster().getLeaderId();
    Map<String, Set<Integer>> beforeFailover = four;
    cluster.node(controller).kill();
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
        .until(() -> admin.describeCluster().getLeaderId() > 0 && admin.describeCluster().getLeaderId() != controller);
    assertThat(awaitStable("g1", 4, Duration.ofSeconds(60))).as("failover keeps every member and assignment")
        .isEqualTo(beforeFailover);
    cluster.node(controller).start();
    cluster.node(controller).awaitReady(Duration.ofSeconds(90));
    sent.addAll(produce(300));

    // SIGKILL a member: its partitions move to the others within the session timeout.
    Member victim = a;
    victim.kill();
    long killedAt = System.nanoTime();
    Map<String, Set<Integer>> afterDeath = awaitStable("g1", 3, Duration.ofMillis(SESSION_TIMEOUT_MS + 20_000));
    long settledMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
    System.out.printf("GROUPS-IT: partitions of a killed member moved after %d ms (session timeout %d ms)%n",
        settledMs, SESSION_TIMEOUT_MS);
    assertThat(afterDeath.keySet()).hasSize(3);
    sent.addAll(produce(300));
    List<Member> alive = List.of(b, c, d);
    await().atMost(Duration.ofSeconds(90)).untilAsserted(() ->
        assertThat(union(List.of(a, b, c, d))).as("no acknowledged record lost").containsAll(sent));

    // At-least-once: a record is printed twice only if the killed member printed it without committing.
    Map<String, Integer> counts = new HashMap<>();
    for (Member m : List.of(a, b, c, d)) {
      for (String v : m.values()) {
        counts.merge(v, 1, Integer::sum);
      }
    }
    Set<String> byVictim = new HashSet<>(victim.values());
    List<String> duplicates = counts.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
    assertThat(duplicates).as("only records the killed member printed come twice").allMatch(byVictim::contains);
    assertThat(counts.values()).as("never three times").allMatch(n -> n <= 2);
    for (Member m : alive) {
      assertThat(m.process.isAlive()).as(m.name).isTrue();
    }

    // The other group saw every record, independently.
    await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(other.values()).containsAll(sent));
    assertThat(other.values()).as("a single member of its own group reads each record once").doesNotHaveDuplicates();
  }

  @Test
  @Order(2)
  void resetOffsetsIsRefusedWhileMembersAreActiveAndWorksAfterwards() throws Exception {
    Cli.Result refused = Cli.run(root, Map.of(), null, "groups", "reset-offsets", "g1", "--topic", TOPIC,
        "--to-earliest", "--execute", "--bootstrap-server", cluster.bootstrap());
    assertThat(refused.exit()).as(refused.out() + refused.err()).isNotZero();
    assertThat(refused.err()).contains("g1");

    for (Member m : members) {
      if (m.process.isAlive()) {
        m.stop();
      }
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> admin.describeGroup("g1").getState().equals("Empty"));
    DescribeGroupResponse empty = admin.describeGroup("g1");
    assertThat(empty.getOffsetsList()).as("every partition committed at its end")
        .hasSize(6).allSatisfy(o -> assertThat(o.getLag()).isZero());

    Cli.Result dryRun = Cli.run(root, Map.of(), null, "groups", "reset-offsets", "g1", "--topic", TOPIC,
        "--to-earliest", "--bootstrap-server", cluster.bootstrap());
    assertThat(dryRun.exit()).as(dryRun.err()).isZero();
    assertThat(admin.describeGroup("g1").getOffsetsList()).as("a dry run changes nothing")
        .allSatisfy(o -> assertThat(o.getLag()).isZero());

    Cli.Result reset = Cli.run(root, Map.of(), null, "groups", "reset-offsets", "g1", "--topic", TOPIC,
        "--to-earliest", "--execute", "--bootstrap-server", cluster.bootstrap());
    assertThat(reset.exit()).as(reset.err()).isZero();
    DescribeGroupResponse after = admin.describeGroup("g1");
    assertThat(after.getOffsetsList()).hasSize(6).allSatisfy(o -> assertThat(o.getCommitted()).isZero());
    assertThat(after.getOffsetsList().stream().mapToLong(o -> o.getLag()).sum()).isEqualTo(produced);

    // A member started now re-reads everything from the reset offsets.
    Member again = new Member("again", "g1");
    await().atMost(Duration.ofSeconds(90)).until(() -> again.values().size() >= produced);
    again.stop();
  }

  @Test
  @Order(3)
  void aStaleMembersCommitIsRefused() throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(cluster.node(2).grpcAddress()).usePlaintext().build();
    try {
      GroupServiceGrpc.GroupServiceBlockingStub groups = GroupServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(30, TimeUnit.SECONDS);
      ConsumerGroupHeartbeatRequest join = ConsumerGroupHeartbeatRequest.newBuilder().setGroupId("g3")
          .setMemberEpoch(0).addSubscribedTopicNames(TOPIC).build();
      ConsumerGroupHeartbeatResponse joined = groups.consumerGroupHeartbeat(join);
      String memberId = joined.getMemberId();
      int epoch = joined.getMemberEpoch();
      OffsetCommitRequest commit = OffsetCommitRequest.newBuilder().setGroupId("g3").setMemberId(memberId)
          .setMemberEpoch(epoch).addPartitions(OffsetCommitPartition.newBuilder().setTopic(TOPIC).setPartition(0)
              .setOffset(5).setLeaderEpoch(-1)).build();
      groups.withDeadlineAfter(30, TimeUnit.SECONDS).offsetCommit(commit);

      // A second member joins: the group epoch moves on; the first member's epoch moves when it
      // heartbeats. A commit with its old epoch is then stale.
      ConsumerGroupHeartbeatResponse second = groups.withDeadlineAfter(30, TimeUnit.SECONDS)
          .consumerGroupHeartbeat(join);
      assertThat(second.getMemberId()).isNotEqualTo(memberId);
      int[] newEpoch = {epoch};
      List<GroupTopicPartitions>[] owned = new List[] {joined.getAssignmentList()};
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        ConsumerGroupHeartbeatResponse r = groups.withDeadlineAfter(30, TimeUnit.SECONDS).consumerGroupHeartbeat(
            ConsumerGroupHeartbeatRequest.newBuilder().setGroupId("g3").setMemberId(memberId)
                .setMemberEpoch(newEpoch[0]).addSubscribedTopicNames(TOPIC)
                .addAllOwnedPartitions(owned[0]).build());
        owned[0] = r.getAssignmentList();
        newEpoch[0] = r.getMemberEpoch();
        return newEpoch[0] > epoch;
      });
      // Refused once the coordinator's metadata shows the new epoch (it follows the controller's
      // within milliseconds; until then the old epoch is still the current one there).
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        BrookException stale = WireErrors.toException(catchThrowable(() ->
            groups.withDeadlineAfter(30, TimeUnit.SECONDS).offsetCommit(commit)));
        assertThat(stale.code()).isEqualTo(ErrorCode.STALE_MEMBER_EPOCH);
      });

      // After it leaves, its commits are refused as an unknown member's.
      groups.withDeadlineAfter(30, TimeUnit.SECONDS).consumerGroupHeartbeat(ConsumerGroupHeartbeatRequest.newBuilder()
          .setGroupId("g3").setMemberId(memberId).setMemberEpoch(-1).build());
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        BrookException unknown = WireErrors.toException(catchThrowable(() ->
            groups.withDeadlineAfter(30, TimeUnit.SECONDS).offsetCommit(commit.toBuilder()
                .setMemberEpoch(newEpoch[0]).build())));
        assertThat(unknown.code()).isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);
      });
      assertThat(admin.fetchOffsets("g3", List.of(TOPIC))).extracting(CommittedOffset::getOffset).containsExactly(5L);
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @Order(4)
  void committedOffsetsSurviveAKillOfTheirLeaderAndARestartOfEveryNode() throws Exception {
    Map<TopicPartition, Long> offsets = new HashMap<>();
    for (int p = 0; p < 6; p++) {
      offsets.put(new TopicPartition(TOPIC, p), 10L + p);
    }
    admin.commitOffsets("g4", offsets);
    List<CommittedOffset> committed = admin.fetchOffsets("g4", List.of(TOPIC));
    assertThat(committed).hasSize(6);

    ManagedChannel channel = ManagedChannelBuilder.forTarget(cluster.node(1).grpcAddress()).usePlaintext().build();
    int coordinator;
    try {
      coordinator = GroupServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
          .findCoordinator(io.brook.proto.v1.FindCoordinatorRequest.newBuilder().setGroupId("g4").build())
          .getCoordinator().getId();
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    cluster.node(coordinator).kill();
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() ->
        assertThat(offsetsOf(admin.fetchOffsets("g4", List.of(TOPIC)))).isEqualTo(offsetsOf(committed)));
    cluster.node(coordinator).start();
    cluster.node(coordinator).awaitReady(Duration.ofSeconds(90));

    for (int id = 1; id <= 3; id++) {
      cluster.node(id).kill(); // every node down at once, without a controlled shutdown
    }
    for (int id = 1; id <= 3; id++) {
      cluster.node(id).start();
    }
    for (int id = 1; id <= 3; id++) {
      cluster.node(id).awaitReady(Duration.ofSeconds(90));
    }
    await().atMost(Duration.ofSeconds(90)).ignoreExceptions().untilAsserted(() ->
        assertThat(offsetsOf(admin.fetchOffsets("g4", List.of(TOPIC)))).isEqualTo(offsetsOf(committed)));
  }

  /**
   * A member that has printed nothing still commits where it started (the log end here), as
   * Kafka's console consumer does: the group shows no lag and a next owner starts there, not
   * from the log start. An unknown topic with --group fails at once, as it does without.
   */
  @Test
  @Order(5)
  void aMemberThatPrintedNothingCommitsWhereItStartedAndAnUnknownTopicFails() throws Exception {
    Member idle = new Member("idle", "g5");
    // Member passes --from-beginning; g5 has no offsets, so it starts at the start and prints
    // everything, then commits the end; either way every partition must end at lag 0.
    await().atMost(Duration.ofSeconds(90)).ignoreExceptions().untilAsserted(() ->
        assertThat(admin.describeGroup("g5").getOffsetsList()).hasSize(6)
            .allSatisfy(o -> assertThat(o.getLag()).isZero()));
    idle.stop();

    Process quiet = Cli.start(root, Map.of(), root.resolve("quiet.log"), "consume", TOPIC, "--group", "g6",
        "--bootstrap-server", cluster.bootstrap());
    try {
      await().atMost(Duration.ofSeconds(90)).ignoreExceptions().untilAsserted(() -> {
        DescribeGroupResponse g = admin.describeGroup("g6");
        assertThat(g.getOffsetsList()).as("the start position (the end) committed without printing")
            .hasSize(6).allSatisfy(o -> {
              assertThat(o.getCommitted()).isEqualTo(o.getLogEnd());
              assertThat(o.getLag()).isZero();
            });
      });
      assertThat(Files.readAllLines(root.resolve("quiet.log")).stream().filter(l -> VALUE.matcher(l).matches()))
          .as("nothing printed").isEmpty();
    } finally {
      quiet.destroy();
      quiet.waitFor(60, TimeUnit.SECONDS);
    }

    Cli.Result unknown = Cli.run(root, Map.of(), null, "consume", "no-such-topic", "--group", "g7",
        "--timeout-ms", "3000", "--bootstrap-server", cluster.bootstrap());
    assertThat(unknown.exit()).isNotZero();
    assertThat(unknown.err()).contains("UNKNOWN_TOPIC_OR_PARTITION").contains("no-such-topic");
  }

  private static Map<Integer, Long> offsetsOf(List<CommittedOffset> offsets) {
    Map<Integer, Long> out = new TreeMap<>();
    offsets.forEach(o -> out.put(o.getPartition(), o.getOffset()));
    return out;
  }

  private static Throwable catchThrowable(Runnable r) {
    try {
      r.run();
    } catch (Throwable t) {
      return t;
    }
    throw new AssertionError("expected a failure");
  }
}
