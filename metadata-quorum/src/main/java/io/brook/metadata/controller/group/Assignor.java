package io.brook.metadata.controller.group;

import java.util.List;
import java.util.Map;

/**
 * A server-side assignor (KIP-848's {@code ConsumerGroupPartitionAssignor}): maps every partition
 * of the subscribed topics to one subscribed member. Implementations are sticky (they start from
 * the previous target and move as few partitions as balance requires) and deterministic: the same
 * spec always gives the same assignment.
 */
public interface Assignor {
    /** The name members ask for in {@code server_assignor}. */
    String name();

    /**
     * @return member id -> topic id -> ascending partitions, with an entry (possibly empty) for
     *         every member of {@code spec}; every partition of a topic some member subscribes to
     *         appears exactly once, under a member that subscribes to its topic
     */
    Map<String, Map<String, List<Integer>>> assign(AssignmentSpec spec);
}
