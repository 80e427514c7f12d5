package io.brook.broker.partition;

import static io.brook.broker.partition.HostFixture.batch;
import static org.assertj.core.api.Assertions.assertThat;

import io.brook.metadata.image.PartitionRegistration;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A leader whose replica set changes under the same leadership (a reassignment started,
 * replaced, cancelled or completed; KIP-455) tracks the new followers: a replica added while it
 * leads joins the ISR once caught up. Before the fix the leader knew only the followers of the
 * moment it became leader, so an added replica fetched everything and never joined the ISR, and
 * the reassignment never completed.
 */
@Timeout(60)
class ReassignedReplicasTest {
  private static final String ID = "topic-id-r";

  @TempDir Path dir;

  private static PartitionRegistration reg(List<Integer> replicas, List<Integer> isr, int partitionEpoch,
                                           List<Integer> adding, List<Integer> removing) {
    return new PartitionRegistration(ID, 0, replicas, isr, 1, 5, partitionEpoch, List.of(), adding, removing, 0);
  }

  @Test
  void aReplicaAddedUnderTheSameLeadershipJoinsTheIsrOnceCaughtUp() throws Exception {
    try (HostFixture f = new HostFixture(dir, 1)) {
      f.apply(ID, Map.of(), reg(List.of(1, 2), List.of(1, 2), 1, List.of(), List.of()));
      Partition p = f.host.partition(HostFixture.TOPIC, 0);
      p.log().appendAsLeader(batch(5, "a", "b", "c"), 5);
      p.onFollowerFetch(2, 3);
      assertThat(p.log().highWatermark()).isEqualTo(3);

      // Reassignment [1,2] -> [1,3]: broker 3 is added, broker 2 is leaving; same leader epoch.
      f.apply(ID, Map.of(), reg(List.of(1, 3, 2), List.of(1, 2), 2, List.of(3), List.of(2)));
      assertThat(p.expandCandidate(3)).as("not caught up yet").isEmpty();
      p.onFollowerFetch(3, 1);
      assertThat(p.expandCandidate(3)).as("behind the high watermark").isEmpty();
      p.onFollowerFetch(3, 3);
      assertThat(p.expandCandidate(3)).isEqualTo(Optional.of(List.of(1, 2, 3)));

      // Completed: [1,3]. Broker 2 is forgotten: it can neither join the ISR nor hold back the high watermark.
      f.apply(ID, Map.of(), reg(List.of(1, 3), List.of(1, 3), 3, List.of(), List.of()));
      p.onFollowerFetch(2, 3);
      assertThat(p.expandCandidate(2)).isEmpty();
      p.log().appendAsLeader(batch(5, "d"), 5);
      p.onFollowerFetch(3, 4);
      assertThat(p.log().highWatermark()).isEqualTo(4);
    }
  }
}
