package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.PartitionChangeRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The partition changes that follow when brokers leave service (fenced, unregistered, replaced by
 * a new incarnation) or return to it (unfenced). Pure functions of the image.
 *
 * <p>Leaving: each departing broker is removed from every ISR; a partition it led gets the first
 * replica (in preferred order) that is still in the ISR and available, or no leader (-1) if none
 * is: by default there is no unclean election, so the ISR never becomes empty — its last member
 * stays, and becomes leader again when it returns. Returning: a returning broker that is in the
 * ISR of a leaderless partition becomes its leader. Every leader change bumps the leader epoch;
 * every change bumps the partition epoch.
 *
 * <p>Unclean election, only for topics with {@code unclean.leader.election.enable=true}: a
 * partition left with no available ISR member takes any available replica as leader, alone in a
 * new ISR. It trades the records only the lost ISR held for availability.
 */
final class PartitionChanges {
    private PartitionChanges() {
    }

    /** Changes when {@code departing} brokers become unavailable (others already fenced stay so). */
    static List<MetadataRecord> brokersLeaving(MetadataImage image, Set<Integer> departing) {
        Set<Integer> unavailable = new HashSet<>(departing);
        image.brokers().values().stream().filter(b -> b.fenced()).forEach(b -> unavailable.add(b.id()));
        List<MetadataRecord> out = new ArrayList<>();
        for (PartitionRegistration p : image.allPartitions()) {
            boolean touched = departing.contains(p.leader()) || p.isr().stream().anyMatch(departing::contains);
            if (!touched) {
                continue;
            }
            List<Integer> newIsr = new ArrayList<>();
            for (int r : p.isr()) {
                if (!departing.contains(r)) {
                    newIsr.add(r);
                }
            }
            if (newIsr.isEmpty()) {
                // Keep the last in-sync replica: only it is known to have every committed record.
                newIsr.add(p.isr().contains(p.leader()) ? p.leader() : p.isr().get(0));
            }
            int newLeader = PartitionRegistration.NO_LEADER;
            if (p.hasLeader() && !unavailable.contains(p.leader()) && newIsr.contains(p.leader())) {
                newLeader = p.leader();
            } else {
                for (int r : p.replicas()) {
                    if (newIsr.contains(r) && !unavailable.contains(r) && !p.isOffline(r) && image.brokers().containsKey(r)) {
                        newLeader = r;
                        break;
                    }
                }
            }
            if (newLeader == PartitionRegistration.NO_LEADER && uncleanAllowed(image, p)) {
                for (int r : p.replicas()) {
                    if (!unavailable.contains(r) && !p.isOffline(r) && image.brokers().containsKey(r)) {
                        newLeader = r;
                        newIsr = List.of(r);
                        break;
                    }
                }
            }
            if (newLeader != p.leader() || !newIsr.equals(p.isr())) {
                out.add(change(p, newLeader, newIsr));
            }
        }
        return out;
    }

    static final String UNCLEAN_LEADER_ELECTION = "unclean.leader.election.enable";

    static boolean uncleanAllowed(MetadataImage image, PartitionRegistration p) {
        return image.topic(p.topicId())
                .map(t -> "true".equalsIgnoreCase(t.configs().getOrDefault(UNCLEAN_LEADER_ELECTION, "false").trim()))
                .orElse(false);
    }

    /**
     * Changes when {@code brokerId} returns to service: it leads leaderless partitions whose ISR
     * holds it, except those where its replica is offline (in the image or in {@code offlineNow},
     * keys from {@link #key}).
     */
    static List<MetadataRecord> brokerReturning(MetadataImage image, int brokerId, Set<String> offlineNow) {
        List<MetadataRecord> out = new ArrayList<>();
        for (PartitionRegistration p : image.allPartitions()) {
            if (p.isOffline(brokerId) || offlineNow.contains(key(p.topicId(), p.partition()))) {
                continue;
            }
            if (!p.hasLeader() && p.isr().contains(brokerId)) {
                out.add(change(p, brokerId, p.isr()));
            } else if (!p.hasLeader() && p.replicas().contains(brokerId) && uncleanAllowed(image, p)
                    && p.isr().stream().noneMatch(image::isUnfenced)) {
                out.add(change(p, brokerId, List.of(brokerId))); // unclean: the ISR is gone for good
            }
        }
        return out;
    }

    /** The key of a partition in the sets these functions take: {@code topicId/partition}. */
    static String key(String topicId, int partition) {
        return topicId + "/" + partition;
    }

