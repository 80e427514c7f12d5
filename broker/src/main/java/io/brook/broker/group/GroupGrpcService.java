package io.brook.broker.group;

import io.brook.broker.partition.PartitionHost;
import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.GroupImage;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.metadata.v1.DeleteGroupsRequest;
import io.brook.proto.metadata.v1.GroupHeartbeatRequest;
import io.brook.proto.v1.BrokerEndpoint;
import io.brook.proto.v1.ConsumerGroupHeartbeatRequest;
import io.brook.proto.v1.ConsumerGroupHeartbeatResponse;
import io.brook.proto.v1.DeleteGroupRequest;
import io.brook.proto.v1.DeleteGroupResponse;
import io.brook.proto.v1.DescribeGroupRequest;
import io.brook.proto.v1.DescribeGroupResponse;
import io.brook.proto.v1.FindCoordinatorRequest;
import io.brook.proto.v1.FindCoordinatorResponse;
import io.brook.proto.v1.GroupListing;
import io.brook.proto.v1.GroupServiceGrpc;
import io.brook.proto.v1.ListGroupsRequest;
import io.brook.proto.v1.ListGroupsResponse;
import io.brook.proto.v1.OffsetCommitRequest;
import io.brook.proto.v1.OffsetCommitResponse;
import io.brook.proto.v1.OffsetFetchRequest;
import io.brook.proto.v1.OffsetFetchResponse;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;

/**
 * Brook's consumer-group API (brook/v1/groups.proto), served by every broker.
 *
 * <ul>
 *   <li>ConsumerGroupHeartbeat goes to the active controller, the group coordinator of the
 *       KIP-848 protocol, with the caller's address as {@code client_host}; its answer or error
 *       is relayed.</li>
 *   <li>OffsetCommit, OffsetFetch, DescribeGroup and DeleteGroup are served by the group's
 *       offsets coordinator, the leader of its {@code __consumer_offsets} partition ({@link
 *       OffsetsTopic}, created on first use). Any other broker forwards the call there once,
 *       marked with the {@value #FORWARDED_HEADER} header; a forwarded call that does not find
 *       the coordinator here answers NOT_COORDINATOR instead of forwarding again. No leader:
 *       COORDINATOR_NOT_AVAILABLE (retriable).</li>
 *   <li>ListGroups answers what this broker knows: groups in its metadata image and groups with
 *       offsets in the offsets partitions it leads.</li>
 *   <li>FindCoordinator names the leader of the group's partition.</li>
 * </ul>
 *
 * <p>Errors are gRPC statuses carrying an ErrorDetail ({@link WireErrors}). Threading: every
 * call's work (controller round trips, image waits, replication waits, forwarding) runs on the
 * {@code workers} executor, never on gRPC's transport threads.
 */
