package io.brook.metadata.quorum;

import io.brook.metadata.api.ControllerGrpcService;
import io.brook.metadata.config.QuorumConfig;
import io.brook.metadata.controller.AutoLeaderRebalance;
import io.brook.metadata.controller.ControllerLimits;
import io.brook.metadata.controller.QuorumController;
import io.brook.metadata.controller.group.GroupSettings;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.statemachine.MetadataStateMachine;
import io.brook.metadata.time.Time;
import io.brook.proto.metadata.v1.DescribeQuorumResponse;
import io.brook.security.ReloadingTls;
import io.grpc.BindableService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One voter of the metadata quorum: the Ratis server with the {@link MetadataStateMachine}, the
 * {@link QuorumController} that acts when this voter leads, and the controller gRPC service for
 * the node to mount ({@link #grpcService()}).
 *
 * <p>Storage: {@code <data.dir>/metadata/<group-uuid>/} (Raft log, and {@code sm/} snapshots).
 * If that directory exists the server starts with {@code RECOVER} (snapshot, then log replay);
 * otherwise with {@code FORMAT}. A voter restarted from its directory rebuilds the same image.
 *
 * <p>Lifecycle: {@link #start} returns once the Ratis server is running (not necessarily with a
 * leader elected); {@link #close} stops the gRPC streams, the controller and the Ratis server.
 * While this voter leads, a {@link StaleFollowerNudger} appends a no-op entry for a follower that
 * answers but stays behind (a work-around for the Ratis appender bug RATIS-2523).
 */
public final class MetadataQuorumNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetadataQuorumNode.class);

    private final QuorumConfig config;
    private final MetadataStateMachine stateMachine;
    private final RaftServer server;
    private final RatisMetadataLog log;
    private final QuorumController controller;
    private final ControllerGrpcService service;
    private final QuorumDescriber describer;
    private final StaleFollowerNudger nudger;
    private final ClientId adminClientId = ClientId.randomId();

    private MetadataQuorumNode(QuorumConfig config, Time time, ReloadingTls tls) throws IOException {
        this.config = config;
        this.stateMachine = new MetadataStateMachine(config.watchRetainedEntries());
        Path groupDir = config.metadataDir().resolve(RatisSettings.GROUP_ID.getUuid().toString());
        RaftStorage.StartupOption option = Files.isDirectory(groupDir)
                ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT;
        Files.createDirectories(config.metadataDir());
        this.server = RaftServer.newBuilder()
                .setServerId(RatisSettings.peerId(config.nodeId()))
                .setGroup(RatisSettings.group(config.voters()))
                .setProperties(RatisSettings.properties(config))
                .setParameters(RatisSettings.parameters(tls))
                .setStateMachine(stateMachine)
                .setOption(option)
                .build();
        this.log = new RatisMetadataLog(server, RatisSettings.GROUP_ID, stateMachine);
        this.controller = new QuorumController(config.nodeId(), log, time, config.sessionTimeoutMs(),
                config.requestTimeoutMs(), config.controllerAdvertisedEndpoint(), new SecureRandom(),
                new AutoLeaderRebalance(config.autoLeaderRebalanceEnable(), config.leaderImbalanceCheckIntervalMs(),
                        AutoLeaderRebalance.DEFAULT_MAX_ELECTIONS_PER_WRITE),
                new GroupSettings(config.groupConsumerHeartbeatIntervalMs(), config.groupConsumerSessionTimeoutMs(),
                        config.groupConsumerMaxSize()),
                new ControllerLimits(config.maxPartitionsPerRequest(), config.maxPartitions(),
                        ControllerLimits.DEFAULT_MAX_ENTRY_BYTES));
        this.describer = new QuorumDescriber(config.nodeId(), server, stateMachine::image);
        // Ratis heartbeats every half minimum election timeout, and after errors its appender waits
        // up to 0.3 election timeouts between attempts (RatisSettings.appenderRetryPolicy): a
        // follower that keeps answering but stays behind for a whole election timeout gets a
        // no-op entry (RATIS-2523 work-around). Answers older than 4 timeouts: unreachable.
        long election = config.electionTimeoutMs();
        this.nudger = new StaleFollowerNudger(config.nodeId(), StaleFollowerNudger.ratisView(server,
                RatisSettings.GROUP_ID), log::append, time, Math.max(10, election / 2), election, 4 * election);
        this.service = new ControllerGrpcService(controller, stateMachine, describer::describe, config.nodeId());
        LOG.info("Metadata quorum node {} starting ({}) with voters {} in {}", config.nodeId(), option,
                config.voters(), config.metadataDir());
    }

    /** Builds and starts the voter described by {@code config}, its quorum port in plaintext. */
    public static MetadataQuorumNode start(QuorumConfig config, Time time) throws IOException {
        return start(config, time, null);
    }

    /**
     * Builds and starts the voter described by {@code config}. With {@code tls} (not null) the
     * quorum port speaks mutual TLS: voters present {@code tls}'s certificate to each other, both
     * as server and as client, and accept only certificates that lead to its CAs (see
     * {@link RatisSettings#parameters}).
     */
    public static MetadataQuorumNode start(QuorumConfig config, Time time, ReloadingTls tls) throws IOException {
        MetadataQuorumNode node = new MetadataQuorumNode(config, time, tls);
        try {
            node.server.start();
            node.nudger.start();
        } catch (IOException | RuntimeException e) {
            node.close();
            throw e;
        }
        return node;
    }

    public QuorumConfig config() {
        return config;
    }

    public int nodeId() {
        return config.nodeId();
    }

    /** The controller API, to add to the node's gRPC server. */
    public BindableService grpcService() {
        return service;
    }

    public QuorumController controller() {
        return controller;
    }

    public MetadataStateMachine stateMachine() {
        return stateMachine;
    }

    public MetadataImage image() {
        return stateMachine.image();
    }

    /** True when this voter is the Raft leader, ready, i.e. the active controller. */
    public boolean isActiveController() {
        return log.activeTerm() >= 0;
    }

    public int leaderId() {
        return log.leaderId();
    }

    /** This voter's Raft status for the metrics: whether it leads, its term, its commit index. */
    public record RaftStatus(boolean leader, long term, long commitIndex) {
        static final RaftStatus UNKNOWN = new RaftStatus(false, -1, -1);
    }

    /** This voter's Raft status now (UNKNOWN if the Ratis division is not available). */
    public RaftStatus raftStatus() {
        try {
            RaftServer.Division d = division();
            return new RaftStatus(d.getInfo().isLeader(), d.getInfo().getCurrentTerm(),
                    d.getRaftLog().getLastCommittedIndex());
        } catch (IOException | RuntimeException e) {
            return RaftStatus.UNKNOWN;
        }
    }

    /** The RATIS-2523 work-around of this voter (acts only while it leads). */
    public StaleFollowerNudger staleFollowerNudger() {
        return nudger;
    }

    /** This voter's Ratis division (package-private: for tests that look inside Ratis). */
    RaftServer.Division division() throws IOException {
        return server.getDivision(RatisSettings.GROUP_ID);
    }

    public DescribeQuorumResponse describe() throws IOException {
        return describer.describe();
    }

    /** Asks Ratis to take a snapshot now (on its apply thread); completes with the snapshot index. */
    public CompletableFuture<Long> takeSnapshot() {
        SnapshotManagementRequest request = SnapshotManagementRequest.newCreate(adminClientId, server.getId(),
                RatisSettings.GROUP_ID, 1, config.requestTimeoutMs(), 1);
        return server.snapshotManagementAsync(request).thenApply(reply -> {
            if (!reply.isSuccess()) {
                throw new CompletionException(reply.getException());
            }
            return reply.getLogIndex();
        });
    }

    @Override
    public void close() {
        nudger.close();
        service.close();
        controller.close();
        try {
            server.close();
        } catch (IOException e) {
            LOG.warn("Closing the Ratis server of node {} failed", config.nodeId(), e);
        }
    }
}
