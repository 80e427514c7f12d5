package io.brook.metadata.image;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The partitions the group coordinator wants a member to own, by topic id. Immutable. */
public record MemberAssignment(String memberId, int assignmentEpoch, Map<String, List<Integer>> partitions) {
    public MemberAssignment {
        TreeMap<String, List<Integer>> copy = new TreeMap<>();
        partitions.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        partitions = SortedMaps.copyOf(copy);
    }
}
