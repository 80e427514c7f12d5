package io.brook.metadata.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.metadata.v1.PartitionChangeRecord;
import io.brook.proto.v1.ElectLeadersRequest;
import io.brook.proto.v1.ElectLeadersResponse;
import io.brook.proto.v1.ElectionType;
import io.brook.proto.v1.PartitionElection;
import io.brook.proto.v1.TopicPartitions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Kafka's ElectLeaders on the controller: preferred and unclean, per partition, never unsafe. */
class ElectLeadersHandlerTest {
    private static final ElectLeadersHandler HANDLER = new ElectLeadersHandler(1_000);

    /**
     * Topic "t" (id t1), replicas [1,2,3] everywhere. Partition 0: led by 2, ISR [1,2,3] (the
     * preferred replica 1 can take over). Partition 1: led by 1 already. Partition 2: no leader,
     * ISR [1] only. Broker 1 fenced when {@code oneFenced}; broker 3 fenced when {@code threeFenced}.
     */
    private static MetadataImage image(boolean oneFenced, boolean twoFenced, boolean threeFenced) {
        Map<Integer, BrokerRegistration> brokers = Map.of(
                1, new BrokerRegistration(1, 10, "a", "h", Map.of("grpc", 1), "", oneFenced),
                2, new BrokerRegistration(2, 11, "b", "h", Map.of("grpc", 2), "", twoFenced),
                3, new BrokerRegistration(3, 12, "c", "h", Map.of("grpc", 3), "", threeFenced));
        TopicImage t = new TopicImage("t1", "t", Map.of(), Map.of(
                0, new PartitionRegistration("t1", 0, List.of(1, 2, 3), List.of(1, 2, 3), 2, 4, 7),
                1, new PartitionRegistration("t1", 1, List.of(1, 2, 3), List.of(1, 2, 3), 1, 4, 7),
                2, new PartitionRegistration("t1", 2, List.of(1, 2, 3), List.of(1), PartitionRegistration.NO_LEADER, 4, 7)));
        return new MetadataImage(20, 1, brokers, Map.of("t1", t), 0, Map.of(), Map.of());
    }

    private static ElectLeadersRequest request(ElectionType type, TopicPartitions... which) {
        return ElectLeadersRequest.newBuilder().setType(type).addAllPartitions(List.of(which)).build();
    }

    private static PartitionElection result(ElectLeadersResponse r, int partition) {
        return r.getResultsList().stream().filter(e -> e.getPartition() == partition).findFirst().orElseThrow();
    }

    @Test
    void preferredMovesLeadershipToTheLiveInSyncPreferredReplicaOnly() {
        ControllerResult<ElectLeadersResponse> out = HANDLER.handle(image(false, false, false),
                request(ElectionType.ELECTION_TYPE_PREFERRED), Set.of());
        ElectLeadersResponse r = out.responseAtIndex().apply(21);

        assertThat(r.getResultsCount()).isEqualTo(3);
        assertThat(result(r, 0).hasError()).isFalse();
        assertThat(result(r, 0).getLeader()).isEqualTo(1);
        assertThat(result(r, 1).getError().getCode()).isEqualTo(ErrorCode.ELECTION_NOT_NEEDED);
        assertThat(result(r, 2).hasError()).as("leaderless, its preferred replica live and in sync").isFalse();
        assertThat(result(r, 2).getLeader()).isEqualTo(1);
        assertThat(out.records()).hasSize(2).first().satisfies(rec -> {
            PartitionChangeRecord c = rec.getPartitionChange();
            assertThat(c.getPartition()).isZero();
            assertThat(c.getLeader()).isEqualTo(1);
            assertThat(c.getLeaderEpoch()).isEqualTo(5);
            assertThat(c.getIsrList()).containsExactly(1, 2, 3);
        });
    }

