package io.brook.metadata.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.brook.metadata.MockTime;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.metadata.v1.AllocateProducerIdsRequest;
import io.brook.proto.metadata.v1.AllocateProducerIdsResponse;
import io.brook.proto.metadata.v1.AlterPartitionRequest;
import io.brook.proto.metadata.v1.AlterTopicConfigRequest;
import io.brook.proto.metadata.v1.AlterTopicConfigResponse;
import io.brook.proto.metadata.v1.BrokerHeartbeatRequest;
import io.brook.proto.metadata.v1.BrokerHeartbeatResponse;
import io.brook.proto.metadata.v1.CreatableTopic;
import io.brook.proto.metadata.v1.CreatePartitionsRequest;
import io.brook.proto.metadata.v1.CreatePartitionsResponse;
import io.brook.proto.metadata.v1.CreateTopicsRequest;
import io.brook.proto.metadata.v1.DeleteGroupsRequest;
import io.brook.proto.metadata.v1.DeleteTopicsRequest;
import io.brook.proto.metadata.v1.GroupHeartbeatRequest;
import io.brook.proto.v1.ConsumerGroupHeartbeatRequest;
import io.brook.proto.v1.ConsumerGroupHeartbeatResponse;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.PartitionState;
import io.brook.proto.metadata.v1.RegisterBrokerRequest;
import io.brook.proto.metadata.v1.TopicConfigRecord;
import io.brook.proto.metadata.v1.TopicIdPartition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class QuorumControllerTest {
    static final long SESSION_MS = 1_000;
    /** Below the session timeout, so tests can pass it while keeping brokers alive. */
    static final long CHECK_INTERVAL_MS = 600;

    final MockTime time = new MockTime();
    final InMemoryMetadataLog log = new InMemoryMetadataLog(5);
    QuorumController controller = controller(new AutoLeaderRebalance(true, CHECK_INTERVAL_MS, 1_000));

    QuorumController controller(AutoLeaderRebalance rebalance) {
        return new QuorumController(1, log, time, SESSION_MS, 5_000, "", new Random(42), rebalance);
    }

    /** Replaces the controller (before the test has written anything) by one with other settings. */
    void useController(AutoLeaderRebalance rebalance) {
        controller.close();
        controller = controller(rebalance);
    }

    @AfterEach
    void tearDown() {
        controller.close();
        log.close();
    }

    long register(int id, String incarnation) {
        return controller.registerBroker(RegisterBrokerRequest.newBuilder().setBrokerId(id)
                .setIncarnationId(incarnation).setHost("127.0.0.1").putPorts("grpc", 9000 + id).build())
                .join().getBrokerEpoch();
    }

    BrokerHeartbeatResponse heartbeat(int id, long epoch) {
        return controller.brokerHeartbeat(BrokerHeartbeatRequest.newBuilder().setBrokerId(id).setBrokerEpoch(epoch)
                .setMetadataAppliedIndex(log.image().appliedIndex()).build()).join();
    }

    /** Registers and unfences brokers 1..n; returns their epochs by id. */
    Map<Integer, Long> brokers(int n) {
        Map<Integer, Long> epochs = new java.util.HashMap<>();
        for (int id = 1; id <= n; id++) {
            long epoch = register(id, "inc-" + id);
            epochs.put(id, epoch);
            assertThat(heartbeat(id, epoch).getFenced()).isFalse();
        }
        return epochs;
    }

    TopicImage createTopic(String name, int partitions, int rf) {
        controller.createTopics(CreateTopicsRequest.newBuilder().addTopics(CreatableTopic.newBuilder()
                .setName(name).setPartitions(partitions).setReplicationFactor(rf)).build()).join();
        return log.image().topicByName(name).orElseThrow();
    }

    static BrookException error(CompletableFuture<?> f) {
        Throwable t = catchThrowable(f::join);
        assertThat(t).isInstanceOf(CompletionException.class).hasCauseInstanceOf(BrookException.class);
        return (BrookException) t.getCause();
    }

    @Test
    void consumerGroupHeartbeatsGoThroughTheLogAndSilentMembersExpire() {
        brokers(1);
        TopicImage t = createTopic("orders", 2, 1);
        ConsumerGroupHeartbeatResponse r = controller.consumerGroupHeartbeat(GroupHeartbeatRequest.newBuilder()
                .setClientHost("10.1.2.3").setRequest(ConsumerGroupHeartbeatRequest.newBuilder().setGroupId("g")
                        .setMemberEpoch(0).addSubscribedTopicNames("orders")).build()).join();
        assertThat(r.getMemberEpoch()).isEqualTo(1);
        assertThat(r.getAssignmentList()).singleElement().satisfies(a -> {
            assertThat(a.getTopicId()).isEqualTo(t.id());
            assertThat(a.getPartitionsList()).containsExactly(0, 1);
        });
        assertThat(log.image().groups().get("g").members().get(r.getMemberId()).clientHost()).isEqualTo("10.1.2.3");
        long index = log.image().appliedIndex();
        controller.consumerGroupHeartbeat(GroupHeartbeatRequest.newBuilder().setRequest(ConsumerGroupHeartbeatRequest
                .newBuilder().setGroupId("g").setMemberId(r.getMemberId()).setMemberEpoch(1)
                .addSubscribedTopicNames("orders").addAllOwnedPartitions(r.getAssignmentList())).build()).join();
        assertThat(log.image().appliedIndex()).as("an idle heartbeat appends nothing").isEqualTo(index);
        assertThat(error(controller.deleteGroups(DeleteGroupsRequest.newBuilder().addGroupIds("g").build())).code())
                .isEqualTo(ErrorCode.GROUP_NOT_EMPTY);
        time.advanceMs(10_000); // group.consumer.session.timeout.ms
        await().atMost(Duration.ofSeconds(10)).until(() -> log.image().groups().get("g").members().isEmpty());
        assertThat(log.image().groups().get("g").emptySinceMs()).isPositive();
        controller.deleteGroups(DeleteGroupsRequest.newBuilder().addGroupIds("g").build()).join();
        assertThat(log.image().groups()).doesNotContainKey("g");
    }

    @Test
    void concurrentCreatesOfOneNameSucceedOnce() {
        brokers(3);
        List<CompletableFuture<?>> results = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            results.add(controller.createTopics(CreateTopicsRequest.newBuilder().addTopics(CreatableTopic.newBuilder()
                    .setName("dup").setPartitions(2).setReplicationFactor(2)).build()));
        }
        int ok = 0;
        for (CompletableFuture<?> r : results) {
            if (catchThrowable(r::join) == null) {
                ok++;
            } else {
                assertThat(error(r).code()).isEqualTo(ErrorCode.TOPIC_ALREADY_EXISTS);
            }
        }
        assertThat(ok).isEqualTo(1);
        assertThat(log.image().topicsById()).hasSize(1);
    }

    @Test
    void createTopicsValidatesAndChangesNothingOnError() {
        brokers(2);
        createTopic("exists", 1, 1);
        MetadataImage before = log.image();
        record Case(CreatableTopic topic, ErrorCode code) { }
        List<Case> cases = List.of(
                new Case(CreatableTopic.newBuilder().setName("bad name!").setPartitions(1).setReplicationFactor(1).build(),
                        ErrorCode.INVALID_REQUEST),
                new Case(CreatableTopic.newBuilder().setName("..").setPartitions(1).setReplicationFactor(1).build(),
                        ErrorCode.INVALID_REQUEST),
                new Case(CreatableTopic.newBuilder().setName("exists").setPartitions(1).setReplicationFactor(1).build(),
                        ErrorCode.TOPIC_ALREADY_EXISTS),
                new Case(CreatableTopic.newBuilder().setName("p0").setPartitions(0).setReplicationFactor(1).build(),
                        ErrorCode.INVALID_PARTITIONS),
                new Case(CreatableTopic.newBuilder().setName("rf3").setPartitions(1).setReplicationFactor(3).build(),
                        ErrorCode.INVALID_REPLICATION_FACTOR),
                new Case(CreatableTopic.newBuilder().setName("rf0").setPartitions(1).setReplicationFactor(0).build(),
                        ErrorCode.INVALID_REPLICATION_FACTOR),
                new Case(CreatableTopic.newBuilder().setName("cfg").setPartitions(1).setReplicationFactor(1)
                        .putConfigs("retention.ms", "soon").build(), ErrorCode.INVALID_CONFIG),
                new Case(CreatableTopic.newBuilder().setName("cfg2").setPartitions(1).setReplicationFactor(1)
                        .putConfigs("no.such.key", "1").build(), ErrorCode.INVALID_CONFIG));
        for (Case c : cases) {
            // A valid topic in the same request is not created either: all or nothing.
            BrookException e = error(controller.createTopics(CreateTopicsRequest.newBuilder()
                    .addTopics(CreatableTopic.newBuilder().setName("fine").setPartitions(1).setReplicationFactor(1))
                    .addTopics(c.topic()).build()));
            assertThat(e.code()).as(c.topic().getName()).isEqualTo(c.code());
            assertThat(e.getMessage()).contains(c.topic().getName());
        }
        assertThat(log.image()).isEqualTo(before);
        assertThat(error(controller.deleteTopics(DeleteTopicsRequest.newBuilder().addNames("nope").build())).code())
                .isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        controller.deleteTopics(DeleteTopicsRequest.newBuilder().addNames("exists").build()).join();
        assertThat(log.image().topicByName("exists")).isEmpty();
    }

    @Test
    void alterPartitionWithStaleEpochsIsRefusedAndChangesNothing() {
        Map<Integer, Long> epochs = brokers(3);
        TopicImage topic = createTopic("t", 1, 3);
        PartitionRegistration p = topic.partition(0);
        int leader = p.leader();
        int follower = p.replicas().get(1);
        List<Integer> shrunk = p.replicas().stream().filter(r -> r != follower).toList();
        AlterPartitionRequest valid = AlterPartitionRequest.newBuilder().setBrokerId(leader)
                .setBrokerEpoch(epochs.get(leader)).setTopicId(topic.id()).setPartition(0)
                .setLeaderEpoch(p.leaderEpoch()).setPartitionEpoch(p.partitionEpoch()).addAllNewIsr(shrunk).build();
        MetadataImage before = log.image();

        record Case(AlterPartitionRequest request, ErrorCode code) { }
        int notLeader = p.replicas().get(2);
        List<Case> cases = List.of(
                new Case(valid.toBuilder().setBrokerEpoch(epochs.get(leader) - 1).build(), ErrorCode.STALE_BROKER_EPOCH),
                new Case(valid.toBuilder().setBrokerId(99).build(), ErrorCode.STALE_BROKER_EPOCH),
                new Case(valid.toBuilder().setLeaderEpoch(p.leaderEpoch() - 1).build(), ErrorCode.FENCED_LEADER_EPOCH),
                new Case(valid.toBuilder().setLeaderEpoch(p.leaderEpoch() + 1).build(), ErrorCode.UNKNOWN_LEADER_EPOCH),
                new Case(valid.toBuilder().setPartitionEpoch(p.partitionEpoch() - 1).build(), ErrorCode.INVALID_UPDATE_VERSION),
                new Case(valid.toBuilder().setBrokerId(notLeader).setBrokerEpoch(epochs.get(notLeader)).build(),
                        ErrorCode.NOT_LEADER_OR_FOLLOWER),
                new Case(valid.toBuilder().setPartition(7).build(), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
                new Case(valid.toBuilder().clearNewIsr().addNewIsr(follower).build(), ErrorCode.INVALID_REQUEST),
                new Case(valid.toBuilder().addNewIsr(42).build(), ErrorCode.INVALID_REQUEST));
        for (Case c : cases) {
            assertThat(error(controller.alterPartition(c.request())).code()).as(c.request().toString()).isEqualTo(c.code());
            assertThat(log.image()).isEqualTo(before);
        }

        var response = controller.alterPartition(valid).join().getPartition();
        assertThat(response.getIsrList()).containsExactlyElementsOf(shrunk);
        assertThat(response.getPartitionEpoch()).isEqualTo(p.partitionEpoch() + 1);
        assertThat(response.getLeaderEpoch()).isEqualTo(p.leaderEpoch());
        assertThat(log.image().partition(topic.id(), 0).orElseThrow().isr()).containsExactlyElementsOf(shrunk);
        // The same request again now carries a stale partition epoch.
        assertThat(error(controller.alterPartition(valid)).code()).isEqualTo(ErrorCode.INVALID_UPDATE_VERSION);
    }

    @Test
    void sessionTimeoutFencesBrokerAndMovesItsLeaderships() {
        Map<Integer, Long> epochs = brokers(3);
        TopicImage replicated = createTopic("replicated", 6, 3);
        // A single-replica topic on every broker: its partitions on the fenced broker lose their leader.
        TopicImage single = createTopic("single", 3, 1);
        int victim = 1;
        assertThat(replicated.partitions().values()).anyMatch(p -> p.leader() == victim);

        // Brokers 2 and 3 keep heartbeating; broker 1 goes silent.
        for (int step = 0; step < 4; step++) {
            time.advanceMs(400);
            heartbeat(2, epochs.get(2));
            heartbeat(3, epochs.get(3));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> !log.image().isUnfenced(victim));
        MetadataImage image = log.image();
        assertThat(image.isUnfenced(2)).isTrue();
        for (PartitionRegistration p : image.topicByName("replicated").orElseThrow().partitions().values()) {
            PartitionRegistration before = replicated.partition(p.partition());
            assertThat(p.isr()).doesNotContain(victim).hasSize(2);
            assertThat(p.leader()).isNotEqualTo(victim).isIn(p.isr());
            if (before.leader() == victim) {
                assertThat(p.leaderEpoch()).isEqualTo(before.leaderEpoch() + 1);
            }
        }
        PartitionRegistration orphan = image.topicByName("single").orElseThrow().partitions().values().stream()
                .filter(p -> p.replicas().equals(List.of(victim))).findFirst().orElseThrow();
        assertThat(orphan.leader()).isEqualTo(PartitionRegistration.NO_LEADER);
        assertThat(orphan.isr()).as("no unclean election: the last ISR member stays").containsExactly(victim);

        // The broker comes back: unfenced once caught up, and leads its orphaned partition again.
        BrokerHeartbeatResponse back = heartbeat(victim, epochs.get(victim));
        assertThat(back.getFenced()).isFalse();
        PartitionRegistration restored = log.image().partition(single.id(), orphan.partition()).orElseThrow();
        assertThat(restored.leader()).isEqualTo(victim);
        assertThat(restored.leaderEpoch()).isEqualTo(orphan.leaderEpoch() + 1);
    }

    @Test
    void aNewActiveControllerGivesEveryBrokerAFreshSession() {
        Map<Integer, Long> epochs = brokers(2);
        log.setActive(false, 1);
        time.advanceMs(5 * SESSION_MS); // no heartbeats while there was no controller
        assertThat(error(controller.brokerHeartbeat(BrokerHeartbeatRequest.newBuilder().setBrokerId(1)
                .setBrokerEpoch(epochs.get(1)).build())).code()).isEqualTo(ErrorCode.NOT_CONTROLLER);
        log.setActive(true, 2);
        // Over several controller ticks (one per 100 ms here) nobody is fenced: a new grace period.
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> log.image().unfencedBrokerIds().equals(List.of(1, 2)));
        time.advanceMs(SESSION_MS + 1);
        heartbeat(2, epochs.get(2));
        await().atMost(Duration.ofSeconds(5)).until(() -> log.image().unfencedBrokerIds().equals(List.of(2)));
    }

    @Test
    void registrationIsIdempotentPerIncarnationAndExclusiveWhileAlive() {
        long epoch = register(1, "first");
        assertThat(register(1, "first")).as("a retry gets the same epoch").isEqualTo(epoch);
        heartbeat(1, epoch);
        BrookException dup = error(controller.registerBroker(RegisterBrokerRequest.newBuilder().setBrokerId(1)
                .setIncarnationId("second").setHost("h").putPorts("grpc", 1).build()));
        assertThat(dup.code()).isEqualTo(ErrorCode.DUPLICATE_BROKER_REGISTRATION);
        assertThat(dup.retriable()).isTrue();
        time.advanceMs(SESSION_MS + 1);
        long second = register(1, "second");
        assertThat(second).isGreaterThan(epoch);
        assertThat(log.image().brokers().get(1).fenced()).isTrue();
        assertThat(error(controller.brokerHeartbeat(BrokerHeartbeatRequest.newBuilder().setBrokerId(1)
                .setBrokerEpoch(epoch).build())).code()).isEqualTo(ErrorCode.STALE_BROKER_EPOCH);
        assertThat(error(controller.registerBroker(RegisterBrokerRequest.newBuilder().setBrokerId(2)
                .setIncarnationId("x").setHost("h").putPorts("http", 1).build())).code())
                .isEqualTo(ErrorCode.INVALID_REQUEST);
    }

    @Test
    void producerIdBlocksNeverOverlap() {
        Map<Integer, Long> epochs = brokers(2);
        AllocateProducerIdsResponse a = controller.allocateProducerIds(AllocateProducerIdsRequest.newBuilder()
                .setBrokerId(1).setBrokerEpoch(epochs.get(1)).build()).join();
        AllocateProducerIdsResponse b = controller.allocateProducerIds(AllocateProducerIdsRequest.newBuilder()
                .setBrokerId(2).setBrokerEpoch(epochs.get(2)).build()).join();
        assertThat(a.getCount()).isEqualTo(1000);
        assertThat(b.getFirstProducerId()).isEqualTo(a.getFirstProducerId() + a.getCount());
        assertThat(log.image().nextProducerId()).isEqualTo(b.getFirstProducerId() + b.getCount());
        assertThat(error(controller.allocateProducerIds(AllocateProducerIdsRequest.newBuilder()
                .setBrokerId(1).setBrokerEpoch(0).build())).code()).isEqualTo(ErrorCode.STALE_BROKER_EPOCH);
    }

    @Test
    void controlledShutdownMovesLeadershipAtOnceAndKeepsTheBrokerOut() {
        Map<Integer, Long> epochs = brokers(3);
        createTopic("t", 3, 3);
        createTopic("single", 3, 1);
        int shutting = 2;
        MetadataImage before = log.image();
        assertThat(before.allPartitions()).anyMatch(p -> p.leader() == shutting && p.replicas().size() == 3);
        int entries = log.entries().size();

        BrokerHeartbeatResponse r = controller.brokerHeartbeat(BrokerHeartbeatRequest.newBuilder().setBrokerId(shutting)
                .setBrokerEpoch(epochs.get(shutting)).setWantShutdown(true).build()).join();

        assertThat(r.getShouldShutDown()).isTrue();
        assertThat(r.getFenced()).isTrue();
        assertThat(log.entries()).as("one entry").hasSize(entries + 1);
        MetadataImage after = log.image();
        assertThat(after.isUnfenced(shutting)).isFalse();
        for (PartitionRegistration p : after.allPartitions()) {
            PartitionRegistration old = before.partition(p.topicId(), p.partition()).orElseThrow();
            assertThat(p.leader()).isNotEqualTo(shutting);
            if (old.replicas().size() > 1) {
                // Removed from the ISR where others remain; leadership to another ISR member.
                assertThat(p.isr()).doesNotContain(shutting).hasSize(old.isr().size() - (old.isr().contains(shutting) ? 1 : 0));
                assertThat(p.leader()).isIn(p.isr());
            } else if (old.replicas().equals(List.of(shutting))) {
                // Its only replica: no other ISR member, so no leader, and the ISR keeps it.
                assertThat(p.leader()).isEqualTo(PartitionRegistration.NO_LEADER);
                assertThat(p.isr()).containsExactly(shutting);
            } else {
                assertThat(p).isEqualTo(old);
            }
            if (old.leader() == shutting) {
                assertThat(p.leaderEpoch()).isEqualTo(old.leaderEpoch() + 1);
                assertThat(p.partitionEpoch()).isEqualTo(old.partitionEpoch() + 1);
            }
        }

        // A heartbeat of the same incarnation without want_shutdown (say one delayed in flight)
        // does not unfence it, and asking again writes nothing.
        BrokerHeartbeatResponse stray = heartbeat(shutting, epochs.get(shutting));
        assertThat(stray.getFenced()).isTrue();
        assertThat(stray.getShouldShutDown()).isTrue();
        controller.brokerHeartbeat(BrokerHeartbeatRequest.newBuilder().setBrokerId(shutting)
                .setBrokerEpoch(epochs.get(shutting)).setWantShutdown(true).build()).join();
        assertThat(log.image()).isEqualTo(after);

        // Nor does the periodic preferred leader election give it a leadership back.
        time.advanceMs(CHECK_INTERVAL_MS);
        heartbeat(1, epochs.get(1));
        heartbeat(3, epochs.get(3));
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> log.image().allPartitions().stream().noneMatch(p -> p.leader() == shutting));
        assertThat(log.image().isUnfenced(shutting)).isFalse();

        // The restarted process registers a new incarnation, which is a fresh start.
        long next = register(shutting, "inc-2-restarted");
        BrokerHeartbeatResponse back = heartbeat(shutting, next);
        assertThat(back.getFenced()).isFalse();
        assertThat(back.getShouldShutDown()).isFalse();
    }

    /** Lets {@code victim}'s session expire while the other brokers keep heartbeating. */
    void fenceBySessionTimeout(int victim, Map<Integer, Long> epochs) {
        for (int step = 0; step < 4; step++) {
            time.advanceMs(400);
            epochs.forEach((id, epoch) -> {
                if (id != victim) {
                    heartbeat(id, epoch);
                }
            });
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> !log.image().isUnfenced(victim));
    }

    /** Heartbeats every broker but {@code except} (keeps their sessions alive while time moves). */
    void heartbeatAllBut(int except, Map<Integer, Long> epochs) {
        epochs.forEach((id, epoch) -> {
            if (id != except) {
                heartbeat(id, epoch);
            }
        });
    }

    PartitionRegistration partition(TopicImage topic, int index) {
        return log.image().partition(topic.id(), index).orElseThrow();
    }

    /** The partition of {@code topic} whose preferred replica (first replica) is {@code broker}. */
    static PartitionRegistration preferredBy(TopicImage topic, int broker) {
        return topic.partitions().values().stream().filter(p -> p.replicas().get(0) == broker).findFirst()
                .orElseThrow();
    }

    /** What the partition leader sends once {@code joining} has caught up: the ISR plus it. */
    AlterPartitionRequest rejoin(PartitionRegistration p, int joining, Map<Integer, Long> epochs) {
        List<Integer> isr = new ArrayList<>(p.isr());
        isr.add(joining);
        return AlterPartitionRequest.newBuilder().setBrokerId(p.leader()).setBrokerEpoch(epochs.get(p.leader()))
                .setTopicId(p.topicId()).setPartition(p.partition()).setLeaderEpoch(p.leaderEpoch())
                .setPartitionEpoch(p.partitionEpoch()).addAllNewIsr(isr).build();
    }

    @Test
    void preferredLeaderTakesOverAgainOnceUnfencedAndBackInTheIsr() {
        Map<Integer, Long> epochs = brokers(3);
        TopicImage t = createTopic("t", 3, 3);
        int victim = 1;
        int index = preferredBy(t, victim).partition();
        assertThat(t.partition(index).leader()).isEqualTo(victim);

        fenceBySessionTimeout(victim, epochs);
        PartitionRegistration failedOver = partition(t, index);
        assertThat(failedOver.leader()).isNotEqualTo(victim);
        assertThat(failedOver.isr()).doesNotContain(victim);

        // Unfenced again but not in the ISR: it does not lead, not even after a periodic check.
        assertThat(heartbeat(victim, epochs.get(victim)).getFenced()).isFalse();
        time.advanceMs(CHECK_INTERVAL_MS);
        heartbeatAllBut(-1, epochs);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> partition(t, index).equals(failedOver));

        // The leader adds it back to the ISR: the AlterPartition itself changes only the ISR,
        // then the controller moves leadership to the preferred replica in an entry of its own.
        int entries = log.entries().size();
        PartitionState altered = controller.alterPartition(rejoin(failedOver, victim, epochs)).join().getPartition();
        assertThat(altered.getLeader()).isEqualTo(failedOver.leader());
        assertThat(altered.getIsrList()).contains(victim);
        await().atMost(Duration.ofSeconds(5)).until(() -> partition(t, index).leader() == victim);
        PartitionRegistration back = partition(t, index);
        assertThat(back.leaderEpoch()).isEqualTo(failedOver.leaderEpoch() + 1);
        assertThat(back.partitionEpoch()).isEqualTo(altered.getPartitionEpoch() + 1);
        assertThat(back.isr()).containsExactlyElementsOf(altered.getIsrList());
        assertThat(log.entries()).hasSize(entries + 2);
        assertThat(log.lastEntry()).singleElement().satisfies(r -> assertThat(r.hasPartitionChange()).isTrue());
        assertThat(perBroker(log.image(), true)).containsOnly(1);
    }

    @Test
    void periodicCheckElectsOnlyUnfencedInSyncPreferredReplicas() {
        Map<Integer, Long> epochs = brokers(3);
        TopicImage t = createTopic("t", 3, 3);
        PartitionRegistration outOfIsr = preferredBy(t, 1);
        PartitionRegistration fencedPreferred = preferredBy(t, 2);
        PartitionRegistration eligible = preferredBy(t, 3);
        // Written straight to the log (no controller write, so nothing triggers an election):
        // broker 1 out of its partition's ISR, broker 2 fenced but still in its ISR, and broker
        // 3 in sync and unfenced; none of them leads its own partition.
        log.append(List.of(
                PartitionChanges.change(outOfIsr, 3, List.of(2, 3)),
                PartitionChanges.change(fencedPreferred, 3, fencedPreferred.isr()),
                PartitionChanges.change(eligible, 1, eligible.isr()),
                MetadataRecord.newBuilder().setFenceBroker(io.brook.proto.metadata.v1.FenceBrokerRecord.newBuilder()
                        .setBrokerId(2).setBrokerEpoch(epochs.get(2))).build())).join();
        MetadataImage imbalanced = log.image();

        // Nothing happens before the check interval has passed.
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> log.image().equals(imbalanced));

        time.advanceMs(CHECK_INTERVAL_MS);
        heartbeatAllBut(2, epochs);
        await().atMost(Duration.ofSeconds(5)).until(() -> partition(t, eligible.partition()).leader() == 3);
        PartitionRegistration before = imbalanced.partition(t.id(), eligible.partition()).orElseThrow();
        PartitionRegistration after = partition(t, eligible.partition());
        assertThat(after.isr()).isEqualTo(before.isr());
        assertThat(after.leaderEpoch()).isEqualTo(before.leaderEpoch() + 1);
        assertThat(after.partitionEpoch()).isEqualTo(before.partitionEpoch() + 1);
        assertThat(partition(t, outOfIsr.partition()).leader()).as("preferred replica not in the ISR").isEqualTo(3);
        assertThat(partition(t, fencedPreferred.partition()).leader()).as("preferred replica fenced").isEqualTo(3);
        assertThat(log.lastEntry()).hasSize(1);
    }

    @Test
    void noPreferredLeaderElectionWhenSwitchedOff() {
        useController(new AutoLeaderRebalance(false, CHECK_INTERVAL_MS, 1_000));
        Map<Integer, Long> epochs = brokers(3);
        TopicImage t = createTopic("t", 3, 3);
        int victim = 1;
        int index = preferredBy(t, victim).partition();
        fenceBySessionTimeout(victim, epochs);
        assertThat(heartbeat(victim, epochs.get(victim)).getFenced()).isFalse();
        controller.alterPartition(rejoin(partition(t, index), victim, epochs)).join();
        PartitionRegistration rejoined = partition(t, index);
        assertThat(rejoined.isr()).contains(victim);
        int entries = log.entries().size();

        time.advanceMs(CHECK_INTERVAL_MS);
        heartbeatAllBut(-1, epochs);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> partition(t, index).equals(rejoined));
        assertThat(rejoined.leader()).isNotEqualTo(victim);
        assertThat(log.entries()).hasSize(entries);
    }

    @Test
    void electionsAreBoundedPerEntry() {
        useController(new AutoLeaderRebalance(true, CHECK_INTERVAL_MS, 2));
        brokers(3);
        TopicImage t = createTopic("t", 7, 2);
        // Every partition led by its second replica (written straight to the log).
        log.append(t.partitions().values().stream()
                .map(p -> PartitionChanges.change(p, p.replicas().get(1), p.isr())).toList()).join();
        int entries = log.entries().size();

        time.advanceMs(CHECK_INTERVAL_MS);
        await().atMost(Duration.ofSeconds(5)).until(() -> log.image().allPartitions().stream()
                .allMatch(p -> p.leader() == p.replicas().get(0)));
        List<List<MetadataRecord>> elections = log.entries().subList(entries, log.entries().size());
        assertThat(elections).extracting(List::size).containsExactly(2, 2, 2, 1);
    }

    CompletableFuture<CreatePartitionsResponse> createPartitions(String name, int total) {
        return controller.createPartitions(CreatePartitionsRequest.newBuilder().setName(name)
                .setTotalPartitions(total).build());
    }

    /** Per unfenced broker: how many replicas (or, with {@code leaders}, leaderships) it holds. */
    static Collection<Integer> perBroker(MetadataImage image, boolean leaders) {
        Map<Integer, Integer> counts = new TreeMap<>();
        image.unfencedBrokerIds().forEach(id -> counts.put(id, 0));
        for (PartitionRegistration p : image.allPartitions()) {
            for (int r : leaders ? (p.hasLeader() ? List.of(p.leader()) : List.<Integer>of()) : p.replicas()) {
                counts.merge(r, 1, Integer::sum);
            }
        }
        return counts.values();
    }

    @Test
    void createPartitionsGrowsATopicEvenlyAndListsAllItsPartitions() {
        brokers(3);
        createTopic("other", 4, 2);
        TopicImage before = createTopic("t", 2, 2);
        int entries = log.entries().size();

        CreatePartitionsResponse response = createPartitions("t", 5).join();

        TopicImage after = log.image().topicByName("t").orElseThrow();
        assertThat(after.partitions().keySet()).containsExactly(0, 1, 2, 3, 4);
        assertThat(response.getName()).isEqualTo("t");
        assertThat(response.getTopicId()).isEqualTo(before.id());
        assertThat(response.getPartitionsList()).as("the whole topic, as the image has it")
                .containsExactlyElementsOf(after.partitions().values().stream()
                        .map(p -> CreatePartitionsHandler.state(after, p)).toList());
        assertThat(response.getPartitionsList()).extracting(PartitionState::getTopicName).containsOnly("t");
        for (int i = 0; i < 2; i++) {
            assertThat(after.partition(i)).as("existing partition %d", i).isEqualTo(before.partition(i));
        }
        for (int i = 2; i < 5; i++) {
            PartitionRegistration p = after.partition(i);
            assertThat(p.replicas()).hasSize(2).doesNotHaveDuplicates();
            assertThat(p.isr()).isEqualTo(p.replicas());
            assertThat(p.leader()).isEqualTo(p.replicas().get(0));
            assertThat(p.leaderEpoch()).isZero();
            assertThat(p.partitionEpoch()).isZero();
        }
        assertThat(log.entries()).as("one entry").hasSize(entries + 1);
        assertThat(log.lastEntry()).hasSize(3).allMatch(MetadataRecord::hasPartition);
        // Placed with the cluster's load counted: 18 replicas and 9 leaderships over 3 brokers.
        assertThat(perBroker(log.image(), false)).containsOnly(6);
        assertThat(perBroker(log.image(), true)).containsOnly(3);

        // The same entry applied again (a duplicate or stale write) changes nothing.
        MetadataImage applied = log.image();
        log.append(log.lastEntry()).join();
        assertThat(log.image().appliedIndex()).isGreaterThan(applied.appliedIndex());
        assertThat(log.image().topicsById()).isEqualTo(applied.topicsById());
    }

    @Test
    void createPartitionsRefusalsChangeNothing() {
        Map<Integer, Long> epochs = brokers(3);
        createTopic("wide", 3, 3);
        createTopic("narrow", 1, 2);
        // Broker 3 leaves (controlled shutdown): two unfenced brokers remain.
        controller.brokerHeartbeat(BrokerHeartbeatRequest.newBuilder().setBrokerId(3).setBrokerEpoch(epochs.get(3))
                .setWantShutdown(true).build()).join();
        MetadataImage before = log.image();
        int entries = log.entries().size();

        record Case(String name, int total, ErrorCode code, String message) { }
        List<Case> cases = List.of(
                new Case("nope", 5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic nope does not exist"),
                new Case("", 5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "does not exist"),
                new Case("wide", 3, ErrorCode.INVALID_PARTITIONS, "topic wide has 3 partitions"),
                new Case("wide", 1, ErrorCode.INVALID_PARTITIONS, "topic wide has 3 partitions"),
                new Case("wide", 0, ErrorCode.INVALID_PARTITIONS, "topic wide has 3 partitions"),
                new Case("wide", 100_001, ErrorCode.INVALID_PARTITIONS, "at most 100000"),
                new Case("wide", 4, ErrorCode.INVALID_REPLICATION_FACTOR,
                        "replication factor 3 exceeds the 2 unfenced brokers"));
        for (Case c : cases) {
            BrookException e = error(createPartitions(c.name(), c.total()));
            assertThat(e.code()).as(c.toString()).isEqualTo(c.code());
            assertThat(e.getMessage()).as(c.toString()).contains(c.message());
            assertThat(log.image()).isEqualTo(before);
            assertThat(log.entries()).hasSize(entries);
        }

        // Replication factor 2 still fits on the two unfenced brokers, and only on them.
        CreatePartitionsResponse grown = createPartitions("narrow", 3).join();
        assertThat(grown.getPartitionsList()).hasSize(3);
        assertThat(grown.getPartitionsList().subList(1, 3))
                .allSatisfy(p -> assertThat(p.getReplicasList()).containsExactlyInAnyOrder(1, 2));
        // A retry of a request that was committed is refused harmlessly.
        assertThat(error(createPartitions("narrow", 3)).code()).isEqualTo(ErrorCode.INVALID_PARTITIONS);
        assertThat(log.image().topicByName("narrow").orElseThrow().partitions()).hasSize(3);
    }

    void createTopicWithConfigs(String name, Map<String, String> configs) {
        controller.createTopics(CreateTopicsRequest.newBuilder().addTopics(CreatableTopic.newBuilder()
                .setName(name).setPartitions(1).setReplicationFactor(1).putAllConfigs(configs)).build()).join();
    }

    @Test
    void alterTopicConfigSetsAndResetsOverrides() {
        brokers(1);
        createTopicWithConfigs("c", Map.of("retention.ms", "1000", "cleanup.policy", "compact"));
        int entries = log.entries().size();
        AlterTopicConfigRequest request = AlterTopicConfigRequest.newBuilder().setName("c")
                .putSet("retention.ms", "2000").putSet("segment.bytes", "1048576")
                .addDelete("cleanup.policy").addDelete("flush.ms") // flush.ms is not set: nothing to do
                .build();

        AlterTopicConfigResponse response = controller.alterTopicConfig(request).join();

        Map<String, String> expected = Map.of("retention.ms", "2000", "segment.bytes", "1048576");
        assertThat(response.getOverridesMap()).isEqualTo(expected);
        assertThat(response.getName()).isEqualTo("c");
        assertThat(response.getTopicId()).isEqualTo(log.image().topicByName("c").orElseThrow().id());
        assertThat(log.image().topicByName("c").orElseThrow().configs()).isEqualTo(expected);
        assertThat(log.entries()).as("one entry").hasSize(entries + 1);
        assertThat(log.lastEntry()).extracting(MetadataRecord::getTopicConfig)
                .extracting(TopicConfigRecord::getKey, TopicConfigRecord::getValue, TopicConfigRecord::getRemove)
                .containsExactly(tuple("cleanup.policy", "", true),
                        tuple("retention.ms", "2000", false),
                        tuple("segment.bytes", "1048576", false));

        // The same entry applied again changes nothing.
        MetadataImage applied = log.image();
        log.append(log.lastEntry()).join();
        assertThat(log.image().topicsById()).isEqualTo(applied.topicsById());

        // The same request again (say a retry after a timeout) writes nothing and answers the same.
        int written = log.entries().size();
        assertThat(controller.alterTopicConfig(request).join().getOverridesMap()).isEqualTo(expected);
        assertThat(log.entries()).hasSize(written);
    }

    @Test
    void alterTopicConfigIsAllOrNothing() {
        brokers(1);
        createTopicWithConfigs("c", Map.of("retention.ms", "1000"));
        MetadataImage before = log.image();
        int entries = log.entries().size();
        // Every refused request also carries a valid change, which must not be applied either.
        AlterTopicConfigRequest valid = AlterTopicConfigRequest.newBuilder().setName("c")
                .putSet("segment.ms", "60000").addDelete("retention.ms").build();

        record Case(AlterTopicConfigRequest request, ErrorCode code, String named) { }
        List<Case> cases = List.of(
                new Case(valid.toBuilder().setName("nope").build(), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "nope"),
                new Case(valid.toBuilder().putSet("max.message.bytes", "big").build(), ErrorCode.INVALID_CONFIG,
                        "max.message.bytes"),
                new Case(valid.toBuilder().putSet("min.insync.replicas", "0").build(), ErrorCode.INVALID_CONFIG,
                        "min.insync.replicas"),
                new Case(valid.toBuilder().putSet("no.such.key", "1").build(), ErrorCode.INVALID_CONFIG,
                        "no.such.key"),
                new Case(valid.toBuilder().addDelete("other.unknown").build(), ErrorCode.INVALID_CONFIG,
                        "other.unknown"),
                new Case(valid.toBuilder().addDelete("segment.ms").build(), ErrorCode.INVALID_REQUEST, "segment.ms"),
                new Case(valid.toBuilder().addDelete("retention.ms").build(), ErrorCode.INVALID_REQUEST,
                        "retention.ms"),
                new Case(AlterTopicConfigRequest.newBuilder().setName("c").build(), ErrorCode.INVALID_REQUEST,
                        "topic c"));
        for (Case c : cases) {
            BrookException e = error(controller.alterTopicConfig(c.request()));
            assertThat(e.code()).as(c.request().toString()).isEqualTo(c.code());
            assertThat(e.getMessage()).as(c.request().toString()).contains(c.named());
            assertThat(log.image()).isEqualTo(before);
            assertThat(log.entries()).hasSize(entries);
        }

        // A key the topic has set can be deleted even if it is no longer a known key.
        log.append(List.of(MetadataRecord.newBuilder().setTopicConfig(TopicConfigRecord.newBuilder()
                .setTopicId(before.topicByName("c").orElseThrow().id()).setKey("legacy.key").setValue("x")).build()))
                .join();
        AlterTopicConfigResponse r = controller.alterTopicConfig(AlterTopicConfigRequest.newBuilder().setName("c")
                .addDelete("legacy.key").build()).join();
        assertThat(r.getOverridesMap()).isEqualTo(Map.of("retention.ms", "1000"));
        assertThat(log.image().topicByName("c").orElseThrow().configs()).isEqualTo(Map.of("retention.ms", "1000"));
    }

    // ------------------------------------------------------------------ offline replicas (issue 8, fault 3)

    BrokerHeartbeatResponse heartbeatOffline(int id, long epoch, TopicImage t, int... partitions) {
        BrokerHeartbeatRequest.Builder b = BrokerHeartbeatRequest.newBuilder().setBrokerId(id).setBrokerEpoch(epoch)
                .setMetadataAppliedIndex(log.image().appliedIndex());
        for (int p : partitions) {
            b.addOfflinePartitions(TopicIdPartition.newBuilder().setTopicId(t.id()).setPartition(p));
        }
        return controller.brokerHeartbeat(b.build()).join();
    }

    @Test
    void anOfflineReplicaLosesLeadershipAndTheIsrUntilItIsReportedBack() {
        Map<Integer, Long> epochs = brokers(3);
        TopicImage t = createTopic("disk", 2, 3);
        int victim = partition(t, 0).leader();
        PartitionRegistration other = partition(t, 1);

        heartbeatOffline(victim, epochs.get(victim), t, 0);
        PartitionRegistration moved = partition(t, 0);
        assertThat(moved.leader()).isNotIn(victim, PartitionRegistration.NO_LEADER);
        assertThat(moved.isr()).doesNotContain(victim).hasSize(2);
        assertThat(moved.offlineReplicas()).containsExactly(victim);
        assertThat(moved.leaderEpoch()).isEqualTo(t.partition(0).leaderEpoch() + 1);
        assertThat(partition(t, 1)).as("the broker's other partition is untouched").isEqualTo(other);

        // Reported again: nothing new is written.
        heartbeatOffline(victim, epochs.get(victim), t, 0);
        assertThat(partition(t, 0)).isEqualTo(moved);
        // Nor may the leader add it back to the ISR while it is offline.
        Throwable refused = catchThrowable(() -> controller.alterPartition(AlterPartitionRequest.newBuilder()
                .setBrokerId(moved.leader()).setBrokerEpoch(epochs.get(moved.leader())).setTopicId(t.id()).setPartition(0)
                .setLeaderEpoch(moved.leaderEpoch()).setPartitionEpoch(moved.partitionEpoch())
                .addAllNewIsr(List.of(1, 2, 3)).build()).join());
        assertThat(refused).hasMessageContaining("offline");

        // Back: online again, a follower that the leader adds to the ISR once it has caught up.
        heartbeat(victim, epochs.get(victim));
        PartitionRegistration back = partition(t, 0);
        assertThat(back.offlineReplicas()).isEmpty();
        assertThat(back.leader()).isEqualTo(moved.leader());
        assertThat(back.isr()).isEqualTo(moved.isr());
    }

    @Test
    void theLastInSyncReplicaOfflineLeavesThePartitionLeaderlessUntilItIsBack() {
        Map<Integer, Long> epochs = brokers(2);
        TopicImage t = createTopic("solo", 1, 1);
        int only = partition(t, 0).leader();

        heartbeatOffline(only, epochs.get(only), t, 0);
        PartitionRegistration down = partition(t, 0);
        assertThat(down.leader()).isEqualTo(PartitionRegistration.NO_LEADER);
        assertThat(down.isr()).as("the last in-sync copy stays in the ISR").containsExactly(only);
        assertThat(down.offlineReplicas()).containsExactly(only);
        // Fencing and unfencing the broker meanwhile must not elect its offline copy.
        assertThat(PartitionChanges.brokerReturning(log.image(), only, java.util.Set.of())).isEmpty();

        heartbeat(only, epochs.get(only));
        PartitionRegistration up = partition(t, 0);
        assertThat(up.leader()).isEqualTo(only);
        assertThat(up.offlineReplicas()).isEmpty();
        assertThat(up.leaderEpoch()).isEqualTo(down.leaderEpoch() + 1);
    }
}