    /**
     * Changes when broker {@code brokerId} reports that exactly {@code offlineNow} (keys from
     * {@link #key}) of its replicas are unusable (KIP-858's log-directory failure handling, per
     * partition). A newly offline replica is marked offline, leaves the ISR unless it is the last
     * member, and hands its leadership to the first available, online ISR member in preferred
     * order, or to nobody (no unclean election from an offline copy). A replica no longer
     * reported is marked online again and leads its partition if that has no leader and the ISR
     * holds it; otherwise it catches up as a follower and the leader adds it back to the ISR.
     *
     * @param unavailable brokers that may not lead (fenced or shutting down)
     */
    static List<MetadataRecord> offlineReplicasReported(MetadataImage image, int brokerId, Set<String> offlineNow,
                                                        Set<Integer> unavailable) {
        List<MetadataRecord> out = new ArrayList<>();
        for (PartitionRegistration p : image.allPartitions()) {
            if (!p.replicas().contains(brokerId)) {
                continue;
            }
            boolean offline = offlineNow.contains(key(p.topicId(), p.partition()));
            if (offline) {
                List<Integer> newOffline = new ArrayList<>(p.offlineReplicas());
                if (!newOffline.contains(brokerId)) {
                    newOffline.add(brokerId);
                }
                List<Integer> newIsr = new ArrayList<>(p.isr());
                newIsr.remove(Integer.valueOf(brokerId));
                if (newIsr.isEmpty()) {
                    newIsr.add(brokerId); // the last in-sync copy: kept in the ISR, not elected
                }
                int newLeader = p.hasLeader() && p.leader() != brokerId ? p.leader() : PartitionRegistration.NO_LEADER;
                if (newLeader == PartitionRegistration.NO_LEADER) {
                    for (int r : p.replicas()) {
                        if (r != brokerId && newIsr.contains(r) && !unavailable.contains(r) && !p.isOffline(r)
                                && image.brokers().containsKey(r)) {
                            newLeader = r;
                            break;
                        }
                    }
                }
                if (newLeader != p.leader() || !newIsr.equals(p.isr()) || !newOffline.equals(p.offlineReplicas())) {
                    out.add(change(p, newLeader, newIsr, newOffline));
                }
            } else if (p.isOffline(brokerId)) {
                List<Integer> newOffline = new ArrayList<>(p.offlineReplicas());
                newOffline.remove(Integer.valueOf(brokerId));
                int newLeader = p.leader();
                if (!p.hasLeader() && p.isr().contains(brokerId) && !unavailable.contains(brokerId)) {
                    newLeader = brokerId;
                }
                out.add(change(p, newLeader, p.isr(), newOffline));
            }
        }
        return out;
    }

    /** True if {@code brokerId} leads some partition once {@code records} (on top of {@code image}) apply. */
    static boolean leadsAny(MetadataImage image, List<MetadataRecord> records, int brokerId) {
        Map<String, Integer> newLeaders = new HashMap<>();
        for (MetadataRecord r : records) {
            if (r.hasPartitionChange()) {
                PartitionChangeRecord c = r.getPartitionChange();
                newLeaders.put(c.getTopicId() + "/" + c.getPartition(), c.getLeader());
            }
        }
        for (PartitionRegistration p : image.allPartitions()) {
            int leader = newLeaders.getOrDefault(p.topicId() + "/" + p.partition(), p.leader());
            if (leader == brokerId) {
                return true;
            }
        }
        return false;
    }

    static MetadataRecord change(PartitionRegistration p, int newLeader, List<Integer> newIsr) {
        return change(p, newLeader, newIsr, p.offlineReplicas());
    }

    static MetadataRecord change(PartitionRegistration p, int newLeader, List<Integer> newIsr,
                                 List<Integer> newOfflineReplicas) {
        return MetadataRecord.newBuilder().setPartitionChange(changeBuilder(p, newLeader, newIsr)
                .addAllOfflineReplicas(newOfflineReplicas)
                // Every change restates the reassignment in progress, so that it survives ISR changes.
                .addAllAddingReplicas(p.addingReplicas()).addAllRemovingReplicas(p.removingReplicas())
                .setReassignmentThrottle(p.reassignmentThrottle())).build();
    }

    /**
     * A change that also sets a new replica list and reassignment state (a reassignment started,
     * replaced, cancelled or completed); offline replicas not in {@code newReplicas} are dropped.
     */
    static MetadataRecord reassign(PartitionRegistration p, List<Integer> newReplicas, List<Integer> adding,
                                   List<Integer> removing, long throttle, int newLeader, List<Integer> newIsr) {
        return MetadataRecord.newBuilder().setPartitionChange(changeBuilder(p, newLeader, newIsr)
                .addAllOfflineReplicas(p.offlineReplicas().stream().filter(newReplicas::contains).toList())
                .addAllReplicas(newReplicas).addAllAddingReplicas(adding).addAllRemovingReplicas(removing)
                .setReassignmentThrottle(throttle)).build();
    }

    private static PartitionChangeRecord.Builder changeBuilder(PartitionRegistration p, int newLeader, List<Integer> newIsr) {
        int leaderEpoch = newLeader != p.leader() ? p.leaderEpoch() + 1 : p.leaderEpoch();
        return PartitionChangeRecord.newBuilder()
                .setTopicId(p.topicId()).setPartition(p.partition())
                .setLeader(newLeader).addAllIsr(newIsr)
                .setLeaderEpoch(leaderEpoch).setPartitionEpoch(p.partitionEpoch() + 1);
    }
}
