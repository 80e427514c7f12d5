package io.brook.metadata.image;

import io.brook.proto.metadata.v1.MemberState;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One consumer-group member: who it is, what it subscribes to, and where it stands in its
 * reconciliation towards the target assignment (KIP-848's current member assignment). Immutable.
 *
 * @param instanceId          group.instance.id, "" for a dynamic member
 * @param clientHost          the member's address as the broker it called saw it
 * @param subscribedTopicNames the subscription by names (empty when a regex is used)
 * @param subscribedTopicRegex the subscription as a Java regex over topic names ("" when names are used)
 * @param serverAssignor      the member's preferred server assignor, "" for the default
 * @param rebalanceTimeoutMs  how long the member may take to revoke partitions
 * @param memberEpoch         the member's epoch: the assignment epoch it last reconciled to
 * @param previousMemberEpoch the epoch before that (a commit racing a bump may still carry it)
 * @param state               stable, or waiting to revoke / to receive partitions
 * @param assigned            topic id -> partitions the member owns now (ascending)
 * @param pendingRevocation   topic id -> partitions the member must give up before moving on
 */
public record GroupMember(String memberId, String instanceId, String clientId, String clientHost,
                          List<String> subscribedTopicNames, String subscribedTopicRegex, String serverAssignor,
                          int rebalanceTimeoutMs, int memberEpoch, int previousMemberEpoch, MemberState state,
                          Map<String, List<Integer>> assigned, Map<String, List<Integer>> pendingRevocation) {
    public GroupMember {
        subscribedTopicNames = List.copyOf(subscribedTopicNames);
        assigned = copyPartitions(assigned);
        pendingRevocation = copyPartitions(pendingRevocation);
    }

    /** A sorted, unmodifiable copy of a topic id -> partitions map, with each list sorted and empty lists dropped. */
    public static Map<String, List<Integer>> copyPartitions(Map<String, List<Integer>> m) {
        TreeMap<String, List<Integer>> copy = new TreeMap<>();
        m.forEach((topicId, ps) -> {
            if (!ps.isEmpty()) {
                copy.put(topicId, ps.stream().sorted().distinct().toList());
            }
        });
        return SortedMaps.copyOf(copy);
    }
}
