package io.brook.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.brook.metadata.client.BrokerIdentity;
import io.brook.metadata.client.MetadataClient;
import io.brook.metadata.image.MetadataImage;
import io.brook.proto.metadata.v1.CreatableTopic;
import io.brook.proto.metadata.v1.CreateTopicsRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8, §0b, the broker's side: a broker watches the metadata on one voter (the first
 * endpoint, usually its own node). When that voter is cut off from the quorum — or healed but
 * left stale by the Raft leader (RATIS-2523) — while its gRPC API still answers, the watch
 * stream stays open and delivers nothing: before the fix the broker's image stayed behind for as
 * long as the voter did (out of every ISR, in the field for 90 s). Heartbeats tell the broker the
 * active controller's index; the watch must move to a voter that has it.
 */
@Timeout(120)
class StaleWatchTest {
  @TempDir Path dir;

  @Test
  void aWatchOnAVoterCutOffFromTheQuorumMovesToAnotherVoter() throws Exception {
    try (TestCluster cluster = new TestCluster(3, dir).withLinks().start()) {
      cluster.awaitActiveController(Duration.ofSeconds(30));
      MetadataClient broker = cluster.client(); // watches voter 1 first
      broker.registerBroker(new BrokerIdentity(7, "127.0.0.1", Map.of("grpc", 10_007), ""));
      broker.awaitImage(img -> img.isUnfenced(7), Duration.ofSeconds(20));

      // Voter 1 loses the quorum (its Raft links drop) but keeps serving its stale log over gRPC.
      cluster.links().cut(1, LoopbackLinks.Cut.DROP);
      await().atMost(Duration.ofSeconds(30)).until(() ->
          cluster.runningNodes().stream().anyMatch(n -> n.isActiveController() && n.nodeId() != 1));
      MetadataClient admin = MetadataClient.start(io.brook.metadata.client.MetadataClientConfig.of(
          cluster.grpcEndpoint(2) + "," + cluster.grpcEndpoint(3)), io.brook.metadata.time.Time.SYSTEM);
      try {
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
          admin.createTopics(CreateTopicsRequest.newBuilder().addTopics(CreatableTopic.newBuilder()
              .setName("after-the-cut").setPartitions(1).setReplicationFactor(1)).build());
          return true;
        });
        long t0 = System.nanoTime();
        MetadataImage seen = broker.awaitImage(img -> img.topicByName("after-the-cut").isPresent(), Duration.ofSeconds(20));
        assertThat(seen).as("the broker sees a topic created while the voter it watched was cut off").isNotNull();
        System.out.printf("STALE-WATCH: the broker's image caught up %d ms after the topic was created%n",
            (System.nanoTime() - t0) / 1_000_000);
      } finally {
        admin.closeAbruptly();
        cluster.links().heal(1);
      }
    }
  }
}
