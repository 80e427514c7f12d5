package io.brook.metadata.controller.group;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One partition of a topic, named by topic id; ordered by topic id then partition. Also the
 * conversions between the image's {@code topic id -> partitions} maps and sets of these.
 */
public record TopicPartition(String topicId, int partition) implements Comparable<TopicPartition> {

    @Override
    public int compareTo(TopicPartition o) {
        int c = topicId.compareTo(o.topicId);
        return c != 0 ? c : Integer.compare(partition, o.partition);
    }

    /** The partitions of a {@code topic id -> partitions} map as a sorted set. */
    public static TreeSet<TopicPartition> setOf(Map<String, List<Integer>> partitions) {
        TreeSet<TopicPartition> out = new TreeSet<>();
        partitions.forEach((topicId, ps) -> ps.forEach(p -> out.add(new TopicPartition(topicId, p))));
        return out;
    }

    /** A sorted {@code topic id -> ascending partitions} map of {@code partitions}. */
    public static Map<String, List<Integer>> mapOf(Collection<TopicPartition> partitions) {
        TreeMap<String, List<Integer>> out = new TreeMap<>();
        for (TopicPartition tp : new TreeSet<>(partitions)) {
            out.computeIfAbsent(tp.topicId(), k -> new ArrayList<>()).add(tp.partition());
        }
        return out;
    }
}
