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
                    if (newIsr.contains(r) && !unavailable.contains(r) && image.brokers().containsKey(r)) {
                        newLeader = r;
                        break;
                    }
                }
            }
            if (newLeader == PartitionRegistration.NO_LEADER && uncleanAllowed(image, p)) {
                for (int r : p.replicas()) {
                    if (!unavailable.contains(r) && image.brokers().containsKey(r)) {
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

    /** Changes when {@code brokerId} returns to service: it leads leaderless partitions whose ISR holds it. */
    static List<MetadataRecord> brokerReturning(MetadataImage image, int brokerId) {
        List<MetadataRecord> out = new ArrayList<>();
        for (PartitionRegistration p : image.allPartitions()) {
            if (!p.hasLeader() && p.isr().contains(brokerId)) {
                out.add(change(p, brokerId, p.isr()));
            } else if (!p.hasLeader() && p.replicas().contains(brokerId) && uncleanAllowed(image, p)
                    && p.isr().stream().noneMatch(image::isUnfenced)) {
                out.add(change(p, brokerId, List.of(brokerId))); // unclean: the ISR is gone for good
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
        int leaderEpoch = newLeader != p.leader() ? p.leaderEpoch() + 1 : p.leaderEpoch();
        return MetadataRecord.newBuilder().setPartitionChange(PartitionChangeRecord.newBuilder()
                .setTopicId(p.topicId()).setPartition(p.partition())
                .setLeader(newLeader).addAllIsr(newIsr)
                .setLeaderEpoch(leaderEpoch).setPartitionEpoch(p.partitionEpoch() + 1)).build();
    }
}
