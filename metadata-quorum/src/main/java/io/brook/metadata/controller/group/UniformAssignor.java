package io.brook.metadata.controller.group;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Kafka's {@code uniform} server assignor (KIP-848, the default): spreads all partitions of all
 * subscribed topics over the members as evenly as their subscriptions allow, sticky (see
 * {@link StickyPlacement}). Members with the same subscription end within one partition of each other.
 */
public final class UniformAssignor implements Assignor {
    public static final String NAME = "uniform";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Map<String, List<Integer>>> assign(AssignmentSpec spec) {
        TreeSet<TopicPartition> all = new TreeSet<>();
        for (Map.Entry<String, Integer> t : new TreeMap<>(spec.partitionCounts()).entrySet()) {
            boolean subscribed = spec.subscriptions().values().stream().anyMatch(s -> s.contains(t.getKey()));
            for (int p = 0; subscribed && p < t.getValue(); p++) {
                all.add(new TopicPartition(t.getKey(), p));
            }
        }
        return StickyPlacement.toAssignment(StickyPlacement.place(spec.subscriptions().keySet(), all,
                (m, tp) -> spec.subscriptions().get(m).contains(tp.topicId()), spec.previousOwners()));
    }
}
