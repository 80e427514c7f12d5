package io.brook.metadata.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.brook.proto.metadata.v1.FenceBrokerRecord;
import io.brook.proto.metadata.v1.GroupMemberRecord;
import io.brook.proto.metadata.v1.GroupMemberRemovedRecord;
import io.brook.proto.metadata.v1.GroupMetadataRecord;
import io.brook.proto.metadata.v1.GroupRemovedRecord;
import io.brook.proto.metadata.v1.MemberState;
import io.brook.proto.metadata.v1.GroupTargetAssignmentRecord;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.PartitionChangeRecord;
import io.brook.proto.metadata.v1.PartitionRecord;
import io.brook.proto.metadata.v1.ProducerIdsRecord;
import io.brook.proto.metadata.v1.RegisterBrokerRecord;
import io.brook.proto.metadata.v1.TopicConfigRecord;
import io.brook.proto.metadata.v1.TopicPartitions;
import io.brook.proto.metadata.v1.TopicRecord;
import io.brook.proto.metadata.v1.UnfenceBrokerRecord;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class MetadataDeltaTest {

    static MetadataRecord register(int id, String incarnation) {
        return MetadataRecord.newBuilder().setRegisterBroker(RegisterBrokerRecord.newBuilder().setBrokerId(id)
                .setIncarnationId(incarnation).setHost("h" + id).putPorts("grpc", 9000 + id).setFenced(true)).build();
    }

    static MetadataRecord unfence(int id, long epoch) {
        return MetadataRecord.newBuilder().setUnfenceBroker(UnfenceBrokerRecord.newBuilder()
                .setBrokerId(id).setBrokerEpoch(epoch)).build();
    }

    static MetadataRecord change(String topicId, int p, int leader, List<Integer> isr, int le, int pe) {
        return MetadataRecord.newBuilder().setPartitionChange(PartitionChangeRecord.newBuilder().setTopicId(topicId)
                .setPartition(p).setLeader(leader).addAllIsr(isr).setLeaderEpoch(le).setPartitionEpoch(pe)).build();
    }

    /** A log of entries touching every record type. */
    static List<List<MetadataRecord>> sampleLog() {
        return List.of(
                List.of(register(1, "a"), register(2, "b"), register(3, "c")),
                List.of(unfence(1, 1), unfence(2, 1), unfence(3, 1)),
                List.of(MetadataRecord.newBuilder().setTopic(TopicRecord.newBuilder().setName("orders")
                                .setTopicId("T1").putConfigs("retention.ms", "1000")).build(),
                        MetadataRecord.newBuilder().setPartition(PartitionRecord.newBuilder().setTopicId("T1")
                                .setPartition(0).addAllReplicas(List.of(1, 2, 3)).addAllIsr(List.of(1, 2, 3))
                                .setLeader(1)).build(),
                        MetadataRecord.newBuilder().setPartition(PartitionRecord.newBuilder().setTopicId("T1")
                                .setPartition(1).addAllReplicas(List.of(2, 3, 1)).addAllIsr(List.of(2, 3, 1))
                                .setLeader(2)).build()),
                List.of(MetadataRecord.newBuilder().setFenceBroker(FenceBrokerRecord.newBuilder()
                                .setBrokerId(1).setBrokerEpoch(1)).build(),
                        change("T1", 0, 2, List.of(2, 3), 1, 1),
                        change("T1", 1, 2, List.of(2, 3), 0, 1)),
                List.of(MetadataRecord.newBuilder().setTopicConfig(TopicConfigRecord.newBuilder().setTopicId("T1")
                        .setKey("cleanup.policy").setValue("compact")).build(),
                        MetadataRecord.newBuilder().setProducerIds(ProducerIdsRecord.newBuilder().setBrokerId(2)
                                .setBrokerEpoch(1).setNextProducerId(1000)).build()),
                List.of(groupMetadata("g", 1, 1, 42, 0),
                        MetadataRecord.newBuilder().setGroupMember(GroupMemberRecord.newBuilder().setGroupId("g")
                                .setMemberId("m1").setClientId("c1").setClientHost("10.0.0.1")
                                .addSubscribedTopicNames("orders").setServerAssignor("range")
                                .setRebalanceTimeoutMs(300_000).setMemberEpoch(1).setPreviousMemberEpoch(0)
                                .setState(MemberState.MEMBER_STATE_STABLE)
                                .addAssigned(TopicPartitions.newBuilder().setTopicId("T1").addPartitions(0)))
                                .build(),
                        MetadataRecord.newBuilder().setGroupMember(GroupMemberRecord.newBuilder().setGroupId("g")
                                .setMemberId("m2").setInstanceId("i2").setSubscribedTopicRegex("ord.*")
                                .setMemberEpoch(1).setState(MemberState.MEMBER_STATE_UNREVOKED_PARTITIONS)
                                .addAssigned(TopicPartitions.newBuilder().setTopicId("T1").addPartitions(1))
                                .addPendingRevocation(TopicPartitions.newBuilder().setTopicId("T1").addPartitions(2)))
                                .build(),
                        MetadataRecord.newBuilder().setGroupTargetAssignment(GroupTargetAssignmentRecord.newBuilder()
                                .setGroupId("g").setMemberId("m1").addPartitions(
                                        TopicPartitions.newBuilder().setTopicId("T1").addPartitions(1).addPartitions(0)))
                                .build(),
                        MetadataRecord.newBuilder().setGroupTargetAssignment(GroupTargetAssignmentRecord.newBuilder()
                                .setGroupId("g").setMemberId("m2")).build(),
                        groupMetadata("g2", 1, 1, 0, 0),
                        groupMetadata("empty", 3, 3, 0, 1_700_000_000_000L)),
                // m2 leaves as a static member (its epoch goes down to -2), m1 leaves, g2 is deleted.
                List.of(MetadataRecord.newBuilder().setGroupMember(GroupMemberRecord.newBuilder().setGroupId("g")
                                .setMemberId("m2").setInstanceId("i2").setSubscribedTopicRegex("ord.*")
                                .setMemberEpoch(-2).setPreviousMemberEpoch(1)
                                .setState(MemberState.MEMBER_STATE_STABLE)
                                .addAssigned(TopicPartitions.newBuilder().setTopicId("T1").addPartitions(1)))
                                .build(),
                        MetadataRecord.newBuilder().setGroupMemberRemoved(GroupMemberRemovedRecord.newBuilder()
                                .setGroupId("g").setMemberId("m1")).build(),
                        groupMetadata("g", 2, 2, 43, 0),
                        MetadataRecord.newBuilder().setGroupRemoved(GroupRemovedRecord.newBuilder().setGroupId("g2"))
                                .build()));
    }

    static MetadataRecord groupMetadata(String groupId, int epoch, int assignmentEpoch, long hash, long emptySince) {
        return MetadataRecord.newBuilder().setGroupMetadata(GroupMetadataRecord.newBuilder().setGroupId(groupId)
                .setEpoch(epoch).setAssignmentEpoch(assignmentEpoch).setMetadataHash(hash).setEmptySinceMs(emptySince)
                .setAssignor("uniform")).build();
    }

    static MetadataImage replay(List<List<MetadataRecord>> log) {
        MetadataImage image = MetadataImage.EMPTY;
        for (int i = 0; i < log.size(); i++) {
            image = MetadataDelta.replayEntry(image, i + 1, 1, log.get(i));
        }
        return image;
    }

    @Test
    void replayBuildsTheExpectedImage() {
        MetadataImage image = replay(sampleLog());
        assertThat(image.appliedIndex()).isEqualTo(7);
        assertThat(image.brokers().get(1).epoch()).as("epoch = index of the registration entry").isEqualTo(1);
        assertThat(image.brokers().get(1).fenced()).isTrue();
        assertThat(image.brokers().get(2).fenced()).isFalse();
        PartitionRegistration p0 = image.partition("T1", 0).orElseThrow();
        assertThat(p0.leader()).isEqualTo(2);
        assertThat(p0.isr()).containsExactly(2, 3);
        assertThat(p0.leaderEpoch()).isEqualTo(1);
        assertThat(p0.partitionEpoch()).isEqualTo(1);
        assertThat(image.topicByName("orders").orElseThrow().configs())
                .containsExactlyInAnyOrderEntriesOf(Map.of("retention.ms", "1000", "cleanup.policy", "compact"));
        assertThat(image.nextProducerId()).isEqualTo(1000);
        GroupImage g = image.groups().get("g");
        assertThat(g.epoch()).isEqualTo(2);
        assertThat(g.assignmentEpoch()).isEqualTo(2);
        assertThat(g.metadataHash()).isEqualTo(43);
        assertThat(g.assignor()).isEqualTo("uniform");
        assertThat(g.members()).containsOnlyKeys("m2");
        assertThat(g.targetAssignment()).as("a removed member's target goes with it").containsOnlyKeys("m2");
        GroupMember m2 = g.members().get("m2");
        assertThat(m2.memberEpoch()).as("a static leave lowers the epoch").isEqualTo(-2);
        assertThat(m2.previousMemberEpoch()).isEqualTo(1);
        assertThat(m2.instanceId()).isEqualTo("i2");
        assertThat(m2.subscribedTopicRegex()).isEqualTo("ord.*");
        assertThat(m2.assigned()).isEqualTo(Map.of("T1", List.of(1)));
        assertThat(m2.pendingRevocation()).isEmpty();
        assertThat(image.groups()).containsOnlyKeys("g", "empty");
        assertThat(image.groups().get("empty").emptySinceMs()).isEqualTo(1_700_000_000_000L);
        assertThat(image.groups().get("empty").state()).isEqualTo(GroupImage.EMPTY);
    }

    @Test
    void groupRecordsApplyInFull() {
        MetadataImage image = replay(sampleLog().subList(0, 6));
        GroupImage g = image.groups().get("g");
        GroupMember m1 = g.members().get("m1");
        assertThat(m1.clientId()).isEqualTo("c1");
        assertThat(m1.clientHost()).isEqualTo("10.0.0.1");
        assertThat(m1.subscribedTopicNames()).containsExactly("orders");
        assertThat(m1.serverAssignor()).isEqualTo("range");
        assertThat(m1.rebalanceTimeoutMs()).isEqualTo(300_000);
        assertThat(m1.state()).isEqualTo(MemberState.MEMBER_STATE_STABLE);
        assertThat(g.members().get("m2").pendingRevocation()).isEqualTo(Map.of("T1", List.of(2)));
        assertThat(g.targetAssignment().get("m1")).as("sorted").isEqualTo(Map.of("T1", List.of(0, 1)));
        assertThat(g.targetAssignment().get("m2")).isEmpty();
        assertThat(g.state()).isEqualTo(GroupImage.RECONCILING);
        // Group records for an unknown group change nothing.
        MetadataImage after = MetadataDelta.replayEntry(image, 7, 1, List.of(
                MetadataRecord.newBuilder().setGroupMember(GroupMemberRecord.newBuilder().setGroupId("nope")
                        .setMemberId("x")).build(),
                MetadataRecord.newBuilder().setGroupTargetAssignment(GroupTargetAssignmentRecord.newBuilder()
                        .setGroupId("nope").setMemberId("x")).build(),
                MetadataRecord.newBuilder().setGroupMemberRemoved(GroupMemberRemovedRecord.newBuilder()
                        .setGroupId("nope").setMemberId("x")).build()));
        assertThat(withIndex(after, image.appliedIndex())).isEqualTo(image);
    }

    @Test
    void replayingAnEntryTwiceLeavesTheSameImage() {
        List<List<MetadataRecord>> log = sampleLog();
        MetadataImage once = MetadataImage.EMPTY;
        for (int i = 0; i < log.size(); i++) {
            once = MetadataDelta.replayEntry(once, i + 1, 1, log.get(i));
            // Same entry again (a restart replaying the log tail): a no-op.
            assertThat(MetadataDelta.replayEntry(once, i + 1, 1, log.get(i))).isSameAs(once);
        }
        // Every record also applies idempotently on its own (epoch and existence checks),
        // even when re-delivered under a later index.
        MetadataImage again = once;
        for (List<MetadataRecord> entry : log.subList(1, log.size())) {
            again = MetadataDelta.replayEntry(again, again.appliedIndex() + 1, 1, entry);
        }
        assertThat(withIndex(again, once.appliedIndex())).isEqualTo(once);
    }

    @Test
    void staleRecordsChangeNothing() {
        MetadataImage image = replay(sampleLog());
        MetadataImage after = MetadataDelta.replayEntry(image, 8, 1, List.of(
                change("T1", 0, 3, List.of(3), 5, 1),     // partition epoch not newer
                unfence(1, 99),                            // wrong broker epoch
                MetadataRecord.newBuilder().setTopic(TopicRecord.newBuilder().setName("orders").setTopicId("T2")).build(),
                MetadataRecord.newBuilder().setProducerIds(ProducerIdsRecord.newBuilder().setNextProducerId(500)).build(),
                groupMetadata("g", 1, 1, 7, 0)));             // group epoch older
        assertThat(withIndex(after, image.appliedIndex())).isEqualTo(image);
    }

    @Test
    void snapshotRecordsRebuildTheSameImage() {
        MetadataImage image = replay(sampleLog());
        MetadataImage rebuilt = ImageRecords.fromSnapshot(ImageRecords.toSnapshot(image));
        assertThat(rebuilt).isEqualTo(image);
        // Broker epochs survive even though the snapshot is replayed at a different index.
        assertThat(rebuilt.brokers().get(3).epoch()).isEqualTo(1);
    }

    @Test
    void reRegistrationGetsTheNewEntryIndexAsEpoch() {
        MetadataImage image = replay(sampleLog());
        MetadataImage after = MetadataDelta.replayEntry(image, 10, 2, List.of(register(1, "a2")));
        assertThat(after.brokers().get(1).epoch()).isEqualTo(10);
        assertThat(after.brokers().get(1).incarnationId()).isEqualTo("a2");
    }

    static MetadataImage withIndex(MetadataImage i, long index) {
        return new MetadataImage(index, i.appliedTerm(), i.brokers(), i.topicsById(), i.nextProducerId(),
                i.controllers(), i.groups());
    }
}
