package io.brook.metadata.image;

import java.util.ArrayList;
import java.util.List;

/**
 * The replication state of one partition. Invariants kept by the controller: replicas are
 * distinct; the ISR is a non-empty subset of the replicas; the leader is -1 or an ISR member and
 * never an offline replica. {@code offlineReplicas} are replicas whose broker reported its copy
 * unusable (full disk, I/O error). {@code leaderEpoch} grows on every leader change, {@code
 * partitionEpoch} on every change. Immutable.
 *
 * <p>A reassignment in progress (KIP-455) shows as non-empty {@code addingReplicas} (new copies,
 * catching up as followers) or {@code removingReplicas} (old copies, leaving once every target
 * replica is in the ISR); {@code replicas} is then the target replicas followed by the removing
 * ones. {@code reassignmentThrottle} is the fetch rate the adding replicas are held to, in bytes
 * per second (0: none).
 */
public record PartitionRegistration(String topicId, int partition, List<Integer> replicas, List<Integer> isr,
                                    int leader, int leaderEpoch, int partitionEpoch, List<Integer> offlineReplicas,
                                    List<Integer> addingReplicas, List<Integer> removingReplicas,
                                    long reassignmentThrottle) {
    public static final int NO_LEADER = -1;

    public PartitionRegistration {
        replicas = List.copyOf(replicas);
        isr = List.copyOf(isr);
        offlineReplicas = List.copyOf(offlineReplicas);
        addingReplicas = List.copyOf(addingReplicas);
        removingReplicas = List.copyOf(removingReplicas);
    }

    /** A partition with no reassignment in progress. */
    public PartitionRegistration(String topicId, int partition, List<Integer> replicas, List<Integer> isr,
                                 int leader, int leaderEpoch, int partitionEpoch, List<Integer> offlineReplicas) {
        this(topicId, partition, replicas, isr, leader, leaderEpoch, partitionEpoch, offlineReplicas, List.of(),
                List.of(), 0);
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

    /** True while a reassignment is in progress (replicas are being added or removed). */
    public boolean isReassigning() {
        return !addingReplicas.isEmpty() || !removingReplicas.isEmpty();
    }

    /** The replicas the partition will have once its reassignment completes (its replicas when none). */
    public List<Integer> targetReplicas() {
        List<Integer> out = new ArrayList<>(replicas);
        out.removeAll(removingReplicas);
        return out;
    }

    /** The replicas the partition had before its reassignment started (its replicas when none). */
    public List<Integer> originalReplicas() {
        List<Integer> out = new ArrayList<>(replicas);
        out.removeAll(addingReplicas);
        return out;
    }

    /** The same partition with a new leader, ISR and epochs; offline replicas and reassignment unchanged. */
    public PartitionRegistration withChange(int newLeader, List<Integer> newIsr, int newLeaderEpoch,
                                            int newPartitionEpoch) {
        return withChange(newLeader, newIsr, newLeaderEpoch, newPartitionEpoch, offlineReplicas);
    }

    public PartitionRegistration withChange(int newLeader, List<Integer> newIsr, int newLeaderEpoch,
                                            int newPartitionEpoch, List<Integer> newOfflineReplicas) {
        return new PartitionRegistration(topicId, partition, replicas, newIsr, newLeader, newLeaderEpoch,
                newPartitionEpoch, newOfflineReplicas, addingReplicas, removingReplicas, reassignmentThrottle);
    }

    /** The same partition with new replicas and reassignment state (started, cancelled or completed). */
    public PartitionRegistration withReplicas(List<Integer> newReplicas, List<Integer> newAdding,
                                              List<Integer> newRemoving, long newThrottle) {
        return new PartitionRegistration(topicId, partition, newReplicas, isr, leader, leaderEpoch, partitionEpoch,
                offlineReplicas, newAdding, newRemoving, newThrottle);
    }
}
