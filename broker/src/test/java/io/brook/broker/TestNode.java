package io.brook.broker;

import io.brook.broker.config.NodeConfig;
import io.brook.proto.v1.AdminServiceGrpc;
import io.brook.proto.v1.CreateTopicRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One combined broker + controller {@link BrookNode} in this JVM, on 127.0.0.1 with free ports,
 * and a plaintext channel to its gRPC port (accepting answers as large as the node sends).
 */
public final class TestNode implements AutoCloseable {
  public final BrookNode node;
  public final ManagedChannel channel;

  private TestNode(BrookNode node) {
    this.node = node;
    this.channel = NettyChannelBuilder.forAddress("127.0.0.1", node.grpcPort()).usePlaintext()
        .maxInboundMessageSize(BrookNode.MAX_MESSAGE_BYTES).build();
  }

  /** Starts a node with data under {@code dir} and waits (up to 60 s) until it is ready. */
  public static TestNode start(Path dir, Map<String, String> extra) throws IOException, InterruptedException {
    int grpc = freePort();
    int quorum = freePort();
    Map<String, String> props = new HashMap<>(Map.of(
        "node.id", "1",
        "data.dir", dir.toString(),
        "listen.host", "127.0.0.1",
        "advertised.host", "127.0.0.1",
        "grpc.port", Integer.toString(grpc),
        "quorum.port", Integer.toString(quorum),
        "http.port", "0",
        "controller.quorum.voters", "1@127.0.0.1:" + quorum));
    props.putAll(extra);
    BrookNode node = BrookNode.start(NodeConfig.of(props));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!node.isReady()) {
      if (System.nanoTime() > deadline) {
        node.close();
        throw new IllegalStateException("node did not become ready within 60 s");
      }
      Thread.sleep(20);
    }
    return new TestNode(node);
  }

  public void createTopic(String name, int partitions, Map<String, String> configs) {
    AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).createTopic(
        CreateTopicRequest.newBuilder().setName(name).setPartitions(partitions).setReplicationFactor(1)
            .putAllConfigs(configs).build());
  }

  private static int freePort() throws IOException {
    return io.brook.storage.testing.FreePorts.next(); // below the ephemeral range: no client takes it meanwhile
  }

  @Override
  public void close() {
    channel.shutdownNow();
    node.close();
  }
}
