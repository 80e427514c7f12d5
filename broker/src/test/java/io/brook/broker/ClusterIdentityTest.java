package io.brook.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.brook.broker.config.NodeConfig;
import io.brook.proto.v1.AdminServiceGrpc;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.DescribeClusterRequest;
import io.brook.proto.v1.DescribeClusterResponse;
import io.brook.proto.v1.MetadataRequest;
import io.brook.proto.v1.MetadataResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A healthy node answers Metadata and DescribeCluster with the cluster id the quorum generated and
 * the active controller's id (issue 12: an empty id and controller -1), and keeps the same id
 * after a restart.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterIdentityTest {
  @TempDir Path dir;

  private BrookNode start(int grpc, int quorum) throws Exception {
    return BrookNode.start(NodeConfig.of(Map.of("node.id", "1", "process.roles", "broker,controller",
        "data.dir", dir.resolve("n1").toString(), "listen.host", "127.0.0.1", "advertised.host", "127.0.0.1",
        "grpc.port", Integer.toString(grpc), "quorum.port", Integer.toString(quorum), "http.port", "0",
        "controller.quorum.voters", "1@127.0.0.1:" + quorum)));
  }

  @Test
  void metadataAndDescribeClusterCarryTheClusterIdAndTheActiveController() throws Exception {
    int grpc = io.brook.storage.testing.FreePorts.next();
    int quorum = io.brook.storage.testing.FreePorts.next();
    String id;
    BrookNode node = start(grpc, quorum);
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc).usePlaintext().build();
    try {
      await().atMost(Duration.ofSeconds(60)).until(node::isReady);
      MetadataResponse m = BrokerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .metadata(MetadataRequest.getDefaultInstance());
      assertThat(m.getClusterId()).matches("[A-Za-z0-9_-]{22}");
      assertThat(m.getControllerId()).isEqualTo(1);
      id = m.getClusterId();

      DescribeClusterResponse c = AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .describeCluster(DescribeClusterRequest.getDefaultInstance());
      assertThat(c.getClusterId()).isEqualTo(id);
      assertThat(c.getLeaderId()).isEqualTo(1);
      assertThat(c.getVotersList()).singleElement().satisfies(v -> {
        assertThat(v.getLag()).isZero();
        assertThat(v.getLogEndIndex()).isPositive();
      });
    } finally {
      channel.shutdownNow();
      node.close();
    }

    node = start(grpc, quorum);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc).usePlaintext().build();
    try {
      await().atMost(Duration.ofSeconds(60)).until(node::isReady);
      MetadataResponse again = BrokerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .metadata(MetadataRequest.getDefaultInstance());
      assertThat(again.getClusterId()).isEqualTo(id);
      assertThat(again.getControllerId()).isEqualTo(1);
    } finally {
      channel.shutdownNow();
      node.close();
    }
  }
}
