package io.brook.broker.group;

import static io.brook.broker.group.GroupCluster.ORDERS;
import static io.brook.broker.group.GroupCluster.ORDERS_ID;
import static io.brook.broker.group.GroupCluster.code;
import static io.brook.broker.group.GroupCluster.group;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import com.google.protobuf.ByteString;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.v1.CommittedOffset;
import io.brook.proto.v1.DescribeGroupRequest;
import io.brook.proto.v1.DescribeGroupResponse;
import io.brook.proto.v1.FindCoordinatorRequest;
import io.brook.proto.v1.FindCoordinatorResponse;
import io.brook.proto.v1.GroupListing;
import io.brook.proto.v1.GroupPartitionOffset;
import io.brook.proto.v1.GroupServiceGrpc;
import io.brook.proto.v1.ListGroupsRequest;
import io.brook.proto.v1.OffsetCommitPartition;
import io.brook.proto.v1.OffsetCommitRequest;
import io.brook.proto.v1.OffsetFetchRequest;
import io.brook.proto.v1.ProduceRequest;
import io.brook.proto.v1.Record;
import io.brook.proto.v1.RecordList;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two brokers: broker 1 leads every __consumer_offsets partition (the offsets coordinator of
 * every group); the data topic's partitions are led by broker 1 or 2. Calls sent to broker 2 are
 * forwarded to broker 1; DescribeGroup's lag comes from the data partitions' leader.
 */
class GroupForwardingTest {
  @TempDir
  Path dir;
  GroupCluster cluster;
  GroupCluster.Broker b1;
  GroupCluster.Broker b2;

  @AfterEach
  void close() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  void start(int ordersLeader) throws Exception {
    cluster = new GroupCluster(GroupCluster.testSettings());
    cluster.ordersLeader = ordersLeader;
    b1 = cluster.start(1, dir.resolve("b1"));
    b2 = cluster.start(2, dir.resolve("b2"));
    cluster.publish();
  }

  /** Five records with timestamps 1000, 1100, ..., 1400 at offsets 0..4 of orders-0. */
  void produceKnownTimestamps(GroupCluster.Broker leader) {
    RecordList.Builder records = RecordList.newBuilder();
    for (int i = 0; i < 5; i++) {
      records.addRecords(Record.newBuilder().setValue(ByteString.copyFromUtf8("v" + i)).setTimestampMs(1000 + 100 * i));
    }
    assertThat(leader.client().produce(ProduceRequest.newBuilder().setTopic(ORDERS).setPartition(0).setRecords(records)
        .build()).getBaseOffset()).isEqualTo(0);
  }

  static OffsetCommitRequest commit(String group, long offset) {
    return OffsetCommitRequest.newBuilder().setGroupId(group).setMemberEpoch(-1).addPartitions(OffsetCommitPartition
        .newBuilder().setTopic(ORDERS).setPartition(0).setOffset(offset)).build();
  }

