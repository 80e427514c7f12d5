package io.brook.metadata.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.proto.metadata.v1.FenceBrokerRecord;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.PartitionChangeRecord;
import io.brook.proto.metadata.v1.PartitionRecord;
import io.brook.proto.metadata.v1.RegisterBrokerRecord;
import io.brook.proto.metadata.v1.TopicRecord;
import io.brook.proto.metadata.v1.UnfenceBrokerRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The election rule on hand-built images: who is eligible, what is written, the bound per entry. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PreferredLeaderElectionTest {

    static MetadataRecord partition(int index, List<Integer> replicas, List<Integer> isr, int leader) {
        return MetadataRecord.newBuilder().setPartition(PartitionRecord.newBuilder().setTopicId("T").setPartition(index)
                .addAllReplicas(replicas).addAllIsr(isr).setLeader(leader)).build();
    }

    /** Brokers 1..3 unfenced (epoch 1); topic T with partitions in every interesting state. */
    static MetadataImage image() {
        List<MetadataRecord> brokers = new ArrayList<>();
        List<MetadataRecord> unfence = new ArrayList<>();
        for (int id = 1; id <= 3; id++) {
            brokers.add(MetadataRecord.newBuilder().setRegisterBroker(RegisterBrokerRecord.newBuilder().setBrokerId(id)
                    .setIncarnationId("i" + id).setHost("h").putPorts("grpc", 9000 + id).setFenced(true)).build());
            unfence.add(MetadataRecord.newBuilder().setUnfenceBroker(UnfenceBrokerRecord.newBuilder().setBrokerId(id)
                    .setBrokerEpoch(1)).build());
        }
        MetadataImage image = MetadataDelta.replayEntry(MetadataImage.EMPTY, 1, 1, brokers);
        image = MetadataDelta.replayEntry(image, 2, 1, unfence);
        return MetadataDelta.replayEntry(image, 3, 1, List.of(
                MetadataRecord.newBuilder().setTopic(TopicRecord.newBuilder().setName("t").setTopicId("T")).build(),
                partition(0, List.of(1, 2, 3), List.of(1, 2, 3), 2),   // eligible
                partition(1, List.of(2, 3, 1), List.of(3, 1), 3),      // preferred not in the ISR
                partition(2, List.of(3, 1, 2), List.of(3, 1, 2), 3),   // led by its preferred replica
                partition(3, List.of(1, 3), List.of(1, 3), 3),         // eligible
                partition(4, List.of(3, 2), List.of(3), -1)));         // leaderless, preferred in sync: eligible
    }

    static List<PartitionChangeRecord> changes(ControllerResult<?> result) {
        return result.records().stream().map(MetadataRecord::getPartitionChange).toList();
    }

    @Test
    void electsOnlyUnfencedInSyncPreferredReplicasKeepingTheIsr() {
        MetadataImage image = image();
        ControllerResult<PreferredLeaderElection.Outcome> result = new PreferredLeaderElection(10).elect(image, Set.of());
        assertThat(result.response(0)).isEqualTo(new PreferredLeaderElection.Outcome(3, false));
        assertThat(changes(result)).extracting(PartitionChangeRecord::getPartition).containsExactly(0, 3, 4);
        for (PartitionChangeRecord c : changes(result)) {
            PartitionRegistration p = image.partition("T", c.getPartition()).orElseThrow();
            assertThat(c.getLeader()).isEqualTo(p.replicas().get(0));
            assertThat(c.getIsrList()).isEqualTo(p.isr());
            assertThat(c.getLeaderEpoch()).isEqualTo(p.leaderEpoch() + 1);
            assertThat(c.getPartitionEpoch()).isEqualTo(p.partitionEpoch() + 1);
        }
        MetadataImage after = MetadataDelta.replayEntry(image, 4, 1, result.records());
        assertThat(new PreferredLeaderElection(10).elect(after, Set.of()).records()).as("balanced now").isEmpty();
    }

    @Test
    void neverElectsAFencedOrShuttingDownBroker() {
        MetadataImage image = image();
        assertThat(changes(new PreferredLeaderElection(10).elect(image, Set.of(1))))
                .as("broker 1 in controlled shutdown").extracting(PartitionChangeRecord::getPartition).containsExactly(4);
        MetadataImage fenced = MetadataDelta.replayEntry(image, 4, 1, List.of(MetadataRecord.newBuilder()
                .setFenceBroker(FenceBrokerRecord.newBuilder().setBrokerId(3).setBrokerEpoch(1)).build()));
        assertThat(changes(new PreferredLeaderElection(10).elect(fenced, Set.of())))
                .as("broker 3 fenced").extracting(PartitionChangeRecord::getPartition).containsExactly(0, 3);
    }

    @Test
    void boundedPerEntry() {
        ControllerResult<PreferredLeaderElection.Outcome> result = new PreferredLeaderElection(2).elect(image(), Set.of());
        assertThat(result.response(0)).isEqualTo(new PreferredLeaderElection.Outcome(2, true));
        assertThat(changes(result)).extracting(PartitionChangeRecord::getPartition).containsExactly(0, 3);
    }

    @Test
    void writesThatMayEnableAnElection() {
        MetadataImage image = image();
        PartitionRegistration p1 = image.partition("T", 1).orElseThrow();
        PartitionRegistration p2 = image.partition("T", 2).orElseThrow();
        MetadataRecord unfence = MetadataRecord.newBuilder().setUnfenceBroker(UnfenceBrokerRecord.newBuilder()
                .setBrokerId(1).setBrokerEpoch(1)).build();
        assertThat(PreferredLeaderElection.mayEnable(image, List.of(unfence))).isTrue();
        assertThat(PreferredLeaderElection.mayEnable(image, List.of(PartitionChanges.change(p1, 3, List.of(2, 3, 1)))))
                .as("preferred replica 2 rejoins the ISR").isTrue();
        assertThat(PreferredLeaderElection.mayEnable(image, List.of(PartitionChanges.change(p1, 3, List.of(3)))))
                .as("an ISR shrink").isFalse();
        assertThat(PreferredLeaderElection.mayEnable(image, List.of(PartitionChanges.change(p2, 3, List.of(3, 1)))))
                .as("led by its preferred replica").isFalse();
    }
}
