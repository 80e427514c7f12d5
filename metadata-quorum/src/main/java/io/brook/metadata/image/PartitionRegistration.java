package io.brook.metadata.image;

import java.util.List;

/**
 * The replication state of one partition. Invariants kept by the controller: replicas are
 * distinct; the ISR is a non-empty subset of the replicas; the leader is -1 or an ISR member and
 * never an offline replica. {@code offlineReplicas} are replicas whose broker reported its copy
 * unusable (full disk, I/O error). {@code leaderEpoch} grows on every leader change, {@code
 * partitionEpoch} on every change. Immutable.
 */
public record PartitionRegistration(String topicId, int partition, List<Integer> replicas, List<Integer> isr,
                                    int leader, int leaderEpoch, int partitionEpoch, List<Integer> offlineReplicas) {
    public static final int NO_LEADER = -1;

    public PartitionRegistration {
        replicas = List.copyOf(replicas);
        isr = List.copyOf(isr);
        offlineReplicas = List.copyOf(offlineReplicas);
    }

    /** A partition with every replica online. */
    public PartitionRegistration(String topicId, int partition, List<Integer> replicas, List<Integer> isr,
                                 int leader, int leaderEpoch, int partitionEpoch) {
        this(topicId, partition, replicas, isr, leader, leaderEpoch, partitionEpoch, List.of());
    }

    public boolean isOffline(int replica) {
        return offlineReplicas.contains(replica);
    }

    public boolean hasLeader() {
        return leader != NO_LEADER;
    }

    /** The same partition with a new leader, ISR and epochs; offline replicas unchanged. */
    public PartitionRegistration withChange(int newLeader, List<Integer> newIsr, int newLeaderEpoch,
                                            int newPartitionEpoch) {
        return withChange(newLeader, newIsr, newLeaderEpoch, newPartitionEpoch, offlineReplicas);
    }

    public PartitionRegistration withChange(int newLeader, List<Integer> newIsr, int newLeaderEpoch,
                                            int newPartitionEpoch, List<Integer> newOfflineReplicas) {
        return new PartitionRegistration(topicId, partition, replicas, newIsr, newLeader, newLeaderEpoch,
                newPartitionEpoch, newOfflineReplicas);
    }
}
