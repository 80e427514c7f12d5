package io.brook.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.brook.metadata.client.BrokerIdentity;
import io.brook.metadata.client.MetadataClient;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.metadata.image.TopicImage;
import io.brook.metadata.quorum.MetadataQuorumNode;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.metadata.v1.AlterPartitionRequest;
import io.brook.proto.metadata.v1.AlterTopicConfigRequest;
import io.brook.proto.metadata.v1.AlterTopicConfigResponse;
import io.brook.proto.metadata.v1.ControllerServiceGrpc;
import io.brook.proto.metadata.v1.CreatableTopic;
import io.brook.proto.metadata.v1.CreatePartitionsRequest;
import io.brook.proto.metadata.v1.CreatePartitionsResponse;
import io.brook.proto.metadata.v1.CreateTopicsRequest;
import io.brook.proto.metadata.v1.DescribeQuorumRequest;
import io.brook.proto.metadata.v1.DescribeQuorumResponse;
import io.brook.proto.metadata.v1.PartitionState;
import io.brook.proto.metadata.v1.QuorumVoter;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Three voters in one JVM on loopback, with brokers and tools as real {@link MetadataClient}s. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetadataQuorumClusterTest {
    @TempDir
    Path dir;

    static CreateTopicsRequest topic(String name, int partitions, int rf) {
        return CreateTopicsRequest.newBuilder().addTopics(CreatableTopic.newBuilder()
                .setName(name).setPartitions(partitions).setReplicationFactor(rf)).build();
    }

    static List<MetadataClient> brokers(TestCluster cluster, int... ids) throws Exception {
        List<MetadataClient> out = new ArrayList<>();
        for (int id : ids) {
            MetadataClient c = cluster.client();
            c.registerBroker(new BrokerIdentity(id, "127.0.0.1", Map.of("grpc", 10_000 + id), ""));
            out.add(c);
        }
        for (MetadataClient c : out) {
            c.awaitImage(img -> img.unfencedBrokerIds().size() == ids.length, Duration.ofSeconds(10));
        }
        return out;
    }

    @Test
    void killingTheLeaderLosesNoCommittedRecordAndANewLeaderServesWrites() throws Exception {
        try (TestCluster cluster = new TestCluster(3, dir).start()) {
            cluster.awaitActiveController(Duration.ofSeconds(10));
            brokers(cluster, 101, 102, 103);
            MetadataClient admin = cluster.client();
            for (int i = 0; i < 5; i++) {
                admin.createTopics(topic("before-" + i, 3, 3)); // returns after commit
            }
            MetadataQuorumNode leader = cluster.awaitActiveController(Duration.ofSeconds(5));
            MetadataImage committed = leader.image();

            long killedAtNs = System.nanoTime();
            cluster.stopNode(leader.nodeId());
            MetadataQuorumNode newLeader = cluster.awaitActiveController(Duration.ofSeconds(10));
            long electedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAtNs);
            admin.createTopics(topic("after", 3, 3)); // the client finds the new controller itself
            long servedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAtNs);
            System.out.printf("FAILOVER: node %d killed; node %d active after %d ms; first write served after %d ms%n",
                    leader.nodeId(), newLeader.nodeId(), electedMs, servedMs);

            assertThat(newLeader.nodeId()).isNotEqualTo(leader.nodeId());
            assertThat(servedMs).isLessThan(5_000);
            for (MetadataQuorumNode node : cluster.runningNodes()) {
                await().atMost(Duration.ofSeconds(5)).until(() -> node.image().topicByName("after").isPresent());
                MetadataImage image = node.image();
                for (TopicImage t : committed.topicsById().values()) {
                    assertThat(image.topic(t.id())).as("node %d keeps %s", node.nodeId(), t.name()).contains(t);
                }
                assertThat(image.brokers().keySet()).containsExactly(101, 102, 103);
            }
            // Brokers' watch streams moved to a surviving voter by themselves.
            admin.awaitImage(img -> img.topicByName("after").isPresent(), Duration.ofSeconds(10));
        }
    }

    @Test
    void aBrokerThatStopsHeartbeatingIsFencedAndItsPartitionsGetLeadersFromTheIsr() throws Exception {
        try (TestCluster cluster = new TestCluster(3, dir).start()) {
            cluster.awaitActiveController(Duration.ofSeconds(10));
            List<MetadataClient> brokers = brokers(cluster, 1, 2, 3);
            MetadataClient admin = cluster.client();
            admin.createTopics(topic("t", 6, 2));
            TopicImage before = admin.awaitImage(img -> img.topicByName("t").isPresent(), Duration.ofSeconds(5))
                    .topicByName("t").orElseThrow();
            int victim = 2;
            assertThat(before.partitions().values()).anyMatch(p -> p.leader() == victim);

            long stoppedNs = System.nanoTime();
            brokers.get(1).closeAbruptly(); // broker 2 dies: no controlled shutdown
            MetadataImage after = admin.awaitImage(img -> !img.isUnfenced(victim), Duration.ofSeconds(10));
            long fencedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedNs);
            System.out.printf("FENCING: broker %d fenced %d ms after its last heartbeat (session timeout %d ms)%n",
                    victim, fencedAfterMs, TestCluster.SESSION_TIMEOUT_MS);
            assertThat(fencedAfterMs).isGreaterThanOrEqualTo(TestCluster.SESSION_TIMEOUT_MS - TestCluster.HEARTBEAT_INTERVAL_MS);
            assertThat(after.unfencedBrokerIds()).containsExactly(1, 3);
            TopicImage t = after.topicByName("t").orElseThrow();
            for (PartitionRegistration p : t.partitions().values()) {
                PartitionRegistration old = before.partition(p.partition());
                assertThat(p.isr()).doesNotContain(victim);
                assertThat(p.leader()).isNotEqualTo(victim).isIn(old.isr());
                if (old.leader() == victim) {
                    assertThat(p.leaderEpoch()).isEqualTo(old.leaderEpoch() + 1);
                }
            }
        }
    }

    @Test
    void snapshotPlusRestartRecoversTheSameImage() throws Exception {
        try (TestCluster cluster = new TestCluster(3, dir, b -> b.sessionTimeoutMs(60_000)).start()) {
            cluster.awaitActiveController(Duration.ofSeconds(10));
            List<MetadataClient> brokers = brokers(cluster, 1, 2, 3);
            MetadataClient admin = cluster.client();
            admin.createTopics(topic("a", 4, 3));
            brokers.get(0).allocateProducerIds();
            for (MetadataQuorumNode node : cluster.runningNodes()) {
                await().atMost(Duration.ofSeconds(5)).until(() -> node.image().nextProducerId() == 1000);
                long snapshotIndex = node.takeSnapshot().get(5, TimeUnit.SECONDS);
                assertThat(snapshotIndex).isGreaterThan(0);
                Path sm = cluster.config(node.nodeId()).metadataDir()
                        .resolve(io.brook.metadata.quorum.RatisSettings.GROUP_ID.getUuid().toString()).resolve("sm");
                // Named by the term and index of the last applied entry, in the Ratis state-machine dir.
                try (var files = java.nio.file.Files.list(sm)) {
                    assertThat(files.map(f -> f.getFileName().toString()))
                            .anyMatch(n -> n.matches("snapshot\\.\\d+_" + snapshotIndex));
                }
            }
            admin.createTopics(topic("b", 2, 2)); // only in the log, after the snapshot
            MetadataImage before = admin.awaitImage(img -> img.topicByName("b").isPresent(), Duration.ofSeconds(5));
            for (MetadataQuorumNode node : cluster.runningNodes()) {
                await().atMost(Duration.ofSeconds(5)).until(() -> node.image().appliedIndex() == before.appliedIndex());
            }
            for (MetadataClient b : brokers) {
                b.closeAbruptly();
            }
            for (int id = 1; id <= 3; id++) {
                cluster.stopNode(id);
            }
            for (int id = 1; id <= 3; id++) {
                cluster.startNode(id); // RECOVER: snapshot, then log replay
            }
            cluster.awaitActiveController(Duration.ofSeconds(10));
            for (MetadataQuorumNode node : cluster.runningNodes()) {
                await().atMost(Duration.ofSeconds(5)).until(() -> node.image().appliedIndex() >= before.appliedIndex());
                assertSameState(node.image(), before, "node " + node.nodeId());
            }
            admin.createTopics(topic("c", 1, 1)); // and it keeps working
        }
    }

    /**
     * The recovered image holds exactly the state before the restart. The only entries a restarted
     * quorum may add on its own are ControllerEndpoint records (a newly elected leader publishes
     * its endpoint), so controllers may grow; nothing else may differ.
     */
    static void assertSameState(MetadataImage actual, MetadataImage expected, String who) {
        assertThat(actual.brokers()).as(who).isEqualTo(expected.brokers());
        assertThat(actual.topicsById()).as(who).isEqualTo(expected.topicsById());
        assertThat(actual.nextProducerId()).as(who).isEqualTo(expected.nextProducerId());
        assertThat(actual.groups()).as(who).isEqualTo(expected.groups());
        assertThat(actual.controllers()).as(who).containsAllEntriesOf(expected.controllers());
        if (actual.appliedIndex() == expected.appliedIndex()) {
            assertThat(actual).as(who).isEqualTo(expected);
        }
    }

    @Test
    void singleVoterRestartsFromItsDirectory() throws Exception {
        try (TestCluster cluster = new TestCluster(1, dir, b -> b.sessionTimeoutMs(60_000)).start()) {
            cluster.awaitActiveController(Duration.ofSeconds(10));
            brokers(cluster, 7);
            MetadataClient admin = cluster.client();
            admin.createTopics(topic("solo", 3, 1));
            MetadataImage before = cluster.node(1).image();
            cluster.stopNode(1);
            cluster.startNode(1);
            cluster.awaitActiveController(Duration.ofSeconds(10));
            await().atMost(Duration.ofSeconds(5)).until(() -> cluster.node(1).image().appliedIndex() >= before.appliedIndex());
            assertSameState(cluster.node(1).image(), before, "restarted single voter");
        }
    }

    @Test
    void followersAnswerNotControllerWithTheLeaderAndDescribeTheQuorum() throws Exception {
        try (TestCluster cluster = new TestCluster(3, dir).start()) {
            MetadataQuorumNode leader = cluster.awaitActiveController(Duration.ofSeconds(10));
            brokers(cluster, 5);
            int follower = leader.nodeId() == 1 ? 2 : 1;
            // The leader publishes its endpoint when it becomes active; wait until the follower has it.
            // and until it has applied the broker's unfencing (a follower may lag the client's view).
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> cluster.node(follower).image().controllers().containsKey(leader.nodeId())
                            && cluster.node(follower).image().isUnfenced(5));
            ManagedChannel channel = ManagedChannelBuilder.forTarget(cluster.grpcEndpoint(follower)).usePlaintext().build();
            try {
                var stub = ControllerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
                Throwable t = catchThrowable(() -> stub.createTopics(topic("x", 1, 1)));
                assertThat(t).isInstanceOf(StatusRuntimeException.class);
                assertThat(((StatusRuntimeException) t).getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNAVAILABLE);
                BrookException e = WireErrors.toException(t);
                assertThat(e.code()).isEqualTo(ErrorCode.NOT_CONTROLLER);
                assertThat(e.retriable()).isTrue();
                assertThat(e.leaderId()).isEqualTo(leader.nodeId());
                assertThat(e.leaderHint()).isEqualTo(cluster.grpcEndpoint(leader.nodeId()));
                assertThat(cluster.node(follower).image().topicByName("x")).isEmpty();

                DescribeQuorumResponse d = ControllerServiceGrpc.newBlockingStub(channel)
                        .describeQuorum(DescribeQuorumRequest.getDefaultInstance());
                assertThat(d.getNodeId()).isEqualTo(follower);
                assertThat(d.getLeaderId()).isEqualTo(leader.nodeId());
                assertThat(d.getTerm()).isPositive();
                assertThat(d.getCommitIndex()).isPositive();
                assertThat(d.getVotersList()).extracting(QuorumVoter::getId).containsExactlyInAnyOrder(1, 2, 3);
                assertThat(d.getVotersList()).filteredOn(QuorumVoter::getLeader).singleElement()
                        .satisfies(v -> {
                            assertThat(v.getId()).isEqualTo(leader.nodeId());
                            assertThat(v.getControllerEndpoint()).isEqualTo(cluster.grpcEndpoint(leader.nodeId()));
                        });
                assertThat(d.getVotersList()).allSatisfy(v -> assertThat(v.getRaftAddress()).startsWith("127.0.0.1:"));
                assertThat(d.getBrokersList()).singleElement().satisfies(b -> {
                    assertThat(b.getId()).isEqualTo(5);
                    assertThat(b.getFenced()).isFalse();
                    assertThat(b.getBrokerEpoch()).isPositive();
                });
            } finally {
                channel.shutdownNow();
            }
        }
    }

    @Test
    void concurrentCreatesThroughTheQuorumSucceedOnce() throws Exception {
        try (TestCluster cluster = new TestCluster(3, dir).start()) {
            cluster.awaitActiveController(Duration.ofSeconds(10));
            brokers(cluster, 1, 2);
            List<MetadataClient> admins = List.of(cluster.client(), cluster.client(), cluster.client());
            List<CompletableFuture<ErrorCode>> results = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                MetadataClient admin = admins.get(i % admins.size());
                results.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        admin.createTopics(topic("same", 2, 2));
                        return ErrorCode.ERROR_CODE_UNSPECIFIED;
                    } catch (BrookException e) {
                        return e.code();
                    }
                }));
            }
            List<ErrorCode> codes = results.stream().map(CompletableFuture::join).toList();
            assertThat(codes).filteredOn(c -> c == ErrorCode.ERROR_CODE_UNSPECIFIED).hasSize(1);
            assertThat(codes).filteredOn(c -> c != ErrorCode.ERROR_CODE_UNSPECIFIED)
                    .containsOnly(ErrorCode.TOPIC_ALREADY_EXISTS);
        }
    }

    @Test
    void topicsGrowAndChangeConfigsThroughTheClient() throws Exception {
        try (TestCluster cluster = new TestCluster(1, dir).start()) {
            cluster.awaitActiveController(Duration.ofSeconds(10));
            brokers(cluster, 1, 2);
            MetadataClient admin = cluster.client();
            admin.createTopics(topic("grow", 2, 2));

            CreatePartitionsResponse grown = admin.createPartitions("grow", 4);
            assertThat(grown.getPartitionsList()).extracting(PartitionState::getPartition).containsExactly(0, 1, 2, 3);
            assertThat(grown.getPartitionsList()).allSatisfy(p ->
                    assertThat(p.getReplicasList()).containsExactlyInAnyOrder(1, 2));
            AlterTopicConfigResponse altered = admin.alterTopicConfig("grow", Map.of("retention.ms", "60000"),
                    List.of("cleanup.policy"));
            assertThat(altered.getOverridesMap()).isEqualTo(Map.of("retention.ms", "60000"));
            TopicImage t = admin.awaitImage(img -> img.topicByName("grow")
                    .filter(x -> x.partitions().size() == 4 && !x.configs().isEmpty()).isPresent(),
                    Duration.ofSeconds(5)).topicByName("grow").orElseThrow();
            assertThat(t.configs()).isEqualTo(Map.of("retention.ms", "60000"));

            // Refusals keep their codes across the wire.
            BrookException e = catchThrowableOfType(() -> admin.alterTopicConfig("grow",
                    Map.of("retention.ms", "soon"), List.of()), BrookException.class);
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG);
            assertThat(e.getMessage()).contains("retention.ms");
            e = catchThrowableOfType(() -> admin.createPartitions("grow", 4), BrookException.class);
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PARTITIONS);
            assertThat(e.getMessage()).contains("has 4 partitions");
            ManagedChannel channel = ManagedChannelBuilder.forTarget(cluster.grpcEndpoint(1)).usePlaintext().build();
            try {
                var stub = ControllerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
                Throwable missing = catchThrowable(() -> stub.createPartitions(CreatePartitionsRequest.newBuilder()
                        .setName("missing").setTotalPartitions(3).build()));
                assertThat(((StatusRuntimeException) missing).getStatus().getCode()).isEqualTo(io.grpc.Status.Code.NOT_FOUND);
                assertThat(WireErrors.toException(missing).code()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
                Throwable bad = catchThrowable(() -> stub.alterTopicConfig(AlterTopicConfigRequest.newBuilder()
                        .setName("grow").addDelete("no.such.key").build()));
                assertThat(((StatusRuntimeException) bad).getStatus().getCode())
                        .isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
                assertThat(WireErrors.toException(bad).code()).isEqualTo(ErrorCode.INVALID_CONFIG);
            } finally {
                channel.shutdownNow();
            }
            assertThat(cluster.node(1).image().topicByName("grow").orElseThrow()).isEqualTo(t);
        }
    }

    @Test
    void preferredLeadershipReturnsOnceTheFailedBrokerIsBackInTheIsr() throws Exception {
        try (TestCluster cluster = new TestCluster(3, dir).start()) {
            cluster.awaitActiveController(Duration.ofSeconds(10));
            List<MetadataClient> brokers = brokers(cluster, 1, 2, 3);
            MetadataClient admin = cluster.client();
            admin.createTopics(topic("t", 3, 3));
            TopicImage t = admin.awaitImage(img -> img.topicByName("t").isPresent(), Duration.ofSeconds(5))
                    .topicByName("t").orElseThrow();
            PartitionRegistration initial = t.partition(0);
            int victim = initial.replicas().get(0);
            assertThat(initial.leader()).isEqualTo(victim);

            // The preferred leader's broker dies: fenced on session timeout, leadership moves.
            brokers.get(victim - 1).closeAbruptly();
            PartitionRegistration moved = admin.awaitImage(img -> !img.isUnfenced(victim)
                    && img.partition(t.id(), 0).orElseThrow().leader() != victim, Duration.ofSeconds(10))
                    .partition(t.id(), 0).orElseThrow();
            assertThat(moved.isr()).doesNotContain(victim).hasSize(2);
            assertThat(moved.leader()).isIn(moved.isr());
            assertThat(moved.leaderEpoch()).isEqualTo(initial.leaderEpoch() + 1);

            // It restarts (a new incarnation) and is unfenced; not in the ISR, so it leads nothing yet.
            MetadataClient restarted = cluster.client();
            restarted.registerBroker(new BrokerIdentity(victim, "127.0.0.1", Map.of("grpc", 10_000 + victim), ""));
            MetadataImage back = admin.awaitImage(img -> img.isUnfenced(victim), Duration.ofSeconds(10));
            assertThat(back.partition(t.id(), 0).orElseThrow()).isEqualTo(moved);

            // Once it has caught up, the partition leader adds it back to the ISR, as replication will.
            MetadataClient leader = brokers.get(moved.leader() - 1);
            List<Integer> isr = new ArrayList<>(moved.isr());
            isr.add(victim);
            long rejoinNs = System.nanoTime();
            PartitionState altered = leader.alterPartition(AlterPartitionRequest.newBuilder()
                    .setBrokerId(moved.leader()).setBrokerEpoch(leader.brokerEpoch()).setTopicId(t.id())
                    .setPartition(0).setLeaderEpoch(moved.leaderEpoch()).setPartitionEpoch(moved.partitionEpoch())
                    .addAllNewIsr(isr).build()).getPartition();
            assertThat(altered.getLeader()).isEqualTo(moved.leader());
            assertThat(altered.getIsrList()).containsExactlyInAnyOrderElementsOf(isr);

            // The controller moves leadership back to the preferred replica at once (not at the
            // periodic check, 30 s by default), and every client sees it.
            PartitionRegistration preferred = restarted.awaitImage(
                    img -> img.partition(t.id(), 0).orElseThrow().leader() == victim, Duration.ofSeconds(5))
                    .partition(t.id(), 0).orElseThrow();
            System.out.printf("PREFERRED LEADER: broker %d leads again %d ms after rejoining the ISR%n", victim,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - rejoinNs));
            assertThat(preferred.leaderEpoch()).isEqualTo(moved.leaderEpoch() + 1);
            assertThat(preferred.partitionEpoch()).isEqualTo(altered.getPartitionEpoch() + 1);
            assertThat(preferred.isr()).containsExactlyInAnyOrderElementsOf(isr);
            admin.awaitImage(img -> img.partition(t.id(), 0).orElseThrow().equals(preferred), Duration.ofSeconds(5));
        }
    }

    @Test
    void controlledShutdownMovesLeadershipsBeforeCloseReturns() throws Exception {
        try (TestCluster cluster = new TestCluster(3, dir).start()) {
            cluster.awaitActiveController(Duration.ofSeconds(10));
            List<MetadataClient> brokers = brokers(cluster, 1, 2, 3);
            MetadataClient admin = cluster.client();
            admin.createTopics(topic("t", 3, 3));
            MetadataImage before = admin.awaitImage(img -> img.topicByName("t").isPresent(), Duration.ofSeconds(5));
            int leaving = 1;
            assertThat(before.allPartitions()).anyMatch(p -> p.leader() == leaving);

            long startNs = System.nanoTime();
            brokers.get(leaving - 1).close();
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            System.out.printf("CONTROLLED SHUTDOWN: close() returned after %d ms%n", tookMs);
            assertThat(tookMs).as("well before the session timeout").isLessThan(TestCluster.SESSION_TIMEOUT_MS);

            // When close() returns, the closing broker's own metadata and the controller's show the move.
            MetadataImage own = brokers.get(leaving - 1).image();
            MetadataImage controller = cluster.awaitActiveController(Duration.ofSeconds(5)).image();
            for (MetadataImage img : List.of(own, controller)) {
                assertThat(img.isUnfenced(leaving)).isFalse();
                for (PartitionRegistration p : img.topicByName("t").orElseThrow().partitions().values()) {
                    PartitionRegistration old = before.partition(p.topicId(), p.partition()).orElseThrow();
                    assertThat(p.leader()).isNotEqualTo(leaving).isIn(p.isr());
                    assertThat(p.isr()).doesNotContain(leaving).hasSize(2);
                    if (old.leader() == leaving) {
                        assertThat(p.leaderEpoch()).isEqualTo(old.leaderEpoch() + 1);
                    }
                }
            }
            assertThat(admin.awaitImage(img -> !img.isUnfenced(leaving), Duration.ofSeconds(5)).unfencedBrokerIds())
                    .containsExactly(2, 3);
        }
    }
}
