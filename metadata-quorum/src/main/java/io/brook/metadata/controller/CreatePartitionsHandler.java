package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.metadata.v1.CreatePartitionsRequest;
import io.brook.proto.metadata.v1.CreatePartitionsResponse;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.PartitionRecord;
import io.brook.proto.metadata.v1.PartitionState;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * CreatePartitions: grows an existing topic to {@code total_partitions} (never shrinks it).
 * Checked in order, each refusal changing nothing: the topic exists (UNKNOWN_TOPIC_OR_PARTITION);
 * the total is above the current count and at most 100 000 (INVALID_PARTITIONS, naming the
 * current count); the new partitions are within {@link ControllerLimits} (INVALID_PARTITIONS naming
 * the limit and its setting); there are at least as many unfenced brokers as the topic's replication factor
 * (INVALID_REPLICATION_FACTOR).
 *
 * <p>The replication factor is that of the topic's existing partitions (all have the same one:
 * there is no reassignment). The new partitions are indexed from the current count on (a topic's
 * partitions are always 0..n-1: created together, never removed one by one) and placed by
 * {@link ReplicaPlacer} over the unfenced brokers, counting the whole cluster's current replicas
 * and leaderships and, for the per-topic tie-break, this topic's. One Partition record each, in one
 * entry; each starts like a new topic's partition (ISR = replicas, leader = first replica, epochs
 * 0). Replay skips a Partition record whose partition exists, so applying the entry twice, or a
 * stale one, changes nothing. The response lists every partition of the topic.
 *
 * <p>Threading: controller thread only.
 */
final class CreatePartitionsHandler {
    private final ReplicaPlacer placer;
    private final ControllerLimits limits;

    CreatePartitionsHandler(Random random, ControllerLimits limits) {
        this.placer = new ReplicaPlacer(random);
        this.limits = limits;
    }

    ControllerResult<CreatePartitionsResponse> handle(MetadataImage image, CreatePartitionsRequest req) {
        String name = req.getName();
        CreateTopicsHandler.refuseOverlongName(name);
        TopicImage topic = image.topicByName(name).orElseThrow(() ->
                new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic " + name + " does not exist"));
        int current = topic.partitions().size();
        int total = req.getTotalPartitions();
        if (total <= current) {
            throw new BrookException(ErrorCode.INVALID_PARTITIONS, "topic " + name + " has " + current
                    + " partitions; total_partitions must be more than " + current + " (partitions cannot be"
                    + " removed), got " + total);
        }
        if (total > CreateTopicsHandler.MAX_PARTITIONS_PER_TOPIC) {
            throw new BrookException(ErrorCode.INVALID_PARTITIONS, "topic " + name + " has " + current
                    + " partitions; total_partitions must be at most " + CreateTopicsHandler.MAX_PARTITIONS_PER_TOPIC
                    + ", got " + total);
        }
        limits.checkNewPartitions(image, total - current);
        List<List<Integer>> topicAssignment = topic.partitions().values().stream()
                .map(PartitionRegistration::replicas).toList();
        if (topicAssignment.isEmpty()) {
            // Cannot happen: CreateTopics writes at least one partition with its topic.
            throw new BrookException(ErrorCode.UNKNOWN_SERVER_ERROR,
                    "topic " + name + " has no partitions to take the replication factor from");
        }
        int replicationFactor = topicAssignment.get(0).size();
        int unfenced = image.unfencedBrokerIds().size();
        if (replicationFactor > unfenced) {
            throw new BrookException(ErrorCode.INVALID_REPLICATION_FACTOR, "topic " + name + ": replication factor "
                    + replicationFactor + " exceeds the " + unfenced + " unfenced brokers");
        }

        List<List<Integer>> assignment = placer.place(ReplicaPlacer.Load.ofCluster(image), topicAssignment,
                total - current, replicationFactor);
        List<MetadataRecord> records = new ArrayList<>(assignment.size());
        CreatePartitionsResponse.Builder resp = CreatePartitionsResponse.newBuilder()
                .setName(name).setTopicId(topic.id());
        for (PartitionRegistration p : topic.partitions().values()) {
            resp.addPartitions(state(topic, p));
        }
        for (int i = 0; i < assignment.size(); i++) {
            List<Integer> replicas = assignment.get(i);
            PartitionRegistration p = new PartitionRegistration(topic.id(), current + i, replicas, replicas,
                    replicas.get(0), 0, 0);
            records.add(MetadataRecord.newBuilder().setPartition(PartitionRecord.newBuilder()
                    .setTopicId(p.topicId()).setPartition(p.partition()).addAllReplicas(p.replicas())
                    .addAllIsr(p.isr()).setLeader(p.leader()).setLeaderEpoch(p.leaderEpoch())
                    .setPartitionEpoch(p.partitionEpoch())).build());
            resp.addPartitions(state(topic, p));
        }
        return ControllerResult.of(records, resp.build());
    }

    static PartitionState state(TopicImage topic, PartitionRegistration p) {
        return PartitionState.newBuilder().setTopicId(topic.id()).setTopicName(topic.name())
                .setPartition(p.partition()).addAllReplicas(p.replicas()).addAllIsr(p.isr()).setLeader(p.leader())
                .setLeaderEpoch(p.leaderEpoch()).setPartitionEpoch(p.partitionEpoch()).build();
    }
}
