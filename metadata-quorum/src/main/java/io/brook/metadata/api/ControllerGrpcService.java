package io.brook.metadata.api;

import io.brook.metadata.controller.ControllerErrors;
import io.brook.metadata.controller.QuorumController;
import io.brook.metadata.statemachine.MetadataStateMachine;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.metadata.v1.AllocateProducerIdsRequest;
import io.brook.proto.metadata.v1.AllocateProducerIdsResponse;
import io.brook.proto.metadata.v1.AlterPartitionRequest;
import io.brook.proto.metadata.v1.AlterPartitionResponse;
import io.brook.proto.metadata.v1.AlterTopicConfigRequest;
import io.brook.proto.metadata.v1.AlterTopicConfigResponse;
import io.brook.proto.metadata.v1.BrokerHeartbeatRequest;
import io.brook.proto.metadata.v1.BrokerHeartbeatResponse;
import io.brook.proto.metadata.v1.ControllerServiceGrpc;
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
import io.brook.proto.metadata.v1.RegisterBrokerRequest;
import io.brook.proto.metadata.v1.RegisterBrokerResponse;
import io.brook.proto.metadata.v1.UnregisterBrokerRequest;
import io.brook.proto.metadata.v1.UnregisterBrokerResponse;
import io.brook.proto.metadata.v1.WatchMetadataRequest;
import io.brook.proto.metadata.v1.WatchMetadataResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The controller gRPC API of one voter ({@code brook.metadata.v1.ControllerService}), ready to be
 * mounted on the node's gRPC server. Writes go to the {@link QuorumController} (which answers
 * NOT_CONTROLLER unless this node is the active controller); DescribeQuorum and WatchMetadata
 * are served from this voter's own committed state. Failures leave as a gRPC status carrying an
 * {@code ErrorDetail} ({@link WireErrors}).
 *
 * <p>Threading: gRPC calls arrive on any thread; unary calls complete on the controller's
 * thread; watch streams drain on a small pool owned here, closed by {@link #close()}.
 */
public final class ControllerGrpcService extends ControllerServiceGrpc.ControllerServiceImplBase
        implements AutoCloseable {
    private final QuorumController controller;
    private final MetadataStateMachine stateMachine;
    private final Callable<DescribeQuorumResponse> describer;
    private final ExecutorService watchExecutor;
    private final Set<WatchSession> sessions = ConcurrentHashMap.newKeySet();

    public ControllerGrpcService(QuorumController controller, MetadataStateMachine stateMachine,
                                 Callable<DescribeQuorumResponse> describer, int nodeId) {
        this.controller = controller;
        this.stateMachine = stateMachine;
        this.describer = describer;
        this.watchExecutor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "brook-metadata-watch-" + nodeId);
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void registerBroker(RegisterBrokerRequest request, StreamObserver<RegisterBrokerResponse> out) {
        reply(controller.registerBroker(request), out);
    }

    @Override
    public void brokerHeartbeat(BrokerHeartbeatRequest request, StreamObserver<BrokerHeartbeatResponse> out) {
        reply(controller.brokerHeartbeat(request), out);
    }

    @Override
    public void unregisterBroker(UnregisterBrokerRequest request, StreamObserver<UnregisterBrokerResponse> out) {
        reply(controller.unregisterBroker(request), out);
    }

    @Override
    public void alterPartition(AlterPartitionRequest request, StreamObserver<AlterPartitionResponse> out) {
        reply(controller.alterPartition(request), out);
    }

    @Override
    public void createTopics(CreateTopicsRequest request, StreamObserver<CreateTopicsResponse> out) {
        reply(controller.createTopics(request), out);
    }

    @Override
    public void deleteTopics(DeleteTopicsRequest request, StreamObserver<DeleteTopicsResponse> out) {
        reply(controller.deleteTopics(request), out);
    }

    @Override
    public void createPartitions(CreatePartitionsRequest request, StreamObserver<CreatePartitionsResponse> out) {
        reply(controller.createPartitions(request), out);
    }

    @Override
    public void alterTopicConfig(AlterTopicConfigRequest request, StreamObserver<AlterTopicConfigResponse> out) {
        reply(controller.alterTopicConfig(request), out);
    }

    @Override
    public void consumerGroupHeartbeat(GroupHeartbeatRequest request,
                                       StreamObserver<ConsumerGroupHeartbeatResponse> out) {
        reply(controller.consumerGroupHeartbeat(request), out);
    }

    @Override
    public void deleteGroups(DeleteGroupsRequest request, StreamObserver<DeleteGroupsResponse> out) {
        reply(controller.deleteGroups(request), out);
    }

    @Override
    public void electLeaders(io.brook.proto.v1.ElectLeadersRequest request,
                             StreamObserver<io.brook.proto.v1.ElectLeadersResponse> out) {
        reply(controller.electLeaders(request), out);
    }

    @Override
    public void alterPartitionReassignments(io.brook.proto.v1.AlterPartitionReassignmentsRequest request,
                                            StreamObserver<io.brook.proto.v1.AlterPartitionReassignmentsResponse> out) {
        reply(controller.alterPartitionReassignments(request), out);
    }

    @Override
    public void alterScramCredentials(io.brook.proto.metadata.v1.AlterScramCredentialsRequest request,
                                      StreamObserver<io.brook.proto.metadata.v1.AlterScramCredentialsResponse> out) {
        reply(controller.alterScramCredentials(request), out);
    }

    @Override
    public void createAcls(io.brook.proto.v1.CreateAclsRequest request,
                           StreamObserver<io.brook.proto.v1.CreateAclsResponse> out) {
        reply(controller.createAcls(request), out);
    }

    @Override
    public void deleteAcls(io.brook.proto.v1.DeleteAclsRequest request,
                           StreamObserver<io.brook.proto.v1.DeleteAclsResponse> out) {
        reply(controller.deleteAcls(request), out);
    }

    @Override
    public void allocateProducerIds(AllocateProducerIdsRequest request,
                                    StreamObserver<AllocateProducerIdsResponse> out) {
        reply(controller.allocateProducerIds(request), out);
    }

    @Override
    public void describeQuorum(DescribeQuorumRequest request, StreamObserver<DescribeQuorumResponse> out) {
        DescribeQuorumResponse response;
        try {
            response = describer.call();
        } catch (Exception e) {
            out.onError(WireErrors.toStatus(
                    new BrookException(ErrorCode.UNKNOWN_SERVER_ERROR, "cannot describe the quorum: " + e)));
            return;
        }
        out.onNext(response);
        out.onCompleted();
    }

    @Override
    public void watchMetadata(WatchMetadataRequest request, StreamObserver<WatchMetadataResponse> out) {
        if (request.getAfterIndex() < 0) {
            out.onError(WireErrors.toStatus(ControllerErrors.invalid("after_index must be >= 0")));
            return;
        }
        ServerCallStreamObserver<WatchMetadataResponse> call = (ServerCallStreamObserver<WatchMetadataResponse>) out;
        WatchSession[] self = new WatchSession[1];
        self[0] = new WatchSession(stateMachine, request.getAfterIndex(), call, watchExecutor,
                () -> sessions.remove(self[0]));
        sessions.add(self[0]);
        self[0].start();
    }

    private static <T> void reply(CompletableFuture<T> result, StreamObserver<T> out) {
        result.whenComplete((response, error) -> {
            if (error != null) {
                out.onError(WireErrors.toStatus(error));
            } else {
                out.onNext(response);
                out.onCompleted();
            }
        });
    }

    /** Ends every watch stream with UNAVAILABLE so watchers move to another voter. */
    @Override
    public void close() {
        for (WatchSession s : sessions) {
            s.shutdown();
        }
        watchExecutor.shutdown();
    }
}
