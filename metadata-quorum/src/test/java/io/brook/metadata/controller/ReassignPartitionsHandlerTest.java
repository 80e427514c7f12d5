package io.brook.metadata.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.ImageRecords;
import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.metadata.v1.AlterPartitionRequest;
import io.brook.proto.metadata.v1.AlterPartitionResponse;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.v1.AlterPartitionReassignmentsRequest;
import io.brook.proto.v1.AlterPartitionReassignmentsResponse;
import io.brook.proto.v1.ReassignablePartition;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * KIP-455 reassignment on the controller: start, completion through the ISR, cancel, replace,
 * refusals that change nothing, and the state surviving other partition changes and snapshots.
 */
class ReassignPartitionsHandlerTest {
    private static final ReassignPartitionsHandler HANDLER = new ReassignPartitionsHandler(ControllerLimits.DEFAULT);
    private long index = 20;

    /** Brokers 1-4 live; topic "t" (id t1) partition 0 on [1,2,3], all in sync, led by 1. */
    private static MetadataImage image() {
        Map<Integer, BrokerRegistration> brokers = Map.of(
                1, new BrokerRegistration(1, 10, "a", "h", Map.of("grpc", 1), "", false),
                2, new BrokerRegistration(2, 11, "b", "h", Map.of("grpc", 2), "", false),
                3, new BrokerRegistration(3, 12, "c", "h", Map.of("grpc", 3), "", false),
                4, new BrokerRegistration(4, 13, "d", "h", Map.of("grpc", 4), "", false));
        TopicImage t = new TopicImage("t1", "t", Map.of(), Map.of(
                0, new PartitionRegistration("t1", 0, List.of(1, 2, 3), List.of(1, 2, 3), 1, 4, 7)));
        return new MetadataImage(20, 1, brokers, Map.of("t1", t), 0, Map.of(), Map.of());
    }

    private static AlterPartitionReassignmentsRequest move(long throttle, List<Integer> target) {
        return AlterPartitionReassignmentsRequest.newBuilder().setThrottleBytesPerSecond(throttle)
                .addPartitions(ReassignablePartition.newBuilder().setTopic("t").setPartition(0).addAllReplicas(target)).build();
    }

    private static AlterPartitionReassignmentsRequest cancel() {
        return AlterPartitionReassignmentsRequest.newBuilder()
                .addPartitions(ReassignablePartition.newBuilder().setTopic("t").setPartition(0).setCancel(true)).build();
    }

    private MetadataImage apply(MetadataImage base, List<MetadataRecord> records) {
        index++;
        return MetadataDelta.replayEntry(base, index, 1, records);
    }

    private static PartitionRegistration p0(MetadataImage image) {
        return image.topic("t1").orElseThrow().partition(0);
    }

    @Test
    void startAddsTheNewReplicasAndKeepsTheOldUntilTheTargetIsInSync() {
        ControllerResult<AlterPartitionReassignmentsResponse> r = HANDLER.handle(image(), move(5000, List.of(2, 3, 4)));
        assertThat(r.response(21).getResults(0).hasError()).isFalse();
        PartitionRegistration p = p0(apply(image(), r.records()));

        assertThat(p.replicas()).containsExactly(2, 3, 4, 1);
        assertThat(p.addingReplicas()).containsExactly(4);
        assertThat(p.removingReplicas()).containsExactly(1);
        assertThat(p.isr()).containsExactlyInAnyOrder(1, 2, 3);
        assertThat(p.leader()).as("the leader stays while its replica is being removed").isEqualTo(1);
        assertThat(p.leaderEpoch()).isEqualTo(4);
        assertThat(p.partitionEpoch()).isEqualTo(8);
        assertThat(p.reassignmentThrottle()).isEqualTo(5000);
        assertThat(p.targetReplicas()).containsExactly(2, 3, 4);
        assertThat(p.originalReplicas()).containsExactly(2, 3, 1);
    }

    @Test
    void theIsrTakingInEveryTargetReplicaCompletesItAndMovesLeadershipOffARemovedLeader() {
        MetadataImage moving = apply(image(), HANDLER.handle(image(), move(0, List.of(2, 3, 4))).records());
        PartitionRegistration p = p0(moving);
        ControllerResult<AlterPartitionResponse> expand = new AlterPartitionHandler().handle(moving,
                AlterPartitionRequest.newBuilder().setBrokerId(1).setBrokerEpoch(10).setTopicId("t1").setPartition(0)
                        .setLeaderEpoch(p.leaderEpoch()).setPartitionEpoch(p.partitionEpoch()).addAllNewIsr(List.of(1, 2, 3, 4))
                        .build());
        PartitionRegistration done = p0(apply(moving, expand.records()));

        assertThat(done.isReassigning()).isFalse();
        assertThat(done.replicas()).containsExactly(2, 3, 4);
        assertThat(done.isr()).containsExactly(2, 3, 4);
        assertThat(done.leader()).isEqualTo(2);
        assertThat(done.leaderEpoch()).isEqualTo(p.leaderEpoch() + 1);
        assertThat(done.reassignmentThrottle()).isZero();
        assertThat(expand.response(30).getPartition().getLeader()).as("the leader learns it lost leadership").isEqualTo(2);
        assertThat(expand.response(30).getPartition().getReplicasList()).containsExactly(2, 3, 4);
    }

