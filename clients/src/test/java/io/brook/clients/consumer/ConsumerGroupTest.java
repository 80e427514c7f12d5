package io.brook.clients.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.brook.proto.errors.BrookException;
import io.brook.clients.testing.FakeBrook;
import io.brook.clients.testing.FakeBrook.Received;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.v1.ConsumerGroupHeartbeatRequest;
import io.brook.proto.v1.OffsetCommitRequest;
import io.brook.storage.TopicPartition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The consumer's group protocol (KIP-848 member side) against {@link FakeBrook}. */
class ConsumerGroupTest {
  private static final TopicPartition T0 = new TopicPartition("t", 0);
  private static final TopicPartition T1 = new TopicPartition("t", 1);
  private static final Duration WAIT = Duration.ofSeconds(15);

  private FakeBrook fake;
  private final List<Consumer> consumers = new ArrayList<>();

  /** What a listener saw, in order: "assigned [t-0]", "revoked ...", "lost ...". */
  static final class Events implements ConsumerRebalanceListener {
    final List<String> events = new CopyOnWriteArrayList<>();
    final List<Long> times = new CopyOnWriteArrayList<>();

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      add("revoked", partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      add("assigned", partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      add("lost", partitions);
    }

    private void add(String what, Collection<TopicPartition> partitions) {
      events.add(what + " " + partitions.stream().map(tp -> tp.topic() + "-" + tp.partition()).sorted().toList());
      times.add(System.currentTimeMillis());
    }
  }

  @BeforeEach
  void start() throws Exception {
    fake = new FakeBrook();
    fake.createTopic("t", 2);
    fake.append("t", 0, 10);
    fake.append("t", 1, 10);
  }

  @AfterEach
  void stop() throws Exception {
    for (Consumer c : consumers) {
      try {
        c.close(Duration.ofSeconds(2));
      } catch (RuntimeException ignored) {
        // already closed or failed on purpose
      }
    }
    fake.close();
  }

  private ConsumerConfig config(String group) {
    return ConsumerConfig.defaults(fake.address()).withGroupId(group).withRequestTimeoutMs(5_000).withFetchMaxWaitMs(50)
        .withAutoOffsetReset("earliest");
  }

  private Consumer consumer(ConsumerConfig config) {
    Consumer c = new Consumer(config);
    consumers.add(c);
    return c;
  }

  /** Polls until {@code n} records arrived (or fails after WAIT). */
  private static List<ConsumerRecord> pollRecords(Consumer c, int n) {
    List<ConsumerRecord> out = new ArrayList<>();
    await().atMost(WAIT).until(() -> {
      out.addAll(c.poll(Duration.ofMillis(50)));
      return out.size() >= n;
    });
    return out;
  }

  private static Set<TopicPartition> owned(Received<ConsumerGroupHeartbeatRequest> r) {
    return FakeBrook.toSet(r.request().getOwnedPartitionsList());
  }

  @Test
  void subscribeAssignsAndPollsFromCommittedOffsets() {
    fake.setCommitted("g", T0, 3);
    fake.setCommitted("g", T1, 5);
    Events events = new Events();
    Consumer c = consumer(config("g").withClientId("app-1"));
    c.subscribe(List.of("t"), events);

    List<ConsumerRecord> records = pollRecords(c, 12);

    assertThat(events.events).containsExactly("assigned [t-0, t-1]");
    assertThat(records).hasSize(12);
    assertThat(records.stream().filter(r -> r.partition() == 0).mapToLong(ConsumerRecord::offset).min().getAsLong()).isEqualTo(3);
    assertThat(records.stream().filter(r -> r.partition() == 1).mapToLong(ConsumerRecord::offset).min().getAsLong()).isEqualTo(5);
    assertThat(c.assignment()).containsExactlyInAnyOrder(T0, T1);
    // The join carried the subscription, epoch 0 and client id; later heartbeats report what it owns.
    ConsumerGroupHeartbeatRequest join = fake.heartbeats.get(0).request();
    assertThat(join.getMemberEpoch()).isZero();
    assertThat(join.getMemberId()).isEmpty();
    assertThat(join.getSubscribedTopicNamesList()).containsExactly("t");
    assertThat(join.getClientId()).isEqualTo("app-1");
    await().atMost(WAIT).until(() -> fake.heartbeatsOf(c.memberId()).stream().anyMatch(r -> owned(r).equals(Set.of(T0, T1))));
    assertThat(c.memberEpoch()).isPositive();
  }

