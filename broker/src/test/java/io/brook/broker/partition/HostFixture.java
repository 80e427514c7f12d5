package io.brook.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.brook.broker.api.BrokerGrpcService;
import io.brook.broker.replication.IsrManager;
import io.brook.broker.replication.ReplicationGrpcService;
import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.common.v1.ErrorDetail;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.replication.v1.ReplicationServiceGrpc;
import io.brook.storage.Time;
import io.brook.storage.log.LogStore;
import io.brook.storage.record.RecordBatchBuilder;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One broker's partition hosting driven by hand-made metadata images, with its client and
 * replication services on a real gRPC server on a loopback port: the in-process harness for
 * interleavings that a process cluster cannot force (a leadership change at an exact point of a
 * produce, a topic deleted under a waiting fetch). Other brokers are played by the test: their
 * fetches go through the replication stub, their role changes through {@link #apply}.
 */
final class HostFixture implements AutoCloseable {
  static final String TOPIC = "t";

  final int brokerId;
  final LogStore store;
  final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
  final PartitionHost host;
  final Server server;
  final ManagedChannel channel;
  private long index;

  HostFixture(Path dir, int brokerId) throws IOException {
    this.brokerId = brokerId;
    this.store = LogStore.open(dir, Time.SYSTEM);
    this.host = new PartitionHost(brokerId, store, timer);
    this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new BrokerGrpcService(host, "test", null))
        .addService(new ReplicationGrpcService(host, new IsrManager(host, null, 3_600_000, timer)))
        .build().start();
    this.channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  BrokerServiceGrpc.BrokerServiceBlockingStub blocking() {
    return BrokerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  BrokerServiceGrpc.BrokerServiceStub async() {
    return BrokerServiceGrpc.newStub(channel);
  }

  ReplicationServiceGrpc.ReplicationServiceStub replication() {
    return ReplicationServiceGrpc.newStub(channel);
  }

  /** A partition state of topic {@link #TOPIC}. */
  static PartitionRegistration reg(String topicId, int partition, List<Integer> isr, int leader, int leaderEpoch,
      int partitionEpoch) {
    return new PartitionRegistration(topicId, partition, List.of(1, 2, 3), isr, leader, leaderEpoch, partitionEpoch);
  }

  /** Applies the next image (brokers 1..3 unfenced, the given topic or none) and waits for it. */
  MetadataImage apply(String topicId, Map<String, String> configs, PartitionRegistration... partitions)
      throws InterruptedException {
    Map<Integer, BrokerRegistration> brokers = new HashMap<>();
    for (int id = 1; id <= 3; id++) {
      brokers.put(id, new BrokerRegistration(id, 1, "inc-" + id, "127.0.0.1", Map.of("grpc", 1000 + id), "", false));
    }
    Map<String, TopicImage> topics = new LinkedHashMap<>();
    if (topicId != null) {
      Map<Integer, PartitionRegistration> ps = new HashMap<>();
      for (PartitionRegistration p : partitions) {
        ps.put(p.partition(), p);
      }
      topics.put(topicId, new TopicImage(topicId, TOPIC, configs, ps));
    }
    MetadataImage img = new MetadataImage(++index, 1, brokers, topics, 0, Map.of(), Map.of());
    host.onImage(img);
    MetadataImage applied = host.awaitImage(i -> i.appliedIndex() >= img.appliedIndex(), 10_000);
    assertThat(applied).as("image %d applied", img.appliedIndex()).isNotNull();
    return applied;
  }

  static ByteBuffer batch(int leaderEpoch, String... values) {
    RecordBatchBuilder b = new RecordBatchBuilder().partitionLeaderEpoch(leaderEpoch);
    for (String v : values) {
      b.append(System.currentTimeMillis(), null, v.getBytes(StandardCharsets.UTF_8));
    }
    return b.build();
  }

  static ErrorDetail detail(Throwable t) {
    return WireErrors.toException(t).toDetail();
  }

  @Override
  public void close() throws Exception {
    channel.shutdownNow();
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
    host.close();
    store.close();
    timer.shutdownNow();
  }
}
