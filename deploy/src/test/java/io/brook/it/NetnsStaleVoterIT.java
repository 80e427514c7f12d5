package io.brook.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.brook.clients.admin.Admin;
import io.brook.proto.metadata.v1.ControllerServiceGrpc;
import io.brook.proto.metadata.v1.DescribeQuorumRequest;
import io.brook.proto.metadata.v1.DescribeQuorumResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8 §0b at process level: a controller voter cut off by a real network partition
 * (iptables in its namespace) for 7 s while the metadata is idle, first the active controller,
 * then a follower, must have applied the leader's commit index soon after the heal. In the field
 * one stayed stale for 90 s (Apache Ratis RATIS-2523, see {@code StaleFollowerNudger}); the
 * bound here is 20 s from the heal, which includes TCP retransmission on the connections the cut
 * stalled (measured 2-7.5 s) and gRPC reconnection.
 * Prints whether the leader's RATIS-2523 work-around had to append a no-op (node logs).
 * Skipped where namespaces can't be made (not root, no iproute2 / iptables).
 */
@Timeout(300)
class NetnsStaleVoterIT {
  static final long CUT_MS = 7_000;
  /** TCP retransmission back-off on the connections stalled by the cut alone can take ~6 s after a 7 s cut. */
  static final Duration BOUND_FROM_HEAL = Duration.ofSeconds(20);

  @TempDir Path root;

  @BeforeEach
  void needsNetworkNamespaces() {
    NetnsNetwork.assumeAvailable();
  }

  static Optional<DescribeQuorumResponse> describe(NetnsCluster cluster, int node) {
    ManagedChannel ch = ManagedChannelBuilder.forTarget(cluster.grpcAddress(node)).usePlaintext().build();
    try {
      return Optional.of(ControllerServiceGrpc.newBlockingStub(ch).withDeadlineAfter(1, TimeUnit.SECONDS)
          .describeQuorum(DescribeQuorumRequest.getDefaultInstance()));
    } catch (RuntimeException e) {
      return Optional.empty();
    } finally {
      ch.shutdownNow();
    }
  }

  /** True once {@code node} has applied the commit index of the leader (as the leader reports it). */
  static boolean caughtUp(NetnsCluster cluster, int node) {
    Optional<DescribeQuorumResponse> mine = describe(cluster, node);
    if (mine.isEmpty() || mine.get().getLeaderId() <= 0 || mine.get().getLeaderId() == node) {
      return false; // a healed old leader first has to learn the new one
    }
    Optional<DescribeQuorumResponse> leader = describe(cluster, mine.get().getLeaderId());
    return leader.isPresent() && leader.get().getLeaderId() == leader.get().getNodeId()
        && mine.get().getLastAppliedIndex() >= leader.get().getCommitIndex();
  }

  /** The node that leads by its own account, asked through whichever node answers. */
  static int activeController(NetnsCluster cluster) {
    return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
      for (int n = 1; n <= 3; n++) {
        int l = describe(cluster, n).map(DescribeQuorumResponse::getLeaderId).orElse(-1);
        if (l > 0 && describe(cluster, l).map(DescribeQuorumResponse::getLeaderId).orElse(-1) == l) {
          return l;
        }
      }
      return -1;
    }, l -> l > 0);
  }

  static long nudges(NetnsCluster cluster) {
    long n = 0;
    for (int node = 1; node <= 3; node++) {
      n += cluster.log(node).lines().filter(l -> l.contains("RATIS-2523 work-around")).count();
    }
    return n;
  }

  void cutHealAndMeasure(NetnsCluster cluster, int victim, String role) throws Exception {
    long before = nudges(cluster);
    cluster.cutOff(victim);
    Thread.sleep(CUT_MS); // the cut's length is the input: there is no condition to wait for
    int leader = activeController(cluster);
    cluster.heal(victim);
    long healedAt = System.nanoTime();
    await("voter " + victim + " applies the leader's commit index").atMost(BOUND_FROM_HEAL)
        .pollInterval(Duration.ofMillis(100)).until(() -> caughtUp(cluster, victim));
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healedAt);
    System.out.printf("[netns] STALE-VOTER: %s %d cut off for %d ms on an idle group; caught up %d ms after the heal "
        + "(leader %d before the heal); RATIS-2523 no-ops appended: %d%n", role, victim, CUT_MS, ms, leader,
        nudges(cluster) - before);
  }

  @Test
  void aVoterCutOffWhileTheMetadataIsIdleCatchesUpAfterTheHeal() throws Exception {
    Map<String, String> fast = Map.of("broker.session.timeout.ms", "4000", "broker.heartbeat.interval.ms", "1000");
    try (NetnsCluster cluster = new NetnsCluster(root, 3, fast)) {
      cluster.start();
      try (Admin admin = new Admin(cluster.bootstrap(), 30_000)) {
        await().atMost(Duration.ofSeconds(30)).until(() -> admin.describeCluster().getBrokersCount() == 3);
        admin.createTopic("idle", 3, 3, Map.of());
      }
      int leader = activeController(cluster);
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
          .until(() -> caughtUp(cluster, leader % 3 + 1) && caughtUp(cluster, (leader + 1) % 3 + 1));

      cutHealAndMeasure(cluster, leader, "active controller");
      int now = activeController(cluster);
      int follower = now % 3 + 1 == leader ? (now + 1) % 3 + 1 : now % 3 + 1;
      assertThat(follower).isNotEqualTo(now);
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
          .until(() -> caughtUp(cluster, follower));
      cutHealAndMeasure(cluster, follower, "follower");
    }
  }
}