  @Test
  void revocationCommitsThenCallsBackThenAcknowledgesAtOnceBeforeHandOver() {
    fake.heartbeatIntervalMs(1_500);
    Events a = new Events();
    Consumer ca = consumer(config("g"));
    ca.subscribe(List.of("t"), a);
    pollRecords(ca, 20);
    String idA = ca.memberId();

    Events b = new Events();
    Consumer cb = consumer(config("g"));
    cb.subscribe(List.of("t"), b);
    await().atMost(WAIT).until(() -> {
      ca.poll(Duration.ofMillis(20));
      cb.poll(Duration.ofMillis(20));
      return b.events.size() == 1 && a.events.size() == 2;
    });

    // A gave up exactly one partition, the one B now has.
    assertThat(a.events.get(1)).startsWith("revoked");
    String moved = a.events.get(1).substring("revoked ".length());
    assertThat(b.events).containsExactly("assigned " + moved);
    TopicPartition movedTp = moved.equals("[t-0]") ? T0 : T1;
    // Its position was committed before the callback (auto-commit), as the member A.
    assertThat(fake.commits).anySatisfy(r -> {
      assertThat(r.request().getMemberId()).isEqualTo(idA);
      assertThat(r.request().getPartitionsList()).anySatisfy(p -> {
        assertThat(new TopicPartition(p.getTopic(), p.getPartition())).isEqualTo(movedTp);
        assertThat(p.getOffset()).isEqualTo(10);
      });
      assertThat(r.atMs()).isLessThanOrEqualTo(a.times.get(1));
    });
    assertThat(fake.committed("g")).containsEntry(movedTp, 10L);
    // A acknowledged at once (well within its 1.5 s interval) by a heartbeat without the partition.
    long revokedAt = a.times.get(1);
    Received<ConsumerGroupHeartbeatRequest> ack = fake.heartbeatsOf(idA).stream()
        .filter(r -> r.atMs() >= revokedAt && !owned(r).contains(movedTp)).findFirst().orElseThrow();
    assertThat(ack.atMs() - revokedAt).isLessThan(700);
    // B got it only after that acknowledgment.
    assertThat(b.times.get(0)).isGreaterThanOrEqualTo(ack.atMs());
    assertThat(ca.assignment()).doesNotContain(movedTp);
  }

  @Test
  void fencedMemberLosesEverythingAndRejoinsWithTheSameIdAndEpochZero() {
    Events events = new Events();
    Consumer c = consumer(config("g").withEnableAutoCommit(false));
    c.subscribe(List.of("t"), events);
    pollRecords(c, 20);
    String id = c.memberId();
    int commitsBefore = fake.commits.size();

    fake.failNextHeartbeatOf(id, ErrorCode.FENCED_MEMBER_EPOCH);
    await().atMost(WAIT).until(() -> {
      c.poll(Duration.ofMillis(20));
      return events.events.size() >= 3;
    });

    assertThat(events.events).containsExactly("assigned [t-0, t-1]", "lost [t-0, t-1]", "assigned [t-0, t-1]");
    Received<ConsumerGroupHeartbeatRequest> rejoin = fake.heartbeatsOf(id).stream()
        .filter(r -> r.request().getMemberEpoch() == 0).findFirst().orElseThrow();
    assertThat(owned(rejoin)).isEmpty();
    assertThat(c.memberId()).isEqualTo(id);
    assertThat(fake.commits).hasSize(commitsBefore); // lost partitions are not committed
  }

