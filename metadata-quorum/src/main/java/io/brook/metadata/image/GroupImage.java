package io.brook.metadata.image;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A consumer group in the KIP-848 model (docs/groups.md): its epochs, its members with their
 * reconciliation state, and the target assignment the coordinator computed. Immutable.
 *
 * @param epoch            the group epoch: bumped by every membership or subscription change
 * @param assignmentEpoch  the group epoch {@code targetAssignment} was computed for
 * @param metadataHash     fingerprint of the subscribed topics (ids, partition counts) behind the
 *                         target assignment; see {@link GroupMember}
 * @param emptySinceMs     wall-clock ms when the group last became empty; 0 while it has members
 * @param assignor         name of the server assignor that computed the target assignment
 * @param members          by member id
 * @param targetAssignment member id -> topic id -> partitions (ascending)
 */
public record GroupImage(String groupId, int epoch, int assignmentEpoch, long metadataHash, long emptySinceMs,
                         String assignor, Map<String, GroupMember> members,
                         Map<String, Map<String, List<Integer>>> targetAssignment) {
    public static final String EMPTY = "Empty";
    public static final String ASSIGNING = "Assigning";
    public static final String RECONCILING = "Reconciling";
    public static final String STABLE = "Stable";

    public GroupImage {
        members = SortedMaps.copyOf(members);
        TreeMap<String, Map<String, List<Integer>>> copy = new TreeMap<>();
        targetAssignment.forEach((m, a) -> copy.put(m, GroupMember.copyPartitions(a)));
        targetAssignment = SortedMaps.copyOf(copy);
    }

    /** A new group at epoch 0 with no members. */
    public static GroupImage empty(String groupId) {
        return new GroupImage(groupId, 0, 0, 0, 0, "", Map.of(), Map.of());
    }

    /**
     * Kafka's consumer-group states: Empty (no members), Assigning (the group epoch moved past the
     * target assignment), Reconciling (some member is not yet stable at the assignment epoch),
     * Stable.
     */
    public String state() {
        if (members.isEmpty()) {
            return EMPTY;
        }
        if (epoch > assignmentEpoch) {
            return ASSIGNING;
        }
        for (GroupMember m : members.values()) {
            if (m.memberEpoch() != assignmentEpoch
                    || m.state() != io.brook.proto.metadata.v1.MemberState.MEMBER_STATE_STABLE) {
                return RECONCILING;
            }
        }
        return STABLE;
    }

    /** The member holding {@code instanceId} (static membership), if any. */
    public Optional<GroupMember> memberByInstanceId(String instanceId) {
        if (instanceId == null || instanceId.isEmpty()) {
            return Optional.empty();
        }
        return members.values().stream().filter(m -> instanceId.equals(m.instanceId())).findFirst();
    }

    /** The member's target partitions by topic id; empty when it has none. */
    public Map<String, List<Integer>> targetOf(String memberId) {
        return targetAssignment.getOrDefault(memberId, Map.of());
    }
}
