package io.brook.metadata.image;

import io.brook.proto.metadata.v1.FenceBrokerRecord;
import io.brook.proto.metadata.v1.GroupMemberRecord;
import io.brook.proto.metadata.v1.GroupMetadataRecord;
import io.brook.proto.metadata.v1.GroupTargetAssignmentRecord;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.PartitionChangeRecord;
import io.brook.proto.metadata.v1.PartitionRecord;
import io.brook.proto.metadata.v1.RegisterBrokerRecord;
import io.brook.proto.metadata.v1.TopicConfigRecord;
import io.brook.proto.metadata.v1.TopicPartitions;
import io.brook.proto.metadata.v1.TopicRecord;
import io.brook.proto.metadata.v1.UnfenceBrokerRecord;
import io.brook.proto.metadata.v1.UnregisterBrokerRecord;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays metadata records on top of an image and builds the next image: the one place that
 * defines what each record means. The state machine, snapshot loading and every
 * {@code MetadataClient} use it, so all of them compute identical images from identical entries.
 *
 * <p>Rules: replay is deterministic (depends only on the base image, the records and the entry
 * index) and idempotent. {@link #replayEntry} ignores an entry whose index is not above the
 * image's; each record is checked against epochs or existence first, and a record that fails
 * the check is skipped (on every replica alike) instead of failing the entry. Records carry
 * absolute values, so replaying one twice changes nothing the second time.
 *
 * <p>Not thread-safe: one delta is used by one thread for one entry, then discarded.
 */
public final class MetadataDelta {
    private static final Logger LOG = LoggerFactory.getLogger(MetadataDelta.class);

    private final MetadataImage base;
    private final TreeMap<Integer, BrokerRegistration> brokers;
    private final TreeMap<String, TopicImage> topics;
    private final Map<String, TreeMap<Integer, PartitionRegistration>> changedPartitions = new HashMap<>();
    private final TreeMap<Integer, ControllerEndpoint> controllers;
    private final TreeMap<String, GroupImage> groups;
    private long nextProducerId;
    private String clusterId;
    private TreeMap<String, io.brook.proto.v1.AclBinding> acls;      // null: unchanged
    private TreeMap<String, Map<io.brook.proto.v1.ScramMechanism, ScramCredential>> users; // null: unchanged

    public MetadataDelta(MetadataImage base) {
        this.base = base;
        this.brokers = new TreeMap<>(base.brokers());
        this.topics = new TreeMap<>(base.topicsById());
        this.controllers = new TreeMap<>(base.controllers());
        this.groups = new TreeMap<>(base.groups());
        this.nextProducerId = base.nextProducerId();
        this.clusterId = base.clusterId();
    }

    /**
     * The image after the entry at {@code index}: {@code base} itself when the entry is already
     * reflected in it ({@code index <= base.appliedIndex()}).
     */
    public static MetadataImage replayEntry(MetadataImage base, long index, long term, List<MetadataRecord> records) {
        if (index <= base.appliedIndex()) {
            return base;
        }
        MetadataDelta delta = new MetadataDelta(base);
        for (MetadataRecord r : records) {
            delta.replay(r, index);
        }
        return delta.build(index, term);
    }

    /** Replays one record; {@code entryIndex} resolves a broker epoch left 0 by the controller. */
    public void replay(MetadataRecord record, long entryIndex) {
        switch (record.getRecordCase()) {
            case REGISTER_BROKER -> registerBroker(record.getRegisterBroker(), entryIndex);
            case UNREGISTER_BROKER -> unregisterBroker(record.getUnregisterBroker());
            case FENCE_BROKER -> fence(record.getFenceBroker());
            case UNFENCE_BROKER -> unfence(record.getUnfenceBroker());
            case TOPIC -> topic(record.getTopic());
            case PARTITION -> partition(record.getPartition());
            case PARTITION_CHANGE -> partitionChange(record.getPartitionChange());
            case REMOVE_TOPIC -> {
                topics.remove(record.getRemoveTopic().getTopicId());
                changedPartitions.remove(record.getRemoveTopic().getTopicId());
            }
            case TOPIC_CONFIG -> topicConfig(record.getTopicConfig());
            case PRODUCER_IDS -> nextProducerId = Math.max(nextProducerId, record.getProducerIds().getNextProducerId());
            case CONTROLLER_ENDPOINT -> controllers.put(record.getControllerEndpoint().getNodeId(),
                    new ControllerEndpoint(record.getControllerEndpoint().getNodeId(),
                            record.getControllerEndpoint().getHost(), record.getControllerEndpoint().getPort()));
            case GROUP_METADATA -> groupMetadata(record.getGroupMetadata());
            case GROUP_MEMBER -> groupMember(record.getGroupMember());
            case GROUP_MEMBER_REMOVED -> groupMemberRemoved(record.getGroupMemberRemoved().getGroupId(),
                    record.getGroupMemberRemoved().getMemberId());
            case GROUP_TARGET_ASSIGNMENT -> targetAssignment(record.getGroupTargetAssignment());
            case GROUP_REMOVED -> groups.remove(record.getGroupRemoved().getGroupId());
            case CLUSTER_ID -> {
                if (clusterId.isEmpty()) {
                    clusterId = record.getClusterId().getClusterId();
                } else if (!clusterId.equals(record.getClusterId().getClusterId())) {
                    skip("ClusterId", record.getClusterId().getClusterId() + ": the cluster id is " + clusterId);
                }
            }
            case ACCESS_CONTROL_ENTRY -> {
                var r = record.getAccessControlEntry();
                if (acls().containsKey(r.getId())) {
                    skip("AccessControlEntry", r.getId() + " exists");
                } else {
                    acls().put(r.getId(), r.getBinding());
                }
            }
            case REMOVE_ACCESS_CONTROL_ENTRY -> {
                if (acls().remove(record.getRemoveAccessControlEntry().getId()) == null) {
                    skip("RemoveAccessControlEntry", record.getRemoveAccessControlEntry().getId());
                }
            }
            case USER_SCRAM_CREDENTIAL -> {
                var r = record.getUserScramCredential();
                Map<io.brook.proto.v1.ScramMechanism, ScramCredential> creds = new TreeMap<>(
                        users().getOrDefault(r.getName(), Map.of()));
                creds.put(r.getMechanism(), new ScramCredential(r.getMechanism(), r.getSalt(), r.getStoredKey(),
                        r.getServerKey(), r.getIterations()));
                users().put(r.getName(), creds);
            }
            case REMOVE_USER_SCRAM_CREDENTIAL -> {
                var r = record.getRemoveUserScramCredential();
                Map<io.brook.proto.v1.ScramMechanism, ScramCredential> creds = new TreeMap<>(
                        users().getOrDefault(r.getName(), Map.of()));
                if (creds.remove(r.getMechanism()) == null) {
                    skip("RemoveUserScramCredential", r.getName() + " " + r.getMechanism());
                } else if (creds.isEmpty()) {
                    users().remove(r.getName());
                } else {
                    users().put(r.getName(), creds);
                }
            }
            case NO_OP -> {
                // Nothing to change: the entry only advances the applied index.
            }
            case RECORD_NOT_SET -> LOG.warn("Skipping an empty metadata record at index {}", entryIndex);
        }
    }

    public MetadataImage build(long index, long term) {
        changedPartitions.forEach((topicId, partitions) -> {
            TopicImage t = topics.get(topicId);
            if (t != null) {
                topics.put(topicId, new TopicImage(t.id(), t.name(), t.configs(), partitions));
            }
        });
        SecurityImage security = acls == null && users == null ? base.security()
                : new SecurityImage(acls == null ? base.security().acls() : acls,
                        users == null ? base.security().users() : users);
        return new MetadataImage(index, term, brokers, topics, nextProducerId, controllers, groups, clusterId, security);
    }

    private TreeMap<String, io.brook.proto.v1.AclBinding> acls() {
        if (acls == null) {
            acls = new TreeMap<>(base.security().acls());
        }
        return acls;
    }

    private TreeMap<String, Map<io.brook.proto.v1.ScramMechanism, ScramCredential>> users() {
        if (users == null) {
            users = new TreeMap<>(base.security().users());
        }
        return users;
    }

    private void registerBroker(RegisterBrokerRecord r, long entryIndex) {
        long epoch = r.getBrokerEpoch() != 0 ? r.getBrokerEpoch() : entryIndex;
        BrokerRegistration existing = brokers.get(r.getBrokerId());
        if (existing != null && existing.epoch() >= epoch) {
            skip("RegisterBroker", r.getBrokerId() + " epoch " + epoch + " <= current " + existing.epoch());
            return;
        }
        brokers.put(r.getBrokerId(), new BrokerRegistration(r.getBrokerId(), epoch, r.getIncarnationId(),
                r.getHost(), r.getPortsMap(), r.getRack(), r.getFenced()));
    }

    private void unregisterBroker(UnregisterBrokerRecord r) {
        BrokerRegistration existing = brokers.get(r.getBrokerId());
        if (existing == null || existing.epoch() != r.getBrokerEpoch()) {
            skip("UnregisterBroker", r.getBrokerId() + " epoch " + r.getBrokerEpoch());
            return;
        }
        brokers.remove(r.getBrokerId());
    }

    private void fence(FenceBrokerRecord r) {
        setFenced(r.getBrokerId(), r.getBrokerEpoch(), true);
    }

    private void unfence(UnfenceBrokerRecord r) {
        setFenced(r.getBrokerId(), r.getBrokerEpoch(), false);
    }

    private void setFenced(int brokerId, long epoch, boolean fenced) {
        BrokerRegistration existing = brokers.get(brokerId);
        if (existing == null || existing.epoch() != epoch) {
            skip(fenced ? "FenceBroker" : "UnfenceBroker", brokerId + " epoch " + epoch);
            return;
        }
        brokers.put(brokerId, existing.withFenced(fenced));
    }

    private void topic(TopicRecord r) {
        if (topics.containsKey(r.getTopicId())) {
            skip("Topic", r.getName() + " (" + r.getTopicId() + ") exists");
            return;
        }
        for (TopicImage t : topics.values()) {
            if (t.name().equals(r.getName())) {
                skip("Topic", r.getName() + " is taken by " + t.id());
                return;
            }
        }
        topics.put(r.getTopicId(), new TopicImage(r.getTopicId(), r.getName(), r.getConfigsMap(), Map.of()));
    }

    private TreeMap<Integer, PartitionRegistration> partitionsForUpdate(String topicId) {
        TopicImage t = topics.get(topicId);
        if (t == null) {
            return null;
        }
        return changedPartitions.computeIfAbsent(topicId, id -> new TreeMap<>(t.partitions()));
    }

    private void partition(PartitionRecord r) {
        TreeMap<Integer, PartitionRegistration> partitions = partitionsForUpdate(r.getTopicId());
        if (partitions == null || partitions.containsKey(r.getPartition())) {
            skip("Partition", r.getTopicId() + "-" + r.getPartition());
            return;
        }
        partitions.put(r.getPartition(), new PartitionRegistration(r.getTopicId(), r.getPartition(),
                r.getReplicasList(), r.getIsrList(), r.getLeader(), r.getLeaderEpoch(), r.getPartitionEpoch(),
                r.getOfflineReplicasList(), r.getAddingReplicasList(), r.getRemovingReplicasList(),
                r.getReassignmentThrottle()));
    }

    private void partitionChange(PartitionChangeRecord r) {
        TreeMap<Integer, PartitionRegistration> partitions = partitionsForUpdate(r.getTopicId());
        PartitionRegistration current = partitions == null ? null : partitions.get(r.getPartition());
        if (current == null || r.getPartitionEpoch() <= current.partitionEpoch()) {
            skip("PartitionChange", r.getTopicId() + "-" + r.getPartition() + " epoch " + r.getPartitionEpoch());
            return;
        }
        // Reassignment state is absolute in every change; a new replica list only when one is given.
        List<Integer> replicas = r.getReplicasCount() > 0 ? r.getReplicasList() : current.replicas();
        partitions.put(r.getPartition(), current
                .withReplicas(replicas, r.getAddingReplicasList(), r.getRemovingReplicasList(), r.getReassignmentThrottle())
                .withChange(r.getLeader(), r.getIsrList(), r.getLeaderEpoch(), r.getPartitionEpoch(),
                        r.getOfflineReplicasList()));
    }

    private void topicConfig(TopicConfigRecord r) {
        TopicImage t = topics.get(r.getTopicId());
        if (t == null) {
            skip("TopicConfig", r.getTopicId());
            return;
        }
        TreeMap<String, String> configs = new TreeMap<>(t.configs());
        if (r.getRemove()) {
            configs.remove(r.getKey());
        } else {
            configs.put(r.getKey(), r.getValue());
        }
        topics.put(t.id(), new TopicImage(t.id(), t.name(), configs, t.partitions()));
    }

    private void groupMetadata(GroupMetadataRecord r) {
        GroupImage g = groups.get(r.getGroupId());
        if (g != null && r.getEpoch() < g.epoch()) {
            skip("GroupMetadata", r.getGroupId() + " epoch " + r.getEpoch());
            return;
        }
        Map<String, GroupMember> members = g == null ? Map.of() : g.members();
        Map<String, Map<String, List<Integer>>> target = g == null ? Map.of() : g.targetAssignment();
        groups.put(r.getGroupId(), new GroupImage(r.getGroupId(), r.getEpoch(), r.getAssignmentEpoch(),
                r.getMetadataHash(), r.getEmptySinceMs(), r.getAssignor(), members, target));
    }

    private void groupMember(GroupMemberRecord r) {
        GroupImage g = groups.get(r.getGroupId());
        if (g == null) {
            skip("GroupMember", "unknown group " + r.getGroupId());
            return;
        }
        // No epoch check: a member's epoch may go down (a static member leaving with -2, a restart
        // joining with 0); the controller validates every write against the applied image.
        TreeMap<String, GroupMember> members = new TreeMap<>(g.members());
        members.put(r.getMemberId(), new GroupMember(r.getMemberId(), r.getInstanceId(), r.getClientId(),
                r.getClientHost(), r.getSubscribedTopicNamesList(), r.getSubscribedTopicRegex(), r.getServerAssignor(),
                r.getRebalanceTimeoutMs(), r.getMemberEpoch(), r.getPreviousMemberEpoch(), r.getState(),
                ImageRecords.partitions(r.getAssignedList()), ImageRecords.partitions(r.getPendingRevocationList())));
        groups.put(g.groupId(), with(g, members, g.targetAssignment()));
    }

    private void groupMemberRemoved(String groupId, String memberId) {
        GroupImage g = groups.get(groupId);
        if (g == null) {
            return;
        }
        TreeMap<String, GroupMember> members = new TreeMap<>(g.members());
        TreeMap<String, Map<String, List<Integer>>> assignment = new TreeMap<>(g.targetAssignment());
        members.remove(memberId);
        assignment.remove(memberId);
        groups.put(groupId, with(g, members, assignment));
    }

    private void targetAssignment(GroupTargetAssignmentRecord r) {
        GroupImage g = groups.get(r.getGroupId());
        if (g == null) {
            skip("GroupTargetAssignment", "unknown group " + r.getGroupId());
            return;
        }
        TreeMap<String, Map<String, List<Integer>>> assignment = new TreeMap<>(g.targetAssignment());
        assignment.put(r.getMemberId(), ImageRecords.partitions(r.getPartitionsList()));
        groups.put(g.groupId(), with(g, g.members(), assignment));
    }

    private static GroupImage with(GroupImage g, Map<String, GroupMember> members,
                                   Map<String, Map<String, List<Integer>>> target) {
        return new GroupImage(g.groupId(), g.epoch(), g.assignmentEpoch(), g.metadataHash(), g.emptySinceMs(),
                g.assignor(), members, target);
    }

    private void skip(String type, String why) {
        // Normal during replay after a restart or for a retried write; never an error.
        LOG.debug("Skipping {} record: {} (base image at index {})", type, why, base.appliedIndex());
    }
}