  @Test
  void unknownMemberRejoinsWithANewId() {
    Events events = new Events();
    Consumer c = consumer(config("g"));
    c.subscribe(List.of("t"), events);
    pollRecords(c, 20);
    String id = c.memberId();

    fake.failNextHeartbeatOf(id, ErrorCode.UNKNOWN_MEMBER_ID);
    await().atMost(WAIT).until(() -> {
      c.poll(Duration.ofMillis(20));
      return events.events.size() >= 3;
    });

    assertThat(events.events.get(1)).isEqualTo("lost [t-0, t-1]");
    assertThat(fake.heartbeats).anySatisfy(r -> {
      assertThat(r.request().getMemberId()).isEmpty();
      assertThat(r.request().getMemberEpoch()).isZero();
    });
    assertThat(c.memberId()).isNotEqualTo(id).isNotEmpty();
  }

  @Test
  void transientHeartbeatErrorsAreRetried() {
    fake.heartbeatErrors.add(ErrorCode.NOT_CONTROLLER);
    fake.heartbeatErrors.add(ErrorCode.REQUEST_TIMED_OUT);
    Events events = new Events();
    Consumer c = consumer(config("g"));
    c.subscribe(List.of("t"), events);
    pollRecords(c, 20);
    assertThat(events.events).containsExactly("assigned [t-0, t-1]");
    assertThat(fake.heartbeats.size()).isGreaterThanOrEqualTo(3);
  }

  @Test
  void fatalHeartbeatErrorIsThrownFromPoll() {
    fake.heartbeatErrors.add(ErrorCode.UNSUPPORTED_ASSIGNOR);
    Consumer c = consumer(config("g").withGroupRemoteAssignor("range"));
    c.subscribe(List.of("t"));
    assertThatThrownBy(() -> await().atMost(WAIT).until(() -> c.poll(Duration.ofMillis(20)).size() < 0))
        .isInstanceOfSatisfying(io.brook.proto.errors.BrookException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED_ASSIGNOR));
    assertThat(fake.heartbeats.get(0).request().getServerAssignor()).isEqualTo("range");
  }

  @Test
  void autoCommitCommitsPositionsFromPoll() {
    Consumer c = consumer(config("g").withAutoCommitIntervalMs(100));
    c.subscribe(List.of("t"));
    pollRecords(c, 20);
    await().atMost(WAIT).until(() -> {
      c.poll(Duration.ofMillis(20));
      return fake.committed("g").equals(Map.of(T0, 10L, T1, 10L));
    });
    assertThat(fake.commits).allSatisfy(r -> assertThat(r.request().getMemberId()).isEqualTo(c.memberId()));
  }

  @Test
  void noAutoCommitWhenDisabled() {
    Consumer c = consumer(config("g").withAutoCommitIntervalMs(50).withEnableAutoCommit(false));
    c.subscribe(List.of("t"));
    pollRecords(c, 20);
    for (int i = 0; i < 5; i++) {
      c.poll(Duration.ofMillis(30));
    }
    assertThat(fake.commits).isEmpty();
    c.commitSync();
    assertThat(fake.committed("g")).isEqualTo(Map.of(T0, 10L, T1, 10L));
  }

  @Test
  void commitSyncWithStaleEpochWaitsForAHeartbeatAndRetries() {
    fake.heartbeatIntervalMs(2_000);
    Consumer c = consumer(config("g").withEnableAutoCommit(false));
    c.subscribe(List.of("t"));
    pollRecords(c, 20);
    fake.commitErrors.add(ErrorCode.STALE_MEMBER_EPOCH);
    int heartbeatsBefore = fake.heartbeats.size();

    c.commitSync(Map.of(T0, new OffsetAndMetadata(7, "note")));

    assertThat(fake.commits).hasSize(2);
    // A heartbeat was sent between the two attempts, long before the 2 s interval was up.
    long first = fake.commits.get(0).atMs();
    long second = fake.commits.get(1).atMs();
    assertThat(fake.heartbeats.subList(heartbeatsBefore, fake.heartbeats.size()))
        .anySatisfy(r -> assertThat(r.atMs()).isBetween(first, second));
    assertThat(second - first).isLessThan(1_500);
    assertThat(fake.committed("g")).containsEntry(T0, 7L);
    assertThat(c.committed(Set.of(T0, T1))).containsEntry(T0, new OffsetAndMetadata(7, -1, "")).containsEntry(T1, null);
  }