  @Test
  void callsToAnyBrokerReachTheCoordinator() throws Exception {
    start(1);
    b2.groups().offsetCommit(commit("g", 2));
    assertThat(b1.coordinator.fetch(OffsetsTopic.partitionFor("g", 3), "g", List.of()))
        .extracting(CommittedOffset::getOffset).containsExactly(2L);
    assertThat(b2.groups().offsetFetch(OffsetFetchRequest.newBuilder().setGroupId("g").build()).getOffsetsList())
        .extracting(CommittedOffset::getOffset).containsExactly(2L);

    FindCoordinatorResponse found = b2.groups().findCoordinator(FindCoordinatorRequest.newBuilder().setGroupId("g").build());
    assertThat(found.getCoordinator().getId()).isEqualTo(1);
    assertThat(found.getCoordinator().getPort()).isEqualTo(b1.server.getPort());
    assertThat(found.getPartition()).isEqualTo(OffsetsTopic.partitionFor("g", 3));

    // A call already forwarded once is not forwarded again.
    Metadata headers = new Metadata();
    headers.put(GroupGrpcService.FORWARDED, "3");
    GroupServiceGrpc.GroupServiceBlockingStub marked = b2.groups()
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    assertThatThrownBy(() -> marked.offsetFetch(OffsetFetchRequest.newBuilder().setGroupId("g").build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.NOT_COORDINATOR));

    // Broker 2 lists groups from its image only; broker 1 also those with offsets.
    assertThat(b2.groups().listGroups(ListGroupsRequest.getDefaultInstance()).getGroupsList()).isEmpty();
    cluster.groups.put("h", group("h", 0, Map.of("m1", 1), Map.of()));
    cluster.publish();
    assertThat(b2.groups().listGroups(ListGroupsRequest.getDefaultInstance()).getGroupsList())
        .extracting(GroupListing::getGroupId, GroupListing::getMembers).containsExactly(tuple("h", 1));
    assertThat(b1.groups().listGroups(ListGroupsRequest.getDefaultInstance()).getGroupsList())
        .extracting(GroupListing::getGroupId).containsExactly("g", "h");

    // The coordinator is down: retriable.
    cluster.brokers.remove(1).close();
    assertThatThrownBy(() -> b2.groups().offsetFetch(OffsetFetchRequest.newBuilder().setGroupId("g").build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.COORDINATOR_NOT_AVAILABLE));
  }

  @Test
  void describeShowsLagFromARemoteLeader() throws Exception {
    start(2);
    describeShowsLag(b2);
  }

  @Test
  void describeShowsLagFromALocalLeader() throws Exception {
    start(1);
    describeShowsLag(b1);
  }

  private void describeShowsLag(GroupCluster.Broker dataLeader) throws Exception {
    produceKnownTimestamps(dataLeader);
    cluster.groups.put("g", group("g", 0, Map.of("m1", 4), Map.of("m1", Map.of(ORDERS_ID, List.of(1)))));
    cluster.publish();
    b1.groups().offsetCommit(OffsetCommitRequest.newBuilder().setGroupId("g").setMemberId("m1").setMemberEpoch(4)
        .addPartitions(OffsetCommitPartition.newBuilder().setTopic(ORDERS).setPartition(0).setOffset(2)).build());

    DescribeGroupResponse d = b2.groups().describeGroup(DescribeGroupRequest.newBuilder().setGroupId("g").build());
    assertThat(d.getCoordinator()).isEqualTo(1);
    assertThat(d.getState()).isEqualTo("Stable");
    assertThat(d.getGroupEpoch()).isEqualTo(4);
    assertThat(d.getMembersList()).singleElement().satisfies(m -> {
      assertThat(m.getMemberId()).isEqualTo("m1");
      assertThat(m.getAssignmentList()).singleElement().satisfies(a -> {
        assertThat(a.getTopic()).isEqualTo(ORDERS);
        assertThat(a.getPartitionsList()).containsExactly(1);
      });
    });
    long now = cluster.clock.get();
    assertThat(d.getOffsetsList()).extracting(GroupPartitionOffset::getPartition, GroupPartitionOffset::getCommitted,
        GroupPartitionOffset::getLogEnd, GroupPartitionOffset::getLag, GroupPartitionOffset::getLagMs,
        GroupPartitionOffset::getMemberId)
        .containsExactly(tuple(0, 2L, 5L, 3L, now - 1200, ""), tuple(1, -1L, 0L, 0L, 0L, "m1"));

    // Caught up: no lag, lag_ms 0.
    b1.groups().offsetCommit(OffsetCommitRequest.newBuilder().setGroupId("g").setMemberId("m1").setMemberEpoch(4)
        .addPartitions(OffsetCommitPartition.newBuilder().setTopic(ORDERS).setPartition(0).setOffset(5)).build());
    d = b1.groups().describeGroup(DescribeGroupRequest.newBuilder().setGroupId("g").build());
    assertThat(d.getOffsets(0).getLag()).isZero();
    assertThat(d.getOffsets(0).getLagMs()).isZero();

    assertThatThrownBy(() -> b2.groups().describeGroup(DescribeGroupRequest.newBuilder().setGroupId("nobody").build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.GROUP_ID_NOT_FOUND));
  }
}
