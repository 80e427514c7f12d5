package io.brook.metadata.client;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.time.Time;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.metadata.v1.TopicIdPartition;
import io.brook.proto.metadata.v1.AllocateProducerIdsRequest;
import io.brook.proto.metadata.v1.AllocateProducerIdsResponse;
import io.brook.proto.metadata.v1.AlterPartitionRequest;
import io.brook.proto.metadata.v1.AlterPartitionResponse;
import io.brook.proto.metadata.v1.AlterTopicConfigRequest;
import io.brook.proto.metadata.v1.AlterTopicConfigResponse;
import io.brook.proto.metadata.v1.CreatePartitionsRequest;
import io.brook.proto.metadata.v1.CreatePartitionsResponse;
import io.brook.proto.metadata.v1.CreateTopicsRequest;
import io.brook.proto.metadata.v1.CreateTopicsResponse;
import io.brook.proto.metadata.v1.DeleteTopicsRequest;
import io.brook.proto.metadata.v1.DeleteTopicsResponse;
import io.brook.proto.metadata.v1.DeleteGroupsRequest;
import io.brook.proto.metadata.v1.DeleteGroupsResponse;
import io.brook.proto.metadata.v1.DescribeQuorumRequest;
import io.brook.proto.metadata.v1.GroupHeartbeatRequest;
import io.brook.proto.v1.ConsumerGroupHeartbeatResponse;
import io.brook.proto.metadata.v1.DescribeQuorumResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How brokers and tools talk to the metadata quorum. It keeps a local image current through the
 * watch stream ({@link #image()}, {@link #awaitImage}), makes controller calls that find the
 * active controller by themselves ({@link ControllerCaller}: NOT_CONTROLLER hints, failover to
 * the next voter on errors, backoff), and for a broker runs the register-and-heartbeat loop
 * ({@link #registerBroker}).
 *
 * <p>Threading: thread-safe. Calls block the calling thread for at most the request timeout.
 * One scheduler thread runs reconnects and heartbeats; watch updates arrive on gRPC threads.
 */
public final class MetadataClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetadataClient.class);

    private final MetadataClientConfig config;
    private final Time time;
    private final ControllerEndpoints endpoints;
    private final ControllerCaller caller;
    private final ScheduledExecutorService scheduler;
    private final MetadataWatcher watcher;
    private volatile BrokerHeartbeater heartbeater;
    private volatile BrokerIdentity identity;

    private MetadataClient(MetadataClientConfig config, Time time, ChannelCredentials credentials) {
        this.config = config;
        this.time = time;
        this.endpoints = new ControllerEndpoints(config.controllers(), credentials);
        this.caller = new ControllerCaller(endpoints, time, config.requestTimeoutMs(), config.backoffInitialMs(),
                config.backoffMaxMs());
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "brook-metadata-client");
            t.setDaemon(true);
            return t;
        });
        // A watched voter that stays behind the active controller for three heartbeats (at least 2 s) is left.
        this.watcher = new MetadataWatcher(endpoints, scheduler, config.backoffInitialMs(), config.backoffMaxMs(),
                Math.max(2_000, 3 * config.heartbeatIntervalMs()));
    }

    /** Creates a client and starts watching metadata. */
    public static MetadataClient start(MetadataClientConfig config, Time time) {
        return start(config, time, InsecureChannelCredentials.create());
    }

    /**
     * Creates a client that reaches the controllers with {@code credentials} (TLS, with the node's
     * certificate, when the cluster runs {@code security.protocol=SSL}) and starts watching metadata.
     */
    public static MetadataClient start(MetadataClientConfig config, Time time, ChannelCredentials credentials) {
        MetadataClient client = new MetadataClient(config, time, credentials);
        client.watcher.start();
        return client;
    }

    /** The latest local image (EMPTY until the first snapshot arrives). */
    public MetadataImage image() {
        return watcher.image();
    }

    /** Blocks until the local image satisfies {@code condition}. */
    public MetadataImage awaitImage(Predicate<MetadataImage> condition, Duration timeout)
            throws TimeoutException, InterruptedException {
        MetadataImage image = watcher.await(condition, timeout.toMillis());
        if (image == null) {
            throw new TimeoutException("metadata condition not met within " + timeout + " (local image at index "
                    + watcher.image().appliedIndex() + ")");
        }
        return image;
    }

    /** Called with every new local image, on a gRPC thread; keep it short. */
    public void addImageListener(Consumer<MetadataImage> listener) {
        watcher.addListener(listener);
    }

    /**
     * Registers this process as a broker and keeps heartbeating in the background. The broker
     * starts fenced and is unfenced once its local image has caught up with its registration.
     */
    public synchronized void registerBroker(BrokerIdentity broker) {
        registerBroker(broker, List::of);
    }

    /**
     * As {@link #registerBroker(BrokerIdentity)}; every heartbeat also reports the partition
     * replicas {@code offlinePartitions} names (its whole current set), which the controller takes
     * out of leadership and the ISR until they are no longer reported.
     */
    public synchronized void registerBroker(BrokerIdentity broker, Supplier<List<TopicIdPartition>> offlinePartitions) {
        if (heartbeater != null) {
            throw new IllegalStateException("already registered as broker " + identity.brokerId());
        }
        identity = broker;
        heartbeater = new BrokerHeartbeater(broker, caller, time, scheduler, () -> watcher.image().appliedIndex(),
                watcher::onControllerIndex, offlinePartitions,
                config.heartbeatIntervalMs(), config.sessionTimeoutMs(), config.backoffInitialMs(), config.backoffMaxMs());
        heartbeater.start();
    }

    /** This broker's epoch, or -1 while not registered. */
    public long brokerEpoch() {
        BrokerHeartbeater h = heartbeater;
        return h == null ? -1 : h.brokerEpoch();
    }

    /**
     * Why this broker is fenced ({@link #isFenced()}) in one line — not registered yet, quorum
     * unreachable, metadata behind, fenced by the controller — or null when it is not.
     */
    public String fencedReason() {
        BrokerHeartbeater h = heartbeater;
        return h == null ? "not registered as a broker" : h.fencedReason();
    }

    /**
     * The node id of the active controller as this broker last heard from it (the one that answered
     * its last heartbeat), or -1 when it is not registered or no heartbeat was answered within the
     * session timeout.
     */
    public int activeControllerId() {
        BrokerHeartbeater h = heartbeater;
        return h == null ? -1 : h.activeControllerId();
    }

    public boolean isFenced() {
        BrokerHeartbeater h = heartbeater;
        return h == null || h.isFenced();
    }

    public CreateTopicsResponse createTopics(CreateTopicsRequest request) {
        return caller.call("CreateTopics", stub -> stub.createTopics(request));
    }

    public DeleteTopicsResponse deleteTopics(DeleteTopicsRequest request) {
        return caller.call("DeleteTopics", stub -> stub.deleteTopics(request));
    }

    /** Grows a topic to {@code request.total_partitions}; the answer lists all its partitions. */
    public CreatePartitionsResponse createPartitions(CreatePartitionsRequest request) {
        return caller.call("CreatePartitions", stub -> stub.createPartitions(request));
    }

    public CreatePartitionsResponse createPartitions(String topic, int totalPartitions) {
        return createPartitions(CreatePartitionsRequest.newBuilder().setName(topic)
                .setTotalPartitions(totalPartitions).build());
    }

    /** Sets and resets a topic's config overrides, all or nothing; the answer holds the overrides after. */
    public AlterTopicConfigResponse alterTopicConfig(AlterTopicConfigRequest request) {
        return caller.call("AlterTopicConfig", stub -> stub.alterTopicConfig(request));
    }

    public AlterTopicConfigResponse alterTopicConfig(String topic, Map<String, String> set,
                                                     Collection<String> delete) {
        return alterTopicConfig(AlterTopicConfigRequest.newBuilder().setName(topic).putAllSet(set)
                .addAllDelete(delete).build());
    }

    public AlterPartitionResponse alterPartition(AlterPartitionRequest request) {
        return caller.call("AlterPartition", stub -> stub.alterPartition(request));
    }

    /** A block of producer ids for this broker (must be registered). */
    public AllocateProducerIdsResponse allocateProducerIds() {
        BrokerIdentity me = identity;
        long epoch = brokerEpoch();
        if (me == null || epoch < 0) {
            throw new BrookException(ErrorCode.STALE_BROKER_EPOCH, "this client is not a registered broker");
        }
        return caller.call("AllocateProducerIds", stub -> stub.allocateProducerIds(AllocateProducerIdsRequest
                .newBuilder().setBrokerId(me.brokerId()).setBrokerEpoch(epoch).build()));
    }

    /**
     * Forwards a consumer-group member's heartbeat to the active controller (the group
     * coordinator), waiting at most {@code timeoutMs} across retries.
     *
     * @throws BrookException with the coordinator's error code (e.g. FENCED_MEMBER_EPOCH)
     */
    public ConsumerGroupHeartbeatResponse consumerGroupHeartbeat(GroupHeartbeatRequest request, long timeoutMs) {
        return caller.call("ConsumerGroupHeartbeat", timeoutMs, stub -> stub.consumerGroupHeartbeat(request));
    }

    /** Deletes groups without members; GROUP_NOT_EMPTY or GROUP_ID_NOT_FOUND and nothing changed otherwise. */
    public DeleteGroupsResponse deleteGroups(DeleteGroupsRequest request) {
        return caller.call("DeleteGroups", stub -> stub.deleteGroups(request));
    }

    /** Kafka's ElectLeaders on the active controller; one result per partition. */
    public io.brook.proto.v1.ElectLeadersResponse electLeaders(io.brook.proto.v1.ElectLeadersRequest request) {
        return caller.call("ElectLeaders", stub -> stub.electLeaders(request));
    }

    /** Kafka's AlterPartitionReassignments on the active controller; one result per partition named. */
    public io.brook.proto.v1.AlterPartitionReassignmentsResponse alterPartitionReassignments(
            io.brook.proto.v1.AlterPartitionReassignmentsRequest request) {
        return caller.call("AlterPartitionReassignments", stub -> stub.alterPartitionReassignments(request));
    }

    /** Users' SCRAM credentials on the active controller, all or nothing. */
    public io.brook.proto.metadata.v1.AlterScramCredentialsResponse alterScramCredentials(
            io.brook.proto.metadata.v1.AlterScramCredentialsRequest request) {
        return caller.call("AlterScramCredentials", stub -> stub.alterScramCredentials(request));
    }

    /** Adds ACLs on the active controller, all or nothing. */
    public io.brook.proto.v1.CreateAclsResponse createAcls(io.brook.proto.v1.CreateAclsRequest request) {
        return caller.call("CreateAcls", stub -> stub.createAcls(request));
    }

    /** Removes the ACLs matching the filters on the active controller. */
    public io.brook.proto.v1.DeleteAclsResponse deleteAcls(io.brook.proto.v1.DeleteAclsRequest request) {
        return caller.call("DeleteAcls", stub -> stub.deleteAcls(request));
    }

    /** The quorum as the first voter that answers sees it. */
    public DescribeQuorumResponse describeQuorum() {
        return caller.call("DescribeQuorum", stub -> stub.describeQuorum(DescribeQuorumRequest.getDefaultInstance()));
    }

    /**
     * For a broker, a controlled shutdown first: the controller moves every leadership of this
     * broker to another in-sync replica, takes it out of the ISRs that have other members and
     * fences it. Returns once the controller confirmed that (should_shut_down) and this client's
     * own image shows it (fenced, leading nothing), so leaders have moved before the process
     * exits; or, if the controller cannot be reached, after at most the request timeout. Then
     * closes.
     */
    @Override
    public void close() {
        shutdown(true);
    }

    /** Closes without telling the controller, as if the process died: the session times out. */
    public void closeAbruptly() {
        shutdown(false);
    }

    private void shutdown(boolean controlled) {
        BrokerHeartbeater h = heartbeater;
        BrokerIdentity me = identity;
        if (h != null) {
            long deadlineMs = time.monotonicMs() + config.requestTimeoutMs();
            long epoch = h.stop(controlled, config.requestTimeoutMs());
            if (epoch >= 0) {
                awaitLeadershipsMoved(me.brokerId(), epoch, deadlineMs - time.monotonicMs());
            }
        }
        watcher.close();
        scheduler.shutdownNow();
        endpoints.close();
    }

    private void awaitLeadershipsMoved(int brokerId, long epoch, long timeoutMs) {
        try {
            if (timeoutMs <= 0 || watcher.await(img -> leadershipsMoved(img, brokerId, epoch), timeoutMs) == null) {
                LOG.info("Broker {} controlled shutdown: local metadata (index {}) does not show it yet",
                        brokerId, watcher.image().appliedIndex());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * True if {@code image} shows the broker's incarnation {@code epoch} fenced and leading no
     * partition, or replaced or removed since.
     */
    static boolean leadershipsMoved(MetadataImage image, int brokerId, long epoch) {
        if (image.appliedIndex() < epoch) {
            return false; // does not even show the registration yet
        }
        BrokerRegistration b = image.brokers().get(brokerId);
        if (b == null || b.epoch() != epoch) {
            return true;
        }
        return b.fenced() && image.allPartitions().stream().noneMatch(p -> p.leader() == brokerId);
    }
}
