package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.PartitionChangeRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Preferred leader election (Kafka's auto leader rebalance). The first replica of a partition is
 * its preferred leader; placement spreads preferred leaders evenly, but failover moves leadership
 * to survivors, and without this it would stay there.
 *
 * <p>A partition is <em>eligible</em> when its preferred replica is not the leader, is a registered
 * unfenced broker not in controlled shutdown, and is in the ISR. An election writes, per eligible
 * partition, one PartitionChange: leader = the preferred replica, leader epoch + 1, partition
 * epoch + 1, ISR unchanged. So leadership only ever moves to an in-sync, live broker, and never
 * to a broker that is shutting down or fenced. At most {@code maxPerWrite} partitions change per
 * entry (in image order); {@link Outcome#more()} says whether eligible partitions were left.
 *
 * <p>When the controller runs it: right after a write that {@link #mayEnable may enable} an
 * election (a broker unfenced, or a partition change leaving the preferred replica in the ISR but
 * not leading, such as an AlterPartition adding it back), on becoming active, and every
 * {@code leader.imbalance.check.interval.ms}. Pure functions of the image; controller thread only.
 */
final class PreferredLeaderElection {
    /** What one election did: partitions moved, and whether eligible partitions remain. */
    record Outcome(int elected, boolean more) {
    }

    private final int maxPerWrite;

    PreferredLeaderElection(int maxPerWrite) {
        this.maxPerWrite = maxPerWrite;
    }

    /**
     * Moves leadership back to the preferred replica of up to {@code maxPerWrite} eligible
     * partitions. {@code shuttingDown}: brokers in controlled shutdown, never elected.
     */
    ControllerResult<Outcome> elect(MetadataImage image, Set<Integer> shuttingDown) {
        List<MetadataRecord> records = new ArrayList<>();
        for (PartitionRegistration p : image.allPartitions()) {
            if (!eligible(image, p, shuttingDown)) {
                continue;
            }
            if (records.size() == maxPerWrite) {
                return ControllerResult.of(records, new Outcome(records.size(), true));
            }
            records.add(PartitionChanges.change(p, p.replicas().get(0), p.isr()));
        }
        return ControllerResult.of(records, new Outcome(records.size(), false));
    }

    static boolean eligible(MetadataImage image, PartitionRegistration p, Set<Integer> shuttingDown) {
        if (p.replicas().isEmpty()) {
            return false;
        }
        int preferred = p.replicas().get(0);
        return p.leader() != preferred && p.isr().contains(preferred) && image.isUnfenced(preferred)
                && !p.isOffline(preferred)
                && !shuttingDown.contains(preferred);
    }

    /**
     * True if {@code records}, written on top of {@code before}, may have made some partition
     * eligible: a broker was unfenced, or a partition now has its preferred replica in the ISR
     * but not as leader. A cheap, conservative test; the election itself decides.
     */
    static boolean mayEnable(MetadataImage before, List<MetadataRecord> records) {
        for (MetadataRecord r : records) {
            if (r.hasUnfenceBroker()) {
                return true;
            }
            if (r.hasPartitionChange()) {
                PartitionChangeRecord c = r.getPartitionChange();
                PartitionRegistration p = before.partition(c.getTopicId(), c.getPartition()).orElse(null);
                if (p != null && !p.replicas().isEmpty()) {
                    int preferred = p.replicas().get(0);
                    if (c.getLeader() != preferred && c.getIsrList().contains(preferred)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
