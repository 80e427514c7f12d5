package io.brook.metadata.image;

import java.util.Map;

/**
 * A consumer group in the KIP-848 model: the group epoch, its members and the target assignment
 * the coordinator computed. The groups work (broker issue) writes these records; the quorum only
 * stores and replicates them. Immutable.
 */
public record GroupImage(String groupId, int epoch, Map<String, GroupMember> members,
                         Map<String, MemberAssignment> targetAssignment) {
    public GroupImage {
        members = SortedMaps.copyOf(members);
        targetAssignment = SortedMaps.copyOf(targetAssignment);
    }
}
