package io.brook.clients.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.brook.proto.v1.BrokerEndpoint;
import io.brook.proto.v1.DescribeClusterResponse;
import io.brook.proto.v1.MetadataResponse;
import io.brook.proto.v1.PartitionMetadata;
import io.brook.proto.v1.TopicMetadata;
import io.brook.proto.v1.Voter;
import org.junit.jupiter.api.Test;

/** The verdict of {@code brook cluster health} from a DescribeCluster and a Metadata answer. */
class ClusterHealthTest {
  static DescribeClusterResponse.Builder cluster(int leader) {
    DescribeClusterResponse.Builder c = DescribeClusterResponse.newBuilder().setClusterId("abc").setLeaderId(leader);
    for (int id = 1; id <= 3; id++) {
      c.addVoters(Voter.newBuilder().setId(id).setLastContactMs(id == leader ? 0 : 100))
          .addBrokers(BrokerEndpoint.newBuilder().setId(id).setFenced(false));
    }
    return c;
  }

  static MetadataResponse topic(PartitionMetadata... partitions) {
    return MetadataResponse.newBuilder().addTopics(TopicMetadata.newBuilder().setName("t").addAllPartitions(
        java.util.List.of(partitions))).build();
  }

  static PartitionMetadata partition(int p, int leader, int isr) {
    PartitionMetadata.Builder b = PartitionMetadata.newBuilder().setPartition(p).setLeader(leader)
        .addReplicas(1).addReplicas(2).addReplicas(3);
    for (int i = 1; i <= isr; i++) {
      b.addIsr(i);
    }
    return b.build();
  }

  @Test
  void aClusterWithAControllerAllNodesUpAndFullIsrsIsHealthy() {
    ClusterCommand.Report r = ClusterCommand.Report.of(cluster(1).build(), topic(partition(0, 1, 3), partition(1, 2, 3)));
    assertThat(r.healthy()).isTrue();
    assertThat(r.reasons()).isEmpty();
    assertThat(r.allNodes()).containsExactly(1, 2, 3);
    assertThat(r.nodesDown()).isEmpty();
    assertThat(r.controllerId()).isEqualTo(1);
  }

  @Test
  void aFencedBrokerASilentVoterAndDegradedPartitionsAreReported() {
    DescribeClusterResponse.Builder c = cluster(1);
    c.setBrokers(1, c.getBrokers(1).toBuilder().setFenced(true)); // broker 2
    c.setVoters(2, c.getVoters(2).toBuilder().setLastContactMs(ClusterCommand.VOTER_DOWN_AFTER_MS + 1)); // voter 3
    ClusterCommand.Report r = ClusterCommand.Report.of(c.build(), topic(partition(0, -1, 1), partition(1, 1, 2),
        partition(2, 1, 3)));
    assertThat(r.healthy()).isFalse();
    assertThat(r.nodesDown()).containsExactly(2, 3);
    assertThat(r.leaderless()).containsExactly("t-0");
    assertThat(r.underReplicated()).containsExactly("t-0", "t-1");
    assertThat(r.reasons()).containsExactly("nodes_down", "leaderless_partitions", "under_replicated_partitions");
    assertThat(r.toJson()).contains("\"healthy\":false").contains("\"nodesDown\":[2,3]")
        .contains("\"leaderlessPartitions\":[\"t-0\"]");
  }

  @Test
  void noActiveControllerIsUnhealthy() {
    ClusterCommand.Report r = ClusterCommand.Report.of(cluster(-1).build(), MetadataResponse.getDefaultInstance());
    assertThat(r.healthy()).isFalse();
    assertThat(r.reasons()).containsExactly("no_active_controller");
  }
}
