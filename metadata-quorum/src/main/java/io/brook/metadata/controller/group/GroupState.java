package io.brook.metadata.controller.group;

import io.brook.metadata.image.GroupImage;
import io.brook.metadata.image.GroupMember;
import io.brook.metadata.image.ImageRecords;
import io.brook.proto.metadata.v1.GroupMemberRemovedRecord;
import io.brook.proto.metadata.v1.GroupMetadataRecord;
import io.brook.proto.metadata.v1.GroupTargetAssignmentRecord;
import io.brook.proto.metadata.v1.MetadataRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A mutable working copy of one group inside a handler; {@link #records} states the difference
 * from the image's group as metadata records (nothing when nothing changed). Not thread-safe.
 */
public final class GroupState {
    public final String groupId;
    /** The group in the image; null for a new group. */
    public final GroupImage original;
    public int epoch;
    public int assignmentEpoch;
    public long metadataHash;
    public long emptySinceMs;
    public String assignor;
    /** Member id -> member, as it will be. */
    public final TreeMap<String, GroupMember> members;
    /** Member id -> topic id -> partitions: the target assignment as it will be. */
    public final TreeMap<String, Map<String, List<Integer>>> target;
    private boolean bumped;

    /** A working copy of {@code original} (null: a new group named {@code groupId}). */
    public GroupState(String groupId, GroupImage original) {
        this.groupId = groupId;
        this.original = original;
        GroupImage g = original == null ? GroupImage.empty(groupId) : original;
        epoch = g.epoch();
        assignmentEpoch = g.assignmentEpoch();
        metadataHash = g.metadataHash();
        emptySinceMs = g.emptySinceMs();
        assignor = g.assignor();
        members = new TreeMap<>(g.members());
        target = new TreeMap<>(g.targetAssignment());
    }

    /** Bumps the group epoch, at most once per handler. */
    public void bumpEpoch() {
        if (!bumped) {
            epoch++;
            bumped = true;
        }
    }

    /** Removes the member and its target. */
    public void removeMember(String memberId) {
        members.remove(memberId);
        target.remove(memberId);
    }

    /** Partitions that members other than {@code memberId} have assigned or pending revocation. */
    public TreeSet<TopicPartition> heldByOthers(String memberId) {
        TreeSet<TopicPartition> out = new TreeSet<>();
        members.values().forEach(m -> {
            if (!m.memberId().equals(memberId)) {
                out.addAll(TopicPartition.setOf(m.assigned()));
                out.addAll(TopicPartition.setOf(m.pendingRevocation()));
            }
        });
        return out;
    }

    /** The group as it will be once the records apply. */
    public GroupImage toImage() {
        return new GroupImage(groupId, epoch, assignmentEpoch, metadataHash, emptySinceMs, assignor, members, target);
    }

    /** The records that turn the original group into this one; sets empty_since_ms as the group empties or fills. */
    public List<MetadataRecord> records(long wallClockMs) {
        if (members.isEmpty()) {
            if (original == null || !original.members().isEmpty() || emptySinceMs == 0) {
                emptySinceMs = wallClockMs;
            }
        } else {
            emptySinceMs = 0;
        }
        List<MetadataRecord> out = new ArrayList<>();
        GroupImage before = original;
        if (before == null || before.epoch() != epoch || before.assignmentEpoch() != assignmentEpoch
                || before.metadataHash() != metadataHash || before.emptySinceMs() != emptySinceMs
                || !before.assignor().equals(assignor)) {
            out.add(MetadataRecord.newBuilder().setGroupMetadata(GroupMetadataRecord.newBuilder().setGroupId(groupId)
                    .setEpoch(epoch).setAssignmentEpoch(assignmentEpoch).setMetadataHash(metadataHash)
                    .setEmptySinceMs(emptySinceMs).setAssignor(assignor)).build());
        }
        Map<String, GroupMember> oldMembers = before == null ? Map.of() : before.members();
        Map<String, Map<String, List<Integer>>> oldTarget = before == null ? Map.of() : before.targetAssignment();
        for (String id : oldMembers.keySet()) {
            if (!members.containsKey(id)) {
                out.add(MetadataRecord.newBuilder().setGroupMemberRemoved(GroupMemberRemovedRecord.newBuilder()
                        .setGroupId(groupId).setMemberId(id)).build());
            }
        }
        members.forEach((id, m) -> {
            if (!m.equals(oldMembers.get(id))) {
                out.add(MetadataRecord.newBuilder().setGroupMember(ImageRecords.memberRecord(groupId, m)).build());
            }
        });
        target.forEach((id, t) -> {
            Map<String, List<Integer>> normalized = GroupMember.copyPartitions(t);
            boolean memberReplaced = !oldMembers.containsKey(id);
            if (memberReplaced || !Objects.equals(normalized, oldTarget.get(id))) {
                out.add(MetadataRecord.newBuilder().setGroupTargetAssignment(GroupTargetAssignmentRecord.newBuilder()
                        .setGroupId(groupId).setMemberId(id).addAllPartitions(ImageRecords.topicPartitions(normalized)))
                        .build());
            }
        });
        return out;
    }
}