    @Test
    void anIsrChangeThatDoesNotCompleteItKeepsTheReassignmentState() {
        MetadataImage moving = apply(image(), HANDLER.handle(image(), move(700, List.of(2, 3, 4))).records());
        PartitionRegistration p = p0(moving);
        // The leader shrinks the ISR (broker 3 fell behind): the record must restate the reassignment.
        PartitionRegistration after = p0(apply(moving, List.of(PartitionChanges.change(p, 1, List.of(1, 2)))));

        assertThat(after.isr()).containsExactly(1, 2);
        assertThat(after.addingReplicas()).containsExactly(4);
        assertThat(after.removingReplicas()).containsExactly(1);
        assertThat(after.replicas()).containsExactly(2, 3, 4, 1);
        assertThat(after.reassignmentThrottle()).isEqualTo(700);
    }

    @Test
    void cancelRevertsToTheOriginalReplicas() {
        MetadataImage moving = apply(image(), HANDLER.handle(image(), move(0, List.of(2, 3, 4))).records());
        ControllerResult<AlterPartitionReassignmentsResponse> r = HANDLER.handle(moving, cancel());
        assertThat(r.response(22).getResults(0).hasError()).isFalse();
        PartitionRegistration p = p0(apply(moving, r.records()));

        assertThat(p.isReassigning()).isFalse();
        assertThat(p.replicas()).containsExactlyInAnyOrder(1, 2, 3);
        assertThat(p.isr()).containsExactlyInAnyOrder(1, 2, 3);
        assertThat(p.leader()).isEqualTo(1);
    }

    @Test
    void aNewTargetReplacesTheOneInProgressRelativeToTheOriginalReplicas() {
        MetadataImage moving = apply(image(), HANDLER.handle(image(), move(0, List.of(2, 3, 4))).records());
        PartitionRegistration p = p0(apply(moving, HANDLER.handle(moving, move(0, List.of(1, 2, 4))).records()));

        assertThat(p.addingReplicas()).containsExactly(4);
        assertThat(p.removingReplicas()).containsExactly(3);
        assertThat(p.replicas()).containsExactly(1, 2, 4, 3);
        assertThat(p.originalReplicas()).containsExactly(1, 2, 3);
    }

    @Test
    void aReorderOrAShrinkWhoseTargetIsInSyncCompletesAtOnce() {
        PartitionRegistration reordered = p0(apply(image(), HANDLER.handle(image(), move(0, List.of(3, 2, 1))).records()));
        assertThat(reordered.isReassigning()).isFalse();
        assertThat(reordered.replicas()).containsExactly(3, 2, 1);
        assertThat(reordered.leader()).isEqualTo(1);

        PartitionRegistration shrunk = p0(apply(image(), HANDLER.handle(image(), move(0, List.of(2, 3))).records()));
        assertThat(shrunk.isReassigning()).isFalse();
        assertThat(shrunk.replicas()).containsExactly(2, 3);
        assertThat(shrunk.isr()).containsExactly(2, 3);
        assertThat(shrunk.leader()).as("leadership leaves the removed replica").isEqualTo(2);

        assertThat(HANDLER.handle(image(), move(0, List.of(1, 2, 3))).records()).as("already the replicas").isEmpty();
    }

    @Test
    void badTargetsAndCancelsWithoutAReassignmentAreRefusedPerPartitionAndChangeNothing() {
        assertRefused(move(0, List.of(1, 9)), ErrorCode.INVALID_REPLICA_ASSIGNMENT, "broker 9 is not a registered broker");
        assertRefused(move(0, List.of(1, 1)), ErrorCode.INVALID_REPLICA_ASSIGNMENT, "repeat");
        assertRefused(move(0, List.of()), ErrorCode.INVALID_REPLICA_ASSIGNMENT, "name the target replicas");
        assertRefused(cancel(), ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, "is not being reassigned");
        assertRefused(AlterPartitionReassignmentsRequest.newBuilder().addPartitions(ReassignablePartition.newBuilder()
                .setTopic("t").setPartition(5).addReplicas(1)).build(), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "t-5");

        assertThatThrownBy(() -> HANDLER.handle(image(), move(-1, List.of(2, 3, 4))))
                .isInstanceOfSatisfying(BrookException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST))
                .hasMessageContaining("throttle");
        ReassignPartitionsHandler small = new ReassignPartitionsHandler(new ControllerLimits(1, 100, 1 << 20));
        AlterPartitionReassignmentsRequest two = move(0, List.of(2, 3, 4)).toBuilder()
                .addPartitions(ReassignablePartition.newBuilder().setTopic("t").setPartition(1).addReplicas(1)).build();
        assertThatThrownBy(() -> small.handle(image(), two)).hasMessageContaining("controller.max.partitions.per.request");
    }

    private void assertRefused(AlterPartitionReassignmentsRequest req, ErrorCode code, String message) {
        ControllerResult<AlterPartitionReassignmentsResponse> r = HANDLER.handle(image(), req);
        assertThat(r.records()).as("nothing changes").isEmpty();
        assertThat(r.response(21).getResults(0).getError().getCode()).isEqualTo(code);
        assertThat(r.response(21).getResults(0).getError().getMessage()).contains(message);
    }

    @Test
    void snapshotsCarryTheReassignmentInProgress() {
        MetadataImage moving = apply(image(), HANDLER.handle(image(), move(4096, List.of(2, 3, 4))).records());
        PartitionRegistration restored = p0(ImageRecords.fromSnapshot(ImageRecords.toSnapshot(moving)));

        assertThat(restored).isEqualTo(p0(moving));
        assertThat(restored.addingReplicas()).containsExactly(4);
        assertThat(restored.reassignmentThrottle()).isEqualTo(4096);
    }
}