    @Test
    void preferredNeverElectsAFencedOrShuttingDownReplica() {
        ElectLeadersResponse fenced = HANDLER.handle(image(true, false, false),
                request(ElectionType.ELECTION_TYPE_PREFERRED, TopicPartitions.newBuilder().setTopic("t").addPartitions(0).build()),
                Set.of()).responseAtIndex().apply(21);
        assertThat(fenced.getResults(0).getError().getCode()).isEqualTo(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
        assertThat(fenced.getResults(0).getLeader()).isEqualTo(2);

        ControllerResult<ElectLeadersResponse> leaving = HANDLER.handle(image(false, false, false),
                request(ElectionType.ELECTION_TYPE_PREFERRED), Set.of(1));
        assertThat(leaving.records()).isEmpty();
    }

    @Test
    void uncleanGivesALeaderlessPartitionALiveReplicaAloneInANewIsr() {
        // Broker 1, the only ISR member of partition 2, is fenced; 2 and 3 are live.
        ControllerResult<ElectLeadersResponse> out = HANDLER.handle(image(true, false, false),
                request(ElectionType.ELECTION_TYPE_UNCLEAN, TopicPartitions.newBuilder().setTopic("t").build()), Set.of());
        ElectLeadersResponse r = out.responseAtIndex().apply(21);
        assertThat(result(r, 0).getError().getCode()).as("has a leader").isEqualTo(ErrorCode.ELECTION_NOT_NEEDED);
        assertThat(result(r, 2).hasError()).isFalse();
        assertThat(result(r, 2).getLeader()).isEqualTo(2);
        assertThat(out.records()).singleElement().satisfies(rec -> {
            assertThat(rec.getPartitionChange().getLeader()).isEqualTo(2);
            assertThat(rec.getPartitionChange().getIsrList()).containsExactly(2);
        });
    }

    @Test
    void uncleanWithNoLiveReplicaChangesNothing() {
        ControllerResult<ElectLeadersResponse> out = HANDLER.handle(image(true, true, true),
                request(ElectionType.ELECTION_TYPE_UNCLEAN, TopicPartitions.newBuilder().setTopic("t").addPartitions(2).build()),
                Set.of());
        assertThat(out.records()).isEmpty();
        assertThat(out.responseAtIndex().apply(21).getResults(0).getError().getCode())
                .isEqualTo(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE);
    }

    @Test
    void unknownPartitionsAndTopicsAreAnsweredAndAMissingTypeIsRefused() {
        ElectLeadersResponse r = HANDLER.handle(image(false, false, false), request(ElectionType.ELECTION_TYPE_PREFERRED,
                TopicPartitions.newBuilder().setTopic("t").addPartitions(9).build(),
                TopicPartitions.newBuilder().setTopic("nope").build()), Set.of()).responseAtIndex().apply(21);
        assertThat(r.getResultsList()).extracting(e -> e.getError().getCode())
                .containsExactly(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        assertThatThrownBy(() -> HANDLER.handle(image(false, false, false), request(ElectionType.ELECTION_TYPE_UNSPECIFIED),
                Set.of())).isInstanceOf(BrookException.class).hasMessageContaining("PREFERRED or UNCLEAN");
    }

    @Test
    void atMostMaxPerWritePartitionsChangeInOneRequest() {
        // Preferred: t-0, t-2 and u-0 are all eligible; only one may change.
        MetadataImage base = image(false, false, false);
        TopicImage t = base.topicsById().get("t1");
        TopicImage u = new TopicImage("u1", "u", Map.of(), Map.of(0,
                new PartitionRegistration("u1", 0, List.of(1, 2, 3), List.of(1, 2, 3), 3, 2, 2)));
        MetadataImage two = new MetadataImage(20, 1, base.brokers(), Map.of("t1", t, "u1", u), 0, Map.of(), Map.of());
        ControllerResult<ElectLeadersResponse> out = new ElectLeadersHandler(1).handle(two,
                request(ElectionType.ELECTION_TYPE_PREFERRED), Set.of());
        assertThat(out.records()).hasSize(1);
        ElectLeadersResponse r = out.responseAtIndex().apply(21);
        assertThat(r.getResultsList().stream().filter(e -> e.hasError()
                && e.getError().getCode() == ErrorCode.INVALID_REQUEST)).hasSize(2)
                .allSatisfy(e -> assertThat(e.getError().getMessage()).contains("run the election again"));
    }
}
