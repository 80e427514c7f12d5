package io.brook.broker.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.brook.broker.api.BrokerGrpcService;
import io.brook.broker.partition.PartitionHost;
import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.GroupImage;
import io.brook.metadata.image.GroupMember;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.metadata.v1.CreateTopicsRequest;
import io.brook.proto.metadata.v1.DeleteGroupsRequest;
import io.brook.proto.metadata.v1.DeleteGroupsResponse;
import io.brook.proto.metadata.v1.GroupHeartbeatRequest;
import io.brook.proto.metadata.v1.MemberState;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.ConsumerGroupHeartbeatResponse;
import io.brook.proto.v1.GroupServiceGrpc;
import io.brook.storage.Time;
import io.brook.storage.log.LogStore;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * In-process brokers with the group and client services on real loopback gRPC ports, fed
 * hand-made metadata images (the test plays the controller: its images, its answers to
 * DeleteGroups / CreateTopics / heartbeats). Every partition has one replica, so a leader's
 * append is committed at once. The wall clock of every broker is {@link #clock}.
 */
final class GroupCluster implements AutoCloseable {
  static final String OFFSETS_ID = "offsets-topic-id";
  static final String ORDERS = "orders";
  static final String ORDERS_ID = "orders-id";

  final AtomicLong clock = new AtomicLong(1_000_000);
  final FakeController controller = new FakeController();
  final Map<Integer, Broker> brokers = new LinkedHashMap<>();
  final GroupSettings settings;
  private final Map<Integer, ManagedChannel> channels = new ConcurrentHashMap<>();
  private long index;

  // The model the next image is built from.
  int offsetsPartitions = 3;
  /** Leader of every __consumer_offsets partition (-1: none); null: the topic does not exist. */
  Integer offsetsLeader = 1;
  int offsetsLeaderEpoch = 0;
  int ordersLeader = 1;
  int ordersPartitions = 2;
  final Map<String, GroupImage> groups = new ConcurrentHashMap<>();

  GroupCluster(GroupSettings settings) {
    this.settings = settings;
  }

  static GroupSettings testSettings() {
    return new GroupSettings(3, 1, 10080L * 60_000, 600_000, 4096, 300);
  }

  /** Starts broker {@code id} with its logs in {@code dir}. */
  Broker start(int id, Path dir) throws IOException {
    Broker b = new Broker(id, dir);
    brokers.put(id, b);
    return b;
  }

  /** Stops broker {@code id} and starts it again on the same log directory (its offsets reload from the log). */
  Broker restart(int id, Path dir) throws Exception {
    brokers.remove(id).close();
    ManagedChannel old = channels.remove(id);
    if (old != null) {
      old.shutdownNow();
    }
    return start(id, dir);
  }

  final class Broker implements AutoCloseable {
    final int id;
    final LogStore store;
    final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
    final ExecutorService workers = Executors.newCachedThreadPool();
    final PartitionHost host;
    final OffsetsCoordinator coordinator;
    final Server server;
    final ManagedChannel channel;

    Broker(int id, Path dir) throws IOException {
      this.id = id;
      this.store = LogStore.open(dir, Time.SYSTEM);
      this.host = new PartitionHost(id, store, timer);
      this.coordinator = new OffsetsCoordinator(host, controller, settings, clock::get);
      GroupGrpcService groups = new GroupGrpcService(host, controller, coordinator, GroupCluster.this::channel, workers,
          clock::get);
      this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
          .addService(new BrokerGrpcService(host, "test", null))
          .addService(ServerInterceptors.intercept(groups, GroupGrpcService.callContext()))
          .build().start();
      this.channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    }

    GroupServiceGrpc.GroupServiceBlockingStub groups() {
      return GroupServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    BrokerServiceGrpc.BrokerServiceBlockingStub client() {
      return BrokerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
      channel.shutdownNow();
      server.shutdownNow();
      server.awaitTermination(5, TimeUnit.SECONDS);
      coordinator.close();
      workers.shutdownNow();
      host.close();
      store.close();
      timer.shutdownNow();
    }
  }

  /** A channel to a started broker, as BrookNode#peerChannel gives one. */
  ManagedChannel channel(int brokerId) {
    Broker b = brokers.get(brokerId);
    if (b == null) {
      return null;
    }
    return channels.computeIfAbsent(brokerId, id -> NettyChannelBuilder.forAddress("127.0.0.1", b.server.getPort())
        .usePlaintext().build());
  }

  /** Builds the next image from the model, applies it on every broker and waits for the coordinators' loads. */
  MetadataImage publish() throws InterruptedException {
    Map<Integer, BrokerRegistration> regs = new HashMap<>();
    for (Broker b : brokers.values()) {
      regs.put(b.id, new BrokerRegistration(b.id, 1, "inc-" + b.id, "127.0.0.1", Map.of("grpc", b.server.getPort()), "", false));
    }
    Map<String, TopicImage> topics = new LinkedHashMap<>();
    if (offsetsLeader != null) {
      Map<Integer, PartitionRegistration> ps = new HashMap<>();
      // Every started broker holds a replica; only the leader is in the ISR, so its appends commit at once.
      List<Integer> replicas = brokers.keySet().stream().sorted().toList();
      List<Integer> isr = List.of(offsetsLeader < 0 ? replicas.get(0) : offsetsLeader);
      for (int p = 0; p < offsetsPartitions; p++) {
        ps.put(p, new PartitionRegistration(OFFSETS_ID, p, replicas, isr, offsetsLeader,
            offsetsLeaderEpoch, offsetsLeaderEpoch, List.of()));
      }
      topics.put(OFFSETS_ID, new TopicImage(OFFSETS_ID, OffsetsTopic.NAME, Map.of("cleanup.policy", "compact"), ps));
    }
    Map<Integer, PartitionRegistration> orders = new HashMap<>();
    for (int p = 0; p < ordersPartitions; p++) {
      orders.put(p, new PartitionRegistration(ORDERS_ID, p, List.of(ordersLeader), List.of(ordersLeader), ordersLeader,
          0, 0, List.of()));
    }
    topics.put(ORDERS_ID, new TopicImage(ORDERS_ID, ORDERS, Map.of(), orders));
    MetadataImage img = new MetadataImage(++index, 1, regs, topics, 0, Map.of(), Map.copyOf(groups));
    for (Broker b : brokers.values()) {
      b.host.onImage(img);
      assertThat(b.host.awaitImage(i -> i.appliedIndex() >= img.appliedIndex(), 10_000)).isNotNull();
      b.coordinator.refresh();
    }
    if (offsetsLeader != null && brokers.containsKey(offsetsLeader)) {
      OffsetsCoordinator c = brokers.get(offsetsLeader).coordinator;
      await().atMost(Duration.ofSeconds(10)).until(() -> c.loadedPartitions().size() == offsetsPartitions);
    }
    return img;
  }

  /** A group with the given members (id -> epoch), each owning {@code owned} (topic id -> partitions). */
  static GroupImage group(String groupId, long emptySinceMs, Map<String, Integer> memberEpochs,
      Map<String, Map<String, List<Integer>>> owned) {
    Map<String, GroupMember> members = new HashMap<>();
    int max = 0;
    for (Map.Entry<String, Integer> e : memberEpochs.entrySet()) {
      members.put(e.getKey(), new GroupMember(e.getKey(), "", "client-" + e.getKey(), "127.0.0.1", List.of(ORDERS), "",
          "", 300_000, e.getValue(), e.getValue() - 1, MemberState.MEMBER_STATE_STABLE,
          owned.getOrDefault(e.getKey(), Map.of()), Map.of()));
      max = Math.max(max, e.getValue());
    }
    return new GroupImage(groupId, max, max, 0, emptySinceMs, "uniform", members, owned);
  }

  static ErrorCode code(Throwable t) {
    return WireErrors.toException(t).code();
  }

  /** The controller as the test plays it. */
  static final class FakeController implements GroupController {
    final List<GroupHeartbeatRequest> heartbeats = new CopyOnWriteArrayList<>();
    final List<DeleteGroupsRequest> deletes = new CopyOnWriteArrayList<>();
    final List<CreateTopicsRequest> creates = new CopyOnWriteArrayList<>();
    volatile Function<DeleteGroupsRequest, DeleteGroupsResponse> onDelete = r -> {
      throw new BrookException(ErrorCode.GROUP_ID_NOT_FOUND, "no such group");
    };
    volatile Runnable onCreate = () -> { };

    @Override
    public ConsumerGroupHeartbeatResponse heartbeat(GroupHeartbeatRequest request, long timeoutMs) {
      heartbeats.add(request);
      if (request.getRequest().getMemberEpoch() == 99) {
        throw new BrookException(ErrorCode.FENCED_MEMBER_EPOCH, "fenced");
      }
      return ConsumerGroupHeartbeatResponse.newBuilder().setMemberId("m-1").setMemberEpoch(1)
          .setHeartbeatIntervalMs(1000).setSessionTimeoutMs(10_000).build();
    }

    @Override
    public DeleteGroupsResponse deleteGroups(DeleteGroupsRequest request) {
      deletes.add(request);
      return onDelete.apply(request);
    }

    @Override
    public void createTopics(CreateTopicsRequest request) {
      creates.add(request);
      onCreate.run();
    }
  }

  @Override
  public void close() throws Exception {
    channels.values().forEach(ManagedChannel::shutdownNow);
    List<Exception> failures = new ArrayList<>();
    for (Broker b : brokers.values()) {
      try {
        b.close();
      } catch (Exception e) {
        failures.add(e);
      }
    }
    if (!failures.isEmpty()) {
      throw failures.get(0);
    }
  }
}
