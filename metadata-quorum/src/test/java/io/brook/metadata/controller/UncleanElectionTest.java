package io.brook.metadata.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.PartitionChangeRecord;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UncleanElectionTest {

    /** Replicas 1,2,3; ISR [1] led by 1; brokers 2 and 3 live. */
    private static MetadataImage image(boolean unclean, boolean oneFenced) {
        Map<Integer, BrokerRegistration> brokers = Map.of(
                1, new BrokerRegistration(1, 10, "a", "h", Map.of("grpc", 1), "", oneFenced),
                2, new BrokerRegistration(2, 11, "b", "h", Map.of("grpc", 2), "", false),
                3, new BrokerRegistration(3, 12, "c", "h", Map.of("grpc", 3), "", false));
        PartitionRegistration p = new PartitionRegistration("t1", 0, List.of(1, 2, 3), List.of(1), 1, 4, 7);
        TopicImage topic = new TopicImage("t1", "topic", unclean ? Map.of("unclean.leader.election.enable", "true") : Map.of(),
                Map.of(0, p));
        return new MetadataImage(20, 1, brokers, Map.of("t1", topic), 0, Map.of(), Map.of());
    }

    @Test
    void byDefaultTheLastInSyncReplicaKeepsThePartitionLeaderless() {
        List<MetadataRecord> out = PartitionChanges.brokersLeaving(image(false, false), Set.of(1));
        PartitionChangeRecord c = out.get(0).getPartitionChange();
        assertThat(c.getLeader()).isEqualTo(PartitionRegistration.NO_LEADER);
        assertThat(c.getIsrList()).containsExactly(1);
    }

    @Test
    void whenAllowedAnAvailableReplicaTakesOverAloneInANewIsr() {
        List<MetadataRecord> out = PartitionChanges.brokersLeaving(image(true, false), Set.of(1));
        PartitionChangeRecord c = out.get(0).getPartitionChange();
        assertThat(c.getLeader()).isEqualTo(2);
        assertThat(c.getIsrList()).containsExactly(2);
        assertThat(c.getLeaderEpoch()).isEqualTo(5);
    }

    @Test
    void aReturningOutOfSyncReplicaLeadsALeaderlessPartitionOnlyWhenAllowed() {
        MetadataImage leaderless = withLeaderless(image(true, true));
        assertThat(PartitionChanges.brokerReturning(leaderless, 3, Set.of())).singleElement()
                .satisfies(r -> assertThat(r.getPartitionChange().getLeader()).isEqualTo(3));
        assertThat(PartitionChanges.brokerReturning(withLeaderless(image(false, true)), 3, Set.of())).isEmpty();
    }

    private static MetadataImage withLeaderless(MetadataImage img) {
        TopicImage t = img.topicsById().get("t1");
        PartitionRegistration p = t.partition(0).withChange(PartitionRegistration.NO_LEADER, List.of(1), 5, 8);
        return new MetadataImage(img.appliedIndex(), img.appliedTerm(), img.brokers(),
                Map.of("t1", new TopicImage("t1", t.name(), t.configs(), Map.of(0, p))), 0, Map.of(), Map.of());
    }
}
