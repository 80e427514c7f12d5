package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.metadata.v1.CreatableTopic;
import io.brook.proto.metadata.v1.CreateTopicsRequest;
import io.brook.proto.metadata.v1.CreateTopicsResponse;
import io.brook.proto.metadata.v1.CreatedTopic;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.PartitionRecord;
import io.brook.proto.metadata.v1.PartitionState;
import io.brook.proto.metadata.v1.TopicRecord;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * CreateTopics: validates every topic against the image, places replicas with
 * {@link ReplicaPlacer}, and returns one Topic record plus one Partition record per partition.
 * All topics of a request are created in one entry, or none is: the first invalid topic fails the
 * whole request with its code (INVALID_REQUEST for a bad name, TOPIC_ALREADY_EXISTS,
 * INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR when it exceeds the unfenced brokers,
 * INVALID_CONFIG), then the request as a whole against {@link ControllerLimits} (INVALID_PARTITIONS
 * when it creates more partitions than one request may, or more than the cluster may hold). A new partition starts with ISR = replicas, leader = first replica, epochs 0.
 *
 * <p>Threading: controller thread only.
 */
final class CreateTopicsHandler {
    /** Kafka's rule, so names that work there work here. */
    private static final Pattern LEGAL_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    static final int MAX_NAME_LENGTH = 249;
    static final int MAX_PARTITIONS_PER_TOPIC = 100_000;

    private final ReplicaPlacer placer;
    private final Random random;
    private final ControllerLimits limits;

    CreateTopicsHandler(Random random, ControllerLimits limits) {
        this.random = random;
        this.limits = limits;
        this.placer = new ReplicaPlacer(random);
    }

    ControllerResult<CreateTopicsResponse> handle(MetadataImage image, CreateTopicsRequest req) {
        if (req.getTopicsCount() == 0) {
            throw ControllerErrors.invalid("no topics to create");
        }
        List<Integer> unfenced = image.unfencedBrokerIds();
        Set<String> names = new HashSet<>();
        for (CreatableTopic t : req.getTopicsList()) {
            validate(image, t, unfenced.size());
            if (!names.add(t.getName())) {
                throw ControllerErrors.invalid("topic " + t.getName() + " appears twice in the request");
            }
        }
        limits.checkNewPartitions(image, req.getTopicsList().stream().mapToLong(CreatableTopic::getPartitions).sum());
        ReplicaPlacer.Load load = ReplicaPlacer.Load.ofCluster(image);
        List<MetadataRecord> records = new ArrayList<>();
        CreateTopicsResponse.Builder resp = CreateTopicsResponse.newBuilder();
        for (CreatableTopic t : req.getTopicsList()) {
            String topicId = new UUID(random.nextLong(), random.nextLong()).toString();
            records.add(MetadataRecord.newBuilder().setTopic(TopicRecord.newBuilder()
                    .setName(t.getName()).setTopicId(topicId).putAllConfigs(t.getConfigsMap())).build());
            CreatedTopic.Builder created = CreatedTopic.newBuilder().setName(t.getName()).setTopicId(topicId);
            List<List<Integer>> assignment = placer.place(load, t.getPartitions(), t.getReplicationFactor());
            for (int p = 0; p < assignment.size(); p++) {
                List<Integer> replicas = assignment.get(p);
                records.add(MetadataRecord.newBuilder().setPartition(PartitionRecord.newBuilder()
                        .setTopicId(topicId).setPartition(p).addAllReplicas(replicas).addAllIsr(replicas)
                        .setLeader(replicas.get(0)).setLeaderEpoch(0).setPartitionEpoch(0)).build());
                created.addPartitions(PartitionState.newBuilder().setTopicId(topicId).setTopicName(t.getName())
                        .setPartition(p).addAllReplicas(replicas).addAllIsr(replicas).setLeader(replicas.get(0)));
            }
            resp.addTopics(created);
        }
        return ControllerResult.of(req.getValidateOnly() ? List.of() : records, resp.build());
    }

    /**
     * Refuses a name longer than any topic's (INVALID_REQUEST, repeating at most the start of it),
     * for requests about existing topics: other names no topic has are simply unknown
     * (UNKNOWN_TOPIC_OR_PARTITION, as in Kafka), and their messages stay short.
     */
    static void refuseOverlongName(String name) {
        if (name.length() > MAX_NAME_LENGTH) {
            throw ControllerErrors.invalid("topic name of " + name.length() + " characters is longer than "
                    + MAX_NAME_LENGTH + ": " + WireErrors.echo(name));
        }
    }

    /** Refuses a name no topic can have (INVALID_REQUEST, repeating at most the start of it). */
    static void validateName(String name) {
        if (!LEGAL_NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw ControllerErrors.invalid("illegal topic name " + WireErrors.echo(name)
                    + ": use 1 to 249 of [a-zA-Z0-9._-], not '.' or '..'");
        }
    }

    private static void validate(MetadataImage image, CreatableTopic t, int unfencedBrokers) {
        String name = t.getName();
        validateName(name);
        if (image.topicByName(name).isPresent()) {
            throw new BrookException(ErrorCode.TOPIC_ALREADY_EXISTS, "topic " + name + " already exists");
        }
        if (t.getPartitions() < 1 || t.getPartitions() > MAX_PARTITIONS_PER_TOPIC) {
            throw new BrookException(ErrorCode.INVALID_PARTITIONS, "topic " + name + ": partitions must be in 1.."
                    + MAX_PARTITIONS_PER_TOPIC + ", got " + t.getPartitions());
        }
        if (t.getReplicationFactor() < 1) {
            throw new BrookException(ErrorCode.INVALID_REPLICATION_FACTOR,
                    "topic " + name + ": replication factor must be >= 1, got " + t.getReplicationFactor());
        }
        if (t.getReplicationFactor() > unfencedBrokers) {
            throw new BrookException(ErrorCode.INVALID_REPLICATION_FACTOR, "topic " + name
                    + ": replication factor " + t.getReplicationFactor() + " exceeds the " + unfencedBrokers
                    + " unfenced brokers");
        }
        TopicConfigValidator.validate(name, t.getConfigsMap());
    }
}
