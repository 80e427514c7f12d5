package io.brook.metadata.image;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The whole cluster metadata at one point of the Raft log: brokers, topics and partitions,
 * the next free producer id, controller endpoints, consumer groups and the cluster id.
 *
 * <p>Immutable: the state machine publishes a new image after each applied entry (built by a
 * {@link MetadataDelta}), and any thread may read any published image without locks. Two images
 * are equal when their contents and {@code appliedIndex} are equal.
 *
 * @param appliedIndex Raft index of the last metadata entry reflected here (0: none)
 * @param appliedTerm  Raft term of that entry
 * @param clusterId    the cluster's id (a ClusterIdRecord, written once by the first active
 *                     controller), or "" before it is written
 * @param security     ACLs and users' SCRAM credentials
 */
public record MetadataImage(long appliedIndex, long appliedTerm,
                            Map<Integer, BrokerRegistration> brokers,
                            Map<String, TopicImage> topicsById,
                            long nextProducerId,
                            Map<Integer, ControllerEndpoint> controllers,
                            Map<String, GroupImage> groups,
                            String clusterId,
                            SecurityImage security) {

    public static final MetadataImage EMPTY = new MetadataImage(0, 0, Map.of(), Map.of(), 0, Map.of(), Map.of(), "",
            SecurityImage.EMPTY);

    /** An image without ACLs or users. */
    public MetadataImage(long appliedIndex, long appliedTerm, Map<Integer, BrokerRegistration> brokers,
                         Map<String, TopicImage> topicsById, long nextProducerId,
                         Map<Integer, ControllerEndpoint> controllers, Map<String, GroupImage> groups,
                         String clusterId) {
        this(appliedIndex, appliedTerm, brokers, topicsById, nextProducerId, controllers, groups, clusterId,
                SecurityImage.EMPTY);
    }

    /** An image without a cluster id (tests, and images built before the first controller wrote one). */
    public MetadataImage(long appliedIndex, long appliedTerm, Map<Integer, BrokerRegistration> brokers,
                         Map<String, TopicImage> topicsById, long nextProducerId,
                         Map<Integer, ControllerEndpoint> controllers, Map<String, GroupImage> groups) {
        this(appliedIndex, appliedTerm, brokers, topicsById, nextProducerId, controllers, groups, "",
                SecurityImage.EMPTY);
    }

    public MetadataImage {
        clusterId = clusterId == null ? "" : clusterId;
        security = security == null ? SecurityImage.EMPTY : security;
        brokers = SortedMaps.copyOf(brokers);
        topicsById = SortedMaps.copyOf(topicsById);
        controllers = SortedMaps.copyOf(controllers);
        groups = SortedMaps.copyOf(groups);
    }

    public Optional<BrokerRegistration> broker(int id) {
        return Optional.ofNullable(brokers.get(id));
    }

    public Optional<TopicImage> topic(String topicId) {
        return Optional.ofNullable(topicsById.get(topicId));
    }

    /** Linear in the number of topics; the controller and tools call it per request, not per record. */
    public Optional<TopicImage> topicByName(String name) {
        for (TopicImage t : topicsById.values()) {
            if (t.name().equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    public Optional<PartitionRegistration> partition(String topicId, int partition) {
        TopicImage t = topicsById.get(topicId);
        return t == null ? Optional.empty() : Optional.ofNullable(t.partition(partition));
    }

    /** Ids of registered, unfenced brokers, ascending. */
    public List<Integer> unfencedBrokerIds() {
        return brokers.values().stream().filter(b -> !b.fenced()).map(BrokerRegistration::id).toList();
    }

    public boolean isUnfenced(int brokerId) {
        BrokerRegistration b = brokers.get(brokerId);
        return b != null && !b.fenced();
    }

    /** Every partition of every topic, topics by id then partitions by index. */
    public List<PartitionRegistration> allPartitions() {
        return topicsById.values().stream().flatMap(t -> t.partitions().values().stream()).toList();
    }
}
