package io.brook.metadata.image;

import io.brook.proto.metadata.v1.ClusterIdRecord;
import io.brook.proto.metadata.v1.ControllerEndpointRecord;
import io.brook.proto.metadata.v1.GroupMetadataRecord;
import io.brook.proto.metadata.v1.GroupMemberRecord;
import io.brook.proto.metadata.v1.GroupTargetAssignmentRecord;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.MetadataSnapshot;
import io.brook.proto.metadata.v1.PartitionRecord;
import io.brook.proto.metadata.v1.ProducerIdsRecord;
import io.brook.proto.metadata.v1.RegisterBrokerRecord;
import io.brook.proto.metadata.v1.TopicPartitions;
import io.brook.proto.metadata.v1.TopicRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Converts an image to the records that rebuild it from empty, and back. This is the snapshot
 * format (on disk and at the start of a watch stream): a snapshot is "records that, replayed on
 * {@link MetadataImage#EMPTY}, give this image", the way Kafka's metadata snapshots work, so
 * there is one meaning of each record and no second schema to keep in step.
 */
public final class ImageRecords {
    private ImageRecords() {
    }

    public static MetadataSnapshot toSnapshot(MetadataImage image) {
        return MetadataSnapshot.newBuilder()
                .setAppliedIndex(image.appliedIndex())
                .setAppliedTerm(image.appliedTerm())
                .addAllRecords(toRecords(image))
                .build();
    }

    public static MetadataImage fromSnapshot(MetadataSnapshot snapshot) {
        MetadataDelta delta = new MetadataDelta(MetadataImage.EMPTY);
        for (MetadataRecord r : snapshot.getRecordsList()) {
            delta.replay(r, snapshot.getAppliedIndex());
        }
        return delta.build(snapshot.getAppliedIndex(), snapshot.getAppliedTerm());
    }

    /** Deterministic order: cluster id, controllers, brokers, topics with their partitions, producer ids, groups, ACLs, SCRAM credentials. */
    public static List<MetadataRecord> toRecords(MetadataImage image) {
        List<MetadataRecord> out = new ArrayList<>();
        if (!image.clusterId().isEmpty()) {
            out.add(MetadataRecord.newBuilder().setClusterId(ClusterIdRecord.newBuilder()
                    .setClusterId(image.clusterId())).build());
        }
        for (ControllerEndpoint c : image.controllers().values()) {
            out.add(MetadataRecord.newBuilder().setControllerEndpoint(ControllerEndpointRecord.newBuilder()
                    .setNodeId(c.nodeId()).setHost(c.host()).setPort(c.port())).build());
        }
        for (BrokerRegistration b : image.brokers().values()) {
            out.add(MetadataRecord.newBuilder().setRegisterBroker(RegisterBrokerRecord.newBuilder()
                    .setBrokerId(b.id()).setBrokerEpoch(b.epoch()).setIncarnationId(b.incarnationId())
                    .setHost(b.host()).putAllPorts(b.ports()).setRack(b.rack()).setFenced(b.fenced())).build());
        }
        for (TopicImage t : image.topicsById().values()) {
            out.add(MetadataRecord.newBuilder().setTopic(TopicRecord.newBuilder()
                    .setName(t.name()).setTopicId(t.id()).putAllConfigs(t.configs())).build());
            for (PartitionRegistration p : t.partitions().values()) {
                out.add(MetadataRecord.newBuilder().setPartition(PartitionRecord.newBuilder()
                        .setTopicId(p.topicId()).setPartition(p.partition())
                        .addAllReplicas(p.replicas()).addAllIsr(p.isr()).setLeader(p.leader())
                        .setLeaderEpoch(p.leaderEpoch()).setPartitionEpoch(p.partitionEpoch())
                        .addAllOfflineReplicas(p.offlineReplicas())
                        .addAllAddingReplicas(p.addingReplicas()).addAllRemovingReplicas(p.removingReplicas())
                        .setReassignmentThrottle(p.reassignmentThrottle())).build());
            }
        }
        if (image.nextProducerId() > 0) {
            out.add(MetadataRecord.newBuilder().setProducerIds(ProducerIdsRecord.newBuilder()
                    .setBrokerId(-1).setNextProducerId(image.nextProducerId())).build());
        }
        for (GroupImage g : image.groups().values()) {
            out.add(MetadataRecord.newBuilder().setGroupMetadata(GroupMetadataRecord.newBuilder()
                    .setGroupId(g.groupId()).setEpoch(g.epoch()).setAssignmentEpoch(g.assignmentEpoch())
                    .setMetadataHash(g.metadataHash()).setEmptySinceMs(g.emptySinceMs()).setAssignor(g.assignor()))
                    .build());
            for (GroupMember m : g.members().values()) {
                out.add(MetadataRecord.newBuilder().setGroupMember(memberRecord(g.groupId(), m)).build());
            }
            g.targetAssignment().forEach((memberId, partitions) ->
                    out.add(MetadataRecord.newBuilder().setGroupTargetAssignment(GroupTargetAssignmentRecord.newBuilder()
                            .setGroupId(g.groupId()).setMemberId(memberId).addAllPartitions(topicPartitions(partitions)))
                            .build()));
        }
        image.security().acls().forEach((id, binding) -> out.add(MetadataRecord.newBuilder()
                .setAccessControlEntry(io.brook.proto.metadata.v1.AccessControlEntryRecord.newBuilder()
                        .setId(id).setBinding(binding)).build()));
        image.security().users().forEach((name, creds) -> creds.values().forEach(c -> out.add(MetadataRecord
                .newBuilder().setUserScramCredential(io.brook.proto.metadata.v1.UserScramCredentialRecord.newBuilder()
                        .setName(name).setMechanism(c.mechanism()).setSalt(c.salt()).setStoredKey(c.storedKey())
                        .setServerKey(c.serverKey()).setIterations(c.iterations())).build())));
        return out;
    }

    /** The record that states {@code m} in full. */
    public static GroupMemberRecord memberRecord(String groupId, GroupMember m) {
        return GroupMemberRecord.newBuilder().setGroupId(groupId).setMemberId(m.memberId())
                .setInstanceId(m.instanceId()).setClientId(m.clientId()).setClientHost(m.clientHost())
                .addAllSubscribedTopicNames(m.subscribedTopicNames()).setSubscribedTopicRegex(m.subscribedTopicRegex())
                .setServerAssignor(m.serverAssignor()).setRebalanceTimeoutMs(m.rebalanceTimeoutMs())
                .setMemberEpoch(m.memberEpoch()).setPreviousMemberEpoch(m.previousMemberEpoch()).setState(m.state())
                .addAllAssigned(topicPartitions(m.assigned()))
                .addAllPendingRevocation(topicPartitions(m.pendingRevocation())).build();
    }

    /** topic id -> partitions as records, topics in map order. */
    public static List<TopicPartitions> topicPartitions(Map<String, List<Integer>> partitions) {
        List<TopicPartitions> out = new ArrayList<>(partitions.size());
        partitions.forEach((topicId, ps) ->
                out.add(TopicPartitions.newBuilder().setTopicId(topicId).addAllPartitions(ps).build()));
        return out;
    }

    /** Records back to topic id -> partitions (sorted; a topic listed twice has its partitions merged). */
    public static Map<String, List<Integer>> partitions(List<TopicPartitions> records) {
        Map<String, List<Integer>> out = new java.util.TreeMap<>();
        for (TopicPartitions tp : records) {
            out.computeIfAbsent(tp.getTopicId(), k -> new ArrayList<>()).addAll(tp.getPartitionsList());
        }
        return GroupMember.copyPartitions(out);
    }
}
