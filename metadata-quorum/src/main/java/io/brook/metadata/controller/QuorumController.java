package io.brook.metadata.controller;

import io.brook.metadata.config.HostPort;
import io.brook.metadata.controller.group.GroupSettings;
import io.brook.metadata.image.ControllerEndpoint;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.time.Time;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.metadata.v1.AllocateProducerIdsRequest;
import io.brook.proto.metadata.v1.AllocateProducerIdsResponse;
import io.brook.proto.metadata.v1.AlterPartitionRequest;
import io.brook.proto.metadata.v1.AlterPartitionResponse;
import io.brook.proto.metadata.v1.AlterTopicConfigRequest;
import io.brook.proto.metadata.v1.AlterTopicConfigResponse;
import io.brook.proto.metadata.v1.BrokerHeartbeatRequest;
import io.brook.proto.metadata.v1.BrokerHeartbeatResponse;
import io.brook.proto.metadata.v1.ClusterIdRecord;
import io.brook.proto.metadata.v1.ControllerEndpointRecord;
import io.brook.proto.metadata.v1.CreatePartitionsRequest;
import io.brook.proto.metadata.v1.CreatePartitionsResponse;
import io.brook.proto.metadata.v1.CreateTopicsRequest;
import io.brook.proto.metadata.v1.CreateTopicsResponse;
import io.brook.proto.metadata.v1.DeleteGroupsRequest;
import io.brook.proto.metadata.v1.DeleteGroupsResponse;
import io.brook.proto.metadata.v1.DeleteTopicsRequest;
import io.brook.proto.metadata.v1.GroupHeartbeatRequest;
import io.brook.proto.v1.ConsumerGroupHeartbeatResponse;
import io.brook.proto.metadata.v1.DeleteTopicsResponse;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.RegisterBrokerRequest;
import io.brook.proto.metadata.v1.RegisterBrokerResponse;
import io.brook.proto.metadata.v1.UnregisterBrokerRequest;
import io.brook.proto.metadata.v1.UnregisterBrokerResponse;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller logic, active on the Raft leader (Kafka's {@code QuorumController} design).
 *
 * <p>Protocol: every request becomes an operation on one queue. The controller thread takes the
 * next operation, runs its handler against the current image, and appends the records the handler
 * returned as one Raft entry; the caller's future completes with the handler's response only after
 * that entry is committed and applied. State never changes in a handler, only when records apply.
 * No entry exceeds {@link ControllerLimits#maxEntryBytes()}: a larger splittable result (see
 * {@link ControllerResult}) is appended as several entries, one after the other, and a larger atomic
 * one is refused with INVALID_REQUEST; create requests are bounded beforehand by the partition limits.
 *
 * <p>Invariant (why concurrent writes are safe): a handler validates against an image that
 * reflects every entry in this node's log. The controller (a) runs one operation at a time and
 * does not start the next until the previous append has completed (applied or failed), and
 * (b) before running a handler waits until the local log is fully applied (after a failed or
 * timed-out write, or just after election). So two CreateTopics for one name are validated one
 * after the other, and the second sees the first's topic. Should a stale record slip into the log
 * anyway, replay rejects it (records carry epochs), identically on every replica.
 *
 * <p>Leadership: the controller is active in term T when Ratis reports this node leader of T and
 * ready. On becoming active it gives every broker a fresh session ({@link BrokerHeartbeatTracker})
 * and publishes its controller endpoint if the image lacks it; the first active controller of a new
 * quorum also writes the cluster id (a ClusterIdRecord: 16 random bytes in base64, like Kafka's).
 * When not active, operations fail with NOT_CONTROLLER naming the leader (it does not forward).
 * A tick on the same thread checks leadership, expires queued operations past their deadline, and fences brokers whose session
 * timed out.
 *
 * <p>Preferred leader election ({@link PreferredLeaderElection}, if {@link AutoLeaderRebalance}
 * is enabled) is an operation the controller queues itself, behind client requests: after a
 * write that may have made one possible (a broker unfenced, a partition change leaving the
 * preferred replica in the ISR but not leading), on becoming active, every check interval, and
 * again at once while a bounded election left eligible partitions. At most one is queued at a time.
 *
 * <p>Consumer groups: the active controller is the group coordinator ({@link GroupCoordinator}).
 * Member sessions are soft state like broker sessions: fresh for every member on activation, and a
 * tick queues (ahead of requests, at most one at a time) the removal of members whose session or
 * rebalance timeout passed; the handler checks again against the image it runs on.
 *
 * <p>Threading: one thread owns all mutable state here (queue, tracker, handlers). Public methods
 * may be called from any thread; they only enqueue.
 */
public final class QuorumController implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QuorumController.class);
    private static final int MAX_QUEUED_OPERATIONS = 10_000;
    private static final long CATCH_UP_POLL_MS = 5;

    private final int nodeId;
    private final MetadataLog log;
    private final Time time;
    private final long requestTimeoutMs;
    private final ControllerEndpoint ownEndpoint;
    private final ScheduledExecutorService thread;
    private final ArrayDeque<Operation<?>> queue = new ArrayDeque<>();
    private final BrokerLifecycle brokers;
    private final CreateTopicsHandler createTopics;
    private final DeleteTopicsHandler deleteTopics = new DeleteTopicsHandler();
    private final CreatePartitionsHandler createPartitions;
    private final AlterTopicConfigHandler alterTopicConfig = new AlterTopicConfigHandler();
    private final AlterPartitionHandler alterPartition = new AlterPartitionHandler();
    private final ProducerIdsHandler producerIds = new ProducerIdsHandler();
    private final GroupCoordinator groups;
    private final AutoLeaderRebalance rebalance;
    private final PreferredLeaderElection preferredLeaders;
    private final ElectLeadersHandler electLeaders;
    private final ReassignPartitionsHandler reassignPartitions;
    private final ControllerLimits limits;
    private final SecurityHandler security;

    private long activeTerm = -1;
    private boolean writeInFlight;
    private boolean drainScheduled;
    private boolean fenceQueued;
    private boolean groupExpiryQueued;
    private boolean electionQueued;
    private long nextImbalanceCheckMs = Long.MAX_VALUE;

    /** A controller with the default preferred leader election (on, checked every 30 s). */
    public QuorumController(int nodeId, MetadataLog log, Time time, long sessionTimeoutMs, long requestTimeoutMs,
                            String advertisedEndpoint, Random random) {
        this(nodeId, log, time, sessionTimeoutMs, requestTimeoutMs, advertisedEndpoint, random,
                AutoLeaderRebalance.DEFAULT);
    }

    /**
     * @param advertisedEndpoint host:port of this node's controller API, or "" to publish none
     * @param rebalance          preferred leader election settings
     */
    public QuorumController(int nodeId, MetadataLog log, Time time, long sessionTimeoutMs, long requestTimeoutMs,
                            String advertisedEndpoint, Random random, AutoLeaderRebalance rebalance) {
        this(nodeId, log, time, sessionTimeoutMs, requestTimeoutMs, advertisedEndpoint, random, rebalance,
                GroupSettings.DEFAULT);
    }

    /**
     * @param advertisedEndpoint host:port of this node's controller API, or "" to publish none
     * @param rebalance          preferred leader election settings
     * @param groupSettings      consumer-group coordinator settings (group.consumer.*)
     */
    public QuorumController(int nodeId, MetadataLog log, Time time, long sessionTimeoutMs, long requestTimeoutMs,
                            String advertisedEndpoint, Random random, AutoLeaderRebalance rebalance,
                            GroupSettings groupSettings) {
        this(nodeId, log, time, sessionTimeoutMs, requestTimeoutMs, advertisedEndpoint, random, rebalance,
                groupSettings, ControllerLimits.DEFAULT);
    }

    /**
     * @param advertisedEndpoint host:port of this node's controller API, or "" to publish none
     * @param rebalance          preferred leader election settings
     * @param groupSettings      consumer-group coordinator settings (group.consumer.*)
     * @param limits             what one request may create, and the largest entry
     */
    public QuorumController(int nodeId, MetadataLog log, Time time, long sessionTimeoutMs, long requestTimeoutMs,
                            String advertisedEndpoint, Random random, AutoLeaderRebalance rebalance,
                            GroupSettings groupSettings, ControllerLimits limits) {
        this.nodeId = nodeId;
        this.limits = limits;
        this.groups = new GroupCoordinator(groupSettings);
        this.rebalance = rebalance;
        this.preferredLeaders = new PreferredLeaderElection(rebalance.maxElectionsPerWrite());
        this.electLeaders = new ElectLeadersHandler(rebalance.maxElectionsPerWrite());
        this.reassignPartitions = new ReassignPartitionsHandler(limits);
        this.log = log;
        this.time = time;
        this.requestTimeoutMs = requestTimeoutMs;
        if (advertisedEndpoint == null || advertisedEndpoint.isBlank()) {
            this.ownEndpoint = null;
        } else {
            HostPort hp = HostPort.parse("controller.advertised.endpoint", advertisedEndpoint);
            this.ownEndpoint = new ControllerEndpoint(nodeId, hp.host(), hp.port());
        }
        this.brokers = new BrokerLifecycle(new BrokerHeartbeatTracker(sessionTimeoutMs));
        this.createTopics = new CreateTopicsHandler(random, limits);
        this.createPartitions = new CreatePartitionsHandler(random, limits);
        this.security = new SecurityHandler(random);
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "brook-controller-" + nodeId);
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true); // request timeouts are cancelled on completion
        this.thread = executor;
        long tickMs = Math.max(10, Math.min(250, sessionTimeoutMs / 10));
        thread.scheduleWithFixedDelay(this::tick, tickMs, tickMs, TimeUnit.MILLISECONDS);
    }

    public CompletableFuture<RegisterBrokerResponse> registerBroker(RegisterBrokerRequest req) {
        return submit("RegisterBroker", image -> brokers.register(image, req, time.monotonicMs()));
    }

    public CompletableFuture<BrokerHeartbeatResponse> brokerHeartbeat(BrokerHeartbeatRequest req) {
        return submit("BrokerHeartbeat", image -> brokers.heartbeat(image, req, time.monotonicMs()))
                .thenApply(r -> r.toBuilder().setControllerId(nodeId).build());
    }

    public CompletableFuture<UnregisterBrokerResponse> unregisterBroker(UnregisterBrokerRequest req) {
        return submit("UnregisterBroker", image -> brokers.unregister(image, req));
    }

    public CompletableFuture<AlterPartitionResponse> alterPartition(AlterPartitionRequest req) {
        return submit("AlterPartition", image -> alterPartition.handle(image, req));
    }

    public CompletableFuture<CreateTopicsResponse> createTopics(CreateTopicsRequest req) {
        return submit("CreateTopics", image -> createTopics.handle(image, req));
    }

    public CompletableFuture<DeleteTopicsResponse> deleteTopics(DeleteTopicsRequest req) {
        return submit("DeleteTopics", image -> deleteTopics.handle(image, req));
    }

    public CompletableFuture<CreatePartitionsResponse> createPartitions(CreatePartitionsRequest req) {
        return submit("CreatePartitions", image -> createPartitions.handle(image, req));
    }

    public CompletableFuture<AlterTopicConfigResponse> alterTopicConfig(AlterTopicConfigRequest req) {
        return submit("AlterTopicConfig", image -> alterTopicConfig.handle(image, req));
    }

    public CompletableFuture<AllocateProducerIdsResponse> allocateProducerIds(AllocateProducerIdsRequest req) {
        return submit("AllocateProducerIds", image -> producerIds.handle(image, req));
    }

    /** A consumer-group member's heartbeat (docs/groups.md); writes records only when something changed. */
    public CompletableFuture<ConsumerGroupHeartbeatResponse> consumerGroupHeartbeat(GroupHeartbeatRequest req) {
        return submit("ConsumerGroupHeartbeat", image -> groups.heartbeat(image, req, time.monotonicMs(),
                time.milliseconds()));
    }

    /** Deletes groups without members. */
    public CompletableFuture<DeleteGroupsResponse> deleteGroups(DeleteGroupsRequest req) {
        return submit("DeleteGroups", image -> groups.deleteGroups(image, req));
    }

    /** Kafka's ElectLeaders, preferred or unclean, for the partitions named (see {@link ElectLeadersHandler}). */
    public CompletableFuture<io.brook.proto.v1.ElectLeadersResponse> electLeaders(io.brook.proto.v1.ElectLeadersRequest req) {
        return submit("ElectLeaders", image -> electLeaders.handle(image, req, brokers.shuttingDown(image)));
    }

    /** Kafka's AlterPartitionReassignments: start, replace or cancel replica moves (see {@link ReassignPartitionsHandler}). */
    public CompletableFuture<io.brook.proto.v1.AlterPartitionReassignmentsResponse> alterPartitionReassignments(
            io.brook.proto.v1.AlterPartitionReassignmentsRequest req) {
        return submit("AlterPartitionReassignments", image -> reassignPartitions.handle(image, req));
    }

    /** Adds, replaces and removes users' SCRAM credentials, all or nothing. */
    public CompletableFuture<io.brook.proto.metadata.v1.AlterScramCredentialsResponse> alterScramCredentials(
            io.brook.proto.metadata.v1.AlterScramCredentialsRequest req) {
        return submit("AlterScramCredentials", image -> security.alterScramCredentials(image, req));
    }

    /** Adds ACLs (those that exist already are skipped), all or nothing. */
    public CompletableFuture<io.brook.proto.v1.CreateAclsResponse> createAcls(io.brook.proto.v1.CreateAclsRequest req) {
        return submit("CreateAcls", image -> security.createAcls(image, req));
    }

    /** Removes every ACL matching one of the filters; the answer lists them. */
    public CompletableFuture<io.brook.proto.v1.DeleteAclsResponse> deleteAcls(io.brook.proto.v1.DeleteAclsRequest req) {
        return submit("DeleteAcls", image -> security.deleteAcls(image, req));
    }

    /** The error a non-active node answers with: NOT_CONTROLLER and where the leader is, if known. */
    public BrookException notController() {
        int leader = log.leaderId();
        if (leader == nodeId) {
            // Leader but not yet ready (its first entry is not applied): retry here shortly.
            return ControllerErrors.notController(leader, ownEndpoint == null ? "" : ownEndpoint.hostPort());
        }
        ControllerEndpoint e = leader < 0 ? null : log.image().controllers().get(leader);
        return ControllerErrors.notController(leader, e == null ? "" : e.hostPort());
    }

    private <T> CompletableFuture<T> submit(String name, Function<MetadataImage, ControllerResult<T>> handler) {
        Operation<T> op = new Operation<>(name, handler, time.monotonicMs() + requestTimeoutMs);
        try {
            thread.execute(() -> enqueue(op));
            ScheduledFuture<?> timeout = thread.schedule(() -> op.fail(new BrookException(
                    ErrorCode.REQUEST_TIMED_OUT, name + " did not complete within " + requestTimeoutMs + " ms")),
                    requestTimeoutMs, TimeUnit.MILLISECONDS);
            op.future.whenComplete((v, e) -> timeout.cancel(false));
        } catch (RejectedExecutionException e) {
            op.fail(ControllerErrors.notController(-1, ""));
        }
        return op.future;
    }

    private void enqueue(Operation<?> op) {
        if (queue.size() >= MAX_QUEUED_OPERATIONS) {
            op.fail(new BrookException(ErrorCode.REQUEST_TIMED_OUT, "controller queue is full"));
            return;
        }
        queue.add(op);
        drain();
    }

    private void tick() {
        try {
            refreshLeadership();
            long now = time.monotonicMs();
            for (Iterator<Operation<?>> it = queue.iterator(); it.hasNext(); ) {
                Operation<?> op = it.next();
                if (now > op.deadlineMs) {
                    it.remove();
                    op.fail(new BrookException(ErrorCode.REQUEST_TIMED_OUT, op.name + " timed out in the queue"));
                }
            }
            if (activeTerm >= 0 && !fenceQueued && brokers.anyExpired(log.image(), now)) {
                fenceQueued = true;
                Operation<List<Integer>> fence = new Operation<>("FenceExpiredBrokers", image -> {
                    fenceQueued = false;
                    return brokers.fenceExpired(image, time.monotonicMs());
                }, now + requestTimeoutMs);
                fence.future.whenComplete((ids, err) -> {
                    fenceQueued = false;
                    if (err == null && !ids.isEmpty()) {
                        LOG.info("Fenced brokers {}: no heartbeat within the session timeout", ids);
                    }
                });
                queue.addFirst(fence);
            }
            if (activeTerm >= 0 && !groupExpiryQueued && groups.anyExpired(log.image(), now)) {
                queueGroupExpiry(now);
            }
            if (activeTerm >= 0 && rebalance.enabled() && now >= nextImbalanceCheckMs) {
                nextImbalanceCheckMs = now + rebalance.checkIntervalMs();
                queueElection();
            }
            drain();
        } catch (RuntimeException e) {
            LOG.error("Controller tick failed", e);
        }
    }

    /** Queues, ahead of requests, the removal of group members whose session or rebalance timeout passed. */
    private void queueGroupExpiry(long now) {
        groupExpiryQueued = true;
        Operation<List<String>> expire = new Operation<>("ExpireGroupMembers", image -> {
            groupExpiryQueued = false;
            return groups.expireMembers(image, time.monotonicMs(), time.milliseconds());
        }, now + requestTimeoutMs);
        expire.future.whenComplete((removed, err) -> {
            groupExpiryQueued = false;
            if (err == null && !removed.isEmpty()) {
                LOG.info("Removed consumer-group members {}: session or rebalance timeout passed", removed);
            }
        });
        queue.addFirst(expire);
    }

    private void refreshLeadership() {
        long term = log.activeTerm();
        if (term == activeTerm) {
            return;
        }
        if (term < 0) {
            LOG.info("Node {} is no longer the active controller (term {})", nodeId, activeTerm);
            activeTerm = -1;
            groups.onDeactivated();
            return;
        }
        activeTerm = term;
        brokers.onActivated(log.image(), time.monotonicMs());
        groups.onActivated(log.image(), time.monotonicMs());
        // Check at once: the previous controller may have died between a write that enabled an
        // election and the election.
        nextImbalanceCheckMs = time.monotonicMs() + rebalance.checkIntervalMs();
        queueElection();
        LOG.info("Node {} is the active controller in term {}", nodeId, term);
        if (log.image().clusterId().isEmpty()) {
            queue.addFirst(new Operation<>("WriteClusterId", image -> ControllerResult.of(image.clusterId().isEmpty()
                    ? List.of(MetadataRecord.newBuilder().setClusterId(ClusterIdRecord.newBuilder()
                            .setClusterId(newClusterId())).build()) : List.of(), Boolean.TRUE),
                    time.monotonicMs() + requestTimeoutMs));
        }
        if (ownEndpoint != null && !ownEndpoint.equals(log.image().controllers().get(nodeId))) {
            MetadataRecord r = MetadataRecord.newBuilder().setControllerEndpoint(ControllerEndpointRecord.newBuilder()
                    .setNodeId(nodeId).setHost(ownEndpoint.host()).setPort(ownEndpoint.port())).build();
            queue.addFirst(new Operation<>("PublishControllerEndpoint",
                    image -> ControllerResult.of(ownEndpoint.equals(image.controllers().get(nodeId))
                            ? List.of() : List.of(r), Boolean.TRUE),
                    time.monotonicMs() + requestTimeoutMs));
        }
    }

    /** A new cluster id like Kafka's: a random UUID's 16 bytes, URL-safe base64 without padding (22 characters). */
    static String newClusterId() {
        java.util.UUID u = java.util.UUID.randomUUID();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16).putLong(u.getMostSignificantBits())
                .putLong(u.getLeastSignificantBits());
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }

    private void drain() {
        refreshLeadership();
        while (!writeInFlight && !queue.isEmpty()) {
            Operation<?> op = queue.peek();
            if (op.future.isDone()) {
                queue.poll(); // timed out while queued
                continue;
            }
            if (activeTerm < 0) {
                queue.poll();
                op.fail(notController());
                continue;
            }
            if (!log.isCaughtUp()) {
                // An earlier entry (a previous term's, or a write that timed out) is not applied
                // yet: validating now could miss it. Look again shortly.
                scheduleDrain();
                return;
            }
            queue.poll();
            run(op);
        }
    }

    /** Queues a preferred leader election behind the queued requests, unless one is queued already. */
    private void queueElection() {
        if (!rebalance.enabled() || electionQueued || activeTerm < 0) {
            return;
        }
        electionQueued = true;
        Operation<PreferredLeaderElection.Outcome> election = new Operation<>("PreferredLeaderElection", image -> {
            electionQueued = false;
            return preferredLeaders.elect(image, brokers.shuttingDown(image));
        }, time.monotonicMs() + requestTimeoutMs);
        election.future.whenComplete((outcome, err) -> {
            electionQueued = false;
            if (err != null) {
                LOG.debug("Preferred leader election failed: {}", err.toString());
            } else if (outcome.elected() > 0) {
                LOG.info("Moved leadership of {} partition(s) back to their preferred replica{}", outcome.elected(),
                        outcome.more() ? "; more to move" : "");
                if (outcome.more()) {
                    queueElection();
                }
            }
        });
        queue.add(election);
    }

    private void scheduleDrain() {
        if (!drainScheduled) {
            drainScheduled = true;
            thread.schedule(() -> {
                drainScheduled = false;
                drain();
            }, CATCH_UP_POLL_MS, TimeUnit.MILLISECONDS);
        }
    }

    private <T> void run(Operation<T> op) {
        ControllerResult<T> result;
        MetadataImage image = log.image();
        try {
            result = op.handler.apply(image);
        } catch (BrookException e) {
            op.fail(e);
            return;
        } catch (RuntimeException e) {
            LOG.error("{} failed", op.name, e);
            op.fail(new BrookException(ErrorCode.UNKNOWN_SERVER_ERROR, op.name + " failed: " + e));
            return;
        }
        if (result.records().isEmpty()) {
            op.complete(result.response(image.appliedIndex()));
            return;
        }
        List<List<MetadataRecord>> entries = MetadataEntries.split(result.records(), limits.maxEntryBytes());
        if (entries.size() > 1 && !result.splittable()) {
            op.fail(new BrookException(ErrorCode.INVALID_REQUEST, op.name + " would write "
                    + MetadataEntries.bytes(result.records()) + " bytes of metadata in one entry; at most "
                    + limits.maxEntryBytes() + " bytes fit in one: change less in one request"));
            return;
        }
        if (entries.size() > 1) {
            LOG.info("{}: {} records over {} entries", op.name, result.records().size(), entries.size());
        }
        writeInFlight = true;
        CompletableFuture<Long> appended = appendInOrder(entries, 0);
        appended.whenComplete((index, err) -> {
            try {
                thread.execute(() -> {
                    writeInFlight = false;
                    if (err != null) {
                        op.fail(appendError(op.name, err));
                    } else {
                        op.complete(result.response(index));
                        if (PreferredLeaderElection.mayEnable(image, result.records())) {
                            queueElection();
                        }
                    }
                    drain();
                });
            } catch (RejectedExecutionException e) {
                op.fail(ControllerErrors.notController(-1, ""));
            }
        });
    }

    /** Appends {@code entries[from..]} one after the other; completes with the last one's index. */
    private CompletableFuture<Long> appendInOrder(List<List<MetadataRecord>> entries, int from) {
        CompletableFuture<Long> appended;
        try {
            appended = log.append(entries.get(from));
        } catch (RuntimeException e) {
            appended = CompletableFuture.failedFuture(e);
        }
        return from == entries.size() - 1 ? appended
                : appended.thenCompose(index -> appendInOrder(entries, from + 1));
    }

    private BrookException appendError(String name, Throwable err) {
        Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
                ? err.getCause() : err;
        if (cause instanceof BrookException me) {
            return me;
        }
        LOG.info("{}: append failed: {}", name, cause.toString());
        // Lost leadership, stepping down, or shutting down: the entry may or may not commit;
        // the caller retries against the new controller (which validates again).
        return notController();
    }

    /** Stops the controller thread; queued and in-flight operations fail with NOT_CONTROLLER. */
    @Override
    public void close() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                for (Operation<?> op : queue) {
                    op.fail(ControllerErrors.notController(-1, ""));
                }
                queue.clear();
                done.complete(null);
            });
            done.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.debug("Controller close", e);
        }
        thread.shutdownNow();
    }

    private static final class Operation<T> {
        final String name;
        final Function<MetadataImage, ControllerResult<T>> handler;
        final long deadlineMs;
        final CompletableFuture<T> future = new CompletableFuture<>();

        Operation(String name, Function<MetadataImage, ControllerResult<T>> handler, long deadlineMs) {
            this.name = name;
            this.handler = handler;
            this.deadlineMs = deadlineMs;
        }

        void complete(T value) {
            future.complete(value);
        }

        void fail(Throwable t) {
            future.completeExceptionally(t);
        }
    }
}
