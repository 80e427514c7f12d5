package io.brook.metadata.controller.group;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What an {@link Assignor} assigns from.
 *
 * @param subscriptions   member id -> ids of the existing topics it subscribes to (every member of the group)
 * @param partitionCounts topic id -> number of partitions, for every subscribed topic
 * @param previousTarget  member id -> topic id -> partitions: the current target assignment, the
 *                        starting point of a sticky assignment (may name gone members or topics)
 */
public record AssignmentSpec(SortedMap<String, Set<String>> subscriptions, Map<String, Integer> partitionCounts,
                             Map<String, Map<String, List<Integer>>> previousTarget) {
    public AssignmentSpec {
        subscriptions = new TreeMap<>(subscriptions);
        partitionCounts = Map.copyOf(partitionCounts);
        previousTarget = Map.copyOf(previousTarget);
    }

    /** Partition -> its owner in the previous target, for partitions that still exist. */
    Map<TopicPartition, String> previousOwners() {
        Map<TopicPartition, String> out = new java.util.HashMap<>();
        previousTarget.forEach((member, partitions) -> {
            if (subscriptions.containsKey(member)) {
                for (TopicPartition tp : TopicPartition.setOf(partitions)) {
                    Integer count = partitionCounts.get(tp.topicId());
                    if (count != null && tp.partition() < count) {
                        out.put(tp, member);
                    }
                }
            }
        });
        return out;
    }
}
