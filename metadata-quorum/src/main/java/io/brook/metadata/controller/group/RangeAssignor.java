package io.brook.metadata.controller.group;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Kafka's {@code range} server assignor: balances each topic on its own over the members that
 * subscribe to it. A topic none of whose partitions had an owner gets contiguous ranges (members
 * by id, the first {@code partitions % members} one partition more), so members subscribed to the
 * same topics get the same partition numbers of each (co-partitioned joins). Otherwise sticky per
 * topic ({@link StickyPlacement}).
 */
public final class RangeAssignor implements Assignor {
    public static final String NAME = "range";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Map<String, List<Integer>>> assign(AssignmentSpec spec) {
        Map<TopicPartition, String> previous = spec.previousOwners();
        TreeMap<String, TreeSet<TopicPartition>> result = new TreeMap<>();
        spec.subscriptions().keySet().forEach(m -> result.put(m, new TreeSet<>()));
        for (Map.Entry<String, Integer> t : new TreeMap<>(spec.partitionCounts()).entrySet()) {
            String topicId = t.getKey();
            int count = t.getValue();
            List<String> members = spec.subscriptions().entrySet().stream()
                    .filter(e -> e.getValue().contains(topicId)).map(Map.Entry::getKey).toList();
            if (members.isEmpty() || count == 0) {
                continue;
            }
            boolean fresh = previous.keySet().stream().noneMatch(tp -> tp.topicId().equals(topicId)
                    && members.contains(previous.get(tp)));
            if (fresh) {
                int per = count / members.size();
                int extra = count % members.size();
                int next = 0;
                for (int i = 0; i < members.size(); i++) {
                    int n = per + (i < extra ? 1 : 0);
                    for (int k = 0; k < n; k++) {
                        result.get(members.get(i)).add(new TopicPartition(topicId, next++));
                    }
                }
                continue;
            }
            TreeSet<TopicPartition> partitions = new TreeSet<>();
            for (int p = 0; p < count; p++) {
                partitions.add(new TopicPartition(topicId, p));
            }
            Map<String, TreeSet<TopicPartition>> placed = StickyPlacement.place(new TreeSet<>(members), partitions,
                    (m, tp) -> true, previous);
            placed.forEach((m, tps) -> result.get(m).addAll(tps));
        }
        return StickyPlacement.toAssignment(result);
    }
}
