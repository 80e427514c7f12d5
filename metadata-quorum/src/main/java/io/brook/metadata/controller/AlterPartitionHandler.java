package io.brook.metadata.controller;

import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.metadata.v1.AlterPartitionRequest;
import io.brook.proto.metadata.v1.AlterPartitionResponse;
import io.brook.proto.metadata.v1.PartitionState;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * AlterPartition: the leader of a partition asks to shrink or expand its ISR. Checks, in order,
 * each refusing the request with nothing changed: the broker epoch is current
 * (STALE_BROKER_EPOCH); the partition exists (UNKNOWN_TOPIC_OR_PARTITION); the leader epoch equals
 * the controller's (older: FENCED_LEADER_EPOCH, newer: UNKNOWN_LEADER_EPOCH); the sender is the
 * leader (NOT_LEADER_OR_FOLLOWER); the partition epoch equals the controller's
 * (INVALID_UPDATE_VERSION: the controller changed the partition since, e.g. it fenced a follower);
 * the new ISR is a non-empty set of distinct replicas containing the leader, and every replica it
 * adds is an unfenced broker (INVALID_REQUEST). A valid change is one PartitionChange record with
 * the partition epoch bumped (the leader and leader epoch stay); an ISR equal to the current one
 * changes nothing. An ISR that now holds every target replica of a reassignment in progress
 * completes it in the same change ({@link ReassignPartitionsHandler#completion}). Threading:
 * controller thread only.
 */
final class AlterPartitionHandler {
    ControllerResult<AlterPartitionResponse> handle(MetadataImage image, AlterPartitionRequest req) {
        BrokerLifecycle.current(image, req.getBrokerId(), req.getBrokerEpoch());
        TopicImage topic = image.topic(req.getTopicId()).orElseThrow(() -> unknown(req));
        PartitionRegistration p = topic.partition(req.getPartition());
        if (p == null) {
            throw unknown(req);
        }
        String where = topic.name() + "-" + p.partition();
        if (req.getLeaderEpoch() < p.leaderEpoch()) {
            throw new BrookException(ErrorCode.FENCED_LEADER_EPOCH, where + ": leader epoch "
                    + req.getLeaderEpoch() + " is older than the current " + p.leaderEpoch());
        }
        if (req.getLeaderEpoch() > p.leaderEpoch()) {
            throw new BrookException(ErrorCode.UNKNOWN_LEADER_EPOCH, where + ": leader epoch "
                    + req.getLeaderEpoch() + " is newer than the current " + p.leaderEpoch());
        }
        if (p.leader() != req.getBrokerId()) {
            throw new BrookException(ErrorCode.NOT_LEADER_OR_FOLLOWER, where + ": broker "
                    + req.getBrokerId() + " is not the leader (leader is " + p.leader() + ")");
        }
        if (req.getPartitionEpoch() != p.partitionEpoch()) {
            throw new BrookException(ErrorCode.INVALID_UPDATE_VERSION, where + ": partition epoch "
                    + req.getPartitionEpoch() + " is not the current " + p.partitionEpoch());
        }
        List<Integer> newIsr = validateIsr(image, p, req.getNewIsrList(), where);
        if (new HashSet<>(newIsr).equals(new HashSet<>(p.isr()))) {
            return ControllerResult.of(List.of(), response(topic, p));
        }
        PartitionRegistration after = p.withChange(p.leader(), newIsr, p.leaderEpoch(), p.partitionEpoch() + 1);
        // The ISR now holding every target replica completes a reassignment in progress, in this change.
        java.util.Optional<io.brook.proto.metadata.v1.MetadataRecord> done =
                ReassignPartitionsHandler.completion(image, p, after, newIsr);
        if (done.isPresent()) {
            io.brook.proto.metadata.v1.PartitionChangeRecord c = done.get().getPartitionChange();
            PartitionRegistration completed = p.withReplicas(c.getReplicasList(), List.of(), List.of(), 0)
                    .withChange(c.getLeader(), c.getIsrList(), c.getLeaderEpoch(), c.getPartitionEpoch(),
                            c.getOfflineReplicasList());
            return ControllerResult.of(List.of(done.get()), response(topic, completed));
        }
        return ControllerResult.of(List.of(PartitionChanges.change(p, p.leader(), newIsr)), response(topic, after));
    }

    /** The new ISR in preferred-replica order. */
    private static List<Integer> validateIsr(MetadataImage image, PartitionRegistration p, List<Integer> requested,
                                             String where) {
        if (requested.isEmpty()) {
            throw ControllerErrors.invalid(where + ": the new ISR is empty");
        }
        Set<Integer> set = new HashSet<>(requested);
        if (set.size() != requested.size()) {
            throw ControllerErrors.invalid(where + ": the new ISR " + requested + " has duplicates");
        }
        if (!set.contains(p.leader())) {
            throw ControllerErrors.invalid(where + ": the new ISR " + requested + " lacks the leader " + p.leader());
        }
        for (int r : requested) {
            if (!p.replicas().contains(r)) {
                throw ControllerErrors.invalid(where + ": broker " + r + " is not a replica " + p.replicas());
            }
            if (!p.isr().contains(r)) {
                if (p.isOffline(r)) {
                    throw ControllerErrors.invalid(where + ": broker " + r + " cannot join the ISR: its replica is offline");
                }
                BrokerRegistration b = image.brokers().get(r);
                if (b == null || b.fenced()) {
                    throw ControllerErrors.invalid(where + ": broker " + r
                            + " cannot join the ISR: it is fenced or not registered");
                }
            }
        }
        List<Integer> ordered = new ArrayList<>();
        for (int r : p.replicas()) {
            if (set.contains(r)) {
                ordered.add(r);
            }
        }
        return ordered;
    }

    private static BrookException unknown(AlterPartitionRequest req) {
        return new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                "partition " + req.getTopicId() + "-" + req.getPartition() + " does not exist");
    }

    static AlterPartitionResponse response(TopicImage topic, PartitionRegistration p) {
        return AlterPartitionResponse.newBuilder().setPartition(PartitionState.newBuilder()
                .setTopicId(topic.id()).setTopicName(topic.name()).setPartition(p.partition())
                .addAllReplicas(p.replicas()).addAllIsr(p.isr()).setLeader(p.leader())
                .setLeaderEpoch(p.leaderEpoch()).setPartitionEpoch(p.partitionEpoch())).build();
    }
}