  @Test
  void commitOfARemovedMemberFailsWithCommitFailedException() {
    Consumer c = consumer(config("g").withEnableAutoCommit(false));
    c.subscribe(List.of("t"));
    pollRecords(c, 20);
    fake.commitErrors.add(ErrorCode.UNKNOWN_MEMBER_ID);
    assertThatThrownBy(c::commitSync).isInstanceOf(CommitFailedException.class).hasMessageContaining("UNKNOWN_MEMBER_ID");
    // Transient errors are retried.
    fake.commitErrors.add(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    c.commitSync();
    assertThat(fake.committed("g")).isEqualTo(Map.of(T0, 10L, T1, 10L));
  }

  @Test
  void commitAsyncCallsBackFromPoll() {
    Consumer c = consumer(config("g").withEnableAutoCommit(false));
    c.subscribe(List.of("t"));
    pollRecords(c, 20);
    List<Object> results = new CopyOnWriteArrayList<>();
    c.commitAsync((offsets, e) -> {
      // on the thread calling poll(), not the consumer's own threads
      assertThat(Thread.currentThread().getName()).doesNotStartWith("brook-");
      results.add(e == null ? offsets : e);
    });
    await().atMost(WAIT).until(() -> {
      c.poll(Duration.ofMillis(20));
      return !results.isEmpty();
    });
    assertThat(results).containsExactly(Map.of(T0, new OffsetAndMetadata(10), T1, new OffsetAndMetadata(10)));
  }

  @Test
  void closeCommitsRevokesAndLeaves() {
    Events events = new Events();
    Consumer c = consumer(config("g"));
    c.subscribe(List.of("t"), events);
    pollRecords(c, 20);
    String id = c.memberId();
    c.close(Duration.ofSeconds(5));

    assertThat(fake.committed("g")).isEqualTo(Map.of(T0, 10L, T1, 10L));
    assertThat(events.events).containsExactly("assigned [t-0, t-1]", "revoked [t-0, t-1]");
    List<Received<ConsumerGroupHeartbeatRequest>> mine = fake.heartbeatsOf(id);
    assertThat(mine.get(mine.size() - 1).request().getMemberEpoch()).isEqualTo(-1);
    assertThat(fake.memberIds("g")).isEmpty();
    assertThatThrownBy(() -> c.poll(Duration.ZERO)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void staticMemberLeavesWithEpochMinusTwo() {
    Consumer c = consumer(config("g").withGroupInstanceId("i-1"));
    c.subscribe(List.of("t"));
    pollRecords(c, 20);
    String id = c.memberId();
    c.close(Duration.ofSeconds(5));
    List<Received<ConsumerGroupHeartbeatRequest>> mine = fake.heartbeatsOf(id);
    ConsumerGroupHeartbeatRequest last = mine.get(mine.size() - 1).request();
    assertThat(last.getMemberEpoch()).isEqualTo(-2);
    assertThat(last.getInstanceId()).isEqualTo("i-1");
  }

  @Test
  void autoOffsetResetNoneThrowsWithoutCommittedOffsets() {
    Consumer c = consumer(config("g").withAutoOffsetReset("none"));
    c.subscribe(List.of("t"));
    assertThatThrownBy(() -> await().atMost(WAIT).until(() -> c.poll(Duration.ofMillis(20)).size() < 0))
        .isInstanceOf(NoOffsetForPartitionException.class)
        .satisfies(e -> assertThat(((NoOffsetForPartitionException) e).partitions()).isNotEmpty());
  }

  @Test
  void autoOffsetResetEarliestAndLatestWithoutCommittedOffsets() {
    Consumer early = consumer(config("g1").withAutoOffsetReset("earliest"));
    early.subscribe(List.of("t"));
    assertThat(pollRecords(early, 20)).hasSize(20);

    Consumer late = consumer(config("g2").withAutoOffsetReset("latest"));
    late.subscribe(List.of("t"));
    await().atMost(WAIT).until(() -> {
      assertThat(late.poll(Duration.ofMillis(20))).isEmpty();
      return late.assignment().size() == 2 && late.position(T0).isPresent() && late.position(T1).isPresent();
    });
    assertThat(late.position(T0).getAsLong()).isEqualTo(10);
    fake.append("t", 0, 1);
    assertThat(pollRecords(late, 1).get(0).offset()).isEqualTo(10);
  }

  @Test
  void regexSubscriptionIsSentAsARegex() {
    fake.createTopic("other", 1);
    Consumer c = consumer(config("g").withAutoOffsetReset("earliest"));
    c.subscribe(Pattern.compile("t|oth.*"), null);
    pollRecords(c, 20);
    ConsumerGroupHeartbeatRequest join = fake.heartbeats.get(0).request();
    assertThat(join.getSubscribedTopicRegex()).isEqualTo("t|oth.*");
    assertThat(join.getSubscribedTopicNamesList()).isEmpty();
    assertThat(c.assignment()).contains(new TopicPartition("other", 0));
  }

  @Test
  void unsubscribeRevokesAndLeavesThenAssignWorks() {
    Events events = new Events();
    Consumer c = consumer(config("g").withEnableAutoCommit(false));
    c.subscribe(List.of("t"), events);
    pollRecords(c, 20);
    c.unsubscribe();
    assertThat(events.events).containsExactly("assigned [t-0, t-1]", "revoked [t-0, t-1]");
    assertThat(fake.memberIds("g")).isEmpty();
    assertThat(c.assignment()).isEmpty();
    c.assign(List.of(T0));
    c.seek(T0, 4);
    assertThat(pollRecords(c, 6).get(0).offset()).isEqualTo(4);
  }

  @Test
  void assignAndSubscribeAreExclusive() {
    Consumer c = consumer(config("g"));
    c.assign(List.of(T0));
    assertThatThrownBy(() -> c.subscribe(List.of("t"))).isInstanceOf(IllegalStateException.class).hasMessageContaining("mutually exclusive");
    c.unsubscribe();
    c.subscribe(List.of("t"));
    assertThatThrownBy(() -> c.assign(List.of(T0))).isInstanceOf(IllegalStateException.class).hasMessageContaining("mutually exclusive");
    assertThatThrownBy(() -> c.subscribe(List.of("bad name!"))).isInstanceOf(IllegalArgumentException.class);

    Consumer noGroup = consumer(ConsumerConfig.defaults(fake.address()));
    assertThatThrownBy(() -> noGroup.subscribe(List.of("t"))).isInstanceOf(IllegalStateException.class).hasMessageContaining("group.id");
    assertThatThrownBy(() -> noGroup.commitSync(Map.of(T0, new OffsetAndMetadata(1)))).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void assignedConsumerWithAGroupCommitsAsATool() {
    Consumer c = consumer(config("g").withEnableAutoCommit(false));
    c.assign(List.of(T0));
    c.seek(T0, 2);
    pollRecords(c, 8);
    c.commitSync();
    OffsetCommitRequest r = fake.commits.get(0).request();
    assertThat(r.getMemberId()).isEmpty();
    assertThat(r.getMemberEpoch()).isEqualTo(-1);
    assertThat(fake.committed("g")).isEqualTo(Map.of(T0, 10L));
    assertThat(fake.heartbeats).isEmpty();
  }

  /**
   * A topic the first metadata answer lacks (a broker whose image lags the controller) is looked
   * for again before it is called unknown; a topic that really does not exist still fails.
   */
  @Test
  void aTopicMissingFromTheFirstMetadataAnswerIsLookedForAgain() throws Exception {
    Consumer c = consumer(ConsumerConfig.defaults(fake.address()).withRequestTimeoutMs(5_000));
    Thread late = new Thread(() -> {
      try {
        Thread.sleep(600);
        fake.createTopic("late", 3);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    late.start();
    assertThat(c.partitionsFor("late")).hasSize(3);
    late.join();
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> c.partitionsFor("never")).isInstanceOf(BrookException.class).hasMessageContaining("does not exist");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
  }
}
