package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.common.v1.ErrorDetail;
import io.brook.proto.errors.BrookException;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.v1.AlterPartitionReassignmentsRequest;
import io.brook.proto.v1.AlterPartitionReassignmentsResponse;
import io.brook.proto.v1.ReassignablePartition;
import io.brook.proto.v1.ReassignmentResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Kafka's AlterPartitionReassignments on the active controller (KIP-455), per partition named:
 *
 * <ul>
 *   <li><b>Start</b> (or replace the target of a reassignment in progress): with the original
 *       replicas {@code O} (the replicas before any reassignment) and the target {@code T}, the
 *       adding replicas are {@code T − O}, the removing ones {@code O − T}, and the partition's
 *       replicas become {@code T} followed by the removing ones. The adding replicas' brokers
 *       create the log and fetch from the leader as followers; the leader adds them to the ISR once
 *       caught up (AlterPartition). The ISR keeps only members still among the replicas.
 *   <li><b>Completion</b> ({@link #completion}): as soon as every target replica is in the ISR, one
 *       change sets the replicas to {@code T}, drops the removing replicas from the ISR and, if the
 *       leader is a removing replica, elects the first target replica in the ISR that is a live
 *       broker (leader epoch + 1). The removed brokers then delete their copies. A reassignment that
 *       only reorders replicas, or whose target replicas are all in sync already, completes at once.
 *   <li><b>Cancel</b>: back to the original replicas; the adding replicas leave (and delete their
 *       copies); the ISR keeps its original members. Refused if no original replica is in sync.
 * </ul>
 *
 * <p>Per partition, a refusal changes nothing for it: UNKNOWN_TOPIC_OR_PARTITION,
 * INVALID_REPLICA_ASSIGNMENT (empty or repeated target, a broker that is not registered, or no
 * in-sync replica would remain), NO_REASSIGNMENT_IN_PROGRESS (cancel with none). The request as a
 * whole is refused with INVALID_REQUEST if it names more partitions than one request may change
 * ({@code controller.max.partitions.per.request}) or a negative throttle. Every change records the
 * reassignment state in the partition (see records.proto), so a controller failover resumes it.
 * Pure function of the image; controller thread only.
 */
final class ReassignPartitionsHandler {
    private final ControllerLimits limits;

    ReassignPartitionsHandler(ControllerLimits limits) {
        this.limits = limits;
    }

    ControllerResult<AlterPartitionReassignmentsResponse> handle(MetadataImage image,
                                                                 AlterPartitionReassignmentsRequest req) {
        if (req.getPartitionsCount() > limits.maxPartitionsPerRequest()) {
            throw ControllerErrors.invalid("the request names " + req.getPartitionsCount() + " partitions; at most "
                    + limits.maxPartitionsPerRequest() + " may be reassigned by one request ("
                    + ControllerLimits.MAX_PARTITIONS_PER_REQUEST_CONFIG + ")");
        }
        if (req.getThrottleBytesPerSecond() < 0) {
            throw ControllerErrors.invalid("the throttle must be >= 0 bytes per second (0: none), got "
                    + req.getThrottleBytesPerSecond());
        }
        List<MetadataRecord> records = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        AlterPartitionReassignmentsResponse.Builder out = AlterPartitionReassignmentsResponse.newBuilder();
        for (ReassignablePartition rp : req.getPartitionsList()) {
            ReassignmentResult.Builder r = ReassignmentResult.newBuilder().setTopic(rp.getTopic())
                    .setPartition(rp.getPartition());
            try {
                if (!seen.add(rp.getTopic() + "\u0000" + rp.getPartition())) {
                    throw ControllerErrors.invalid(rp.getTopic() + "-" + rp.getPartition() + " is named twice");
                }
                Optional<TopicImage> topic = image.topicByName(rp.getTopic());
                PartitionRegistration p = topic.map(t -> t.partition(rp.getPartition())).orElse(null);
                if (p == null) {
                    throw new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "partition " + rp.getTopic() + "-"
                            + rp.getPartition() + " does not exist");
                }
                String where = rp.getTopic() + "-" + rp.getPartition();
                MetadataRecord change = rp.getCancel() ? cancel(image, p, where)
                        : start(image, p, rp.getReplicasList(), req.getThrottleBytesPerSecond(), where);
                if (change != null) {
                    records.add(change);
                }
            } catch (BrookException e) {
                r.setError(ErrorDetail.newBuilder().setCode(e.code()).setMessage(e.getMessage()));
            }
            out.addResults(r);
        }
        return ControllerResult.of(records, out.build()).asSplittable();
    }

    /** The change that starts (or replaces) a reassignment to {@code target}; null if nothing changes. */
    private static MetadataRecord start(MetadataImage image, PartitionRegistration p, List<Integer> target,
                                        long throttle, String where) {
        if (target.isEmpty()) {
            throw invalidAssignment(where + ": name the target replicas (or cancel)");
        }
        if (new HashSet<>(target).size() != target.size()) {
            throw invalidAssignment(where + ": the target replicas " + target + " repeat a broker");
        }
        for (int b : target) {
            if (!image.brokers().containsKey(b)) {
                throw invalidAssignment(where + ": broker " + b + " is not a registered broker");
            }
        }
        List<Integer> original = p.originalReplicas();
        List<Integer> adding = new ArrayList<>(target);
        adding.removeAll(original);
        List<Integer> removing = new ArrayList<>(original);
        removing.removeAll(target);
        List<Integer> replicas = new ArrayList<>(target);
        replicas.addAll(removing);
        List<Integer> isr = inOrder(replicas, p.isr());
        if (isr.isEmpty()) {
            throw invalidAssignment(where + ": no in-sync replica " + p.isr() + " would remain among " + replicas);
        }
        int leader = replicas.contains(p.leader()) ? p.leader() : firstLive(image, p, isr, isr);
        PartitionRegistration moving = p.withReplicas(replicas, adding, removing, throttle)
                .withChange(leader, isr, p.leaderEpoch(), p.partitionEpoch());
        Optional<MetadataRecord> done = completion(image, p, moving, isr);
        if (done.isPresent()) {
            return done.get();
        }
        if (replicas.equals(p.replicas()) && adding.equals(p.addingReplicas()) && removing.equals(p.removingReplicas())
                && throttle == p.reassignmentThrottle()) {
            return null; // the same reassignment is already in progress
        }
        return PartitionChanges.reassign(p, replicas, adding, removing, throttle, leader, isr);
    }

    private static MetadataRecord cancel(MetadataImage image, PartitionRegistration p, String where) {
        if (!p.isReassigning()) {
            throw new BrookException(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, where + " is not being reassigned");
        }
        List<Integer> original = p.originalReplicas();
        List<Integer> isr = inOrder(original, p.isr());
        if (isr.isEmpty()) {
            throw invalidAssignment(where + ": cannot cancel: none of the original replicas " + original
                    + " is in sync (ISR " + p.isr() + "); let the reassignment complete instead");
        }
        int leader = original.contains(p.leader()) ? p.leader() : firstLive(image, p, original, isr);
        return PartitionChanges.reassign(p, original, List.of(), List.of(), 0, leader, isr);
    }

    /**
     * The change that completes the reassignment of {@code p}, if its state {@code after} a change
     * (with ISR {@code isr}) has every target replica in sync and a target replica that may lead.
     *
     * @param p     the partition as the image has it (the change is written against its epochs)
     * @param after the partition's state once the pending change applies (replicas and reassignment)
     */
    static Optional<MetadataRecord> completion(MetadataImage image, PartitionRegistration p, PartitionRegistration after,
                                               List<Integer> isr) {
        if (!after.isReassigning()) {
            return Optional.empty();
        }
        List<Integer> target = after.targetReplicas();
        if (!isr.containsAll(target)) {
            return Optional.empty();
        }
        List<Integer> newIsr = inOrder(target, isr);
        int leader = target.contains(after.leader()) ? after.leader() : firstLive(image, after, target, newIsr);
        if (leader == PartitionRegistration.NO_LEADER && after.hasLeader()) {
            return Optional.empty(); // no target replica can lead yet: keep the current leader meanwhile
        }
        return Optional.of(PartitionChanges.reassign(p, target, List.of(), List.of(), 0, leader, newIsr));
    }

    /** The members of {@code set} in the order of {@code order}. */
    private static List<Integer> inOrder(List<Integer> order, List<Integer> set) {
        Set<Integer> s = new LinkedHashSet<>(set);
        return order.stream().filter(s::contains).toList();
    }

    /** The first of {@code order} in {@code isr} that is an unfenced broker with its replica online, or NO_LEADER. */
    private static int firstLive(MetadataImage image, PartitionRegistration p, List<Integer> order, List<Integer> isr) {
        for (int b : order) {
            if (isr.contains(b) && image.isUnfenced(b) && !p.isOffline(b)) {
                return b;
            }
        }
        return PartitionRegistration.NO_LEADER;
    }

    private static BrookException invalidAssignment(String message) {
        return new BrookException(ErrorCode.INVALID_REPLICA_ASSIGNMENT, message);
    }
}