public final class GroupGrpcService extends GroupServiceGrpc.GroupServiceImplBase {
  /** Header marking a call one broker forwarded to another (its value: the forwarding broker's id). */
  public static final String FORWARDED_HEADER = "brook-forwarded-from";
  static final Metadata.Key<String> FORWARDED = Metadata.Key.of(FORWARDED_HEADER, Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<String> FORWARDED_CTX = Context.key(FORWARDED_HEADER);
  private static final Context.Key<String> CLIENT_HOST_CTX = Context.key("brook-client-host");
  /** How long a heartbeat may take at the controller, retries included, in ms. */
  static final long HEARTBEAT_TIMEOUT_MS = 5_000;
  /** Deadline of a call forwarded to the offsets coordinator, in ms. */
  static final long FORWARD_TIMEOUT_MS = 15_000;
  /** Longest group id (Kafka's rule for names). */
  static final int MAX_GROUP_ID_CHARS = 249;

  private final PartitionHost host;
  private final GroupController controller;
  private final OffsetsTopic topic;
  private final OffsetsCoordinator coordinator;
  private final GroupDescriber describer;
  private final IntFunction<Channel> peers;
  private final Executor workers;

  /**
   * @param peers   a channel to another broker's gRPC port by broker id, or null when unknown
   * @param workers where calls run (they block)
   */
  public GroupGrpcService(PartitionHost host, GroupController controller, OffsetsCoordinator coordinator,
      IntFunction<Channel> peers, Executor workers, LongSupplier clockMs) {
    this.host = host;
    this.controller = controller;
    this.coordinator = coordinator;
    this.topic = new OffsetsTopic(host, controller, coordinator.settings());
    this.describer = new GroupDescriber(host, coordinator, new PartitionProbe(host, peers), clockMs);
    this.peers = peers;
    this.workers = workers;
  }

  /**
   * Puts the forwarded marker and the caller's address into the call's context; install it on
   * this service ({@code ServerInterceptors.intercept(service, GroupGrpcService.callContext())}).
   */
  public static ServerInterceptor callContext() {
    return new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
          ServerCallHandler<ReqT, RespT> next) {
        SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        String clientHost = remote instanceof InetSocketAddress a
            ? (a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString())
            : remote == null ? "" : remote.toString();
        Context ctx = Context.current().withValues(FORWARDED_CTX, headers.get(FORWARDED), CLIENT_HOST_CTX, clientHost);
        return Contexts.interceptCall(ctx, call, headers, next);
      }
    };
  }

  /** A call's body; may block and throw. */
  private interface Body<T> {
    T call() throws Exception;
  }

  private <T> void answer(StreamObserver<T> out, Body<T> body) {
    try {
      workers.execute(() -> {
        T result;
        try {
          result = body.call();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          out.onError(WireErrors.toStatus(ErrorCode.REQUEST_TIMED_OUT, "broker " + host.brokerId() + " is shutting down"));
          return;
        } catch (Exception e) {
          out.onError(WireErrors.toStatus(io.brook.broker.api.Errors.toBrook(e).toDetail()));
          return;
        }
        out.onNext(result);
        out.onCompleted();
      });
    } catch (RejectedExecutionException e) {
      out.onError(WireErrors.toStatus(ErrorCode.COORDINATOR_NOT_AVAILABLE, "broker " + host.brokerId() + " is shutting down"));
    }
  }

  /**
   * Refuses an empty group id or one longer than {@value #MAX_GROUP_ID_CHARS} characters.
   *
   * @throws BrookException INVALID_GROUP_ID
   */
  static void requireValidGroupId(String groupId) {
    if (groupId.isEmpty()) {
      throw new BrookException(ErrorCode.INVALID_GROUP_ID, "group_id is empty");
    }
    if (groupId.length() > MAX_GROUP_ID_CHARS) {
      throw new BrookException(ErrorCode.INVALID_GROUP_ID, "group_id has " + groupId.length()
          + " characters, more than " + MAX_GROUP_ID_CHARS);
    }
  }

  // ------------------------------------------------------------------ membership (controller)

  @Override
  public void consumerGroupHeartbeat(ConsumerGroupHeartbeatRequest req, StreamObserver<ConsumerGroupHeartbeatResponse> out) {
    String clientHost = CLIENT_HOST_CTX.get() == null ? "" : CLIENT_HOST_CTX.get();
    answer(out, () -> {
      requireValidGroupId(req.getGroupId());
      return controller.heartbeat(GroupHeartbeatRequest.newBuilder().setRequest(req).setClientHost(clientHost).build(),
          HEARTBEAT_TIMEOUT_MS);
    });
  }

  // ------------------------------------------------------------------ offsets (coordinator)

  /** Serves on this broker when it is the group's offsets coordinator, else forwards there once. */
  private <T> T route(String groupId, String forwardedFrom, Local<T> local,
      Function<GroupServiceGrpc.GroupServiceBlockingStub, T> remote) throws InterruptedException {
    requireValidGroupId(groupId);
    TopicImage t = topic.ensure();
    int partition = OffsetsTopic.partitionOf(t, groupId);
    PartitionRegistration reg = t.partition(partition);
    if (reg == null || !reg.hasLeader()) {
      throw new BrookException(ErrorCode.COORDINATOR_NOT_AVAILABLE, OffsetsTopic.NAME + "-" + partition
          + " (the offsets of group '" + groupId + "') has no leader right now");
    }
    if (reg.leader() == host.brokerId()) {
      return local.serve(partition);
    }
    String hint = host.image().broker(reg.leader()).map(BrokerRegistration::grpcEndpoint).orElse("");
    if (forwardedFrom != null) {
      throw new BrookException(ErrorCode.NOT_COORDINATOR, "broker " + host.brokerId() + " (asked by broker "
          + WireErrors.echo(forwardedFrom) + ") is not the offsets coordinator of group '" + groupId + "'; broker "
          + reg.leader() + " is", reg.leader(), hint);
    }
    Channel ch = peers.apply(reg.leader());
    if (ch == null) {
      throw new BrookException(ErrorCode.COORDINATOR_NOT_AVAILABLE, "the address of broker " + reg.leader()
          + " (the offsets coordinator of group '" + groupId + "') is unknown");
    }
    Metadata headers = new Metadata();
    headers.put(FORWARDED, Integer.toString(host.brokerId()));
    GroupServiceGrpc.GroupServiceBlockingStub stub = GroupServiceGrpc.newBlockingStub(ch)
        .withDeadlineAfter(FORWARD_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    try {
      return remote.apply(stub);
    } catch (StatusRuntimeException e) {
      if (StatusProto.fromThrowable(e) == null) {
        // A transport failure, not an answer: the coordinator is down or unreachable.
        throw new BrookException(ErrorCode.COORDINATOR_NOT_AVAILABLE, "the offsets coordinator of group '" + groupId
            + "' (broker " + reg.leader() + ") did not answer: " + e.getStatus(), reg.leader(), hint);
      }
      throw WireErrors.toException(e);
    }
  }

  /** Serves a call on the coordinator, given the group's partition of {@code __consumer_offsets}. */
  private interface Local<T> {
    T serve(int partition) throws InterruptedException;
  }

  @Override
  public void offsetCommit(OffsetCommitRequest req, StreamObserver<OffsetCommitResponse> out) {
    String forwarded = FORWARDED_CTX.get();
    answer(out, () -> route(req.getGroupId(), forwarded, partition -> {
      coordinator.commit(partition, req);
      return OffsetCommitResponse.getDefaultInstance();
    }, stub -> stub.offsetCommit(req)));
  }

  @Override
  public void offsetFetch(OffsetFetchRequest req, StreamObserver<OffsetFetchResponse> out) {
    String forwarded = FORWARDED_CTX.get();
    answer(out, () -> route(req.getGroupId(), forwarded, partition -> OffsetFetchResponse.newBuilder()
        .addAllOffsets(coordinator.fetch(partition, req.getGroupId(), req.getTopicsList())).build(),
        stub -> stub.offsetFetch(req)));
  }

  @Override
  public void describeGroup(DescribeGroupRequest req, StreamObserver<DescribeGroupResponse> out) {
    String forwarded = FORWARDED_CTX.get();
    answer(out, () -> route(req.getGroupId(), forwarded, partition -> describer.describe(partition, req.getGroupId()),
        stub -> stub.describeGroup(req)));
  }

  @Override
  public void deleteGroup(DeleteGroupRequest req, StreamObserver<DeleteGroupResponse> out) {
    String forwarded = FORWARDED_CTX.get();
    answer(out, () -> route(req.getGroupId(), forwarded, partition -> {
      boolean hasOffsets = !coordinator.offsetsOf(partition, req.getGroupId()).isEmpty();
      boolean inMetadata = true;
      try {
        controller.deleteGroups(DeleteGroupsRequest.newBuilder().addGroupIds(req.getGroupId()).build());
      } catch (BrookException e) {
        if (e.code() != ErrorCode.GROUP_ID_NOT_FOUND) {
          throw e; // GROUP_NOT_EMPTY among others: nothing deleted
        }
        inMetadata = false;
      }
      if (!inMetadata && !hasOffsets) {
        throw new BrookException(ErrorCode.GROUP_ID_NOT_FOUND, "group '" + req.getGroupId()
            + "' has neither members nor offsets");
      }
      coordinator.deleteOffsets(partition, req.getGroupId());
      return DeleteGroupResponse.getDefaultInstance();
    }, stub -> stub.deleteGroup(req)));
  }

  // ------------------------------------------------------------------ local answers

  @Override
  public void listGroups(ListGroupsRequest req, StreamObserver<ListGroupsResponse> out) {
    answer(out, () -> {
      MetadataImage img = host.image();
      Map<String, GroupListing> byId = new TreeMap<>();
      for (String g : coordinator.groupsWithOffsets()) {
        byId.put(g, GroupListing.newBuilder().setGroupId(g).setState(GroupImage.EMPTY).setMembers(0).build());
      }
      for (GroupImage g : img.groups().values()) {
        byId.put(g.groupId(), GroupListing.newBuilder().setGroupId(g.groupId()).setState(g.state())
            .setMembers(g.members().size()).build());
      }
      return ListGroupsResponse.newBuilder().addAllGroups(byId.values()).build();
    });
  }

  @Override
  public void findCoordinator(FindCoordinatorRequest req, StreamObserver<FindCoordinatorResponse> out) {
    answer(out, () -> {
      requireValidGroupId(req.getGroupId());
      TopicImage t = topic.ensure();
      int partition = OffsetsTopic.partitionOf(t, req.getGroupId());
      int leader = topic.coordinatorOf(req.getGroupId());
      BrokerRegistration b = host.image().broker(leader).orElseThrow(() -> new BrookException(
          ErrorCode.COORDINATOR_NOT_AVAILABLE, "broker " + leader + " (the offsets coordinator of group '"
          + req.getGroupId() + "') is not registered"));
      return FindCoordinatorResponse.newBuilder().setPartition(partition).setCoordinator(BrokerEndpoint.newBuilder()
          .setId(b.id()).setHost(b.host()).setPort(b.ports().getOrDefault(BrokerRegistration.GRPC_PORT, 0))
          .setFenced(b.fenced()).setRack(b.rack() == null ? "" : b.rack())).build();
    });
  }
}
