package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.common.v1.ErrorDetail;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.v1.ElectLeadersRequest;
import io.brook.proto.v1.ElectLeadersResponse;
import io.brook.proto.v1.ElectionType;
import io.brook.proto.v1.PartitionElection;
import io.brook.proto.v1.TopicPartitions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Kafka's ElectLeaders on the active controller ({@code kafka-leader-election.sh}), for the
 * partitions named (or all of them):
 *
 * <ul>
 *   <li>PREFERRED: the preferred replica (the first of the partition's replicas) becomes leader,
 *       when {@link PreferredLeaderElection#eligible} allows it (a live, unfenced broker in the ISR,
 *       not shutting down, replica online); ISR unchanged, leader epoch + 1.
 *   <li>UNCLEAN: a partition without a leader gets the first live replica (unfenced, online, not
 *       shutting down), preferring ISR members; one from outside the ISR leads alone in a new ISR,
 *       as Kafka's unclean election, whatever the topic's {@code unclean.leader.election.enable}
 *       (the operator asked for it). Records only the old ISR had may be lost.
 * </ul>
 *
 * <p>Per partition the answer is its leader after the call, or why it did not change:
 * ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE,
 * UNKNOWN_TOPIC_OR_PARTITION. At most {@code maxPerWrite} partitions change in one request (one
 * Raft entry); the others answer INVALID_REQUEST and are left for another run. Pure function of
 * the image; controller thread only.
 */
final class ElectLeadersHandler {
    private final int maxPerWrite;

    ElectLeadersHandler(int maxPerWrite) {
        this.maxPerWrite = maxPerWrite;
    }

    ControllerResult<ElectLeadersResponse> handle(MetadataImage image, ElectLeadersRequest req, Set<Integer> shuttingDown) {
        if (req.getType() != ElectionType.ELECTION_TYPE_PREFERRED && req.getType() != ElectionType.ELECTION_TYPE_UNCLEAN) {
            throw ControllerErrors.invalid("name the election type: PREFERRED or UNCLEAN");
        }
        boolean preferred = req.getType() == ElectionType.ELECTION_TYPE_PREFERRED;
        List<MetadataRecord> records = new ArrayList<>();
        ElectLeadersResponse.Builder out = ElectLeadersResponse.newBuilder();
        for (Target t : targets(image, req)) {
            PartitionElection.Builder r = PartitionElection.newBuilder().setTopic(t.topic()).setPartition(t.partition());
            PartitionRegistration p = t.registration();
            if (p == null) {
                out.addResults(r.setLeader(PartitionRegistration.NO_LEADER).setError(error(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                    "no partition " + t.topic() + "-" + t.partition())));
                continue;
            }
            r.setLeader(p.leader());
            Optional<Election> e = preferred ? preferred(image, p, shuttingDown, r) : unclean(image, p, shuttingDown, r);
            if (e.isEmpty()) {
                out.addResults(r);
                continue;
            }
            if (records.size() == maxPerWrite) {
                out.addResults(r.setError(error(ErrorCode.INVALID_REQUEST, "at most " + maxPerWrite
                    + " partitions change leader per request; run the election again for the rest")));
                continue;
            }
            records.add(PartitionChanges.change(p, e.get().leader(), e.get().isr()));
            out.addResults(r.setLeader(e.get().leader()));
        }
        return ControllerResult.of(records, out.build());
    }

    private record Target(String topic, int partition, PartitionRegistration registration) {}

    private record Election(int leader, List<Integer> isr) {}

    private static List<Target> targets(MetadataImage image, ElectLeadersRequest req) {
        List<Target> out = new ArrayList<>();
        if (req.getPartitionsCount() == 0) {
            image.topicsById().values().stream().sorted((a, b) -> a.name().compareTo(b.name()))
                .forEach(t -> t.partitions().values().forEach(p -> out.add(new Target(t.name(), p.partition(), p))));
            return out;
        }
        for (TopicPartitions tp : req.getPartitionsList()) {
            Optional<TopicImage> topic = image.topicByName(tp.getTopic());
            if (tp.getPartitionsCount() == 0) {
                if (topic.isEmpty()) {
                    out.add(new Target(tp.getTopic(), -1, null));
                } else {
                    topic.get().partitions().values().forEach(p -> out.add(new Target(tp.getTopic(), p.partition(), p)));
                }
                continue;
            }
            for (int partition : tp.getPartitionsList()) {
                out.add(new Target(tp.getTopic(), partition, topic.map(t -> t.partition(partition)).orElse(null)));
            }
        }
        return out;
    }

    private static Optional<Election> preferred(MetadataImage image, PartitionRegistration p, Set<Integer> shuttingDown,
                                                PartitionElection.Builder r) {
        int want = p.replicas().isEmpty() ? PartitionRegistration.NO_LEADER : p.replicas().get(0);
        if (p.leader() == want) {
            r.setError(error(ErrorCode.ELECTION_NOT_NEEDED, "broker " + want + ", the preferred replica, already leads"));
            return Optional.empty();
        }
        if (!PreferredLeaderElection.eligible(image, p, shuttingDown)) {
            r.setError(error(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, "the preferred replica, broker " + want
                + ", is not a live in-sync replica (ISR " + p.isr() + ", fenced, offline or shutting down)"));
            return Optional.empty();
        }
        return Optional.of(new Election(want, p.isr()));
    }

    private static Optional<Election> unclean(MetadataImage image, PartitionRegistration p, Set<Integer> shuttingDown,
                                              PartitionElection.Builder r) {
        if (p.hasLeader()) {
            r.setError(error(ErrorCode.ELECTION_NOT_NEEDED, "broker " + p.leader() + " leads it; an unclean election "
                + "is only for a partition without a leader"));
            return Optional.empty();
        }
        List<Integer> live = p.replicas().stream()
            .filter(b -> image.isUnfenced(b) && !p.isOffline(b) && !shuttingDown.contains(b)).toList();
        Optional<Integer> inSync = live.stream().filter(p.isr()::contains).findFirst();
        if (inSync.isPresent()) {
            return Optional.of(new Election(inSync.get(), p.isr()));
        }
        if (live.isEmpty()) {
            r.setError(error(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, "none of the replicas " + p.replicas()
                + " is a live, unfenced broker with its replica online"));
            return Optional.empty();
        }
        return Optional.of(new Election(live.get(0), List.of(live.get(0))));
    }

    private static ErrorDetail error(ErrorCode code, String message) {
        return ErrorDetail.newBuilder().setCode(code).setMessage(message).build();
    }
}
