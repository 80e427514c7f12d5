package io.brook.metadata.image;

import java.util.Map;

/** A topic: its id, name, explicitly set configs and partitions by index. Immutable. */
public record TopicImage(String id, String name, Map<String, String> configs,
                         Map<Integer, PartitionRegistration> partitions) {
    public TopicImage {
        configs = SortedMaps.copyOf(configs);
        partitions = SortedMaps.copyOf(partitions);
    }

    public PartitionRegistration partition(int index) {
        return partitions.get(index);
    }
}
