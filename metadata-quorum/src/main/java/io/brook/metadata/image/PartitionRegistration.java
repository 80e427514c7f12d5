package io.brook.metadata.image;

import java.util.List;

/**
 * The replication state of one partition. Invariants kept by the controller: replicas are
 * distinct; the ISR is a non-empty subset of the replicas; the leader is -1 or an ISR member.
 * {@code leaderEpoch} grows on every leader change, {@code partitionEpoch} on every change.
 * Immutable.
 */
public record PartitionRegistration(String topicId, int partition, List<Integer> replicas, List<Integer> isr,
                                    int leader, int leaderEpoch, int partitionEpoch) {
    public static final int NO_LEADER = -1;

    public PartitionRegistration {
        replicas = List.copyOf(replicas);
        isr = List.copyOf(isr);
    }

    public boolean hasLeader() {
        return leader != NO_LEADER;
    }

    public PartitionRegistration withChange(int newLeader, List<Integer> newIsr, int newLeaderEpoch,
                                            int newPartitionEpoch) {
        return new PartitionRegistration(topicId, partition, replicas, newIsr, newLeader, newLeaderEpoch,
                newPartitionEpoch);
    }
}
